"""Quality reports to regional offices, in Bahasa Indonesia, sent exactly once per result.

After each publication every office that submitted gets a report (its files and
verdict, rows rejected by reason with its own row numbers and what to fix, duplicates
merged, sentra flagged inactive / not reported / revived, counts against last year),
offices whose area nobody submitted for get a reminder listing their registered
sentra, and the central office gets a national summary. Recipients come only from
the office directory (``sentra.offices``), never from a submitted file.

Layers: ``model`` (pure dataclasses from DataFrames), ``render`` (Jinja2, charts,
XLSX), ``delivery`` (ledger claims and transports), ``loader`` (warehouse + ledger).
Each report is keyed by a digest of its content, so an office whose report did not
change is not mailed again when another office's resubmission makes a new
consolidation, and one whose result changed gets a report labelled "Laporan
pembaruan". Delivery semantics are described in ``sentra.reports.delivery``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentra.config import Settings
    from sentra.reports.delivery import Transport
    from sentra.reports.loader import LoadedInputs

log = logging.getLogger(__name__)


@dataclass
class DeliverySummary:
    """Counts of one ``send_reports`` run (also readable as a mapping, e.g. in XCom)."""

    census_year: int
    version: int | None = None
    sent: int = 0
    skipped_already_sent: int = 0
    failed: int = 0
    undeliverable: int = 0  # kept in the delivery ledger until the office has an address
    by_kind: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __getitem__(self, name: str) -> Any:
        return self.as_dict()[name]


class DeliveryFailed(RuntimeError):  # noqa: N818 - names the outcome an operator sees
    """Some reports were not delivered after retries (all the others were attempted)."""


def send_reports(
    settings: Settings | None = None,
    census_year: int | None = None,
    *,
    inputs_loader: Callable[[Settings, int], LoadedInputs] | None = None,
    transport: Transport | None = None,
    backoff_seconds: float = 1.0,
) -> DeliverySummary:
    """Build and deliver every report of the latest publication of a census year.

    Raises :class:`DeliveryFailed` at the end when any report failed, after every
    other report was attempted, so the Airflow task shows red and a rerun retries
    only what is not sent.
    """
    from sentra.config import get_settings
    from sentra.reports import delivery as dl
    from sentra.reports import model, render
    from sentra.reports.loader import load_inputs

    settings = settings or get_settings()
    if census_year is None:
        raise ValueError("census_year is required")
    loaded = (inputs_loader or load_inputs)(settings, census_year)
    transport = transport or dl.transport_for(settings)
    summary = DeliverySummary(census_year)
    if loaded.version is None or loaded.data is None:
        log.info("census %s: nothing published yet; no reports", census_year)
        return summary
    summary.version = loaded.version.number
    # Keys already sent, per kind and office: a rerun recognises a report by its content
    # digest and skips it before rendering (charts and attachments are most of the cost).
    sent = {
        kind: dl.offices_reported_before(settings, census_year, kind)
        for kind in ("report", "reminder", "summary")
    }
    sent_before = sent["report"]
    data = loaded.data
    submitted = model.submitted_offices(data.submissions)

    def one(kind: str, office_code: str, make: Callable[[], tuple[str, Callable[[], Any]]]) -> None:
        try:
            key, build = make()
            if key in sent[kind].get(office_code, ()):
                summary.skipped_already_sent += 1
                return
            message = build()
        except Exception as exc:  # one office's bad data must not stop the others
            log.exception("building the %s for %s failed", kind, office_code)
            summary.failed += 1
            summary.failures.append(f"{office_code}/{kind}: not built: {type(exc).__name__}: {exc}")
            return
        recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
        outcome, error = dl.deliver(
            settings,
            transport,
            dl.DeliveryKey(census_year, office_code, kind, key),
            message,
            recipients,
            backoff_seconds=backoff_seconds,
        )
        if outcome == "sent":
            summary.sent += 1
            summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
        elif outcome == "skipped":
            summary.skipped_already_sent += 1
        else:
            summary.failed += 1
            summary.failures.append(f"{office_code}/{kind}: {error}")

    def office_report(office: Any) -> tuple[str, Callable[[], Any]]:
        draft = model.build_office_report(office, census_year, data, version=loaded.version)
        key = draft.digest()
        earlier = sent_before.get(office.office_code, set()) - {key}
        version = model.ReportVersion(loaded.version.number, loaded.version.key, bool(earlier))
        report = replace(draft, version=version)
        return key, lambda: render.render_office_email(report, settings, version_key=key)

    def reminder(office: Any) -> tuple[str, Callable[[], Any]]:
        report = model.build_reminder(office, census_year, data, version=loaded.version)
        key = report.digest()
        return key, lambda: render.render_reminder_email(report, settings, version_key=key)

    def national() -> tuple[str, Callable[[], Any]]:
        report = model.build_national_summary(
            loaded.offices, census_year, data, version=loaded.version
        )
        key = report.digest()
        return key, lambda: render.render_summary_email(report, settings, version_key=key)

    def undeliverable(kind: str, office: Any, make: Callable[[], tuple[str, Any]]) -> None:
        """No address: keep the report in the undeliverable list instead of losing it."""
        try:
            key, _ = make()
        except Exception as exc:
            log.exception("building the %s for %s failed", kind, office.office_code)
            summary.failed += 1
            summary.failures.append(f"{office.office_code}/{kind}: not built: {exc}")
            return
        why = "office is inactive" if not office.active else "office has no e-mail address"
        subject = f"{kind} {census_year} for {office.office_name}"
        if dl.record_undeliverable(
            settings, dl.DeliveryKey(census_year, office.office_code, kind, key), subject, why
        ):
            summary.undeliverable += 1

    for office in loaded.offices:
        if office.office_code in submitted:
            kind, make = "report", (lambda o=office: office_report(o))
        elif (
            model.needs_reminder(office.office_code, submitted)
            and model.area_mask(data.sentra, office.office_code).any()
        ):
            kind, make = "reminder", (lambda o=office: reminder(o))
        else:
            continue
        if not office.active or not office.emails:
            undeliverable(kind, office, make)
        else:
            one(kind, office.office_code, make)
    one("summary", "pusat", national)
    log.info("census %s reports: %s", census_year, summary.as_dict())
    if summary.failed:
        raise DeliveryFailed(
            f"{summary.failed} report(s) not delivered after retries "
            f"({summary.sent} sent, {summary.skipped_already_sent} already sent): "
            + "; ".join(summary.failures)
        )
    return summary


__all__ = ["DeliveryFailed", "DeliverySummary", "send_reports"]
