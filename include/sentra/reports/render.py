"""Turning report models into email messages: Jinja2 templates, charts, XLSX attachments.

HTML templates are autoescaped (a sentra named ``<script>`` arrives as text); the
plain-text alternative is not, since it is never interpreted. Charts are PNGs drawn
with matplotlib's Agg backend and embedded inline by Content-ID. Spreadsheet cells
that a spreadsheet program would evaluate (leading ``= + - @``, tab, CR) are
neutralised with a leading apostrophe and written as strings, never formulas.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.reports.model import ROWS_IN_EMAIL, STATUS_LABELS

if TYPE_CHECKING:
    from sentra.config import Settings
    from sentra.reports.model import NationalSummary, OfficeReport, ReminderReport

TEMPLATES = Path(__file__).with_name("templates")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = {
    "rejected": "baris_ditolak.xlsx",
    "noted": "baris_dengan_catatan.xlsx",
    "recheck": "sentra_periksa_ulang.xlsx",
    "register": "daftar_sentra_terdaftar.xlsx",
    "summary": "ringkasan_nasional.xlsx",
}


@dataclass(frozen=True)
class Chart:
    name: str
    png: bytes
    alt: str
    width: int = 480


# ------------------------------------------------------------------ helpers


def angka(value: Any) -> str:
    """Indonesian thousands separator: 1250000 -> 1.250.000."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{int(value):,}".replace(",", ".")


@cache
def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        # HTML escaped, plain text not (it is never interpreted); anything else: escape.
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["angka"] = angka
    return env


def render_template(name: str, **context: Any) -> str:
    return _env().get_template(name).render(**context)


def message_id(
    census_year: int, office_code: str, kind: str, version_key: str, mail_from: str
) -> str:
    """Deterministic Message-ID from the delivery key.

    The one duplicate exactly-once delivery cannot rule out (a crash after the mail
    server accepted a message but before the ledger recorded it) carries the same
    Message-ID, so receiving servers and mail clients can drop it.
    """
    digest = hashlib.sha256(
        f"{census_year}|{office_code}|{kind}|{version_key}".encode()
    ).hexdigest()
    domain = mail_from.rsplit("@", 1)[-1].strip(">") or "sentra.local"
    return f"<sentra.{census_year}.{office_code}.{kind}.{digest[:20]}@{domain}>"


def details_link(settings: Settings, census_year: int, office_code: str | None = None) -> str:
    """Where the full details live: the report site if configured, else the docs folder."""
    if settings.report_base_url:
        base = settings.report_base_url.rstrip("/")
        return f"{base}/{census_year}" + (f"/{office_code}" if office_code else "")
    return str(Path(settings.docs_dir) / "reports" / str(census_year))


def _region_name(office_code: str, fallback: str) -> str:
    from sentra.reference import regions

    region = regions().get(office_code)
    return region.name if region else fallback


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would evaluate becomes text: '=cmd' -> "'=cmd"."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A workbook of (sheet name, header, rows); strings always written as strings."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        for c, title in enumerate(header):
            ws.write_string(0, c, title, bold)
        widths = [len(h) + 2 for h in header]
        for r, row in enumerate(rows, start=1):
            for c, raw in enumerate(row):
                value = neutralise(raw)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    text = str(value)
                    ws.write_string(r, c, text, wrap)
                    widths[c] = max(widths[c], min(len(text) + 2, 70))
                else:
                    ws.write_number(r, c, value)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(header) - 1)
    wb.close()
    return buf.getvalue()


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float, margins: dict[str, float]) -> tuple[Any, Any]:
    """A bare Agg figure with fixed margins.

    Not pyplot (no global figure registry to leak from in long-lived workers) and not
    ``tight_layout`` (it draws the figure once more just to measure it: most of a
    chart's cost). The charts have fixed sizes and label sets, so fixed margins fit.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.subplots_adjust(**margins)
    return fig, fig.add_subplot()


def status_chart(this_year: dict[str, int], last_year: dict[str, int] | None, title: str) -> bytes:
    """Sentra by status, this census year next to last year's (PNG)."""
    labels = list(STATUS_LABELS)
    fig, ax = _figure(5.2, 2.6, {"left": 0.12, "right": 0.98, "top": 0.88, "bottom": 0.12})
    x = list(range(len(labels)))
    if last_year is not None:
        ax.bar(
            [i - 0.2 for i in x],
            [last_year.get(s, 0) for s in labels],
            0.4,
            label="Tahun lalu",
            color="#A6A6A6",
        )
    ax.bar(
        [i + (0.2 if last_year is not None else 0) for i in x],
        [this_year.get(s, 0) for s in labels],
        0.4,
        label="Tahun ini",
        color="#1F4E79",
    )
    ax.set_xticks(x, [STATUS_LABELS[s] for s in labels], fontsize=8)
    ax.set_ylabel("Jumlah sentra", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return _png(fig)


def rows_chart(rows: dict[str, int], title: str) -> bytes:
    """What became of the submitted rows: accepted, merged, rejected (PNG)."""
    parts = [
        ("Diterima", rows.get("accepted", 0) - rows.get("merged", 0), "#2E7D32"),
        ("Digabung", rows.get("merged", 0), "#F9A825"),
        ("Ditolak", rows.get("rejected", 0), "#C62828"),
    ]
    fig, ax = _figure(5.2, 1.3, {"left": 0.03, "right": 0.97, "top": 0.8, "bottom": 0.38})
    left = 0
    for label, raw, colour in parts:
        value = max(int(raw), 0)
        ax.barh([0], [value], left=left, color=colour, label=f"{label} ({angka(value)})")
        left += value
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    return _png(fig)


def _message(
    settings: Settings,
    *,
    to: list[str],
    subject: str,
    msg_id: str,
    text: str,
    html_template: str,
    context: dict[str, Any],
    charts: list[Chart],
    attachments: list[tuple[str, bytes, str]],
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    cids = [make_msgid(domain="sentra.local") for _ in charts]
    html = render_template(
        html_template,
        **context,
        subject=subject,
        contact=settings.central_office_email,
        charts=[
            {"cid": cid[1:-1], "alt": c.alt, "width": c.width}
            for cid, c in zip(cids, charts, strict=True)
        ],
    )
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, chart in zip(cids, charts, strict=True):
        html_part.add_related(
            chart.png, "image", "png", cid=cid, filename=chart.name, disposition="inline"
        )
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    msg["Content-Language"] = "id"  # last: making the message multipart moves Content-*
    return msg


# ---------------------------------------------------------------- messages


def office_subject(report: OfficeReport) -> str:
    area = _region_name(report.office.office_code, report.office.office_name)
    label = ", laporan pembaruan" if report.version.is_update else ""
    return (
        f"[SENTRA] Laporan Kualitas Sensus Sentra IKM {report.census_year} – {area} "
        f"(versi {report.version.number}{label})"
    )


def office_attachments(report: OfficeReport) -> list[tuple[str, bytes, str]]:
    out = []
    if report.rejected_rows:
        rows = [
            [
                r.source_file,
                r.source_sheet,
                r.source_row,
                r.sentra_name,
                ", ".join(r.reason_codes),
                r.explanation,
                r.fix,
            ]
            for r in report.rejected_rows
        ]
        header = [
            "Berkas",
            "Lembar",
            "Baris",
            "Nama Sentra",
            "Kode Alasan",
            "Keterangan",
            "Perbaikan",
        ]
        out.append((FILES["rejected"], xlsx_bytes([("Baris ditolak", header, rows)]), XLSX))
    if report.noted:
        rows = [[n.source_file, n.source_row, n.sentra_name, n.note, n.fix] for n in report.noted]
        header = ["Berkas", "Baris", "Nama Sentra", "Catatan", "Yang perlu diperiksa"]
        out.append((FILES["noted"], xlsx_bytes([("Baris dengan catatan", header, rows)]), XLSX))
    if report.recheck:
        rows = [
            [
                s.sentra_id,
                s.sentra_name,
                s.region_code,
                s.commodity,
                s.status_label,
                s.change_label,
                s.reasons,
            ]
            for s in report.recheck
        ]
        header = [
            "ID Sentra",
            "Nama Sentra",
            "Kab/Kota",
            "Komoditas",
            "Status",
            "Perubahan tahun ini",
            "Keterangan",
        ]
        out.append((FILES["recheck"], xlsx_bytes([("Periksa ulang", header, rows)]), XLSX))
    return out


def render_office_email(
    report: OfficeReport, settings: Settings, *, version_key: str | None = None
) -> EmailMessage:
    """The office's quality report: HTML + plain text, inline charts, XLSX attachments.

    Recipients are the office directory's addresses; ``version_key`` (default: the
    report's content digest) makes the Message-ID deterministic per delivery.
    """
    key = version_key or report.digest()
    office = report.office
    details = details_link(settings, report.census_year, office.office_code)
    from sentra.quality.docs import link_for

    docs = {s.submission_id: link_for(settings, s.submission_id) for s in report.submissions}
    context = {
        "r": report,
        "files": FILES,
        "details": details,
        "version": report.version,
        "docs": {k: v for k, v in docs.items() if v},
        "rows_in_email": ROWS_IN_EMAIL,
    }
    counts = {s.status: s.this_year for s in report.status_counts}
    last = (
        None
        if all(s.last_year is None for s in report.status_counts)
        else {s.status: s.last_year or 0 for s in report.status_counts}
    )
    area = _region_name(office.office_code, office.office_name)
    charts = [
        Chart(
            "status_sentra.png",
            status_chart(counts, last, f"Status sentra {area}"),
            "Grafik jumlah sentra menurut status, tahun ini dan tahun lalu",
        )
    ]
    if report.rows["total"]:
        charts.append(
            Chart(
                "baris_kiriman.png",
                rows_chart(report.rows, f"Hasil pemeriksaan {angka(report.rows['total'])} baris"),
                "Grafik baris yang diterima, digabung dan ditolak",
            )
        )
    return _message(
        settings,
        to=list(office.emails),
        subject=office_subject(report),
        msg_id=message_id(
            report.census_year, office.office_code, "report", key, settings.mail_from
        ),
        text=render_template("office_report.txt.j2", **context),
        html_template="office_report.html.j2",
        context=context,
        charts=charts,
        attachments=office_attachments(report),
    )


def render_reminder_email(
    report: ReminderReport, settings: Settings, *, version_key: str | None = None
) -> EmailMessage:
    """Reminder to an office that sent nothing, with its registered sentra attached."""
    key = version_key or report.digest()
    office = report.office
    area = _region_name(office.office_code, office.office_name)
    context = {"r": report, "files": FILES, "version": report.version}
    rows = [
        [s.sentra_id, s.sentra_name, s.region_code, s.commodity, s.status_label]
        for s in report.sentra
    ]
    header = ["ID Sentra", "Nama Sentra", "Kab/Kota", "Komoditas", "Status terakhir"]
    return _message(
        settings,
        to=list(office.emails),
        subject=(
            f"[SENTRA] Pengingat: data Sensus Sentra IKM {report.census_year} – {area} "
            "belum diterima"
        ),
        msg_id=message_id(
            report.census_year, office.office_code, "reminder", key, settings.mail_from
        ),
        text=render_template("reminder.txt.j2", **context),
        html_template="reminder.html.j2",
        context=context,
        charts=[],
        attachments=[(FILES["register"], xlsx_bytes([("Sentra terdaftar", header, rows)]), XLSX)],
    )


def render_summary_email(
    summary: NationalSummary, settings: Settings, *, version_key: str | None = None
) -> EmailMessage:
    """The national summary for the central office (Ditjen IKMA)."""
    key = version_key or summary.digest()
    details = details_link(settings, summary.census_year)
    context = {"r": summary, "files": FILES, "details": details, "version": summary.version}
    counts = {s.status: s.this_year for s in summary.status_totals}
    last = (
        None
        if all(s.last_year is None for s in summary.status_totals)
        else {s.status: s.last_year or 0 for s in summary.status_totals}
    )
    provinces = [
        [
            p.province_code,
            p.province_name,
            p.offices_expected,
            p.offices_submitted,
            p.files,
            p.rows_total,
            p.rows_rejected,
            ", ".join(p.missing),
        ]
        for p in summary.provinces
    ]
    commodities = [
        [c.label, *(c.counts.get(s, 0) for s in STATUS_LABELS)] for c in summary.commodities
    ]
    held = [
        [h.office_code, h.office_name, h.file_name, h.rows_total, h.rows_rejected, h.verdict]
        for h in summary.held
    ]
    workbook = xlsx_bytes(
        [
            (
                "Per provinsi",
                [
                    "Kode",
                    "Provinsi",
                    "Dinas",
                    "Dinas mengirim",
                    "Berkas",
                    "Baris",
                    "Baris ditolak",
                    "Belum mengirim",
                ],
                provinces,
            ),
            ("Per komoditas", ["Kelompok komoditas", *STATUS_LABELS.values()], commodities),
            (
                "Ditahan",
                ["Kode dinas", "Dinas", "Berkas", "Baris", "Baris ditolak", "Putusan"],
                held,
            ),
        ]
    )
    return _message(
        settings,
        to=[settings.central_office_email],
        subject=(
            f"[SENTRA] Ringkasan Nasional Sensus Sentra IKM {summary.census_year} "
            f"(versi {summary.version.number})"
        ),
        msg_id=message_id(summary.census_year, "pusat", "summary", key, settings.mail_from),
        text=render_template("summary.txt.j2", **context),
        html_template="summary.html.j2",
        context=context,
        charts=[
            Chart(
                "status_nasional.png",
                status_chart(counts, last, "Status sentra nasional"),
                "Grafik jumlah sentra nasional menurut status",
            )
        ],
        attachments=[(FILES["summary"], workbook, XLSX)],
    )
