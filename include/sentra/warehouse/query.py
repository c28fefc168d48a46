"""The analysts' SQL: what may run, which tables a query reads, the curated views.

``sentra sql`` runs DuckDB in-process. These helpers keep it read-only: one SELECT
statement (checked by DuckDB's own parser), and only the warehouse tables and the
views in ``sql/views/`` are visible; the connection is then locked so a query cannot
reach files, extensions or settings. Before the lock, the limits from settings are set
(:func:`limit_settings`: DuckDB ``memory_limit`` and ``threads``) and the query runs under
:func:`run_limited`: interrupted after ``sql_timeout_seconds``, refused past
``sql_max_rows`` rows while streaming (the rows are never all held first), so a cross
join or ``range(1e12)`` cannot run until killed nor fill the memory of the machine.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from sentra.config import Settings

_PARAM = re.compile(r"\$\w+|\?")

# Applied after the tables are registered: no file or network access, no SET later.
LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoload_known_extensions = false",
    "SET autoinstall_known_extensions = false",
    "SET lock_configuration = true",
)


_MEMORY = re.compile(r"^\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B|%)?$", re.IGNORECASE)
BATCH_ROWS = 65_536


class QueryLimitReached(RuntimeError):  # noqa: N818 - reads as what happened to the query
    """The query ran into a ``sentra sql`` limit (time or rows); the message says which."""


@dataclass(frozen=True)
class SqlLimits:
    timeout_seconds: float
    max_rows: int
    memory_limit: str
    threads: int

    @classmethod
    def of(cls, settings: Settings) -> SqlLimits:
        return cls(
            timeout_seconds=settings.sql_timeout_seconds,
            max_rows=settings.sql_max_rows,
            memory_limit=settings.sql_memory_limit,
            threads=settings.sql_threads,
        )


def limit_settings(limits: SqlLimits) -> tuple[tuple[str, list[Any]], ...]:
    """The SET statements of the limits with their bound values, run before :data:`LOCKDOWN`."""
    memory = limits.memory_limit.strip()
    if not _MEMORY.match(memory):
        raise ValueError(
            f"SENTRA_SQL_MEMORY_LIMIT={limits.memory_limit!r} is not a size such as 2GB or 512MiB"
        )
    if limits.threads < 1:
        raise ValueError(f"SENTRA_SQL_THREADS={limits.threads} must be at least 1")
    return (("SET memory_limit = ?", [memory]), ("SET threads = ?", [int(limits.threads)]))


def run_limited(
    con: duckdb.DuckDBPyConnection, query: str, params: Any, limits: SqlLimits
) -> pa.Table:
    """The query's result, streamed in batches under the time and row limits."""
    import pyarrow as pa

    timed_out = threading.Event()

    def interrupt() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(limits.timeout_seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        reader = con.sql(query, params=params or None).to_arrow_reader(BATCH_ROWS)
        batches, rows = [], 0
        for batch in reader:
            rows += batch.num_rows
            if rows > limits.max_rows:
                raise QueryLimitReached(
                    f"the result has more than {limits.max_rows:,} rows (SENTRA_SQL_MAX_ROWS);"
                    " aggregate, add a WHERE or a LIMIT, or export with a narrower query"
                )
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    except Exception as exc:
        if timed_out.is_set():
            raise QueryLimitReached(
                f"the query was stopped after {limits.timeout_seconds:g} s"
                " (SENTRA_SQL_TIMEOUT_SECONDS); narrow it or ask for a longer limit"
            ) from exc
        raise
    finally:
        timer.cancel()


class QueryRefused(ValueError):  # noqa: N818 - reads as what happened to the query
    """A statement ``sentra sql`` does not run (writes, ATTACH, COPY, PRAGMA, …)."""


def check_read_only(query: str) -> None:
    """Refuse anything but exactly one SELECT, using DuckDB's parser (not a regex)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {exc}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"exactly one statement, a SELECT, is allowed (got {len(statements)})")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(f"only SELECT queries may run, not {kind.name}")


def sql_dir() -> Path | None:
    """The repository's ``sql/`` folder (next to ``include/``), if this is a checkout."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "sql" / "views").is_dir():
            return parent / "sql"
    return None


def load_views() -> dict[str, str]:
    """Curated views by name (file stem), in file order; each file is one CREATE VIEW."""
    folder = sql_dir()
    if folder is None:
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((folder / "views").glob("*.sql"))}


def load_report_query(name: str) -> str:
    """A report query from ``sql/reports/<name>.sql`` (parameters bound by the caller)."""
    folder = sql_dir()
    path = None if folder is None else folder / "reports" / f"{name}.sql"
    if path is None or not path.is_file():
        raise FileNotFoundError(f"no report query sql/reports/{name}.sql")
    return path.read_text(encoding="utf-8")


@cache
def table_names(query: str) -> frozenset[str]:
    """Relation names a query reads (sqlglot, DuckDB dialect; CTE names excluded).

    Only those tables are scanned for the query. ``None`` would mean "could not
    tell": the caller then offers every table and lets DuckDB report the error.
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(_PARAM.sub("NULL", query), dialect="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes)


def referenced(query: str, views: dict[str, str], tables: set[str]) -> tuple[list[str], list[str]]:
    """Tables and views a query needs, following views into the tables they read."""
    import sqlglot

    try:
        pending = set(table_names(query))
    except sqlglot.errors.ParseError:
        pending = set(tables) | set(views)
    needed: set[str] = set()
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in views:
            needed.add(name)
            pending |= table_names(views[name])
    return sorted(n for n in seen if n in tables), [v for v in views if v in needed]
