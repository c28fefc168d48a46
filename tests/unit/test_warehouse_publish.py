"""Warehouse: atomic publication, no-op reruns, crash recovery, time travel, sandboxed SQL."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pytest

from sentra.warehouse import QueryRefused, Warehouse
from sentra.warehouse.tables import TABLES, Column, ConformError, TableSpec, conform


def metrics(year: int, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "census_year": [year, year],
            "submission_id": [f"{year}-34.02-a", f"{year}-34.02-a"],
            "office_code": ["34.02", "34.02"],
            "metric": ["rows_total", "rows_rejected"],
            "column": [None, None],
            "value": [value, 1.0],
        }
    )


def submissions(year: int, status: str = "staged") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "submission_id": f"{year}-34.02-a",
                "census_year": year,
                "office_code": "34.02",
                "file_name": "a.xlsx",
                "content_sha256": "0" * 64,
                "received_at": pd.Timestamp("2026-05-01", tz="UTC"),
                "status": status,
                "superseded_by": None,
                "error_code": None,
                "error_message": None,
                "rows_total": 10,
                "rows_accepted": 9,
                "rows_rejected": 1,
                "rows_merged": 0,
            }
        ]
    )


@pytest.fixture
def wh(settings):
    return Warehouse(settings)


def test_publish_then_read_back(wh):
    wh.publish(2026, {"quality_metrics": metrics(2026, 10), "submissions": submissions(2026)})
    out = wh.sql(
        "SELECT sum(value) AS v FROM quality_metrics WHERE census_year = $y", params={"y": 2026}
    )
    assert out.to_pylist() == [{"v": 11.0}]
    assert wh.scan("submissions", census_year=2026).num_rows == 1


def test_no_op_rerun_creates_no_snapshot_and_no_publication(wh):
    wh.publish(2026, {"quality_metrics": metrics(2026, 10)})
    snapshots = len(wh.table("quality_metrics").snapshots())
    again = wh.publish(2026, {"quality_metrics": metrics(2026, 10)})
    assert again.changed is False
    assert len(wh.table("quality_metrics").snapshots()) == snapshots
    assert len(wh.publications()) == 1


def test_years_are_partitions_and_do_not_overwrite_each_other(wh):
    wh.publish(2025, {"quality_metrics": metrics(2025, 5)})
    wh.publish(2026, {"quality_metrics": metrics(2026, 10)})
    wh.publish(2026, {"quality_metrics": metrics(2026, 20)})
    rows = wh.sql("SELECT census_year, sum(value) AS v FROM quality_metrics GROUP BY 1 ORDER BY 1")
    assert rows.to_pylist() == [{"census_year": 2025, "v": 6.0}, {"census_year": 2026, "v": 21.0}]


def test_crash_between_table_commits_leaves_the_previous_publication_visible(wh, monkeypatch):
    wh.publish(2026, {"quality_metrics": metrics(2026, 10), "submissions": submissions(2026)})
    original = Warehouse._commit
    calls = {"n": 0}

    def crash_on_second(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("catalog unreachable (simulated)")
        return original(self, *args)

    monkeypatch.setattr(Warehouse, "_commit", crash_on_second)
    new_tables = {
        "quality_metrics": metrics(2026, 99),
        "submissions": submissions(2026, "needs_review"),
    }
    with pytest.raises(OSError, match="catalog unreachable"):
        wh.publish(2026, new_tables)
    # One table was committed, but readers go through the last publication: no mix.
    assert wh.sql("SELECT sum(value) AS v FROM quality_metrics").to_pylist() == [{"v": 11.0}]
    assert wh.sql("SELECT status FROM submissions").to_pylist() == [{"status": "staged"}]
    monkeypatch.setattr(Warehouse, "_commit", original)
    wh.publish(2026, new_tables)  # the rerun converges
    assert wh.sql("SELECT sum(value) AS v FROM quality_metrics").to_pylist() == [{"v": 100.0}]
    assert wh.sql("SELECT status FROM submissions").to_pylist() == [{"status": "needs_review"}]


def test_time_travel_as_of_a_publication(wh):
    first = wh.publish(2026, {"quality_metrics": metrics(2026, 10)})
    time.sleep(0.01)
    wh.publish(2026, {"quality_metrics": metrics(2026, 50)})
    now = wh.sql("SELECT sum(value) AS v FROM quality_metrics").to_pylist()
    then = wh.sql("SELECT sum(value) AS v FROM quality_metrics", as_of=first.published_at)
    assert now == [{"v": 51.0}]
    assert then.to_pylist() == [{"v": 11.0}]
    assert wh.sql("SELECT count(*) AS n FROM quality_metrics", as_of="2000-01-01").to_pylist() == [
        {"n": 0}
    ]
    listing = wh.snapshots()
    assert (listing["kind"] == "publication").sum() == 2
    assert set(listing["table"]) >= {"quality_metrics"}
    own = wh.snapshots("quality_metrics")
    assert (own["kind"] == "snapshot").sum() >= 2
    assert set(own["table"]) == {"quality_metrics"}


def test_concurrent_publishes_of_two_years_both_land(wh, settings):
    wh.ensure_tables()
    errors: list[BaseException] = []

    def publish(year: int) -> None:
        try:
            Warehouse(settings).publish(year, {"quality_metrics": metrics(year, year)})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(y,)) for y in (2025, 2026)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    years = wh.sql("SELECT DISTINCT census_year AS y FROM quality_metrics ORDER BY 1").to_pylist()
    assert years == [{"y": 2025}, {"y": 2026}]


def test_schema_evolution_adds_an_optional_column_without_rewriting(wh, monkeypatch):
    wh.publish(2025, {"quality_metrics": metrics(2025, 5)})
    files_before = {t.file.file_path for t in wh.table("quality_metrics").scan().plan_files()}
    spec = TABLES["quality_metrics"]
    evolved = replace(
        spec, columns=(*spec.columns, Column("severity", pa.string(), "New column.", "Kolom baru."))
    )
    monkeypatch.setitem(TABLES, "quality_metrics", evolved)
    wh.ensure_tables()
    wh.publish(2026, {"quality_metrics": metrics(2026, 1).assign(severity="row")})
    files_after = {t.file.file_path for t in wh.table("quality_metrics").scan().plan_files()}
    assert files_before <= files_after, "old data files are kept, not rewritten"
    rows = wh.sql("SELECT census_year, severity FROM quality_metrics ORDER BY 1").to_pylist()
    assert {r["severity"] for r in rows if r["census_year"] == 2025} == {None}
    assert {r["severity"] for r in rows if r["census_year"] == 2026} == {"row"}


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO quality_metrics VALUES (1)",
        "DELETE FROM quality_metrics",
        "CREATE TABLE x AS SELECT 1",
        "COPY quality_metrics TO '/tmp/x.csv'",
        "ATTACH '/tmp/x.db'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA database_list",
        "SET enable_external_access = true",
        "SELECT 1; SELECT 2",
    ],
)
def test_sql_refuses_anything_but_one_select(wh, query):
    with pytest.raises(QueryRefused):
        wh.sql(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "SELECT * FROM 'x.csv'",
        "SELECT * FROM glob('/etc/*')",
    ],
)
def test_sql_cannot_read_files(wh, query):
    with pytest.raises(Exception, match=re.compile("Permission|disabled|not exist", re.I)):
        wh.sql(query)


def test_conform_refuses_personal_data_and_names_missing_columns():
    with pytest.raises(ConformError, match="contact_phone"):
        conform("quality_metrics", metrics(2026, 1).assign(contact_phone="0812"))
    with pytest.raises(ConformError, match=r"quality_metrics: missing columns \['value'\]"):
        conform("quality_metrics", metrics(2026, 1).drop(columns=["value"]))
    with pytest.raises(ConformError, match="unknown warehouse table"):
        conform("nope", metrics(2026, 1))


def test_no_table_has_a_personal_data_column():
    for spec in TABLES.values():
        assert isinstance(spec, TableSpec)
        assert not {"contact_name", "contact_phone"} & set(spec.names), spec.name


def _content(wh: Warehouse) -> dict[str, list]:
    """Every table's rows, order-independent, for comparing two warehouses."""
    return {
        name: sorted(map(repr, wh.scan(name).to_pylist()))
        for name in ("quality_metrics", "submissions")
    }


def test_crash_then_rerun_converges_to_the_uninterrupted_result(wh, settings, tmp_path):
    from sentra.config import get_settings

    first = {"quality_metrics": metrics(2026, 10), "submissions": submissions(2026)}
    second = {
        "quality_metrics": metrics(2026, 7),
        "submissions": submissions(2026, "needs_review"),
    }
    reference = Warehouse(get_settings({"SENTRA_DATA_DIR": str(tmp_path / "reference")}))
    reference.publish(2026, first)
    reference.publish(2026, second)

    wh.publish(2026, first)
    original = Warehouse._commit

    def crash_on_second(self, *args):
        if args[0].name()[-1] == "submissions":
            raise OSError("catalog unreachable (simulated)")
        return original(self, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Warehouse, "_commit", crash_on_second)
        with pytest.raises(OSError, match="catalog unreachable"):
            wh.publish(2026, second)
    # quality_metrics holds the new data in Iceberg, but no publication vouches for it.
    assert wh.scan("quality_metrics").column("value").to_pylist() == [10.0, 1.0]
    orphans = list((tmp_path / "data" / "warehouse").rglob("*.parquet"))
    wh.publish(2026, second)
    assert _content(wh) == _content(reference)
    assert len(list((tmp_path / "data" / "warehouse").rglob("*.parquet"))) >= len(orphans)


def test_a_crashed_year_stays_invisible_when_another_year_publishes(wh, monkeypatch):
    wh.publish(2026, {"quality_metrics": metrics(2026, 10), "submissions": submissions(2026)})
    original = Warehouse._commit

    def crash_on_submissions(self, *args):
        if args[0].name()[-1] == "submissions":
            raise OSError("killed (simulated)")
        return original(self, *args)

    monkeypatch.setattr(Warehouse, "_commit", crash_on_submissions)
    with pytest.raises(OSError, match="killed"):
        wh.publish(
            2026,
            {"quality_metrics": metrics(2026, 99), "submissions": submissions(2026, "rejected")},
        )
    monkeypatch.setattr(Warehouse, "_commit", original)
    # 2025 publishes after the crash: its publication must not expose 2026's half-run.
    wh.publish(2025, {"quality_metrics": metrics(2025, 5)})
    rows = wh.sql("SELECT census_year, sum(value) AS v FROM quality_metrics GROUP BY 1 ORDER BY 1")
    assert rows.to_pylist() == [{"census_year": 2025, "v": 6.0}, {"census_year": 2026, "v": 11.0}]


def test_no_op_rerun_of_an_empty_table_writes_nothing(wh):
    empty = metrics(2026, 1).iloc[0:0]
    wh.publish(2026, {"quality_metrics": empty, "submissions": submissions(2026)})
    before = len(wh.snapshots())
    again = wh.publish(2026, {"quality_metrics": empty, "submissions": submissions(2026)})
    assert again.changed is False
    assert len(wh.snapshots()) == before


def test_register_is_replaced_whole_and_read_at_its_publication(wh):
    def register(names: list[str]) -> pa.Table:
        spec = TABLES["sentra"]
        rows = [dict.fromkeys(spec.names) | {"sentra_id": n} for n in names]
        return pa.Table.from_pylist(rows, schema=spec.schema)

    first = wh.publish(2025, {}, register=register(["S340200001", "S340200002"]))
    time.sleep(0.01)
    wh.publish(2026, {}, register=register(["S340200001"]))
    assert wh.scan("sentra").column("sentra_id").to_pylist() == ["S340200001"]
    old = wh.scan("sentra", as_of=first.published_at).column("sentra_id").to_pylist()
    assert sorted(old) == ["S340200001", "S340200002"]


def test_publish_refuses_rows_of_another_year_and_unknown_tables(wh):
    with pytest.raises(ConformError, match=r"publishing census_year 2026 .* \[2025\]"):
        wh.publish(2026, {"quality_metrics": metrics(2025, 1)})
    with pytest.raises(ConformError, match="unknown tables"):
        wh.publish(2026, {"nope": metrics(2026, 1)})
    with pytest.raises(ConformError, match=r"unexpected columns \['extra'\]"):
        wh.publish(2026, {"quality_metrics": metrics(2026, 1).assign(extra=1)})


def test_conform_names_the_column_row_and_value_that_do_not_fit():
    bad = submissions(2026)
    bad["rows_total"] = ["dua belas"]
    with pytest.raises(ConformError, match=r"column rows_total, row 0: value 'dua belas'"):
        conform("submissions", bad)
    with pytest.raises(ConformError, match="column metric is required but 1 row"):
        conform("quality_metrics", metrics(2026, 1).assign(metric=[None, "x"]))
    rows = pd.DataFrame({c: [None] for c in TABLES["submission_rows"].names})
    rows = rows.assign(census_year=2026, submission_id="s", source_row=3, record_key="s#3")
    with pytest.raises(ConformError, match=r"column verdict, row 0: value 'maybe'"):
        conform("submission_rows", rows.assign(verdict="maybe"))
    ok = conform("submission_rows", rows.assign(verdict="rejected"))
    assert ok.column("reason_codes").to_pylist() == [[]], "no reasons reads as an empty list"


def test_a_big_slice_is_written_as_one_file_per_core_and_reads_back_whole(wh, monkeypatch):
    from sentra import warehouse

    monkeypatch.setattr(warehouse, "PARALLEL_WRITE_ROWS", 100)
    monkeypatch.setattr(warehouse.os, "cpu_count", lambda: 3)
    rows = pd.concat([metrics(2026, float(i)) for i in range(150)], ignore_index=True)
    wh.publish(2026, {"quality_metrics": rows})
    files = wh.table("quality_metrics").inspect.files().column("file_path").to_pylist()
    assert len(files) == 3
    out = wh.sql("SELECT count(*) AS n, sum(value) AS v FROM quality_metrics").to_pylist()
    assert out == [{"n": 300, "v": float(sum(range(150)) + 150)}]


def test_a_failed_parallel_write_leaves_no_orphan_files(wh, settings, monkeypatch):
    import pyarrow.parquet as pq

    from sentra import warehouse

    monkeypatch.setattr(warehouse, "PARALLEL_WRITE_ROWS", 100)
    monkeypatch.setattr(warehouse.os, "cpu_count", lambda: 2)
    real_write = pq.write_table
    calls = {"n": 0}
    lock = threading.Lock()

    def second_fails(table, where, **kwargs):
        with lock:
            calls["n"] += 1
            fail = calls["n"] == 2
        real_write(table, where, **kwargs)  # the file exists when the failure happens
        if fail:
            raise OSError("disk full (simulated)")

    monkeypatch.setattr(pq, "write_table", second_fails)
    rows = pd.concat([metrics(2026, float(i)) for i in range(150)], ignore_index=True)
    with pytest.raises(OSError, match="disk full"):
        wh.publish(2026, {"quality_metrics": rows})
    assert calls["n"] == 2
    assert not list(settings.data_dir.rglob("census_year=2026/*.parquet"))
