"""``sentra reports``: send the reports of a census year, or see what was delivered."""

from __future__ import annotations

import click


@click.group("reports")
def reports() -> None:
    """Quality reports to regional offices."""


@reports.command("send")
@click.option("--year", "census_year", type=int, required=True)
def send(census_year: int) -> None:
    """Send every report of the latest publication (exactly once; failed ones are retried)."""
    from sentra.reports import DeliveryFailed, send_reports

    try:
        summary = send_reports(None, census_year)
    except DeliveryFailed as exc:
        raise click.ClickException(str(exc)) from exc
    if summary.version is None:
        click.echo(f"census {census_year}: nothing published yet; no reports sent")
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.by_kind.items())) or "none"
    click.echo(
        f"census {census_year} version {summary.version}: {summary.sent} sent ({kinds}), "
        f"{summary.skipped_already_sent} already sent, {summary.undeliverable} newly "
        "undeliverable (no address; see `sentra reports status`)"
    )


@reports.command("status")
@click.option("--year", "census_year", type=int, required=True)
@click.option("--all", "show_all", is_flag=True, help="Also list delivered reports.")
def status(census_year: int, show_all: bool) -> None:
    """Deliveries pending, failed or undeliverable (exit 1 if any), with their last error."""
    from sentra.config import get_settings
    from sentra.ledger.db import session_scope
    from sentra.reports.delivery import deliveries

    with session_scope(get_settings()) as session:
        rows = deliveries(session, census_year, only_unsent=not show_all)
    waiting = [r for r in rows if r["status"] == "undeliverable"]
    others = [r for r in rows if r["status"] != "undeliverable"]
    unsent = [r for r in others if r["status"] not in ("sent", "superseded")]
    for r in others:
        error = r["last_error"] or ""
        click.echo(
            f"{r['office_code']:<8} {r['kind']:<9} {r['status']:<8} attempts={r['attempts']} "
            f"{', '.join(r['recipients'])} {error}".rstrip()
        )
    if waiting:
        click.echo(
            f"undeliverable: {len(waiting)} report(s) kept for offices without an address "
            "(add it with `sentra offices import`, then `sentra reports send`):"
        )
        for r in waiting:
            click.echo(f"  {r['office_code']:<8} {r['kind']:<9} {r['last_error'] or ''}".rstrip())
    if not unsent and not waiting:
        click.echo(f"census {census_year}: every report was delivered")
        return
    if not unsent:
        click.echo(f"census {census_year}: every report with an address was delivered")
    raise SystemExit(1)
