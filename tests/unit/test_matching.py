"""Deduplication within a round: decisions, clusters, survivorship, row conservation."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from test_matching_fixture import make_round

from sentra.config import Settings
from sentra.matching import deduplicate, pair_quality
from sentra.matching.engine import prepare, score_pairs

SETTINGS = Settings()
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def record(key: str, name: str, **values) -> dict:
    """One accepted record of Bantul (34.02) reported by its own office unless told."""
    office = values.pop("office_code", "34.02")
    sub = values.pop("submission_id", f"2025-{office}-aaaaaaaaaaaa")
    return {
        "record_key": f"{sub}#{key}",
        "submission_id": sub,
        "office_code": office,
        "source_row": int(key),
        "received_at": values.pop("received_at", T0),
        "sentra_id": values.pop("sentra_id", None),
        "region_code": values.pop("region_code", "34.02"),
        "kecamatan_code": values.pop("kecamatan_code", "34.02.09"),
        "sentra_name": name,
        "commodity": values.pop("commodity", "gerabah"),
        "commodity_group": values.pop("commodity_group", "gerabah"),
        "units": values.pop("units", 40),
        "workers": values.pop("workers", 120),
        "address": values.pop("address", "Dusun Kasongan, Desa Bangunjiwo"),
        "latitude": values.pop("latitude", -7.8465),
        "longitude": values.pop("longitude", 110.3420),
        "reported_status": "active",
        **values,
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def cluster_of(result, key_suffix: str) -> str:
    c = result.clusters
    return c.loc[c["record_key"].str.endswith("#" + key_suffix), "cluster_key"].iloc[0]


# ------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def small_round():
    return make_round(500, seed=11)


@pytest.fixture(scope="module")
def small_result(small_round):
    return deduplicate(small_round.records, settings=SETTINGS)


def test_f1_on_a_hard_synthetic_round(small_round, small_result):
    q = pair_quality(small_result.clusters, small_round.truth)
    assert q.pair_f1 >= 0.95, q
    assert q.cluster_f1 >= 0.95, q


def test_the_round_is_too_hard_for_name_only_matching(small_round, small_result):
    """Guards the fixture: fuzzy names alone (typos, siblings) score clearly worse."""
    from rapidfuzz import fuzz, process
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    recs = small_round.records
    names = recs["sentra_name"].str.lower().tolist()
    sim = process.cdist(names, names, scorer=fuzz.token_set_ratio, workers=2)
    same_region = recs["region_code"].to_numpy()[:, None] == recs["region_code"].to_numpy()
    a, b = np.nonzero((sim >= 85) & same_region)
    labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(len(recs),) * 2))[1]
    naive = pd.DataFrame({"record_key": recs["record_key"], "cluster_key": labels})
    ours = pair_quality(small_result.clusters, small_round.truth).pair_f1
    assert pair_quality(naive, small_round.truth).pair_f1 < ours - 0.1


def test_every_record_ends_in_exactly_one_cluster(small_round, small_result):
    clusters, survivors = small_result.clusters, small_result.survivors
    assert sorted(clusters["record_key"]) == sorted(small_round.records["record_key"])
    assert clusters["is_survivor"].sum() == len(survivors) == clusters["cluster_key"].nunique()
    assert survivors["cluster_size"].sum() == len(small_round.records)
    members = [k for keys in survivors["member_keys"] for k in keys]
    assert sorted(members) == sorted(clusters["record_key"])
    own = clusters[clusters["is_survivor"]]
    assert (own["record_key"] == own["cluster_key"]).all()


def test_candidate_decisions_follow_the_two_thresholds(small_result):
    cand = small_result.candidates
    auto = cand[(cand["decided_by"] == "auto")]
    assert (auto["score"] >= SETTINGS.review_threshold).all()
    assert (auto["left_key"] < auto["right_key"]).all()
    scored = auto[auto["decision"] != "non_match"]
    expected = np.where(scored["score"] >= SETTINGS.match_threshold, "match", "uncertain")
    # Shared sentra_id forces 'match' whatever the score; nothing else deviates.
    deviating = scored[scored["decision"].to_numpy() != expected]
    assert (deviating["decision"] == "match").all()
    assert {"match", "uncertain"} <= set(cand["decision"])


def test_uncertain_pairs_are_not_merged_on_their_own():
    a = record("5", "Sentra Gerabah Kasongan", address=None, latitude=None, longitude=None)
    b = record(
        "6",
        "Sentra Gerabah Kasongan Baru Lor",
        address=None,
        latitude=None,
        longitude=None,
        units=None,
    )
    result = deduplicate(frame(a, b), settings=SETTINGS)
    (pair,) = result.candidates.itertuples()
    assert SETTINGS.review_threshold <= pair.score < SETTINGS.match_threshold
    assert pair.decision == "uncertain"
    assert result.clusters["cluster_key"].nunique() == 2


def test_spelling_variants_of_one_sentra_merge_and_lookalikes_do_not():
    rows = frame(
        record("5", "Sentra Gerabah Kasongan"),
        record(
            "6",
            "Sntr. Kerajinan Gerabah Kasongan",
            office_code="34",
            latitude=-7.8468,
            address="Dsn. Kasongan, Ds. Bangunjiwo",
        ),
        record("7", "SENTRA GERABAH KASONGAN BANTUL", office_code="34", units=38),
        record(
            "8",
            "Sentra Batik Giriloyo",
            commodity="kain batik",
            commodity_group="kain_batik",
            latitude=-7.9405,
            longitude=110.4190,
            address="Dusun Giriloyo, Desa Wukirsari",
        ),
        record(
            "9",
            "Sentra Batik Girimulyo",
            commodity="kain batik",
            commodity_group="kain_batik",
            latitude=-7.9620,
            longitude=110.4390,
            address="Dusun Girimulyo, Desa Wukirsari",
            units=25,
        ),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "5") == cluster_of(result, "6") == cluster_of(result, "7")
    assert cluster_of(result, "8") != cluster_of(result, "9")
    assert len(result.survivors) == 3


def test_same_sentra_id_merges_and_different_ids_never_merge_automatically():
    rows = frame(
        record("5", "Sentra Gerabah Kasongan", sentra_id="S340200001"),
        record("6", "Sentra Tembikar Pundong", sentra_id="S340200001", latitude=-7.95),
        record("7", "Sentra Gerabah Kasongan", sentra_id="S340200002", office_code="34"),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "5") == cluster_of(result, "6")
    assert cluster_of(result, "7") != cluster_of(result, "5")
    cand = result.candidates.set_index(["left_key", "right_key"])
    k5, k7 = rows["record_key"][0], rows["record_key"][2]
    pair = cand.loc[(min(k5, k7), max(k5, k7))]
    assert pair["score"] >= SETTINGS.match_threshold
    assert pair["decision"] == "non_match"


def test_reviewer_decisions_override_scores_on_every_run():
    rows = frame(
        record("5", "Sentra Gerabah Kasongan"),
        record("6", "Sentra Gerabah Kasongan", office_code="34"),
        record("7", "Sentra Keramik Pundong", latitude=-7.95, address="Desa Pundong"),
    )
    k5, k6, k7 = rows["record_key"]
    decisions = pd.DataFrame(
        {
            "left_key": [k6, k5],  # given unsorted on purpose
            "right_key": [k5, k7],
            "decision": ["non_match", "match"],
        }
    )
    first = deduplicate(rows, settings=SETTINGS, decisions=decisions)
    again = deduplicate(rows, settings=SETTINGS, decisions=decisions)
    for result in (first, again):
        assert cluster_of(result, "5") == cluster_of(result, "7")
        assert cluster_of(result, "6") != cluster_of(result, "5")
        reviewed = result.candidates[result.candidates["decided_by"] == "reviewer"]
        assert set(zip(reviewed["left_key"], reviewed["decision"], strict=True)) == {
            (min(k5, k6), "non_match"),
            (min(k5, k7), "match"),
        }
    pd.testing.assert_frame_equal(first.clusters, again.clusters)


def test_a_reviewer_non_match_holds_even_when_a_third_record_bridges_them():
    rows = frame(
        record("5", "Sentra Gerabah Kasongan"),
        record("6", "Sentra Gerabah Kasongan", office_code="34"),
        record("7", "Sentra Gerabah Kasongan", office_code="34", submission_id="2025-34-b"),
    )
    k5, k6, _ = rows["record_key"]
    decisions = pd.DataFrame({"left_key": [k5], "right_key": [k6], "decision": ["non_match"]})
    result = deduplicate(rows, settings=SETTINGS, decisions=decisions)
    assert cluster_of(result, "5") != cluster_of(result, "6")
    assert len(result.clusters) == 3


def test_chains_of_matches_are_split_when_the_ends_differ():
    """A ~ B and B ~ C, but C is far from A: C must not ride into A's cluster."""
    base = {"address": None, "commodity": "kain batik", "kecamatan_code": None}
    a = record("5", "Sentra Batik Sidomulyo", latitude=-7.90, longitude=110.40, units=10, **base)
    b = record(
        "6", "Sentra Batik Sidomulyo", latitude=None, longitude=None, units=None, office_code="34",
        **base,
    )  # fmt: skip
    c = record("7", "Sentra Batik Sidomulyo", latitude=-7.94, longitude=110.44, units=80, **base)
    prep = prepare(frame(a, b, c))
    s = score_pairs(prep, prep, np.array([0, 1, 0]), np.array([1, 2, 2]))["score"].to_numpy()
    assert s[0] >= SETTINGS.match_threshold
    assert s[1] >= SETTINGS.match_threshold
    assert s[2] < SETTINGS.review_threshold
    result = deduplicate(frame(a, b, c), settings=SETTINGS)
    assert cluster_of(result, "5") == cluster_of(result, "6")
    assert cluster_of(result, "7") != cluster_of(result, "5")
    assert result.stats["chain_splits"] == 1
    assert (result.clusters["match_score"] >= SETTINGS.review_threshold).all()


def test_survivor_is_the_kabkota_office_then_latest_then_most_complete():
    later = datetime(2025, 4, 1, tzinfo=UTC)
    rows = frame(
        record("5", "Sentra Gerabah Kasongan", office_code="34", received_at=later, units=41),
        record("6", "Sentra Gerabah Kasongan", address=None, workers=None),
        record("7", "Sentra Gerabah Kasongan", submission_id="2025-34.02-old", received_at=T0,
               units=39, year_established=None),
    )  # fmt: skip
    rows.loc[1, "received_at"] = later
    rows["year_established"] = [1990, None, None]
    result = deduplicate(rows, settings=SETTINGS)
    assert result.clusters["cluster_key"].nunique() == 1
    (surv,) = result.survivors.itertuples()
    assert surv.record_key == rows["record_key"][1]  # own office, latest submission
    assert surv.cluster_key == rows["record_key"][1]
    assert surv.units == 40  # the survivor's own value wins
    assert surv.address == "Dusun Kasongan, Desa Bangunjiwo"  # filled from another member
    assert surv.workers == 120
    assert surv.year_established == 1990
    assert surv.office_code == "34.02"
    assert surv.cluster_size == 3


def test_huge_blocks_are_capped_not_exploded():
    n = 400
    rows = frame(
        *(
            record(str(i + 5), f"Sentra Gerabah Kasongan {i % 7}", latitude=-7.8465 + i * 1e-6)
            for i in range(n)
        )
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert result.stats["capped_blocks"]["grid_a"] >= 1
    assert result.stats["pairs_scored"] < n * 80
    assert len(result.clusters) == n


def test_arrow_backed_frames_as_the_pipeline_reads_them(small_round, small_result):
    import pyarrow as pa

    arrow = pa.Table.from_pandas(small_round.records, preserve_index=False)
    records = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    result = deduplicate(records, settings=SETTINGS)
    pd.testing.assert_series_equal(
        result.clusters["cluster_key"].astype(str),
        small_result.clusters["cluster_key"].astype(str),
        check_names=False,
    )


def test_bad_input_names_the_problem():
    rows = frame(record("5", "Sentra Gerabah Kasongan"), record("5", "Sentra Lain"))
    with pytest.raises(ValueError, match=r"record_key '2025-34\.02-aaaaaaaaaaaa#5'"):
        deduplicate(rows, settings=SETTINGS)
    with pytest.raises(ValueError, match="sentra_name"):
        deduplicate(rows.drop(columns=["sentra_name"]), settings=SETTINGS)
    decisions = pd.DataFrame({"left_key": ["a"], "right_key": ["b"], "decision": ["maybe"]})
    with pytest.raises(ValueError, match=r"row 0 .*'maybe'"):
        deduplicate(rows.iloc[:1], settings=SETTINGS, decisions=decisions)


def test_empty_round_links_to_nothing_and_asks_for_nothing():
    """Every submission of a year held for review: consolidation still runs."""
    from sentra.matching import link_to_register

    rows = frame(record("5", "x")).iloc[:0]
    result = deduplicate(rows, settings=SETTINGS)
    assert len(result.clusters) == len(result.survivors) == len(result.candidates) == 0
    register = pd.DataFrame(
        {"sentra_id": ["S340200001"], "region_code": ["34.02"], "sentra_name": ["Sentra A"]}
    )
    linked = link_to_register(result.survivors, register, settings=SETTINGS)
    assert len(linked.links) == len(linked.new_entries) == len(linked.uncertain) == 0


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, sentra.matching; "
        "print(sorted({'pandas', 'numpy', 'rapidfuzz'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- pair quality


def test_pair_quality_counts_pairs_and_exact_clusters():
    predicted = pd.DataFrame(
        {"record_key": list("abcde"), "cluster_key": ["a", "a", "a", "d", "e"]}
    )
    truth = pd.DataFrame({"record_key": list("abcde"), "entity_id": [1, 1, 2, 3, 3]})
    q = pair_quality(predicted, truth)
    # predicted pairs ab ac bc; true pairs ab de; correct ab.
    assert (q.predicted_pairs, q.true_pairs, q.correct_pairs) == (3, 2, 1)
    assert q.pair_precision == pytest.approx(1 / 3, abs=1e-6)
    assert q.pair_recall == pytest.approx(0.5)
    assert q.pair_f1 == pytest.approx(0.4)
    assert (q.predicted_clusters, q.true_clusters, q.correct_clusters) == (3, 3, 0)


def test_pair_quality_refuses_mismatched_records():
    predicted = pd.DataFrame({"record_key": ["a", "b"], "cluster_key": ["a", "a"]})
    truth = pd.DataFrame({"record_key": ["a"], "entity_id": [1]})
    with pytest.raises(ValueError, match=r"only in the predicted frame, e\.g\. 'b'"):
        pair_quality(predicted, truth)


def test_survivor_point_comes_whole_from_one_member_and_singles_keep_their_own():
    """A merged cluster takes latitude and longitude from the same member; a record
    alone keeps its point, and half a point (latitude without longitude) is no point."""
    later = datetime(2025, 4, 1, tzinfo=UTC)
    rows = frame(
        record("5", "Sentra Gerabah Kasongan", latitude=-7.8466, longitude=None, received_at=later),
        record("6", "Sentra Gerabah Kasongan", latitude=-7.8467, longitude=110.3411),
        record("7", "Sentra Tenun Gamplong", latitude=-7.7501, longitude=110.2502,
               commodity="tenun", address="Desa Sumberrahayu", kecamatan_code="34.04.01"),
        record("8", "Sentra Bambu Sendari", latitude=-7.7002, longitude=None,
               commodity="anyaman bambu", address="Desa Tirtoadi", kecamatan_code="34.04.12"),
    )  # fmt: skip
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "5") == cluster_of(result, "6")
    surv = result.survivors.set_index("cluster_key")
    merged = surv.loc[cluster_of(result, "5")]
    assert (merged.latitude, merged.longitude) == (-7.8467, 110.3411)
    single = surv.loc[cluster_of(result, "7")]
    assert (single.latitude, single.longitude) == (-7.7501, 110.2502)
    half = surv.loc[cluster_of(result, "8")]
    assert np.isnan(half.latitude)
    assert np.isnan(half.longitude)
    assert surv["cluster_size"].sum() == len(rows)


@pytest.mark.parametrize("chunk", [500_000, 997])
def test_a_keep_threshold_drops_exactly_the_pairs_scoring_below_it(chunk, monkeypatch):
    """Deduplication scores its block pairs with ``keep_from``: the name and address
    comparisons are skipped for pairs whose best possible score is below it. The pairs
    kept and their scores must be those of scoring every pair, whatever the evidence
    (desa agreeing or not, read from a name, marks, missing points and addresses)."""
    rng = np.random.default_rng(3)
    prep = prepare(make_round(300, seed=5).records)
    n = len(prep)
    kec = prep["kecamatan_code"].fillna("32.04.03").to_numpy(dtype=object)
    desa = np.where(rng.random(n) < 0.6, kec + "." + rng.choice(["2001", "2002"], n), None)
    prep["desa_code"] = desa
    prep["desa_from_name"] = rng.random(n) < 0.2
    prep["name_marks"] = rng.choice(["", "", "", "ii", "timur", "19"], n)
    li, ri = np.triu_indices(n, k=1)
    same_region = prep["region_code"].to_numpy()[li] == prep["region_code"].to_numpy()[ri]
    li, ri = li[same_region], ri[same_region]
    every = score_pairs(prep, prep, li, ri)
    # Scored a chunk at a time (997 pairs here): one row per pair, in order, all the same.
    monkeypatch.setattr("sentra.matching.engine.SCORE_CHUNK", chunk)
    pd.testing.assert_frame_equal(score_pairs(prep, prep, li, ri), every)
    for threshold in (0.5, 0.65, 0.85):
        kept = score_pairs(prep, prep, li, ri, keep_from=threshold)
        expected = every[every["score"] >= threshold]
        assert 0 < len(kept) < len(li)
        pd.testing.assert_frame_equal(kept, expected)


def test_pairs_across_two_prepared_frames_score_as_within_one():
    """score_pairs(left, right): text compared for equality as codes shared by both
    sides (a desa code is the same code on either side)."""
    prep = prepare(make_round(120, seed=9).records)
    half = len(prep) // 2
    left, right = prep.iloc[:half].reset_index(drop=True), prep.iloc[half:].reset_index(drop=True)
    rng = np.random.default_rng(1)
    li, ri = rng.integers(0, half, 400), rng.integers(0, len(prep) - half, 400)
    across = score_pairs(left, right, li, ri)
    within = score_pairs(prep, prep, li, ri + half)
    pd.testing.assert_frame_equal(across, within)
    assert (across["desa_score"] == 1.0).any() or (across["commodity_score"] == 1.0).any()
