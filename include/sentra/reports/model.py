"""What each report says, as plain data built from DataFrames (no I/O, no rendering).

The pure layer of ``sentra.reports``: :func:`build_office_report`,
:func:`build_reminder` and :func:`build_national_summary` turn the published tables
(handed over in :class:`ReportInputs`) into frozen dataclasses that the templates
render. Keeping it pure means every sentence an office reads can be tested with a
few hand-made rows, and the content digest that keys delivery is computed from the
model rather than from a MIME message with dates and random boundaries in it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sentra.schema import (
    COMMODITY_GROUP_LABELS,
    CommodityGroup,
    Severity,
    column_label,
    reason,
)

if TYPE_CHECKING:
    import pandas as pd

    from sentra.offices import OfficeInfo

STATUS_LABELS: dict[str, str] = {
    "active": "Aktif",
    "at_risk": "Berisiko",
    "not_reported": "Tidak dilaporkan",
    "inactive": "Tidak aktif",
}
RECHECK_STATUSES = ("not_reported", "at_risk", "inactive")
# Submission status -> the verdict an office reads; worst first (a held file outranks).
VERDICTS: dict[str, str] = {
    "rejected": "ditolak",
    "needs_review": "ditahan untuk ditinjau",
    "returned": "dikembalikan untuk diperbaiki",
    "received": "belum selesai diproses",
    "staged": "diterima",
}
CHANGE_LABELS: dict[str, str] = {
    "inactive": "Ditandai tidak aktif",
    "not_reported": "Tidak dilaporkan tahun ini",
    "at_risk": "Ditandai berisiko",
    "revived": "Aktif kembali",
}
ROWS_IN_EMAIL = 60  # row numbers listed per reason in the email; all are in the XLSX


@dataclass(frozen=True)
class ReportVersion:
    """Which consolidation the report describes.

    ``number`` is the consolidation version shown in the subject; ``key`` its content
    hash; ``is_update`` is true when this office already received a report for an
    earlier, different result, so the new one is labelled "Laporan pembaruan".
    """

    number: int
    key: str
    is_update: bool = False


@dataclass
class ReportInputs:
    """The published tables a report is built from (whole census year, all offices).

    ``submissions`` / ``submission_rows`` / ``sentra`` / ``status_history`` follow the
    warehouse tables of the same names (``docs/data-dictionary.md``);
    ``last_year_status`` is ``sentra_id, status`` of the previous census year.
    The two thresholds fill the ``{value}`` of status reasons.

    The frames are read-only once loaded: what every office's report derives from the
    whole year (the status changes, the merged clusters) is computed once, on first
    use, and kept in ``derived`` (#28: recomputed per office, it was most of the time
    of a national round's 514 reports).
    """

    submissions: pd.DataFrame
    submission_rows: pd.DataFrame
    sentra: pd.DataFrame
    status_history: pd.DataFrame
    last_year_status: pd.DataFrame
    min_units_for_sentra: int = 5
    inactive_after_missed_rounds: int = 2
    derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)


@dataclass(frozen=True)
class SubmissionLine:
    submission_id: str
    file_name: str
    received_at: str
    status: str
    verdict: str
    is_current: bool
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_merged: int
    error: str | None = None  # why the whole file was rejected, in Indonesian
    fix: str | None = None


@dataclass(frozen=True)
class RejectedGroup:
    """Rows rejected for one reason on one column, by the office's own row numbers."""

    code: str
    column: str
    message: str
    fix: str
    rows: tuple[int, ...]

    @property
    def rows_text(self) -> str:
        shown = ", ".join(map(str, self.rows[:ROWS_IN_EMAIL]))
        more = len(self.rows) - ROWS_IN_EMAIL
        return shown + (f" … dan {more} baris lain (lihat lampiran)" if more > 0 else "")


@dataclass(frozen=True)
class RejectedRow:
    source_file: str
    source_sheet: str
    source_row: int
    sentra_name: str
    reason_codes: tuple[str, ...]
    explanation: str  # the "Keterangan" column: every problem of the row in Indonesian
    fix: str


@dataclass(frozen=True)
class NotedRow:
    """A row kept (accepted, merged or held) with a warning the office should check: a
    coordinate corrected or far from its kab/kota, a commodity taken from the name."""

    source_file: str
    source_row: int
    sentra_name: str
    note: str  # every warning of the row in Indonesian, with the value it concerns
    fix: str


@dataclass(frozen=True)
class MergedRecord:
    office_code: str
    source_file: str
    source_row: int
    sentra_name: str
    is_survivor: bool


@dataclass(frozen=True)
class MergedCluster:
    """Source rows that became one sentra (at least one of them is this office's)."""

    sentra_id: str
    records: tuple[MergedRecord, ...]


@dataclass(frozen=True)
class SentraLine:
    sentra_id: str
    sentra_name: str
    region_code: str
    commodity: str
    status: str
    status_label: str
    reasons: str
    change: str = ""  # inactive | not_reported | at_risk | revived, for changes this year
    change_label: str = ""
    previous_status_label: str = ""


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    this_year: int
    last_year: int | None


@dataclass(frozen=True)
class OfficeReport:
    office: OfficeInfo
    census_year: int
    version: ReportVersion
    verdict: str
    submissions: tuple[SubmissionLine, ...]
    rejected_groups: tuple[RejectedGroup, ...]
    rejected_rows: tuple[RejectedRow, ...]
    held_rows: int
    merged: tuple[MergedCluster, ...]
    changes: tuple[SentraLine, ...]
    recheck: tuple[SentraLine, ...]
    status_counts: tuple[StatusCount, ...]
    noted: tuple[NotedRow, ...] = ()

    @property
    def rows(self) -> dict[str, int]:
        current = [s for s in self.submissions if s.is_current]
        return {
            "total": sum(s.rows_total for s in current),
            "accepted": sum(s.rows_accepted for s in current),
            "rejected": sum(s.rows_rejected for s in current),
            "merged": sum(s.rows_merged for s in current),
        }

    def digest(self) -> str:
        return content_digest(self)


@dataclass(frozen=True)
class ReminderReport:
    office: OfficeInfo
    census_year: int
    version: ReportVersion
    sentra: tuple[SentraLine, ...]

    def digest(self) -> str:
        return content_digest(self)


@dataclass(frozen=True)
class ProvinceLine:
    province_code: str
    province_name: str
    offices_expected: int
    offices_submitted: int
    files: int
    rows_total: int
    rows_rejected: int
    missing: tuple[str, ...]  # names of offices that sent nothing


@dataclass(frozen=True)
class CommodityLine:
    group: str
    label: str
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class HeldLine:
    office_code: str
    office_name: str
    file_name: str
    rows_total: int
    rows_rejected: int
    status: str
    verdict: str


@dataclass(frozen=True)
class NationalSummary:
    census_year: int
    version: ReportVersion
    offices_expected: int
    offices_submitted: int
    provinces: tuple[ProvinceLine, ...]
    commodities: tuple[CommodityLine, ...]
    held: tuple[HeldLine, ...]
    status_totals: tuple[StatusCount, ...]

    @property
    def completeness_pct(self) -> float:
        return (
            100.0 * self.offices_submitted / self.offices_expected if self.offices_expected else 0.0
        )

    def digest(self) -> str:
        return content_digest(self)


# ----------------------------------------------------------------- helpers


def content_digest(report: Any) -> str:
    """Hash of what a report says, without its version label.

    Delivery is keyed by it, so an office whose report did not change is not mailed
    again when another office's resubmission produces a new consolidation.
    """
    data = dataclasses.asdict(report)
    data.pop("version", None)
    if not data.get("noted", True):  # a report without notes hashes as it did before them
        data.pop("noted")
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))  # NaN, NaT, pd.NA
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    return "" if _is_missing(value) else str(value)


def _int(value: Any) -> int:
    if _is_missing(value):
        return 0
    return int(value)


def _as_list(value: Any) -> list:
    """Arrow list cells arrive as numpy arrays, lists, JSON text or None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return list(json.loads(value)) if value.startswith("[") else [value]
    return list(value)


def _problems(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return list(json.loads(value or "[]"))
    return [dict(p) for p in _as_list(value)]


def _fill(template: str, **context: object) -> str:
    """``str.format`` that leaves unknown placeholders alone (fix texts use few)."""

    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return ""

    return template.format_map(_Keep({k: _text(v) for k, v in context.items()}))


def _status_values(data: ReportInputs) -> dict[str, object]:
    return {
        "status_below_minimum": data.min_units_for_sentra,
        "status_missing_confirmed": data.inactive_after_missed_rounds,
    }


def reasons_text(codes: Iterable[str], data: ReportInputs) -> str:
    """Status reasons of a sentra in Indonesian, with their thresholds filled in."""
    values = _status_values(data)
    return "; ".join(reason(c).render("id", value=values.get(c, "")) for c in codes)


def fmt_time(value: Any) -> str:
    if _is_missing(value):
        return ""
    text = str(value)
    try:
        import pandas as pd

        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("Asia/Jakarta")
            return ts.strftime("%d-%m-%Y %H:%M WIB")
        return ts.strftime("%d-%m-%Y %H:%M")
    except (ValueError, TypeError):
        return text


def area_mask(frame: pd.DataFrame, office_code: str) -> pd.Series:
    """Rows of the register an office answers for: its kab/kota, or its whole province."""
    if len(office_code) == 2:
        if "province_code" in frame.columns:
            return frame["province_code"].astype(str) == office_code
        return frame["region_code"].astype(str).str[:2] == office_code
    return frame["region_code"].astype(str) == office_code


def _sentra_lines(
    frame: pd.DataFrame, data: ReportInputs, changes: Mapping[str, tuple[str, str]] | None = None
) -> tuple[SentraLine, ...]:
    out = []
    for rec in frame.sort_values("sentra_id").to_dict("records"):
        status = _text(rec.get("status"))
        change, previous = (changes or {}).get(rec["sentra_id"], ("", ""))
        out.append(
            SentraLine(
                sentra_id=_text(rec["sentra_id"]),
                sentra_name=_text(rec.get("sentra_name")),
                region_code=_text(rec.get("region_code")),
                commodity=_text(rec.get("commodity")),
                status=status,
                status_label=STATUS_LABELS.get(status, status),
                reasons=reasons_text(_as_list(rec.get("status_reasons")), data),
                change=change,
                change_label=CHANGE_LABELS.get(change, ""),
                previous_status_label=STATUS_LABELS.get(previous, previous),
            )
        )
    return tuple(out)


def _status_counts(area: pd.DataFrame, last_year: pd.DataFrame) -> tuple[StatusCount, ...]:
    this = area["status"].value_counts().to_dict() if len(area) else {}
    if len(last_year):
        mine = last_year[last_year["sentra_id"].isin(set(area["sentra_id"]))]
        last: dict[str, int] | None = mine["status"].value_counts().to_dict()
    else:
        last = None
    return tuple(
        StatusCount(
            status=s,
            label=label,
            this_year=int(this.get(s, 0)),
            last_year=None if last is None else int(last.get(s, 0)),
        )
        for s, label in STATUS_LABELS.items()
    )


# ------------------------------------------------------------ office report


def _submission_lines(subs: pd.DataFrame) -> tuple[SubmissionLine, ...]:
    lines = []
    ordered = subs.sort_values(["received_at", "submission_id"]) if len(subs) else subs
    for rec in ordered.to_dict("records"):
        status = _text(rec.get("status"))
        error_code = _text(rec.get("error_code"))
        error = _text(rec.get("error_message")) or None
        fix = None
        if error_code:
            try:
                fix = reason(error_code).fix_id
            except KeyError:
                fix = None
        lines.append(
            SubmissionLine(
                submission_id=_text(rec.get("submission_id")),
                file_name=_text(rec.get("file_name")),
                received_at=fmt_time(rec.get("received_at")),
                status=status,
                verdict=VERDICTS.get(status, "digantikan berkas yang lebih baru"),
                is_current=status != "superseded",
                rows_total=_int(rec.get("rows_total")),
                rows_accepted=_int(rec.get("rows_accepted")),
                rows_rejected=_int(rec.get("rows_rejected")),
                rows_merged=_int(rec.get("rows_merged")),
                error=error,
                fix=fix,
            )
        )
    return tuple(lines)


def _overall_verdict(lines: tuple[SubmissionLine, ...]) -> str:
    """The worst verdict among the office's current files (one is usual)."""
    current = [s.status for s in lines if s.is_current]
    for status, verdict in VERDICTS.items():
        if status in current:
            return verdict
    return "belum ada berkas"


def _rejected(rows: pd.DataFrame) -> tuple[tuple[RejectedGroup, ...], tuple[RejectedRow, ...]]:
    groups: dict[tuple[str, str], set[int]] = {}
    detail = []
    rejected = rows[rows["verdict"] == "rejected"]
    if len(rejected):
        rejected = rejected.sort_values(["source_file", "source_row"])
    for rec in rejected.to_dict("records"):
        codes = tuple(sorted(set(_as_list(rec.get("reason_codes")))))
        row_no = _int(rec.get("source_row"))
        texts, fixes = [], []
        covered = set()
        for p in _problems(rec.get("problems")):
            code = p.get("code")
            if not code:
                continue
            column, text, fix = _explained(code, p)
            texts.append(text)
            if fix not in fixes:
                fixes.append(fix)
            if code in codes:
                covered.add(code)
                groups.setdefault((code, column), set()).add(row_no)
        for code in codes:  # a reason with no matching problem entry still counts
            if code not in covered:
                groups.setdefault((code, ""), set()).add(row_no)
                texts.append(reason(code).render("id", column="", value=""))
                fixes.append(reason(code).fix_id)
        detail.append(
            RejectedRow(
                source_file=_text(rec.get("source_file")),
                source_sheet=_text(rec.get("source_sheet")),
                source_row=row_no,
                sentra_name=_text(rec.get("sentra_name")),
                reason_codes=codes,
                explanation="; ".join(texts),
                fix=" ".join(fixes),
            )
        )
    out = []
    for (code, column), numbers in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        label = column_label(column) if column else ""
        r = reason(code)
        out.append(
            RejectedGroup(
                code=code,
                column=label,
                message=r.render("id", column=label, value="…").replace(" ''", ""),
                fix=_fill(r.fix_id, column=label),
                rows=tuple(sorted(numbers)),
            )
        )
    return tuple(out), tuple(detail)


def _explained(code: str, problem: dict[str, Any]) -> tuple[str, str, str]:
    """(column, what is wrong, how to fix it) of one row problem, in Indonesian."""
    r = reason(code)
    column = _text(problem.get("column"))
    label = column_label(column) if column else ""
    return (
        column,
        r.render("id", column=label, value=_text(problem.get("value"))),
        _fill(r.fix_id, column=label),
    )


def _noted(rows: pd.DataFrame) -> tuple[NotedRow, ...]:
    """Rows kept despite a warning, by file and row, each with what to check."""
    kept = rows[rows["verdict"] != "rejected"]
    if not len(kept) or "problems" not in kept:
        return ()
    out = []
    for rec in kept.sort_values(["source_file", "source_row"]).to_dict("records"):
        texts: list[str] = []
        fixes: list[str] = []
        for p in _problems(rec.get("problems")):
            code = p.get("code")
            if not code or reason(code).severity != Severity.WARNING:
                continue
            _, text, fix = _explained(code, p)
            texts.append(text)
            if fix not in fixes:
                fixes.append(fix)
        if texts:
            out.append(
                NotedRow(
                    source_file=_text(rec.get("source_file")),
                    source_row=_int(rec.get("source_row")),
                    sentra_name=_text(rec.get("sentra_name")),
                    note=" ".join(texts),
                    fix=" ".join(fixes),
                )
            )
    return tuple(out)


def _merged(data: ReportInputs, office_code: str) -> tuple[MergedCluster, ...]:
    """The clusters of merged duplicates with a row from the office, by sentra_id."""
    if "merged_by_office" not in data.derived:
        data.derived["merged_by_office"] = _merged_by_office(data.submission_rows)
    by_office: dict[str, list[MergedCluster]] = data.derived["merged_by_office"]
    return tuple(sorted(by_office.get(office_code, ()), key=lambda c: c.sentra_id))


def _merged_by_office(all_rows: pd.DataFrame) -> dict[str, list[MergedCluster]]:
    """Every cluster of more than one linked row, under each office with a row in it."""
    if not len(all_rows) or "cluster_key" not in all_rows.columns:
        return {}
    linked = all_rows[
        all_rows["verdict"].isin(["accepted", "merged"]) & all_rows["cluster_key"].notna()
    ]
    sizes = linked.groupby("cluster_key")["verdict"].transform("size")
    linked = linked[sizes > 1]
    # One sort and one pass over the rows: a groupby with a sort per cluster took
    # seconds at a national round's thousands of clusters.
    firsts = linked.drop_duplicates("cluster_key")  # a cluster's id: its first row's
    first_id = dict(zip(firsts["cluster_key"], firsts["sentra_id"], strict=True))
    out: dict[str, list[MergedCluster]] = {}
    ordered = linked.sort_values(["cluster_key", "verdict", "source_file", "source_row"])
    for key, group in itertools.groupby(ordered.to_dict("records"), key=itemgetter("cluster_key")):
        rows = list(group)
        records = tuple(
            MergedRecord(
                office_code=_text(r["office_code"]),
                source_file=_text(r["source_file"]),
                source_row=_int(r["source_row"]),
                sentra_name=_text(r.get("sentra_name")),
                is_survivor=r["verdict"] == "accepted",
            )
            for r in rows
        )
        cluster = MergedCluster(sentra_id=_text(first_id[key]) or key, records=records)
        for office_code in dict.fromkeys(r["office_code"] for r in rows):
            out.setdefault(office_code, []).append(cluster)
    return out


def status_changes(history: pd.DataFrame, census_year: int) -> dict[str, tuple[str, str]]:
    """sentra_id -> (change, previous status) for statuses that began this census year."""
    if not len(history):
        return {}
    started = history[
        history["is_current"].astype(bool) & (history["valid_from_year"] == census_year)
    ]
    before = history[history["valid_to_year"] == census_year - 1]
    previous = dict(zip(before["sentra_id"], before["status"], strict=False))
    out: dict[str, tuple[str, str]] = {}
    for rec in started.to_dict("records"):
        sid, status = rec["sentra_id"], rec["status"]
        prev = _text(previous.get(sid))
        codes = _as_list(rec.get("reason_codes"))
        if "status_revived" in codes or (
            status in ("active", "at_risk") and prev in ("inactive", "not_reported")
        ):
            out[sid] = ("revived", prev)
        elif status in ("inactive", "not_reported", "at_risk") and status != prev:
            out[sid] = (status, prev)
    return out


def build_office_report(
    office: OfficeInfo, census_year: int, data: ReportInputs, *, version: ReportVersion
) -> OfficeReport:
    """The report of one office that submitted in ``census_year``."""
    code = office.office_code
    subs = data.submissions[data.submissions["office_code"] == code]
    lines = _submission_lines(subs)
    rows = data.submission_rows[data.submission_rows["office_code"] == code]
    groups, detail = _rejected(rows)
    area = data.sentra[area_mask(data.sentra, code)]
    if ("status_changes", census_year) not in data.derived:
        data.derived["status_changes", census_year] = status_changes(
            data.status_history, census_year
        )
    changes = data.derived["status_changes", census_year]
    changed = area[area["sentra_id"].isin(set(changes))]
    recheck = area[area["status"].isin(RECHECK_STATUSES)]
    return OfficeReport(
        office=office,
        census_year=census_year,
        version=version,
        verdict=_overall_verdict(lines),
        submissions=lines,
        rejected_groups=groups,
        rejected_rows=detail,
        held_rows=int((rows["verdict"] == "held").sum()),
        merged=_merged(data, code),
        changes=tuple(
            sorted(
                _sentra_lines(changed, data, changes),
                key=lambda s: (list(CHANGE_LABELS).index(s.change), s.sentra_id),
            )
        ),
        recheck=_sentra_lines(recheck, data, changes),
        status_counts=_status_counts(area, data.last_year_status),
        noted=_noted(rows),
    )


# ------------------------------------------------------- reminder and summary


def submitted_offices(submissions: pd.DataFrame) -> set[str]:
    """Offices with at least one file this year that was not replaced by a newer one."""
    if not len(submissions):
        return set()
    return set(submissions.loc[submissions["status"] != "superseded", "office_code"].astype(str))


def needs_reminder(office_code: str, submitted: set[str]) -> bool:
    """No file covers the office's area: not its own, nor its province's, nor (for a
    province office) any of its kab/kota's. Whoever covers it has done the round."""
    if office_code in submitted:
        return False
    if len(office_code) == 2:
        return not any(s[:2] == office_code for s in submitted)
    return office_code[:2] not in submitted


def build_reminder(
    office: OfficeInfo, census_year: int, data: ReportInputs, *, version: ReportVersion
) -> ReminderReport:
    """A reminder to an office that sent nothing, listing its registered sentra."""
    area = data.sentra[area_mask(data.sentra, office.office_code)]
    return ReminderReport(
        office=office,
        census_year=census_year,
        version=version,
        sentra=_sentra_lines(area, data),
    )


def build_national_summary(
    offices: Iterable[OfficeInfo], census_year: int, data: ReportInputs, *, version: ReportVersion
) -> NationalSummary:
    """The central office's view: completeness, statuses by commodity group, held files."""
    from sentra.reference import regions

    offices = list(offices)
    names = {o.office_code: o.office_name for o in offices}
    submitted = submitted_offices(data.submissions)
    subs = data.submissions
    current = subs[subs["status"] != "superseded"] if len(subs) else subs
    provinces = []
    for prov in sorted({o.province_code for o in offices} | {s[:2] for s in submitted}):
        members = [o for o in offices if o.province_code == prov]
        in_prov = current[current["office_code"].astype(str).str[:2] == prov]
        region = regions().get(prov)
        provinces.append(
            ProvinceLine(
                province_code=prov,
                province_name=region.name if region else prov,
                offices_expected=len(members),
                offices_submitted=sum(o.office_code in submitted for o in members),
                files=len(in_prov),
                rows_total=int(in_prov["rows_total"].fillna(0).sum()) if len(in_prov) else 0,
                rows_rejected=int(in_prov["rows_rejected"].fillna(0).sum()) if len(in_prov) else 0,
                missing=tuple(o.office_name for o in members if o.office_code not in submitted),
            )
        )
    register = data.sentra
    commodities = []
    for group in CommodityGroup:
        sub = register[register["commodity_group"] == group.value]
        commodities.append(
            CommodityLine(
                group=group.value,
                label=COMMODITY_GROUP_LABELS[group],
                counts={s: int((sub["status"] == s).sum()) for s in STATUS_LABELS},
            )
        )
    held = []
    flagged = (
        current[current["status"].isin(["needs_review", "rejected"])] if len(current) else current
    )
    for rec in flagged.sort_values(["office_code", "file_name"]).to_dict("records"):
        held.append(
            HeldLine(
                office_code=_text(rec["office_code"]),
                office_name=names.get(_text(rec["office_code"]), _text(rec["office_code"])),
                file_name=_text(rec["file_name"]),
                rows_total=_int(rec.get("rows_total")),
                rows_rejected=_int(rec.get("rows_rejected")),
                status=_text(rec["status"]),
                verdict=VERDICTS.get(_text(rec["status"]), _text(rec["status"])),
            )
        )
    return NationalSummary(
        census_year=census_year,
        version=version,
        offices_expected=len(offices),
        offices_submitted=sum(o.office_code in submitted for o in offices),
        provinces=tuple(provinces),
        commodities=tuple(commodities),
        held=tuple(held),
        status_totals=_status_counts(register, data.last_year_status),
    )
