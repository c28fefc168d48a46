"""Finding, loading and checking the Great Expectations suites in ``expectations/``.

A suite is JSON versioned with the code. Every expectation carries ``meta.reason_code``
(a key of ``sentra.schema.REASONS``) and ``meta.level``:

- ``row``: its unexpected rows are rejected with that reason;
- ``table``: a failure is a warning for the whole submission (rows are not rejected);
- ``duplicates``: ``expect_compound_columns_to_be_unique``; sentra rejects the later
  copies of an exact duplicate and keeps the first (GX would flag every copy), so it is
  evaluated by sentra from the expectation's ``column_list``.

Optional meta: ``column`` (the column a finding names), ``value_columns`` (columns whose
values make up the reported value, e.g. latitude and longitude), ``suppressed_by``
(reason codes that, already on the same row, make this finding redundant: an unknown
kab/kota code is not also reported as outside the office's area).

Nothing here imports GX at module level: DAG files may import this package.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentra.schema import FIELDS_BY_NAME, reason

if TYPE_CHECKING:
    from sentra.config import Settings

ENV_DIR = "SENTRA_EXPECTATIONS_DIR"
LEVELS = ("row", "table", "duplicates")


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file and expectation."""


@dataclass(frozen=True)
class ExpectationRule:
    """One expectation of a suite with what sentra does with its failures."""

    index: int
    type: str
    kwargs: dict[str, Any]
    reason_code: str
    level: str
    column: str | None
    value_columns: tuple[str, ...]
    suppressed_by: frozenset[str]
    config: dict[str, Any]


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its rules plus the GX suites sentra runs (row and table parts)."""

    name: str
    path: Path
    rules: tuple[ExpectationRule, ...]
    gx_row: Any  # great_expectations.ExpectationSuite of the row-level expectations
    gx_table: Any  # ... of the table-level expectations
    gx_full: Any  # ... of every expectation, as GX alone would run it

    def rules_of(self, level: str) -> list[ExpectationRule]:
        return [r for r in self.rules if r.level == level]

    @property
    def columns(self) -> list[str]:
        """Every column the suite reads, in schema order of first use."""
        seen: dict[str, None] = {}
        for rule in self.rules:
            for col in _columns_of(rule.kwargs):
                seen.setdefault(col, None)
        return list(seen)

    def columns_of(self, level: str) -> list[str]:
        seen: dict[str, None] = {}
        for rule in self.rules_of(level):
            for col in _columns_of(rule.kwargs):
                seen.setdefault(col, None)
        return list(seen)


def expectations_dir() -> Path:
    """``$SENTRA_EXPECTATIONS_DIR``, else the ``expectations/`` folder above this package.

    The package is installed editable from the repository (and copied next to
    ``expectations/`` in the image), so walking up from here finds the suites that were
    versioned with this code rather than whatever the working directory holds.
    """
    configured = os.environ.get(ENV_DIR)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"{ENV_DIR}={configured} is not a directory")
        return path
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "expectations"
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    raise FileNotFoundError(
        f"no expectations/ folder with suite JSON files above {here.parent}; "
        f"set {ENV_DIR} to the folder holding the Great Expectations suites"
    )


def suite_path(name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise SuiteError(f"invalid suite name {name!r}")
    folder = expectations_dir()
    path = folder / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.json"))) or "none"
        raise FileNotFoundError(f"no suite {name!r}: {path} does not exist (suites: {known})")
    return path


def load_suite_config(name: str) -> dict[str, Any]:
    """The suite's JSON, checked: every expectation names a known reason code and level."""
    path = suite_path(name)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not valid JSON ({exc})") from exc
    _rules(config, path)  # raises on the first bad expectation
    return config


def load_suite(name: str) -> Suite:
    """The named suite, parsed and built into GX suites; cached per file version."""
    path = suite_path(name)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load(path_str: str, mtime_ns: int, size: int) -> Suite:
    import great_expectations as gx

    path = Path(path_str)
    config = json.loads(path.read_text(encoding="utf-8"))
    rules = _rules(config, path)
    name = config.get("name") or path.stem

    def build(part: list[ExpectationRule], suffix: str) -> Any:
        # meta.sentra_rule lets a GX result be traced back to its rule (and reason code)
        configs = [
            {**r.config, "meta": {**(r.config.get("meta") or {}), "sentra_rule": r.index}}
            for r in part
        ]
        suite = gx.ExpectationSuite(name=name + suffix, expectations=configs)
        if len(suite.expectations) != len(part):
            raise SuiteError(f"{path}: some expectations could not be built by GX")
        return suite

    return Suite(
        name=name,
        path=path,
        rules=tuple(rules),
        gx_row=build([r for r in rules if r.level == "row"], ""),
        gx_table=build([r for r in rules if r.level == "table"], ".table"),
        gx_full=build(list(rules), ""),
    )


def _rules(config: dict[str, Any], path: Path) -> list[ExpectationRule]:
    if not isinstance(config, dict) or not isinstance(config.get("expectations"), list):
        raise SuiteError(f"{path}: a suite is an object with an 'expectations' list")
    rules = []
    for i, exp in enumerate(config["expectations"]):
        where = f"{path.name}: expectation #{i} ({exp.get('type')})"
        meta = exp.get("meta") or {}
        code = meta.get("reason_code")
        if not code:
            raise SuiteError(f"{where} has no meta.reason_code")
        reason(code)  # an unknown code raises KeyError naming it
        for other in meta.get("suppressed_by", []):
            reason(other)
        level = meta.get("level", "row")
        if level not in LEVELS:
            raise SuiteError(f"{where}: meta.level {level!r} is not one of {LEVELS}")
        kwargs = exp.get("kwargs") or {}
        for col in _columns_of(kwargs):
            if col not in FIELDS_BY_NAME:
                raise SuiteError(f"{where}: unknown column {col!r}")
        if level == "duplicates" and not kwargs.get("column_list"):
            raise SuiteError(f"{where}: a duplicates check needs kwargs.column_list")
        column = meta.get("column", kwargs.get("column"))
        rules.append(
            ExpectationRule(
                index=i,
                type=exp["type"],
                kwargs=kwargs,
                reason_code=code,
                level=level,
                column=column,
                value_columns=tuple(meta.get("value_columns") or ([column] if column else [])),
                suppressed_by=frozenset(meta.get("suppressed_by", [])),
                config=exp,
            )
        )
    return rules


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    cols += list(kwargs.get("column_list") or [])
    return cols


def suite_parameters(office_code: str, census_year: int, settings: Settings) -> dict[str, Any]:
    """Run-time values the suites refer to as ``{"$PARAMETER": name}``."""
    from sentra.reference import regions

    idx = regions()
    office_area = sorted(r.code for r in idx.kabkota_of(office_code))
    if not office_area:
        raise ValueError(f"office {office_code!r} has no kab/kota in the reference regions")
    return {
        "official_kabkota": sorted(idx.kabkota),
        "office_kabkota": office_area,
        "max_units": settings.max_units,
        "max_production_value": settings.max_production_value,
        "max_investment_value": settings.max_investment_value,
        "min_year_established": settings.min_year_established,
        "census_year": census_year,
        "mean_units_min": settings.mean_units_range[0],
        "mean_units_max": settings.mean_units_range[1],
        "min_filled_share": 1.0 - settings.max_null_share,
    }
