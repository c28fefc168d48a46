"""The scheduler benchmark's figures from the REST API's JSON (no stack started here)."""

from __future__ import annotations

import pytest

from bench.national_scheduler import _components, did_only_discovery, run_seconds, task_overheads


def _ti(task_id: str, state: str, queued: str | None, start: str | None, **extra) -> dict:
    return {
        "task_id": task_id,
        "state": state,
        "queued_when": queued,
        "start_date": start,
        "map_index": -1,
        **extra,
    }


def test_overhead_is_queued_to_start_of_the_tasks_that_ran():
    tis = [
        _ti("discover", "success", "2026-12-06T03:00:00Z", "2026-12-06T03:00:01.5Z", duration=2.0),
        _ti(
            "process_batch",
            "success",
            "2026-12-06T03:00:04+00:00",
            "2026-12-06T03:00:08.5+00:00",
            duration=6.0,
        ),
        _ti("announce_staged", "skipped", None, None),  # never queued: not an overhead
    ]
    got = task_overheads(tis)
    assert got["task_instances"] == 3
    assert got["states"] == {"skipped": 1, "success": 2}
    assert got["queued_to_start_s"] == {"n": 2, "mean": 3.0, "median": 3.0, "max": 4.5}
    assert got["task_duration_mean_s"] == pytest.approx(4.0)


def test_no_task_that_ran_means_no_overhead_figure():
    got = task_overheads([_ti("process_batch", "skipped", None, None)])
    assert got == {"task_instances": 1, "states": {"skipped": 1}}


def test_run_seconds_from_the_runs_dates():
    run = {"start_date": "2026-12-06T03:00:00Z", "end_date": "2026-12-06T03:01:30.25Z"}
    assert run_seconds(run) == pytest.approx(90.25)
    assert run_seconds({"start_date": "2026-12-06T03:00:00Z", "end_date": None}) is None


def test_discovery_only_when_no_batch_ran_and_nothing_was_announced():
    noop = {
        "census_year": "success",
        "prepare": "success",
        "collect_mail": "success",
        "discover": "success",
        "process_batch": "skipped",
        "announce_staged": "skipped",
        "check_all_processed": "success",
    }
    assert did_only_discovery(noop)
    assert not did_only_discovery(noop | {"process_batch[0]": "success"})
    assert not did_only_discovery(noop | {"announce_staged": "success"})


def test_two_worker_processes_with_their_own_names_and_one_log_server():
    workers = {n: a for n, a in _components().items() if n.startswith("celery-worker")}
    assert len(workers) == 2
    names = {a[a.index("--celery-hostname") + 1] for a in workers.values()}
    assert len(names) == 2
    assert all(a[a.index("--concurrency") + 1] == "1" for a in workers.values())
    assert sum("--skip-serve-logs" not in a for a in workers.values()) == 1
