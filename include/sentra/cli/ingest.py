"""``sentra ingest FILE``: one submission as read, explained.

For data engineers debugging what an office sent: what was read and how the headers
were mapped, which rows were skipped, and every problem with the office's own row
number, column, value and the Indonesian message the office will see (the first
``--limit`` of them, and a count of all by column and reason when there are more).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from sentra.cli.show import escape
from sentra.cli.submission import DEFAULT_LIMIT, print_problems, resolve_office_and_year

SKIPPED_SHOWN = 20


def _print_read(console: Any, result: Any) -> None:
    sheets = escape(", ".join(result.sheets_read)) or "(one table)"
    console.print(
        f"sheets: {sheets}; header row: {result.header_row}; data rows: {len(result.rows):,}; "
        f"skipped rows: {len(result.skipped_rows):,}"
    )
    if result.header_mapping:
        mapped = ", ".join(f"'{src}' → {dst}" for src, dst in result.header_mapping.items())
        console.print(f"mapped: {escape(mapped)}")
    if result.unmapped_headers:
        console.print(f"[yellow]not mapped[/]: {escape(', '.join(result.unmapped_headers))}")
    skipped = result.skipped_rows
    if len(skipped) > SKIPPED_SHOWN:
        kinds = Counter(row.kind for row in skipped)
        console.print("skipped: " + ", ".join(f"{n:,} {kind}" for kind, n in kinds.most_common()))
    for row in skipped[:SKIPPED_SHOWN]:
        console.print(f"  skipped row {row.source_row} ({row.kind})")
    if len(skipped) > SKIPPED_SHOWN:
        console.print(f"  … and {len(skipped) - SKIPPED_SHOWN:,} more skipped rows")


@click.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--office", help="Office code (e.g. 34.02); inferred from landing/<year>/<office>/.")
@click.option("--year", type=int, help="Census year; inferred from the path.")
@click.option(
    "--limit",
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Most problems to list (0: all of them); all are counted.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the verdict, column mapping and every row with its values (for tooling).",
)
def ingest(path: Path, office: str | None, year: int | None, limit: int, fmt: str) -> None:
    """Read one file: what was read, mapped and rejected, with row numbers. Exit 2 if unusable."""
    from rich.console import Console

    from sentra.ingest import read_submission

    office, year = resolve_office_and_year(path, office, year)
    if fmt == "json":
        from sentra.cli.report_json import document, dumps

        result = read_submission(
            path, file_name=path.name, office_code=office, census_year=year, submission_id="cli"
        )
        doc = document(result, file_name=path.name, office_code=office, census_year=year)
        click.echo(dumps(doc))
        if result.file_error:
            raise SystemExit(2)
        return
    console = Console()
    with console.status(f"reading {escape(path.name)}…"):
        result = read_submission(
            path, file_name=path.name, office_code=office, census_year=year, submission_id="cli"
        )
    if result.file_error:
        console.print(
            f"[red]file rejected[/] ({result.file_error.code}): "
            f"{escape(result.file_error.message_id)}"
        )
        raise SystemExit(2)
    _print_read(console, result)
    title = "Masalah per baris (nomor baris sesuai berkas dinas)"
    print_problems(console, result.rows, title=title, limit=limit)
