"""Status rules and history: table-driven per rule, multi-year scenarios, properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentra.config import Settings
from sentra.status import derive

S = Settings().resolved()
OFFICE = "34.02"


def obs(year, status="active", units=20, workers=40, production=1_000_000, sid="S340200001"):
    return {
        "sentra_id": sid,
        "census_year": year,
        "region_code": OFFICE,
        "reported_status": status,
        "units": units,
        "workers": workers,
        "production_value": production,
        "office_code": OFFICE,
        "submission_id": f"{year}-{OFFICE}-x",
        "source_row": 5,
    }


def run(observations, years, submitted_years=None, first=None, sid="S340200001", kept_open=None):
    register = pd.DataFrame(
        [
            {
                "sentra_id": sid,
                "region_code": OFFICE,
                "province_code": "34",
                "first_census_year": first,
            }
        ]
    )
    submitted = {y: {OFFICE} for y in (submitted_years if submitted_years is not None else years)}
    frame = pd.DataFrame(observations, columns=list(obs(2000)))
    return derive(frame, register, submitted, max(years), S, kept_open=kept_open)


def current(result):
    row = result.current.iloc[0]
    return row["status"], list(row["reason_codes"])


@pytest.mark.parametrize(
    ("observation", "status", "reasons"),
    [
        (obs(2026), "active", ["status_active"]),
        (obs(2026, status="inactive"), "inactive", ["status_reported_closed"]),
        (obs(2026, units=3), "at_risk", ["status_below_minimum"]),
        (obs(2026, workers=0), "at_risk", ["status_inconsistent"]),
        (obs(2026, production=0), "at_risk", ["status_inconsistent"]),
        (obs(2026, units=2, workers=0), "at_risk", ["status_below_minimum", "status_inconsistent"]),
        (obs(2026, status=None), "active", ["status_active"]),
        (obs(2026, status="less_active"), "at_risk", ["status_reported_less_active"]),
        (
            obs(2026, status="less_active", units=3),
            "at_risk",
            ["status_below_minimum", "status_reported_less_active"],
        ),
    ],
)
def test_rule_for_one_observation(observation, status, reasons):
    assert current(run([observation], [2026])) == (status, reasons)


def test_minimum_units_is_a_setting():
    strict = Settings(min_units_for_sentra=30).resolved()
    register = pd.DataFrame(
        [
            {
                "sentra_id": "S340200001",
                "region_code": OFFICE,
                "province_code": "34",
                "first_census_year": None,
            }
        ]
    )
    result = derive(pd.DataFrame([obs(2026, units=20)]), register, {2026: {OFFICE}}, 2026, strict)
    assert result.current.iloc[0]["status"] == "at_risk"


def test_missing_once_is_not_reported_not_dead():
    assert current(run([obs(2025)], [2025, 2026])) == ("not_reported", ["status_not_reported"])


def test_missing_twice_confirms_death():
    result = run([obs(2024)], [2024, 2025, 2026])
    assert current(result) == ("inactive", ["status_missing_confirmed"])
    history = result.history
    assert list(history["status"]) == ["active", "not_reported", "inactive"]
    assert list(history["valid_from_year"]) == [2024, 2025, 2026]
    assert list(history["valid_to_year"])[:2] == [2024, 2025]
    assert pd.isna(history["valid_to_year"].iloc[-1])


def test_a_reviewer_keeps_a_sentra_open_for_one_round_and_the_next_round_asks_again():
    kept = run([obs(2024)], [2024, 2025, 2026], kept_open={2026: {"S340200001"}})
    assert current(kept) == ("not_reported", ["status_kept_by_reviewer", "status_not_reported"])
    # Another sentra or another year kept open changes nothing here.
    other = run([obs(2024)], [2024, 2025, 2026], kept_open={2025: {"S340200001"}, 2026: {"X"}})
    assert current(other) == ("inactive", ["status_missing_confirmed"])
    # Missed rounds keep counting: still absent next year, it is declared inactive then.
    later = run([obs(2024)], [2024, 2025, 2026, 2027], kept_open={2026: {"S340200001"}})
    assert current(later) == ("inactive", ["status_missing_confirmed"])
    assert list(later.history["status"]) == ["active", "not_reported", "not_reported", "inactive"]
    assert "status_kept_by_reviewer" in later.history["reason_codes"].iloc[2]
    # Reported again after being kept open: active, no revival (it never died).
    back = run([obs(2024), obs(2027)], [2024, 2025, 2026, 2027], kept_open={2026: {"S340200001"}})
    assert current(back) == ("active", ["status_active"])


def test_office_that_did_not_submit_does_not_kill_its_sentra():
    result = run([obs(2024)], [2024, 2025, 2026], submitted_years=[2024])
    assert current(result) == ("not_reported", ["status_not_reported"])


def test_revival_keeps_id_and_history():
    result = run([obs(2024), obs(2025, status="inactive"), obs(2026)], [2024, 2025, 2026])
    assert current(result) == ("active", ["status_active", "status_revived"])
    assert list(result.history["status"]) == ["active", "inactive", "active"]
    assert set(result.history["sentra_id"]) == {"S340200001"}


def test_closed_then_silent_stays_inactive_for_its_reason():
    result = run([obs(2025, status="inactive")], [2025, 2026])
    assert current(result) == ("inactive", ["status_reported_closed"])


def test_resubmission_mid_round_changes_the_status():
    before = run([obs(2025), obs(2026, status="inactive")], [2025, 2026])
    after = run([obs(2025), obs(2026)], [2025, 2026])
    assert current(before)[0] == "inactive"
    assert current(after)[0] == "active"


def test_evidence_names_the_source_row():
    result = run([obs(2026)], [2026])
    assert '"source_row": 5' in result.history.iloc[0]["evidence"]


YEAR_EVENT = st.sampled_from(["active", "inactive", "small", "missing", "office_skipped"])


@settings(max_examples=150, deadline=None)
@given(st.lists(YEAR_EVENT, min_size=1, max_size=6))
def test_history_properties(events):
    years = list(range(2020, 2020 + len(events)))
    observations, submitted = [], []
    for year, event in zip(years, events, strict=True):
        if event != "office_skipped":
            submitted.append(year)
        if event in ("active", "inactive"):
            observations.append(obs(year, status=event))
        elif event == "small":
            observations.append(obs(year, units=2))
    result = run(observations, years, submitted_years=submitted, first=2020)
    again = run(observations, years, submitted_years=submitted, first=2020)
    pd.testing.assert_frame_equal(result.history, again.history)  # deterministic
    h = result.history.sort_values("valid_from_year")
    assert h["is_current"].sum() == 1, "exactly one current interval"
    assert h["valid_from_year"].iloc[0] == 2020
    ends = list(h["valid_to_year"])
    starts = list(h["valid_from_year"])
    for end, nxt in zip(ends[:-1], starts[1:], strict=True):
        assert end + 1 == nxt, "intervals are contiguous and never overlap"
    assert pd.isna(ends[-1])
    assert result.current.iloc[0]["status"] == h.iloc[-1]["status"]


def test_kurang_aktif_years_do_not_count_as_missed_rounds():
    """Reported 'kurang aktif' two rounds running: still producing, never declared closed."""
    result = run([obs(2025, status="less_active"), obs(2026, status="less_active")], [2025, 2026])
    assert current(result) == ("at_risk", ["status_reported_less_active"])
