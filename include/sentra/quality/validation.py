"""Row verdicts, table warnings, metrics and the hold decision for one submission.

GX runs the suite's row-level expectations chunk by chunk (bounded memory) with
``result_format`` COMPLETE and reports unexpected rows by the frame's index, which is
the row's position in the submission; table-level expectations run once on the whole
submission, so a share or a mean is the submission's, not a chunk's. Everything sentra
does around GX is vectorised or proportional to the number of findings, never a Python
loop over clean rows.
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings
from sentra.quality.suites import ExpectationRule, Suite, load_suite, suite_parameters
from sentra.schema import CENSUS_COLUMNS, FIELDS_BY_NAME, Severity

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

log = logging.getLogger(__name__)

CHUNK_ROWS = 250_000  # rows GX validates at once: bounds memory at 1M-row submissions
# Unexpected rows come back as index values (positions): ~15x cheaper than GX's
# per-row dicts of unexpected_index_column_names.
ROW_RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "return_unexpected_index_query": False,
}
TABLE_RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY"}


@dataclass(frozen=True)
class Metric:
    """One quality figure of a submission (stored in the ledger's quality_metric)."""

    metric: str
    column: str | None
    value: float


@dataclass
class ValidationResult:
    """What validation decided about one submission.

    ``rows`` is the input plus ``accepted``, ``reason_codes`` and the extended
    ``problems``; ``held`` is sentra's decision (rejected share over the threshold),
    independent of ``gx_success``; ``gx_result`` is a GX suite result summarised over
    the chunks (no per-row lists), which ``build_data_docs`` renders.
    """

    rows: pd.DataFrame
    metrics: list[Metric]
    rejected_share: float
    held: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)
    suite_name: str = "census_record"
    gx_success: bool = True
    gx_result: Any = None
    office_code: str = ""
    census_year: int = 0
    submission_id: str | None = None

    @property
    def accepted(self) -> int:
        return int(self.rows["accepted"].sum())

    @property
    def rejected(self) -> int:
        return len(self.rows) - self.accepted


class ValidationError(RuntimeError):
    """GX could not evaluate an expectation, so no verdict can be trusted."""


@cache
def _context() -> Any:
    """One ephemeral GX context per process: importing GX and building it is slow."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # In-memory stores and no docs site: GX's default ephemeral context reserves a
    # temporary directory under /tmp for a docs site; Data Docs are built elsewhere
    # (sentra.quality.docs, under the data folder), so validation touches no files.
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition() -> Any:
    source = _context().data_sources.add_pandas("sentra_census")
    asset = source.add_dataframe_asset("submission_rows")
    return asset.add_batch_definition_whole_dataframe("all")


def gx_frame(rows: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The columns GX checks, as plain numpy dtypes, indexed by position in the submission.

    Nullable extension dtypes make some GX metrics misbehave, so numbers become float64
    (NaN for missing) and everything else object (None for missing). The index is kept
    from ``rows`` (positions, when the caller reset it) so chunks report global positions.
    """
    import numpy as np
    import pandas as pd

    cols = list(columns) if columns is not None else list(CENSUS_COLUMNS)
    data = {}
    for col in cols:
        series = rows[col]
        kind = FIELDS_BY_NAME[col].type if col in FIELDS_BY_NAME else None
        if kind is not None and _is_numeric(kind):
            data[col] = pd.to_numeric(series, errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
        else:
            data[col] = series.astype(object).where(series.notna(), None).to_numpy()
    return pd.DataFrame(data, index=rows.index)


def _is_numeric(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type))


def run_gx(
    frame: pd.DataFrame,
    suite: Any,
    params: dict[str, Any],
    result_format: dict[str, Any] | None = None,
) -> Any:
    """GX alone validating ``frame`` (also the benchmark's baseline)."""
    if isinstance(suite, Suite):
        suite = suite.gx_full
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(
        suite, result_format=result_format or ROW_RESULT_FORMAT, expectation_parameters=params
    )


def validate(
    rows: pd.DataFrame,
    *,
    office_code: str,
    census_year: int,
    settings: Settings | None = None,
    suite: str = "census_record",
) -> ValidationResult:
    """Verdict for every row of one submission, its metrics, warnings, and whether it is held.

    Every input row comes back exactly once, accepted or rejected with reason codes.
    """
    settings = settings or get_settings()
    with _gc_paused():
        return _validate(rows, office_code, census_year, settings, suite)


def validate_batch(
    submissions: Sequence[tuple[pd.DataFrame, str, int]],
    *,
    settings: Settings | None = None,
    suite: str = "census_record",
) -> list[ValidationResult | Exception]:
    """:func:`validate` for several submissions ``(rows, office_code, census_year)`` at once.

    GX's cost is per expectation and run, hardly per row (a 20-row file cost as much to
    check as a thousand-row one), so a batch's row-level checks run once over all its
    files' rows; a rule whose parameter differs between the files (the office's own
    kab/kota) runs once per distinct value. GX's results are then cut back per file and
    everything after them (suppression, duplicates, table checks, verdicts) is done per
    file as :func:`validate` does it: each file gets the result it would get alone. A
    file that cannot be validated gets its exception in its slot; when a shared run
    fails, its files are validated one by one, so only the file at fault fails.
    """
    settings = settings or get_settings()
    with _gc_paused():
        return _validate_batch(list(submissions), settings, suite)


def _validate_batch(
    submissions: list[tuple[pd.DataFrame, str, int]], settings: Settings, suite: str
) -> list[ValidationResult | Exception]:
    loaded = load_suite(suite)
    results: dict[int, ValidationResult | Exception] = {}
    ready: list[tuple[int, pd.DataFrame, dict[str, Any]]] = []
    for i, (rows, office_code, census_year) in enumerate(submissions):
        try:
            out, params = _prepare(rows, loaded, office_code, census_year, settings)
        except Exception as exc:  # this file's columns or parameters: this file only
            results[i] = exc
            continue
        ready.append((i, out, params))
    for group in _row_groups(ready):
        checked: list[_Checked] | None = None
        if len(group) > 1:
            try:
                checked = _row_checks_together(loaded, [(out, p) for _, out, p in group])
            except Exception:
                log.warning(
                    "shared row checks of %d submissions failed; checking them one by one",
                    len(group),
                    exc_info=True,
                )
        for k, (i, out, params) in enumerate(group):
            rows, office_code, census_year = submissions[i]
            try:
                if checked is not None:
                    positions, chunk_results, table_done = checked[k]
                else:
                    positions, chunk_results = _row_checks(out, loaded, params)
                    table_done = None
                results[i] = _finish(
                    rows,
                    out,
                    loaded,
                    params,
                    positions,
                    chunk_results,
                    office_code,
                    census_year,
                    settings,
                    table_done=table_done,
                )
            except Exception as exc:
                results[i] = exc
    return [results[i] for i in range(len(submissions))]


def _row_groups(
    ready: list[tuple[int, pd.DataFrame, dict[str, Any]]],
) -> list[list[tuple[int, pd.DataFrame, dict[str, Any]]]]:
    """Submissions checked together, at most ``CHUNK_ROWS`` rows a group (bounded memory).

    An empty submission or one over ``CHUNK_ROWS`` rows is a group of its own, checked
    exactly as :func:`validate` checks it (no run, or its own chunks).
    """
    groups: list[list[tuple[int, pd.DataFrame, dict[str, Any]]]] = []
    current: list[tuple[int, pd.DataFrame, dict[str, Any]]] = []
    size = 0
    for item in ready:
        n = len(item[1])
        if n == 0 or n > CHUNK_ROWS:
            groups.append([item])
            continue
        if current and size + n > CHUNK_ROWS:
            groups.append(current)
            current, size = [], 0
        current.append(item)
        size += n
    if current:
        groups.append(current)
    return groups


# A file's share of shared GX runs: unexpected positions per row rule, its row-level
# result (as one chunk), and the results of the table-level rules already run.
_Checked = tuple[dict[int, list["np.ndarray"]], list[Any], list[Any]]


def _row_checks_together(
    loaded: Suite, files: list[tuple[pd.DataFrame, dict[str, Any]]]
) -> list[_Checked]:
    """:func:`_row_checks` of several submissions from shared GX runs, per submission.

    Table-level rules that are map expectations (a share of non-null values) run in
    the same runs: their unexpected rows are split per file like a row rule's, and
    each file's share is judged on its own rows. Aggregates (a column's mean) cannot
    be split and are left to :func:`_table_checks`, per file.
    """
    import pandas as pd

    row_rules = loaded.rules_of("row")
    table_rules = [r for r in loaded.rules_of("table") if _splittable(r)]
    columns = list(dict.fromkeys([*loaded.columns_of("row"), *_columns(table_rules)]))
    frames = [gx_frame(out, columns) for out, _ in files]
    first = files[0][1]
    varying = {k for k in first if any(p.get(k) != first[k] for _, p in files[1:])}
    # Rules grouped by the varying parameters they read, files by those parameters'
    # values: each (rules, files) pair is one GX run, in which every parameter is equal.
    by_names: dict[tuple[str, ...], list[ExpectationRule]] = {}
    for rule in [*row_rules, *table_rules]:
        names = tuple(sorted(_parameter_names(rule) & varying))
        by_names.setdefault(names, []).append(rule)
    per_file: list[list[Any]] = [[] for _ in files]
    per_file_table: list[list[Any]] = [[] for _ in files]
    positions: list[dict[int, list[np.ndarray]]] = [{r.index: [] for r in row_rules} for _ in files]
    meta: dict[str, Any] = {}
    for names, rules in by_names.items():
        slots_by_value: dict[str, list[int]] = {}
        for slot, (_, p) in enumerate(files):
            slots_by_value.setdefault(repr([p[n] for n in names]), []).append(slot)
        gx_suite = _sub_suite(loaded, tuple(r.index for r in rules))
        for slots in slots_by_value.values():
            params = files[slots[0]][1]
            frame = pd.concat([frames[s] for s in slots], ignore_index=True)
            result = run_gx(frame, gx_suite, params)
            meta = meta or dict(result.meta)
            _split(
                loaded,
                result,
                params,
                [frames[s] for s in slots],
                slots,
                (per_file, per_file_table),
                positions,
            )
            del frame, result
    return [
        (positions[slot], [_FileResult(results=per_file[slot], meta=meta)], per_file_table[slot])
        for slot in range(len(files))
    ]


def _columns(rules: list[ExpectationRule]) -> list[str]:
    return [c for r in rules for k in ("column", "column_A", "column_B") if (c := r.kwargs.get(k))]


def _splittable(rule: ExpectationRule) -> bool:
    """A map expectation on one column or a pair: its result can be cut per file."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    impl = get_expectation_impl(rule.type)
    return issubclass(impl, ColumnMapExpectation | ColumnPairMapExpectation)


@dataclass
class _FileResult:
    """A file's share of shared GX runs: what ``_combined_result`` reads of a chunk's result."""

    results: list[Any]
    meta: dict[str, Any]


def _parameter_names(rule: ExpectationRule) -> set[str]:
    return {
        v["$PARAMETER"] for v in rule.kwargs.values() if isinstance(v, dict) and "$PARAMETER" in v
    }


_SUB_SUITES: dict[tuple[str, tuple[int, ...]], tuple[Suite, Any]] = {}


def _sub_suite(loaded: Suite, indices: tuple[int, ...]) -> Any:
    """The GX suite of some of ``loaded``'s rules (built once per suite version)."""
    import great_expectations as gx

    key = (str(loaded.path), indices)
    cached = _SUB_SUITES.get(key)
    if cached is not None and cached[0] is loaded:
        return cached[1]
    wanted = set(indices)
    configs = [
        e.configuration.to_json_dict()
        for e in loaded.gx_full.expectations
        if int((e.meta or {})["sentra_rule"]) in wanted
    ]
    suite = gx.ExpectationSuite(name=loaded.gx_full.name, expectations=configs)
    _SUB_SUITES[key] = (loaded, suite)
    return suite


def _split(
    loaded: Suite,
    result: Any,
    params: dict[str, Any],
    frames: list[pd.DataFrame],
    slots: list[int],
    into: tuple[list[list[Any]], list[list[Any]]],
    positions: list[dict[int, list[np.ndarray]]],
) -> None:
    """Each file's unexpected positions and GX results (row rules, table rules), cut from
    one run over their rows."""
    import numpy as np

    offsets = np.cumsum([0] + [len(f) for f in frames])
    for res in result.results:
        rule = _rule_of(loaded, res)
        _raise_if_broken(res, rule, loaded)
        idx = _unexpected_positions(res, rule, loaded)
        has_values = res.result.get("unexpected_list") is not None
        owner = np.searchsorted(offsets, idx, side="right") - 1
        for k, slot in enumerate(slots):
            local = idx[owner == k] - offsets[k]
            mine = _unexpected_values(frames[k], res, local) if has_values else None
            if rule.level == "table":
                into[1][slot].append(_file_result(res, params, frames[k], local, mine, table=True))
                continue
            file_res = _file_result(res, params, frames[k], local, mine)
            if not file_res.success:
                positions[slot][rule.index].append(local)
            into[0][slot].append(file_res)


def _unexpected_values(frame: pd.DataFrame, res: Any, local: np.ndarray) -> list[Any]:
    """The unexpected values GX reports for a file's own run: read from the file's rows,
    not cut from the shared run's list, which GX stops at its first
    ``MAX_RESULT_RECORDS`` (200) values even in COMPLETE format while it lists every
    unexpected position. A file past the first 200 of a run would find nothing there."""
    from great_expectations.constants import MAX_RESULT_RECORDS

    kwargs = res.expectation_config.kwargs
    rows = local[:MAX_RESULT_RECORDS]
    if "column_A" in kwargs:
        a = frame[kwargs["column_A"]].to_numpy()[rows]
        b = frame[kwargs["column_B"]].to_numpy()[rows]
        return list(zip(a, b, strict=True))
    return list(frame[kwargs["column"]].to_numpy()[rows])


def _file_result(
    res: Any,
    params: dict[str, Any],
    frame: pd.DataFrame,
    local: np.ndarray,
    values: Any,
    *,
    table: bool = False,
) -> Any:
    """The summarised GX result ``res`` would have been for one file's rows alone.

    Counts and success follow GX's map expectations: the rows considered are all rows
    (``not_be_null``, for which GX reports no missing count), the column's non-null
    rows, or a column pair's rows ``ignore_row_if`` keeps; success is GX's ``mostly``
    test on them, vacuously true when no row is considered. A table rule's result is in
    GX's SUMMARY format, whose value counts GX takes from the first unexpected values only.
    """
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation import _format_map_output, _mostly_success
    from great_expectations.expectations.expectation_configuration import parse_result_format

    n = len(frame)
    kwargs = res.expectation_config.kwargs
    considered: int | None = None
    if "missing_count" in res.result:
        if "column_A" in kwargs:
            pair = frame[[kwargs["column_A"], kwargs["column_B"]]].notna()
            how = kwargs.get("ignore_row_if", "both_values_are_missing")
            if how == "both_values_are_missing":
                considered = int(pair.any(axis=1).sum())
            elif how == "either_value_is_missing":
                considered = int(pair.all(axis=1).sum())
            else:
                considered = n
        else:
            considered = int(frame[kwargs["column"]].notna().sum())
    unexpected = len(local)
    mostly = kwargs.get("mostly", 1.0)
    if isinstance(mostly, dict):
        mostly = params[mostly["$PARAMETER"]]
    rows = n if considered is None else considered
    success = True if n == 0 or rows == 0 else _mostly_success(rows, unexpected, mostly)
    result_format = parse_result_format(TABLE_RESULT_FORMAT if table else ROW_RESULT_FORMAT)
    index_list = local.tolist()
    if table:
        partial = result_format["partial_unexpected_count"]
        index_list = index_list[:partial]
        values = values[:partial] if values is not None else None
    formatted = _format_map_output(
        result_format=result_format,
        success=success,
        element_count=n,
        nonnull_count=considered,
        unexpected_count=unexpected,
        unexpected_list=values,
        unexpected_index_list=index_list,
    )
    result = formatted["result"]
    for key in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
        result.pop(key, None)  # as _summarise does
    return ExpectationValidationResult(
        success=success,
        expectation_config=res.expectation_config,
        result=result,
        meta=res.meta,
        exception_info=res.exception_info,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while millions of small lists and dicts are built.

    Each gen-2 collection walks the whole heap (GX, Airflow, the frame); at 1M rows
    the collections the allocations trigger cost more than building the lists.
    Nothing built here forms reference cycles, so nothing is left for GC to free.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validate(
    rows: pd.DataFrame, office_code: str, census_year: int, settings: Settings, suite: str
) -> ValidationResult:
    loaded = load_suite(suite)
    out, params = _prepare(rows, loaded, office_code, census_year, settings)
    positions, chunk_results = _row_checks(out, loaded, params)
    return _finish(
        rows, out, loaded, params, positions, chunk_results, office_code, census_year, settings
    )


def _prepare(
    rows: pd.DataFrame, loaded: Suite, office_code: str, census_year: int, settings: Settings
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows indexed by position and the suite's parameters for this submission."""
    _check_columns(rows, loaded)
    params = suite_parameters(office_code, census_year, settings)
    _check_parameters(loaded, params)
    return rows.reset_index(drop=True), params


def _row_checks(
    out: pd.DataFrame, loaded: Suite, params: dict[str, Any]
) -> tuple[dict[int, list[np.ndarray]], list[Any]]:
    """One submission's row-level GX runs, chunk by chunk: unexpected positions per rule
    and the chunks' summarised results."""
    row_rules = loaded.rules_of("row")
    positions: dict[int, list[np.ndarray]] = {r.index: [] for r in row_rules}
    chunk_results: list[Any] = []
    row_columns = loaded.columns_of("row")
    for start in range(0, len(out), CHUNK_ROWS):
        chunk = gx_frame(out.iloc[start : start + CHUNK_ROWS], row_columns)
        result = run_gx(chunk, loaded.gx_row, params)
        for res in result.results:
            rule = _rule_of(loaded, res)
            _raise_if_broken(res, rule, loaded)
            if not res.success:
                positions[rule.index].append(_unexpected_positions(res, rule, loaded))
        chunk_results.append(_summarise(result))
        del chunk, result
    return positions, chunk_results


def _unexpected_positions(res: Any, rule: ExpectationRule, loaded: Suite) -> np.ndarray:
    import numpy as np

    idx = res.result.get("unexpected_index_list")
    if idx is None:
        raise ValidationError(
            f"suite {loaded.name}: row-level {rule.type} on {rule.column} returned "
            "no unexpected rows; make it level 'table' or use a map expectation"
        )
    return np.asarray(idx, dtype=np.int64)


def _finish(
    rows: pd.DataFrame,
    out: pd.DataFrame,
    loaded: Suite,
    params: dict[str, Any],
    positions: dict[int, list[np.ndarray]],
    chunk_results: list[Any],
    office_code: str,
    census_year: int,
    settings: Settings,
    *,
    table_done: list[Any] | None = None,
) -> ValidationResult:
    """Everything after the row-level GX runs: suppression, duplicates, table checks,
    verdicts, metrics and the submission's combined GX result. ``table_done``: results
    of table-level rules already run with the row checks (:func:`validate_batch`)."""
    import numpy as np

    n = len(out)
    problems, blocked, has_code = _prior_problems(out["problems"].tolist())
    findings: list[tuple[np.ndarray, ExpectationRule, list[Any]]] = []
    for rule in loaded.rules_of("row"):
        pos = np.concatenate(positions[rule.index]) if positions[rule.index] else _empty()
        if rule.column in blocked:  # already explained while normalising: report once
            pos = pos[~blocked[rule.column][pos]]
        for code in rule.suppressed_by:
            if code in has_code:
                pos = pos[~has_code[code][pos]]
        if len(pos):
            findings.append((pos, rule, _values(out, rule.value_columns, pos)))
            _mark(has_code, rule.reason_code, pos, n)

    duplicate_rule, dup_result = None, None
    for rule in loaded.rules_of("duplicates"):
        pos, firsts = _later_copies(out, list(rule.kwargs["column_list"]))
        duplicate_rule = rule
        dup_result = (pos, n)
        if len(pos):
            findings.append((pos, rule, [str(v) for v in firsts.tolist()]))
            _mark(has_code, rule.reason_code, pos, n)

    warnings, table_result = _table_checks(out, loaded, params, table_done)
    _attach(problems, findings)
    reason_codes, accepted = _verdicts(problems, n)
    out = out.assign(problems=problems, reason_codes=reason_codes, accepted=accepted)

    rejected = n - int(accepted.sum())
    share = rejected / n if n else 0.0
    if int(accepted.sum()) + rejected != len(rows):
        raise AssertionError("row conservation broken in validation")  # cannot happen
    gx_result = _combined_result(
        loaded, chunk_results, table_result, duplicate_rule, dup_result, params
    )
    sub_ids = out["submission_id"].dropna().unique() if "submission_id" in out else []
    return ValidationResult(
        rows=out,
        metrics=_metrics(out, reason_codes, warnings, settings),
        rejected_share=share,
        held=share > settings.reject_share_threshold,
        warnings=warnings,
        suite_name=loaded.name,
        gx_success=bool(gx_result.success),
        gx_result=gx_result,
        office_code=office_code,
        census_year=census_year,
        submission_id=str(sub_ids[0]) if len(sub_ids) == 1 else None,
    )


def _check_columns(rows: pd.DataFrame, loaded: Suite) -> None:
    needed = {"problems", *loaded.columns}
    missing = sorted(needed - set(rows.columns))
    if missing:
        raise ValueError(
            f"rows to validate lack column(s) {', '.join(missing)} needed by suite {loaded.name}"
        )


def _check_parameters(loaded: Suite, params: dict[str, Any]) -> None:
    for rule in loaded.rules:
        for key, value in rule.kwargs.items():
            name = value.get("$PARAMETER") if isinstance(value, dict) else None
            if name is not None and name not in params:
                raise ValidationError(
                    f"suite {loaded.name}: expectation #{rule.index} {rule.type} "
                    f"({key}) refers to unknown $PARAMETER {name!r}; "
                    f"known: {', '.join(sorted(params))}"
                )


def _empty() -> np.ndarray:
    import numpy as np

    return np.empty(0, dtype=np.int64)


def _mark(has_code: dict[str, np.ndarray], code: str, pos: np.ndarray, n: int) -> None:
    import numpy as np

    if code not in has_code:
        has_code[code] = np.zeros(n, dtype=bool)
    has_code[code][pos] = True


def _prior_problems(
    raw: list[Any],
) -> tuple[list[list[dict[str, Any]]], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The normalisation problems, and which (row, column) already has a row problem.

    The outer list is new; a row's own list is copied only when validation adds to it
    (see ``_attach``), so clean rows cost nothing here.
    """
    import numpy as np

    n = len(raw)
    try:
        sizes = np.fromiter(map(len, raw), dtype=np.int64, count=n)
        problems = list(raw)
    except TypeError:  # None/NaN for "no problems" in some rows
        problems = [list(p) if _has_items(p) else [] for p in raw]
        sizes = np.fromiter(map(len, problems), dtype=np.int64, count=n)
    blocked: dict[str, np.ndarray] = {}
    has_code: dict[str, np.ndarray] = {}
    severity = _row_severity()
    for pos in np.flatnonzero(sizes).tolist():
        if not isinstance(problems[pos], list):  # tuples, arrays read back from Parquet
            problems[pos] = list(problems[pos])
        for p in problems[pos]:
            code = p.get("code") if isinstance(p, dict) else None
            if code not in severity:
                raise ValueError(
                    f"row at position {pos}: problem {p!r} has no known reason code "
                    "(see sentra.schema.REASONS)"
                )
            if severity[code]:
                col = p.get("column")
                if col:
                    blocked.setdefault(col, np.zeros(n, dtype=bool))[pos] = True
                has_code.setdefault(code, np.zeros(n, dtype=bool))[pos] = True
    return problems, blocked, has_code


def _has_items(value: Any) -> bool:
    if value is None or isinstance(value, float | str):
        return False
    try:
        return len(value) > 0
    except TypeError:
        return False


@cache
def _row_severity() -> dict[str, bool]:
    from sentra.schema import REASONS

    return {code: r.severity == Severity.ROW for code, r in REASONS.items()}


def _rule_of(loaded: Suite, res: Any) -> ExpectationRule:
    index = (res.expectation_config.meta or {}).get("sentra_rule")
    if index is None:
        raise ValidationError(f"GX returned a result sentra cannot place: {res.expectation_config}")
    return loaded.rules[int(index)]


def _raise_if_broken(res: Any, rule: ExpectationRule, loaded: Suite) -> None:
    """GX reports a failed metric as an unsuccessful result; sentra must not read that as
    "no unexpected rows", so it stops here, naming the expectation and GX's message."""
    info = res.exception_info or {}
    # one flat record, or one record per metric that failed to compute
    records = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(r.get("exception_message"))
        for r in records
        if isinstance(r, dict) and r.get("raised_exception")
    ]
    if messages:
        raise ValidationError(
            f"suite {loaded.name}: expectation #{rule.index} {rule.type} "
            f"(column {rule.column}) could not run: {'; '.join(sorted(set(messages)))}"
        )


def _values(out: pd.DataFrame, columns: tuple[str, ...], pos: np.ndarray) -> list[Any]:
    """The offending values as JSON-friendly scalars (joined when a rule names several)."""
    if not columns:
        return [None] * len(pos)
    per_col = [[_jsonable(v) for v in out[c].iloc[pos].tolist()] for c in columns]
    if len(per_col) == 1:
        return per_col[0]
    return [", ".join("" if v is None else str(v) for v in vs) for vs in zip(*per_col, strict=True)]


def _later_copies(out: pd.DataFrame, key: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the 2nd, 3rd, … copies of an exact duplicate, and their first row number.

    Rows are narrowed a column at a time: each column's hash is folded into the rows
    still in question, and only rows whose running hash repeats stay. Numbers go first
    (cheap to hash, and coordinates tell most rows apart), so text columns are hashed for
    a few rows only: at 1M rows 0.3 s and tens of MB, where hashing every key column of
    every row took 1.3-2.2 s and 450 MB (the validation's peak). The survivors are then
    compared exactly, so a hash collision can never make two different rows duplicates.
    """
    import numpy as np
    import pandas as pd

    none = _empty(), _empty()
    if not len(out) or not key:
        return none
    numeric = [c for c in key if pd.api.types.is_numeric_dtype(out[c].dtype)]
    candidates = np.arange(len(out))
    running = np.zeros(len(out), dtype=np.uint64)
    for col in numeric + [c for c in key if c not in numeric]:
        hashed = pd.util.hash_pandas_object(out[col].take(candidates), index=False).to_numpy()
        folded = running[candidates] * np.uint64(0x100000001B3) ^ hashed
        repeats = pd.Series(folded).duplicated(keep=False).to_numpy()
        candidates = candidates[repeats]
        if not len(candidates):
            return none
        running[candidates] = folded[repeats]
    sub = out.iloc[candidates]
    later = sub.duplicated(subset=key, keep="first").to_numpy()
    if not later.any():
        return none
    group = sub.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first_source = sub["source_row"].groupby(group).transform("first").to_numpy(dtype=np.int64)
    return candidates[later], first_source[later]


def _attach(
    problems: list[list[dict[str, Any]]],
    findings: list[tuple[np.ndarray, ExpectationRule, list[Any]]],
) -> None:
    """Append each finding to its row's problems, in suite order (work ∝ findings).

    A row's list is copied before its first append so the caller's frame is not changed.
    """
    copied: set[int] = set()
    for pos, rule, values in findings:
        for p, value in zip(pos.tolist(), values, strict=True):
            if p not in copied:
                problems[p] = list(problems[p])
                copied.add(p)
            problems[p].append(
                {
                    "code": rule.reason_code,
                    "column": rule.column,
                    "value": value,
                    "expectation": rule.type,
                }
            )


def _verdicts(problems: list[list[dict[str, Any]]], n: int) -> tuple[list[list[str]], np.ndarray]:
    import numpy as np

    severity = _row_severity()
    reason_codes: list[list[str]] = [[] for _ in range(n)]
    accepted = np.ones(n, dtype=bool)
    for pos in [i for i, p in enumerate(problems) if p]:
        codes = sorted({p["code"] for p in problems[pos] if severity.get(p["code"])})
        if codes:
            reason_codes[pos] = codes
            accepted[pos] = False
    return reason_codes, accepted


def _table_checks(
    out: pd.DataFrame, loaded: Suite, params: dict[str, Any], done: list[Any] | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """Table-level expectations on the whole submission: warnings, never rejections.

    ``done`` holds the results of some of these rules already cut from a batch's shared
    run (:func:`validate_batch`); only the others run here.
    """
    rules = loaded.rules_of("table")
    if not rules or not len(out):
        return [], None
    if done is None:
        result = run_gx(
            gx_frame(out, loaded.columns_of("table")), loaded.gx_table, params, TABLE_RESULT_FORMAT
        )
    else:
        ran = {int(r.expectation_config.meta["sentra_rule"]) for r in done}
        rest = [r for r in rules if r.index not in ran]
        results, meta = list(done), {}
        if rest:
            part = run_gx(
                gx_frame(out, _columns(rest)),
                _sub_suite(loaded, tuple(r.index for r in rest)),
                params,
                TABLE_RESULT_FORMAT,
            )
            results, meta = results + list(part.results), dict(part.meta)
        results.sort(key=lambda r: int(r.expectation_config.meta["sentra_rule"]))
        result = _FileResult(results=results, meta=meta)
    warnings = []
    for res in result.results:
        rule = _rule_of(loaded, res)
        _raise_if_broken(res, rule, loaded)
        if res.success:
            continue
        observed = res.result.get("observed_value")
        if observed is None and res.result.get("unexpected_percent") is not None:
            observed = res.result["unexpected_percent"] / 100.0
            shown = f"{100 * observed:.0f}%"
        else:
            shown = "-" if observed is None else f"{float(observed):.1f}"
        warnings.append(
            {
                "code": rule.reason_code,
                "column": rule.column,
                "value": shown,
                "observed": _jsonable(observed),
                "expectation": rule.type,
            }
        )
    return warnings, result


def _summarise(result: Any) -> Any:
    """Drop GX's per-row lists from a chunk's result so kept results stay small."""
    for res in result.results:
        for key in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
            res.result.pop(key, None)
    return result


def _combined_result(
    loaded: Suite,
    chunk_results: list[Any],
    table_result: Any,
    duplicate_rule: ExpectationRule | None,
    dup_result: tuple[np.ndarray, int] | None,
    params: dict[str, Any],
) -> Any:
    """One GX suite result for the whole submission, in suite order (for Data Docs)."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    by_rule: dict[int, Any] = {}
    for chunk in chunk_results:
        for res in chunk.results:
            idx = int(res.expectation_config.meta["sentra_rule"])
            if idx not in by_rule:
                by_rule[idx] = res
            else:
                by_rule[idx] = _merge_counts(by_rule[idx], res)
    if table_result is not None:
        for res in table_result.results:
            by_rule[int(res.expectation_config.meta["sentra_rule"])] = res
    if duplicate_rule is not None and dup_result is not None:
        pos, n = dup_result
        config = loaded.gx_full.expectations[duplicate_rule.index].configuration
        by_rule[duplicate_rule.index] = ExpectationValidationResult(
            success=not len(pos),
            expectation_config=config,
            result={
                "element_count": n,
                "unexpected_count": len(pos),
                "unexpected_percent": 100.0 * len(pos) / n if n else 0.0,
                "partial_unexpected_list": [],
            },
        )
    results = [by_rule[i] for i in sorted(by_rule)]
    ok = sum(1 for r in results if r.success)
    meta = dict(chunk_results[0].meta) if chunk_results else {}
    meta["chunks"] = len(chunk_results)
    return ExpectationSuiteValidationResult(
        success=ok == len(results),
        results=results,
        suite_name=loaded.name,
        suite_parameters={k: v for k, v in params.items() if not isinstance(v, list)},
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": ok,
            "unsuccessful_expectations": len(results) - ok,
            "success_percent": 100.0 * ok / len(results) if results else None,
        },
        meta=meta,
    )


def _merge_counts(a: Any, b: Any) -> Any:
    ra, rb = a.result, b.result
    merged = dict(ra)
    for key in ("element_count", "unexpected_count", "missing_count"):
        if key in ra or key in rb:
            merged[key] = (ra.get(key) or 0) + (rb.get(key) or 0)
    total = merged.get("element_count") or 0
    if total:
        merged["unexpected_percent"] = 100.0 * (merged.get("unexpected_count") or 0) / total
        merged["missing_percent"] = 100.0 * (merged.get("missing_count") or 0) / total
        nonmissing = total - (merged.get("missing_count") or 0)
        merged["unexpected_percent_total"] = merged["unexpected_percent"]
        merged["unexpected_percent_nonmissing"] = (
            100.0 * (merged.get("unexpected_count") or 0) / nonmissing if nonmissing else None
        )
    merged["partial_unexpected_list"] = (ra.get("partial_unexpected_list") or [])[:20] or (
        rb.get("partial_unexpected_list") or []
    )[:20]
    merged.pop("partial_unexpected_counts", None)
    merged.pop("partial_unexpected_index_list", None)
    a.result = merged
    a.success = bool(a.success and b.success)
    return a


def _metrics(
    out: pd.DataFrame,
    reason_codes: list[list[str]],
    warnings: list[dict[str, Any]],
    settings: Settings,
) -> list[Metric]:
    from collections import Counter

    total = len(out)
    accepted = int(out["accepted"].sum())
    rejected = total - accepted
    metrics = [
        Metric("rows_total", None, float(total)),
        Metric("rows_accepted", None, float(accepted)),
        Metric("rows_rejected", None, float(rejected)),
        Metric("rejected_share", None, rejected / total if total else 0.0),
        Metric("reject_share_threshold", None, float(settings.reject_share_threshold)),
    ]
    counts = Counter(code for codes in reason_codes if codes for code in codes)
    metrics += [
        Metric(f"rejected_by_reason:{code}", None, float(k)) for code, k in sorted(counts.items())
    ]
    if total:
        nulls = out[[c for c in CENSUS_COLUMNS if c in out.columns]].isna().mean()
        metrics += [Metric("null_share", col, float(v)) for col, v in nulls.items()]
        units = out["units"].dropna()
        if len(units):
            metrics.append(Metric("mean_units", "units", float(units.astype("float64").mean())))
    metrics += [Metric(f"warning:{w['code']}", w["column"], 1.0) for w in warnings]
    return metrics


def _jsonable(value: Any) -> Any:
    """A finding's value as JSON: Python scalars, None for any missing marker, text capped."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    return str(value)[:200]
