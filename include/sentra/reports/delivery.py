"""Delivery: claim in the ledger, send through a transport, record the outcome.

Exactly once per (census year, office, kind, version key): the ``report_delivery``
row is claimed *before* sending (its unique constraint makes a second claim fail),
marked ``sent`` after. A retry or rerun finds ``sent`` and sends nothing. A row left
``pending`` by a crash mid-send, or ``failed`` after its retries, is sent again by
the next run: the one duplicate possible is a crash after the mail server accepted
the message and before the ledger commit (at-least-once inside that window), and
the deterministic Message-ID lets mail systems drop it. Each send attempt bumps
``attempts`` with a compare-and-set, so two workers racing on the same pending row
cannot both send.

Transports: :class:`OutboxTransport` (``.eml`` files, the embedded default),
:class:`AirflowSmtpTransport` (production, the Airflow SMTP connection) and
:class:`SmtpTransport` (plain host/port, used by tests against a real server).
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sentra.config import Settings

log = logging.getLogger(__name__)


class Transport(Protocol):
    def send(self, message: EmailMessage, recipients: list[str]) -> None: ...


class PermanentDeliveryError(RuntimeError):
    """Retrying cannot help (e.g. the server refused the recipients with a 5xx)."""


class OutboxTransport:
    """Writes each message as ``<Message-ID>.eml`` (what the embedded default 'sends')."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message: EmailMessage) -> Path:
        safe = "".join(
            ch if ch.isalnum() or ch in "._-" else "_" for ch in str(message["Message-ID"])
        )
        return self.folder / f"{safe.strip('_')}.eml"

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(message)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        tmp.replace(path)  # atomic: a reader never sees half a message


class SmtpTransport:
    """Plain SMTP to host:port (STARTTLS / SSL / login when asked)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.ssl, self.timeout = starttls, ssl, timeout

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with cls(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            _send(smtp, message, recipients)


class AirflowSmtpTransport:
    """Through the Airflow SMTP connection, so its host, TLS, login or OAuth2 apply.

    ``SmtpHook.send_email_smtp`` builds its own message (no inline images, no
    Message-ID of ours), so the hook is used to open and authenticate the
    connection and the pre-built message goes through its SMTP client.
    """

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=self.conn_id) as hook:
            client = getattr(hook, "_smtp_client", None)
            if client is None:
                raise PermanentDeliveryError(
                    f"Airflow SMTP connection {self.conn_id!r} gave no client"
                )
            _send(client, message, recipients)


def _send(smtp: smtplib.SMTP, message: EmailMessage, recipients: list[str]) -> None:
    refused = smtp.send_message(message, to_addrs=recipients)
    if refused:  # some recipients refused: the office would silently miss its report
        raise PermanentDeliveryError(f"recipients refused by the server: {refused}")


def transport_for(settings: Settings) -> Transport:
    """The transport ``settings.mail_mode`` asks for."""
    if settings.mail_mode == "outbox":
        return OutboxTransport(Path(settings.outbox_dir))
    if settings.mail_mode == "smtp":
        return AirflowSmtpTransport(settings.smtp_conn_id)
    raise ValueError(f"SENTRA_MAIL_MODE must be 'outbox' or 'smtp', not {settings.mail_mode!r}")


def _transient(exc: BaseException) -> bool:
    """Network trouble and 4xx replies are worth retrying; 5xx replies and bugs are not."""
    if isinstance(exc, PermanentDeliveryError | smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, OSError | smtplib.SMTPException)


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


def claim(
    settings: Settings, key: DeliveryKey, message: EmailMessage, recipients: list[str]
) -> int | None:
    """Claim the delivery; its current attempt count, or None when it was already sent."""
    from sqlalchemy import select
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
                    status="pending",
                    attempts=0,
                    recipients=list(recipients),
                    subject=str(message["Subject"]),
                    message_id=str(message["Message-ID"]),
                )
            )
        return 0
    except IntegrityError:
        pass  # claimed before: sent, or pending/failed from an earlier run
    with session_scope(settings) as session:
        row = session.scalar(select(ReportDelivery).where(*_where(key)))
        if row is None or row.status == "sent":
            return None
        log.info("delivery %s was left %s by an earlier run; sending it again", key, row.status)
        return row.attempts or 0


def _begin_attempt(settings: Settings, key: DeliveryKey, seen: int) -> bool:
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
        return result.rowcount == 1


def _finish(settings: Settings, key: DeliveryKey, status: str, error: str | None) -> None:
    from sqlalchemy import update

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = datetime.now(UTC)
    with session_scope(settings) as session:
        session.execute(update(ReportDelivery).where(*_where(key)).values(**values))


def deliver(
    settings: Settings,
    transport: Transport,
    key: DeliveryKey,
    message: EmailMessage,
    recipients: list[str],
    *,
    backoff_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str | None]:
    """Send one message at most once per key: ('sent'|'skipped'|'failed', last error)."""
    seen = claim(settings, key, message, recipients)
    if seen is None:
        return "skipped", None
    last_error = ""
    for attempt in range(max(settings.smtp_max_attempts, 1)):
        if not _begin_attempt(settings, key, seen):
            return "skipped", None  # another worker took this delivery over
        seen += 1
        try:
            transport.send(message, recipients)
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            log.warning("sending %s failed (attempt %d): %s", key, attempt + 1, last_error)
            if not _transient(exc) or attempt == settings.smtp_max_attempts - 1:
                break
            sleep(min(backoff_seconds * 2**attempt, 60.0))
            continue
        _finish(settings, key, "sent", None)
        _retire_undeliverable(settings, key)
        return "sent", None
    _finish(settings, key, "failed", last_error)
    return "failed", last_error


def _retire_undeliverable(settings: Settings, key: DeliveryKey) -> int:
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
        return result.rowcount


def record_undeliverable(settings: Settings, key: DeliveryKey, subject: str, why: str) -> bool:
    """Keep a report the office has no address for; True when newly listed.

    The row waits in the delivery ledger with status ``undeliverable`` (shown by
    ``sentra reports status``); once ``sentra offices import`` gives the office an
    address, the next send claims the same key and delivers it like any unsent report.
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
                    status="undeliverable",
                    attempts=0,
                    recipients=[],
                    subject=subject,
                    last_error=why,
                )
            )
        return True
    except IntegrityError:
        return False  # listed by an earlier run (or sent, when the address came later)
    finally:
        _retire_undeliverable(settings, key)


def deliveries(
    settings: Settings, census_year: int, *, only_unsent: bool = False
) -> list[dict[str, Any]]:
    """The delivery ledger of a census year, for ``sentra reports status``."""
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    stmt = select(ReportDelivery).where(ReportDelivery.census_year == census_year)
    if only_unsent:
        stmt = stmt.where(ReportDelivery.status.not_in(("sent", "superseded")))
    with session_scope(settings) as session:
        return [
            {
                "office_code": r.office_code,
                "kind": r.kind,
                "version_key": r.version_key,
                "status": r.status,
                "attempts": r.attempts,
                "recipients": list(r.recipients or []),
                "subject": r.subject,
                "message_id": r.message_id,
                "sent_at": r.sent_at,
                "last_error": r.last_error,
            }
            for r in session.scalars(
                stmt.order_by(ReportDelivery.office_code, ReportDelivery.kind, ReportDelivery.id)
            )
        ]


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
