"""Census-year resolution, run bounds and failure alerts shared by every DAG."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from types import SimpleNamespace

import pytest

from sentra.census_year import census_day, census_year_of_run, census_years_of_run
from sentra.config import Settings

JAKARTA_NEW_YEAR_UTC = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 Jan in Jakarta


@dataclass
class Event:
    extra: dict = field(default_factory=dict)


def test_param_wins_over_the_logical_date():
    assert census_year_of_run({"census_year": 2025}, datetime(2026, 5, 1, tzinfo=UTC)) == 2025
    assert census_year_of_run({"census_year": "2024"}, None) == 2024


def test_scheduled_run_uses_its_logical_date_not_the_clock():
    # A 31 December run, cleared and re-run on 2 January: the logical date is unchanged,
    # so it still ingests 2026 (the wall clock would have said 2027).
    dec31 = datetime(2026, 12, 31, 1, 0, tzinfo=UTC)
    assert census_year_of_run({}, dec31) == 2026
    assert census_year_of_run({"census_year": None}, dec31) == 2026
    assert census_years_of_run({}, [], dec31) == [2026]


def test_new_year_is_jakarta_new_year():
    """17:30 UTC on 31 December is 00:30 on 1 January in Jakarta: the new year's run."""
    assert census_day(JAKARTA_NEW_YEAR_UTC) == date(2027, 1, 1)
    assert census_year_of_run({}, JAKARTA_NEW_YEAR_UTC) == 2027
    just_before = JAKARTA_NEW_YEAR_UTC - timedelta(hours=1)  # 23:30 on 31 Dec in Jakarta
    assert census_year_of_run({}, just_before) == 2026
    assert census_day(datetime(2026, 12, 31, 17, 30)) == date(2027, 1, 1), "naive = UTC"


def test_absurd_year_is_refused():
    with pytest.raises(ValueError, match="outside"):
        census_year_of_run({"census_year": 26}, None)
    with pytest.raises(ValueError, match="outside"):
        census_years_of_run({}, [Event({"census_year": 26})], None)


def test_a_run_needs_a_param_or_a_logical_date():
    with pytest.raises(ValueError, match="logical date"):
        census_year_of_run({}, None)


def test_queued_asset_events_for_several_years_each_run_once():
    events = [
        Event({"census_year": 2026}),
        Event({"census_year": 2025}),
        Event({"census_year": 2026, "census_years": [2024, 2026]}),
    ]
    assert census_years_of_run({}, events, JAKARTA_NEW_YEAR_UTC) == [2024, 2025, 2026]


def test_manual_param_overrides_events():
    events = [Event({"census_year": 2026})]
    assert census_years_of_run({"census_year": 2024}, events, None) == [2024]


def test_events_without_year_fall_back_to_the_run_s_date():
    assert census_years_of_run({}, [Event()], JAKARTA_NEW_YEAR_UTC) == [2027]


def test_the_run_moment_is_the_logical_date_else_run_after():
    from sentra.orchestration import run_moment

    queued = datetime(2026, 6, 1, tzinfo=UTC)
    run = SimpleNamespace(run_after=queued)
    assert run_moment({"logical_date": None, "dag_run": run}) == queued
    assert run_moment({"logical_date": JAKARTA_NEW_YEAR_UTC, "dag_run": run}) == (
        JAKARTA_NEW_YEAR_UTC
    )


def test_every_dag_is_bounded_and_alerts(monkeypatch):
    from sentra.orchestration import dag_settings, notify_failure

    monkeypatch.setenv("SENTRA_TASK_TIMEOUT_MINUTES", "45")
    monkeypatch.setenv("SENTRA_DAGRUN_TIMEOUT_HOURS", "6")
    monkeypatch.setenv("SENTRA_REVIEW_EXPIRY_DAYS", "3")
    batch = dag_settings()
    assert batch["default_args"]["execution_timeout"] == timedelta(minutes=45)
    assert batch["dagrun_timeout"] == timedelta(hours=6)
    assert batch["default_args"]["on_failure_callback"] is notify_failure
    assert dag_settings("review")["dagrun_timeout"] == timedelta(days=3, hours=6)


def test_a_failed_task_mails_the_data_engineers(tmp_path, monkeypatch):
    from sentra.orchestration import notify_failure

    monkeypatch.setenv("SENTRA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SENTRA_ALERT_EMAILS", "de1@example.go.id, de2@example.go.id")
    ti = SimpleNamespace(
        dag_id="census_ingest",
        task_id="process_submission",
        map_index=3,
        run_id="scheduled__2026-12-31",
        try_number=3,
        log_url="http://airflow.local/dags/census_ingest/runs/x/tasks/process_submission?map_index=3",
    )
    context = {
        "ti": ti,
        "dag_run": SimpleNamespace(dag_id="census_ingest", run_after=None),
        "logical_date": datetime(2026, 12, 31, 1, 0, tzinfo=UTC),
        "params": {"census_year": None},
        "exception": OSError("staging bucket unreachable"),
    }
    notify_failure(context)
    [path] = (tmp_path / "outbox").glob("*.eml")
    msg = message_from_bytes(path.read_bytes())
    assert msg["To"] == "de1@example.go.id, de2@example.go.id"
    assert msg["Subject"] == "[SENTRA] census_ingest.process_submission[3] failed (census 2026)"
    body = msg.get_payload(decode=True).decode()
    assert ti.log_url in body
    assert "OSError: staging bucket unreachable" in body
    assert "scheduled__2026-12-31" in body


def test_an_alert_that_cannot_be_sent_does_not_fail_the_callback(tmp_path, monkeypatch, caplog):
    from sentra.orchestration import notify_failure

    monkeypatch.setenv("SENTRA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SENTRA_MAIL_MODE", "pigeon")  # no such transport
    notify_failure({"ti": SimpleNamespace(dag_id="d", task_id="t"), "params": {}})
    assert "failure alert could not be sent" in caplog.text


def test_alerts_go_to_the_central_office_when_no_engineer_is_named():
    from sentra.tasks.alerts import alert_recipients

    assert alert_recipients(Settings()) == [Settings().central_office_email]
    assert alert_recipients(Settings(alert_emails="a@x.id,,b@x.id ")) == ["a@x.id", "b@x.id"]
