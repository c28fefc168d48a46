"""``sentra sql`` limits: time, rows, memory and threads from settings; CSV in a pipe.

The attacks of issue #29: a cross join and ``range(1e12)`` ran until killed, a 4M-row
result took 1.6 GB. Each limit is set before the connection is locked, so a query can
neither run past it nor change it.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from sentra.cli import main
from sentra.config import get_settings
from sentra.warehouse import Warehouse
from sentra.warehouse.query import QueryLimitReached, SqlLimits, limit_settings


def _warehouse(tmp_path, **env: str) -> Warehouse:
    values = {"SENTRA_DATA_DIR": str(tmp_path)}
    values.update({f"SENTRA_SQL_{k.upper()}": v for k, v in env.items()})
    return Warehouse(get_settings(values))


def test_a_runaway_query_is_interrupted_at_the_timeout(tmp_path):
    wh = _warehouse(tmp_path, timeout_seconds="1")
    started = time.monotonic()
    with pytest.raises(QueryLimitReached, match="SENTRA_SQL_TIMEOUT_SECONDS"):
        wh.sql("SELECT count(*) FROM range(1000000000000) a, range(10) b")
    assert time.monotonic() - started < 30, "interrupted, not run to the end"
    with pytest.raises(QueryLimitReached, match="stopped after 1 s"):
        wh.sql("SELECT sum(range) FROM range(1000000000000)")


def test_more_rows_than_the_maximum_is_refused_with_a_clear_message(tmp_path):
    wh = _warehouse(tmp_path, max_rows="1000")
    assert wh.sql("SELECT * FROM range(1000)").num_rows == 1000
    with pytest.raises(QueryLimitReached, match=r"more than 1,000 rows \(SENTRA_SQL_MAX_ROWS\)"):
        wh.sql("SELECT * FROM range(4000000)")


def test_memory_limit_and_threads_are_set_and_cannot_be_changed(tmp_path):
    wh = _warehouse(tmp_path, memory_limit="300MB", threads="1")
    got = wh.sql(
        "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t"
    ).to_pylist()
    assert got == [{"m": "286.1 MiB", "t": 1}]
    with pytest.raises(Exception, match=r"(?i)only SELECT|refused|lock"):
        wh.sql("SET memory_limit = '64GB'")


def test_a_memory_limit_that_is_no_size_is_refused():
    limits = SqlLimits(timeout_seconds=1, max_rows=1, memory_limit="1GB'; ATTACH", threads=1)
    with pytest.raises(ValueError, match="SENTRA_SQL_MEMORY_LIMIT"):
        limit_settings(limits)
    with pytest.raises(ValueError, match="SENTRA_SQL_THREADS"):
        limit_settings(SqlLimits(timeout_seconds=1, max_rows=1, memory_limit="1GB", threads=0))


def test_cli_writes_csv_to_a_pipe_and_names_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTRA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["sql", "SELECT 1 AS a, 'x,y' AS b"])  # not a tty
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["a,b", '1,"x,y"']
    monkeypatch.setenv("SENTRA_SQL_MAX_ROWS", "10")
    result = CliRunner().invoke(main, ["sql", "SELECT * FROM range(11)"])
    assert result.exit_code != 0
    assert "limit reached" in result.output
    assert "SENTRA_SQL_MAX_ROWS" in result.output
