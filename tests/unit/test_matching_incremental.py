"""Incremental matching: unchanged kab/kota come from the memo, and the year's result is
the one matching every record again would give."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_matching import SETTINGS, frame, record
from test_matching_fixture import make_round

from sentra.matching.incremental import MEMO_VERSION, NO_REGION, MatchMemo, match_units, match_year

LINK_COLUMNS = ["record_key", "sentra_id", "cluster_key", "method", "score", "evidence"]


@pytest.fixture(scope="module")
def rnd():
    return make_round(400, seed=8)


def _late_submission(records: pd.DataFrame) -> str:
    """A kab/kota office's own submission (it reports one kab/kota only)."""
    own = records[records["office_code"] == records["region_code"]]
    return own["submission_id"].value_counts().index[0]


def _consolidated(register: pd.DataFrame, records: pd.DataFrame, settings=SETTINGS, **kwargs):
    """One consolidation as the pipeline does it: match, number new sentra, store links
    (the ledger hands evidence back decoded) and keep the memo (through storage)."""
    result = match_year(records, register, settings=settings, **kwargs)
    new = result.linked.new_entries
    ids = {k: f"SNEW{len(register):03d}{i:05d}" for i, k in enumerate(new["cluster_key"])}
    links = result.linked.links.assign(
        sentra_id=result.linked.links["sentra_id"].fillna(
            result.linked.links["cluster_key"].map(ids)
        )
    )
    stored = result.dedup.clusters.merge(links, on="cluster_key")[LINK_COLUMNS]
    stored = stored.assign(
        evidence=[json.loads(e) if isinstance(e, str) else e for e in stored["evidence"]]
    )
    register = pd.concat(
        [register, new.assign(sentra_id=new["cluster_key"].map(ids))], ignore_index=True
    )
    memo = result.memo(dict(zip(links["cluster_key"], links["sentra_id"], strict=True)))
    return result, register, stored, MatchMemo.from_tables(memo.to_tables())


def _canonical(result) -> dict[str, pd.DataFrame]:
    def sort(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        df = df.sort_values(keys, ignore_index=True)
        return df[sorted(df.columns)].astype(object).where(df.notna(), None)

    links = result.linked.links.assign(
        evidence=[
            json.loads(e) if isinstance(e, str) else e for e in result.linked.links["evidence"]
        ]
    )
    return {
        "clusters": sort(result.dedup.clusters, ["record_key"]),
        "candidates": sort(result.dedup.candidates, ["left_key", "right_key"]),
        "survivors": sort(
            result.dedup.survivors.assign(
                member_keys=result.dedup.survivors["member_keys"].astype(str)
            ),
            ["cluster_key"],
        ),
        "links": sort(links, ["cluster_key"]),
        "new_entries": sort(result.linked.new_entries, ["cluster_key"]),
        "uncertain": sort(result.linked.uncertain, ["cluster_key", "sentra_id"]),
    }


def assert_same_result(a, b) -> None:
    left, right = _canonical(a), _canonical(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False, obj=name)


@pytest.fixture(scope="module")
def first_round(rnd):
    late = _late_submission(rnd.records)
    early = rnd.records[rnd.records["submission_id"] != late].reset_index(drop=True)
    _, register, stored, memo = _consolidated(rnd.register, early)
    return late, early, register, stored, memo


def test_a_late_file_rematches_only_its_kabkota_and_equals_a_full_run(rnd, first_round):
    late, _, register, stored, memo = first_round
    args = {"settings": SETTINGS, "existing_links": stored}
    incremental = match_year(rnd.records, register, previous=memo, **args)
    full = match_year(rnd.records, register, **args)

    late_regions = set(rnd.records.loc[rnd.records["submission_id"] == late, "region_code"])
    assert incremental.recomputed == late_regions
    assert incremental.stats["units_reused"] == incremental.stats["units"] - len(late_regions) > 0
    assert incremental.stats["records_rematched"] < full.stats["records_rematched"]
    assert_same_result(incremental, full)
    # Nothing stored moves: every record linked before keeps its sentra_id.
    links = incremental.linked.links
    ids = dict(zip(links["cluster_key"], links["sentra_id"], strict=True))
    now = incremental.memo(ids).records.set_index("record_key")["sentra_id"]
    before = stored.set_index("record_key")["sentra_id"]
    assert (now.loc[before.index] == before).all()


def test_a_year_without_changes_is_taken_whole_from_the_memo(first_round):
    _, early, register, stored, memo = first_round
    again = match_year(early, register, settings=SETTINGS, existing_links=stored, previous=memo)
    assert again.recomputed == set()
    assert again.stats["records_rematched"] == 0
    assert len(again.linked.new_entries) == 0
    full = match_year(early, register, settings=SETTINGS, existing_links=stored)
    assert_same_result(again, full)


def test_a_stored_link_that_disagrees_with_the_memo_rematches_its_kabkota(first_round):
    """A run that died between saving links and writing its memo leaves them apart."""
    _, early, register, stored, memo = first_round
    changed = stored.copy()
    row = changed.index[changed["method"] == "new"][0]
    region = early.set_index("record_key").loc[changed.at[row, "record_key"], "region_code"]
    # Say the dead run had linked that cluster elsewhere (an id this register lacks).
    changed.loc[changed["cluster_key"] == changed.at[row, "cluster_key"], "sentra_id"] = "SGONE"
    args = {"settings": SETTINGS, "existing_links": changed}
    again = match_year(early, register, previous=memo, **args)
    assert again.recomputed == {region}
    assert_same_result(again, match_year(early, register, **args))


def test_reviewer_decisions_rematch_the_kabkota_they_name(first_round):
    _, early, register, stored, memo = first_round
    clusters = memo.records[memo.records["cluster_key"] != memo.records["record_key"]]
    merged = clusters.iloc[0]  # a record merged into another: the reviewer splits them
    region_of = early.set_index("record_key")["region_code"]
    split_region = region_of[merged["record_key"]]
    single = memo.records[
        (memo.records["record_key"] == memo.records["cluster_key"])
        & (memo.records["record_key"].map(region_of) != split_region)
    ].iloc[0]
    tied_region = region_of[single["record_key"]]
    entry = register.loc[register["region_code"] == tied_region, "sentra_id"].iloc[-1]
    decisions = pd.DataFrame(
        [
            {
                "left_key": merged["record_key"],
                "right_key": merged["cluster_key"],
                "decision": "non_match",
            },
            {"left_key": single["record_key"], "right_key": entry, "decision": "match"},
        ]
    )
    args = {"settings": SETTINGS, "existing_links": stored, "decisions": decisions}
    again = match_year(early, register, previous=memo, **args)
    assert again.recomputed == {split_region, tied_region}
    full = match_year(early, register, **args)
    assert_same_result(again, full)
    clusters = again.dedup.clusters.set_index("record_key")["cluster_key"]
    assert clusters[merged["record_key"]] != clusters[merged["cluster_key"]]


def test_units_join_kabkota_that_a_sentra_id_stored_link_or_decision_crosses():
    register = pd.DataFrame(
        {
            "sentra_id": ["S1", "S2", "S3"],
            "region_code": ["34.03", "34.05", "34.71"],
            "sentra_name": ["a", "b", "c"],
        }
    )
    records = frame(
        record("1", "Sentra Gerabah", region_code="34.01", sentra_id="S9"),
        record("2", "Sentra Gerabah", region_code="34.02", sentra_id="S9"),  # shared id
        record("3", "Sentra Batik", region_code="34.04", sentra_id="S1"),  # entry of 34.03
        record("4", "Sentra Tenun", region_code="34.05"),
        record("5", "Sentra Emping", region_code="34.06"),
        record("6", "Sentra Bambu", region_code="34.71"),
        record("7", "Sentra Kulit", region_code=None),
    )
    keys = records["record_key"]
    links = pd.DataFrame({"record_key": [keys[3]], "sentra_id": ["S3"]})  # 34.05 → 34.71
    decisions = pd.DataFrame([{"left_key": keys[4], "right_key": keys[6], "decision": "non_match"}])
    units = match_units(records, register, decisions, links)
    assert list(units) == ["34.01", "34.01", "34.03", "34.05", "-", "34.05", "-"]
    assert NO_REGION == "-"
    assert match_units(records, register).tolist()[3:] == ["34.05", "34.06", "34.71", "-"]


def test_a_memo_of_another_version_is_not_used(first_round):
    *_, memo = first_round
    tables = memo.to_tables()
    units = tables["units"].to_pandas().assign(memo_version=MEMO_VERSION + 1)
    import pyarrow as pa

    assert MatchMemo.from_tables({**tables, "units": pa.Table.from_pandas(units)}) is None
    assert MatchMemo.from_tables(tables).fingerprints == memo.fingerprints
