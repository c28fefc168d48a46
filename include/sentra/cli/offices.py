"""``sentra offices``: the maintained office directory (the only source of recipients)."""

from __future__ import annotations

from pathlib import Path

import click

from sentra.cli.show import cells


@click.group("offices")
def offices() -> None:
    """Import, validate and list the office directory."""


def _read(path: Path):
    from sentra.offices import DirectoryError, read_directory

    try:
        return read_directory(path)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from exc


@offices.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_cmd(path: Path) -> None:
    """Check a directory CSV (office_code,office_name,province_code,emails); exit 1 on problems."""
    found = _read(path)
    emails = sum(len(o.emails) for o in found)
    click.echo(f"{path}: {len(found)} offices, {emails} email addresses, all valid")


@offices.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(path: Path) -> None:
    """Add the CSV's e-mail addresses to the directory (every Kemendagri office is in it).

    A listed office gets exactly the addresses of its line; offices the CSV does not
    list keep theirs. Names stay the official ones.
    """
    from sentra.config import get_settings
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import import_directory

    _read(path)  # validation errors before touching the ledger
    settings = get_settings()
    migrate(settings)
    with session_scope(settings) as session:
        n = import_directory(session, path)
    click.echo(f"addresses of {n} offices imported from {path}")


@offices.command("list")
def list_cmd() -> None:
    """The offices in the ledger and where their reports go."""
    from rich.console import Console
    from rich.table import Table

    from sentra.config import get_settings
    from sentra.ledger.db import session_scope
    from sentra.offices import list_offices

    with session_scope(get_settings()) as session:
        found = list_offices(session)
    table = Table(title=f"{len(found)} offices")
    for col in ("office_code", "office_name", "emails", "active"):
        table.add_column(col)
    for o in found:
        table.add_row(
            *cells((o.office_code, o.office_name, ", ".join(o.emails), "yes" if o.active else "no"))
        )
    Console().print(table)
