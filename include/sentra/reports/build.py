"""Earlier entry points (``office_report`` / ``render_email``), kept as thin adapters.

``tests/unit/test_report_html.py`` (outside this module's files) still calls them;
new code uses :mod:`sentra.reports.model` and :mod:`sentra.reports.render`. Remove
this module together with that test.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from sentra.reports.render import FILES, Chart, _message, office_attachments, status_chart

if TYPE_CHECKING:
    import pandas as pd

    from sentra.config import Settings

__all__ = ["office_report", "render_email", "status_chart"]
_CODE = "00.00"  # the frames these callers pass carry no office column


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
    """One office's report from frames of that office only; (model, attachments)."""
    import pandas as pd

    from sentra.offices import OfficeInfo
    from sentra.reports.model import ReportInputs, ReportVersion, build_office_report

    info = OfficeInfo(_CODE, str(office["office_name"]), _CODE[:2], ())
    data = ReportInputs(
        submissions=submissions.assign(office_code=_CODE),
        submission_rows=rows.assign(office_code=_CODE),
        sentra=register.assign(region_code=_CODE),
        status_history=pd.DataFrame(columns=["sentra_id", "status", "valid_to_year"]),
        last_year_status=pd.DataFrame(columns=["sentra_id", "status"]),
    )
    report = build_office_report(
        info, census_year, data, version=ReportVersion(version, "", bool(update))
    )
    model = {"report": report, "details": details_link, "chart_cid": None}
    return model, office_attachments(report)


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
    from sentra.reports.render import render_template

    report = model["report"]
    context = {"r": report, "files": FILES, "details": model["details"], "version": report.version}
    return _message(
        settings,
        to=to,
        subject=subject,
        msg_id=msg_id,
        text=render_template(text_template, **context),
        html_template=html_template or "office_report.html.j2",
        context=context,
        charts=[Chart("status_sentra.png", chart, "Status sentra")] if chart else [],
        attachments=attachments,
    )
