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
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sentra.ledger import outbox

# The delivery ledger's operations live in sentra.ledger.outbox (each its own unit of
# work); the names callers reach through this module stay here.
from sentra.ledger.outbox import (  # noqa: F401 - re-exported
    DeliveryKey,
    claim,
    offices_reported_before,
    record_undeliverable,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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
        if not outbox.begin_attempt(settings, key, seen):
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
        outbox.finish(settings, key, "sent", None)
        outbox.retire_undeliverable(settings, key)
        return "sent", None
    outbox.finish(settings, key, "failed", last_error)
    return "failed", last_error


def deliveries(
    session: Session, census_year: int, *, only_unsent: bool = False
) -> list[dict[str, Any]]:
    """The delivery ledger of a census year, for ``sentra reports status``."""
    from sqlalchemy import select

    from sentra.ledger.models import ReportDelivery

    stmt = select(ReportDelivery).where(ReportDelivery.census_year == census_year)
    if only_unsent:
        stmt = stmt.where(ReportDelivery.status.not_in(("sent", "superseded")))
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
