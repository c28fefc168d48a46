"""The Iceberg SQL catalog on the machine's real PostgreSQL, as in production.

A fresh throw-away database per test module (created and dropped here). Checks that
publish and read work through it, that the catalog has the Java JDBC catalog's layout
(what Trino's ``iceberg.catalog.type=jdbc`` and Spark's ``JdbcCatalog`` read), and that
two processes publishing different census years at once both land.
"""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest
from conftest import POSTGRES_AVAILABLE, throwaway_databases, unique_name

if not POSTGRES_AVAILABLE:
    print("SKIP test_catalog_postgres: nothing listens on 127.0.0.1:5432 (PostgreSQL absent)")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not POSTGRES_AVAILABLE, reason="PostgreSQL absent on 127.0.0.1:5432"),
]


@pytest.fixture(scope="module")
def catalog_url():
    with throwaway_databases(unique_name("sentra_catalog")) as [url]:
        yield url


def _settings(data_dir: str, catalog_url: str):
    from sentra.config import get_settings

    return get_settings({"SENTRA_DATA_DIR": data_dir, "SENTRA_CATALOG_URL": catalog_url})


def metrics(year: int, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "census_year": [year],
            "submission_id": [f"{year}-34.02-a"],
            "office_code": ["34.02"],
            "metric": ["rows_total"],
            "column": [None],
            "value": [value],
        }
    )


def _publish(data_dir: str, catalog_url: str, year: int) -> int:
    from sentra.warehouse import Warehouse

    return (
        Warehouse(_settings(data_dir, catalog_url))
        .publish(year, {"quality_metrics": metrics(year, float(year))})
        .census_year
    )


def test_publish_read_back_and_jdbc_catalog_layout(tmp_path, catalog_url):
    from sqlalchemy import create_engine, inspect, text

    from sentra.warehouse import Warehouse

    settings = _settings(str(tmp_path), catalog_url)
    assert settings.catalog_url == catalog_url
    wh = Warehouse(settings)
    first = wh.publish(2026, {"quality_metrics": metrics(2026, 3.0)})
    assert wh.publish(2026, {"quality_metrics": metrics(2026, 3.0)}).changed is False
    wh.publish(2026, {"quality_metrics": metrics(2026, 4.0)})
    assert wh.sql("SELECT sum(value) AS v FROM quality_metrics").to_pylist() == [{"v": 4.0}]
    then = wh.sql("SELECT sum(value) AS v FROM quality_metrics", as_of=first.published_at)
    assert then.to_pylist() == [{"v": 3.0}]

    engine = create_engine(catalog_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("iceberg_tables")}
        assert {
            "catalog_name",
            "table_namespace",
            "table_name",
            "metadata_location",
            "previous_metadata_location",
        } <= columns
        assert "iceberg_namespace_properties" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT table_name, metadata_location, previous_metadata_location"
                    " FROM iceberg_tables WHERE catalog_name = :c AND table_namespace = :ns"
                ),
                {"c": settings.catalog_name, "ns": settings.namespace},
            ).all()
    finally:
        engine.dispose()
    by_name = {row.table_name: row for row in found}
    assert {"quality_metrics", "sentra_census", "publications"} <= set(by_name)
    # What another engine follows: the current metadata file, with its predecessor.
    current = by_name["quality_metrics"]
    assert current.metadata_location.endswith(".metadata.json")
    assert current.previous_metadata_location is not None
    assert current.metadata_location == wh.table("quality_metrics").metadata_location


def test_two_processes_publish_two_years_at_once(tmp_path, catalog_url):
    from sentra.warehouse import Warehouse

    data_dir = str(tmp_path)
    wh = Warehouse(_settings(data_dir, catalog_url))
    wh.ensure_tables()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        done = pool.starmap(_publish, [(data_dir, catalog_url, y) for y in (2024, 2027)])
    assert sorted(done) == [2024, 2027]
    got = wh.sql(
        "SELECT census_year, sum(value) AS v FROM quality_metrics"
        " WHERE census_year IN (2024, 2027) GROUP BY 1 ORDER BY 1"
    )
    assert got.to_pylist() == [
        {"census_year": 2024, "v": 2024.0},
        {"census_year": 2027, "v": 2027.0},
    ]
