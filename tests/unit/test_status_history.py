"""Status over many sentra and years: issue 7 scenarios, a plain reference, properties.

The vectorised ``derive`` is checked against ``reference_statuses`` below, a
deliberately naive per-sentra, per-year reading of the rules in the module docstring.
"""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentra.config import Settings
from sentra.status import derive

S = Settings().resolved()
YEAR0 = 2021
OFFICES = {"S340200001": "34.02", "S340200002": "34.02", "S347100001": "34.71"}


def obs(sid, year, event):
    """One observation; ``event`` is active | closed | small | idle (zero workers)."""
    return {
        "sentra_id": sid,
        "census_year": year,
        "region_code": OFFICES[sid],
        "reported_status": "inactive" if event == "closed" else "active",
        "units": 2 if event == "small" else 12,
        "workers": 0 if event == "idle" else 30,
        "production_value": 5_000_000,
        "office_code": OFFICES[sid],
        "submission_id": f"{year}-{OFFICES[sid]}-{event}",
        "source_row": 7,
    }


def register(first=None, sentra=tuple(OFFICES)):
    return pd.DataFrame(
        {
            "sentra_id": list(sentra),
            "region_code": [OFFICES[s] for s in sentra],
            "province_code": "34",
            "first_census_year": first,
        }
    )


def run(events, *, skipped=(), settings_=S, first=None):
    """``events``: per year, what the office said about S340200001 (or 'missing')."""
    years = list(range(YEAR0, YEAR0 + len(events)))
    rows = [obs("S340200001", y, e) for y, e in zip(years, events, strict=True) if e != "missing"]
    submitted = {y: ({"34.02"} if y not in skipped else set()) | {"34.71"} for y in years}
    frame = pd.DataFrame(rows, columns=list(obs("S340200001", 2000, "active")))
    reg = register(first, sentra=("S340200001",))
    result = derive(frame, reg, submitted, years[-1], settings_)
    result.events = events
    return result


def yearly(result):
    """(status, reasons) per year of S340200001, expanded from the SCD2 intervals."""
    return yearly_of(result.history, YEAR0 + len(result.events) - 1)


ACT = ("active", ("status_active",))
NOTREP = ("not_reported", ("status_not_reported",))
DEAD = ("inactive", ("status_missing_confirmed",))
CLOSED = ("inactive", ("status_reported_closed",))
REVIVED = ("active", ("status_active", "status_revived"))


@pytest.mark.parametrize(
    ("events", "skipped", "expected"),
    [
        # issue 7: active -> missing -> missing -> inactive
        (["active", "missing", "missing"], (), [ACT, NOTREP, DEAD]),
        # dead stays dead while silent, and comes back revived under the same id
        (
            ["active", "missing", "missing", "missing", "active"],
            (),
            [ACT, NOTREP, DEAD, DEAD, REVIVED],
        ),
        # inactive -> revived, then an ordinary active year
        (["closed", "active", "active"], (), [CLOSED, REVIVED, ACT]),
        # the office skipped a year: that round is not counted as a miss
        (["active", "missing", "missing"], (2022,), [ACT, NOTREP, NOTREP]),
        (["active", "missing", "missing", "missing"], (2022,), [ACT, NOTREP, NOTREP, DEAD]),
        # an office that never submits never kills its sentra
        (
            ["active", "missing", "missing", "missing"],
            (2022, 2023, 2024),
            [ACT, NOTREP, NOTREP, NOTREP],
        ),
        # closed, then silent: inactive for the reported reason
        (["closed", "missing", "missing"], (), [CLOSED, CLOSED, CLOSED]),
        # at risk does not count as a miss
        (["small", "idle", "active"], (), [
            ("at_risk", ("status_below_minimum",)),
            ("at_risk", ("status_inconsistent",)),
            ACT,
        ]),
        # small after being dead: revived, and at risk
        (["closed", "missing", "small"], (), [
            CLOSED, CLOSED, ("at_risk", ("status_below_minimum", "status_revived")),
        ]),
    ],
)  # fmt: skip
def test_multi_year_scenarios(events, skipped, expected):
    assert yearly(run(events, skipped=skipped)) == expected


def test_rounds_needed_to_confirm_a_death_is_a_setting():
    patient = Settings(inactive_after_missed_rounds=3).resolved()
    assert yearly(run(["active", "missing", "missing"], settings_=patient)) == [ACT, NOTREP, NOTREP]
    assert yearly(run(["active", "missing", "missing", "missing"], settings_=patient))[-1] == DEAD


def test_the_province_office_covers_its_kabkota_sentra():
    reg = register(sentra=("S340200001",))
    frame = pd.DataFrame([obs("S340200001", 2024, "active")])
    by_province = {2024: {"34.02"}, 2025: {"34"}, 2026: {"34"}}
    result = derive(frame, reg, by_province, 2026, S)
    assert result.current.iloc[0]["status"] == "inactive", "the province office did look"


def test_status_since_is_when_the_status_began_not_the_reasons():
    result = run(["closed", "active", "active", "small"])
    current = result.current.iloc[0]
    assert current["status"] == "at_risk"
    assert current["status_since"] == 2024
    result = run(["closed", "active", "active"])
    assert result.current.iloc[0]["status_since"] == 2022, "revived in 2022, active since"
    assert len(result.history) == 3, "the revival year is its own interval"
    assert result.current.iloc[0]["last_reported_year"] == 2023


def test_never_reported_sentra_has_no_last_reported_year():
    result = run(["missing", "missing"], first=2021)
    assert pd.isna(result.current.iloc[0]["last_reported_year"])
    assert json.loads(result.history.iloc[0]["evidence"]) == {
        "observation": None,
        "office_submitted": True,
    }


def test_population_is_the_register():
    frame = pd.DataFrame([obs("S340200001", 2026, "active"), {**obs("S340200002", 2026, "active")}])
    reg = pd.concat([register(sentra=("S340200001",)), register(2027, sentra=("S347100001",))])
    result = derive(frame, reg, {2026: {"34.02", "34.71"}}, 2026, S)
    assert list(result.current["sentra_id"]) == ["S340200001"], (
        "unregistered S340200002 is ignored; S347100001 is expected only from 2027"
    )


def test_duplicate_observations_do_not_depend_on_row_order():
    a = obs("S340200001", 2026, "active") | {"submission_id": "2026-34.02-a"}
    b = obs("S340200001", 2026, "closed") | {"submission_id": "2026-34.02-b"}
    reg = register(sentra=("S340200001",))
    first = derive(pd.DataFrame([a, b]), reg, {2026: {"34.02"}}, 2026, S)
    second = derive(pd.DataFrame([b, a]), reg, {2026: {"34.02"}}, 2026, S)
    pd.testing.assert_frame_equal(first.history, second.history)
    assert first.current.iloc[0]["status"] == "active"


# ------------------------------------------------------------------ reference


def reference_statuses(events, submitted, n_rounds):
    """The rules read literally, one year at a time, for one sentra."""
    out, previous, missed = [], None, 0
    for event, office_looked in zip(events, submitted, strict=True):
        if event == "missing":
            if office_looked:
                missed += 1
            if previous is not None and previous[0] == "inactive":
                current = previous
            elif missed >= n_rounds:
                current = DEAD
            else:
                current = NOTREP
        elif event == "closed":
            missed += 1
            current = CLOSED
        else:
            missed = 0
            reasons = {
                "active": ["status_active"],
                "small": ["status_below_minimum"],
                "idle": ["status_inconsistent"],
            }[event]
            if previous is not None and previous[0] == "inactive":
                reasons.append("status_revived")
            current = ("active" if event == "active" else "at_risk", tuple(sorted(reasons)))
        out.append(current)
        previous = current
    return out


EVENT = st.sampled_from(["active", "closed", "small", "idle", "missing"])
HISTORY = st.tuples(st.lists(EVENT, min_size=1, max_size=7), st.lists(st.booleans(), min_size=7))


@settings(max_examples=120, deadline=None)
@given(st.lists(HISTORY, min_size=1, max_size=3), st.integers(1, 3), st.randoms())
def test_vectorised_rules_agree_with_the_reference(histories, n_rounds, rnd):
    sentra = list(OFFICES)[: len(histories)]
    n_years = max(len(h[0]) for h in histories)
    years = list(range(2020, 2020 + n_years))
    rows, submitted = [], {y: set() for y in years}
    expected = {}
    for sid, (drawn, drawn_looked) in zip(sentra, histories, strict=False):
        events = ["missing"] * (n_years - len(drawn)) + drawn  # pad at the start
        for y, e, seen in zip(years, events, drawn_looked[:n_years], strict=True):
            if e != "missing":
                rows.append(obs(sid, y, e))
            if seen or e != "missing":  # an office that reported something did submit
                submitted[y].add(OFFICES[sid])
        expected[sid] = events
    cfg = Settings(inactive_after_missed_rounds=n_rounds).resolved()
    rnd.shuffle(rows)
    frame = pd.DataFrame(rows, columns=list(obs("S340200001", 2000, "active")))
    result = derive(frame, register(2020, sentra=tuple(sentra)), submitted, years[-1], cfg)
    for sid in sentra:
        # Two sentra share office 34.02: whether it looked depends on both.
        looked = [OFFICES[sid] in submitted[y] for y in years]
        want = reference_statuses(expected[sid], looked, n_rounds)
        one = result.history[result.history["sentra_id"] == sid]
        assert yearly_of(one, years[-1]) == want, sid
    _check_intervals(result, sentra, years)


def yearly_of(history, last):
    out = []
    for row in history.itertuples():
        end = last if pd.isna(row.valid_to_year) else row.valid_to_year
        out += [(row.status, tuple(row.reason_codes))] * (end - row.valid_from_year + 1)
    return out


def _check_intervals(result, sentra, years):
    h = result.history
    assert sorted(result.current["sentra_id"]) == sorted(sentra), "one current row per sentra"
    for sid, unsorted in h.groupby("sentra_id"):
        group = unsorted.sort_values("valid_from_year")
        assert group["is_current"].tolist() == [False] * (len(group) - 1) + [True]
        assert group["valid_from_year"].iloc[0] == years[0]
        ends = group["valid_to_year"].tolist()
        assert pd.isna(ends[-1])
        for end, nxt in zip(ends[:-1], group["valid_from_year"].tolist()[1:], strict=True):
            assert end + 1 == nxt, f"{sid}: intervals contiguous, never overlapping"
        pairs = list(zip(group["status"], group["reason_codes"].map(tuple), strict=True))
        assert all(a != b for a, b in itertools.pairwise(pairs)), "merged when equal"
        cur = result.current.set_index("sentra_id").loc[sid]
        assert (cur["status"], list(cur["reason_codes"])) == (
            group["status"].iloc[-1],
            list(group["reason_codes"].iloc[-1]),
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(EVENT, EVENT, EVENT), min_size=1, max_size=3), st.randoms())
def test_same_input_in_any_row_order_gives_identical_output(triples, rnd):
    sentra = list(OFFICES)[: len(triples)]
    rows = [
        obs(sid, 2024 + i, e)
        for sid, events in zip(sentra, triples, strict=False)
        for i, e in enumerate(events)
        if e != "missing"
    ]
    submitted = {2024: {"34.02", "34.71"}, 2025: {"34.02", "34.71"}, 2026: {"34.02"}}
    columns = list(obs("S340200001", 2000, "active"))
    reg = register(2024, sentra=tuple(sentra))
    first = derive(pd.DataFrame(rows, columns=columns), reg, submitted, 2026, S)
    rnd.shuffle(rows)
    shuffled_reg = reg.sample(frac=1, random_state=rnd.randint(0, 1000))
    second = derive(pd.DataFrame(rows, columns=columns), shuffled_reg, submitted, 2026, S)
    pd.testing.assert_frame_equal(first.history, second.history)
    pd.testing.assert_frame_equal(first.current, second.current)


@pytest.mark.parametrize("with_register", [False, True])
def test_empty_inputs_give_empty_typed_frames(with_register):
    """The first daily run of a year with no files: no observations, perhaps no
    register yet. Deriving used to raise IndexError on an empty register."""
    frame = pd.DataFrame(
        {c: pd.Series([], dtype=t) for c, t in _OBS_DTYPES.items()}, columns=list(_OBS_DTYPES)
    )
    reg = register() if with_register else register().iloc[0:0]
    result = derive(frame, reg, {}, 2026, S)
    history_dtypes = {
        "sentra_id": "str",
        "status": "str",
        "reason_codes": "object",
        "valid_from_year": "int64",
        "valid_to_year": "Int64",
        "evidence": "str",
        "is_current": "bool",
    }
    current_dtypes = {
        "sentra_id": "str",
        "status": "str",
        "reason_codes": "object",
        "status_since": "int64",
        "last_reported_year": "Int64",
    }
    assert result.history.dtypes.astype(str).to_dict() == history_dtypes
    assert result.current.dtypes.astype(str).to_dict() == current_dtypes
    if with_register:  # nobody reported and nobody submitted: not reported, not dead
        assert result.current["status"].tolist() == ["not_reported"] * len(OFFICES)
        assert result.current["last_reported_year"].isna().all()
        assert len(result.history) == len(OFFICES)
    else:
        assert result.history.empty
        assert result.current.empty


_OBS_DTYPES = {
    "sentra_id": "str",
    "census_year": "int64",
    "region_code": "str",
    "reported_status": "str",
    "units": "int64",
    "workers": "int64",
    "production_value": "int64",
    "office_code": "str",
    "submission_id": "str",
    "source_row": "int64",
}
