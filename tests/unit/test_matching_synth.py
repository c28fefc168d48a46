"""Deduplication on a round from the project generator, read back through ingestion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from test_matching import SETTINGS

from sentra.matching import deduplicate, pair_quality


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from sentra import ingest, synth

    tmp_path = tmp_path_factory.mktemp("round")
    world = synth.generate_world(n_sentra=400, seed=3, provinces=["34"])
    # A province office's file guarantees cross-submission duplicates to find.
    truth = synth.generate_round(
        world,
        census_year=2025,
        landing_dir=tmp_path / "landing",
        seed=3,
        messiness=synth.Messiness(province_office_share=1.0),
    ).rows
    accepted = truth[truth["expected_verdict"] == "accepted"]
    frames = []
    for i, ((office, file_name), rows) in enumerate(accepted.groupby(["office_code", "file_name"])):
        path = next((tmp_path / "landing").rglob(file_name))
        submission_id = f"2025-{office}-{i:012d}"
        parsed = ingest.read_submission(
            path,
            file_name=file_name,
            office_code=office,
            census_year=2025,
            submission_id=submission_id,
            settings=SETTINGS,
        ).rows
        parsed = parsed[parsed["source_row"].isin(rows["source_row"])].copy()
        parsed["received_at"] = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=i)
        parsed["entity_id"] = parsed["source_row"].map(rows.set_index("source_row")["entity_id"])
        frames.append(parsed)
    records = pd.concat(frames, ignore_index=True)
    records["record_key"] = records["submission_id"] + "#" + records["source_row"].astype(str)
    return records


def test_project_generator_round_deduplicates_with_high_f1(records):
    result = deduplicate(records.drop(columns=["entity_id"]), settings=SETTINGS)
    quality = pair_quality(result.clusters, records[["record_key", "entity_id"]])
    assert quality.true_pairs > 20  # the round really contains duplicates to find
    assert quality.pair_f1 >= 0.95, quality


def test_kabkota_batches_give_the_same_clusters_and_review_table(records, monkeypatch):
    from sentra.matching import dedup

    rows = records.drop(columns=["entity_id"])
    whole = deduplicate(rows, settings=SETTINGS)
    assert whole.stats["region_batches"] == 1
    monkeypatch.setattr(dedup, "BATCH_ROWS", 1)  # every kab/kota is a batch of its own
    batched = deduplicate(rows, settings=SETTINGS)
    assert batched.stats["region_batches"] == rows["region_code"].nunique() > 1
    pd.testing.assert_frame_equal(batched.clusters, whole.clusters)
    pd.testing.assert_frame_equal(batched.candidates, whole.candidates)
    pd.testing.assert_frame_equal(batched.survivors, whole.survivors)
    assert batched.stats["pairs_scored"] == whole.stats["pairs_scored"]
