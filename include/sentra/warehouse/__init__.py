"""The warehouse: Apache Iceberg tables of Parquet files, published atomically, queried with SQL.

pyiceberg's SQL catalog keeps the table metadata (SQLite by default; PostgreSQL in
production, in the same layout as the Java JDBC catalog so Trino and Spark read the
same tables). Iceberg commits one table at a time, so a consolidation's tables are
tied together by a *publication*: one row in the ``publications`` table, written only
after every table committed, naming the snapshot of each. Readers go through the
latest publication (or the latest as of a date), so they see the previous census or
the new one, never a mix — even when a run dies between two table commits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.warehouse.tables import TABLES, ConformError, TableSpec, conform

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

PUBLICATIONS = "publications"
COMMIT_ATTEMPTS = 5
_PARAM = re.compile(r"\$\w+|\?")
READ_ONLY_SETTINGS = ("SET enable_external_access = false", "SET lock_configuration = true")


class QueryRefused(ValueError):  # noqa: N818 - reads as what happened to the query
    """A statement ``sentra sql`` does not run (writes, ATTACH, COPY, PRAGMA, …)."""


@dataclass
class Publication:
    census_year: int
    published_at: datetime
    snapshot_ids: dict[str, int | None]
    digests: dict[str, str] = field(default_factory=dict)
    changed: bool = True


def sql_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / "sql" / "views").is_dir():
            return parent / "sql"
    return None


def _digest(table: pa.Table) -> str:
    """Content digest independent of row order."""
    import pyarrow as pa

    sortable = [
        (c, "ascending")
        for c in table.column_names
        if not pa.types.is_list(table.schema.field(c).type)
    ]
    ordered = table.sort_by(sortable) if sortable and table.num_rows else table
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, ordered.schema) as writer:
        writer.write_table(ordered)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


class Warehouse:
    """Iceberg catalog + publications + read-only DuckDB SQL. Cheap to construct."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._catalog: Any = None

    # ------------------------------------------------------------------ catalog

    @property
    def catalog(self) -> Any:
        if self._catalog is None:
            from pyiceberg.catalog.sql import SqlCatalog

            s = self.settings
            props: dict[str, str] = {"uri": s.catalog_url, "warehouse": s.warehouse_uri}
            if s.catalog_url.startswith("sqlite:///"):
                Path(s.catalog_url.removeprefix("sqlite:///")).parent.mkdir(
                    parents=True, exist_ok=True
                )
            if s.warehouse_uri.startswith("file://"):
                Path(s.warehouse_uri.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
            if s.s3_endpoint:
                props |= {
                    "s3.endpoint": s.s3_endpoint,
                    "s3.access-key-id": s.s3_access_key_id,
                    "s3.secret-access-key": s.s3_secret_access_key,
                    "s3.region": s.s3_region,
                }
            self._catalog = SqlCatalog(s.catalog_name, **props)
        return self._catalog

    def _ident(self, name: str) -> str:
        return f"{self.settings.namespace}.{name}"

    def ensure_tables(self) -> None:
        """Create the namespace and missing tables; add columns the code gained since."""
        from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError

        with contextlib.suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace(self.settings.namespace)
        for spec in (*TABLES.values(), _PUBLICATIONS_SPEC):
            try:
                table = self.catalog.load_table(self._ident(spec.name))
            except NoSuchTableError:
                self._create(spec)
                continue
            self._evolve(table, spec)

    def _create(self, spec: TableSpec) -> None:
        from pyiceberg.exceptions import TableAlreadyExistsError

        try:
            table = self.catalog.create_table(self._ident(spec.name), schema=spec.schema)
        except TableAlreadyExistsError:  # another worker created it meanwhile
            return
        if spec.partitioned_by_year:
            with table.update_spec() as update:
                update.add_identity("census_year")

    def _evolve(self, table: Any, spec: TableSpec) -> None:
        """Schema evolution: add new optional columns; old data files are not rewritten."""
        existing = {f.name for f in table.schema().fields}
        new = [f for f in spec.schema if f.name not in existing]
        if not new:
            return
        import pyarrow as pa

        with table.update_schema() as update:
            update.union_by_name(pa.schema(new))
        log.info("table %s: added columns %s", spec.name, [f.name for f in new])

    def table(self, name: str) -> Any:
        return self.catalog.load_table(self._ident(name))

    # ------------------------------------------------------------------ publish

    def publish(
        self,
        census_year: int,
        tables: Mapping[str, pa.Table | pd.DataFrame],
        *,
        register: pa.Table | pd.DataFrame | None = None,
    ) -> Publication:
        """Commit a census year's tables (and the register) and record one publication.

        Tables whose content equals the last publication's are not rewritten, so a
        no-op rerun creates no snapshot and no publication.
        """
        from pyiceberg.expressions import EqualTo

        self.ensure_tables()
        incoming = {name: conform(name, data) for name, data in tables.items()}
        if register is not None:
            incoming["sentra"] = conform("sentra", register)
        last = self.latest_publication(census_year)
        last_any = self.latest_publication(None)
        previous_digests = dict(last.digests) if last else {}
        if last_any and "sentra" in last_any.digests:
            previous_digests["sentra"] = last_any.digests["sentra"]
        digests = {name: _digest(t) for name, t in incoming.items()}
        changed = [n for n in incoming if digests[n] != previous_digests.get(n)]
        if not changed and last is not None:
            return Publication(
                census_year, last.published_at, last.snapshot_ids, last.digests, False
            )
        snapshot_ids: dict[str, int | None] = {}
        for name in sorted(incoming):
            table = self.table(name)
            if name in changed:
                filt = (
                    EqualTo("census_year", census_year)
                    if TABLES[name].partitioned_by_year
                    else None
                )
                self._commit(table, incoming[name], filt)
                table = self.table(name)
            snapshot_ids[name] = (
                table.current_snapshot().snapshot_id if table.current_snapshot() else None
            )
        # Unchanged tables of other years keep their snapshot: record the current one.
        for name in TABLES:
            if name not in snapshot_ids:
                snap = self.table(name).current_snapshot()
                snapshot_ids[name] = snap.snapshot_id if snap else None
        publication = Publication(census_year, datetime.now(UTC), snapshot_ids, digests, True)
        self._record(publication)
        return publication

    def _commit(self, table: Any, data: pa.Table, overwrite_filter: Any) -> None:
        from pyiceberg.exceptions import CommitFailedException
        from pyiceberg.expressions import AlwaysTrue

        for attempt in range(COMMIT_ATTEMPTS):
            try:
                with warnings.catch_warnings():  # an empty partition has nothing to delete
                    warnings.filterwarnings("ignore", "Delete operation did not match any records")
                    table.overwrite(data, overwrite_filter=overwrite_filter or AlwaysTrue())
                return
            except CommitFailedException:
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
                table = self.catalog.load_table(table.name())

    def _record(self, publication: Publication) -> None:
        import pyarrow as pa

        row = pa.Table.from_pylist(
            [
                {
                    "census_year": publication.census_year,
                    "published_at": publication.published_at,
                    "snapshot_ids": json.dumps(publication.snapshot_ids),
                    "digests": json.dumps(publication.digests),
                }
            ],
            schema=_PUBLICATIONS_SPEC.schema,
        )
        table = self.table(PUBLICATIONS)
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                table.append(row)
                return
            except Exception as exc:
                if type(exc).__name__ != "CommitFailedException" or attempt == COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
                table = self.table(PUBLICATIONS)

    # ------------------------------------------------------------------- read

    def publications(self) -> list[Publication]:
        from pyiceberg.exceptions import NoSuchTableError

        try:
            rows = self.table(PUBLICATIONS).scan().to_arrow().to_pylist()
        except NoSuchTableError:
            return []
        out = [
            Publication(
                r["census_year"],
                r["published_at"],
                dict(json.loads(r["snapshot_ids"])),
                json.loads(r["digests"]),
            )
            for r in rows
        ]
        return sorted(out, key=lambda p: p.published_at)

    def latest_publication(
        self, census_year: int | None = None, *, as_of: datetime | str | None = None
    ) -> Publication | None:
        cutoff = _as_datetime(as_of)
        candidates = [
            p
            for p in self.publications()
            if (census_year is None or p.census_year == census_year)
            and (cutoff is None or p.published_at <= cutoff)
        ]
        return candidates[-1] if candidates else None

    def scan(
        self,
        name: str,
        *,
        census_year: int | None = None,
        as_of: datetime | str | None = None,
    ) -> pa.Table:
        """A table as of the latest publication (at or before ``as_of``)."""
        from pyiceberg.expressions import EqualTo

        spec = TABLES.get(name)
        if spec is None:
            raise ConformError(f"unknown warehouse table {name!r}; known: {sorted(TABLES)}")
        publication = self.latest_publication(None, as_of=as_of)
        if publication is None:
            return spec.schema.empty_table()
        snapshot_id = publication.snapshot_ids.get(name)
        if snapshot_id is None:
            return spec.schema.empty_table()
        table = self.table(name)
        row_filter = EqualTo("census_year", census_year) if census_year is not None else None
        scan = table.scan(
            snapshot_id=snapshot_id, **({"row_filter": row_filter} if row_filter else {})
        )
        result = scan.to_arrow()
        present = [c for c in spec.names if c in result.column_names]
        result = result.select(present)
        for col in spec.columns:  # columns added after this snapshot read as null
            if col.name not in result.column_names:
                import pyarrow as pa

                result = result.append_column(col.name, pa.nulls(result.num_rows, col.type))
        return result.select(spec.names).cast(spec.schema)

    def snapshots(self, name: str | None = None) -> pd.DataFrame:
        """Publications (and, for one table, its Iceberg snapshots) for ``--as-of``."""
        import pandas as pd

        if name is None:
            return pd.DataFrame(
                [
                    {
                        "census_year": p.census_year,
                        "published_at": p.published_at,
                        "tables": len([v for v in p.snapshot_ids.values() if v]),
                    }
                    for p in self.publications()
                ],
                columns=["census_year", "published_at", "tables"],
            )
        table = self.table(name)
        return pd.DataFrame(
            [
                {
                    "snapshot_id": s.snapshot_id,
                    "committed_at": datetime.fromtimestamp(s.timestamp_ms / 1000, UTC),
                    "operation": str(s.summary.operation) if s.summary else None,
                }
                for s in table.snapshots()
            ],
            columns=["snapshot_id", "committed_at", "operation"],
        )

    def sql(
        self,
        query: str,
        *,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        as_of: datetime | str | None = None,
    ) -> pa.Table:
        """Run one read-only SELECT over the published tables and the curated views."""
        import duckdb

        statements = duckdb.extract_statements(query)
        if len(statements) != 1:
            raise QueryRefused("exactly one statement, a SELECT, is allowed")
        if statements[0].type != duckdb.StatementType.SELECT:
            raise QueryRefused(f"only SELECT queries may run, not {statements[0].type.name}")
        con = duckdb.connect(":memory:")
        try:
            views = self._views()
            tables, needed_views = self._referenced(query, views)
            for name in tables:
                con.register(name, self.scan(name, as_of=as_of))
            for view in needed_views:  # files are sorted; a view may build on an earlier one
                con.execute(views[view])
            for setting in READ_ONLY_SETTINGS:
                con.execute(setting)
            return con.sql(query, params=params or None).to_arrow_table()
        finally:
            con.close()

    def _views(self) -> dict[str, str]:
        folder = sql_dir()
        if folder is None:
            return {}
        return {p.stem: p.read_text() for p in sorted((folder / "views").glob("*.sql"))}

    def _referenced(self, query: str, views: dict[str, str]) -> tuple[list[str], list[str]]:
        """Tables and views a query needs, following views into their tables."""
        needed_views: list[str] = []
        pending = _table_names(query)
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in views:
                needed_views.append(name)
                pending |= _table_names(views[name])
        tables = sorted(n for n in seen if n in TABLES)
        return tables, [v for v in views if v in needed_views]


def _publications_spec() -> TableSpec:
    import pyarrow as pa

    from sentra.warehouse.tables import TS, Column

    return TableSpec(
        PUBLICATIONS,
        "One row per publication: the snapshot of every table that belongs together.",
        "Satu baris per publikasi: snapshot setiap tabel yang menjadi satu kesatuan.",
        (
            Column("census_year", pa.int32(), "Census year published.", "Tahun sensus."),
            Column("published_at", TS, "When.", "Waktu publikasi."),
            Column(
                "snapshot_ids", pa.string(), "Snapshot per table (JSON).", "Snapshot per tabel."
            ),
            Column(
                "digests", pa.string(), "Content digest per table (JSON).", "Sidik isi per tabel."
            ),
        ),
        partitioned_by_year=False,
    )


_PUBLICATIONS_SPEC = _publications_spec()


def _table_names(query: str) -> set[str]:
    """Names a query reads (parsed with sqlglot, DuckDB dialect; CTE names excluded).

    Only those tables are scanned for the query. When the text cannot be parsed,
    every table is offered and DuckDB reports the real error.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(_PARAM.sub("NULL", query), dialect="duckdb")
    except sqlglot.errors.ParseError:
        return set(TABLES)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.hour == 0 and value.minute == 0 and value.second == 0 and value.microsecond == 0:
        # A bare date means "as the warehouse stood at the end of that day".
        value = value.replace(hour=23, minute=59, second=59, microsecond=999_999)
    return value


__all__ = ["ConformError", "Publication", "QueryRefused", "Warehouse", "conform"]
