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
    import pyarrow as pa

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

    An empty register (or no observations at all) gives empty frames of the same
    columns and dtypes.

    Memory: the observations are never copied as a frame (at a million sentra × five
    rounds a copy and a sort of them cost 1 GB and seconds); only the positions of the
    rows that count are kept, and the few columns the rules read are taken from them.
    """
    import gc

    # Millions of small objects are made below (a reason list per interval): the cyclic
    # collector would walk them all again and again (1.5 s of 4.5 at a million
    # sentra); nothing here makes reference cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _derive(observations, register, submitted_offices, census_year, settings, kept_open)
    finally:
        if enabled:
            gc.enable()


def _derive(
    observations: pd.DataFrame,
    register: pd.DataFrame,
    submitted_offices: Mapping[int, set[str]],
    census_year: int,
    settings: Settings,
    kept_open: Mapping[int, set[str]] | None,
) -> StatusResult:
    import numpy as np
    import pandas as pd

    reg = register[["sentra_id", "region_code", "first_census_year"]]
    reg = reg.drop_duplicates("sentra_id").sort_values("sentra_id").reset_index(drop=True)
    n = len(reg)
    index = pd.Index(reg["sentra_id"])

    # The observations that count: up to census_year, of a register sentra, one per
    # (sentra, year). Positions into ``observations``; their order does not matter.
    obs_year = pd.to_numeric(observations["census_year"])
    in_time = (obs_year <= census_year).to_numpy(dtype=bool, na_value=False)
    pos_all = _positions(observations["sentra_id"], reg["sentra_id"])
    rows = np.flatnonzero(in_time & (pos_all >= 0))
    pos = pos_all[rows]
    del pos_all
    year = obs_year.iloc[rows].astype(int).to_numpy(dtype=np.int64)
    rows, pos, year = _first_of_each_year(observations, rows, pos, year)

    first = pd.to_numeric(reg["first_census_year"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    round_years = {int(y) for y in np.unique(year)}
    round_years |= {y for y in submitted_offices if y <= census_year}
    known_first = first[~np.isnan(first)]
    round_years |= {int(y) for y in np.unique(known_first[known_first <= census_year])}
    start = int(min(round_years | {census_year}))
    years = list(range(start, census_year + 1))
    n_years = len(years)
    first = np.where(np.isnan(first), start, first)
    first_seen = np.full(n, np.inf)
    np.minimum.at(first_seen, pos, year.astype(float))
    first = np.minimum(first, first_seen).astype(int)
    last_seen = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_seen, pos, year)

    # Observations as year × sentra matrices.
    obs_status, obs_reasons = _observed(observations, settings)
    col = year - start
    has = np.zeros((n_years, n), dtype=bool)
    st_obs = np.full((n_years, n), NONE, dtype=np.int8)
    rs_obs = np.zeros((n_years, n), dtype=np.int16)
    ev_row = np.full((n_years, n), -1, dtype=np.int64)  # row of observations behind it
    has[col, pos] = True
    st_obs[col, pos] = obs_status[rows]
    rs_obs[col, pos] = obs_reasons[rows]
    ev_row[col, pos] = rows
    del obs_status, obs_reasons, rows, pos, year, col

    region = reg["region_code"].astype(str)
    province = region.str[:2]
    submitted = np.zeros((n_years, n), dtype=bool)
    for j, year_j in enumerate(years):
        offices = list(submitted_offices.get(year_j, set()))
        submitted[j] = (region.isin(offices) | province.isin(offices)).to_numpy()
    del region, province

    # One pass over the rounds, vectorised over sentra: the rules that need history.
    status = np.full((n_years, n), NONE, dtype=np.int8)
    reasons = np.zeros((n_years, n), dtype=np.int16)
    prev_status = np.full(n, NONE, dtype=np.int8)
    prev_reasons = np.zeros(n, dtype=np.int16)
    missed = np.zeros(n, dtype=np.int32)
    kept_mask = {int(y): index.isin(sorted(ids)) for y, ids in (kept_open or {}).items()}
    for j, year_j in enumerate(years):
        alive = first <= year_j
        seen = has[j] & alive
        absent = ~has[j] & alive
        s, r = st_obs[j].copy(), rs_obs[j].copy()
        revived = seen & (s != INACTIVE) & (prev_status == INACTIVE)
        r = np.where(revived, r | B["status_revived"], r)
        missed = np.where(seen, np.where(s == INACTIVE, missed + 1, 0), missed)
        missed = np.where(absent & submitted[j], missed + 1, missed)
        stays_dead = absent & (prev_status == INACTIVE)
        confirmed = absent & ~stays_dead & (missed >= settings.inactive_after_missed_rounds)
        kept = confirmed & kept_mask.get(year_j, False)
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
    del st_obs, rs_obs, has

    # Long form (sentra-major, year-minor) of the years each sentra was expected, as
    # positions into the transposed matrices; each interval's values are then read
    # from the matrices at its (year, sentra), the cross of years is never copied.
    flat = np.flatnonzero(status.T.ravel() != NONE)
    sentra_pos = (flat // n_years).astype(np.int32)
    year_off = (flat % n_years).astype(np.int32)
    del flat
    flat_status = status[year_off, sentra_pos]
    flat_reasons = reasons[year_off, sentra_pos]

    new_sentra = np.ones(len(sentra_pos), dtype=bool)
    new_sentra[1:] = sentra_pos[1:] != sentra_pos[:-1]
    changed = new_sentra.copy()
    changed[1:] |= (flat_status[1:] != flat_status[:-1]) | (flat_reasons[1:] != flat_reasons[:-1])
    starts = np.flatnonzero(changed)
    ends = np.append(starts[1:], len(sentra_pos))[: len(starts)] - 1  # none when empty
    start_pos = sentra_pos[starts]
    is_current = np.ones(len(starts), dtype=bool)  # the last interval of each sentra
    is_current[:-1] = start_pos[1:] != start_pos[:-1]

    # status_since: the start of the last run of the same status (reasons may differ).
    status_run = new_sentra
    status_run[1:] |= flat_status[1:] != flat_status[:-1]
    run_starts = np.flatnonzero(status_run)
    run_pos = sentra_pos[run_starts]
    last_run = np.ones(len(run_starts), dtype=bool)
    last_run[:-1] = run_pos[1:] != run_pos[:-1]
    since = np.zeros(n, dtype=np.int64)
    since[run_pos[last_run]] = start + year_off[run_starts[last_run]].astype(np.int64)
    from_off, to_off = year_off[starts], year_off[ends]
    del status_run, new_sentra, changed, run_starts, run_pos, last_run
    del flat_status, flat_reasons, sentra_pos, year_off

    interval_status = status[from_off, start_pos]
    interval_reasons = reasons[from_off, start_pos]
    interval_row = ev_row[from_off, start_pos]
    interval_submitted = submitted[from_off, start_pos]
    del status, reasons, ev_row, submitted, starts, ends
    evidence = _evidence(observations, interval_row, interval_submitted)
    del interval_row, interval_submitted
    sentra_ids = _sentra_ids(reg["sentra_id"], index, start_pos)
    reason_lists = _reason_lists(interval_reasons)
    valid_to = pd.arrays.IntegerArray(start + to_off.astype(np.int64), is_current.copy())
    history = pd.DataFrame(
        {
            "sentra_id": sentra_ids,
            "status": _status_names(interval_status),
            "reason_codes": reason_lists,
            "valid_from_year": start + from_off.astype(np.int64),
            "valid_to_year": valid_to,
            "evidence": evidence,
            "is_current": is_current,
        },
        columns=HISTORY_COLUMNS,
        copy=False,
    )

    cur_rows = np.flatnonzero(is_current)
    cur_pos = start_pos[cur_rows]
    last = last_seen[cur_pos]
    current = pd.DataFrame(
        {
            "sentra_id": history["sentra_id"].array.take(cur_rows),
            "status": history["status"].array.take(cur_rows),
            # The same list objects as the history's current rows, as before.
            "reason_codes": history["reason_codes"].to_numpy()[cur_rows],
            "status_since": since[cur_pos],
            "last_reported_year": pd.arrays.IntegerArray(last, last < 0),
        },
        columns=CURRENT_COLUMNS,
        copy=False,
    )
    return StatusResult(current=current, history=history)


def _first_of_each_year(
    observations: pd.DataFrame, rows: np.ndarray, pos: np.ndarray, year: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep one observation per (sentra, year): the smallest (submission_id,
    source_row), ties in input order. Only the duplicated pairs (normally none) are
    sorted, by pandas as the whole frame used to be."""
    import numpy as np
    import pandas as pd

    if len(rows) == 0:
        return rows, pos, year
    span = int(year.max()) - int(year.min()) + 1
    key = pos.astype(np.int64) * span + (year - int(year.min()))
    dup = np.bincount(key)[key] > 1  # keys < sentra × years: a small count table
    if not dup.any():
        return rows, pos, year
    at = np.flatnonzero(dup)
    tied = pd.DataFrame(
        {
            "key": key[at],
            "submission_id": observations["submission_id"].iloc[rows[at]].to_numpy(),
            "source_row": observations["source_row"].iloc[rows[at]].to_numpy(),
            "at": at,
        }
    )
    tied = tied.sort_values(["key", "submission_id", "source_row"])
    losers = tied["at"].to_numpy()[tied["key"].duplicated(keep="first").to_numpy()]
    keep = np.ones(len(rows), dtype=bool)
    keep[losers] = False
    return rows[keep], pos[keep], year[keep]


def _positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of every value in the unique ``keys`` (-1 when absent), by Arrow's hash
    kernel when both are strings: pandas would make a Python string of each of
    millions of values first."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(keys) == 0 or len(values) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    try:
        v = pa.array(values, from_pandas=True)
        k = pa.array(keys, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        v = k = None
    strings = (pa.types.is_string, pa.types.is_large_string)
    if (
        v is None
        or k is None
        or not any(f(v.type) for f in strings)
        or not any(f(k.type) for f in strings)
    ):
        return pd.Index(keys).get_indexer(values)
    if isinstance(k, pa.ChunkedArray):
        k = k.combine_chunks()
    found = pc.index_in(v, value_set=k.cast(v.type))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _sentra_ids(
    ids: pd.Series, index: pd.Index, at: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """``ids`` at positions ``at`` as a str array (taken from Arrow when they are one)."""
    import pandas as pd

    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.na_value is not pd.NA:
        return ids.array.take(at)
    return pd.array(index.to_numpy()[at], dtype="str")


def _status_names(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Status name per code, as a str array built by Arrow (no Python string per row)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    names = pa.array([STATUS_NAMES[i] for i in range(len(STATUS_NAMES))], pa.large_string())
    return pd.array(names.take(pa.array(codes.astype(np.int64))), dtype="str")


def _reason_lists(masks: np.ndarray) -> pd.Series:
    """A new list of reason codes per mask (rows never share a list), object dtype
    even when there are none."""
    import numpy as np
    import pandas as pd

    uniques, inverse = np.unique(masks, return_inverse=True)
    lists = [reasons_of(int(m)) for m in uniques]
    return pd.Series([[*lists[i]] for i in inverse.ravel().tolist()], dtype=object)


def _evidence(
    observations: pd.DataFrame, rows: np.ndarray, office_submitted: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """JSON evidence per interval: the observation behind it, or that there was none.

    The texts are those of ``json.dumps`` of ``{"submission_id": …, "source_row": …}``
    (or ``{"observation": null, "office_submitted": …}``), put together by Arrow: each
    distinct submission_id is encoded once, the rows' numbers are cast in bulk.
    """
    import pandas as pd
    import pyarrow as pa

    text = pa.large_string()
    none = [json.dumps({"observation": None, "office_submitted": flag}) for flag in (False, True)]
    # Chunk by chunk: the pieces of a million texts are never all alive at once.
    chunk = 1 << 18
    pieces = [
        _evidence_texts(observations, rows[i : i + chunk], office_submitted[i : i + chunk], none)
        for i in range(0, len(rows), chunk)
    ]
    return pd.array(pa.chunked_array(pieces, text), dtype="str")


def _evidence_texts(
    observations: pd.DataFrame, rows: np.ndarray, office_submitted: np.ndarray, none: list[str]
) -> pa.Array:
    """:func:`_evidence` of one chunk, as an Arrow large_string array."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.large_string()
    has = rows >= 0
    behind = rows[has]
    codes, uniques = pd.factorize(observations["submission_id"].iloc[behind])
    quoted = [json.dumps(str(u)) for u in uniques] + [json.dumps(None)]
    submission = pa.array(quoted, text).take(
        pa.array(np.where(codes < 0, len(uniques), codes).astype(np.int64))
    )
    line = pd.to_numeric(observations["source_row"].iloc[behind], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    missing = np.isnan(line)
    numbers = pa.array(np.where(missing, 0, line).astype(np.int64), mask=missing)
    line_text = pc.fill_null(pc.cast(numbers, text), pa.scalar(json.dumps(None), text))
    observed = pc.binary_join_element_wise(
        pa.scalar('{"submission_id": ', text),
        submission,
        pa.scalar(', "source_row": ', text),
        line_text,
        pa.scalar("}", text),
        pa.scalar("", text),
    )
    choices = pa.concat_arrays([pa.array(none, text), observed])
    pick = office_submitted.astype(np.int64)
    pick[has] = 2 + np.arange(len(behind))
    return choices.take(pa.array(pick))
