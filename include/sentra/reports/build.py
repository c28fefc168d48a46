"""Report contents: what each office must know, read from the published warehouse.

Pure assembly over DataFrames (``office_report``), plus the loader that reads the
latest publication and the office directory. Rendering uses Jinja2 templates shipped in
the package with autoescaping on, so a sentra named ``<script>`` arrives as text.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings
from sentra.schema import COMMODITY_GROUP_LABELS, CommodityGroup, column_label, reason

if TYPE_CHECKING:
    import pandas as pd

    from sentra.reports import OutgoingMessage

TEMPLATES = Path(__file__).with_name("templates")
STATUS_LABELS = {
    "active": "Aktif",
    "at_risk": "Berisiko",
    "not_reported": "Tidak dilaporkan",
    "inactive": "Tidak aktif",
}
VERDICTS = {
    "staged": "diterima",
    "needs_review": "ditahan untuk ditinjau",
    "rejected": "ditolak",
    "received": "belum diproses",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Messages:
    version: int
    version_key: str
    items: list[OutgoingMessage]


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _as_list(value: Any) -> list:
    """Arrow list cells arrive as numpy arrays, lists or None; always a plain list."""
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    return list(value)


def settings_min_units(code: str) -> str:
    """The value a status reason mentions (the minimum number of units)."""
    from sentra.config import get_settings

    return str(get_settings().min_units_for_sentra) if code == "status_below_minimum" else ""


def neutralise(value: Any) -> Any:
    """Spreadsheet cells that start like a formula are prefixed with ' (formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def xlsx_bytes(sheet: str, header: list[str], rows: list[list[Any]]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, raw in enumerate(row):
            value = neutralise(raw)
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def status_chart(counts: dict[str, int], last_year: dict[str, int], title: str) -> bytes:
    """A small bar chart of statuses this year vs last year (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(STATUS_LABELS)
    fig, ax = plt.subplots(figsize=(5, 2.6), dpi=100)
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], [last_year.get(s, 0) for s in labels], 0.4, label="Tahun lalu")
    ax.bar([i + 0.2 for i in x], [counts.get(s, 0) for s in labels], 0.4, label="Tahun ini")
    ax.set_xticks(list(x), [STATUS_LABELS[s] for s in labels], fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _problem_text(problems_json: str | None) -> str:
    items = json.loads(problems_json or "[]")
    parts = []
    for p in items:
        r = reason(p["code"])
        label = column_label(p.get("column") or "")
        parts.append(r.render("id", column=label, value=p.get("value")))
    return "; ".join(parts)


def office_report(
    office: dict[str, Any],
    census_year: int,
    version: int,
    update: bool,
    submissions: pd.DataFrame,
    rows: pd.DataFrame,
    census: pd.DataFrame,
    register: pd.DataFrame,
    last_year_status: dict[str, int],
    details_link: str,
) -> tuple[dict[str, Any], list[tuple[str, bytes, str]]]:
    """The report model for one office and its attachments (name, bytes, mime type)."""
    subs = []
    clean = submissions.astype(object).where(submissions.notna(), None)
    for s in clean.sort_values("received_at").to_dict("records"):
        subs.append(
            {
                **s,
                "verdict_id": VERDICTS.get(s["status"], s["status"]),
                "received_at": str(s["received_at"])[:16],
                "rows_total": s["rows_total"] or 0,
                "rows_accepted": s["rows_accepted"] or 0,
                "rows_rejected": s["rows_rejected"] or 0,
                "rows_merged": s["rows_merged"] or 0,
            }
        )
    rejected = rows[rows["verdict"] == "rejected"]
    groups: dict[tuple[str, str], list[int]] = {}
    for rec in rejected.to_dict("records"):
        for p in json.loads(rec["problems"] or "[]"):
            if p["code"] in _as_list(rec["reason_codes"]):
                groups.setdefault((p["code"], p.get("column") or ""), []).append(
                    int(rec["source_row"])
                )
    rejected_groups = []
    for (code, column), found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        label = column_label(column) if column else "Baris"
        numbers = sorted(set(found))
        rejected_groups.append(
            {
                "message": reason(code).render("id", column=label, value="…"),
                "fix": reason(code).fix_id.format_map({"column": label, "value": ""}),
                "count": len(numbers),
                "rows_text": ", ".join(map(str, numbers[:60]))
                + (" …" if len(numbers) > 60 else ""),
            }
        )
    merged = []
    linked = rows[rows["verdict"].isin(["accepted", "merged"]) & rows["cluster_key"].notna()]
    for _key, group in linked.groupby("cluster_key"):
        if len(group) > 1:
            names = " / ".join(sorted({str(n) for n in group["sentra_name"]}))
            merged.append({"names": names, "sentra_id": group["sentra_id"].iloc[0]})
    counts = census["status"].value_counts().to_dict() if len(census) else {}
    mine = register
    status_counts = [
        {
            "label": STATUS_LABELS[s],
            "count": int((mine["status"] == s).sum()),
            "last_year": last_year_status.get(s),
        }
        for s in STATUS_LABELS
    ]
    recheck = [
        {
            "sentra_id": r["sentra_id"],
            "sentra_name": r["sentra_name"],
            "reason": "; ".join(
                reason(c).render("id", value=settings_min_units(c))
                for c in _as_list(r["status_reasons"])
            ),
        }
        for r in mine[mine["status"].isin(["at_risk", "not_reported", "inactive"])].to_dict(
            "records"
        )
    ]
    model = {
        "census_year": census_year,
        "office_name": office["office_name"],
        "version": version,
        "is_update": update,
        "submissions": subs,
        "rejected_groups": rejected_groups,
        "merged": merged,
        "status_counts": status_counts,
        "recheck": recheck,
        "details_link": details_link,
        "chart_cid": None,
        "status_this_year": {k: int(v) for k, v in counts.items()},
    }
    attachments = []
    if len(rejected):
        body = [
            [
                r["source_file"],
                r["source_sheet"],
                int(r["source_row"]),
                r["sentra_name"],
                ", ".join(_as_list(r["reason_codes"])),
                _problem_text(r["problems"]),
            ]
            for r in rejected.sort_values(["source_file", "source_row"]).to_dict("records")
        ]
        attachments.append(
            (
                "baris_ditolak.xlsx",
                xlsx_bytes(
                    "Baris ditolak",
                    ["Berkas", "Lembar", "Baris", "Nama Sentra", "Kode", "Keterangan"],
                    body,
                ),
                XLSX,
            )
        )
    if recheck:
        body = [[r["sentra_id"], r["sentra_name"], r["reason"]] for r in recheck]
        attachments.append(
            (
                "sentra_periksa_ulang.xlsx",
                xlsx_bytes("Periksa ulang", ["ID Sentra", "Nama Sentra", "Keterangan"], body),
                XLSX,
            )
        )
    return model, attachments


def render_email(
    settings: Settings,
    *,
    to: list[str],
    subject: str,
    text_template: str,
    html_template: str | None,
    model: dict[str, Any],
    attachments: list[tuple[str, bytes, str]],
    chart: bytes | None,
    msg_id: str,
) -> EmailMessage:
    env = _env()
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id
    msg.set_content(env.get_template(text_template).render(r=model))
    if html_template:
        cid = make_msgid(domain="sentra")
        model = {**model, "chart_cid": cid[1:-1] if chart else None}
        msg.add_alternative(
            env.get_template(html_template).render(r=model, subject=subject), subtype="html"
        )
        if chart:
            msg.get_payload()[1].add_related(chart, "image", "png", cid=cid)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def build_all(settings: Settings, census_year: int) -> Messages | None:
    """Every message of the latest publication of a census year."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.reports import OutgoingMessage, message_id
    from sentra.warehouse import Warehouse

    with session_scope(settings) as session:
        published = repo.latest_published(session, census_year)
        if published is None:
            return None
        version, version_key = published.version, published.content_hash
        earlier = repo.previous_published_hash(session, census_year, version)
        offices = repo.load_offices(session)
    wh = Warehouse(settings)
    subs = wh.scan("submissions", census_year=census_year).to_pandas()
    rows = wh.scan("submission_rows", census_year=census_year).to_pandas()
    census = wh.scan("sentra_census", census_year=census_year).to_pandas()
    register = wh.scan("sentra").to_pandas()
    last = wh.scan("sentra_census", census_year=census_year - 1).to_pandas()
    domain = settings.mail_from.split("@")[-1]
    details = settings.report_base_url or str(settings.docs_dir)
    items: list[OutgoingMessage] = []
    current = subs[subs["status"] != "superseded"]
    submitted = set(current["office_code"])
    for office in offices.to_dict("records"):
        code = office["office_code"]
        emails = list(office["emails"] or [])
        if not emails or not office.get("active", True):
            continue
        area = register[
            (register["region_code"] == code) | (register["province_code"] == code)
            if len(code) == 2
            else (register["region_code"] == code)
        ]
        if code in submitted:
            mine = current[current["office_code"] == code]
            model, attachments = office_report(
                office,
                census_year,
                version,
                earlier is not None,
                mine,
                rows[rows["office_code"] == code],
                census[census["office_code"] == code],
                area,
                _status_counts(last, area),
                f"{details}/{census_year}/{code}",
            )
            chart = status_chart(
                {s: int((area["status"] == s).sum()) for s in STATUS_LABELS},
                _status_counts(last, area),
                f"Status sentra {office['office_name']}",
            )
            label = " (laporan pembaruan)" if earlier is not None else ""
            subject = (
                f"[SENTRA] Laporan Kualitas Sensus Sentra IKM {census_year} – "
                f"{office['office_name']} (versi {version}){label}"
            )
            msg = render_email(
                settings,
                to=emails,
                subject=subject,
                text_template="office_report.txt.j2",
                html_template="office_report.html.j2",
                model=model,
                attachments=attachments,
                chart=chart,
                msg_id=message_id(census_year, code, "report", version_key, domain),
            )
            items.append(OutgoingMessage(census_year, code, "report", version_key, msg))
        elif len(code) > 2 and len(area):
            model = {
                "census_year": census_year,
                "office_name": office["office_name"],
                "sentra": area.sort_values("sentra_id").to_dict("records"),
            }
            msg = render_email(
                settings,
                to=emails,
                subject=(
                    f"[SENTRA] Pengingat: data Sensus Sentra IKM {census_year} belum diterima – "
                    f"{office['office_name']}"
                ),
                text_template="reminder.txt.j2",
                html_template=None,
                model=model,
                attachments=[],
                chart=None,
                msg_id=message_id(census_year, code, "reminder", version_key, domain),
            )
            items.append(OutgoingMessage(census_year, code, "reminder", version_key, msg))
    items.append(
        _summary(settings, census_year, version, version_key, offices, current, register, domain)
    )
    return Messages(version, version_key, items)


def _status_counts(last: pd.DataFrame, area: pd.DataFrame) -> dict[str, int]:
    if not len(last):
        return {}
    mine = last[last["sentra_id"].isin(set(area["sentra_id"]))]
    return {k: int(v) for k, v in mine["status"].value_counts().items()}


def _summary(
    settings: Settings,
    census_year: int,
    version: int,
    version_key: str,
    offices: pd.DataFrame,
    current: pd.DataFrame,
    register: pd.DataFrame,
    domain: str,
) -> OutgoingMessage:
    from sentra.reference import regions
    from sentra.reports import OutgoingMessage, message_id

    expected = offices[offices["office_code"].str.len() > 2]
    submitted = set(current["office_code"])
    provinces = []
    for prov, group in expected.groupby("province_code"):
        provinces.append(
            {
                "name": regions().provinces[prov].name,
                "expected": len(group),
                "submitted": int(group["office_code"].isin(submitted).sum()),
            }
        )
    commodity = []
    for group in CommodityGroup:
        sub = register[register["commodity_group"] == group.value]
        commodity.append(
            {
                "group": COMMODITY_GROUP_LABELS[group],
                **{s: int((sub["status"] == s).sum()) for s in STATUS_LABELS},
            }
        )
    held = current[current["status"] == "needs_review"].to_dict("records")
    model = {
        "census_year": census_year,
        "version": version,
        "expected": len(expected),
        "submitted": int(expected["office_code"].isin(submitted).sum()),
        "provinces": provinces,
        "commodity_status": commodity,
        "held": held,
        "missing": sorted(set(expected["office_code"]) - submitted),
    }
    msg = render_email(
        settings,
        to=[settings.central_office_email],
        subject=f"[SENTRA] Ringkasan Nasional Sensus Sentra IKM {census_year} (versi {version})",
        text_template="summary.txt.j2",
        html_template=None,
        model=model,
        attachments=[],
        chart=None,
        msg_id=message_id(census_year, "pusat", "summary", version_key, domain),
    )
    return OutgoingMessage(census_year, "pusat", "summary", version_key, msg)
