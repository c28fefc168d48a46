"""``sentra offices``: the maintained office directory (the only source of recipients)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("offices")
def offices() -> None:
    """Import, validate and list the office directory."""


@offices.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_cmd(path: Path) -> None:
    """Check a directory CSV (office_code,office_name,province_code,emails); exit 1 on problems."""
    from sentra.offices import DirectoryError, load_directory

    try:
        frame = load_directory(path)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{path}: {len(frame)} offices, all valid")


@offices.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(path: Path) -> None:
    """Validate and load the directory into the ledger (replaces each office's entry)."""
    from sentra.config import get_settings
    from sentra.ledger import repository as repo
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import DirectoryError, load_directory

    try:
        frame = load_directory(path)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = get_settings()
    migrate(settings)
    with session_scope(settings) as session:
        n = repo.upsert_offices(session, frame)
    click.echo(f"imported {n} offices from {path}")


@offices.command("list")
def list_cmd() -> None:
    """The offices in the ledger and where their reports go."""
    from rich.console import Console
    from rich.table import Table

    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    with session_scope() as session:
        frame = repo.load_offices(session)
    table = Table(title=f"{len(frame)} offices")
    for col in ("office_code", "office_name", "emails"):
        table.add_column(col)
    for rec in frame.to_dict("records"):
        table.add_row(rec["office_code"], rec["office_name"], ", ".join(rec["emails"] or []))
    Console().print(table)
