"""The hand-written regional corpus (tests/fixtures/regional): every file as a clerk reads it.

Each office folder holds files in its own layout and an ``expected.json`` written by hand:
the data rows with the row numbers the office sees, the rows that must be rejected with
their reason codes, key values. ``measure.py`` scores a checkout on the same oracle.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "regional"
_spec = importlib.util.spec_from_file_location("regional_measure", FIXTURES / "measure.py")
measure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure)
CASES = measure.corpus()


def test_the_corpus_covers_every_office_and_at_least_thirty_files():
    assert len(CASES) >= 30
    assert len({p.parent.name for p, _, _ in CASES}) >= 6
    assert {p.suffix for p, _, _ in CASES} == {".csv", ".xlsx", ".json"}


@pytest.mark.parametrize(
    ("path", "spec", "office"), CASES, ids=[f"{p.parent.name}/{p.name}" for p, _, _ in CASES]
)
def test_file_reads_as_the_office_wrote_it(path, spec, office):
    result = measure.evaluate(path, spec, office)
    assert result["errors"] == []
    assert result["rows_found"] == len(spec.get("rows", []))
