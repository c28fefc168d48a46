"""Fault injection: interrupt a census round at each step, rerun, and converge.

An uninterrupted run of a small synthetic round gives the reference warehouse. Each
fault is injected deterministically (monkeypatching the step), the round is rerun,
and the warehouse must equal the reference, with every source row accounted for and
no email sent twice. Readers never see a partial publication in between.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks
from sentra.tasks import reports as report_tasks
from sentra.tasks.consolidate import ConsolidationBusy
from sentra.warehouse import Warehouse
from sentra.warehouse.tables import TABLES

pytestmark = [pytest.mark.integration, pytest.mark.slow]
YEAR = 2026
VOLATILE = {"received_at", "published_at", "created_at", "linked_at", "evidence"}


class BoomError(RuntimeError):
    """The injected fault."""


def _round(settings, *, steps: tuple[str, ...] = ("ingest", "consolidate", "reports")) -> None:
    if "ingest" in steps:  # as census_ingest maps it: batch by batch
        for batch in ingest_tasks.discover_batches(YEAR, settings):
            ingest_tasks.process_batch(batch, settings)
        ingest_tasks.check_all_processed(YEAR, settings)
    if "consolidate" in steps:
        written = consolidate_tasks.consolidate(YEAR, settings)
        consolidate_tasks.audit(YEAR, written, settings)
        consolidate_tasks.publish(YEAR, written, settings)
    if "reports" in steps:
        report_tasks.send_reports(YEAR, settings)


def _state(settings) -> dict[str, list[tuple]]:
    """Warehouse content without run-specific timestamps, order-independent."""
    wh = Warehouse(settings)
    out = {}
    for name in TABLES:
        table = wh.scan(name)
        cols = [c for c in table.column_names if c not in VOLATILE]
        rows = [tuple(str(r[c]) for c in cols) for r in table.select(cols).to_pylist()]
        out[name] = sorted(rows)
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Generated inputs (landing files, register, offices), and the reference warehouse."""
    base = tmp_path_factory.mktemp("faults")
    data = base / "reference"
    cfg = DemoConfig(data_dir=data, n_sentra=150, seed=9, census_years=(YEAR,), provinces=("34",))
    old = os.environ.get("SENTRA_DATA_DIR")
    os.environ["SENTRA_DATA_DIR"] = str(data)
    try:
        settings = get_settings()
        prepare_inputs(cfg)
        ingest_tasks.prepare(settings)
        load_reference(settings, cfg)
        _round(settings)
        reference = _state(settings)
        emails = len(list(settings.outbox_dir.glob("*.eml")))
    finally:
        os.environ.pop("SENTRA_DATA_DIR", None) if old is None else os.environ.update(
            SENTRA_DATA_DIR=old
        )
    return base, cfg, reference, emails


@pytest.fixture
def fresh(template, tmp_path, monkeypatch):
    """A new data dir with the same inputs, ledger migrated and reference data loaded."""
    _, cfg, reference, emails = template
    data = tmp_path / "data"
    for name in ("landing", "truth"):
        shutil.copytree(cfg.data_dir / name, data / name)
    for name in ("register.csv", "offices.csv", "synth.json"):
        shutil.copy(cfg.data_dir / name, data / name)
    monkeypatch.setenv("SENTRA_DATA_DIR", str(data))
    settings = get_settings()
    ingest_tasks.prepare(settings)
    load_reference(settings, DemoConfig(data_dir=data, **_same(cfg)))
    return settings, reference, emails


def _same(cfg: DemoConfig) -> dict:
    return {
        "n_sentra": cfg.n_sentra,
        "seed": cfg.seed,
        "census_years": cfg.census_years,
        "provinces": cfg.provinces,
    }


def _fail_once(monkeypatch, target: object, name: str, *, after: int = 0) -> Callable:
    """Make ``target.name`` raise on its (after+1)-th call, then behave normally."""
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1:
            raise BoomError(f"injected fault in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return wrapper


def test_crash_after_discovery_then_rerun(fresh):
    settings, reference, _ = fresh
    ingest_tasks.discover(YEAR, settings)  # recorded, nothing processed: the run died here
    _round(settings)
    assert _state(settings) == reference


def test_crash_mid_parse_fails_one_submission_only(fresh, monkeypatch):
    settings, reference, _ = fresh
    from sentra import ingest

    _fail_once(monkeypatch, ingest, "read_submission", after=2)
    ids = ingest_tasks.discover(YEAR, settings)
    outcomes = []
    for sid in ids:
        try:
            outcomes.append(ingest_tasks.process_submission(sid, settings)["status"])
        except BoomError:
            outcomes.append("crashed")
    assert outcomes.count("crashed") == 1, "one broken submission never blocks the others"
    with pytest.raises(RuntimeError, match="not processed"):
        ingest_tasks.check_all_processed(YEAR, settings)
    _round(settings)  # the task retry / rerun picks up exactly what is left
    assert _state(settings) == reference


def test_a_crash_in_one_file_of_a_batch_records_the_others_and_names_it(fresh, monkeypatch):
    settings, reference, _ = fresh
    from sentra import ingest
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    _fail_once(monkeypatch, ingest, "read_submission", after=2)
    ids = ingest_tasks.discover(YEAR, settings)
    assert len(ids) > 3
    with pytest.raises(BoomError) as raised:
        ingest_tasks.process_batch(ids, settings)
    with session_scope(settings) as session:
        by_id = {s.submission_id: s for s in session.query(Submission)}
        left = [sid for sid in ids if by_id[sid].status == "received"]
        failed_name = by_id[ids[2]].file_name
    assert left == [ids[2]], "the batch's other files were recorded"
    note = " ".join(getattr(raised.value, "__notes__", []))
    assert f"1 of {len(ids)} files" in note
    assert ids[2] in note
    assert failed_name in note
    _round(settings)  # the retry processes what is left
    assert _state(settings) == reference


def test_a_validation_fault_in_one_file_of_a_batch_fails_that_file_alone(fresh, monkeypatch):
    """The batch's files are validated together; a fault in one file's checks is its own."""
    settings, reference, _ = fresh
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission
    from sentra.quality import validation

    _fail_once(monkeypatch, validation, "_finish", after=2)
    ids = ingest_tasks.discover(YEAR, settings)
    with pytest.raises(BoomError) as raised:
        ingest_tasks.process_batch(ids, settings)
    with session_scope(settings) as session:
        left = [
            (s.submission_id, s.file_name)
            for s in session.query(Submission)
            if s.submission_id in ids and s.status == "received"
        ]
    assert len(left) == 1, "the batch's other files were recorded"
    note = " ".join(getattr(raised.value, "__notes__", []))
    assert f"1 of {len(ids)} files" in note
    assert left[0][0] in note
    assert left[0][1] in note
    _round(settings)  # the retry processes what is left
    assert _state(settings) == reference


def test_batches_are_bounded_and_spread_over_the_ingest_slots(fresh):
    settings, _, _ = fresh
    ids = ingest_tasks.discover(YEAR, settings)
    batches = ingest_tasks.plan_batches(ids, settings, max_files=5, min_batches=1)
    assert [sid for b in batches for sid in b] == ids, "every file once, in order"
    assert max(len(b) for b in batches) <= 5
    assert len(batches) == -(-len(ids) // 5), "no more batches than the bound needs"
    assert max(map(len, batches)) - min(map(len, batches)) <= 1, "files dealt out evenly"
    spread = ingest_tasks.plan_batches(ids, settings, max_files=1000, min_batches=4)
    assert len(spread) == 4, "a small round still uses every slot"
    tiny = ingest_tasks.plan_batches(ids, settings, max_bytes=1)
    assert [len(b) for b in tiny] == [1] * len(ids), "a file over the byte bound goes alone"
    assert ingest_tasks.plan_batches([], settings) == []


def test_crash_after_validation_before_staging(fresh, monkeypatch):
    settings, reference, _ = fresh
    from sentra import staging

    _fail_once(monkeypatch, staging, "write_staged")
    with pytest.raises(BoomError):
        _round(settings, steps=("ingest",))
    _round(settings)
    assert _state(settings) == reference


def test_crash_mid_status_publishes_nothing_then_converges(fresh, monkeypatch):
    settings, reference, _ = fresh
    from sentra import status

    _round(settings, steps=("ingest",))
    _fail_once(monkeypatch, status, "derive")
    with pytest.raises(BoomError):
        consolidate_tasks.consolidate(YEAR, settings)
    assert Warehouse(settings).latest_publication(YEAR) is None, "nothing half-published"
    _round(settings, steps=("consolidate", "reports"))
    assert _state(settings) == reference


def test_crash_between_table_commits_then_converges(fresh, monkeypatch):
    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    _fail_once(monkeypatch, Warehouse, "_commit", after=3)
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    with pytest.raises(BoomError):
        consolidate_tasks.publish(YEAR, written, settings)
    assert Warehouse(settings).latest_publication(YEAR) is None, "readers see no partial state"
    _round(settings, steps=("consolidate", "reports"))
    assert _state(settings) == reference


def test_crash_mid_report_send_sends_each_report_exactly_once(fresh, monkeypatch):
    settings, reference, emails = fresh
    from sentra.reports.delivery import OutboxTransport

    _round(settings, steps=("ingest", "consolidate"))
    sent_to: list[str] = []
    original = OutboxTransport.send

    def flaky(self, message, recipients):
        if len(sent_to) == 3:
            sent_to.append("crash")
            raise ConnectionResetError("SMTP connection dropped (simulated)")
        sent_to.append(str(message["Message-ID"]))
        return original(self, message, recipients)

    monkeypatch.setattr(OutboxTransport, "send", flaky)
    fast = settings.__class__(**{**settings.__dict__, "smtp_max_attempts": 1})
    with pytest.raises(RuntimeError, match=r"not delivered"):
        report_tasks.send_reports(YEAR, fast)
    monkeypatch.setattr(OutboxTransport, "send", original)
    report_tasks.send_reports(YEAR, settings)
    ids = [m for m in sent_to if m != "crash"]
    outbox = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(outbox) == emails, "every report, once"
    assert len(ids) == len(set(ids))
    assert _state(settings) == reference


def test_ledger_unavailable_is_a_clear_error(tmp_path):
    bad = get_settings(
        {
            "SENTRA_DATA_DIR": str(tmp_path),
            "SENTRA_LEDGER_URL": "postgresql+psycopg2://nobody@127.0.0.1:1/none",
        }
    )
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError, match=r"127\.0\.0\.1"):
        ingest_tasks.discover(YEAR, bad)


def test_disk_full_on_the_warehouse_path_leaves_the_previous_state(fresh, monkeypatch):
    settings, _, _ = fresh
    _round(settings)
    before = _state(settings)
    import pyarrow.parquet as pq

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    # New inputs force a new consolidation that cannot write anything.
    landing = Path(settings.landing_uri) / str(YEAR)
    victim = sorted(p for p in landing.glob("*/*") if p.suffix in {".json", ".csv"})[0]
    victim.write_bytes(victim.read_bytes() + b"\n")
    with pytest.raises(OSError, match="No space left"):
        _round(settings, steps=("ingest", "consolidate"))
    assert _state(settings) == before, "the published census is untouched"


def test_two_consolidations_of_the_same_year_at_once(fresh):
    """A manual trigger during a scheduled run: one wins, the other fails cleanly."""
    import threading

    from sqlalchemy.exc import IntegrityError, OperationalError

    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    errors: list[BaseException] = []

    def consolidate() -> None:
        try:
            written = consolidate_tasks.consolidate(YEAR, settings)
            consolidate_tasks.audit(YEAR, written, settings)
            consolidate_tasks.publish(YEAR, written, settings)
        except (IntegrityError, OperationalError, ConsolidationBusy) as exc:  # the loser
            errors.append(exc)

    threads = [threading.Thread(target=consolidate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) <= 1
    _round(settings, steps=("consolidate", "reports"))  # the retry converges
    assert _state(settings) == reference


def test_a_consolidation_killed_mid_run_blocks_nobody(fresh):
    """A worker killed mid-write leaves a `running` row but no lock: the rerun goes on."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Consolidation

    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    with session_scope(settings) as session:  # what a killed run leaves behind
        dead = repo.start_consolidation(session, YEAR, "inputs-of-a-killed-run").id
    _round(settings, steps=("consolidate", "reports"))
    assert _state(settings) == reference
    with session_scope(settings) as session:
        run = session.get(Consolidation, dead)
        assert (run.status, run.stats) == ("failed", {"abandoned": True})


def test_a_running_consolidation_turns_the_second_away(fresh):
    """While one holds the census year, another stops before touching anything."""
    from sentra.ledger.db import census_year_lock

    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    with census_year_lock(YEAR, settings):  # a consolidation in another process
        with pytest.raises(consolidate_tasks.ConsolidationBusy, match="another consolidation"):
            consolidate_tasks.consolidate(YEAR, settings)
        with census_year_lock(YEAR + 1, settings):  # other years are not held up
            pass
    _round(settings, steps=("consolidate", "reports"))  # Airflow's retry
    assert _state(settings) == reference


def _ledger_writes(settings) -> dict[str, list[tuple]]:
    """What a consolidation hands out in the ledger: register entries, links, contacts."""
    from sqlalchemy import select

    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import SentraContact

    with session_scope(settings) as session:
        return {
            "register": sorted(repo.load_register(session)["sentra_id"]),
            "links": sorted(
                (r.record_key, r.sentra_id) for r in repo.load_links(session, YEAR).itertuples()
            ),
            "contacts": sorted(session.scalars(select(SentraContact.sentra_id)).all()),
        }


def test_a_failed_audit_hands_out_no_sentra_id(fresh):
    """Bad data that slips through to the audit: nothing registered, linked or published.

    The ledger says one submission has a row more than its staged file holds (row
    conservation breaks). The audit refuses, and so does a publish called anyway; the
    register, links and contacts are as before and the warehouse holds nothing. Once
    the ledger is right again, the new sentra get the ids right after the register's
    last: the failed run used none up.
    """
    from sentra.errors import AuditError
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    before = _ledger_writes(settings)
    with session_scope(settings) as session:
        sub = session.get(Submission, repo.current_submissions(session, YEAR)[0].submission_id)
        sub.rows_total += 1
        broken, rows_total = sub.submission_id, sub.rows_total

    written = consolidate_tasks.consolidate(YEAR, settings)
    assert written["new_sentra"] > 0, "the round has new sentra to register"
    with pytest.raises(AuditError, match="submission_rows has"):
        consolidate_tasks.audit(YEAR, written, settings)
    with pytest.raises(AuditError, match="submission_rows has"):
        consolidate_tasks.publish(YEAR, written, settings)
    assert _ledger_writes(settings) == before
    assert Warehouse(settings).scan("sentra").num_rows == 0

    with session_scope(settings) as session:
        session.get(Submission, broken).rows_total = rows_total - 1
    _round(settings, steps=("consolidate", "reports"))
    assert _state(settings) == reference
    after = _ledger_writes(settings)
    new_ids = sorted(set(after["register"]) - set(before["register"]))
    assert len(new_ids) == written["new_sentra"]
    for prefix in {i[:5] for i in new_ids}:
        old = [i for i in before["register"] if i.startswith(prefix)]
        mine = [i for i in new_ids if i.startswith(prefix)]
        first = repo.sentra_seq(max(old)) + 1 if old else 1
        assert [repo.sentra_seq(i) for i in mine] == list(range(first, first + len(mine)))


def test_publish_retried_after_it_committed_changes_nothing(fresh):
    """Airflow may retry publish after its commit (a lost heartbeat): nothing twice."""
    settings, reference, _ = fresh
    _round(settings, steps=("ingest",))
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    first = consolidate_tasks.publish(YEAR, written, settings)
    ledger = _ledger_writes(settings)
    again = consolidate_tasks.publish(YEAR, written, settings)
    assert (again["version"], again["content_hash"]) == (first["version"], first["content_hash"])
    assert again["new_sentra"] == 0
    assert _ledger_writes(settings) == ledger
    report_tasks.send_reports(YEAR, settings)
    assert _state(settings) == reference
