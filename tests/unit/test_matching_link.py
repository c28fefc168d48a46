"""Register linking: stable ids across reruns and late submissions, one cluster per entry."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_matching import SETTINGS, frame, record
from test_matching_fixture import make_round

from sentra.matching import deduplicate, link_to_register

REGISTER = pd.DataFrame(
    [
        {
            "sentra_id": "S340200001",
            "region_code": "34.02",
            "sentra_name": "Sentra Gerabah Kasongan",
            "commodity": "gerabah",
            "commodity_group": "gerabah",
            "kecamatan_code": "34.02.09",
            "address": "Dusun Kasongan, Desa Bangunjiwo",
            "latitude": -7.8466,
            "longitude": 110.3421,
            "units": 42,
        },
        {
            "sentra_id": "S340200002",
            "region_code": "34.02",
            "sentra_name": "Sentra Batik Giriloyo",
            "commodity": "kain batik",
            "commodity_group": "kain_batik",
            "kecamatan_code": "34.02.12",
            "address": "Dusun Giriloyo, Desa Wukirsari",
            "latitude": -7.9405,
            "longitude": 110.4190,
            "units": 60,
        },
    ]
)


def links_after(records: pd.DataFrame, register=REGISTER, **kwargs):
    dedup = deduplicate(records, settings=SETTINGS, decisions=kwargs.get("decisions"))
    return dedup, link_to_register(dedup.survivors, register, settings=SETTINGS, **kwargs)


def as_ledger(dedup, linked, new_ids: dict[str, str]) -> pd.DataFrame:
    """What the pipeline stores: one link per record, new clusters numbered by the ledger."""
    links = linked.links.assign(
        sentra_id=linked.links["sentra_id"].fillna(linked.links["cluster_key"].map(new_ids))
    )
    return dedup.clusters.merge(links, on="cluster_key")[
        ["record_key", "sentra_id", "cluster_key", "method", "score", "evidence"]
    ]


def test_links_by_sentra_id_by_score_or_as_new():
    records = frame(
        record("5", "Sentra Tembikar Pundong", sentra_id="S340200001", latitude=-7.95),
        record(
            "6",
            "Sntr. Batik Giriloyo",
            commodity="kain batik",
            commodity_group="kain_batik",
            kecamatan_code="34.02.12",  # Giriloyo's kecamatan, as in the register
            latitude=-7.9407,
            longitude=110.4192,
            address="Dsn. Giriloyo, Ds. Wukirsari",
        ),
        record("7", "Sentra Anyaman Pandan Sumberrejo", latitude=-7.80, longitude=110.20),
    )
    _, linked = links_after(records)
    by = linked.links.set_index(linked.links["cluster_key"].str.split("#").str[1])
    assert by.loc["5", ["sentra_id", "method"]].tolist() == ["S340200001", "sentra_id"]
    assert by.loc["6", ["sentra_id", "method"]].tolist() == ["S340200002", "match"]
    assert by.loc["6", "score"] >= SETTINGS.match_threshold
    assert pd.isna(by.loc["7", "sentra_id"])
    assert by.loc["7", "method"] == "new"
    evidence = json.loads(by.loc["6", "evidence"])
    assert evidence["basis"] == "match"
    assert evidence["register"]["sentra_name"] == "Sentra Batik Giriloyo"
    assert set(evidence["scores"]) >= {"name_score", "distance_m", "commodity_score"}
    assert linked.new_entries["cluster_key"].tolist() == [records["record_key"][2]]
    assert linked.new_entries.loc[0, "region_code"] == "34.02"


def test_an_entry_is_claimed_by_one_cluster_and_the_runner_up_is_uncertain():
    twin = {"latitude": -7.8466, "longitude": 110.3421}
    records = frame(
        record("5", "Sentra Gerabah Kasongan", sentra_id="S340200098", **twin),
        record("6", "Sentra Gerabah Kasongan", sentra_id="S340200099", office_code="34", **twin),
    )  # two clusters: different (unknown) sentra_ids are never merged automatically
    dedup, linked = links_after(records)
    assert len(dedup.survivors) == 2
    links = linked.links
    assert links["sentra_id"].eq("S340200001").sum() == 1
    loser = links[links["sentra_id"].isna()]["cluster_key"].tolist()
    assert len(loser) == 1
    unc = linked.uncertain
    assert unc.loc[unc["cluster_key"] == loser[0], "reason"].tolist() == ["register_entry_taken"]
    assert linked.new_entries["cluster_key"].tolist() == loser
    assert json.loads(links.set_index("cluster_key").loc[loser[0], "evidence"])["basis"] == (
        "provisional_new:register_entry_taken"
    )


def test_clerical_band_becomes_a_provisional_new_entry_listed_for_review():
    records = frame(
        record("5", "Sentra Gerabah Kasongan Baru Lor", address=None, latitude=None, longitude=None)
    )
    _, linked = links_after(records, register=REGISTER.assign(units=None))
    (link,) = linked.links.itertuples()
    assert link.method == "new"
    assert link.sentra_id is None or pd.isna(link.sentra_id)
    assert SETTINGS.review_threshold <= link.score < SETTINGS.match_threshold
    (unc,) = linked.uncertain.itertuples()
    assert (unc.sentra_id, unc.reason) == ("S340200001", "clerical_band")
    assert len(linked.new_entries) == 1


def test_a_clerical_band_pair_that_is_each_others_only_candidate_is_linked():
    """One register entry per sentra and one cluster per sentra: a re-spelled sentra whose
    only likely partner is one entry, and that entry's only likely partner is it, keeps
    its id instead of going to a reviewer (and its entry to not_reported)."""
    thin = {"address": None, "latitude": None, "longitude": None}
    register = REGISTER.assign(units=None)
    _, linked = links_after(frame(record("5", "Sentra Gerabah Kasungan", **thin)), register)
    (link,) = linked.links.itertuples()
    assert (link.sentra_id, link.method) == ("S340200001", "mutual_best")
    assert SETTINGS.review_threshold <= link.score < SETTINGS.match_threshold
    assert json.loads(link.evidence)["basis"] == "mutual_best"
    assert len(linked.uncertain) == 0
    assert len(linked.new_entries) == 0

    # Two clusters tying for the entry: a choice between candidates, left to a reviewer.
    twins = frame(
        record("5", "Sentra Gerabah Kasungan", sentra_id="S340200098", **thin),
        record("6", "Sentra Gerabah Kasungan", sentra_id="S340200099", office_code="34", **thin),
    )
    _, linked = links_after(twins, register)
    assert set(linked.links["method"]) == {"new"}
    assert set(linked.uncertain["sentra_id"]) == {"S340200001"}

    # Evidence against (another kecamatan): not linked, whatever else agrees.
    other = record("5", "Sentra Gerabah Kasungan", kecamatan_code="34.02.01", **thin)
    _, linked = links_after(frame(other), register)
    assert list(linked.links["method"]) == ["new"]


def test_reviewer_decisions_against_the_register_win():
    records = frame(
        record("5", "Sentra Gerabah Kasongan Baru Lor", address=None, latitude=None),
        record("6", "Sentra Gerabah Kasongan", latitude=-7.8466, longitude=110.3421, units=42),
    )
    k5, k6 = records["record_key"]
    decisions = pd.DataFrame(
        {
            "left_key": [k5, k6],
            "right_key": ["S340200001", "S340200001"],
            "decision": ["match", "non_match"],
        }
    )
    _, linked = links_after(records, decisions=decisions)
    by = linked.links.set_index("cluster_key")
    assert by.loc[k5, ["sentra_id", "method"]].tolist() == ["S340200001", "decision"]
    assert by.loc[k6, "method"] == "new"


@pytest.fixture(scope="module")
def round_linked():
    rnd = make_round(400, seed=5)
    dedup = deduplicate(rnd.records, settings=SETTINGS)
    linked = link_to_register(dedup.survivors, rnd.register, settings=SETTINGS)
    return rnd, dedup, linked


def test_linking_a_synthetic_round_finds_last_years_entries(round_linked):
    rnd, dedup, linked = round_linked
    truth = rnd.truth.set_index("record_key")["entity_id"]
    reg_entity = rnd.register_truth.set_index("sentra_id")["entity_id"]
    links = linked.links.assign(entity=linked.links["cluster_key"].map(truth))
    linked_rows = links[links["sentra_id"].notna()]
    correct = (linked_rows["sentra_id"].map(reg_entity) == linked_rows["entity"]).mean()
    assert correct >= 0.99
    registered = links["entity"].isin(reg_entity.to_numpy())
    assert links.loc[registered, "sentra_id"].notna().mean() >= 0.95
    assert linked.links["cluster_key"].is_unique
    assert set(linked.links["cluster_key"]) == set(dedup.survivors["cluster_key"])
    assert linked.links["sentra_id"].dropna().is_unique


def test_rerun_with_stored_links_changes_nothing(round_linked):
    rnd, dedup, linked = round_linked
    new_ids = {k: f"S9999{i:05d}" for i, k in enumerate(linked.new_entries["cluster_key"])}
    stored = as_ledger(dedup, linked, new_ids)
    register = pd.concat(
        [
            rnd.register,
            linked.new_entries.assign(sentra_id=lambda f: f["cluster_key"].map(new_ids)),
        ],
        ignore_index=True,
    )
    again = link_to_register(dedup.survivors, register, settings=SETTINGS, existing_links=stored)
    assert len(again.new_entries) == 0
    assert len(again.uncertain) == 0
    rerun = as_ledger(dedup, again, {})
    pd.testing.assert_frame_equal(
        rerun[["record_key", "sentra_id"]].sort_values("record_key").reset_index(drop=True),
        stored[["record_key", "sentra_id"]].sort_values("record_key").reset_index(drop=True),
    )


def test_a_late_submission_touches_only_its_own_records():
    rnd = make_round(400, seed=8)
    late_sub = rnd.records["submission_id"].iloc[0]
    early = rnd.records[rnd.records["submission_id"] != late_sub]
    dedup1 = deduplicate(early, settings=SETTINGS)
    linked1 = link_to_register(dedup1.survivors, rnd.register, settings=SETTINGS)
    new_ids = {k: f"SNEW{i:05d}" for i, k in enumerate(linked1.new_entries["cluster_key"])}
    stored = as_ledger(dedup1, linked1, new_ids)
    register = pd.concat(
        [
            rnd.register,
            linked1.new_entries.assign(sentra_id=lambda f: f["cluster_key"].map(new_ids)),
        ],
        ignore_index=True,
    )

    dedup2 = deduplicate(rnd.records, settings=SETTINGS)
    linked2 = link_to_register(dedup2.survivors, register, settings=SETTINGS, existing_links=stored)
    after = as_ledger(dedup2, linked2, {k: f"SLATE{i:05d}" for i, k in enumerate(
        linked2.new_entries["cluster_key"])})  # fmt: skip
    before = stored.set_index("record_key")["sentra_id"]
    now = after.set_index("record_key")["sentra_id"]
    assert (now.loc[before.index] == before).all()  # nothing already linked moved
    late_keys = set(rnd.records.loc[rnd.records["submission_id"] == late_sub, "record_key"])
    assert len(late_keys) > 20
    new_clusters = set(linked2.new_entries["cluster_key"])
    members = dedup2.clusters.groupby("cluster_key")["record_key"].agg(set)
    for cluster_key in new_clusters:  # new ids only for clusters made of late records alone
        assert members[cluster_key] <= late_keys


def test_a_register_entry_without_its_kecamatan_still_links_by_its_full_name():
    """The register says "Sentra Lurik Pedan" in Klaten and nothing about the kecamatan;
    the office's row says the same name in kecamatan Pedan. Dropping "Pedan" from the
    row's name only (its place is known) must not make the same name look different."""
    register = pd.DataFrame(
        [
            {
                "sentra_id": "S331000001",
                "region_code": "33.10",
                "sentra_name": "Sentra Lurik Pedan",
                "commodity": "Kain tenun lurik",
                "commodity_group": None,
                "kecamatan_code": None,
                "address": None,
                "latitude": None,
                "longitude": None,
                "units": 20,
            }
        ]
    )
    row = record(
        "5",
        "Sentra Lurik Pedan",
        office_code="33.10",
        region_code="33.10",
        kecamatan_code="33.10.12",  # Pedan
        commodity="Kain tenun lurik",
        commodity_group=None,
        units=22,
        address=None,
        latitude=None,
        longitude=None,
    )
    _, linked = links_after(frame(row), register=register)
    link = linked.links.iloc[0]
    assert (link["sentra_id"], link["method"]) == ("S331000001", "match")
    assert json.loads(link["evidence"])["scores"]["name_score"] == 1.0
