"""Validation with Great Expectations 1.x: row-level verdicts with reasons, table warnings.

Suites live as JSON in ``expectations/`` and are loaded by name; each expectation's
``meta.reason_code`` maps its failures to ``sentra.schema.REASONS``, so changing what
is checked is a data change, not a code change. Row verdicts come from GX's
unexpected indexes (``result_format`` COMPLETE): a rejected row lists every
expectation it broke. Problems already found while normalising (an unparseable
number) are kept and not reported twice.

Whether a submission is held for review is decided here, explicitly, from the
rejected share and ``settings.reject_share_threshold`` — not from GX's success flag.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.schema import CENSUS_COLUMNS, Severity, reason

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

ROW_ID = "_sentra_row"  # positional id GX reports unexpected rows by
CHUNK_ROWS = 250_000  # validate large submissions in chunks to bound memory
NUMERIC = (
    "units",
    "workers",
    "production_value",
    "investment_value",
    "latitude",
    "longitude",
    "year_established",
)
DUPLICATE_KEY = [c for c in CENSUS_COLUMNS if c not in ("census_year",)]


@dataclass(frozen=True)
class Metric:
    metric: str
    column: str | None
    value: float


@dataclass
class ValidationResult:
    rows: pd.DataFrame
    metrics: list[Metric]
    rejected_share: float
    held: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)
    suite_name: str = "census_record"
    gx_success: bool = True
    gx_results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return int(self.rows["accepted"].sum())

    @property
    def rejected(self) -> int:
        return len(self.rows) - self.accepted


def expectations_dir() -> Path:
    """``SENTRA_EXPECTATIONS_DIR``, else ``expectations/`` of the checkout or image."""
    configured = os.environ.get("SENTRA_EXPECTATIONS_DIR")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "expectations"
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    for candidate in (Path.cwd() / "expectations", Path("/opt/airflow/expectations")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "cannot find the expectations/ folder with the Great Expectations suites; "
        "set SENTRA_EXPECTATIONS_DIR"
    )


def load_suite_config(name: str) -> dict[str, Any]:
    path = expectations_dir() / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no suite {name!r}: {path} does not exist")
    config = json.loads(path.read_text(encoding="utf-8"))
    for i, exp in enumerate(config.get("expectations", [])):
        code = exp.get("meta", {}).get("reason_code")
        if code:
            reason(code)  # unknown codes fail loudly here, naming the registry
        else:
            raise ValueError(
                f"{path.name}: expectation #{i} ({exp.get('type')}) has no reason_code"
            )
    return config


@cache
def _context() -> Any:
    """One ephemeral GX context per process (building it and importing GX is slow)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition() -> Any:
    source = _context().data_sources.add_pandas("sentra_census")
    return source.add_dataframe_asset("submission_rows").add_batch_definition_whole_dataframe("all")


def load_suite(name: str) -> Any:
    """The named suite as a GX ExpectationSuite (every expectation must build)."""
    import great_expectations as gx

    config = load_suite_config(name)
    suite = gx.ExpectationSuite(name=config["name"], expectations=config["expectations"])
    if len(suite.expectations) != len(config["expectations"]):
        raise ValueError(f"suite {name}: some expectations are invalid (see the GX log above)")
    return suite


def suite_parameters(office_code: str, census_year: int, settings: Settings) -> dict[str, Any]:
    from sentra.reference import regions

    idx = regions()
    return {
        "official_kabkota": sorted(idx.kabkota),
        "office_kabkota": sorted(r.code for r in idx.kabkota_of(office_code)),
        "max_units": settings.max_units,
        "max_production_value": settings.max_production_value,
        "max_investment_value": settings.max_investment_value,
        "min_year_established": settings.min_year_established,
        "census_year": census_year,
        "mean_units_min": settings.mean_units_range[0],
        "mean_units_max": settings.mean_units_range[1],
        "min_filled_share": 1.0 - settings.max_null_share,
    }


def _gx_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The columns GX checks, with plain numpy dtypes (nullable dtypes confuse some metrics)."""
    import pandas as pd

    frame = pd.DataFrame(index=range(len(rows)))
    for col in CENSUS_COLUMNS:
        series = rows[col].reset_index(drop=True)
        if col in NUMERIC:
            frame[col] = pd.to_numeric(series, errors="coerce").astype("float64")
        else:
            frame[col] = series.astype(object).where(series.notna(), None)
    frame[ROW_ID] = range(len(rows))
    return frame


def run_gx(frame: pd.DataFrame, suite: Any, params: dict[str, Any]) -> Any:
    """Plain GX validation of a frame (also what the benchmark calls as its baseline)."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
        expectation_parameters=params,
    )


def validate(
    rows: pd.DataFrame,
    *,
    office_code: str,
    census_year: int,
    settings: Settings | None = None,
    suite: str = "census_record",
) -> ValidationResult:
    """Verdict for every row of one submission, its metrics, and whether it is held."""
    settings = settings or get_settings()
    out = rows.reset_index(drop=True).copy()
    problems: list[list[dict[str, Any]]] = [list(p or []) for p in out["problems"]]
    parse_columns = [{p.get("column") for p in row} for row in problems]
    config = load_suite_config(suite)
    gx_suite = load_suite(suite)
    params = suite_parameters(office_code, census_year, settings)
    warnings: list[dict[str, Any]] = []
    gx_results: list[dict[str, Any]] = []
    success = True
    frame = _gx_frame(out)
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        if chunk.empty:
            break
        result = run_gx(chunk, gx_suite, params)
        success = success and bool(result.success)
        for res in result.results:
            meta = res.expectation_config.meta or {}
            gx_results.append(
                {
                    "expectation": res.expectation_config.type,
                    "success": bool(res.success),
                    "reason_code": meta.get("reason_code"),
                    "column": meta.get("column"),
                    "observed": _jsonable(res.result.get("observed_value")),
                }
            )
            if res.success:
                continue
            level = meta.get("level", "row")
            code = meta["reason_code"]
            column = meta.get("column")
            if level == "table":
                warnings.append(
                    {
                        "code": code,
                        "column": column,
                        "value": _jsonable(
                            res.result.get("observed_value") or res.result.get("unexpected_percent")
                        ),
                    }
                )
                continue
            if level != "row":
                continue  # duplicates are decided below, keeping the first copy
            for item in res.result.get("unexpected_index_list") or []:
                pos = int(item[ROW_ID])
                if column in parse_columns[pos]:
                    continue  # already explained by a normalisation problem
                value = item.get(column) if column else None
                problems[pos].append(
                    {
                        "code": code,
                        "column": column,
                        "value": _jsonable(value),
                        "expectation": res.expectation_config.type,
                    }
                )
    _flag_duplicates(out, problems)
    reasons = []
    for row in problems:
        codes = sorted({p["code"] for p in row if reason(p["code"]).severity == Severity.ROW})
        reasons.append(codes)
    out["problems"] = problems
    out["reason_codes"] = reasons
    out["accepted"] = [not r for r in reasons]
    total = len(out)
    rejected = total - int(out["accepted"].sum())
    share = rejected / total if total else 0.0
    metrics = _metrics(out, reasons, warnings)
    return ValidationResult(
        rows=out,
        metrics=metrics,
        rejected_share=share,
        held=share > settings.reject_share_threshold,
        warnings=warnings,
        suite_name=config["name"],
        gx_success=success,
        gx_results=gx_results,
    )


def _flag_duplicates(out: pd.DataFrame, problems: list[list[dict[str, Any]]]) -> None:
    """Later copies of an exact duplicate row are rejected; the first copy is kept."""
    if out.empty:
        return
    key = out[DUPLICATE_KEY].astype(str)
    dup = key.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_row = key.groupby(list(key.columns), sort=False, dropna=False).ngroup()
    first_source = out["source_row"].groupby(first_row.to_numpy()).transform("first")
    for pos in dup.nonzero()[0]:
        problems[pos].append(
            {
                "code": "duplicate_row",
                "column": None,
                "value": str(int(first_source.iloc[pos])),
                "expectation": "expect_compound_columns_to_be_unique",
            }
        )


def _metrics(out: pd.DataFrame, reasons: list[list[str]], warnings: list[dict]) -> list[Metric]:
    total = len(out)
    rejected = sum(1 for r in reasons if r)
    metrics = [
        Metric("rows_total", None, float(total)),
        Metric("rows_accepted", None, float(total - rejected)),
        Metric("rows_rejected", None, float(rejected)),
        Metric("rejected_share", None, rejected / total if total else 0.0),
    ]
    counts: dict[str, int] = {}
    for row in reasons:
        for code in row:
            counts[code] = counts.get(code, 0) + 1
    metrics += [
        Metric(f"rejected_by_reason:{c}", None, float(n)) for c, n in sorted(counts.items())
    ]
    for col in CENSUS_COLUMNS:
        if col in out and total:
            metrics.append(Metric("null_share", col, float(out[col].isna().mean())))
    units = out["units"].dropna() if "units" in out else []
    if len(units):
        metrics.append(Metric("mean_units", "units", float(units.astype(float).mean())))
    metrics += [Metric(f"warning:{w['code']}", w["column"], 1.0) for w in warnings]
    return metrics


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value if not isinstance(value, str) else value[:200]
    return str(value)[:200]


__all__ = ["Metric", "ValidationResult", "load_suite", "run_gx", "validate"]
