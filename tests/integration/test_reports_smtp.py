"""Reports through a real SMTP server on loopback (aiosmtpd), exactly once.

The ledger is real too: SQLite in a temporary folder, and the machine's PostgreSQL
(a throw-away database; skipped, with the reason, when PostgreSQL is absent). The
published tables are small hand-made frames handed in through ``inputs_loader``, so
the test is about delivery: recipients, subject, Indonesian content, attachments
that open in a real XLSX reader, escaping, no duplicate on retry, a clean failure
when the server is down, a single send when it is back, and a labelled update when
the result changes.
"""

from __future__ import annotations

import email
import io
import json
import shutil
import socket
import subprocess
from contextlib import ExitStack
from email import policy

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from conftest import POSTGRES_AVAILABLE, throwaway_databases, unique_name
from openpyxl import load_workbook

from sentra.offices import OfficeInfo
from sentra.reports import DeliveryFailed, send_reports
from sentra.reports.delivery import DeliveryKey, SmtpTransport, claim
from sentra.reports.loader import LoadedInputs
from sentra.reports.model import ReportInputs, ReportVersion

pytestmark = pytest.mark.integration
YEAR = 2026
HOSTILE = "<script>alert('x')</script> Sentra Gerabah"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
OFFICES = [
    OfficeInfo(
        "34.02",
        "Dinas Perindustrian Kabupaten Bantul",
        "34",
        ("ikm@bantulkab.go.id", "kabid@bantulkab.go.id"),
    ),
    OfficeInfo("34.04", "Dinas Perindustrian Kabupaten Sleman", "34", ("ikm@slemankab.go.id",)),
]
CENTRAL = "ditjen-ikma@kemenperin.go.id"


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for _, m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _inputs(fixed: bool = False) -> ReportInputs:
    """Bantul submitted (one row hostile, one a formula, one missing its units)."""
    problem = [{"code": "missing_required", "column": "units", "value": None}]
    rows = [
        (7, "accepted", HOSTILE, [], []),
        (8, "rejected", FORMULA, ["missing_required"], problem),
        (9, "accepted", "Sentra Batik Giriloyo", [], []),
    ]
    if fixed:  # the office sent a corrected file
        rows[1] = (8, "accepted", "Sentra Anyaman", [], [])
    frame = pd.DataFrame(
        [
            {
                "census_year": YEAR,
                "submission_id": "2026-34.02-abc",
                "office_code": "34.02",
                "source_file": "sentra_bantul.xlsx",
                "source_sheet": "Data",
                "source_row": n,
                "verdict": verdict,
                "reason_codes": codes,
                "problems": json.dumps(probs),
                "cluster_key": None,
                "sentra_id": None,
                "sentra_name": name,
            }
            for n, verdict, name, codes, probs in rows
        ]
    )
    rejected = int((frame["verdict"] == "rejected").sum())
    submissions = pd.DataFrame(
        [
            {
                "submission_id": "2026-34.02-abc",
                "census_year": YEAR,
                "office_code": "34.02",
                "file_name": "sentra_bantul.xlsx",
                "received_at": pd.Timestamp("2026-05-04 02:30", tz="UTC"),
                "status": "staged",
                "error_code": None,
                "error_message": None,
                "rows_total": 3,
                "rows_accepted": 3 - rejected,
                "rows_rejected": rejected,
                "rows_merged": 0,
            }
        ]
    )
    sentra = pd.DataFrame(
        [
            ("S340200001", HOSTILE, "34.02", "34", "gerabah", "at_risk", ["status_below_minimum"]),
            (
                "S340400001",
                "Sentra Salak Pondoh",
                "34.04",
                "34",
                "makanan_minuman",
                "not_reported",
                ["status_not_reported"],
            ),
        ],
        columns=[
            "sentra_id",
            "sentra_name",
            "region_code",
            "province_code",
            "commodity_group",
            "status",
            "status_reasons",
        ],
    )
    return ReportInputs(
        submissions=submissions,
        submission_rows=frame,
        sentra=sentra,
        status_history=pd.DataFrame(
            columns=[
                "sentra_id",
                "status",
                "reason_codes",
                "valid_from_year",
                "valid_to_year",
                "is_current",
            ]
        ),
        last_year_status=pd.DataFrame(columns=["sentra_id", "status"]),
    )


def loader(version: int = 1, fixed: bool = False):
    def load(settings, census_year):
        return LoadedInputs(
            ReportVersion(version, f"consolidation-{version}"), OFFICES, _inputs(fixed)
        )

    return load


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    from sentra.config import get_settings
    from sentra.ledger.db import migrate

    env = {"SENTRA_DATA_DIR": str(tmp_path / "data"), "SENTRA_CENTRAL_OFFICE_EMAIL": CENTRAL}
    with ExitStack() as stack:
        if request.param == "postgresql":
            if not POSTGRES_AVAILABLE:
                pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
            [env["SENTRA_LEDGER_URL"]] = stack.enter_context(
                throwaway_databases(unique_name("sentra_test"))
            )
        s = get_settings(env)
        migrate(s)
        yield s


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def _deliveries(settings):
    from sentra.ledger.db import session_scope
    from sentra.reports.delivery import deliveries

    with session_scope(settings) as session:
        return {(d["office_code"], d["kind"]): d for d in deliveries(session, YEAR)}


def test_each_office_gets_its_report_once(settings, smtp):
    sink, port = smtp
    transport = SmtpTransport("127.0.0.1", port)
    summary = send_reports(settings, YEAR, inputs_loader=loader(), transport=transport)
    assert (summary.sent, summary.failed, summary.skipped_already_sent) == (3, 0, 0)
    assert summary.by_kind == {"report": 1, "reminder": 1, "summary": 1}
    by_rcpt = {tuple(sorted(r)): m for r, m in sink.messages}
    assert set(by_rcpt) == {
        ("ikm@bantulkab.go.id", "kabid@bantulkab.go.id"),
        ("ikm@slemankab.go.id",),
        (CENTRAL,),
    }, "recipients come from the directory only"

    report = by_rcpt[("ikm@bantulkab.go.id", "kabid@bantulkab.go.id")]
    assert str(report["Subject"]) == (
        "[SENTRA] Laporan Kualitas Sensus Sentra IKM 2026 – Kabupaten Bantul (versi 1)"
    )
    text = report.get_body(preferencelist=("plain",)).get_content()
    assert "Baris yang ditolak dan cara memperbaikinya" in text
    assert "Isian wajib Jumlah Unit Usaha kosong." in text
    html = report.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    files = {a.get_filename(): a.get_content() for a in report.iter_attachments()}
    ws = load_workbook(io.BytesIO(files["baris_ditolak.xlsx"])).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, (c.value for c in ws[2]), strict=True))
    assert row["Baris"] == 8
    assert row["Nama Sentra"] == "'" + FORMULA
    assert "kosong" in row["Keterangan"]
    assert "sentra_periksa_ulang.xlsx" in files

    reminder = by_rcpt[("ikm@slemankab.go.id",)]
    assert str(reminder["Subject"]).startswith("[SENTRA] Pengingat:")
    assert "Sentra Salak Pondoh" in reminder.get_body(preferencelist=("plain",)).get_content()
    national = by_rcpt[(CENTRAL,)]
    assert "Ringkasan Nasional" in str(national["Subject"])

    ledger = _deliveries(settings)
    assert {d["status"] for d in ledger.values()} == {"sent"}
    assert ledger[("34.02", "report")]["message_id"] == str(report["Message-ID"])

    # A task retry or a rerun sends nothing again.
    again = send_reports(settings, YEAR, inputs_loader=loader(), transport=transport)
    assert (again.sent, again.skipped_already_sent) == (0, 3)
    assert len(sink.messages) == 3


def test_smtp_down_fails_cleanly_then_sends_once_when_back(settings, smtp):
    sink, port = smtp
    fast = settings.model_copy(update={"smtp_max_attempts": 3})
    dead = SmtpTransport("127.0.0.1", free_port(), timeout=2)
    with pytest.raises(DeliveryFailed, match="3 report\\(s\\) not delivered"):
        send_reports(fast, YEAR, inputs_loader=loader(), transport=dead, backoff_seconds=0.01)
    ledger = _deliveries(settings)
    assert {d["status"] for d in ledger.values()} == {"failed"}, "recorded, never lost"
    assert {d["attempts"] for d in ledger.values()} == {3}
    assert all("refused" in d["last_error"].lower() for d in ledger.values())

    back = send_reports(
        fast, YEAR, inputs_loader=loader(), transport=SmtpTransport("127.0.0.1", port)
    )
    assert (back.sent, back.failed) == (3, 0)
    assert len(sink.messages) == 3
    assert {d["status"] for d in _deliveries(settings).values()} == {"sent"}


def test_a_claim_left_pending_by_a_crash_is_sent_by_the_next_run(settings, smtp):
    sink, port = smtp
    from sentra.reports import model, render

    data = _inputs()
    report = model.build_office_report(OFFICES[0], YEAR, data, version=ReportVersion(1, "c"))
    message = render.render_office_email(report, settings, version_key=report.digest())
    key = DeliveryKey(YEAR, "34.02", "report", report.digest())
    assert claim(settings, key, message, list(OFFICES[0].emails)) == 0  # then the worker died
    send_reports(settings, YEAR, inputs_loader=loader(), transport=SmtpTransport("127.0.0.1", port))
    bantul = [m for r, m in sink.messages if "ikm@bantulkab.go.id" in r]
    assert len(bantul) == 1
    assert str(bantul[0]["Message-ID"]) == str(message["Message-ID"]), "same id: dedupable"


def test_a_changed_result_sends_a_labelled_update_to_that_office_only(settings, smtp):
    sink, port = smtp
    transport = SmtpTransport("127.0.0.1", port)
    send_reports(settings, YEAR, inputs_loader=loader(1), transport=transport)
    sink.messages.clear()
    summary = send_reports(settings, YEAR, inputs_loader=loader(2, fixed=True), transport=transport)
    subjects = sink.subjects()
    assert subjects == [
        "[SENTRA] Laporan Kualitas Sensus Sentra IKM 2026 – Kabupaten Bantul "
        "(versi 2, laporan pembaruan)",
        "[SENTRA] Ringkasan Nasional Sensus Sentra IKM 2026 (versi 2)",
    ], "Sleman's reminder did not change, so it is not sent again"
    assert summary.skipped_already_sent == 1
    update = next(m for r, m in sink.messages if "ikm@bantulkab.go.id" in r)
    text = update.get_body(preferencelist=("plain",)).get_content()
    assert "LAPORAN PEMBARUAN (versi 2)" in text
    assert "Tidak ada baris yang ditolak." in text


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="headless chromium is not installed (optional rendering check)",
)
def test_report_html_renders_to_png_in_headless_chromium(tmp_path):
    from sentra.config import Settings

    settings = Settings().resolved()
    from sentra.reports import model, render

    report = model.build_office_report(OFFICES[0], YEAR, _inputs(), version=ReportVersion(1, "c"))
    message = render.render_office_email(report, settings)
    page = tmp_path / "laporan.html"
    page.write_text(message.get_body(preferencelist=("html",)).get_content(), encoding="utf-8")
    shot = tmp_path / "laporan.png"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=900,1600",
            page.as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 10_000, "a rendered page, not a blank one"


def test_airflow_smtp_connection_sends_the_prebuilt_message(smtp, monkeypatch):
    """Production path: the Airflow connection's host/TLS/login, our MIME message intact."""
    from sentra.config import Settings
    from sentra.reports import model, render
    from sentra.reports.delivery import AirflowSmtpTransport, transport_for

    sink, port = smtp
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port}
    conn["extra"] = {"disable_ssl": True, "disable_tls": True}
    monkeypatch.setenv("AIRFLOW_CONN_SENTRA_SMTP", json.dumps(conn))
    settings = Settings(mail_mode="smtp", smtp_conn_id="sentra_smtp").resolved()
    transport = transport_for(settings)
    assert isinstance(transport, AirflowSmtpTransport)
    report = model.build_office_report(OFFICES[0], YEAR, _inputs(), version=ReportVersion(1, "c"))
    message = render.render_office_email(report, settings)
    transport.send(message, list(OFFICES[0].emails))
    ((rcpts, got),) = sink.messages
    assert sorted(rcpts) == sorted(OFFICES[0].emails)
    assert got["Message-ID"] == message["Message-ID"]
    assert [p.get_content_type() for p in got.walk() if p.get_content_type() == "image/png"]
