"""``make bench``: each stage timed next to a plain baseline measured in the same run.

Every stage runs in its own subprocess (so its peak RSS is its own), with one warm-up
and several repetitions of both the project's code and the baseline; the table shows
min and median seconds, rows/s, the ratio ours/baseline and peak memory, and
``bench/results.json`` keeps the figures with the machine and the date.

    python -m bench --size quick     # a few minutes
    python -m bench --size full      # 1M rows
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# `python -m bench` resolves the package from the working directory: run stages from here.
REPO_ROOT = Path(__file__).resolve().parents[1]

SIZES = {
    "tiny": {
        "csv": 2_000,
        "xlsx": 1_000,
        "match": 2_000,
        "status": 2_000,
        "offices": 3,
        "reps": 1,
        "yardstick": "tiny",
    },
    "quick": {
        "csv": 100_000,
        "xlsx": 20_000,
        "match": 20_000,
        "status": 100_000,
        "offices": 80,
        "reps": 3,
        "yardstick": "quick",
    },
    "full": {
        "csv": 1_000_000,
        "xlsx": 100_000,
        "match": 1_000_000,
        "status": 1_000_000,
        "offices": 514,
        "reps": 2,
        "yardstick": "full",
    },
}
SEED = 20261124


def _timed(fn: Callable[[], Any], reps: int) -> dict[str, float]:
    """Min and median of ``reps`` runs after a warm-up (reported apart as ``cold_s``),
    and the peak RSS while they ran (inputs already in memory included), where Linux
    lets a process reset its high-water mark."""
    return _timed_together({"fn": fn}, reps)["fn"]


def _timed_together(fns: dict[str, Callable[[], Any]], reps: int) -> dict[str, dict[str, float]]:
    """Min and median of ``reps`` runs of each function after a warm-up round (reported
    apart as ``cold_s``), their runs interleaved (a, b, a, b…), and each one's peak RSS
    (inputs already in memory included) where Linux lets a process reset its
    high-water mark.

    This host's speed drifts by tens of percent within minutes; timing all of one
    function's runs and then the other's lets a drift land on one side of a ratio (the
    100k XLSX read measured 2.26x and 1.35x calamine in two runs ten minutes apart).
    Interleaved, both sides see the same moments. Each run starts after a collection,
    so neither pays for the other's garbage; peak RSS is taken per side.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    out: dict[str, dict[str, float]] = {name: {} for name in fns}
    for rep in range(reps + 1):  # the first round is the warm-up, reported as cold_s
        for name, fn in fns.items():
            gc.collect()
            reset = _reset_peak_rss()
            before = _high_water_mb() if reset else 0.0
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if rep == 0:
                out[name]["cold_s"] = elapsed
                if reset:
                    out[name]["rss_before_mb"] = round(before, 1)
            else:
                times[name].append(elapsed)
            if reset:
                seen = max(_high_water_mb(), before)  # the run started at ``before``
                _PEAKS_SEEN.append(seen)
                out[name]["peak_rss_mb"] = max(out[name].get("peak_rss_mb", 0.0), round(seen, 1))
    for name, runs in times.items():
        out[name].update(min_s=min(runs), median_s=statistics.median(runs))
    return out


# Every high-water mark the stage read, kept across resets. The kernel's RSS counters
# are approximate (cached per CPU), so a later reading may be a little below an earlier
# one: the stage's peak is the largest reading, never below a run's own peak.
_PEAKS_SEEN: list[float] = [0.0]


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM (``clear_refs`` 5, Linux ≥ 4.0); False where unsupported."""
    _PEAKS_SEEN.append(_high_water_mb())
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _high_water_mb() > 0


def _high_water_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    """Peak RSS of this stage's process, or of a child it ran (the round runs Airflow)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(max(own, children) / 1024, *_PEAKS_SEEN, _high_water_mb())


# ------------------------------------------------------------------- stages


def _generated(writer: str, kwargs: dict[str, Any]) -> Any:
    """Run a synthetic-data writer of ``sentra.synth.bulk`` in a child process.

    Generating a million messy rows allocates gigabytes that the allocator keeps after
    they are freed; in the stage's own process they would count as the stage's memory.
    The child writes the files and hands back what the writer returns (the truth).
    """
    import multiprocessing
    import pickle

    out = Path(tempfile.mkdtemp(prefix="sentra-bench-truth-")) / "result.pickle"
    child = multiprocessing.get_context("spawn").Process(
        target=_write_generated, args=(writer, kwargs, str(out))
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"generating benchmark data with {writer} failed ({child.exitcode})")
    result = pickle.loads(out.read_bytes())  # noqa: S301 - written by our own child, just now
    shutil.rmtree(out.parent, ignore_errors=True)
    return result


def _in_child(function: str, kwargs: dict[str, Any]) -> None:
    """Run ``function`` of this module in a spawned child process (see :func:`_generated`)."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_call, args=(function, kwargs))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"benchmark preparation {function} failed ({child.exitcode})")


def _call(function: str, kwargs: dict[str, Any]) -> None:
    globals()[function](**kwargs)


def _write_generated(writer: str, kwargs: dict[str, Any], out: str) -> None:
    import pickle

    from sentra.synth import bulk

    Path(out).write_bytes(pickle.dumps(getattr(bulk, writer)(**kwargs)))


def _stage_read(size: dict, work: Path, fmt: str) -> dict[str, Any]:
    """Read + normalise an office-style file vs the plain reader of the same bytes."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook

    from sentra.config import get_settings
    from sentra.ingest import read_submission
    from sentra.ingest.readers import read_tables

    path = work / f"bulk.{fmt}"
    _generated("write_bulk_file", {"path": path, "n_rows": size[fmt], "fmt": fmt, "seed": SEED})
    data = path.read_bytes()

    def ours() -> None:
        result = read_submission(
            data, file_name=path.name, office_code="34", census_year=2026, submission_id="bench"
        )
        if result.file_error is not None:
            raise RuntimeError(f"benchmark file rejected: {result.file_error}")

    def plain_csv() -> None:
        pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"))

    def csv_to_parquet() -> None:
        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"))
        pq.write_table(table, work / "baseline.parquet")

    def read_only() -> None:  # our reader up to the raw text columns: no normalisation
        read_tables(data, "csv", get_settings())

    def plain_xlsx() -> None:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()

    # The baseline: the plain reader of the same bytes, nothing else.
    baseline, label = (
        (plain_csv, "pyarrow.csv.read_csv")
        if fmt == "csv"
        else (plain_xlsx, "python-calamine to_python")
    )

    runs = {"ours": ours, "baseline": baseline}
    if fmt == "csv":  # more references: reading and keeping the rows as Parquet; our
        runs["read_and_write"] = csv_to_parquet  # reader alone (non-data rows dropped)
        runs["read_only"] = read_only
    return {"rows": size[fmt], **_timed_together(runs, size["reps"]), "baseline_name": label}


def stage_csv(size: dict, work: Path) -> dict[str, Any]:
    return _stage_read(size, work, "csv")


def stage_xlsx(size: dict, work: Path) -> dict[str, Any]:
    return _stage_read(size, work, "xlsx")


def stage_parse(size: dict, work: Path) -> dict[str, Any]:
    """Parse time of the whole DAG folder (after Airflow is imported)."""
    import airflow.sdk  # noqa: F401 - imported first so only the DAG files are timed
    from airflow.dag_processing.dagbag import DagBag

    from sentra.runner import dags_folder

    def ours() -> None:
        bag = DagBag(dag_folder=str(dags_folder()))
        assert not bag.import_errors

    return {"rows": 0, "ours": _timed(ours, max(3, size["reps"]))}


def _validated_bulk(size: dict, work: Path, n: int) -> tuple[Any, Any, Any]:
    """An office-style CSV of ``n`` rows, read and validated, plus its truth rows."""
    from sentra.ingest import read_submission
    from sentra.quality import validate

    path = work / "bulk.csv"
    truth = _generated("write_bulk_file", {"path": path, "n_rows": n, "fmt": "csv", "seed": SEED})
    parsed = read_submission(
        path.read_bytes(),
        file_name=path.name,
        office_code="34",
        census_year=2026,
        submission_id="bench",
    )
    return parsed, truth, validate


def stage_validate(size: dict, work: Path) -> dict[str, Any]:
    """The project's validation vs GX alone running the same suite on the same frame."""
    from sentra.config import get_settings
    from sentra.quality import gx_frame, load_suite, run_gx, suite_parameters

    parsed, truth, validate = _validated_bulk(size, work, size["csv"])
    del truth  # not needed here: it would count as validation's memory
    rows = parsed.rows
    settings = get_settings()
    suite = load_suite("census_record")
    params = suite_parameters("34", 2026, settings)

    def ours() -> None:
        validate(rows, office_code="34", census_year=2026, settings=settings)

    ours_t = _timed(ours, size["reps"])
    # GX's own frame is built after ours ran, so it does not count as ours' memory.
    frame = gx_frame(rows)

    def baseline() -> None:
        run_gx(frame, suite, params)

    return {
        "rows": len(rows),
        "ours": ours_t,
        "baseline": _timed(baseline, size["reps"]),
        "baseline_name": "GX batch.validate, same suite and frame",
    }


def _national_records(size: dict, work: Path, n: int) -> tuple[Any, Any]:
    """Accepted records of ``n`` rows spread over all 514 kab/kota (one CSV per province,
    each read and validated as its office's submission), plus (record_key, entity_id).

    Built in a child process and handed over pickled: reading and validating 34 files
    leaves the allocator holding memory that is not the records' (0.6 GB of records
    came with 1.3 GB of RSS), and matching, like a consolidation task, starts from the
    records alone. The ``match`` and ``late`` stages start from the same records (same
    size, same seed): the first to need them leaves the pickle in the run's shared
    folder (``BENCH_SHARED_DIR``) and the other reads it back, so a full run builds
    the million records once, not twice.
    """
    import pandas as pd

    shared = os.environ.get("BENCH_SHARED_DIR")
    out = Path(shared or work) / f"national-records-{n}-{SEED}.pickle"
    if not out.exists():
        _in_child("_write_national_records", {"work": str(work), "n": n, "out": str(out)})
    records, keys = pd.read_pickle(out)  # noqa: S301 - written by our own child
    if not shared:
        out.unlink()
    return records, keys


def _write_national_records(work: str, n: int, out: str) -> None:
    import pandas as pd

    from sentra.config import get_settings
    from sentra.ingest import read_submission
    from sentra.quality import validate_batch

    settings = get_settings()
    paths, truth = _generated(
        "write_national_files", {"folder": Path(work) / "national", "n_rows": n, "seed": SEED}
    )
    parsed = []
    for path in paths:
        office = path.stem
        rows = read_submission(
            path.read_bytes(),
            file_name=path.name,
            office_code=office,
            census_year=2026,
            submission_id=f"2026-{office}",
        ).rows
        parsed.append((rows, office, 2026))
    # As the ingest DAG validates a batch of files: GX's cost is per run, not per row,
    # so up to ~100k rows' worth of files are checked in one run (each file still gets
    # the result it would get alone).
    checked: list[Any] = []
    batch: list[tuple[Any, str, int]] = []
    batch_rows = 0
    for item in parsed:
        batch.append(item)
        batch_rows += len(item[0])
        if batch_rows >= 100_000:
            checked.extend(validate_batch(batch, settings=settings))
            batch, batch_rows = [], 0
    checked.extend(validate_batch(batch, settings=settings) if batch else [])
    frames = []
    for i, ((_, office, _), result) in enumerate(zip(parsed, checked, strict=True)):
        if isinstance(result, Exception):
            raise result
        rows = result.rows[result.rows["accepted"]].copy()
        rows["record_key"] = f"2026-{office}#" + rows["source_row"].astype(str)
        # Submissions arrive over the round: survivorship prefers the latest.
        rows["received_at"] = pd.Timestamp("2026-03-01", tz="UTC") + pd.Timedelta(hours=i)
        frames.append(rows)
    records = pd.concat(frames, ignore_index=True)
    truth = truth.assign(
        record_key="2026-" + truth["office_code"] + "#" + truth["source_row"].astype(str)
    )
    keys = records[["record_key"]].merge(truth[["record_key", "entity_id"]], on="record_key")
    pd.to_pickle((records, keys), out)


def stage_match(size: dict, work: Path) -> dict[str, Any]:
    """Deduplication of a national round's accepted rows vs Splink on the same records;
    pair F1 against the generator's truth."""
    from bench.splink_baseline import run_splink
    from sentra.config import get_settings
    from sentra.matching import deduplicate, pair_quality

    settings = get_settings()
    records, keys = _national_records(size, work, size["match"])
    found: dict[str, Any] = {}

    def ours() -> None:
        found.pop("ours", None)  # the previous repetition's result is not this one's memory
        # As a year's first consolidation runs it: the evidence weights fitted in the
        # same pass (sentra.matching.evidence).
        found["ours"] = deduplicate(records, settings=settings, fit_evidence=True)

    def baseline() -> None:
        found["splink"] = run_splink(records, settings)

    result: dict[str, Any] = {
        "rows": len(records),
        "ours": _timed(ours, size["reps"]),
        "baseline_name": "Splink 5 (DuckDB), same blocking",
        "note": "rows spread over 514 kab/kota by their number per province",
    }
    stats = found["ours"].stats
    result["phases_s"] = {
        k: stats[k]
        for k in (
            "prepare_s",
            "blocking_s",
            "scoring_s",
            "evidence_s",
            "clustering_s",
            "survivorship_s",
        )
    }
    result["evidence"] = {
        "fitted_pairs": stats["evidence_pairs"],
        "band_settled": stats["evidence_settled"],
        "uncertain": stats["uncertain"],
    }
    result["pairs_scored"] = stats["pairs_scored"]
    ours_q = pair_quality(found["ours"].clusters[["record_key", "cluster_key"]], keys)
    result["quality"] = {
        "pair_f1": round(ours_q.pair_f1, 4),
        "pair_precision": round(ours_q.pair_precision, 4),
        "pair_recall": round(ours_q.pair_recall, 4),
    }
    if len(records) <= 200_000:
        result["baseline"] = _timed(baseline, 1)
        splink_q = pair_quality(found["splink"], keys)
        result["baseline_quality"] = {"pair_f1": round(splink_q.pair_f1, 4)}
    return result


def stage_yardstick(size: dict, work: Path) -> dict[str, Any]:
    """The independent yardstick (20k quick, 200k full) through the product path, scored
    over every source row beside the naive baselines and Splink (``bench/yardstick.py``)."""
    from bench.yardstick import run, table

    result = run(size["yardstick"], work)
    print(table(result), file=sys.stderr)
    return result


def stage_national(size: dict, work: Path) -> dict[str, Any]:
    """The yardstick's 514 office files per year through ``sentra run`` (``bench/national.py``)."""
    from bench.national import run

    return run(size["yardstick"], work)


def stage_national_scheduler(size: dict, work: Path) -> dict[str, Any]:
    """One year of the yardstick's office files through the real scheduler and two Celery
    workers on PostgreSQL and Redis (``bench/national_scheduler.py``)."""
    from bench.national_scheduler import run_round

    return run_round(size["yardstick"], work)


def stage_late(size: dict, work: Path) -> dict[str, Any]:
    """One kab/kota office's late 1,000-row file after a national round is consolidated.

    Ours is what the next consolidation's matching does (``match_year`` with the round's
    match memo and stored links: the late file's kab/kota matched again, every other one
    taken from the memo); the baseline is the inherent minimum, the late file's records
    alone deduplicated and linked against the register. Matching the whole year again,
    what consolidation did before the memo, is timed once beside them.
    """
    import json

    import numpy as np
    import pandas as pd

    from sentra.config import get_settings
    from sentra.matching import deduplicate, link_to_register
    from sentra.matching.incremental import MatchMemo, match_year
    from sentra.matching.link import REGISTER_REQUIRED

    settings = get_settings()
    records, _ = _national_records(size, work, size["match"])
    region = records["region_code"].value_counts().index[0]
    in_region = np.flatnonzero((records["region_code"] == region).to_numpy())
    late_pos = in_region[: min(1000, len(in_region) // 2)]
    is_late = np.zeros(len(records), dtype=bool)
    is_late[late_pos] = True
    records.loc[is_late, "submission_id"] = f"2026-{region}-late"
    records.loc[is_late, "office_code"] = region
    records.loc[is_late, "record_key"] = f"2026-{region}-late#" + records.loc[
        is_late, "source_row"
    ].astype(str)
    early = records[~is_late].reset_index(drop=True)
    # The round as consolidated before the late file: every cluster a new register
    # entry, every record's link stored with its evidence (decoded, as the ledger hands
    # it back), and the match memo read back from its Parquet tables.
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in REGISTER_REQUIRED})
    first = match_year(early, empty, settings=settings)
    new = first.linked.new_entries
    ids = pd.Series([f"S{i:09d}" for i in range(len(new))], index=new["cluster_key"])
    register = new.assign(sentra_id=new["cluster_key"].map(ids))
    links = first.linked.links.assign(sentra_id=first.linked.links["cluster_key"].map(ids))
    stored = first.dedup.clusters.merge(
        links[["cluster_key", "sentra_id", "method", "score", "evidence"]], on="cluster_key"
    )
    stored["evidence"] = [json.loads(e) for e in stored["evidence"]]
    memo = MatchMemo.from_tables(first.memo(ids.to_dict()).to_tables())
    late = records[is_late].reset_index(drop=True)
    del first, links
    found: dict[str, Any] = {}

    def ours() -> None:
        found.pop("ours", None)  # the previous repetition's result is not this one's memory
        found["ours"] = match_year(
            records, register, settings=settings, existing_links=stored, previous=memo
        )

    def alone() -> None:
        dedup = deduplicate(late, settings=settings)
        link_to_register(dedup.survivors, register, settings=settings)

    def whole_year() -> None:
        match_year(records, register, settings=settings, existing_links=stored)

    result = {
        "rows": int(is_late.sum()),
        **_timed_together({"ours": ours, "baseline": alone}, size["reps"]),
        "baseline_name": "the late file's records alone matched against the register",
        "note": f"register of {len(register):,} sentra, {len(records):,} records in the year",
    }
    stats = found["ours"].stats
    result["phases_s"] = {k: v for k, v in stats.items() if k.endswith("_s") and k != "total_s"}
    result["kabkota_rematched"] = stats["units_recomputed"]
    result["records_rematched"] = stats["records_rematched"]
    start = time.perf_counter()
    whole_year()
    result["whole_year_s"] = round(time.perf_counter() - start, 3)
    return result


def stage_publish(size: dict, work: Path) -> dict[str, Any]:
    """Publishing submission rows to Iceberg vs pyarrow.parquet.write_table of the same table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sentra.config import get_settings
    from sentra.warehouse import Warehouse, conform

    parsed, _, validate = _validated_bulk(size, work, size["csv"])
    checked = validate(
        parsed.rows, office_code="34", census_year=2026, settings=get_settings()
    ).rows
    frame = checked.drop(columns=["contact_name", "contact_phone"]).assign(
        record_key="bench#" + checked["source_row"].astype(str),
        verdict=["accepted" if a else "rejected" for a in checked["accepted"]],
        problems=[str(p) for p in checked["problems"]],
        cluster_key=None,
    )
    table = conform("submission_rows", frame)
    state = {"year": 2000}

    def ours() -> None:
        state["year"] += 1  # a new partition each time: a real write, not a no-op
        year = pa.array([state["year"]] * table.num_rows, pa.int32())
        Warehouse(get_settings()).publish(
            state["year"], {"submission_rows": table.set_column(0, "census_year", year)}
        )

    def baseline() -> None:
        pq.write_table(table, work / "plain.parquet")

    result = {
        "rows": table.num_rows,
        **_timed_together({"ours": ours, "baseline": baseline}, size["reps"]),
        "baseline_name": "pyarrow.parquet.write_table",
    }
    # What an analyst waits for: `sentra sql` aggregating one published year's rows.
    warehouse = Warehouse(get_settings())
    query = (
        "SELECT region_code, verdict, count(*) AS n, sum(units) AS units"
        " FROM submission_rows WHERE census_year = $y GROUP BY ALL ORDER BY ALL"
    )

    def aggregate() -> None:
        assert warehouse.sql(query, params={"y": state["year"]}).num_rows > 0

    result["sql_aggregate"] = _timed(aggregate, max(3, size["reps"]))
    return result


def stage_status(size: dict, work: Path) -> dict[str, Any]:
    """Status and SCD2 history of N sentra over five rounds vs the floor any such
    derivation has to pay: sorting the same observations and taking each sentra's last
    one (pandas). No other tool derives these rules, so this ratio is overhead over a
    floor, not over an alternative."""
    import numpy as np
    import pandas as pd

    from sentra.config import get_settings
    from sentra.status import derive

    n, years = size["status"], list(range(2022, 2027))
    rng = np.random.default_rng(SEED)
    kab = np.array([f"34.{i:02d}" for i in range(1, 6)])
    region = kab[rng.integers(0, len(kab), n)]
    ids = np.array([f"S{r.replace('.', '')}{i:06d}" for i, r in enumerate(region)])
    register = pd.DataFrame(
        {"sentra_id": ids, "region_code": region, "province_code": "34", "first_census_year": 2022}
    )
    frames = []
    for year in years:
        seen = rng.random(n) < 0.85  # some sentra go unreported in some rounds
        k = int(seen.sum())
        frames.append(
            pd.DataFrame(
                {
                    "sentra_id": ids[seen],
                    "census_year": year,
                    "region_code": region[seen],
                    "reported_status": np.where(rng.random(k) < 0.05, "inactive", "active"),
                    "units": rng.integers(1, 60, k),
                    "workers": rng.integers(0, 200, k),
                    "production_value": rng.integers(0, 10**9, k),
                    "office_code": region[seen],
                    "submission_id": [f"{year}-sub"] * k,
                    "source_row": np.arange(k) + 2,
                }
            )
        )
    observations = pd.concat(frames, ignore_index=True)
    submitted = {y: set(kab) for y in years}
    settings = get_settings()

    def ours() -> None:
        derive(observations, register, submitted, years[-1], settings)

    def baseline() -> None:
        observations.sort_values(["sentra_id", "census_year"]).groupby("sentra_id").last()

    return {
        "rows": len(observations),
        **_timed_together({"ours": ours, "baseline": baseline}, size["reps"]),
        "baseline_name": "pandas sort + groupby.last of the same observations (a floor)",
        "note": f"{n:,} sentra x {len(years)} rounds",
    }


def stage_reports(size: dict, work: Path) -> dict[str, Any]:
    """Every office's report built and rendered (HTML, text, two charts, XLSX) vs the
    HTML template alone rendered with the same reports (what charts and attachments add)."""
    import numpy as np
    import pandas as pd

    from sentra.config import get_settings
    from sentra.offices import OfficeInfo
    from sentra.reports import model, render

    rng = np.random.default_rng(SEED)
    offices = [
        OfficeInfo(f"34.{i:02d}", f"Dinas Perindustrian Kabupaten {i}", "34", (f"d{i}@x.id",))
        for i in range(1, size["offices"] + 1)
    ]
    per_office, rows, sentra = 40, [], []
    for office in offices:
        for r in range(per_office):
            rejected = rng.random() < 0.1
            rows.append(
                {
                    "census_year": 2026, "submission_id": f"s-{office.office_code}",
                    "office_code": office.office_code, "source_file": "data.xlsx",
                    "source_sheet": "Sheet1", "source_row": r + 5,
                    "record_key": f"s-{office.office_code}#{r + 5}",
                    "verdict": "rejected" if rejected else "accepted",
                    "reason_codes": ["not_integer"] if rejected else [],
                    "problems": "[]", "cluster_key": None, "sentra_name": f"Sentra {r}",
                    "region_code": office.office_code, "units": int(rng.integers(1, 50)),
                }
            )  # fmt: skip
            sentra.append(
                {
                    "sentra_id": f"S{office.office_code.replace('.', '')}{r:05d}",
                    "sentra_name": f"Sentra {r}", "region_code": office.office_code,
                    "province_code": "34", "commodity": "Gerabah", "commodity_group": "gerabah",
                    "status": "active" if rng.random() < 0.9 else "at_risk",
                    "status_reasons": ["status_active"],
                }
            )  # fmt: skip
    submissions = pd.DataFrame(
        {
            "census_year": 2026, "submission_id": [f"s-{o.office_code}" for o in offices],
            "office_code": [o.office_code for o in offices], "file_name": "data.xlsx",
            "received_at": pd.Timestamp("2026-03-01", tz="UTC"), "status": "staged",
            "rows_total": per_office, "rows_accepted": per_office - 4, "rows_rejected": 4,
            "error_code": None, "error_message": None,
        }
    )  # fmt: skip
    data = model.ReportInputs(
        submissions=submissions,
        submission_rows=pd.DataFrame(rows),
        sentra=pd.DataFrame(sentra),
        status_history=pd.DataFrame(
            columns=["sentra_id", "status", "valid_from", "valid_to", "is_current"]
        ),
        last_year_status=pd.DataFrame(columns=["sentra_id", "status"]),
    )
    settings = get_settings()
    version = model.ReportVersion(1, "bench")
    reports = [model.build_office_report(o, 2026, data, version=version) for o in offices]

    def ours() -> None:
        for office in offices:
            report = model.build_office_report(office, 2026, data, version=version)
            render.render_office_email(report, settings)

    def baseline() -> None:
        for report in reports:
            render.render_template(
                "office_report.html.j2",
                r=report, files=render.FILES, details="", version=version, docs={},
                subject="", contact="", charts=[],
            )  # fmt: skip

    return {
        "rows": len(offices),
        **_timed_together({"ours": ours, "baseline": baseline}, size["reps"]),
        "baseline_name": "the HTML template alone, same reports (no charts, XLSX, MIME)",
        "note": f"{len(offices)} offices x {per_office} rows; rows/s = reports/s",
    }


def stage_round(size: dict, work: Path) -> dict[str, Any]:
    """A whole census round through Airflow (sentra demo), then its no-op rerun."""
    cmd = [
        sys.executable.replace("python", "sentra"),
        "demo",
        "--data-dir",
        str(work / "data"),
        "--sentra",
        "600",
        "--years",
        "2026",
        "--seed",
        str(SEED),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENTRA_"))}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    first = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    rerun = time.perf_counter() - start
    return {
        "rows": 0,
        "ours": {"min_s": first, "median_s": first, "cold_s": first},
        "no_op_rerun_s": round(rerun, 2),
        "note": "600 registered sentra, 1 year, all DAGs via dag.test(); rerun = same files",
    }


STAGES: dict[str, Callable[[dict, Path], dict[str, Any]]] = {
    "read_csv": stage_csv,
    "read_xlsx": stage_xlsx,
    "validate": stage_validate,
    "match": stage_match,
    "yardstick": stage_yardstick,
    "national": stage_national,
    "national_scheduler": stage_national_scheduler,
    "late": stage_late,
    "publish": stage_publish,
    "status": stage_status,
    "reports": stage_reports,
    "dag_parse": stage_parse,
    "round": stage_round,
}


# ------------------------------------------------------------------ driver


def run_stage(name: str, size_name: str) -> dict[str, Any]:
    """Run one stage in this process and return its figures (used in the subprocess)."""
    size = SIZES[size_name]
    with tempfile.TemporaryDirectory(prefix=f"sentra-bench-{name}-") as tmp:
        os.environ.setdefault("SENTRA_DATA_DIR", str(Path(tmp) / "data"))
        # A 1M-row office file is ~220 MB: above the production limit on purpose.
        os.environ.setdefault("SENTRA_MAX_FILE_BYTES", str(4 * 1024**3))
        result = STAGES[name](size, Path(tmp))
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    ours, base = result["ours"], result.get("baseline")
    if result.get("rows"):
        result["rows_per_s"] = round(result["rows"] / ours["median_s"])
    if base:
        result["ratio"] = round(ours["median_s"] / base["median_s"], 2)
    return result


def run_all(size_name: str, stages: list[str], out: Path) -> dict[str, Any]:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    results: dict[str, Any] = {}
    # Inputs two stages share (the national records) are built once per run, here.
    shared = Path(tempfile.mkdtemp(prefix="sentra-bench-shared-"))
    env = os.environ | {"BENCH_SHARED_DIR": str(shared)}
    try:
        for name in stages:
            with console.status(f"bench {name} ({size_name})…"):
                proc = subprocess.run(
                    [sys.executable, "-m", "bench", "--stage", name, "--size", size_name],
                    cwd=REPO_ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            if proc.returncode != 0:
                results[name] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
                console.print(f"[red]{name} failed[/]: {proc.stderr[-2000:]}")
                continue
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    table = Table(title=f"sentra bench ({size_name}) — ours vs baseline, same run")
    columns = ("stage", "rows", "ours median s", "ours min s", "baseline median s", "ratio")
    for col in (*columns, "rows/s", "ours peak MB", "stage peak MB", "notes", "baseline"):
        table.add_column(col)
    for name, r in results.items():
        if "error" in r:
            table.add_row(name, *([""] * 8), "error", "")
            continue
        b = r.get("baseline") or {}
        table.add_row(
            name,
            f"{r.get('rows', 0):,}",
            f"{r['ours']['median_s']:.3f}",
            f"{r['ours']['min_s']:.3f}",
            f"{b['median_s']:.3f}" if b else "",
            f"{r['ratio']:.2f}x" if "ratio" in r else "",
            f"{r.get('rows_per_s', 0):,}",
            f"{r['ours']['peak_rss_mb']:.0f}" if "peak_rss_mb" in r["ours"] else "",
            f"{r['peak_rss_mb']:.0f}",
            _notes(r),
            r.get("baseline_name", ""),
        )
    console.print(table)
    report = {
        "size": size_name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "stages": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    console.print(f"written {out}")
    return report


def _notes(r: dict[str, Any]) -> str:
    notes = []
    if "quality" in r:
        notes.append(f"F1 {r['quality']['pair_f1']:.3f}")
    if "baseline_quality" in r:
        notes.append(f"baseline F1 {r['baseline_quality']['pair_f1']:.3f}")
    if "link_accuracy" in r.get("quality", {}):
        q, naive = r["quality"], r.get("naive", {}).get("fields", {})
        notes.append(
            f"P {q['pair_precision']:.3f} R {q['pair_recall']:.3f} B3 {q['bcubed_f1']:.3f}"
            f" link {q['link_accuracy']:.3f}; desa+komoditi F1 {naive.get('pair_f1', 0):.3f}"
        )
    for year, dropped in (r.get("truly_dropped") or {}).items():
        flagged = r.get("years", {}).get(year, {}).get("not_reported")
        notes.append(f"{year} not_reported {flagged} vs {dropped} truly dropped")
    if "sql_aggregate" in r:
        notes.append(f"sentra sql aggregate {r['sql_aggregate']['median_s']:.2f} s")
    if "read_and_write" in r:
        ratio = r["ours"]["median_s"] / r["read_and_write"]["median_s"]
        notes.append(f"{ratio:.2f}x read_csv + write_table")
    if "read_only" in r and r.get("baseline"):
        ratio = r["read_only"]["median_s"] / r["baseline"]["median_s"]
        notes.append(f"reading alone {ratio:.2f}x read_csv")
    if r.get("queued_to_start_mean_s") is not None:
        notes.append(f"queued->start {r['queued_to_start_mean_s']:.1f} s/task")
    if "noop_ingest_s" in r:
        notes.append(f"no-op ingest {r['noop_ingest_s']:.1f} s")
    if "no_op_rerun_s" in r:
        notes.append(f"no-op rerun {r['no_op_rerun_s']:.1f} s")
    if "cold_s" in r["ours"] and not r.get("rows"):
        notes.append(f"cold {r['ours']['cold_s']:.2f} s")
    return ", ".join(notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--stage", help="run one stage in-process and print its JSON")
    parser.add_argument("--only", help="comma-separated stages to run")
    parser.add_argument(
        "--out",
        type=Path,
        help="results file (default bench/results.json for quick, bench/results-SIZE.json else)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        suffix = "" if args.size == "quick" else f"-{args.size}"
        args.out = REPO_ROOT / f"bench/results{suffix}.json"
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.size)))
        return 0
    stages = args.only.split(",") if args.only else list(STAGES)
    report = run_all(args.size, stages, args.out)
    return 1 if any("error" in r for r in report["stages"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
