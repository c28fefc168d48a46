"""``sentra ingest FILE``: one submission as read, explained.

For data engineers debugging what an office sent: what was read and how the headers
were mapped, which rows were skipped, and every problem with the office's own row
number, column, value and the Indonesian message the office will see.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from sentra.schema import column_label, reason

_OFFICE_DIR = re.compile(r"^\d{2}(\.\d{2})?$")


def infer_office_and_year(path: Path) -> tuple[str | None, int | None]:
    """From ``…/<census_year>/<office_code>/<file>`` when the file sits in a landing folder."""
    office = path.parent.name if _OFFICE_DIR.match(path.parent.name) else None
    year_name = path.parent.parent.name
    year = int(year_name) if year_name.isdigit() and len(year_name) == 4 else None
    return office, year


def _resolve(path: Path, office: str | None, year: int | None) -> tuple[str, int]:
    guessed_office, guessed_year = infer_office_and_year(path.absolute())
    office = office or guessed_office
    year = year or guessed_year
    if office is None or year is None:
        raise click.UsageError(
            "cannot tell the office and census year from the path; give --office and --year"
        )
    return office, year


def _print_read(console: Any, result: Any) -> None:
    sheets = ", ".join(result.sheets_read) or "(one table)"
    console.print(
        f"sheets: {sheets}; header row: {result.header_row}; data rows: {len(result.rows)}; "
        f"skipped rows: {len(result.skipped_rows)}"
    )
    if result.header_mapping:
        mapped = ", ".join(f"'{src}' → {dst}" for src, dst in result.header_mapping.items())
        console.print(f"mapped: {mapped}")
    if result.unmapped_headers:
        console.print(f"[yellow]not mapped[/]: {', '.join(result.unmapped_headers)}")
    for row in result.skipped_rows[:20]:
        console.print(f"  skipped row {row.source_row} ({row.kind})")


def _problem_table(rows: Any, *, only_rejected: bool) -> Any:
    from rich.table import Table

    table = Table(title="Masalah per baris (nomor baris sesuai berkas dinas)")
    for col in ("baris", "kolom", "nilai", "kode", "keterangan"):
        table.add_column(col)
    for rec in rows.to_dict("records"):
        if only_rejected and rec.get("accepted", True):
            continue
        for p in rec["problems"] or []:
            label = column_label(p.get("column") or "")
            table.add_row(
                str(rec["source_row"]),
                label,
                str(p.get("value") or ""),
                p["code"],
                reason(p["code"]).render("id", column=label, value=p.get("value")),
            )
    return table


@click.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--office", help="Office code (e.g. 34.02); inferred from landing/<year>/<office>/.")
@click.option("--year", type=int, help="Census year; inferred from the path.")
def ingest(path: Path, office: str | None, year: int | None) -> None:
    """Read one file: what was read, mapped and rejected, with row numbers. Exit 2 if unusable."""
    from rich.console import Console

    from sentra.ingest import read_submission

    office, year = _resolve(path, office, year)
    console = Console()
    result = read_submission(
        path, file_name=path.name, office_code=office, census_year=year, submission_id="cli"
    )
    if result.file_error:
        console.print(
            f"[red]file rejected[/] ({result.file_error.code}): {result.file_error.message_id}"
        )
        raise SystemExit(2)
    _print_read(console, result)
    console.print(_problem_table(result.rows, only_rejected=False))
