"""The delivery ledger (``report_delivery``): the outbox half of exactly-once e-mail.

:mod:`sentra.reports.delivery` sends; this module claims, counts attempts and records
outcomes. Each function here is its own unit of work and opens its own session, on
purpose: the protocol needs every step committed on its own, around a send that is
not part of any transaction. The claim must be committed *before* the message goes
out (its unique key is what stops a second sender), each attempt is a committed
compare-and-set on ``attempts`` (two workers racing on one pending row cannot both
send), and the outcome is committed after. Handing these steps a caller's session
would put them in one transaction and break exactly that. So they belong to the
ledger, which the house rule lets open sessions, rather than to the code that sends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from email.message import EmailMessage

    from sqlalchemy import CursorResult

    from sentra.config import Settings

log = logging.getLogger("sentra.reports.delivery")  # the sender's log, as before


@dataclass(frozen=True)
class DeliveryKey:
    census_year: int
    office_code: str
    kind: str  # report | reminder | summary
    version_key: str

    def __str__(self) -> str:
        return f"{self.census_year}/{self.office_code}/{self.kind}/{self.version_key[:12]}"


def _where(key: DeliveryKey) -> tuple:
    from sentra.ledger.models import ReportDelivery

    return (
        ReportDelivery.census_year == key.census_year,
        ReportDelivery.office_code == key.office_code,
        ReportDelivery.kind == key.kind,
        ReportDelivery.version_key == key.version_key,
    )


def _insert_once(settings: Settings, key: DeliveryKey, **fields: Any) -> bool:
    """Add the delivery row for ``key`` in its own transaction; False when it exists.

    The unique key is the exactly-once guard: whoever inserts first owns the delivery.
    """
    from sqlalchemy.exc import IntegrityError

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    try:
        with session_scope(settings) as session:
            session.add(
                ReportDelivery(
                    census_year=key.census_year,
                    office_code=key.office_code,
                    kind=key.kind,
                    version_key=key.version_key,
                    attempts=0,
                    **fields,
                )
            )
    except IntegrityError:
        return False
    return True


def claim(
    settings: Settings, key: DeliveryKey, message: EmailMessage, recipients: list[str]
) -> int | None:
    """Claim the delivery; its current attempt count, or None when it was already sent."""
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    if _insert_once(
        settings,
        key,
        status="pending",
        recipients=list(recipients),
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
    ):
        return 0
    # Claimed before: sent, or pending/failed from an earlier run.
    with session_scope(settings) as session:
        row = session.scalar(select(ReportDelivery).where(*_where(key)))
        if row is None or row.status == "sent":
            return None
        log.info("delivery %s was left %s by an earlier run; sending it again", key, row.status)
        return row.attempts or 0


def begin_attempt(settings: Settings, key: DeliveryKey, seen: int) -> bool:
    """Compare-and-set ``attempts``: only one worker may send a given attempt."""
    from sqlalchemy import update

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:
        result = session.execute(
            update(ReportDelivery)
            .where(*_where(key), ReportDelivery.attempts == seen, ReportDelivery.status != "sent")
            .values(attempts=seen + 1, status="pending")
        )
        return cast("CursorResult[Any]", result).rowcount == 1


def finish(settings: Settings, key: DeliveryKey, status: str, error: str | None) -> None:
    from sqlalchemy import update

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = datetime.now(UTC)
    with session_scope(settings) as session:
        session.execute(update(ReportDelivery).where(*_where(key)).values(**values))


def retire_undeliverable(settings: Settings, key: DeliveryKey) -> int:
    """Older undeliverable versions of this office's report: replaced by ``key``'s.

    The office's report is rebuilt each run, and its content (hence key) changes when,
    say, its address is added; only the newest version is the one still owed.
    """
    from sqlalchemy import update

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:
        result = session.execute(
            update(ReportDelivery)
            .where(
                ReportDelivery.census_year == key.census_year,
                ReportDelivery.office_code == key.office_code,
                ReportDelivery.kind == key.kind,
                ReportDelivery.version_key != key.version_key,
                ReportDelivery.status == "undeliverable",
            )
            .values(status="superseded")
        )
        return cast("CursorResult[Any]", result).rowcount


def record_undeliverable(settings: Settings, key: DeliveryKey, subject: str, why: str) -> bool:
    """Keep a report the office has no address for; True when newly listed.

    The row waits in the delivery ledger with status ``undeliverable`` (shown by
    ``sentra reports status``); once ``sentra offices import`` gives the office an
    address, the next send claims the same key and delivers it like any unsent report.
    """
    try:
        # False: listed by an earlier run (or sent, when the address came later).
        return _insert_once(
            settings, key, status="undeliverable", recipients=[], subject=subject, last_error=why
        )
    finally:
        retire_undeliverable(settings, key)


def offices_reported_before(
    settings: Settings, census_year: int, kind: str = "report", *, sent_only: bool = True
) -> dict[str, set[str]]:
    """office_code -> version keys of a kind (sent ones, or every claimed one).

    Reports use the sent keys to label a changed result as an update; the census round
    uses every claimed form's key (its content hash) to recognise its own forms.
    """
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    out: dict[str, set[str]] = {}
    stmt = select(ReportDelivery.office_code, ReportDelivery.version_key).where(
        ReportDelivery.census_year == census_year, ReportDelivery.kind == kind
    )
    if sent_only:
        stmt = stmt.where(ReportDelivery.status == "sent")
    with session_scope(settings) as session:
        rows = session.execute(stmt).all()
    for office_code, version_key in rows:
        out.setdefault(office_code, set()).add(version_key)
    return out
