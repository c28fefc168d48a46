"""Sentra status from the census history: active, at risk, not reported, inactive — with reasons.

The status of a sentra in a census year is derived from its observations over all
rounds up to that year, deterministically (the same history gives the same answer),
so reruns, late submissions and resubmissions simply recompute it.

Rules (thresholds in :class:`sentra.config.Settings`):

- reported closed / not producing by the office → ``inactive`` (``status_reported_closed``);
- reported active with fewer units than ``min_units_for_sentra`` (default 5) →
  ``at_risk`` (``status_below_minimum``). A sentra is by definition a cluster of IKM
  units in one place; the ministry's guidance on sentra IKM (Permenperin on the
  development of sentra IKM) sets five units as the working minimum;
- reported active with zero workers or zero production value → ``at_risk``
  (``status_inconsistent``): an active sentra cannot have neither;
- registered but absent from this round → ``not_reported`` (``status_not_reported``):
  absence is not death;
- absent (or reported closed) for ``inactive_after_missed_rounds`` consecutive rounds
  (default 2) → ``inactive`` (``status_missing_confirmed``). This follows the
  Eurostat–OECD Manual on Business Demography Statistics (2007), which confirms an
  enterprise death only when it is not reactivated within two years. Rounds in which
  the responsible office submitted nothing at all do not count: nobody looked;
- inactive before and reported active again → ``active`` (or at risk) with
  ``status_revived``, keeping its ``sentra_id`` and history.

The history is SCD type 2: one interval per unchanged (status, reasons), with the
observation behind each change as evidence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sentra.config import Settings
from sentra.schema import ReportedStatus, SentraStatus

if TYPE_CHECKING:
    import pandas as pd

ACTIVE, AT_RISK = SentraStatus.ACTIVE.value, SentraStatus.AT_RISK.value
NOT_REPORTED, INACTIVE = SentraStatus.NOT_REPORTED.value, SentraStatus.INACTIVE.value


@dataclass
class StatusResult:
    current: pd.DataFrame  # sentra_id, status, reason_codes, status_since, last_reported_year
    history: pd.DataFrame  # SCD2: sentra_id, status, reason_codes, valid_from_year, ...


def _observed_status(obs: Mapping[str, Any], settings: Settings) -> tuple[str, list[str]]:
    if obs.get("reported_status") == ReportedStatus.INACTIVE.value:
        return INACTIVE, ["status_reported_closed"]
    reasons = []
    units = _num(obs.get("units"))
    if units is not None and units < settings.min_units_for_sentra:
        reasons.append("status_below_minimum")
    workers, production = _num(obs.get("workers")), _num(obs.get("production_value"))
    if (workers is not None and workers == 0) or (production is not None and production == 0):
        reasons.append("status_inconsistent")
    return (AT_RISK, reasons) if reasons else (ACTIVE, ["status_active"])


def year_statuses(
    years: list[int],
    observed: Mapping[int, Mapping[str, Any]],
    office_submitted: Mapping[int, bool],
    settings: Settings,
) -> list[tuple[int, str, list[str], str]]:
    """(year, status, reasons, evidence) for each year of one sentra's life."""
    out: list[tuple[int, str, list[str], str]] = []
    previous = None
    missed = 0
    for year in years:
        obs = observed.get(year)
        if obs is not None:
            status, reasons = _observed_status(obs, settings)
            evidence = json.dumps(
                {
                    "submission_id": obs.get("submission_id"),
                    "source_row": _int(obs.get("source_row")),
                }
            )
            missed = missed + 1 if status == INACTIVE else 0
            if status != INACTIVE and previous == INACTIVE:
                reasons = [*reasons, "status_revived"]
        else:
            evidence = json.dumps(
                {"observation": None, "office_submitted": office_submitted.get(year)}
            )
            if office_submitted.get(year, False):
                missed += 1
            if previous == INACTIVE:
                status, reasons = INACTIVE, out[-1][2]
            elif missed >= settings.inactive_after_missed_rounds:
                status, reasons = INACTIVE, ["status_missing_confirmed"]
            else:
                status, reasons = NOT_REPORTED, ["status_not_reported"]
        out.append((year, status, sorted(reasons), evidence))
        previous = status
    return out


def _num(value: Any) -> float | None:
    """A number, or None for missing values (None, NaN, pandas NA)."""
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def derive(
    observations: pd.DataFrame,
    register: pd.DataFrame,
    submitted_offices: Mapping[int, set[str]],
    census_year: int,
    settings: Settings,
) -> StatusResult:
    """Current status and SCD2 history of every register sentra as of ``census_year``."""
    import pandas as pd

    obs = observations[observations["census_year"] <= census_year]
    obs_years = {int(y) for y in obs["census_year"].unique()} if len(obs) else set()
    # The census is yearly: every year from the first known round is a round, even one
    # in which nobody submitted.
    known = obs_years | {y for y in submitted_offices if y <= census_year} | {census_year}
    firsts = pd.to_numeric(register["first_census_year"], errors="coerce").dropna()
    start = int(min(*known, firsts.min() if len(firsts) else census_year))
    all_years = list(range(start, census_year + 1))
    by_sentra: dict[str, dict[int, dict[str, Any]]] = {}
    for rec in obs.to_dict("records"):
        by_sentra.setdefault(rec["sentra_id"], {})[int(rec["census_year"])] = rec
    current_rows, history_rows = [], []
    for reg in register.sort_values("sentra_id").to_dict("records"):
        sid = reg["sentra_id"]
        seen = by_sentra.get(sid, {})
        first = _int(reg.get("first_census_year"))
        first = all_years[0] if first is None else first
        if seen:
            first = min(first, *seen)
        years = [y for y in all_years if y >= first]
        region = str(reg["region_code"])
        offices = {region, region[:2]}
        submitted = {y: bool(offices & submitted_offices.get(y, set())) for y in years}
        statuses = year_statuses(years, seen, submitted, settings)
        intervals = _intervals(statuses)
        for i, (start, end, status, reasons, evidence) in enumerate(intervals):
            is_current = i == len(intervals) - 1
            history_rows.append(
                {
                    "sentra_id": sid,
                    "status": status,
                    "reason_codes": reasons,
                    "valid_from_year": start,
                    "valid_to_year": None if is_current else end,
                    "evidence": evidence,
                    "is_current": is_current,
                }
            )
        last = intervals[-1]
        current_rows.append(
            {
                "sentra_id": sid,
                "status": last[2],
                "reason_codes": last[3],
                "status_since": last[0],
                "last_reported_year": max(seen) if seen else None,
            }
        )
    current = pd.DataFrame(
        current_rows,
        columns=["sentra_id", "status", "reason_codes", "status_since", "last_reported_year"],
    )
    history = pd.DataFrame(
        history_rows,
        columns=[
            "sentra_id",
            "status",
            "reason_codes",
            "valid_from_year",
            "valid_to_year",
            "evidence",
            "is_current",
        ],
    )
    return StatusResult(current=current, history=history)


def _intervals(statuses: list[tuple[int, str, list[str], str]]) -> list[tuple]:
    """Merge consecutive years with the same status and reasons into intervals."""
    out: list[list[Any]] = []
    for year, status, reasons, evidence in statuses:
        if out and out[-1][2] == status and out[-1][3] == reasons:
            out[-1][1] = year
        else:
            out.append([year, year, status, reasons, evidence])
    return [tuple(i) for i in out]
