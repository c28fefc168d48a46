"""The Splink baseline runs offline on the same records and is scored the same way."""

from __future__ import annotations

from test_matching import SETTINGS
from test_matching_fixture import make_round

from bench.splink_baseline import run_splink
from sentra.matching import pair_quality


def test_splink_baseline_clusters_every_record_comparably():
    rnd = make_round(250, seed=4)
    out = run_splink(rnd.records, SETTINGS)
    assert sorted(out["record_key"]) == sorted(rnd.records["record_key"])
    assert pair_quality(out, rnd.truth).pair_f1 >= 0.9
