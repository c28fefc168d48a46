"""Sentra status from the census history: active, at risk, not reported, inactive — with reasons.

The status of a sentra in a census year is derived from its observations over all
rounds up to that year, deterministically (the same history gives the same answer,
row for row), so reruns, late submissions and resubmissions simply recompute it.
Pure: pandas in, pandas out, no I/O.

Rules, each with its reason code (``sentra.schema.REASONS``, Severity.STATUS) and
thresholds from :class:`sentra.config.Settings`:

- reported closed / not producing by the office → ``inactive``
  (``status_reported_closed``). The office's field visit is the best evidence there is.
- reported ``kurang aktif`` (less active, ``ReportedStatus.LESS_ACTIVE``) → ``at_risk``
  (``status_reported_less_active``): the middle word of the offices' standard scale
  aktif / kurang aktif / tidak aktif. Still producing, so never *closed*, and it does not
  count towards the missed-rounds rule; the size and consistency rules below still add
  their reasons.
- reported active with fewer units than ``min_units_for_sentra`` (default 5) →
  ``at_risk`` (``status_below_minimum``). Source: PP No. 29 Tahun 2018 tentang
  Pemberdayaan Industri, Pasal 1, defines a sentra IKM as a group of IKM in one
  location of at least five (5) business units making similar products; the
  ministry's sentra regulations (Permenperin) build on that definition. A sentra
  below it is no longer a sentra by definition but is not dead either: at risk.
- reported active with zero workers or zero production value → ``at_risk``
  (``status_inconsistent``): a producing cluster has both; one of the two figures
  (or the status) is wrong and the office is asked to check.
- registered but absent from this round → ``not_reported`` (``status_not_reported``):
  absence is not death. Also when the responsible office (the kab/kota office or the
  province office) submitted nothing at all; such rounds are not counted below.
- not reported (in a round the office did submit) or reported closed for
  ``inactive_after_missed_rounds`` consecutive rounds (default 2) → ``inactive``
  (``status_missing_confirmed``). Source: Eurostat–OECD *Manual on Business
  Demography Statistics* (2007), which counts an enterprise death only when it is not
  reactivated within two years, so that dormancy is not mistaken for death.
- previously inactive and now reported active → ``active`` (or ``at_risk``) with
  ``status_revived`` added, same ``sentra_id``, history kept.
- a sentra the missed-rounds rule would declare inactive in a year for which a
  reviewer kept it open (``kept_open``, from ``census_review``) stays
  ``not_reported`` with ``status_kept_by_reviewer``; its missed rounds keep counting,
  so the next round asks again.

Rounds: the census is yearly, so every year from the earliest one known (an
observation, a submission, a register ``first_census_year``, or ``census_year``) is a
round, even one in which nobody submitted. A sentra is expected from its register
``first_census_year`` (or its first observation, if earlier; from the first round
when the register does not say).

History (``sentra_status_history``) is SCD type 2: consecutive years with the same
status and reasons form one interval ``[valid_from_year, valid_to_year]`` (inclusive;
``valid_to_year`` is null, pandas ``Int64`` NA, for the current interval), and each
interval carries as evidence the observation behind the change (its ``submission_id`` and
``source_row``) or, when there was none, ``{"observation": null, "office_submitted":
…}``.

The computation loops over census years (a handful) and is vectorised over sentra:
100,000 sentra × 5 rounds take about a second.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sentra.config import Settings
from sentra.schema import ReportedStatus, SentraStatus

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Status codes inside the computation; NONE = the sentra is not expected yet.
NONE, ACTIVE, AT_RISK, NOT_REPORTED, INACTIVE = -1, 0, 1, 2, 3
STATUS_NAMES = {
    ACTIVE: SentraStatus.ACTIVE.value,
    AT_RISK: SentraStatus.AT_RISK.value,
    NOT_REPORTED: SentraStatus.NOT_REPORTED.value,
    INACTIVE: SentraStatus.INACTIVE.value,
}
# Reason codes as bits, so a year's reasons are one integer per sentra.
REASON_BITS = {
    "status_active": 1,
    "status_below_minimum": 2,
    "status_inconsistent": 4,
    "status_not_reported": 8,
    "status_missing_confirmed": 16,
    "status_reported_closed": 32,
    "status_revived": 64,
    "status_kept_by_reviewer": 128,
    "status_reported_less_active": 256,
}
B = REASON_BITS

CURRENT_COLUMNS = ["sentra_id", "status", "reason_codes", "status_since", "last_reported_year"]
HISTORY_COLUMNS = [
    "sentra_id",
    "status",
    "reason_codes",
    "valid_from_year",
    "valid_to_year",
    "evidence",
    "is_current",
]


@dataclass
class StatusResult:
    """Current status per register sentra, and the SCD2 status history behind it."""

    current: pd.DataFrame  # sentra_id, status, reason_codes, status_since, last_reported_year
    history: pd.DataFrame  # sentra_id, status, reason_codes, valid_from_year, valid_to_year,
    #                        evidence, is_current


def reasons_of(mask: int) -> list[str]:
    """The sorted reason codes of a bit mask."""
    return sorted(code for code, bit in REASON_BITS.items() if mask & bit)


def _observed(obs: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Status and reason mask of each observation (the rules that need one round only)."""
    import numpy as np
    import pandas as pd

    reported = obs["reported_status"].astype("string")
    closed = (reported == ReportedStatus.INACTIVE.value).to_numpy(dtype=bool, na_value=False)
    less_active = (reported == ReportedStatus.LESS_ACTIVE.value).to_numpy(
        dtype=bool, na_value=False
    )

    def number(column: str) -> np.ndarray:
        return pd.to_numeric(obs[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    units, workers, production = number("units"), number("workers"), number("production_value")
    small = units < settings.min_units_for_sentra  # NaN compares False: unknown is not small
    inconsistent = (workers == 0) | (production == 0)
    reasons = np.where(small, B["status_below_minimum"], 0) | np.where(
        inconsistent, B["status_inconsistent"], 0
    )
    reasons = reasons | np.where(less_active, B["status_reported_less_active"], 0)
    status = np.where(reasons > 0, AT_RISK, ACTIVE)
    reasons = np.where(reasons > 0, reasons, B["status_active"])
    status = np.where(closed, INACTIVE, status)
    reasons = np.where(closed, B["status_reported_closed"], reasons)
    return status.astype(np.int8), reasons.astype(np.int16)


def derive(
    observations: pd.DataFrame,
    register: pd.DataFrame,
    submitted_offices: Mapping[int, set[str]],
    census_year: int,
    settings: Settings,
    kept_open: Mapping[int, set[str]] | None = None,
) -> StatusResult:
    """Current status and SCD2 history of every register sentra as of ``census_year``.

    ``observations`` holds one row per (sentra_id, census_year) reported in a
    consolidated round; should a pair appear twice, the row with the smallest
    (submission_id, source_row) is used, so the answer does not depend on row order.
    Sentra observed but absent from the register are ignored: the register is the
    population. Register entries whose first year lies after ``census_year`` are not
    expected yet and get no row. ``kept_open`` maps a census year to the sentra_ids a
    reviewer decided not to declare inactive for missed rounds that year.
    """
    import numpy as np
    import pandas as pd

    obs = observations[pd.to_numeric(observations["census_year"]) <= census_year].copy()
    obs["census_year"] = pd.to_numeric(obs["census_year"]).astype(int)
    obs = obs.sort_values(["sentra_id", "census_year", "submission_id", "source_row"])
    obs = obs.drop_duplicates(["sentra_id", "census_year"], keep="first")

    reg = register.drop_duplicates("sentra_id").sort_values("sentra_id").reset_index(drop=True)
    n = len(reg)
    index = pd.Index(reg["sentra_id"])
    pos = index.get_indexer(obs["sentra_id"])
    obs, pos = obs[pos >= 0], pos[pos >= 0]

    first = pd.to_numeric(reg["first_census_year"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    round_years = set(obs["census_year"]) | {y for y in submitted_offices if y <= census_year}
    round_years |= {int(y) for y in first[~np.isnan(first)] if y <= census_year}
    start = int(min(round_years | {census_year}))
    years = list(range(start, census_year + 1))
    n_years = len(years)
    first = np.where(np.isnan(first), start, first)
    first_seen = np.full(n, np.inf)
    np.minimum.at(first_seen, pos, obs["census_year"].to_numpy(dtype=float))
    first = np.minimum(first, first_seen).astype(int)

    # Observations as year × sentra matrices.
    obs_status, obs_reasons = _observed(obs, settings)
    col = obs["census_year"].to_numpy() - start
    has = np.zeros((n_years, n), dtype=bool)
    st_obs = np.full((n_years, n), NONE, dtype=np.int8)
    rs_obs = np.zeros((n_years, n), dtype=np.int16)
    ev_row = np.full((n_years, n), -1, dtype=np.int64)  # row of obs behind the year
    has[col, pos] = True
    st_obs[col, pos] = obs_status
    rs_obs[col, pos] = obs_reasons
    ev_row[col, pos] = np.arange(len(obs))

    region = reg["region_code"].astype(str)
    province = region.str[:2]
    submitted = np.zeros((n_years, n), dtype=bool)
    for j, year in enumerate(years):
        offices = list(submitted_offices.get(year, set()))
        submitted[j] = (region.isin(offices) | province.isin(offices)).to_numpy()

    # One pass over the rounds, vectorised over sentra: the rules that need history.
    status = np.full((n_years, n), NONE, dtype=np.int8)
    reasons = np.zeros((n_years, n), dtype=np.int16)
    prev_status = np.full(n, NONE, dtype=np.int8)
    prev_reasons = np.zeros(n, dtype=np.int16)
    missed = np.zeros(n, dtype=np.int32)
    kept_mask = {int(y): index.isin(sorted(ids)) for y, ids in (kept_open or {}).items()}
    for j, year in enumerate(years):
        alive = first <= year
        seen = has[j] & alive
        absent = ~has[j] & alive
        s, r = st_obs[j].copy(), rs_obs[j].copy()
        revived = seen & (s != INACTIVE) & (prev_status == INACTIVE)
        r = np.where(revived, r | B["status_revived"], r)
        missed = np.where(seen, np.where(s == INACTIVE, missed + 1, 0), missed)
        missed = np.where(absent & submitted[j], missed + 1, missed)
        stays_dead = absent & (prev_status == INACTIVE)
        confirmed = absent & ~stays_dead & (missed >= settings.inactive_after_missed_rounds)
        kept = confirmed & kept_mask.get(year, False)
        confirmed &= ~kept
        s = np.where(absent, NOT_REPORTED, s)
        r = np.where(absent, B["status_not_reported"], r)
        s = np.where(confirmed | stays_dead, INACTIVE, s)
        r = np.where(confirmed, B["status_missing_confirmed"], r)
        r = np.where(kept, r | B["status_kept_by_reviewer"], r)
        r = np.where(stays_dead, prev_reasons, r)
        s = np.where(alive, s, NONE)
        r = np.where(alive, r, 0)
        status[j], reasons[j] = s, r
        prev_status, prev_reasons = s.astype(np.int8), r.astype(np.int16)
        missed = np.where(alive, missed, 0)

    # Long form (sentra-major, year-minor) of the years each sentra was expected.
    flat_status = status.T.ravel()
    keep = flat_status != NONE
    sentra_pos = np.repeat(np.arange(n), n_years)[keep]
    year_arr = np.tile(np.asarray(years), n)[keep]
    flat_status = flat_status[keep]
    flat_reasons = reasons.T.ravel()[keep]
    flat_evidence = ev_row.T.ravel()[keep]
    flat_submitted = submitted.T.ravel()[keep]

    new_sentra = np.ones(len(sentra_pos), dtype=bool)
    new_sentra[1:] = sentra_pos[1:] != sentra_pos[:-1]
    changed = new_sentra.copy()
    changed[1:] |= (flat_status[1:] != flat_status[:-1]) | (flat_reasons[1:] != flat_reasons[:-1])
    starts = np.flatnonzero(changed)
    ends = np.append(starts[1:], len(sentra_pos)) - 1
    is_current = np.append(sentra_pos[starts][1:] != sentra_pos[starts][:-1], True)

    evidence = _evidence(obs, flat_evidence[starts], flat_submitted[starts])
    mask_lists = {int(m): reasons_of(int(m)) for m in np.unique(flat_reasons)}
    history = pd.DataFrame(
        {
            "sentra_id": index.to_numpy()[sentra_pos[starts]],
            "status": [STATUS_NAMES[int(s)] for s in flat_status[starts]],
            "reason_codes": [list(mask_lists[int(m)]) for m in flat_reasons[starts]],
            "valid_from_year": year_arr[starts].astype("int64"),
            "valid_to_year": pd.array(
                [
                    None if now else int(end)
                    for now, end in zip(is_current.tolist(), year_arr[ends].tolist(), strict=True)
                ],
                dtype="Int64",
            ),
            "evidence": evidence,
            "is_current": is_current,
        },
        columns=HISTORY_COLUMNS,
    )

    # status_since: the start of the last run of the same status (reasons may differ).
    status_run = new_sentra.copy()
    status_run[1:] |= flat_status[1:] != flat_status[:-1]
    run_starts = np.flatnonzero(status_run)
    last_run = np.append(sentra_pos[run_starts][1:] != sentra_pos[run_starts][:-1], True)
    since = pd.Series(year_arr[run_starts[last_run]], index=sentra_pos[run_starts[last_run]])
    last_seen = pd.Series(obs["census_year"].to_numpy(), index=pos).groupby(level=0).max()
    cur = history[history["is_current"]].reset_index(drop=True)
    cur_pos = sentra_pos[starts][is_current]
    current = pd.DataFrame(
        {
            "sentra_id": cur["sentra_id"],
            "status": cur["status"],
            "reason_codes": cur["reason_codes"],
            "status_since": since.reindex(cur_pos).to_numpy(dtype="int64"),
            "last_reported_year": pd.array(
                last_seen.reindex(cur_pos).to_numpy(dtype=float), dtype="Int64"
            ),
        },
        columns=CURRENT_COLUMNS,
    )
    return StatusResult(current=current, history=history.reset_index(drop=True))


def _evidence(obs: pd.DataFrame, rows: np.ndarray, office_submitted: np.ndarray) -> list[str]:
    """JSON evidence per interval: the observation behind it, or that there was none."""
    import numpy as np
    import pandas as pd

    submission = obs["submission_id"].astype(object).to_numpy()
    source_row = pd.to_numeric(obs["source_row"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    out = []
    for row, submitted in zip(rows.tolist(), office_submitted.tolist(), strict=True):
        if row < 0:
            out.append(json.dumps({"observation": None, "office_submitted": bool(submitted)}))
            continue
        sub = submission[row]
        line = source_row[row]
        out.append(
            json.dumps(
                {
                    "submission_id": None if pd.isna(sub) else str(sub),
                    "source_row": None if np.isnan(line) else int(line),
                }
            )
        )
    return out
