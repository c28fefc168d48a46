"""Delivery: claim in the ledger, send through a transport, record the outcome.

Transports: a file outbox of ``.eml`` files (the embedded default), SMTP through the
Airflow connection ``settings.smtp_conn_id`` (production), or plain SMTP host/port
(tests against a real server on loopback). SMTP failures are retried with
exponential backoff and end as ``failed`` with the last error — never lost.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sentra.config import Settings

if TYPE_CHECKING:
    from sentra.reports import OutgoingMessage

log = logging.getLogger(__name__)


class Transport(Protocol):
    def send(self, message: EmailMessage, recipients: list[str]) -> None: ...


class OutboxTransport:
    """Writes each message as an .eml file (what the embedded default 'sends')."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(
            ch if ch.isalnum() or ch in "._-" else "_" for ch in str(message["Message-ID"])
        )
        path = self.folder / f"{safe.strip('_')}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        tmp.replace(path)


class SmtpTransport:
    """Plain SMTP (STARTTLS when asked); used directly in tests and via the Airflow connection."""

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
            smtp.send_message(message, to_addrs=recipients)


def airflow_smtp_transport(conn_id: str) -> SmtpTransport:
    """SMTP settings from the Airflow connection (secrets stay in Airflow)."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    extra = conn.extra_dejson or {}
    return SmtpTransport(
        conn.host or "localhost",
        int(conn.port or 25),
        user=conn.login or None,
        password=conn.password or None,
        starttls=not extra.get("disable_tls", True) and not extra.get("disable_ssl", True),
        ssl=not extra.get("disable_ssl", True) and extra.get("use_ssl", False),
        timeout=float(extra.get("timeout", 30)),
    )


def transport_for(settings: Settings) -> Transport:
    if settings.mail_mode == "outbox":
        return OutboxTransport(Path(settings.outbox_dir))
    if settings.mail_mode == "smtp":
        return airflow_smtp_transport(settings.smtp_conn_id)
    raise ValueError(f"SENTRA_MAIL_MODE must be 'outbox' or 'smtp', not {settings.mail_mode!r}")


def deliver(settings: Settings, transport: Transport, item: OutgoingMessage) -> str:
    """'sent', 'skipped' (already sent for this version) or the last error after retries."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    key = (item.census_year, item.office_code, item.kind, item.version_key)
    with session_scope(settings) as session:
        row = session.scalar(
            select(ReportDelivery).where(
                ReportDelivery.census_year == key[0],
                ReportDelivery.office_code == key[1],
                ReportDelivery.kind == key[2],
                ReportDelivery.version_key == key[3],
            )
        )
        if row is not None and row.status == "sent":
            return "skipped"
        if row is None:
            try:
                with session.begin_nested():
                    session.add(
                        ReportDelivery(
                            census_year=key[0],
                            office_code=key[1],
                            kind=key[2],
                            version_key=key[3],
                            status="pending",
                            attempts=0,
                            recipients=item.recipients,
                            subject=str(item.message["Subject"]),
                            message_id=str(item.message["Message-ID"]),
                        )
                    )
            except IntegrityError:  # a concurrent run claimed it first
                return "skipped"
    last_error = ""
    for attempt in range(settings.smtp_max_attempts):
        try:
            transport.send(item.message, item.recipients)
            _finish(settings, key, "sent", attempt + 1, None)
            return "sent"
        except (OSError, smtplib.SMTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            log.warning("sending %s failed (attempt %d): %s", key, attempt + 1, last_error)
            if attempt < settings.smtp_max_attempts - 1:
                time.sleep(min(0.5 * 2**attempt, 30))
    _finish(settings, key, "failed", settings.smtp_max_attempts, last_error)
    return last_error


def _finish(settings: Settings, key: tuple, status: str, attempts: int, error: str | None) -> None:
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:
        row = session.scalar(
            select(ReportDelivery).where(
                ReportDelivery.census_year == key[0],
                ReportDelivery.office_code == key[1],
                ReportDelivery.kind == key[2],
                ReportDelivery.version_key == key[3],
            )
        )
        row.status = status
        row.attempts = (row.attempts or 0) + attempts
        row.last_error = error
        if status == "sent":
            row.sent_at = datetime.now(UTC)


def pending_or_failed(settings: Settings, census_year: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:
        rows = session.scalars(
            select(ReportDelivery).where(
                ReportDelivery.census_year == census_year, ReportDelivery.status != "sent"
            )
        ).all()
        return [
            {
                "office_code": r.office_code,
                "kind": r.kind,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in rows
        ]
