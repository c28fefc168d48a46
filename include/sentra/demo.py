"""``make demo``: a synthetic census round, end to end, through Airflow, on the embedded default.

Generates a register and two yearly rounds of messy regional files, loads the register
and the office directory, then for each year runs the real DAGs (census_ingest →
census_consolidate → census_reports) with ``dag.test()`` against a local metadata
database, and prints what happened plus a DuckDB query over the published warehouse.
Running it again changes nothing: same files, same hashes, no new snapshot, no email.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_QUERY = """
SELECT p.province_code AS provinsi,
       c.commodity_group AS kelompok_komoditas,
       count(*) FILTER (WHERE c.status = 'active') AS aktif,
       count(*) FILTER (WHERE c.status = 'at_risk') AS berisiko,
       count(*) AS dilaporkan
FROM sentra_census AS c
JOIN sentra AS p USING (sentra_id)
WHERE c.census_year = $census_year
GROUP BY ALL
ORDER BY provinsi, kelompok_komoditas
"""


@dataclass(frozen=True)
class DemoConfig:
    data_dir: Path
    n_sentra: int = 600
    seed: int = 2026
    census_years: Sequence[int] = (2025, 2026)
    provinces: Sequence[str] = ("33", "34")


def prepare_inputs(cfg: DemoConfig) -> dict[str, Any]:
    """Generate the synthetic register, offices and rounds once (a stamp makes it idempotent)."""
    from sentra import synth

    landing = cfg.data_dir / "landing"
    stamp = cfg.data_dir / "synth.json"
    params = {
        "n_sentra": cfg.n_sentra,
        "seed": cfg.seed,
        "census_years": list(cfg.census_years),
        "provinces": list(cfg.provinces),
    }
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return {"generated": False, **params}
    world = synth.generate_world(
        n_sentra=cfg.n_sentra, seed=cfg.seed, provinces=list(cfg.provinces)
    )
    synth.write_register(world, cfg.data_dir / "register.csv")
    synth.write_offices(world, cfg.data_dir / "offices.csv")
    synth.simulate(world, census_years=list(cfg.census_years), landing_dir=landing, seed=cfg.seed)
    stamp.write_text(json.dumps(params))
    return {"generated": True, **params}


def run_demo(cfg: DemoConfig, console: Any) -> dict[str, Any]:
    """``sentra synth`` + ``sentra run``: generate the census, then run it like real files."""
    from sentra.cli.rounds import load_reference, prepare_environment, run_rounds
    from sentra.config import get_settings
    from sentra.own_files import LandingPlan

    started = time.perf_counter()
    settings = get_settings().model_copy(update={"data_dir": cfg.data_dir}).resolved()
    with console.status("Generating the synthetic census (register, offices, rounds)…"):
        synth_info = prepare_inputs(cfg)
    console.print(
        f"[bold]1. Synthetic census[/]: {cfg.n_sentra} registered sentra in provinces "
        f"{', '.join(cfg.provinces)}, rounds {', '.join(map(str, cfg.census_years))} "
        f"({'generated' if synth_info['generated'] else 'already present'}) in {cfg.data_dir}"
    )
    with console.status("Migrating the Airflow metadata DB and the ledger…"):
        settings = prepare_environment(settings, str(cfg.data_dir / "landing"))
        loaded = load_reference(settings, cfg)
    console.print(
        f"[bold]2. Reference[/]: register {loaded['register']} sentra, "
        f"addresses of {loaded['offices']} offices in the directory"
    )
    plan = LandingPlan(settings.landing_uri, list(cfg.census_years))
    run_rounds(plan, settings, console)
    summary = summarise(settings, cfg.census_years)
    print_summary(summary, console)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    console.print(
        f"\nDone in {summary['seconds']} s. Data in {cfg.data_dir}; rerun to see idempotency."
    )
    return summary


def summarise(settings: Any, census_years: Sequence[int]) -> dict[str, Any]:
    """What the warehouse and the outbox now hold, per census year."""
    from sentra.warehouse import Warehouse

    wh = Warehouse(settings)
    years: dict[int, Any] = {}
    for year in census_years:
        subs = _count_by(wh, "submissions", "status", year)
        verdicts = _count_by(wh, "submission_rows", "verdict", year)
        status = _count_by(wh, "sentra_census", "status", year)
        years[year] = {"submissions": subs, "rows": verdicts, "status": status}
    last = census_years[-1]
    register_status = wh.sql(
        "SELECT status, count(*) AS n FROM sentra GROUP BY ALL ORDER BY 1"
    ).to_pylist()
    query = wh.sql(DEMO_QUERY, params={"census_year": last})
    outbox = sorted(settings.outbox_dir.glob("**/*.eml")) if settings.outbox_dir.exists() else []
    return {
        "years": years,
        "register_status": register_status,
        "query": query,
        "query_year": last,
        "emails": len(outbox),
        "data_dir": str(settings.data_dir),
    }


def _count_by(wh: Any, table: str, column: str, year: int) -> list[dict[str, Any]]:
    """Rows per value of one column for a census year (names come from this module only)."""
    query = (
        f"SELECT {column}, count(*) AS n FROM {table} "  # identifiers: constants of this module
        "WHERE census_year = $y GROUP BY ALL ORDER BY 1"
    )
    return wh.sql(query, params={"y": year}).to_pylist()


def print_summary(summary: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    console.print("\n[bold]Result[/]")
    for year, info in summary["years"].items():
        subs = ", ".join(f"{r['n']} {r['status']}" for r in info["submissions"])
        rows = ", ".join(f"{r['n']} {r['verdict']}" for r in info["rows"])
        status = ", ".join(f"{r['n']} {r['status']}" for r in info["status"])
        console.print(
            f"   {year}: files: {subs}\n         rows: {rows}\n         sentra reported: {status}"
        )
    reg = ", ".join(f"{r['n']} {r['status']}" for r in summary["register_status"])
    console.print(f"   register now: {reg}")
    console.print(f"   reports in the outbox: {summary['emails']} .eml files")
    data = summary.get("data_dir")
    if data:
        console.print(
            f'   warehouse: {data}/warehouse (query it: sentra sql "SELECT …"); '
            f"reports: {data}/outbox; ledger: {data}/ledger.sqlite"
        )
    table = Table(
        title=f"sentra sql: sentra per province and commodity group, {summary['query_year']}"
    )
    query = summary["query"]
    for name in query.column_names:
        table.add_column(name)
    for row in query.to_pylist():
        table.add_row(*[str(v) for v in row.values()])
    console.print(table)
