"""Submissions by e-mail: read the intake mailbox, file attachments, answer every sender.

The census form e-mail asks offices to *reply with the file attached*, and its
``Reply-To`` is this mailbox (``SENTRA_INTAKE_ADDRESS``). ``census_ingest`` reads it
through Airflow's IMAP connection (``SENTRA_IMAP_CONN_ID``, default ``sentra_imap``)
before discovery, so an e-mailed file is discovered, read and staged in the same run:

- a message from an address in the office directory: each supported attachment is
  stored under ``landing/<census_year>/<office_code>/`` with its content hash in the
  name (the same file twice is the same path and the same ledger submission), and the
  office gets a receipt (*tanda terima*) per file, exactly once (delivery ledger, kind
  ``receipt`` keyed by the content hash);
- a sender not in the directory, a message without attachments, or attachments of
  types the readers cannot read: nothing is stored; the sender gets a polite reply in
  Bahasa Indonesia saying what to do (once per message);

and every message is recorded in the ledger's ``intake_message`` table with its
verdict, so none is lost or handled twice (a message already recorded is only marked
read). Messages are fetched with ``BODY.PEEK`` and flagged ``\\Seen`` only after they
were recorded: a crash in between leaves them to the next run.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import imaplib

    from sentra.config import Settings
    from sentra.ledger.db import LedgerSessions
    from sentra.offices import OfficeInfo
    from sentra.reports.delivery import Transport

log = logging.getLogger(__name__)

REPLY_KINDS = {
    "unknown_sender": (
        "Alamat pengirim belum terdaftar",
        "Terima kasih atas kiriman Bapak/Ibu. Alamat e-mail {sender} belum terdaftar dalam "
        "direktori dinas sensus sentra IKM, sehingga berkas yang dilampirkan belum kami "
        "proses.\n\nMohon kirim ulang dari alamat e-mail dinas yang terdaftar, atau minta "
        "Ditjen IKMA mendaftarkan alamat ini untuk dinas Bapak/Ibu.",
    ),
    "no_attachment": (
        "Lampiran tidak ditemukan",
        "Terima kasih atas e-mail Bapak/Ibu. Kami tidak menemukan lampiran berkas data "
        "sentra pada pesan ini, sehingga belum ada yang dapat kami proses.\n\nMohon balas "
        "e-mail formulir sensus dengan melampirkan berkas Excel (.xlsx) atau CSV yang "
        "sudah diisi.",
    ),
    "unsupported_attachment": (
        "Jenis lampiran tidak dapat diproses",
        "Terima kasih atas kiriman Bapak/Ibu. Lampiran {files} bukan berkas yang dapat "
        "kami baca, sehingga belum kami proses.\n\nMohon kirim data sentra sebagai berkas "
        "Excel (.xlsx, .xls) atau CSV (.csv), bukan PDF, Word atau foto.",
    ),
}
CLOSING = (
    "\n\nSalam hormat,\nTim Sensus Sentra IKM\nDirektorat Jenderal Industri Kecil, "
    "Menengah dan Aneka - Kementerian Perindustrian\n\n(Pesan ini dikirim otomatis.)"
)
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()-]+")


@dataclass
class IntakeSummary:
    """Counts of one collection run (readable in XCom)."""

    census_year: int
    messages: int = 0
    already_recorded: int = 0
    accepted_files: int = 0
    stored_files: list[str] = field(default_factory=list)
    receipts_sent: int = 0
    replies_sent: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def supported(name: str) -> bool:
    from sentra.ingest.safety import SUPPORTED

    return PurePosixPath(name.lower()).suffix in SUPPORTED


def attachments(message: EmailMessage) -> list[Attachment]:
    """Every part that carries a file name (attachments and inline files alike)."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name:
            continue
        data = part.get_payload(decode=True)
        found.append(Attachment(str(name), data if isinstance(data, bytes) else b""))
    return found


def message_key(message: EmailMessage, raw: bytes) -> str:
    mid = (message.get("Message-ID") or "").strip()
    return mid[:300] if mid else "sha256:" + hashlib.sha256(raw).hexdigest()


def office_by_address(offices: list[OfficeInfo]) -> dict[str, list[OfficeInfo]]:
    out: dict[str, list[OfficeInfo]] = {}
    for office in offices:
        if not office.active:
            continue
        for address in office.emails:
            out.setdefault(address.strip().lower(), []).append(office)
    return out


def stored_name(attachment: Attachment) -> str:
    """``<hash12>_<name>``: the same bytes always land at the same path."""
    safe = UNSAFE_NAME.sub("_", PurePosixPath(attachment.name.replace("\\", "/")).name)
    return f"{attachment.sha256[:12]}_{safe.strip() or 'lampiran'}"


def _store(settings: Settings, census_year: int, office_code: str, att: Attachment) -> str:
    import pyarrow.fs as pafs

    from sentra.landing import filesystem

    root = settings.landing_uri.rstrip("/")
    fs, path = filesystem(settings, root)
    folder = f"{path}/{census_year}/{office_code}"
    target = f"{folder}/{stored_name(att)}"
    if fs.get_file_info(target).type == pafs.FileType.NotFound:
        fs.create_dir(folder, recursive=True)
        tmp = f"{folder}/.{stored_name(att)}.part"  # hidden: discovery ignores it
        with fs.open_output_stream(tmp) as out:
            out.write(att.data)
        fs.move(tmp, target)
    return target if not root.startswith("s3://") else f"s3://{target}"


def _reply(
    settings: Settings, original: EmailMessage, to: str, subject: str, body: str, msg_id: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.intake_address or settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-reply loops
    msg["Content-Language"] = "id"
    if original.get("Message-ID"):
        msg["In-Reply-To"] = original["Message-ID"]
        msg["References"] = original["Message-ID"]
    msg.set_content(body + CLOSING)
    return msg


def _is_auto(message: EmailMessage) -> bool:
    """Bounces and auto-replies get no answer (RFC 3834), or two robots talk forever."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    return (
        auto != "no"
        or bool(message.get("X-Autoreply"))
        or not parseaddr(message.get("From", ""))[1]
    )


def handle_message(
    settings: Settings,
    raw: bytes,
    census_year: int,
    offices: list[OfficeInfo],
    transport: Transport,
    summary: IntakeSummary,
    ledger: LedgerSessions,
) -> str:
    """File one raw message and answer its sender; returns its verdict.

    ``ledger()`` opens a ledger transaction: one to see whether the message is already
    filed, one to record it once its attachments are landed.
    """
    from sqlalchemy.exc import IntegrityError

    from sentra.ledger.models import IntakeMessage
    from sentra.reports import delivery as dl
    from sentra.reports.render import message_id

    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    key = message_key(message, raw)
    with ledger() as session:
        if session.get(IntakeMessage, key) is not None:
            summary.already_recorded += 1
            return "already_recorded"
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    reply_to = [a for _, a in getaddresses([str(message.get("Reply-To", ""))]) if a]
    answer_to = reply_to[0] if reply_to else sender
    found = attachments(message)
    matches = office_by_address(offices).get(sender, [])
    office = matches[0] if len(matches) == 1 else None
    files: list[dict[str, Any]] = []
    if office is None:
        verdict = "unknown_sender"
        files = [{"name": a.name, "sha256": a.sha256, "taken": False} for a in found]
    elif not found:
        verdict = "no_attachment"
    else:
        taken = [a for a in found if supported(a.name)]
        refused = [a for a in found if not supported(a.name)]
        verdict = "accepted" if taken else "unsupported_attachment"
        for a in taken:
            uri = _store(settings, census_year, office.office_code, a)
            summary.stored_files.append(uri)
            files.append({"name": a.name, "sha256": a.sha256, "taken": True, "stored": uri})
        files += [{"name": a.name, "sha256": a.sha256, "taken": False} for a in refused]
    try:
        with ledger() as session:
            session.add(
                IntakeMessage(
                    message_key=key,
                    census_year=census_year,
                    received_at=datetime.now(UTC),
                    sender=sender or "(tanpa alamat)",
                    subject=str(message.get("Subject", ""))[:2000],
                    office_code=office.office_code if office else None,
                    verdict=verdict,
                    files=files,
                )
            )
    except IntegrityError:  # another run recorded it first
        summary.already_recorded += 1
        return "already_recorded"
    summary.messages += 1
    summary.by_verdict[verdict] = summary.by_verdict.get(verdict, 0) + 1
    mail_from = settings.intake_address or settings.mail_from
    subject = str(message.get("Subject", "")).strip()
    if verdict == "accepted" and office is not None:
        for f in (f for f in files if f["taken"]):
            summary.accepted_files += 1
            body = (
                f"Terima kasih. Berkas {f['name']} dari {office.office_name} untuk sensus "
                f"sentra IKM {census_year} telah kami terima dan akan segera diproses.\n\n"
                f"Sidik berkas (SHA-256): {f['sha256']}\nDiterima: "
                f"{datetime.now(UTC):%d-%m-%Y %H:%M} UTC\n\nLaporan kualitas data akan "
                "dikirim ke alamat dinas setelah data diolah. Berkas yang sama tidak perlu "
                "dikirim ulang."
            )
            others = [g["name"] for g in files if not g["taken"]]
            if others:
                body += (
                    f"\n\nLampiran {', '.join(others)} bukan berkas Excel/CSV dan tidak "
                    "kami proses."
                )
            dkey = dl.DeliveryKey(census_year, office.office_code, "receipt", f["sha256"])
            msg = _reply(
                settings,
                message,
                ", ".join(office.emails),
                f"Tanda terima sensus sentra {census_year}: {f['name']}",
                body,
                message_id(census_year, office.office_code, "receipt", f["sha256"], mail_from),
            )
            outcome, _ = dl.deliver(settings, transport, dkey, msg, list(office.emails))
            summary.receipts_sent += outcome == "sent"
    elif not _is_auto(message) and answer_to:
        title, text = REPLY_KINDS[verdict]
        names = ", ".join(f["name"] for f in files) or "-"
        digest = hashlib.sha256(key.encode()).hexdigest()
        code = office.office_code if office else "unknown"
        msg = _reply(
            settings,
            message,
            answer_to,
            f"{title}: {subject}" if subject else title,
            "Yth. Bapak/Ibu,\n\n" + text.format(sender=sender, files=names),
            message_id(census_year, code, "intake_reply", digest, mail_from),
        )
        dkey = dl.DeliveryKey(census_year, code, "intake_reply", digest)
        outcome, _ = dl.deliver(settings, transport, dkey, msg, [answer_to])
        summary.replies_sent += outcome == "sent"
    log.info("intake %s from %s: %s (%d files)", key, sender, verdict, len(files))
    return verdict


def collect_from_client(
    settings: Settings,
    client: imaplib.IMAP4,
    census_year: int,
    ledger: LedgerSessions,
    *,
    transport: Transport | None = None,
    mailbox: str = "INBOX",
) -> IntakeSummary:
    """Handle every unseen message of an authenticated IMAP client's mailbox.

    ``ledger`` opens a ledger transaction (the task passes ``session_scope``): each
    message is recorded in its own, after its files are landed, so a crash mid-mailbox
    keeps what was filed and the message stays unseen until it is recorded.
    """
    from sentra.offices import list_offices
    from sentra.reports import delivery as dl

    transport = transport or dl.transport_for(settings)
    with ledger() as session:
        offices = list_offices(session)
    summary = IntakeSummary(census_year)
    status, _ = client.select(mailbox)
    if status != "OK":
        raise RuntimeError(f"IMAP mailbox {mailbox!r} cannot be selected")
    status, data = client.uid("SEARCH", "UNSEEN")
    if status != "OK":
        raise RuntimeError(f"IMAP search failed: {data!r}")
    uids = [u.decode() for u in (data[0] or b"").split()]
    for uid in uids:
        status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
        if status != "OK" or raw is None:
            log.warning("IMAP message uid %s could not be fetched: %r", uid, parts)
            continue
        handle_message(settings, raw, census_year, offices, transport, summary, ledger)
        client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    return summary
