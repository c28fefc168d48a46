"""The office report's HTML: well formed, escaped, Indonesian, with an inline chart."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd

from sentra.config import Settings
from sentra.reports.build import office_report, render_email, status_chart

VOID = {"meta", "br", "img", "hr", "input", "link"}


class Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def _report():
    subs = pd.DataFrame(
        [
            {
                "submission_id": "s1",
                "file_name": "<b>laporan</b>.xlsx",
                "received_at": "2026-05-01 08:00",
                "status": "staged",
                "rows_total": 3,
                "rows_accepted": 2,
                "rows_rejected": 1,
                "rows_merged": 0,
                "error_message": None,
            }
        ]
    )
    rows = pd.DataFrame(
        [
            {
                "verdict": "rejected",
                "reason_codes": ["missing_required"],
                "source_row": 7,
                "source_file": "laporan.xlsx",
                "source_sheet": "Data",
                "sentra_name": "=cmd|' /C calc'!A0",
                "problems": json.dumps(
                    [{"code": "missing_required", "column": "units", "value": None}]
                ),
                "cluster_key": None,
                "sentra_id": None,
            },
            {
                "verdict": "accepted",
                "reason_codes": [],
                "source_row": 8,
                "source_file": "laporan.xlsx",
                "source_sheet": "Data",
                "sentra_name": "<script>alert(1)</script>",
                "problems": "[]",
                "cluster_key": "s1#8",
                "sentra_id": "S340200001",
            },
        ]
    )
    register = pd.DataFrame(
        [
            {
                "sentra_id": "S340200001",
                "sentra_name": "<script>alert(1)</script>",
                "status": "at_risk",
                "status_reasons": ["status_below_minimum"],
            }
        ]
    )
    census = pd.DataFrame([{"status": "at_risk"}])
    office = {"office_name": "Dinas Perindustrian Kabupaten Bantul"}
    return office_report(office, 2026, 2, True, subs, rows, census, register, {"active": 1}, "x")


def test_html_is_balanced_escaped_and_indonesian():
    model, attachments = _report()
    chart = status_chart({"at_risk": 1}, {"active": 1}, "Status")
    msg = render_email(
        Settings().resolved(),
        to=["a@b.id"],
        subject="s",
        text_template="office_report.txt.j2",
        html_template="office_report.html.j2",
        model=model,
        attachments=attachments,
        chart=chart,
        msg_id="<x@y>",
    )
    html = msg.get_body(preferencelist=("html",)).get_content()
    parser = Balance()
    parser.feed(html)
    assert parser.errors == []
    assert parser.stack == [], "every element is closed"
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;laporan&lt;/b&gt;" in html
    assert "Laporan pembaruan (versi 2)" in html
    assert "Isian wajib Jumlah Unit Usaha kosong" in html
    cid = model.get("chart_cid")
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"].strip("<>") in html
    assert cid is None, "the model passed in is not mutated"
    names = {a.get_filename() for a in msg.iter_attachments()}
    assert names == {"baris_ditolak.xlsx", "sentra_periksa_ulang.xlsx"}
