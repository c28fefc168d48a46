"""Submissions by e-mail against a real IMAP server: Dovecot from the OS packages,
started here as a private process on a loopback port (``make test`` installs it like
Chromium; without it these tests skip, saying so)."""

from __future__ import annotations

import email
import email.policy
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"
BANTUL = "disperindag@bantulkab.go.id"
USER, PASSWORD = "sensus", "rahasia-uji"
YEAR = 2026


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dovecot():
    """A Dovecot IMAP server on 127.0.0.1 with one mailbox user; stopped afterwards."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        pytest.skip("dovecot is not installed (make test installs Debian's dovecot-imapd)")
    # Not under pytest's tmp dir: that is private (0700) and Dovecot's own processes
    # run as its system user, which must reach the config, users file and mail.
    root = Path(tempfile.mkdtemp(prefix="sentra-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    if os.getuid() == 0:  # Dovecot never serves mail as root: use its own system user
        mail_user = pwd.getpwnam("dovecot")
        internal, login = "dovecot", "dovenull"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        internal = login = mail_user.pw_name
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot exited: {proc.stdout.read().decode()}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.terminate()
        pytest.fail("dovecot did not start listening")
    yield {"host": "127.0.0.1", "port": port, "root": root}
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


def _client(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server["host"], server["port"])
    client.login(USER, PASSWORD)
    return client


def _mail(sender: str, subject: str, files: list[tuple[str, bytes]], **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sensus-sentra@kemenperin.go.id"
    msg["Subject"] = subject
    msg["Message-ID"] = email.utils.make_msgid(domain="uji.local")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Terlampir data sentra kami.")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def _deliver(server, *messages: bytes) -> None:
    client = _client(server)
    for raw in messages:
        status, _ = client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        assert status == "OK"
    client.logout()


@pytest.fixture
def intake(settings, monkeypatch, dovecot, tmp_path):
    """Settings with an intake mailbox, the Airflow connection, and Bantul's address."""
    from sentra.config import get_settings
    from sentra.ledger.db import migrate, session_scope
    from sentra.offices import import_directory

    monkeypatch.setenv("SENTRA_INTAKE_ADDRESS", "sensus-sentra@kemenperin.go.id")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SENTRA_IMAP",
        f'{{"conn_type": "imap", "host": "127.0.0.1", "port": {dovecot["port"]}, '
        f'"login": "{USER}", "password": "{PASSWORD}", "extra": {{"use_ssl": false}}}}',
    )
    s = get_settings()
    migrate(s)
    with session_scope(s) as session:
        import_directory(session, FIXTURES / "offices.csv")
    client = _client(dovecot)  # an empty inbox for every test
    _, count = client.select("INBOX")
    if int(count[0]):
        client.store("1:*", "+FLAGS", "(\\Deleted)")
        client.expunge()
    client.logout()
    return s


def _outbox(settings) -> list[EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(Path(settings.outbox_dir).glob("*.eml"))
    ]


def _recorded(settings) -> dict[str, str]:
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import IntakeMessage

    with session_scope(settings) as session:
        rows = session.execute(select(IntakeMessage.subject, IntakeMessage.verdict)).all()
    return dict(rows)


def test_every_message_is_filed_or_answered_and_recorded(intake, dovecot):
    from sentra.tasks.ingest import collect_mail as collect

    workbook = (FIXTURES / "landing/2026/34.02/Sentra IKM Bantul 2026.xlsx").read_bytes()
    _deliver(
        dovecot,
        _mail(f"Dinas Bantul <{BANTUL}>", "Data sentra Bantul", [("Sentra Bantul.xlsx", workbook)]),
        _mail(BANTUL, "Kirim ulang", [("Sentra Bantul.xlsx", workbook)]),
        _mail("orang@gmail.com", "Data dari saya", [("data.csv", b"Nama Sentra\nA\n")]),
        _mail(BANTUL, "Lupa lampiran", []),
        _mail(BANTUL, "Versi PDF", [("data.pdf", b"%PDF-1.4")]),
        _mail("mailer-daemon@x.id", "Undelivered", [], Auto_Submitted="auto-replied"),
    )
    summary = collect(YEAR, intake)
    assert summary["messages"] == 6
    assert summary["by_verdict"] == {
        "accepted": 2,
        "unknown_sender": 2,
        "no_attachment": 1,
        "unsupported_attachment": 1,
    }
    stored = sorted((Path(intake.landing_uri) / str(YEAR) / "34.02").iterdir())
    assert len(stored) == 1, "the same file twice is one file in the landing folder"
    assert stored[0].read_bytes() == workbook
    assert stored[0].name.endswith("_Sentra Bantul.xlsx")
    assert not (Path(intake.landing_uri) / str(YEAR) / "unknown").exists()

    mails = _outbox(intake)
    receipts = [m for m in mails if str(m["Subject"]).strip().startswith("Tanda terima")]
    assert len(receipts) == 1, "one receipt per accepted file, not per message"
    assert BANTUL in str(receipts[0]["To"])
    assert "telah kami terima" in receipts[0].get_content()
    replies = {str(m["To"]): m for m in mails if m not in receipts}
    assert set(replies) == {"orang@gmail.com", BANTUL}, "no answer to an auto-reply"
    assert "belum terdaftar" in replies["orang@gmail.com"].get_content()
    assert all(m["Auto-Submitted"] == "auto-replied" for m in mails)
    assert all(m["From"] == "sensus-sentra@kemenperin.go.id" for m in mails)
    bantul_replies = [m for m in mails if m not in receipts and str(m["To"]) == BANTUL]
    bodies = " ".join(m.get_content() for m in bantul_replies)
    assert "tidak menemukan lampiran" in bodies
    assert "data.pdf bukan berkas yang dapat kami baca" in bodies
    assert _recorded(intake)["Data dari saya"] == "unknown_sender"

    # Read again, and even when someone marks everything unread: nothing happens twice.
    again = collect(YEAR, intake)
    assert again["messages"] == 0
    client = _client(dovecot)
    client.select("INBOX")
    client.store("1:*", "-FLAGS", "(\\Seen)")
    client.logout()
    third = collect(YEAR, intake)
    assert (third["messages"], third["already_recorded"]) == (0, 6)
    assert len(_outbox(intake)) == len(mails)


def test_without_an_intake_address_the_mailbox_is_not_read(settings, monkeypatch):
    from sentra.tasks.ingest import collect_mail as collect

    monkeypatch.delenv("SENTRA_INTAKE_ADDRESS", raising=False)
    assert "skipped" in collect(YEAR, settings)
