"""The census_round DAG run for real with ``dag.test()``: forms out, round closed once.

A round whose deadline has passed (the run's day is today, the dates are in January)
opens, sends every office its form and closes in one run, emitting the asset that
triggers the final consolidation; the next run finds it closed and does nothing.
Runs in a subprocess so Airflow is configured with a private home and metadata DB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from sentra.runner import configure_airflow, migrate_airflow_db
    home = Path(sys.argv[1])
    configure_airflow(home)
    migrate_airflow_db(home)
    from sentra.runner import run_dag
    conf = {"census_year": 2026, "open_date": "2026-01-05", "deadline": "2026-01-20"}
    runs = [run_dag("census_round", conf), run_dag("census_round", {"census_year": 2026})]
    print(json.dumps([{"state": r.state, "tasks": r.task_states} for r in runs]))
    """
)


def test_census_round_opens_sends_forms_and_closes_once(tmp_path):
    from sentra.cli.rounds import load_reference
    from sentra.config import get_settings
    from sentra.demo import DemoConfig, prepare_inputs
    from sentra.tasks.ingest import prepare

    data = tmp_path / "data"
    cfg = DemoConfig(data_dir=data, n_sentra=60, seed=5, census_years=(2026,), provinces=("34",))
    prepare_inputs(cfg)
    settings = get_settings({"SENTRA_DATA_DIR": str(data)})
    prepare(settings)
    load_reference(settings, cfg)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env["SENTRA_DATA_DIR"] = str(data)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "airflow")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    first, second = json.loads(proc.stdout.strip().splitlines()[-1])
    assert first == {"state": "success", "tasks": {"success": 2}}, first
    assert second["state"] == "success"
    assert second["tasks"] == {"success": 1, "skipped": 1}, "closed once: no second event"

    from sentra import census_round as cr
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        status = cr.status(session, 2026)
    assert status["status"] == "closed"
    offices = status["offices"]
    with_address = [o for o in offices if o["has_address"]]
    assert with_address
    assert all(o["form_sent"] for o in with_address)
    assert not any(o["form_sent"] for o in offices if not o["has_address"])
    forms = list(settings.outbox_dir.glob("*.eml"))
    assert len(forms) == len(with_address)
