"""The benchmark harness runs end to end on a tiny size and reports same-run ratios."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_harness_tiny(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--size",
            "tiny",
            "--only",
            "read_csv,validate,publish,match,late,dag_parse",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["size"] == "tiny"
    assert report["machine"]["cpus"] >= 1
    # A sample of the stages (each runs in its own process, ~8 s apiece): the harness's
    # bookkeeping is the same for all; `make bench` runs every stage.
    for name in ("read_csv", "validate", "publish", "match", "late"):
        stage = report["stages"][name]
        assert stage["rows"] > 0
        assert stage["ours"]["median_s"] > 0
        assert stage["baseline"]["median_s"] > 0
        assert stage["ratio"] == pytest.approx(
            stage["ours"]["median_s"] / stage["baseline"]["median_s"], rel=0.01, abs=0.005
        )
        assert stage["peak_rss_mb"] > 0
        assert (
            stage["peak_rss_mb"]
            >= stage["ours"]["peak_rss_mb"]
            >= stage["ours"]["rss_before_mb"]
            > 0
        )
    parse = report["stages"]["dag_parse"]["ours"]  # timings are the benchmark's to judge
    assert parse["cold_s"] > 0
    assert 0 < parse["min_s"] <= parse["median_s"]
    match = report["stages"]["match"]
    assert match["quality"]["pair_f1"] >= 0.95  # against the generator's truth
    assert set(match["phases_s"]) >= {"blocking_s", "scoring_s", "clustering_s"}
    assert "514 kab/kota" in match["note"]
    late = report["stages"]["late"]
    assert late["kabkota_rematched"] == 1  # the memo carries every other kab/kota
    assert 0 < late["records_rematched"] < match["rows"]
    assert late["whole_year_s"] > 0
    assert report["stages"]["publish"]["sql_aggregate"]["median_s"] > 0
    reading = report["stages"]["read_csv"]  # our reader alone, the floor of our CSV ratio
    assert reading["read_only"]["median_s"] > 0


def test_the_csv_stage_says_what_reading_alone_costs_against_read_csv():
    from bench.harness import _notes

    stage = {
        "ours": {"median_s": 3.0},
        "baseline": {"median_s": 0.5},
        "read_and_write": {"median_s": 1.5},
        "read_only": {"median_s": 0.9},
    }
    assert _notes(stage) == "2.00x read_csv + write_table, reading alone 1.80x read_csv"


def test_ours_and_baseline_runs_are_interleaved():
    """A drift in the host's speed must reach both sides of a ratio: a, b, a, b..."""
    from bench.harness import _timed_together

    calls: list[str] = []
    timed = _timed_together(
        {"ours": lambda: calls.append("ours"), "baseline": lambda: calls.append("base")}, 3
    )
    assert calls == ["ours", "base"] * 4  # a warm-up round, then three timed rounds
    for side in timed.values():
        assert side["min_s"] <= side["median_s"]
        assert side["cold_s"] >= 0


def test_a_stage_peak_is_never_below_a_runs_own_peak(monkeypatch):
    """The kernel's RSS counters are approximate: a high-water mark read later may be a
    little lower than one read earlier (seen once: stage 182.4 MB, its run 182.6 MB).
    A run's peak is at least the RSS it started from, and the stage's is the largest
    reading taken."""
    import types

    from bench import harness as bench

    # Per run: the reading kept at the reset, the check after it, the RSS at the start,
    # the high-water mark after the run (here a little lower each time).
    readings = iter([300.0, 300.0, 300.0, 299.8, 299.8, 299.8, 299.8, 299.7])
    monkeypatch.setattr(bench, "_high_water_mb", lambda: next(readings, 299.0))
    monkeypatch.setattr(bench, "_PEAKS_SEEN", [0.0])
    monkeypatch.setattr(bench.Path, "write_text", lambda self, text: len(text))
    monkeypatch.setattr(bench.resource, "getrusage", lambda who: types.SimpleNamespace(ru_maxrss=0))
    timed = bench._timed_together({"ours": lambda: None}, 1)["ours"]
    assert timed["rss_before_mb"] == 300.0
    assert timed["peak_rss_mb"] == 300.0
    assert bench._peak_rss_mb() >= timed["peak_rss_mb"]
