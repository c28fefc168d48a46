"""Reports delivered to a real SMTP server on loopback (aiosmtpd), exactly once.

A small synthetic round is ingested, consolidated and published with the pipeline's
own steps; one office's file carries a hostile sentra name and a formula. Then the
reports go through SMTP: recipients, Indonesian content, escaping, attachments that
open in a real XLSX reader, no duplicate on retry, and a clean failure when the
server is down followed by a single send when it is back.
"""

from __future__ import annotations

import csv
import email
import io
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from sentra.reports import DeliveryFailed, send_reports
from sentra.reports.delivery import SmtpTransport

pytestmark = pytest.mark.integration
HOSTILE = "<script>alert('x')</script> Sentra"
FORMULA = '=HYPERLINK("http://evil.example","klik")'


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _poison(landing: Path) -> str:
    """Give one office's CSV a hostile name and a formula; return that office."""
    for path in sorted(landing.glob("2026/*/*.csv")):
        raw = path.read_bytes()
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        name_col = next(i for i, h in enumerate(rows[0]) if "nama" in h.lower())
        rows[1][name_col] = HOSTILE
        rows[2][name_col] = FORMULA
        rows[3][name_col] = ""  # a rejected row, so the XLSX of rejected rows exists
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
        path.write_bytes(buf.getvalue().encode(encoding))
        return path.parent.name
    raise AssertionError("no UTF-8 CSV in the synthetic round")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    import os

    from sentra.cli.rounds import load_reference
    from sentra.config import get_settings
    from sentra.demo import DemoConfig, prepare_inputs
    from sentra.tasks import consolidate as consolidate_tasks
    from sentra.tasks import ingest as ingest_tasks

    data = tmp_path_factory.mktemp("reports") / "data"
    old = os.environ.get("SENTRA_DATA_DIR")
    os.environ["SENTRA_DATA_DIR"] = str(data)
    try:
        settings = get_settings()
        cfg = DemoConfig(
            data_dir=data, n_sentra=200, seed=5, census_years=(2026,), provinces=("34",)
        )
        prepare_inputs(cfg)
        office = _poison(data / "landing")
        ingest_tasks.prepare(settings)
        load_reference(settings, cfg)
        for sid in ingest_tasks.discover(2026, settings):
            ingest_tasks.process_submission(sid, settings)
        written = consolidate_tasks.consolidate(2026, settings)
        consolidate_tasks.audit(2026, written, settings)
        consolidate_tasks.publish(2026, written, settings)
        yield settings, office
    finally:
        if old is None:
            os.environ.pop("SENTRA_DATA_DIR", None)
        else:
            os.environ["SENTRA_DATA_DIR"] = old


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def _by_subject(sink: Sink, fragment: str) -> email.message.EmailMessage:
    for _, raw in sink.messages:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if fragment in str(msg["Subject"]):
            return msg
    raise AssertionError(f"no message with {fragment!r} in its subject")


def test_reports_reach_every_office_once_with_indonesian_content(published, smtp, monkeypatch):
    settings, office = published
    sink, port = smtp
    summary = send_reports(settings, 2026, transport=SmtpTransport("127.0.0.1", port))
    assert summary["failed"] == 0
    assert summary["sent"] == len(sink.messages) > 0
    recipients = {r for rcpts, _ in sink.messages for r in rcpts}
    assert f"disperindag.{office.replace('.', '')}@example.go.id" in recipients
    assert settings.central_office_email in recipients
    msg = _by_subject(sink, "Kabupaten") if office != "34" else _by_subject(sink, "Laporan")
    assert "Laporan Kualitas Sensus Sentra IKM 2026" in str(msg["Subject"])
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Berkas yang diterima" in text
    assert "Baris yang ditolak" in text

    # A retry (or a rerun of the task) sends nothing again, and renders nothing either:
    # a report already sent is recognised by its content digest before it is built.
    from sentra.reports import render

    rendered = []
    for name in ("render_office_email", "render_reminder_email", "render_summary_email"):
        real = getattr(render, name)
        monkeypatch.setattr(
            render, name, lambda *a, _real=real, **k: rendered.append(1) or _real(*a, **k)
        )
    again = send_reports(settings, 2026, transport=SmtpTransport("127.0.0.1", port))
    assert rendered == []
    assert again["sent"] == 0
    assert again["skipped_already_sent"] == summary["sent"]
    assert len(sink.messages) == summary["sent"]


def test_hostile_names_are_escaped_and_formulas_neutralised(published, smtp):
    settings, office = published
    sink, port = smtp
    from sqlalchemy import delete

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:  # start from an empty delivery ledger
        session.execute(delete(ReportDelivery))
    send_reports(settings, 2026, transport=SmtpTransport("127.0.0.1", port))
    name = next(
        f"Dinas Perindustrian {r}"
        for r in ("Kabupaten", "Kota")
        if any(f"Dinas Perindustrian {r}" in str(m) for _, m in sink.messages)
    )
    for _, raw in sink.messages:
        msg = email.message_from_bytes(raw, policy=policy.default)
        html = msg.get_body(preferencelist=("html",))
        if html is not None:
            content = html.get_content()
            assert "<script>" not in content
    office_msgs = [
        email.message_from_bytes(raw, policy=policy.default)
        for rcpts, raw in sink.messages
        if any(office.replace(".", "") in r for r in rcpts)
    ]
    assert office_msgs, name
    attachments = {a.get_filename(): a.get_content() for a in office_msgs[0].iter_attachments()}
    assert "baris_ditolak.xlsx" in attachments
    wb = load_workbook(io.BytesIO(attachments["baris_ditolak.xlsx"]))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert "Keterangan" in header
    values = [c.value for row in ws.iter_rows(min_row=2) for c in row if c.value is not None]
    assert all(not str(v).startswith(("=", "+", "@")) for v in values), "no live formulas"
    assert any("kosong" in str(v).lower() for v in values), "the problem is explained in Indonesian"


def test_smtp_down_fails_cleanly_then_sends_once_when_back(published, smtp):
    settings, _ = published
    sink, port = smtp

    from sqlalchemy import delete, select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import ReportDelivery

    with session_scope(settings) as session:
        session.execute(delete(ReportDelivery))
    fast = settings.model_copy(update={"smtp_max_attempts": 2})
    dead = SmtpTransport("127.0.0.1", free_port(), timeout=2)
    with pytest.raises(DeliveryFailed, match="not delivered"):
        send_reports(fast, 2026, transport=dead)
    with session_scope(settings) as session:
        statuses = set(session.scalars(select(ReportDelivery.status)).all())
        errors = session.scalars(select(ReportDelivery.last_error)).all()
    assert statuses == {"failed"}, "never lost, never half-sent: recorded as failed"
    assert all("Connection" in (e or "") or "refused" in (e or "") for e in errors)
    result = send_reports(fast, 2026, transport=SmtpTransport("127.0.0.1", port))
    assert result["failed"] == 0
    assert result["sent"] == len(sink.messages) > 0
