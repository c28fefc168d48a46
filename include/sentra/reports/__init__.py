"""Quality reports to regional offices, in Bahasa Indonesia, sent exactly once per result.

After each publication every office that submitted gets a report (rows rejected by
reason with its own row numbers and what to fix, duplicates merged, sentra flagged),
offices that did not submit get a reminder listing their registered sentra, and the
central office gets a national summary. Recipients come only from the office directory.

Exactly once: a ``report_delivery`` row keyed by (census year, office, kind, result
version) is claimed before sending and marked sent after; a rerun or retry finds it
sent and sends nothing. The only possible duplicate is a crash between the mail
server accepting a message and the ledger commit; the Message-ID is derived from the
delivery key so mail systems can drop that duplicate.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings

if TYPE_CHECKING:
    from email.message import EmailMessage

log = logging.getLogger(__name__)


@dataclass
class DeliverySummary:
    census_year: int
    version: int | None = None
    sent: int = 0
    skipped_already_sent: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "census_year": self.census_year,
            "version": self.version,
            "sent": self.sent,
            "skipped_already_sent": self.skipped_already_sent,
            "failed": self.failed,
            "failures": self.failures,
        }


class DeliveryFailed(RuntimeError):  # noqa: N818 - names the outcome an operator sees
    """Some reports could not be delivered after retries (all others were attempted)."""


def message_id(census_year: int, office_code: str, kind: str, version_key: str, domain: str) -> str:
    digest = hashlib.sha256(
        f"{census_year}|{office_code}|{kind}|{version_key}".encode()
    ).hexdigest()
    return f"<sentra.{census_year}.{office_code}.{kind}.{digest[:16]}@{domain}>"


def send_reports(
    settings: Settings | None = None,
    census_year: int | None = None,
    *,
    transport: Any = None,
) -> dict[str, Any]:
    """Build and deliver every report of the latest publication of a census year."""
    from sentra.reports.build import build_all
    from sentra.reports.delivery import deliver, transport_for

    settings = settings or get_settings()
    if census_year is None:
        raise ValueError("census_year is required")
    transport = transport or transport_for(settings)
    summary = DeliverySummary(census_year)
    messages = build_all(settings, census_year)
    if messages is None:
        log.info("census %s: nothing published yet; no reports", census_year)
        return summary.as_dict()
    summary.version = messages.version
    for item in messages.items:
        outcome = deliver(settings, transport, item)
        if outcome == "sent":
            summary.sent += 1
        elif outcome == "skipped":
            summary.skipped_already_sent += 1
        else:
            summary.failed += 1
            summary.failures.append(f"{item.office_code}/{item.kind}: {outcome}")
    log.info("census %s reports: %s", census_year, summary.as_dict())
    if summary.failed:
        raise DeliveryFailed(
            f"{summary.failed} report(s) not delivered after retries: {'; '.join(summary.failures)}"
        )
    return summary.as_dict()


@dataclass
class OutgoingMessage:
    census_year: int
    office_code: str
    kind: str  # report | reminder | summary
    version_key: str
    message: EmailMessage

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in str(self.message["To"]).split(",") if a.strip()]


__all__ = ["DeliveryFailed", "DeliverySummary", "OutgoingMessage", "send_reports"]
