"""Deduplication on a round from the project generator, read back through ingestion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from test_matching import SETTINGS

from sentra.matching import deduplicate, pair_quality


def test_project_generator_round_deduplicates_with_high_f1(tmp_path):
    synth = pytest.importorskip("sentra.synth")
    ingest = pytest.importorskip("sentra.ingest")
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
    result = deduplicate(records.drop(columns=["entity_id"]), settings=SETTINGS)
    quality = pair_quality(result.clusters, records[["record_key", "entity_id"]])
    assert quality.true_pairs > 20  # the round really contains duplicates to find
    assert quality.pair_f1 >= 0.95, quality
