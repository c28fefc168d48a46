"""A national round as offices send it: hundreds of small files through the real DAGs.

The yardstick's generator (``../shared/yardstick``, written independently of sentra)
makes one ``;`` CSV per kab/kota office for 2025 and 2026 (514 offices, 1,028 files at
the quick size). ``sentra run`` takes that landing folder through census_ingest →
census_consolidate → census_reports on the embedded runner (``dag.test()``), in a
child process so its wall time, per-DAG times and peak RSS are its own. The baseline
in the same run is the reading alone: every file through ``ingest.read_submission``
in one process, no Airflow, no validation, no ledger — what a round cannot cost less
than. After the round, census_ingest runs once more with nothing new, as the daily
schedule does between submissions: its time and task states are reported.

Run alone: ``.venv/bin/python -m bench.national [--size quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.yardstick import SETS, generate

RUN_SCRIPT = """
import json, sys, time
from pathlib import Path
from rich.console import Console
from sentra.cli.rounds import prepare_environment, prepare_ledger, run_rounds
from sentra.config import get_settings
from sentra.own_files import plan_landing

landing, out = sys.argv[1], Path(sys.argv[2])
settings = get_settings()
started = time.perf_counter()
plan = plan_landing(landing, settings)
settings = prepare_environment(settings, plan.landing_uri)
prepare_ledger(settings)
ready = time.perf_counter() - started
runs = run_rounds(plan, settings, Console(file=sys.stderr))
# The next day's scheduled run with nothing new: discovery only, no consolidation.
from sentra.runner import run_dag
start = time.perf_counter()
noop = run_dag("census_ingest", {"census_year": max(plan.years)})
noop_s = time.perf_counter() - start
out.write_text(json.dumps({
    "setup_s": ready, "runs": runs, "noop_ingest_s": noop_s, "noop_tasks": noop.task_states,
}))
"""


def _landing(folder: Path, work: Path) -> Path:
    """The set's year folders copied into a landing folder (its truth files stay outside).

    Copied, not linked: discovery refuses a file that resolves outside the landing
    folder (``outside_landing``), as it should.
    """
    import shutil

    landing = work / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    for year in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()):
        if not (landing / year.name).exists():
            shutil.copytree(year, landing / year.name)
    return landing


def read_only(landing: Path) -> dict[str, Any]:
    """Every file read and normalised in one process: the floor a round cannot beat."""
    from sentra.config import get_settings
    from sentra.ingest import read_submission

    settings = get_settings()
    files = sorted(landing.glob("*/*/*.csv"))
    rows = 0
    start = time.perf_counter()
    for path in files:
        year, office = int(path.parts[-3]), path.parts[-2]
        parsed = read_submission(
            path.read_bytes(),
            file_name=path.name,
            office_code=office,
            census_year=year,
            submission_id=f"{year}-{office}-bench",
            settings=settings,
        )
        rows += len(parsed.rows)
    return {"files": len(files), "rows": rows, "seconds": time.perf_counter() - start}


def run(size: str, work: Path) -> dict[str, Any]:
    """The round through ``sentra run`` on the embedded default, and the read-only floor."""
    records, seed = SETS[size]
    folder = generate(records, seed, work / f"yardstick-{size}")
    landing = _landing(folder, work)
    data = work / "data"
    out = work / "national.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env["SENTRA_DATA_DIR"] = str(data)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, str(landing), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"sentra run failed:\n{proc.stderr[-4000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    runs = json.loads(out.read_text())
    floor = read_only(landing)
    by_dag: dict[str, float] = {}
    for r in runs["runs"]:
        key = f"{r['census_year']} {r['dag_id']}"
        by_dag[key] = round(r["seconds"], 1)
    ingest_s = sum(v for k, v in by_dag.items() if k.endswith("census_ingest"))
    return {
        "rows": floor["rows"],
        "files": floor["files"],
        "ours": {"median_s": round(wall, 1), "min_s": round(wall, 1)},
        "baseline": {"median_s": round(floor["seconds"], 1), "min_s": round(floor["seconds"], 1)},
        "baseline_name": "reading + normalising every file in one process (no Airflow, GX, ledger)",
        "setup_s": round(runs["setup_s"], 1),
        "by_dag_s": by_dag,
        "ingest_s_per_file": round(ingest_s / max(1, floor["files"]), 3),
        # census_ingest again with nothing new (the daily run between submissions)
        "noop_ingest_s": round(runs["noop_ingest_s"], 1),
        "noop_ingest_tasks": runs["noop_tasks"],
        "run_peak_rss_mb": round(max(before, peak_kb) / 1024, 1),
        "note": (
            f"yardstick {size}: {floor['files']} files of {records:,} records, two years, "
            "sentra run on the embedded runner (dag.test); wall includes Airflow DB setup"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SETS), default="quick")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sentra-national-") as tmp:
        print(json.dumps(run(args.size, Path(tmp)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
