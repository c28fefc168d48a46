"""The yardstick: an independent generator's national files run through the product.

``sentra.synth`` shares the project's own assumptions; the generator in
``../shared/yardstick`` (see its README) does not. This stage runs its two census years
through the same path consolidation takes, without Airflow:

    read_submission -> validate -> match_year (dedup + link to the register) per year,

the 2025 clusters registered first, so that 2026 is linked against them. Every source
row gets a predicted sentra id (a rejected row is its own singleton, as a user would
see it) and the yardstick's own scorer (``eval_pairs.py``) scores pair P/R/F1, B-cubed
and cross-year link accuracy. Beside it, in the same run: the yardstick's naive
baselines and Splink on the same accepted records (both years at once, so that its
clusters link the years).

The yardstick folder is found from ``SENTRA_YARDSTICK`` or next to the repository
(``../shared/yardstick``); the generated set is cached under the run's work folder.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
YEARS = (2025, 2026)
# Sizes: records generated (20k quick, 200k full) and the generator's seed for each.
SETS = {"tiny": (2_000, 11), "quick": (20_000, 11), "full": (200_000, 7)}
BASELINES = ("exact", "norm", "fields")
METRIC_KEYS = ("pair_precision", "pair_recall", "pair_f1", "bcubed_f1", "link_accuracy")


def yardstick_dir() -> Path:
    """The yardstick folder: ``SENTRA_YARDSTICK`` or ``shared/yardstick`` beside the repo."""
    env = os.environ.get("SENTRA_YARDSTICK")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "yardstick" for p in REPO_ROOT.parents]
    for path in candidates:
        if (path / "make_scale.py").is_file() and (path / "eval_pairs.py").is_file():
            return path
    raise FileNotFoundError(
        "yardstick not found: set SENTRA_YARDSTICK to the folder holding make_scale.py "
        f"(looked in {', '.join(str(c) for c in candidates)})"
    )


def generate(records: int, seed: int, out: Path) -> Path:
    """Generate the yardstick set into ``out`` unless it is there already."""
    if (out / "truth.csv").is_file():
        return out
    subprocess.run(
        [
            sys.executable,
            str(yardstick_dir() / "make_scale.py"),
            "--records",
            str(records),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


def read_year(
    folder: Path, year: int, *, pass_statuses: frozenset[str] = frozenset()
) -> pd.DataFrame:
    """Every row of one year's files, each read as its kab/kota's submission.

    Validation runs once per province over its kab/kota's rows, as the province office
    may submit for them (Great Expectations costs about a second per call whatever
    the rows: 1,028 calls would take the stage half an hour). Duplicates never cross
    a kab/kota file and every row carries its kab/kota code, so a row's verdict is the
    one its own file would get.

    ``pass_statuses``: reason codes that, when they are a row's only reasons, do not
    keep it from matching (to measure matching apart from a validation gap being fixed
    elsewhere, e.g. ``unknown_status`` for ``Kurang Aktif``).
    """
    from sentra.config import get_settings
    from sentra.ingest import read_submission
    from sentra.quality import validate

    settings = get_settings()
    by_province: dict[str, list[pd.DataFrame]] = {}
    for i, path in enumerate(sorted((folder / str(year)).glob("*/*.csv"))):
        office = path.parent.name
        submission = f"{year}-{office}"
        parsed = read_submission(
            path.read_bytes(),
            file_name=path.name,
            office_code=office,
            census_year=year,
            submission_id=submission,
            settings=settings,
        )
        if parsed.file_error is not None:
            raise RuntimeError(f"{path}: file rejected: {parsed.file_error}")
        rows = parsed.rows.copy()
        rows["file"] = path.name
        rows["record_key"] = f"{submission}#" + rows["source_row"].astype(str)
        rows["received_at"] = pd.Timestamp(f"{year}-03-01", tz="UTC") + pd.Timedelta(minutes=i)
        by_province.setdefault(office[:2], []).append(rows)
    frames = []
    for province, parts in sorted(by_province.items()):
        rows = pd.concat(parts, ignore_index=True)
        checked = validate(rows, office_code=province, census_year=year, settings=settings)
        rows = checked.rows
        if len(rows) != sum(len(p) for p in parts):
            raise RuntimeError(f"province {province}: validation did not return every row")
        if pass_statuses:
            only_passed = [bool(c) and set(c) <= pass_statuses for c in rows["reason_codes"]]
            rows = rows.assign(accepted=rows["accepted"].astype(bool) | np.array(only_passed))
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def product_predictions(years: dict[int, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(year, file, row, predicted_cluster_id) for every row, as consolidation links them."""
    from sentra.config import get_settings
    from sentra.matching.copies import copy_rows  # matched as consolidation does
    from sentra.matching.incremental import match_year
    from sentra.matching.link import REGISTER_REQUIRED

    settings = get_settings()
    register = pd.DataFrame({c: pd.Series([], dtype=object) for c in REGISTER_REQUIRED})
    out, stats, next_id = [], {}, 0
    registered: set[str] = set()  # sentra registered by the earlier years
    for year, rows in years.items():
        records = rows[rows["accepted"].astype(bool) | copy_rows(rows)].reset_index(drop=True)
        start = time.perf_counter()
        match = match_year(records, register, settings=settings)
        elapsed = time.perf_counter() - start
        links, new = match.linked.links, match.linked.new_entries
        ids = {k: f"S{next_id + i:08d}" for i, k in enumerate(new["cluster_key"])}
        next_id += len(ids)
        sentra = links["sentra_id"].where(links["sentra_id"].notna(), links["cluster_key"].map(ids))
        cluster_sentra = dict(zip(links["cluster_key"], sentra, strict=True))
        by_record = dict(
            zip(
                match.dedup.clusters["record_key"],
                match.dedup.clusters["cluster_key"].map(cluster_sentra),
                strict=True,
            )
        )
        predicted = rows["record_key"].map(by_record)
        predicted = predicted.where(predicted.notna(), "rejected:" + rows["record_key"])
        out.append(
            pd.DataFrame(
                {
                    "year": year,
                    "file": rows["file"],
                    "row": rows["source_row"],
                    "predicted_cluster_id": predicted,
                }
            )
        )
        entries = new.assign(sentra_id=new["cluster_key"].map(ids))
        register = pd.concat([register, entries], ignore_index=True)
        # Registered before and not linked this year: what the status rules call
        # not_reported (every office of the set submits every year).
        not_reported = len(registered - set(links["sentra_id"].dropna())) if registered else None
        registered |= set(entries["sentra_id"])
        stats[str(year)] = {
            "rows": len(rows),
            "accepted": len(records),
            "match_s": round(elapsed, 3),
            "clusters": int(match.dedup.stats.get("clusters", 0)),
            "uncertain_pairs": int(match.dedup.stats.get("uncertain", 0)),
            "linked": int(links["sentra_id"].notna().sum()),
            "not_reported": not_reported,
        }
    return pd.concat(out, ignore_index=True), stats


def splink_predictions(years: dict[int, pd.DataFrame]) -> tuple[pd.DataFrame, float]:
    """Splink over the same accepted records of both years at once (its clusters link
    the years); rejected rows are singletons, as for the product."""
    from bench.splink_baseline import run_splink
    from sentra.config import get_settings

    rows = pd.concat([r.assign(year=y) for y, r in years.items()], ignore_index=True).reset_index(
        drop=True
    )
    records = rows[rows["accepted"].astype(bool)].reset_index(drop=True)
    start = time.perf_counter()
    clusters = run_splink(records, get_settings())
    elapsed = time.perf_counter() - start
    by_record = dict(zip(clusters["record_key"], clusters["cluster_key"], strict=True))
    predicted = rows["record_key"].map(by_record)
    predicted = predicted.where(predicted.notna(), "rejected:" + rows["record_key"])
    frame = pd.DataFrame(
        {
            "year": rows["year"],
            "file": rows["file"],
            "row": rows["source_row"],
            "predicted_cluster_id": predicted,
        }
    )
    return frame, elapsed


def evaluate(folder: Path, predictions: pd.DataFrame | Path, work: Path, name: str) -> dict:
    """The yardstick's scorer on ``predictions``; its headline figures."""
    path = predictions if isinstance(predictions, Path) else work / f"pred-{name}.csv"
    if not isinstance(predictions, Path):
        predictions.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    report = work / f"report-{name}.json"
    subprocess.run(
        [
            sys.executable,
            str(yardstick_dir() / "eval_pairs.py"),
            str(folder / "truth.csv"),
            str(path),
            "--json",
            str(report),
        ],
        check=True,
        capture_output=True,
    )
    return headline(json.loads(report.read_text()))


def headline(report: dict[str, Any]) -> dict[str, float]:
    """Pair P/R/F1 and B-cubed F1 within the years (pooled by the scorer) and the
    cross-year link accuracy."""
    within = report["within_year_overall"]
    cross = report.get("cross_year") or {}
    return {
        "pair_precision": round(within["pairwise_precision"], 4),
        "pair_recall": round(within["pairwise_recall"], 4),
        "pair_f1": round(within["pairwise_f1"], 4),
        "bcubed_f1": round(within["bcubed_f1"], 4),
        "link_accuracy": round(cross.get("link_accuracy", 0.0), 4),
    }


def truly_dropped(folder: Path) -> dict[str, int]:
    """Per later year, the sentra of the set present the year before and gone in it (the
    generator's population file): what ``not_reported`` should come close to."""
    population = pd.read_csv(folder / "sentra_population.csv.gz", dtype=str)
    out = {}
    for before, year in itertools.pairwise(YEARS):
        gone = (population[f"ada_{before}"] == "1") & (population[f"ada_{year}"] == "0")
        out[str(year)] = int(gone.sum())
    return out


def baseline_predictions(folder: Path, mode: str, work: Path) -> Path:
    out = work / f"pred-naive-{mode}.csv"
    subprocess.run(
        [
            sys.executable,
            str(yardstick_dir() / "baseline_naive.py"),
            str(folder),
            str(out),
            "--mode",
            mode,
        ],
        check=True,
        capture_output=True,
    )
    return out


def run(
    size: str,
    work: Path,
    *,
    folder: Path | None = None,
    splink: bool = True,
    pass_statuses: frozenset[str] = frozenset(),
    read_cache: Path | None = None,
) -> dict[str, Any]:
    """Product, naive baselines and Splink on one yardstick set, scored the same way.

    ``read_cache``: a pickle of the read and validated rows, reused when it exists
    (reading does not depend on matching: handy when only matching changed)."""
    records, seed = SETS[size]
    folder = folder or generate(records, seed, work / f"ys-{size}")
    start = time.perf_counter()
    if read_cache is not None and read_cache.is_file():
        years = pd.read_pickle(read_cache)  # noqa: S301 - written by this script
    else:
        years = {y: read_year(folder, y, pass_statuses=pass_statuses) for y in YEARS}
        if read_cache is not None:
            pd.to_pickle(years, read_cache)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    predicted, stats = product_predictions(years)
    with_bookkeeping_s = time.perf_counter() - start
    # Ours is the matching (match_year per year), as Splink's is run_splink alone: the
    # predictions table the scorer reads is built outside both timings.
    match_s = sum(s["match_s"] for s in stats.values())
    result: dict[str, Any] = {
        "rows": int(sum(len(r) for r in years.values())),
        "ours": {"min_s": match_s, "median_s": match_s},
        "ours_with_bookkeeping_s": round(with_bookkeeping_s, 3),
        "read_validate_s": round(read_s, 2),
        "passed_through": sorted(pass_statuses),
        "years": stats,
        "quality": evaluate(folder, predicted, work, "product"),
        "naive": {
            m: evaluate(folder, baseline_predictions(folder, m, work), work, m) for m in BASELINES
        },
    }
    result["truly_dropped"] = truly_dropped(folder)
    if splink:
        frame, splink_s = splink_predictions(years)
        result["baseline"] = {"min_s": splink_s, "median_s": splink_s}
        result["baseline_name"] = "Splink 5 (DuckDB), same accepted records, both years"
        result["baseline_quality"] = evaluate(folder, frame, work, "splink")
    return result


def table(result: dict[str, Any]) -> str:
    """Plain-text comparison table of one run."""
    rows = [("sentra (product path)", result["quality"])]
    rows += [(f"naive {m}", q) for m, q in result["naive"].items()]
    if "baseline_quality" in result:
        rows.append(("Splink", result["baseline_quality"]))
    head = f"{'':24}" + "".join(f"{k:>16}" for k in METRIC_KEYS)
    lines = [head]
    for label, q in rows:
        lines.append(f"{label:24}" + "".join(f"{q[k]:>16.4f}" for k in METRIC_KEYS))
    for year, dropped in (result.get("truly_dropped") or {}).items():
        flagged = result["years"].get(year, {}).get("not_reported")
        lines.append(f"{year}: not_reported {flagged} against {dropped} truly dropped")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, help="a generated yardstick set")
    parser.add_argument("--size", choices=sorted(SETS), default="quick")
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument(
        "--pass",
        dest="passed",
        default="",
        help="comma-separated reason codes that alone do not keep a row from matching "
        "(to measure matching apart from a validation gap); default: none, every row counts",
    )
    parser.add_argument("--read-cache", type=Path, help="pickle of the read rows (reused)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sentra-yardstick-") as tmp:
        result = run(
            args.size,
            Path(tmp),
            folder=args.folder,
            splink=not args.no_splink,
            pass_statuses=frozenset(c for c in args.passed.split(",") if c),
            read_cache=args.read_cache,
        )
    print(table(result))
    print(json.dumps({k: v for k, v in result.items() if k not in ("naive",)}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
