"""``sentra register``: bring the national register the ministry already has."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("register")
def register() -> None:
    """The national sentra register (stable sentra_ids that every round links to)."""


@register.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--details", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every rejected row and duplicate pair to this CSV.")  # fmt: skip
def import_cmd(path: Path, details: Path | None) -> None:
    """Import a register file (XLSX/CSV, the offices' headers and formats).

    Rows become register entries with stable sentra_ids; importing the same file again
    changes nothing and an updated file updates its entries. Prints what was imported,
    each rejected row with its reasons, and possible duplicates inside the file.
    """
    from sentra.cli.rounds import prepare_ledger
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope
    from sentra.register_import import RegisterFileError, import_register_file

    settings = get_settings()
    prepare_ledger(settings)
    try:
        with session_scope(settings) as session:  # the import is one transaction
            report = import_register_file(session, settings, path)
    except RegisterFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if details:
        report.write_details(details)
        click.echo(f"details: {details}")
