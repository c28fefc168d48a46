"""``sentra reports``: send the reports of a census year, or see what is not delivered."""

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
    click.echo(
        f"census {census_year} version {summary['version']}: {summary['sent']} sent, "
        f"{summary['skipped_already_sent']} already sent"
    )


@reports.command("status")
@click.option("--year", "census_year", type=int, required=True)
def status(census_year: int) -> None:
    """Deliveries that are pending or failed, with their last error."""
    from sentra.config import get_settings
    from sentra.reports.delivery import pending_or_failed

    rows = pending_or_failed(get_settings(), census_year)
    if not rows:
        click.echo(f"census {census_year}: every report was delivered")
        return
    for r in rows:
        error = r["last_error"] or ""
        click.echo(f"{r['office_code']:<8} {r['kind']:<9} {r['status']:<8} {r['attempts']} {error}")
    raise SystemExit(1)
