"""The census progress board: its figures against the ledger, its app inside Airflow.

A small generated round (two years, so there is a "last year") is run through the
pipeline. The board's figures are compared with the ledger and the warehouse; the
plugin is exercised inside Airflow's real api-server app (its FastAPI ``create_app``,
plugins folder = ``plugins/``), unauthenticated and signed in; and the page is rendered
in headless Chromium, whose DOM must show the ledger's numbers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks
from sentra.tasks import reports as report_tasks

pytestmark = [pytest.mark.integration, pytest.mark.slow]
YEARS = (2025, 2026)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data = tmp_path_factory.mktemp("board") / "data"
    cfg = DemoConfig(data_dir=data, n_sentra=120, seed=17, census_years=YEARS, provinces=("34",))
    prepare_inputs(cfg)
    settings = get_settings({"SENTRA_DATA_DIR": str(data)})
    ingest_tasks.prepare(settings)
    load_reference(settings, cfg)
    for year in YEARS:
        for sid in ingest_tasks.discover(year, settings):
            ingest_tasks.process_submission(sid, settings)
        written = consolidate_tasks.consolidate(year, settings)
        consolidate_tasks.audit(year, written, settings)
        consolidate_tasks.publish(year, written, settings)
        report_tasks.send_reports(year, settings)
    return settings


def _ledger(settings, year: int) -> dict[str, dict[str, int]]:
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    out: dict[str, dict[str, int]] = {}
    with session_scope(settings) as session:
        for s in session.query(Submission).filter(Submission.census_year == year):
            if s.status == "superseded":
                continue
            row = out.setdefault(s.office_code, {"accepted": 0, "rejected": 0, "files": 0})
            row["accepted"] += s.rows_accepted or 0
            row["rejected"] += s.rows_rejected or 0
            row["files"] += 1
    return out


def test_the_board_shows_what_the_ledger_and_warehouse_hold(published):
    from sentra.board import build
    from sentra.ledger.db import session_scope
    from sentra.warehouse import Warehouse

    settings = published
    with session_scope(settings) as session:
        board = build(session, settings, 2026)
    ledger = _ledger(settings, 2026)
    by_office = {o.office_code: o for o in board.offices}
    assert set(ledger) <= set(by_office)
    for code, office in by_office.items():
        mine = ledger.get(code, {"accepted": 0, "rejected": 0, "files": 0})
        assert (office.rows_accepted, office.rows_rejected, office.files) == (
            mine["accepted"],
            mine["rejected"],
            mine["files"],
        ), code
        assert office.submitted == (code in ledger)
        assert office.reports_sent == (1 if code in ledger else 0), code
    census = Warehouse(settings).scan("sentra_census", census_year=2026).to_pandas()
    assert board.totals["sentra_active"] == int((census["status"] == "active").sum())
    assert board.totals["sentra_active_last_year"] > 0, "2025 was published too"
    assert board.totals["rows_accepted"] == sum(v["accepted"] for v in ledger.values())


APP = textwrap.dedent(
    """
    import json, sys
    from fastapi.testclient import TestClient
    from airflow.api_fastapi.app import create_app
    client = TestClient(create_app())
    out = {}
    out["anonymous"] = client.get("/sentra/api/board?census_year=2026").status_code
    out["anonymous_docs"] = {
        path: client.get(path).status_code
        for path in (
            "/sentra/docs", "/sentra/redoc", "/sentra/openapi.json", "/sentra/data-docs/index.html"
        )
    }
    out["bad_token"] = client.get(
        "/sentra/api/board", headers={"Authorization": "Bearer not-a-token"}
    ).status_code
    login = client.post("/auth/token", json={"username": "pengamat", "password": "rahasia"})
    assert login.status_code in (200, 201), login.text
    token = login.json()["access_token"]
    headers = {"Authorization": "Bearer " + token}
    board = client.get("/sentra/api/board?census_year=2026", headers=headers)
    out["board_status"], out["board"] = board.status_code, board.json()
    page = client.get("/sentra/board?census_year=2026", cookies={"_token": token})
    out["page_status"], out["page"] = page.status_code, page.text
    docs = client.get("/sentra/data-docs/index.html", cookies={"_token": token})
    out["data_docs_status"], out["data_docs"] = docs.status_code, docs.text
    out["data_docs_escape"] = client.get(
        "/sentra/data-docs/..%2F..%2Fledger.sqlite", headers=headers
    ).status_code
    out["docs_signed_in"] = client.get("/sentra/docs", headers=headers).status_code
    plugins = client.get("/api/v2/plugins", headers=headers).json()["plugins"]
    out["plugin"] = next(p for p in plugins if p["name"] == "sentra_board")
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def served(published, tmp_path_factory):
    """The board as Airflow's api-server serves it (all-admins login, private home)."""
    home = tmp_path_factory.mktemp("airflow")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    env.update(
        {
            "SENTRA_DATA_DIR": str(published.data_dir),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # A real login, as in production: a viewer with a password.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "pengamat:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
    )
    (home / "passwords.json").write_text(json.dumps({"pengamat": "rahasia"}))
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True)
    proc = subprocess.run(
        [sys.executable, "-c", APP],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_board_is_an_airflow_plugin_behind_airflow_login(served, published):
    assert served["anonymous"] == 401
    docs = served["anonymous_docs"]
    assert docs.pop("/sentra/data-docs/index.html") == 401, "Data Docs need the login"
    assert set(docs.values()) <= {401, 404}, f"nothing answers anonymously: {docs}"
    assert served["docs_signed_in"] == 404, "FastAPI's docs routes are off"
    assert served["data_docs_status"] == 200
    assert "<html" in served["data_docs"].lower()
    assert served["data_docs_escape"] == 404, "nothing outside the Data Docs site is served"
    assert served["bad_token"] == 403
    assert served["board_status"] == 200
    assert served["page_status"] == 200, "the UI's cookie is accepted"
    board = served["board"]
    ledger = _ledger(published, 2026)
    got = {o["office_code"]: o["rows_accepted"] for o in board["offices"] if o["submitted"]}
    assert got == {code: v["accepted"] for code, v in ledger.items()}
    plugin = served["plugin"]
    assert any(v["href"] == "/sentra/board" for v in plugin["external_views"])
    assert any(a["url_prefix"] == "/sentra" for a in plugin["fastapi_apps"])


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    BROWSER is None,
    reason="headless Chromium is not installed (make test installs Debian's chromium)",
)
def test_the_page_renders_in_chromium_with_the_ledgers_numbers(served, published, tmp_path):
    page = tmp_path / "board.html"
    page.write_text(served["page"], encoding="utf-8")
    shot = tmp_path / "board.png"
    common = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"]
    subprocess.run(
        [*common, f"--screenshot={shot}", page.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 20_000, "a rendered table, not a blank page"
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    ledger = _ledger(published, 2026)
    for code, figures in ledger.items():
        row = re.search(rf'<tr data-office="{re.escape(code)}">(.*?)</tr>', dom, re.S)
        assert row, code
        cells = dict(re.findall(r'<td class="(accepted|rejected)">(\d+)</td>', row.group(1)))
        assert int(cells["accepted"]) == figures["accepted"], code
        assert int(cells["rejected"]) == figures["rejected"], code
    total = sum(v["accepted"] for v in ledger.values())
    assert re.search(rf'id="rows-accepted">{total}<', dom)
