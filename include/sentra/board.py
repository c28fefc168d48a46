"""The census progress board's figures: who has submitted, how clean, what changed.

One row per office of the directory, grouped by province, for a census year:
submitted or not and when, files, rows accepted / rejected, files held for review or
returned, the form and reminders sent (the round), sentra active / inactive this year
against last year (the warehouse as last published), and the reports sent. Read-only:
the ledger and the warehouse are only read. The plugin in ``plugins/`` serves this as
JSON and as a page inside Airflow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from sentra.config import Settings


@dataclass
class OfficeProgress:
    office_code: str
    office_name: str
    province_code: str
    submitted: bool = False
    last_received_at: str | None = None
    files: int = 0
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    held: int = 0
    returned: int = 0
    form_sent: bool = False
    reminders: list[str] = field(default_factory=list)
    active: int = 0
    inactive: int = 0
    active_last_year: int | None = None
    inactive_last_year: int | None = None
    reports_sent: int = 0
    data_docs: list[str] = field(default_factory=list)


@dataclass
class Board:
    census_year: int
    round_status: str
    deadline: str | None
    offices: list[OfficeProgress]
    totals: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def provinces(self) -> list[tuple[str, list[OfficeProgress]]]:
        groups: dict[str, list[OfficeProgress]] = {}
        for office in self.offices:
            groups.setdefault(office.province_code, []).append(office)
        return sorted(groups.items())


def _status_counts(frame: pd.DataFrame, office_code: str) -> tuple[int, int] | None:
    from sentra.reports.model import area_mask

    if not len(frame):
        return None
    area = frame[area_mask(frame, office_code)]
    return int((area["status"] == "active").sum()), int((area["status"] == "inactive").sum())


def build(session: Session, settings: Settings, census_year: int) -> Board:
    """The board for a census year from the ledger and the latest publication.

    Reads the ledger through the caller's session (the web request's, see
    :func:`sentra.ledger.db.request_session`); writes nothing.
    """
    from sqlalchemy import select

    from sentra.ledger.models import CensusRound, Submission, SubmissionReview
    from sentra.offices import list_offices
    from sentra.quality.docs import link_for
    from sentra.reports.delivery import deliveries
    from sentra.reports.model import fmt_time
    from sentra.warehouse import Warehouse

    offices = [o for o in list_offices(session) if o.active]
    subs = session.scalars(
        select(Submission).where(
            Submission.census_year == census_year, Submission.status != "superseded"
        )
    ).all()
    returned = set(
        session.scalars(
            select(SubmissionReview.submission_id).where(SubmissionReview.decision == "return")
        ).all()
    )
    rnd = session.get(CensusRound, census_year)
    round_status = rnd.status if rnd else "not_open"
    deadline = rnd.deadline.isoformat() if rnd and rnd.deadline else None
    sub_rows = [
        (
            s.submission_id,
            s.office_code,
            s.status,
            s.received_at,
            s.rows_total or 0,
            s.rows_accepted or 0,
            s.rows_rejected or 0,
        )
        for s in subs
    ]
    sent = deliveries(session, census_year)
    wh = Warehouse(settings)
    columns = ["sentra_id", "region_code", "province_code", "status"]
    this_year = wh.scan("sentra_census", census_year=census_year).select(columns).to_pandas()
    last_year = wh.scan("sentra_census", census_year=census_year - 1).select(columns).to_pandas()

    board = []
    for office in offices:
        mine = [r for r in sub_rows if r[1] == office.office_code]
        row = OfficeProgress(office.office_code, office.office_name, office.province_code)
        usable = [r for r in mine if r[2] != "rejected"]
        row.submitted = bool(usable)
        row.files = len(mine)
        if mine:
            latest = max(r[3] for r in mine)
            row.last_received_at = fmt_time(latest)
        row.rows_total = sum(r[4] for r in mine)
        row.rows_accepted = sum(r[5] for r in mine)
        row.rows_rejected = sum(r[6] for r in mine)
        row.held = sum(1 for r in mine if r[2] == "needs_review" and r[0] not in returned)
        row.returned = sum(1 for r in mine if r[0] in returned)
        for d in sent:
            if d["office_code"] != office.office_code or d["status"] != "sent":
                continue
            if d["kind"] == "template":
                row.form_sent = True
            elif d["kind"] == "deadline_reminder":
                row.reminders.append(d["version_key"])
            elif d["kind"] == "report":
                row.reports_sent += 1
        row.reminders.sort()
        now = _status_counts(this_year, office.office_code)
        if now is not None:
            row.active, row.inactive = now
        before = _status_counts(last_year, office.office_code)
        if before is not None:
            row.active_last_year, row.inactive_last_year = before
        row.data_docs = [link for r in mine if (link := link_for(settings, r[0]))]
        board.append(row)
    kab = [o for o in board if len(o.office_code) > 2]
    totals = {
        "offices": len(board),
        "submitted": sum(o.submitted for o in board),
        "kabkota_offices": len(kab),
        "kabkota_submitted": sum(o.submitted for o in kab),
        "rows_accepted": sum(o.rows_accepted for o in board),
        "rows_rejected": sum(o.rows_rejected for o in board),
        "held": sum(o.held for o in board),
        "sentra_active": int((this_year["status"] == "active").sum()),
        "sentra_inactive": int((this_year["status"] == "inactive").sum()),
        "sentra_active_last_year": int((last_year["status"] == "active").sum()),
        "sentra_inactive_last_year": int((last_year["status"] == "inactive").sum()),
    }
    return Board(census_year, round_status, deadline, board, totals)
