"""``sentra ledger``: migrate the ledger, list a round's submissions, import the register."""

from __future__ import annotations

from pathlib import Path

import click

from sentra.cli.show import cells


@click.group("ledger")
def ledger() -> None:
    """The pipeline's memory: schema, submissions, the sentra register."""


@ledger.command("migrate")
def migrate_cmd() -> None:
    """Bring the ledger schema to the newest migration (safe to run any time)."""
    from sentra.config import get_settings
    from sentra.ledger.db import current_revision, migrate

    settings = get_settings()
    before = current_revision(settings)
    migrate(settings)
    after = current_revision(settings)
    where = settings.redacted()["ledger_url"]
    if before == after:
        click.echo(f"ledger {where} already at {after}")
    else:
        click.echo(f"ledger {where} migrated {before or '(empty)'} -> {after}")


@ledger.command("submissions")
@click.option("--year", "census_year", type=int, required=True, help="Census year")
@click.option("--all", "show_all", is_flag=True, help="Include superseded files")
def submissions_cmd(census_year: int, show_all: bool) -> None:
    """One line per submitted file: office, file, status, rows, error."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from sentra.config import get_settings
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = get_settings()
    with session_scope(settings) as session:
        query = select(Submission).where(Submission.census_year == census_year)
        if not show_all:
            query = query.where(Submission.status != "superseded")
        subs = session.scalars(query.order_by(Submission.office_code, Submission.received_at)).all()
    table = Table(title=f"Submissions {census_year} ({len(subs)})")
    for column in ("office", "file", "status", "rows", "accepted", "rejected", "error"):
        table.add_column(column, justify="right" if column in ("rows", "accepted") else "left")
    for s in subs:
        error = f"{s.error_code}: {s.error_message or ''}".strip() if s.error_code else ""
        status = s.status + (f" by {s.superseded_by}" if s.superseded_by else "")
        table.add_row(
            *cells(
                (
                    s.office_code,
                    s.file_name,
                    status,
                    _num(s.rows_total),
                    _num(s.rows_accepted),
                    _num(s.rows_rejected),
                    error,
                )
            )
        )
    Console().print(table)


def _num(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


@ledger.group("register")
def register() -> None:
    """The national sentra register."""


@register.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def register_import(csv_file: Path) -> None:
    """Load the national register from a CSV (sentra_id, region_code, sentra_name, …).

    Idempotent: importing the same file again changes nothing; a corrected file
    updates the entries. The file is refused whole when any cell is wrong. For the
    register as the ministry holds it (XLSX/CSV, messy headers, no ids yet), use
    `sentra register import`, which reads it like a submission.
    """
    import pandas as pd

    from sentra.config import get_settings
    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope

    settings = get_settings()
    try:
        frame = pd.read_csv(csv_file, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise click.ClickException(f"{csv_file}: not a readable CSV file: {exc}") from exc
    migrate(settings)
    try:
        with session_scope(settings) as session:
            n = repo.import_register(session, frame, source=str(csv_file))
    except repo.RegisterImportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{n:,} register entries imported from {csv_file}")
