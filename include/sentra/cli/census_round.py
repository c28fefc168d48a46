"""``sentra round``: the yearly census round from the command line (what the DAG does daily)."""

from __future__ import annotations

from datetime import date, datetime

import click

from sentra.cli.show import cells


@click.group("round")
def round_cmd() -> None:
    """Open, advance and inspect the yearly census round."""


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@round_cmd.command("advance")
@click.argument("census_year", type=int)
@click.option("--today", help="The day to act for (default: today). YYYY-MM-DD.")
@click.option("--open-date", help="Open the round on this day (first time or to change it).")
@click.option("--deadline", help="Submission deadline (first time or to extend it).")
def advance_cmd(
    census_year: int, today: str | None, open_date: str | None, deadline: str | None
) -> None:
    """Do what the round's calendar asks for on a day: open, forms, reminders, close."""
    from sentra import census_round as cr
    from sentra.config import get_settings
    from sentra.ledger.db import migrate, session_scope

    settings = get_settings()
    migrate(settings)
    day = _date(today) or datetime.now().date()
    try:
        result = cr.advance(
            settings,
            census_year,
            day,
            ledger=lambda: session_scope(settings),
            open_date=_date(open_date),
            deadline=_date(deadline),
        )
    except cr.RoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"census {census_year} on {day}: {result.state}"
        + (" (opened today)" if result.opened else "")
        + (" (closed today: run census_consolidate)" if result.closed_now else "")
    )
    click.echo(f"  forms sent: {len(result.templates_sent)} {result.templates_sent}")
    click.echo(f"  reminders sent: {len(result.reminders_sent)} {result.reminders_sent}")


@round_cmd.command("status")
@click.argument("census_year", type=int)
def status_cmd(census_year: int) -> None:
    """The round's dates and, per office, form sent, reminders and submission."""
    from rich.console import Console
    from rich.table import Table

    from sentra import census_round as cr
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope

    with session_scope(get_settings()) as session:
        info = cr.status(session, census_year)
    table = Table(
        title=(
            f"census {census_year}: {info['status']}"
            + (f", {info['open_date']} → {info['deadline']}" if info.get("deadline") else "")
        )
    )
    for col in ("office", "name", "form sent", "reminders", "submitted", "covered"):
        table.add_column(col)
    for o in info["offices"]:
        table.add_row(
            *cells(
                (
                    o["office_code"],
                    o["office_name"],
                    "yes" if o["form_sent"] else "no",
                    ", ".join(o["reminders"]) or "-",
                    "yes" if o["submitted"] else "no",
                    "yes" if o["covered"] else "no",
                )
            )
        )
    Console(width=140).print(table)
