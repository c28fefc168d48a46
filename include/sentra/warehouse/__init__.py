"""The warehouse: Apache Iceberg tables of Parquet files, published atomically, queried with SQL.

pyiceberg's SQL catalog keeps the table metadata (SQLite by default; PostgreSQL in
production, in the same layout as the Java JDBC catalog so Trino and Spark read the
same tables). Iceberg commits one table at a time, so a consolidation's tables are
tied together by a *publication*: one row in the ``publications`` Iceberg table,
appended only after every table committed, naming the snapshot of each. Readers
resolve every (table, census year) through the latest publication of that year (as
of a date, for time travel), so they see the previous census or the new one, never
a mix: not when a run dies between two table commits, and not when two years
publish at the same time.

Publishing writes the Parquet files first (``pyarrow.parquet``, into the table's data
folder) and then commits them with pyiceberg's ``add_files`` in one transaction per
table, together with the delete of that year's partition. The commit is the cheap,
retryable step: a ``CommitFailedException`` (another writer won) is retried with
backoff against the refreshed table without rewriting any data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.warehouse.query import QueryRefused, sql_dir
from sentra.warehouse.tables import SYSTEM_TABLES, TABLES, ConformError, TableSpec, conform

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

PUBLICATIONS = "publications"
COMMIT_ATTEMPTS = 6
REGISTER = "sentra"
# Snapshot summary properties: which slice a commit wrote and its content digest.
PROP_SLICE = "sentra.slice"
PROP_DIGEST = "sentra.content-digest"
PROP_ROWS = "sentra.rows"
ROWS_PER_FILE = 2_000_000
# A slice this big is written as one file per core, in parallel (the Parquet writer
# encodes one file on one thread); smaller ones stay one file.
PARALLEL_WRITE_ROWS = 250_000
SPECULATIVE_ROWS = 200_000
# zstd level 1: Iceberg's default codec, at about snappy's speed and smaller files.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1}


@dataclass
class Publication:
    """One published census year: the Iceberg snapshot of every table it vouches for."""

    census_year: int
    published_at: datetime
    snapshot_ids: dict[str, int | None]
    digests: dict[str, str] = field(default_factory=dict)
    changed: bool = True


def content_digest(table: pa.Table) -> str:
    """Digest of a table's content, independent of row order (a multiset of row hashes).

    DuckDB hashes every row in parallel; the sum of 64-bit row hashes plus the row
    count and schema detects any changed, added or removed row in practice, at a
    fraction of the cost of sorting and serialising. It only decides whether a
    rerun may skip a write, so a collision can at worst skip one republication.
    """
    import hashlib

    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("t", table)
        # Column names come from our own schema and are quoted; no data is formatted in.
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in table.column_names)
        count, total = con.execute(
            f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM t"
        ).fetchone()
    finally:
        con.close()
    return hashlib.sha256(f"{table.schema}|{count}|{total}".encode()).hexdigest()


def _slice(spec: TableSpec, census_year: int) -> str:
    return f"census_year={census_year}" if spec.partitioned_by_year else "all"


class Warehouse:
    """Iceberg catalog + publications + read-only DuckDB SQL. Cheap to construct."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._catalog: Any = None
        self._ready = False

    # ------------------------------------------------------------------ catalog

    @property
    def catalog(self) -> Any:
        """pyiceberg ``SqlCatalog`` (JDBC-catalog layout), opened on first use."""
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

    def table(self, name: str) -> Any:
        """The pyiceberg table (current metadata)."""
        return self.catalog.load_table(self._ident(name))

    def ensure_tables(self) -> None:
        """Create the namespace and missing tables; add columns the code gained since."""
        from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError

        with contextlib.suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace(self.settings.namespace)
        for spec in (*TABLES.values(), *SYSTEM_TABLES.values()):
            try:
                table = self.catalog.load_table(self._ident(spec.name))
            except NoSuchTableError:
                self._create(spec)
                continue
            self._evolve(table, spec)
        self._ready = True

    def _create(self, spec: TableSpec) -> None:
        """Create a table with its partition spec in one catalog commit."""
        from pyiceberg.exceptions import TableAlreadyExistsError

        try:
            txn = self.catalog.create_table_transaction(self._ident(spec.name), schema=spec.schema)
            if spec.partition_column:
                with txn.update_spec() as update:
                    update.add_identity(spec.partition_column)
            txn.commit_transaction()
        except TableAlreadyExistsError:  # another worker created it meanwhile
            return

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

    # ------------------------------------------------------------------ publish

    def publish(
        self,
        census_year: int,
        tables: Mapping[str, pa.Table | pd.DataFrame],
        *,
        register: pa.Table | pd.DataFrame | None = None,
    ) -> Publication:
        """Commit a census year's tables (and the register) and record one publication.

        Each partitioned table's ``census_year`` partition is replaced; the register
        is replaced whole. A table whose content equals what it already holds for
        that slice is not rewritten, so a no-op rerun creates no snapshot and, when
        the last publication already vouches for that content, no publication.
        """
        unknown = sorted(set(tables) - set(TABLES))
        if unknown or (REGISTER in tables and register is not None):
            raise ConformError(
                f"publish: unknown tables {unknown}" if unknown else "register given twice"
            )
        if not self._ready:
            self.ensure_tables()
        incoming = {n: conform(n, d, unexpected="error") for n, d in tables.items()}
        if register is not None:
            incoming[REGISTER] = conform(REGISTER, register, unexpected="error")
        for name, data in incoming.items():
            self._check_year(name, data, census_year)
        current = {name: self.table(name) for name in incoming}
        staged: dict[str, list[str]] = {}
        committed: set[str] = set()
        try:
            # A big table whose row count differs from what its slice holds has surely
            # changed: it is written while the digests are computed (both release the
            # GIL), so a real change costs about one Parquet write. A same-size table is
            # probably a rerun: its digest decides first, so a no-op writes nothing.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = {
                    name: pool.submit(content_digest, data) for name, data in incoming.items()
                }
                for name in sorted(incoming):
                    written = self._written(current[name], census_year)
                    if incoming[name].num_rows >= SPECULATIVE_ROWS and (
                        written is None or written[1] != incoming[name].num_rows
                    ):
                        staged[name] = self._write_files(current[name], incoming[name])
                digests = {name: future.result() for name, future in pending.items()}
            to_write = [
                name
                for name in sorted(incoming)
                if not self._holds(current[name], census_year, incoming[name], digests[name])
            ]
            for name in set(staged) - set(to_write):
                self._remove_files(current[name], staged.pop(name))
            last = self.latest_publication(census_year)
            vouched = self._vouched_digests(census_year)
            if (
                not to_write
                and last is not None
                and all(vouched.get(n) == d for n, d in digests.items())
            ):
                return Publication(
                    census_year, last.published_at, last.snapshot_ids, digests, False
                )
            for name in to_write:  # all data first: a failed write commits nothing
                if name not in staged:
                    staged[name] = self._write_files(current[name], incoming[name])
            for name in to_write:
                spec = TABLES[name]
                self._commit(
                    current[name],
                    staged[name],
                    census_year if spec.partitioned_by_year else None,
                    {
                        PROP_SLICE: _slice(spec, census_year),
                        PROP_DIGEST: digests[name],
                        PROP_ROWS: str(incoming[name].num_rows),
                    },
                )
                committed.add(name)
        except BaseException:
            for name, paths in staged.items():  # never referenced by a snapshot: remove
                if name not in committed:
                    self._remove_files(current[name], paths)
            raise
        snapshot_ids = {}
        for name in sorted(incoming):
            snap = self.table(name).current_snapshot()
            snapshot_ids[name] = snap.snapshot_id if snap else None
        publication = self._record(census_year, snapshot_ids, digests)
        log.info(
            "published census %s: wrote %s, unchanged %s",
            census_year,
            to_write,
            sorted(set(incoming) - set(to_write)),
        )
        return publication

    @staticmethod
    def _check_year(name: str, data: pa.Table, census_year: int) -> None:
        """A year's partition holds only that year: a stray row would be lost on overwrite."""
        if not TABLES[name].partitioned_by_year or data.num_rows == 0:
            return
        import pyarrow.compute as pc

        years = pc.unique(data.column("census_year")).to_pylist()
        if years != [census_year]:
            raise ConformError(
                f"table {name}: publishing census_year {census_year} but the rows carry"
                f" census_year {sorted(y for y in years if y is not None)}"
            )

    def _holds(self, table: Any, census_year: int, data: pa.Table, digest: str) -> bool:
        """Whether the table's current slice already has exactly this content."""
        written = self._written(table, census_year)
        if written is not None:
            return written[0] == digest
        if data.num_rows:
            return False
        # Never written by sentra and nothing to write: equal if the slice is empty too.
        snapshot = table.current_snapshot()
        if snapshot is None:
            return True
        spec = TABLES[table.name()[-1]]
        years = [census_year] if spec.partitioned_by_year else None
        return not any(True for _ in self._scan(table, snapshot.snapshot_id, years).plan_files())

    @staticmethod
    def _written(table: Any, census_year: int) -> tuple[str, int | None] | None:
        """(digest, rows) of the newest commit that wrote this slice: its current content."""
        from pyiceberg.table.snapshots import ancestors_of

        slice_ = _slice(TABLES[table.name()[-1]], census_year)
        for snap in ancestors_of(table.current_snapshot(), table.metadata):
            props = snap.summary.additional_properties if snap.summary else {}
            if props.get(PROP_SLICE) == slice_ and PROP_DIGEST in props:
                rows = props.get(PROP_ROWS)
                return props[PROP_DIGEST], int(rows) if rows is not None else None
        return None

    def _vouched_digests(self, census_year: int) -> dict[str, str]:
        """Digest per table as the publications readers use for this year vouch for it."""
        out: dict[str, str] = {}
        for pub in self.publications():
            for name, digest in pub.digests.items():
                if name not in TABLES:
                    continue
                if pub.census_year == census_year or not TABLES[name].partitioned_by_year:
                    out[name] = digest
        return out

    def _write_files(self, table: Any, data: pa.Table) -> list[str]:
        """Write the Parquet files of one table's slice into its data folder (no commit yet)."""
        import pyarrow.parquet as pq

        spec = TABLES[table.name()[-1]]
        folder = table.location().rstrip("/") + "/data"
        if spec.partitioned_by_year and data.num_rows:
            folder += f"/census_year={data.column('census_year')[0].as_py()}"
        per_file = ROWS_PER_FILE
        if data.num_rows >= PARALLEL_WRITE_ROWS:
            per_file = min(per_file, -(-data.num_rows // (os.cpu_count() or 1)))
        starts = range(0, data.num_rows, per_file)
        paths = [f"{folder}/{uuid.uuid4()}.parquet" for _ in starts]

        def write(path: str, start: int) -> None:
            with table.io.new_output(path).create(overwrite=False) as out:
                pq.write_table(data.slice(start, per_file), out, **PARQUET_OPTIONS)

        try:
            with ThreadPoolExecutor(max_workers=max(1, len(paths))) as pool:
                for future in [
                    pool.submit(write, p, s) for p, s in zip(paths, starts, strict=True)
                ]:
                    future.result()
        except BaseException:
            self._remove_files(table, paths)  # none is referenced by a snapshot yet
            raise
        return paths

    @staticmethod
    def _remove_files(table: Any, paths: list[str]) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                table.io.delete(path)

    def _commit(
        self, table: Any, paths: list[str], census_year: int | None, properties: dict[str, str]
    ) -> None:
        """Replace the year's partition (or the whole table) by ``paths``: one transaction.

        Retried with backoff when another writer committed first; the data files are
        already written, so a retry only redoes the metadata.
        """
        from pyiceberg.exceptions import CommitFailedException
        from pyiceberg.expressions import AlwaysTrue, EqualTo

        row_filter = AlwaysTrue() if census_year is None else EqualTo("census_year", census_year)
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                txn = table.transaction()
                with warnings.catch_warnings():  # an empty slice has nothing to delete
                    warnings.filterwarnings("ignore", "Delete operation did not match any records")
                    txn.delete(row_filter, snapshot_properties=properties)
                if paths:
                    txn.add_files(
                        paths, snapshot_properties=properties, check_duplicate_files=False
                    )
                txn.commit_transaction()
                return
            except CommitFailedException:
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
                table = self.catalog.load_table(table.name())

    def _record(
        self, census_year: int, snapshot_ids: dict[str, int | None], digests: dict[str, str]
    ) -> Publication:
        """Append the publication row: from this moment readers see the new state."""
        import pyarrow as pa
        from pyiceberg.exceptions import CommitFailedException

        spec = SYSTEM_TABLES[PUBLICATIONS]
        table = self.table(PUBLICATIONS)
        for attempt in range(COMMIT_ATTEMPTS):
            publication = Publication(census_year, datetime.now(UTC), snapshot_ids, digests)
            row = pa.Table.from_pylist(
                [
                    {
                        "census_year": census_year,
                        "published_at": publication.published_at,
                        "snapshot_ids": json.dumps(snapshot_ids, sort_keys=True),
                        "digests": json.dumps(digests, sort_keys=True),
                    }
                ],
                schema=spec.schema,
            )
            try:
                table.append(row)
                return publication
            except CommitFailedException:
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
                table = self.table(PUBLICATIONS)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------- read

    def publications(self, *, as_of: datetime | str | None = None) -> list[Publication]:
        """Every publication (at or before ``as_of``), oldest first."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            rows = self.table(PUBLICATIONS).scan().to_arrow().to_pylist()
        except NoSuchTableError:
            return []
        cutoff = _as_datetime(as_of)
        out = [
            Publication(
                r["census_year"],
                r["published_at"],
                {k: v for k, v in json.loads(r["snapshot_ids"]).items() if k in TABLES},
                json.loads(r["digests"]),
            )
            for r in rows
            if cutoff is None or r["published_at"] <= cutoff
        ]
        return sorted(out, key=lambda p: p.published_at)

    def latest_publication(
        self, census_year: int | None = None, *, as_of: datetime | str | None = None
    ) -> Publication | None:
        """The newest publication (of ``census_year``, at or before ``as_of``), if any."""
        candidates = [
            p
            for p in self.publications(as_of=as_of)
            if census_year is None or p.census_year == census_year
        ]
        return candidates[-1] if candidates else None

    def _resolve(
        self, name: str, census_year: int | None, as_of: datetime | str | None
    ) -> dict[int, list[int] | None]:
        """Snapshot id → census years to read from it, per the publications readers trust.

        A partitioned table's year is read at the snapshot of that year's latest
        publication; the register at the latest publication of any year. Data a
        failed or unfinished run committed is therefore invisible.
        """
        spec = TABLES[name]
        by_year: dict[int, int] = {}
        register: int | None = None
        for pub in self.publications(as_of=as_of):
            snapshot_id = pub.snapshot_ids.get(name)
            if snapshot_id is None or (name not in pub.digests and pub.digests):
                continue  # older publications listed every table; newer ones what they wrote
            if spec.partitioned_by_year:
                by_year[pub.census_year] = snapshot_id
            else:
                register = snapshot_id
        if not spec.partitioned_by_year:
            return {} if register is None else {register: None}
        groups: dict[int, list[int]] = {}
        for year, snapshot_id in sorted(by_year.items()):
            if census_year is None or year == census_year:
                groups.setdefault(snapshot_id, []).append(year)
        return groups

    def _dataset(self, name: str, census_year: int | None, as_of: datetime | str | None) -> Any:
        """A lazy Arrow dataset of what readers may see of ``name`` (pruned by year)."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        spec = TABLES[name]
        groups = self._resolve(name, census_year, as_of)
        if not groups:
            return ds.dataset(spec.schema.empty_table())
        table = self.table(name)
        parts: list[Any] = []
        files: list[str] = []
        for snapshot_id, years in groups.items():
            scan = self._scan(table, snapshot_id, years)
            tasks = list(scan.plan_files())
            direct = all(
                not t.delete_files and (years is None or _partition_year(t) in years) for t in tasks
            )
            if direct:
                files += [t.file.file_path for t in tasks]
            else:  # delete files or files of an older partition spec: let pyiceberg merge
                parts.append(ds.dataset(_align(scan.to_arrow(), spec.schema)))
        if files:
            fs, paths = _filesystem(table, files)
            parts.append(ds.dataset(paths, schema=spec.schema, format="parquet", filesystem=fs))
        if not parts:
            return ds.dataset(pa.table([], schema=spec.schema))
        return parts[0] if len(parts) == 1 else ds.dataset(parts)

    @staticmethod
    def _scan(table: Any, snapshot_id: int, years: list[int] | None) -> Any:
        from pyiceberg.expressions import AlwaysTrue, In

        row_filter = AlwaysTrue() if years is None else In("census_year", years)
        return table.scan(snapshot_id=snapshot_id, row_filter=row_filter)

    def scan(
        self,
        name: str,
        *,
        census_year: int | None = None,
        as_of: datetime | str | None = None,
    ) -> pa.Table:
        """A table as the latest publications (at or before ``as_of``) show it."""
        spec = TABLES.get(name)
        if spec is None:
            raise ConformError(f"unknown warehouse table {name!r}; known: {sorted(TABLES)}")
        return self._dataset(name, census_year, as_of).to_table(columns=spec.names)

    def snapshots(self, name: str | None = None) -> pd.DataFrame:
        """Publications and the tables' Iceberg snapshots (all tables, or one), oldest first.

        ``kind`` is ``publication`` (what readers see from then on; use its time for
        ``--as-of``) or ``snapshot`` (one Iceberg commit; readers only see it once
        a publication names it).
        """
        import pandas as pd

        columns = ["kind", "at", "census_year", "table", "snapshot_id", "operation", "detail"]
        if name is not None and name not in TABLES:
            raise ConformError(f"unknown warehouse table {name!r}; known: {sorted(TABLES)}")
        if not self._ready:
            self.ensure_tables()
        rows: list[dict[str, Any]] = []
        for pub in self.publications():
            for table_name, snapshot_id in sorted(pub.snapshot_ids.items()):
                if name in (None, table_name) and (table_name in pub.digests or not pub.digests):
                    rows.append(
                        {
                            "kind": "publication",
                            "at": pub.published_at,
                            "census_year": pub.census_year,
                            "table": table_name,
                            "snapshot_id": snapshot_id,
                            "operation": None,
                            "detail": None,
                        }
                    )
        for table_name in [name] if name else sorted(TABLES):
            for snap in self.table(table_name).snapshots():
                props = snap.summary.additional_properties if snap.summary else {}
                rows.append(
                    {
                        "kind": "snapshot",
                        "at": datetime.fromtimestamp(snap.timestamp_ms / 1000, UTC),
                        "census_year": _slice_year(props.get(PROP_SLICE)),
                        "table": table_name,
                        "snapshot_id": snap.snapshot_id,
                        "operation": str(snap.summary.operation.value) if snap.summary else None,
                        "detail": props.get(PROP_SLICE),
                    }
                )
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(["at", "kind"], kind="stable").reset_index(drop=True)

    def sql(
        self,
        query: str,
        *,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        as_of: datetime | str | None = None,
    ) -> pa.Table:
        """Run one read-only SELECT over the published tables and the curated views.

        Only the tables the query (or a view it uses) reads are opened, as lazy Arrow
        datasets at the publications' snapshots: DuckDB prunes columns and years.
        """
        import duckdb

        from sentra.warehouse.query import (
            LOCKDOWN,
            SqlLimits,
            check_read_only,
            limit_settings,
            load_views,
            referenced,
            run_limited,
        )

        check_read_only(query)
        views = load_views()
        tables, needed_views = referenced(query, views, set(TABLES))
        con = duckdb.connect(":memory:", config={"python_enable_replacements": False})
        try:
            for name in tables:
                con.register(name, self._dataset(name, None, as_of))
            for view in _view_order(needed_views, views):
                con.execute(views[view])
            limits = SqlLimits.of(self.settings)
            for statement, values in limit_settings(limits):  # before the lock
                con.execute(statement, values)
            for setting in LOCKDOWN:
                con.execute(setting)
            return run_limited(con, query, params, limits)
        finally:
            con.close()


def _view_order(needed: list[str], views: dict[str, str]) -> list[str]:
    """Views in dependency order, so a view may build on another whatever their names."""
    from sentra.warehouse.query import table_names

    order: list[str] = []

    def visit(view: str, path: tuple[str, ...]) -> None:
        if view in order or view in path:
            return
        for dep in sorted(table_names(views[view])):
            if dep in views:
                visit(dep, (*path, view))
        order.append(view)

    for view in needed:
        visit(view, ())
    return order


def _partition_year(task: Any) -> int | None:
    """The census_year a data file's partition holds (None: not partitioned by it)."""
    partition = task.file.partition
    try:
        return partition[0] if len(partition) == 1 else None
    except (TypeError, IndexError):
        return None


def _align(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Columns the code has but an old snapshot lacks read as null."""
    import pyarrow as pa

    for f in schema:
        if f.name not in table.column_names:
            table = table.append_column(f.name, pa.nulls(table.num_rows, f.type))
    return table.select(schema.names).cast(schema)


def _filesystem(table: Any, locations: list[str]) -> tuple[Any, list[str]]:
    """The pyarrow filesystem pyiceberg uses for these files, and their paths on it."""
    from pyiceberg.io.pyarrow import PyArrowFileIO

    scheme, netloc, _ = PyArrowFileIO.parse_location(locations[0])
    fs = table.io.fs_by_scheme(scheme, netloc)
    return fs, [PyArrowFileIO.parse_location(loc)[2] for loc in locations]


def _slice_year(slice_: str | None) -> int | None:
    if slice_ and slice_.startswith("census_year="):
        return int(slice_.removeprefix("census_year="))
    return None


def _as_datetime(value: datetime | str | None) -> datetime | None:
    """``--as-of`` value: a bare date means "as the warehouse stood at the end of that day"."""
    if value is None:
        return None
    if isinstance(value, str):
        bare_date = len(value.strip()) == 10
        value = datetime.fromisoformat(value.strip())
        if bare_date:
            value = value.replace(hour=23, minute=59, second=59, microsecond=999_999)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


__all__ = [
    "ConformError",
    "Publication",
    "QueryRefused",
    "Warehouse",
    "conform",
    "content_digest",
    "sql_dir",
]
