"""Office reports built from hand-made published tables, rendered into email.

What an office reads: its file and verdict, rejected rows under their own row numbers
with what to fix, merged duplicates, status changes, counts against last year; HTML
that is well formed and escapes hostile names; XLSX attachments that neutralise
formulas; inline charts; a plain-text alternative; Bahasa Indonesia throughout.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from html.parser import HTMLParser

import pandas as pd
import pytest
from openpyxl import load_workbook

from sentra.config import Settings
from sentra.offices import OfficeInfo
from sentra.reports.model import (
    ReportInputs,
    ReportVersion,
    build_national_summary,
    build_office_report,
    build_reminder,
    needs_reminder,
    submitted_offices,
)
from sentra.reports.render import (
    neutralise,
    render_office_email,
    render_reminder_email,
    render_summary_email,
)

YEAR = 2026
HOSTILE = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
BANTUL = OfficeInfo("34.02", "Dinas Perindustrian Kabupaten Bantul", "34", ("ikm@bantulkab.go.id",))
SLEMAN = OfficeInfo("34.04", "Dinas Perindustrian Kabupaten Sleman", "34", ("ikm@slemankab.go.id",))
VOID = {"meta", "br", "img", "hr", "input", "link"}
# A warning: the row is kept, the office is asked to check the point.
FAR_POINT = {
    "code": "coordinate_far_from_region",
    "column": "latitude",
    "value": "-7.2575, 112.752; 268 km",
}


class Balance(HTMLParser):
    """Tags must nest and close; html.parser is lenient, so check the stack ourselves."""

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


def _row(row, verdict, name, *, problems=(), cluster=None, sentra_id=None, office="34.02"):
    codes = sorted({p["code"] for p in problems}) if verdict == "rejected" else []
    sid = "2026-34.02-aaa" if office == "34.02" else "2026-34-bbb"
    return {
        "census_year": YEAR,
        "submission_id": sid,
        "office_code": office,
        "source_file": "sentra_bantul.xlsx" if office == "34.02" else "provinsi.xlsx",
        "source_sheet": "Data",
        "source_row": row,
        "record_key": f"{sid}#{row}",
        "verdict": verdict,
        "reason_codes": codes,
        "problems": json.dumps(list(problems)),
        "cluster_key": cluster,
        "sentra_id": sentra_id,
        "sentra_name": name,
    }


def inputs() -> ReportInputs:
    submissions = pd.DataFrame(
        [
            {
                "submission_id": "2026-34.02-old",
                "census_year": YEAR,
                "office_code": "34.02",
                "file_name": "sentra_bantul_lama.xlsx",
                "received_at": pd.Timestamp("2026-04-01 01:00", tz="UTC"),
                "status": "superseded",
                "error_code": None,
                "error_message": None,
                "rows_total": 5,
                "rows_accepted": 5,
                "rows_rejected": 0,
                "rows_merged": 0,
            },
            {
                "submission_id": "2026-34.02-aaa",
                "census_year": YEAR,
                "office_code": "34.02",
                "file_name": "sentra_bantul.xlsx",
                "received_at": pd.Timestamp("2026-05-04 02:30", tz="UTC"),
                "status": "staged",
                "error_code": None,
                "error_message": None,
                "rows_total": 6,
                "rows_accepted": 3,
                "rows_rejected": 3,
                "rows_merged": 1,
            },
            {
                "submission_id": "2026-34-bbb",
                "census_year": YEAR,
                "office_code": "34",
                "file_name": "provinsi.xlsx",
                "received_at": pd.Timestamp("2026-05-05 02:30", tz="UTC"),
                "status": "needs_review",
                "error_code": None,
                "error_message": None,
                "rows_total": 10,
                "rows_accepted": 5,
                "rows_rejected": 5,
                "rows_merged": 0,
            },
        ]
    )
    missing_units = {"code": "missing_required", "column": "units", "value": None}
    rows = pd.DataFrame(
        [
            _row(7, "rejected", FORMULA, problems=[missing_units]),
            _row(
                9,
                "rejected",
                "Sentra Gerabah Kasongan",
                problems=[
                    missing_units,
                    {"code": "invalid_number", "column": "workers", "value": "dua puluh"},
                ],
            ),
            _row(12, "rejected", "@SUM(A1)", problems=[missing_units]),
            _row(8, "accepted", HOSTILE, cluster="k8", sentra_id="S340200001"),
            _row(10, "merged", "Sentra Batik Giriloyo (2)", cluster="k11", sentra_id="S340200002"),
            _row(
                11,
                "accepted",
                "Sentra Batik Giriloyo",
                cluster="k11",
                sentra_id="S340200002",
                problems=[FAR_POINT],
            ),
            _row(3, "merged", "Batik Giriloyo", cluster="k11", sentra_id="S340200002", office="34"),
        ]
    )
    sentra = pd.DataFrame(
        [
            ("S340200001", HOSTILE, "34.02", "34", "Gerabah", "gerabah", "active", []),
            (
                "S340200002",
                "Sentra Batik Giriloyo",
                "34.02",
                "34",
                "Batik",
                "kain_batik",
                "active",
                ["status_revived"],
            ),
            (
                "S340200003",
                "Sentra Anyaman Pandan",
                "34.02",
                "34",
                "Anyaman",
                "anyaman",
                "inactive",
                ["status_missing_confirmed"],
            ),
            (
                "S340200004",
                HOSTILE,
                "34.02",
                "34",
                "Tempe",
                "makanan_minuman",
                "at_risk",
                ["status_below_minimum"],
            ),
            (
                "S340400001",
                "Sentra Salak Pondoh",
                "34.04",
                "34",
                "Salak",
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
            "commodity",
            "commodity_group",
            "status",
            "status_reasons",
        ],
    )
    history = pd.DataFrame(
        [
            ("S340200002", "inactive", ["status_missing_confirmed"], 2024, 2025, False),
            ("S340200002", "active", ["status_revived"], 2026, None, True),
            ("S340200003", "not_reported", ["status_not_reported"], 2025, 2025, False),
            ("S340200003", "inactive", ["status_missing_confirmed"], 2026, None, True),
            ("S340200004", "at_risk", ["status_below_minimum"], 2023, None, True),
        ],
        columns=[
            "sentra_id",
            "status",
            "reason_codes",
            "valid_from_year",
            "valid_to_year",
            "is_current",
        ],
    )
    last = pd.DataFrame(
        {"sentra_id": ["S340200001", "S340200002", "S340200003"], "status": ["active"] * 3}
    )
    return ReportInputs(
        submissions,
        rows,
        sentra,
        history,
        last,
        min_units_for_sentra=5,
        inactive_after_missed_rounds=2,
    )


@pytest.fixture(scope="module")
def report():
    return build_office_report(BANTUL, YEAR, inputs(), version=ReportVersion(2, "c0ffee", True))


@pytest.fixture(scope="module")
def message(report):
    return render_office_email(
        report, Settings(report_base_url="https://sentra.example.go.id/").resolved()
    )


def _html(msg) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def _text(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def _xlsx(msg, name):
    for part in msg.iter_attachments():
        if part.get_filename() == name:
            return load_workbook(io.BytesIO(part.get_content())).active
    raise AssertionError(f"no attachment {name}")


# ------------------------------------------------------------------ the model


def test_rejected_rows_grouped_by_reason_with_the_offices_row_numbers(report):
    groups = {(g.code, g.column): g for g in report.rejected_groups}
    units = groups[("missing_required", "Jumlah Unit Usaha")]
    assert units.rows == (7, 9, 12)
    assert units.message == "Isian wajib Jumlah Unit Usaha kosong."
    assert units.fix == "Lengkapi isian Jumlah Unit Usaha."
    workers = groups[("invalid_number", "Tenaga Kerja")]
    assert workers.rows == (9,)
    assert report.rejected_groups[0] is units, "the most frequent problem comes first"
    row9 = next(r for r in report.rejected_rows if r.source_row == 9)
    assert "Tenaga Kerja bukan angka: 'dua puluh'" in row9.explanation
    assert "Isian wajib Jumlah Unit Usaha kosong" in row9.explanation


def test_every_row_of_the_office_is_accounted_for(report):
    rows = inputs().submission_rows
    mine = rows[rows["office_code"] == "34.02"]
    rejected = {r.source_row for r in report.rejected_rows}
    merged = {m.source_row for c in report.merged for m in c.records if m.office_code == "34.02"}
    accepted = set(mine.loc[mine["verdict"] == "accepted", "source_row"])
    assert rejected | merged | accepted == set(mine["source_row"])


def test_verdict_and_current_file(report):
    assert report.verdict == "diterima"
    current = [s for s in report.submissions if s.is_current]
    assert [s.file_name for s in current] == ["sentra_bantul.xlsx"]
    assert current[0].received_at == "04-05-2026 09:30 WIB"
    old = next(s for s in report.submissions if not s.is_current)
    assert old.verdict == "digantikan berkas yang lebih baru"
    assert report.rows == {"total": 6, "accepted": 3, "rejected": 3, "merged": 1}


def test_duplicates_merged_across_offices(report):
    (cluster,) = report.merged
    assert cluster.sentra_id == "S340200002"
    assert {(m.office_code, m.source_row) for m in cluster.records} == {
        ("34.02", 10),
        ("34.02", 11),
        ("34", 3),
    }
    assert [m.source_row for m in cluster.records if m.is_survivor] == [11]


def test_status_changes_this_year_and_counts_against_last_year(report):
    changes = {s.sentra_id: (s.change, s.previous_status_label) for s in report.changes}
    assert changes == {
        "S340200003": ("inactive", "Tidak dilaporkan"),
        "S340200002": ("revived", "Tidak aktif"),
    }, "an unchanged at-risk status since 2023 is not news"
    counts = {c.status: (c.this_year, c.last_year) for c in report.status_counts}
    assert counts == {
        "active": (2, 3),
        "at_risk": (1, 0),
        "not_reported": (0, 0),
        "inactive": (1, 0),
    }
    recheck = {s.sentra_id: s.reasons for s in report.recheck}
    assert set(recheck) == {"S340200003", "S340200004"}
    assert recheck["S340200004"] == "Kurang dari 5 unit usaha (batas minimum sentra)."


def test_held_submission_verdict_for_the_province():
    prov = OfficeInfo("34", "Dinas Perindustrian DIY", "34", ("ikm@jogjaprov.go.id",))
    r = build_office_report(prov, YEAR, inputs(), version=ReportVersion(1, "k"))
    assert r.verdict == "ditahan untuk ditinjau"
    assert len(r.status_counts) == 4
    assert sum(c.this_year for c in r.status_counts) == 5


def test_digest_ignores_the_version_label_but_not_the_content(report):
    relabelled = replace(report, version=ReportVersion(3, "other", False))
    assert relabelled.digest() == report.digest()
    changed = replace(report, rejected_rows=report.rejected_rows[:1])
    assert changed.digest() != report.digest()


def test_who_gets_a_reminder():
    submitted = submitted_offices(inputs().submissions)
    assert submitted == {"34.02", "34"}
    assert not needs_reminder("34.04", submitted), "the province office covered Sleman"
    assert needs_reminder("33.01", {"34.02"})
    assert not needs_reminder("33", {"33.01"})
    assert needs_reminder("33", {"34"})


# ---------------------------------------------------------------- the email


def test_subject_labels_the_update_and_names_the_region(message):
    assert str(message["Subject"]) == (
        "[SENTRA] Laporan Kualitas Sensus Sentra IKM 2026 – Kabupaten Bantul "
        "(versi 2, laporan pembaruan)"
    )
    assert message["To"] == "ikm@bantulkab.go.id"
    assert message["Content-Language"] == "id"


def test_html_is_well_formed_escaped_and_indonesian(message):
    html = _html(message)
    parser = Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for phrase in (
        "Laporan pembaruan (versi 2)",
        "Putusan: <strong>diterima</strong>",
        "Baris yang ditolak dan cara memperbaikinya",
        "Isian wajib Jumlah Unit Usaha kosong.",
        "7, 9, 12",
        "Lengkapi isian Jumlah Unit Usaha.",
        "Aktif kembali",
        "Ditandai tidak aktif",
        "kiriman dinas 34",
        "https://sentra.example.go.id/2026/34.02",
    ):
        assert phrase in html, phrase


def test_plain_text_alternative_says_the_same(message):
    text = _text(message)
    assert "LAPORAN PEMBARUAN (versi 2)" in text
    assert "Baris: 7, 9, 12" in text
    assert HOSTILE in text, "plain text is not HTML-escaped"
    assert "&lt;" not in text


def test_charts_are_inline_images_referenced_by_content_id(message):
    html = _html(message)
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert image.get_content().startswith(b"\x89PNG")
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
        assert image.get_content_disposition() == "inline"


def test_rejected_rows_xlsx_explains_each_row_and_neutralises_formulas(message):
    ws = _xlsx(message, "baris_ditolak.xlsx")
    header = [c.value for c in ws[1]]
    assert "Keterangan" in header
    assert "Baris" in header
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [r["Baris"] for r in rows] == [7, 9, 12]
    names = {r["Baris"]: r["Nama Sentra"] for r in rows}
    assert names[7] == "'" + FORMULA
    assert names[12] == "'@SUM(A1)"
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r), "no formula cells"
    assert "Tenaga Kerja bukan angka: 'dua puluh'" in rows[1]["Keterangan"]


def test_rows_kept_with_a_warning_are_listed_with_what_to_check(report, message):
    assert [(n.source_row, n.sentra_name) for n in report.noted] == [(11, "Sentra Batik Giriloyo")]
    note = (
        "Koordinat (-7.2575, 112.752; 268 km) jauh dari sentra lain di kab/kota yang sama "
        "dalam berkas ini."
    )
    assert report.noted[0].note == note
    text = " ".join(_text(message).split())
    assert "Baris dengan catatan (1 baris; tidak ditolak" in text
    assert f"sentra_bantul.xlsx baris 11 (Sentra Batik Giriloyo): {note}" in text
    assert "Periksa titik koordinat dan kab/kota sentra ini" in text
    assert note in _html(message)
    ws = _xlsx(message, "baris_dengan_catatan.xlsx")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[:3] for r in rows] == [["sentra_bantul.xlsx", 11, "Sentra Batik Giriloyo"]]


def test_a_report_without_notes_keeps_the_digest_it_had_before_notes_existed(report):
    import dataclasses
    import hashlib

    plain = replace(report, noted=())
    before = dataclasses.asdict(plain)
    before.pop("version")
    before.pop("noted")
    blob = json.dumps(before, sort_keys=True, default=str, ensure_ascii=False)
    assert plain.digest() == hashlib.sha256(blob.encode()).hexdigest()
    assert report.digest() != plain.digest()


def test_recheck_list_attached(message):
    ws = _xlsx(message, "sentra_periksa_ulang.xlsx")
    ids = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert ids == ["S340200003", "S340200004"]


@pytest.mark.parametrize("value", ["=1+1", "+62 812", "-5", "@x", "\tx", "\rx"])
def test_neutralise_every_formula_start(value):
    assert neutralise(value) == "'" + value


def test_neutralise_leaves_ordinary_values():
    assert neutralise("Sentra Batik") == "Sentra Batik"
    assert neutralise(12) == 12


def test_message_id_is_deterministic_per_delivery(report):
    settings = Settings().resolved()
    a = render_office_email(report, settings)
    b = render_office_email(report, settings)
    assert a["Message-ID"] == b["Message-ID"]
    other = render_office_email(report, settings, version_key="another-result")
    assert other["Message-ID"] != a["Message-ID"]


def test_reminder_lists_registered_sentra():
    r = build_reminder(SLEMAN, YEAR, inputs(), version=ReportVersion(1, "k"))
    msg = render_reminder_email(r, Settings().resolved())
    assert str(msg["Subject"]).startswith("[SENTRA] Pengingat: data Sensus Sentra IKM 2026")
    assert "Kabupaten Sleman" in str(msg["Subject"])
    text = _text(msg)
    assert "belum menerima data Sensus Sentra IKM tahun 2026" in text
    assert "S340400001 Sentra Salak Pondoh" in text
    ws = _xlsx(msg, "daftar_sentra_terdaftar.xlsx")
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["S340400001"]


def test_national_summary_for_the_central_office():
    settings = Settings(central_office_email="pusat@kemenperin.go.id").resolved()
    offices = [BANTUL, SLEMAN, OfficeInfo("34", "Dinas Perindustrian DIY", "34", ("a@b.go.id",))]
    s = build_national_summary(offices, YEAR, inputs(), version=ReportVersion(4, "k"))
    assert (s.offices_expected, s.offices_submitted) == (3, 2)
    (prov,) = s.provinces
    assert prov.province_name == "Daerah Istimewa Yogyakarta" or "Yogyakarta" in prov.province_name
    assert prov.missing == ("Dinas Perindustrian Kabupaten Sleman",)
    batik = next(c for c in s.commodities if c.group == "kain_batik")
    assert batik.counts["active"] == 1
    assert [h.office_code for h in s.held] == ["34"]
    msg = render_summary_email(s, settings)
    assert msg["To"] == "pusat@kemenperin.go.id"
    assert "Ringkasan Nasional Sensus Sentra IKM 2026 (versi 4)" in str(msg["Subject"])
    text = _text(msg)
    assert "Kelengkapan: 2 dari 3 dinas (66,7%)" in text
    assert "ditahan untuk ditinjau" in text
    parser = Balance()
    parser.feed(_html(msg))
    assert parser.errors == []
    assert parser.stack == []
