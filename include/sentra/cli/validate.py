"""``sentra validate FILE``: would this submission be accepted, and what must the office fix?

Runs the same ingestion and validation the pipeline runs on one file and prints its
problems with the office's own row number, the column as the office names it, the
value and the Indonesian message the office will read (the first ``--limit``, and a
count of all by column and reason when there are more), then a summary. Exit code 1
when the file would be held for review or rejected as a whole, so scripts and CI
can gate on it; 0 when it would go on to consolidation.
"""

from __future__ import annotations

from pathlib import Path

import click

from sentra.cli.show import escape
from sentra.cli.submission import DEFAULT_LIMIT, print_problems, resolve_office_and_year


@click.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--office", help="Office code, e.g. 34.02 (default: from landing/<year>/<office>/).")
@click.option("--year", type=int, help="Census year (default: from the landing path).")
@click.option("--suite", default="census_record", show_default=True, help="Suite in expectations/.")
@click.option(
    "--limit",
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Most problems to list (0: all of them).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the verdict, column mapping and every row with its values (for tooling).",
)
def validate(
    path: Path, office: str | None, year: int | None, suite: str, limit: int, fmt: str
) -> None:
    """Ingest + validate one file; exit 1 when it would be held for review or rejected."""
    from rich.console import Console

    from sentra.config import get_settings
    from sentra.ingest import read_submission
    from sentra.quality import validate as run_validation
    from sentra.reports.render import angka
    from sentra.schema import column_label, reason

    office, year = resolve_office_and_year(path, office, year)
    settings = get_settings()
    console = Console()
    parsed = read_submission(
        path.read_bytes(),
        file_name=path.name,
        office_code=office,
        census_year=year,
        submission_id=f"{year}-{office}-cli",
        settings=settings,
    )
    if fmt == "json":
        from sentra.cli.report_json import document, dumps

        checked = None
        if parsed.file_error is None:
            checked = run_validation(
                parsed.rows, office_code=office, census_year=year, settings=settings, suite=suite
            )
        doc = document(
            parsed, file_name=path.name, office_code=office, census_year=year, validation=checked
        )
        click.echo(dumps(doc))
        if checked is None or checked.held:
            raise SystemExit(1)
        return
    if parsed.file_error is not None:
        err = parsed.file_error
        text = getattr(err, "message_id", None) or getattr(err, "message", None) or err.code
        console.print(f"[bold red]Berkas ditolak seluruhnya[/] ({err.code}): {escape(text)}")
        raise SystemExit(1)
    result = run_validation(
        parsed.rows, office_code=office, census_year=year, settings=settings, suite=suite
    )

    title = f"Masalah per baris: {escape(path.name)} (nomor baris sesuai berkas dinas)"
    print_problems(console, result.rows, title=title, limit=limit)
    for w in result.warnings:
        label = column_label(w["column"]) if w.get("column") else ""
        text = reason(w["code"]).render("id", column=label, value=w.get("value"))
        console.print(f"[yellow]Peringatan[/] ({w['code']}): {escape(text)}")

    total = len(result.rows)
    share = f"{100 * result.rejected_share:.1f}".replace(".", ",")  # Indonesian: 7,1%
    limit_pct = 100 * settings.reject_share_threshold
    console.print(
        f"{angka(total)} baris: {angka(result.accepted)} diterima, "
        f"{angka(result.rejected)} ditolak ({share}%; batas {limit_pct:.0f}%)."
    )
    if result.held:
        console.print(
            "[bold red]DITAHAN untuk ditinjau[/]: porsi baris ditolak melebihi batas; "
            "berkas tidak ikut konsolidasi sampai diperbaiki atau disetujui."
        )
        raise SystemExit(1)
    console.print("[green]Dapat dikonsolidasi[/]: baris yang diterima ikut konsolidasi.")
