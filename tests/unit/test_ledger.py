"""Ledger on SQLite: migrations, sessions and the repository's invariants."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sentra.ledger import repository as repo
from sentra.ledger.db import (
    check_migrations_match_models,
    current_revision,
    engine_for,
    head_revision,
    migrate,
    session_scope,
)
from sentra.ledger.models import QualityMetric, RecordLink, Submission

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def ledger(settings):
    migrate(settings)
    return settings


def _discover(session, name, sha, *, office="34.02", modified=T0, year=2026):
    return repo.record_discovered(
        session,
        census_year=year,
        office_code=office,
        file_uri=f"/landing/{year}/{office}/{name}",
        file_name=name,
        sha256=sha * 64 if len(sha) == 1 else sha,
        size_bytes=100,
        modified_at=modified,
    )


# ------------------------------------------------------------------ schema


def test_migrations_are_in_sync_with_the_models(settings):
    assert check_migrations_match_models(settings) == []


def test_a_ledger_of_the_first_release_upgrades_and_keeps_its_data(settings):
    """0001 → head on a ledger with a register entry: the entry stays, status_review works."""
    from alembic import command
    from sqlalchemy import text

    from sentra.ledger.db import _alembic_config

    engine = engine_for(settings)
    with engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
        conn.execute(
            text(
                "INSERT INTO sentra_register (sentra_id, region_code, province_code, sentra_name,"
                " first_census_year, last_census_year, created_at, created_by)"
                " VALUES ('S340200001', '34.02', '34', 'Sentra Gerabah', 2025, 2025,"
                " '2025-05-01', 'import')"
            )
        )
    assert current_revision(settings) == "0001_initial"
    migrate(settings)
    assert current_revision(settings) == head_revision() == "i30_office_text"
    with session_scope(settings) as session:
        assert len(repo.load_register(session)) == 1
        repo.record_status_review(session, "S340200001", 2026, "keep_open", decided_by="ani")
        repo.record_status_review(session, "S340200001", 2026, "inactive", decided_by="budi")
    with session_scope(settings) as session:
        reviews = repo.load_status_reviews(session, 2026)
        assert reviews[["decision", "decided_by"]].values.tolist() == [["inactive", "budi"]]
        assert repo.kept_open(session) == {}
        with pytest.raises(ValueError, match="decision must be one of"):
            repo.record_status_review(session, "S340200001", 2026, "maybe", decided_by="x")


def test_migrate_is_idempotent(settings):
    migrate(settings)
    migrate(settings)
    assert current_revision(settings) == head_revision()
    with engine_for(settings).connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert (mode, fks) == ("wal", 1)


def _migrate_in_child(url: str) -> None:
    from sentra.config import Settings
    from sentra.ledger.db import migrate

    migrate(Settings(ledger_url=url).resolved())


def test_concurrent_migrators_on_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_migrate_in_child, args=(url,)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    from sentra.config import Settings

    assert current_revision(Settings(ledger_url=url).resolved()) == head_revision()


def test_session_scope_rolls_back_on_error(ledger):
    def crashing_task():
        with session_scope(ledger) as s:
            _discover(s, "a.csv", "a")
            raise RuntimeError("task crashed")

    with pytest.raises(RuntimeError):
        crashing_task()
    with session_scope(ledger) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


# ------------------------------------------------------------- submissions


def test_same_bytes_twice_is_one_submission(ledger):
    with session_scope(ledger) as s:
        first, created = _discover(s, "a.xlsx", "a")
        again, created_again = _discover(s, "a copy.xlsx", "a")
        other_office, created_other = _discover(s, "a.xlsx", "a", office="34.03")
    assert (created, created_again, created_other) == (True, False, True)
    assert again.submission_id == first.submission_id == "2026-34.02-aaaaaaaaaaaa"
    assert other_office.submission_id == "2026-34.03-aaaaaaaaaaaa"


def test_newest_file_is_current_and_older_ones_are_kept_superseded(ledger):
    with session_scope(ledger) as s:
        old, _ = _discover(s, "data.xlsx", "a", modified=T0)
        new, _ = _discover(s, "data revisi.xlsx", "b", modified=T0 + timedelta(days=2))
        mid, _ = _discover(s, "data v2.xlsx", "c", modified=T0 + timedelta(days=1))
        _discover(s, "other office.csv", "d", office="34.03")
        superseded = repo.apply_supersession(s, 2026, "34.02")
        assert sorted(superseded) == sorted([old.submission_id, mid.submission_id])
        assert repo.apply_supersession(s, 2026, "34.02") == [], "a rerun changes nothing"
        current = repo.current_submissions(s, 2026)
        assert [(c.office_code, c.submission_id) for c in current] == [
            ("34.02", new.submission_id),
            ("34.03", "2026-34.03-dddddddddddd"),
        ]
        assert s.scalar(select(func.count()).select_from(Submission)) == 4, "nothing deleted"
        assert s.get(Submission, old.submission_id).superseded_by == new.submission_id


def test_supersession_ties_break_on_discovery_time_then_name(ledger):
    with session_scope(ledger) as s:
        a, _ = _discover(s, "b.csv", "a", modified=None)
        b, _ = _discover(s, "a.csv", "b", modified=None)
        a.received_at = b.received_at = T0
        repo.apply_supersession(s, 2026, "34.02")
        assert [c.file_name for c in repo.current_submissions(s, 2026)] == ["b.csv"]
        b.received_at = T0 + timedelta(seconds=1)
        assert repo.apply_supersession(s, 2026, "34.02") == [a.submission_id]
        assert [c.file_name for c in repo.current_submissions(s, 2026)] == ["a.csv"]


def test_mark_processed_records_counts_and_keeps_supersession(ledger):
    with session_scope(ledger) as s:
        old, _ = _discover(s, "a.csv", "a", modified=T0)
        _discover(s, "b.csv", "b", modified=T0 + timedelta(hours=1))
        repo.apply_supersession(s, 2026, "34.02")
        repo.mark_processed(
            s, old.submission_id, status="staged", rows_total=10, rows_accepted=8, rows_rejected=2
        )
        assert (old.status, old.rows_total, old.rows_rejected) == ("superseded", 10, 2)
        with pytest.raises(LookupError, match=r"2026-34\.02-nope"):
            repo.mark_processed(
                s,
                "2026-34.02-nope",
                status="staged",
                rows_total=0,
                rows_accepted=0,
                rows_rejected=0,
            )


def test_quality_metrics_are_replaced_not_appended(ledger):
    metrics = [("reject_share", None, 0.2), ("null_share", "units", 0.1)]
    for _ in range(2):
        with session_scope(ledger) as s:
            repo.replace_quality_metrics(s, 2026, "2026-34.02-a", metrics)
            repo.replace_quality_metrics(s, 2026, None, [("offices_submitted", None, 3)])
    with session_scope(ledger) as s:
        assert s.scalar(select(func.count()).select_from(QualityMetric)) == 3
        frame = repo.load_quality_metrics(s, 2026)
    assert sorted(frame["metric"]) == ["null_share", "offices_submitted", "reject_share"]


# ---------------------------------------------------------------- register

REGISTER = pd.DataFrame(
    {
        "sentra_id": ["S340200001", "S340200007", "S347100003"],
        "region_code": ["3402", "34.02", "34-71"],
        "sentra_name": ["Gerabah Kasongan", "Batik Giriloyo", "Perak Kotagede"],
        "commodity": ["gerabah", "kain batik", "kerajinan perak"],
        "units": ["12", None, "40"],
    }
)


def test_register_import_is_idempotent_and_keeps_created_at(ledger):
    with session_scope(ledger) as s:
        assert repo.import_register(s, REGISTER) == 3
        created = repo.load_register(s).set_index("sentra_id")["created_at"]
    changed = REGISTER.assign(sentra_name=["Gerabah Kasongan Baru", *REGISTER["sentra_name"][1:]])
    with session_scope(ledger) as s:
        repo.import_register(s, changed)
        reg = repo.load_register(s).set_index("sentra_id")
    assert len(reg) == 3
    assert reg.loc["S340200001", "sentra_name"] == "Gerabah Kasongan Baru"
    assert list(reg["region_code"]) == ["34.02", "34.02", "34.71"]
    assert reg.loc["S340200007", "commodity_group"] == "kain_batik"
    assert (reg["created_at"] == created).all()


def test_register_import_names_every_bad_cell_and_loads_nothing(ledger):
    bad = pd.DataFrame(
        {
            "sentra_id": ["S340200001", "S34", "S340200001"],
            "region_code": ["34.02", "99.99", "34.02"],
            "sentra_name": ["A", "B", " "],
            "units": ["5", "lima", "7"],
        }
    )
    with pytest.raises(repo.RegisterImportError) as err, session_scope(ledger) as s:
        repo.import_register(s, bad, source="register.csv")
    message = str(err.value)
    assert "register.csv, line 3, column 'sentra_id', value 'S34'" in message
    assert "line 4, column 'sentra_id', value 'S340200001': appears more than once" in message
    assert "line 3, column 'region_code', value '99.99'" in message
    assert "line 4, column 'sentra_name'" in message
    assert "line 3, column 'units', value 'lima': not a number" in message
    with session_scope(ledger) as s:
        assert repo.load_register(s).empty


def test_ids_continue_after_the_highest_and_are_never_reused(ledger):
    with session_scope(ledger) as s:
        repo.import_register(s, REGISTER)
        ids = repo.allocate_sentra_ids(s, "34.02", 3)
        assert ids == ["S340200008", "S340200009", "S340200010"]
        assert repo.allocate_sentra_ids(s, "3471", 1) == ["S347100004"]
        assert repo.allocate_sentra_ids(s, "34.03", 2) == ["S340300001", "S340300002"]
        assert repo.allocate_sentra_ids(s, "34.02", 0) == []
        with pytest.raises(ValueError, match="kab/kota"):
            repo.allocate_sentra_ids(s, "34", 1)
        repo.add_register_entries(
            s, pd.DataFrame({"sentra_id": ids, "region_code": "34.02", "sentra_name": "x"})
        )
        assert repo.allocate_sentra_ids(s, "34.02", 1) == ["S340200011"]


def test_an_existing_id_is_never_overwritten_by_a_new_entry(ledger):
    with session_scope(ledger) as s:
        repo.import_register(s, REGISTER)
    with pytest.raises(IntegrityError), session_scope(ledger) as s:
        repo.add_register_entries(
            s,
            pd.DataFrame({"sentra_id": ["S340200001"], "region_code": "34.02", "sentra_name": "x"}),
        )
    with session_scope(ledger) as s:
        assert repo.load_register(s).set_index("sentra_id").loc["S340200001", "sentra_name"] == (
            "Gerabah Kasongan"
        )


def _allocate_many(url: str, rounds: int) -> None:
    from sentra.config import Settings
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    settings = Settings(ledger_url=url).resolved()
    for _ in range(rounds):
        with session_scope(settings) as s:
            ids = repo.allocate_sentra_ids(s, "34.02", 2)
            frame = pd.DataFrame({"sentra_id": ids, "region_code": "34.02", "sentra_name": "x"})
            repo.add_register_entries(s, frame)


def test_concurrent_allocation_never_hands_out_the_same_id(ledger):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_allocate_many, args=(ledger.ledger_url, 15)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    with session_scope(ledger) as s:
        ids = sorted(repo.load_register(s)["sentra_id"])
    assert ids == [f"S3402{seq:05d}" for seq in range(1, 91)]


# ------------------------------------------------------------------- links


def _links(n, sentra="S340200001", method="match"):
    return pd.DataFrame(
        {
            "record_key": [f"2026-34.02-a#{i}" for i in range(n)],
            "census_year": 2026,
            "sentra_id": sentra,
            "cluster_key": "2026-34.02-a#0",
            "method": method,
            "score": 0.9,
            "evidence": [{"name": 0.93}] * n,
            "linked_at": T0,
        }
    )


def test_links_are_upserted_by_record_key(ledger):
    with session_scope(ledger) as s:
        repo.import_register(s, REGISTER)
        repo.save_links(s, _links(1200))
        repo.save_links(s, _links(1200, sentra="S340200007", method="decision"))
        assert s.scalar(select(func.count()).select_from(RecordLink)) == 1200
        links = repo.load_links(s, 2026)
    assert set(links["sentra_id"]) == {"S340200007"}
    assert set(links["method"]) == {"decision"}
    assert links["evidence"].iloc[0] == {"name": 0.93}
    with session_scope(ledger) as s:
        assert repo.load_links(s, 2025).empty


# -------------------------------------------------- decisions, offices, runs


def test_the_later_decision_on_a_pair_wins(ledger):
    with session_scope(ledger) as s:
        repo.record_decision(s, "S340200007", "2026-34.02-a#5", "match", decided_by="rina")
        repo.record_decision(s, "2026-34.02-a#5", "S340200007", "non_match", decided_by="budi")
        with pytest.raises(ValueError, match="maybe"):
            repo.record_decision(s, "a", "b", "maybe", decided_by="x")
        decisions = repo.load_decisions(s)
    assert decisions.to_dict("records") == [
        {
            "left_key": "2026-34.02-a#5",
            "right_key": "S340200007",
            "decision": "non_match",
            "decided_by": "budi",
        }
    ]


def test_offices_round_trip_with_email_lists(ledger):
    offices = pd.DataFrame(
        {
            "office_code": ["34.02", "34"],
            "office_name": ["Disperindag Bantul", "Disperindag DIY"],
            "emails": ["ikm@bantulkab.go.id; data@bantulkab.go.id", ["diy@jogjaprov.go.id"]],
        }
    )
    with session_scope(ledger) as s:
        repo.upsert_offices(s, offices)
        repo.upsert_offices(s, offices.iloc[:1].assign(office_name="Dinas Perindustrian Bantul"))
        loaded = repo.load_offices(s).set_index("office_code")
    assert len(loaded) == 2
    assert loaded.loc["34.02", "emails"] == ["ikm@bantulkab.go.id", "data@bantulkab.go.id"]
    assert loaded.loc["34.02", "office_name"] == "Dinas Perindustrian Bantul"
    assert loaded.loc["34", "province_code"] == "34"


def test_consolidation_versions_count_up_per_year(ledger):
    with session_scope(ledger) as s:
        first = repo.start_consolidation(s, 2026, "in1")
        repo.finish_consolidation(
            s, first.id, status="published", content_hash="c1", snapshot_ids={"t": 1}, stats={}
        )
        second = repo.start_consolidation(s, 2026, "in2")
        other_year = repo.start_consolidation(s, 2025, "in3")
        assert (first.version, second.version, other_year.version) == (1, 2, 1)
        assert repo.latest_consolidation(s, 2026).id == second.id
        assert repo.latest_published(s, 2026).content_hash == "c1"
        assert repo.previous_published_hash(s, 2026, second.version) == "c1"
        with pytest.raises(LookupError):
            repo.finish_consolidation(
                s, 999, status="failed", content_hash="", snapshot_ids=None, stats=None
            )


def test_the_column_mapping_used_is_stored_with_the_submission(ledger):
    mapping = {"(Kabupaten Bantul, dari dinas pengirim)": "region_code", "Jml Unit": "units"}
    with session_scope(ledger) as session:
        sub, _ = _discover(session, "sentra.xlsx", "c")
        repo.record_column_mapping(session, sub.submission_id, mapping)
    with session_scope(ledger) as session:
        assert repo.current_submissions(session, 2026)[0].column_mapping == mapping
        with pytest.raises(LookupError):
            repo.record_column_mapping(session, "no-such-id", mapping)


def test_the_daily_prepare_migrates_only_a_ledger_behind_the_code(settings, monkeypatch):
    """Migration is the deploy's job; a task only checks the revision."""
    from sentra.ledger import db

    assert db.ensure_migrated(settings) is True, "a fresh ledger is brought to head"
    assert db.current_revision(settings) == db.head_revision()

    def refuse(_settings=None):
        raise AssertionError("migrated a ledger already at head")

    monkeypatch.setattr(db, "migrate", refuse)
    assert db.ensure_migrated(settings) is False
