"""``sentra sql`` and ``sentra snapshots``: analysts' read-only access to the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sentra.cli.show import cells


def _parse_params(values: tuple[str, ...]) -> dict[str, object]:
    params: dict[str, object] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected name=value, got {item!r}", param_hint="--param")
        params[name] = _value(raw)
    return params


def _value(raw: str) -> object:
    """A --param value: integers and decimals bind as numbers, anything else as text."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


@click.command("sql")
@click.argument("query", required=False)
@click.option("--view", help="Run a curated view from sql/views/ by name.")
@click.option("--as-of", help="Read the warehouse as it stood then (date or ISO time).")
@click.option("--param", "params", multiple=True, help="Bound parameter name=value ($name in SQL).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default=None,
    help="Default: a table on a terminal, CSV when the output is piped or redirected.",
)
@click.option("--output", type=click.Path(path_type=Path), help="Write to a file instead.")
def sql(
    query: str | None,
    view: str | None,
    as_of: str | None,
    params: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
) -> None:
    """Query the warehouse with DuckDB (one read-only SELECT; files outside it are off limits).

    Limits from settings: SENTRA_SQL_TIMEOUT_SECONDS, SENTRA_SQL_MAX_ROWS,
    SENTRA_SQL_MEMORY_LIMIT, SENTRA_SQL_THREADS.
    """
    from rich.console import Console
    from rich.table import Table

    from sentra.warehouse import QueryRefused, Warehouse
    from sentra.warehouse.query import QueryLimitReached

    if bool(query) == bool(view):
        raise click.UsageError("give either a QUERY or --view NAME")
    if view:
        from sentra.warehouse.query import load_views

        known = load_views()
        if view not in known:
            raise click.BadParameter(
                f"no curated view {view!r}; known: {', '.join(sorted(known))}",
                param_hint="--view",
            )
        query = f"SELECT * FROM {view}"  # a known view name, not user text
    assert query is not None  # one of QUERY or --view, checked above
    try:
        result = Warehouse().sql(query, params=_parse_params(params), as_of=as_of)
    except QueryRefused as exc:
        raise click.ClickException(f"refused: {exc}") from exc
    except QueryLimitReached as exc:
        raise click.ClickException(f"limit reached: {exc}") from exc
    except Exception as exc:  # DuckDB errors name the problem precisely; show them
        raise click.ClickException(str(exc)) from exc
    if fmt is None:  # a rich table in a pipe is unparseable boxes: CSV there
        fmt = "table" if output is None and sys.stdout.isatty() else "csv"
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if output is None:
            raise click.UsageError("--format parquet needs --output FILE")
        pq.write_table(result, output)
        return
    if fmt in ("csv", "json"):
        frame = result.to_pandas()
        text = (
            frame.to_csv(index=False)
            if fmt == "csv"
            else frame.to_json(orient="records", date_format="iso", force_ascii=False) + "\n"
        )
        if output:
            output.write_text(text)
        else:
            sys.stdout.write(text)
        return
    table = Table(show_lines=False)
    for name in result.column_names:
        table.add_column(name)
    for row in result.to_pylist():
        table.add_row(*cells(row.values()))
    Console().print(table)
    Console(stderr=True).print(f"{result.num_rows} row(s)")


@click.command("snapshots")
@click.argument("table", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
def snapshots(table: str | None, fmt: str) -> None:
    """List publications and Iceberg snapshots (all tables, or one) to choose an --as-of."""
    from sentra.warehouse import ConformError, Warehouse

    try:
        frame = Warehouse().snapshots(table)
    except ConformError as exc:
        raise click.BadParameter(str(exc), param_hint="TABLE") from exc
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
        return
    from rich.console import Console
    from rich.table import Table

    out = Table()
    for col in frame.columns:
        out.add_column(str(col))
    for row in frame.astype(object).where(frame.notna(), "").itertuples(index=False):
        out.add_row(*cells(row))
    Console().print(out)
