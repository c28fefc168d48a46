"""Validation with Great Expectations 1.x: row verdicts with reasons, warnings, hold decision.

Suites live as JSON in ``expectations/`` and are loaded by name; each expectation's
``meta.reason_code`` maps its failures to ``sentra.schema.REASONS``, so changing what
is checked is a data change, not a code change. Row verdicts come from GX's
unexpected indexes (``result_format`` COMPLETE): a rejected row lists every
expectation it broke. Problems already found while normalising (an unparseable
number) are kept and not reported twice.

Whether a submission is held for review is decided here, explicitly, from the
rejected share and ``settings.reject_share_threshold``, not from GX's success flag.

Public API::

    validate(rows, *, office_code, census_year, settings=None, suite="census_record")
        -> ValidationResult
    validate_batch([(rows, office_code, census_year), ...], *, settings=None, suite=...)
        -> [ValidationResult | Exception, ...]   (several files, shared GX runs)
    load_suite(name) -> Suite            load_suite_config(name) -> dict
    build_data_docs(settings, *results, index=True) -> Path   (index.html of the Data Docs site)
    build_data_docs_index(settings) -> Path | None   (the index, once pages were built without it)

Importing this package does not import Great Expectations (~4 s); the first
validation does, once per process.
"""

from __future__ import annotations

from sentra.quality.docs import build_data_docs, build_data_docs_index
from sentra.quality.suites import (
    Suite,
    SuiteError,
    expectations_dir,
    load_suite,
    load_suite_config,
    suite_parameters,
)
from sentra.quality.validation import (
    CHUNK_ROWS,
    Metric,
    ValidationError,
    ValidationResult,
    gx_frame,
    run_gx,
    validate,
    validate_batch,
)

__all__ = [
    "CHUNK_ROWS",
    "Metric",
    "Suite",
    "SuiteError",
    "ValidationError",
    "ValidationResult",
    "build_data_docs",
    "build_data_docs_index",
    "expectations_dir",
    "gx_frame",
    "load_suite",
    "load_suite_config",
    "run_gx",
    "suite_parameters",
    "validate",
    "validate_batch",
]
