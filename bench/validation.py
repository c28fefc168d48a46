"""Validation benchmark: sentra's ``validate`` vs GX alone on the same synthetic frame.

``python -m bench.validation --rows 1000000`` builds an ingestion-shaped frame
(about 6 % of rows broken in one way or another), then, each in a fresh process so
peak memory is its own, times:

- ``gx``: GX validating the whole frame with the full suite, result_format COMPLETE
  (what the project would pay for GX alone);
- ``ours``: ``sentra.quality.validate`` end to end (chunks, verdicts, problems,
  metrics, table warnings, duplicates).

Prints one JSON line per run with seconds and peak RSS (MB).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

OFFICE, YEAR = "34", 2026


def synthetic_rows(n: int, seed: int = 1) -> Any:
    """An ingestion-shaped frame of ``n`` rows of one province office, some rows broken."""
    import numpy as np
    import pandas as pd

    from sentra.reference import regions
    from sentra.schema import census_arrow_schema

    rng = np.random.default_rng(seed)
    area = np.array(sorted(r.code for r in regions().kabkota_of(OFFICE)), dtype=object)
    region = area[rng.integers(0, len(area), n)]
    broken = rng.random(n)
    region[broken < 0.01] = "31.71"  # outside the office
    units = rng.integers(5, 60, n).astype("float64")
    units[(broken >= 0.01) & (broken < 0.02)] = -2
    workers = units * rng.uniform(1.0, 4.0, n)
    workers[(broken >= 0.02) & (broken < 0.03)] = 1
    lat = rng.uniform(-8.2, -7.5, n)
    lat[(broken >= 0.03) & (broken < 0.04)] = 12.0
    year = rng.integers(1950, 2026, n).astype("float64")
    year[(broken >= 0.04) & (broken < 0.05)] = 2100
    units[(broken >= 0.05) & (broken < 0.06)] = np.nan
    names = np.array([f"Sentra {i}" for i in range(n)], dtype=object)
    commodities = np.array(["Gerabah", "Batik Tulis", "Anyaman Bambu", "Bakpia", "Tenun"])
    groups = np.array(["gerabah", "kain_batik", "anyaman", "makanan_minuman", "kain_tenun"])
    pick = rng.integers(0, 5, n)
    data: dict[str, Any] = {
        "submission_id": pd.array(np.full(n, "bench", dtype=object), dtype="str"),
        "office_code": pd.array(np.full(n, OFFICE, dtype=object), dtype="str"),
        "source_file": pd.array(np.full(n, "bench.csv", dtype=object), dtype="str"),
        "source_row": np.arange(2, n + 2, dtype=np.int64),
        "census_year": np.full(n, YEAR, dtype=np.int64),
        "region_code": pd.array(region, dtype="str"),
        "province_code": pd.array(np.full(n, OFFICE, dtype=object), dtype="str"),
        "sentra_name": pd.array(names, dtype="str"),
        "commodity": pd.array(commodities[pick].astype(object), dtype="str"),
        "commodity_group": pd.array(groups[pick].astype(object), dtype="str"),
        "units": pd.array(np.where(np.isnan(units), None, units), dtype="Int64"),
        "workers": pd.array(workers.round(), dtype="Int64"),
        "production_value": pd.array(rng.integers(10**7, 10**10, n), dtype="Int64"),
        "investment_value": pd.array(rng.integers(10**6, 10**9, n), dtype="Int64"),
        "address": pd.array((names + ", Desa Contoh").astype(object), dtype="str"),
        "latitude": pd.array(lat, dtype="Float64"),
        "longitude": pd.array(rng.uniform(110.0, 110.8, n), dtype="Float64"),
        "reported_status": pd.array(
            np.where(rng.random(n) < 0.9, "active", "inactive").astype(object), dtype="str"
        ),
        "year_established": pd.array(year, dtype="Int64"),
    }
    columns = {}
    for f in census_arrow_schema():
        columns[f.name] = data.get(f.name, pd.array([None] * n, dtype="str"))
    frame = pd.DataFrame(columns)
    frame["visit_date"] = pd.array([None] * n, dtype=object)
    frame.loc[frame.index[-3:], frame.columns] = frame.iloc[:3].to_numpy()  # 3 duplicates
    frame["source_row"] = np.arange(2, n + 2, dtype=np.int64)
    problems: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for pos in np.flatnonzero(np.isnan(units)).tolist():
        problems[pos] = [{"code": "invalid_number", "column": "units", "value": "banyak"}]
    frame["problems"] = problems
    return frame


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(kind: str, n: int) -> dict[str, Any]:
    from sentra.config import get_settings
    from sentra.quality import gx_frame, load_suite, run_gx, suite_parameters, validate

    settings = get_settings()
    rows = synthetic_rows(n)
    suite = load_suite("census_record")
    params = suite_parameters(OFFICE, YEAR, settings)
    # warm GX (import, context, metric registry) on a small frame so neither side pays it
    run_gx(gx_frame(rows.head(100).reset_index(drop=True), suite.columns), suite, params)
    before = _peak_mb()
    if kind == "gx":
        frame = gx_frame(rows, suite.columns)
        start = time.perf_counter()
        run_gx(frame, suite.gx_full, params)
        seconds = time.perf_counter() - start
        extra: dict[str, Any] = {}
    else:
        start = time.perf_counter()
        result = validate(rows, office_code=OFFICE, census_year=YEAR, settings=settings)
        seconds = time.perf_counter() - start
        extra = {"accepted": result.accepted, "rejected": result.rejected, "held": result.held}
    return {
        "kind": kind,
        "rows": n,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(_peak_mb(), 1),
        "peak_rss_before_mb": round(before, 1),
        **extra,
    }


@click.command()
@click.option("--rows", "sizes", multiple=True, type=int, default=[200_000, 1_000_000])
@click.option("--kind", type=click.Choice(["gx", "ours"]), default=None, help="One run, here.")
def main(sizes: tuple[int, ...], kind: str | None) -> None:
    if kind:
        print(json.dumps(run_one(kind, sizes[0])), flush=True)
        return
    for n in sizes:
        for k in ("gx", "ours"):
            cmd = [sys.executable, "-m", "bench.validation", "--rows", str(n)]
            subprocess.run([*cmd, "--kind", k], check=True, cwd=Path(__file__).resolve().parents[1])


if __name__ == "__main__":
    main()
