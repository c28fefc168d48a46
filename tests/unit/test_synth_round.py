"""The synthetic census: deterministic, really messy, and its truth matches its files.

Files are read back here with python-calamine / csv / json directly, independently of
``sentra.ingest``, so a bug in ingestion cannot hide a bug in the generator.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from sentra import synth
from sentra.reference import regions
from sentra.synth.rounds import ROW_ERRORS


def _round(tmp_path: Path, seed: int = 7, years=(2025, 2026), **mess):
    world = synth.generate_world(n_sentra=400, seed=seed, provinces=["33", "34"])
    truths = synth.simulate(
        world,
        census_years=list(years),
        landing_dir=tmp_path / "landing",
        seed=seed,
        messiness=synth.Messiness(**mess) if mess else None,
    )
    return world, truths


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _data_rows(path: Path) -> int:
    """Count data rows independently: non-blank rows below the header, minus totals."""
    if path.suffix == ".json":
        payload = json.loads(path.read_text(encoding="utf-8"))
        return len(payload["data"] if isinstance(payload, dict) else payload)
    if path.suffix == ".csv":
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    else:
        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_name("Data Sentra").to_python()[4:]
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    return sum(1 for r in rows if not any(str(c).strip() in ("Jumlah", "Total") for c in r))


def test_same_seed_same_bytes_and_truth(tmp_path):
    _round(tmp_path / "a", seed=3)
    _round(tmp_path / "b", seed=3)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    _round(tmp_path / "c", seed=4)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_truth_counts_equal_the_rows_in_the_files(tmp_path):
    _, truths = _round(tmp_path)
    for truth in truths:
        for f in truth.files.to_dict("records"):
            path = tmp_path / "landing" / str(truth.census_year) / f["office_code"] / f["file_name"]
            assert path.exists()
            assert _data_rows(path) == f["n_rows"], f
        assert len(truth.rows) == truth.files["n_rows"].sum()
        assert (tmp_path / "truth" / str(truth.census_year) / "truth_rows.parquet").exists()


def test_every_format_and_quirk_appears(tmp_path):
    _, truths = _round(tmp_path, seed=11, years=(2025, 2026, 2027))
    files = pd.concat([t.files for t in truths])
    assert set(files["format"]) == {"xlsx", "csv", "json"}
    assert {"utf-8", "utf-8-sig", "cp1252"} & set(files["encoding"])
    quirks = set(pd.concat([t.rows for t in truths])["quirk"].str.split(",").explode())
    for quirk in ("name_variant", "exact_duplicate", "fuzzy_duplicate", *ROW_ERRORS):
        assert quirk in quirks, quirk
    nondata = set(pd.concat([t.nondata for t in truths])["kind"])
    assert {"title", "header", "blank", "totals"} <= nondata
    states = set(pd.concat([t.entities for t in truths])["state"])
    assert {"active", "closed_now", "silent", "new", "revived", "closed_listed"} <= states


def test_a_zero_rate_switches_a_quirk_off(tmp_path):
    zero = dict.fromkeys(ROW_ERRORS, 0.0)
    _, truths = _round(tmp_path, exact_duplicate=0.0, fuzzy_duplicate=0.0, **zero)
    rows = pd.concat([t.rows for t in truths])
    assert (rows["expected_verdict"] == "accepted").all()
    assert not rows["quirk"].str.contains("duplicate").any()


def test_expected_reasons_match_the_injected_mistake(tmp_path):
    _, truths = _round(tmp_path)
    rows = pd.concat([t.rows for t in truths])
    for quirk, code in ROW_ERRORS.items():
        hit = rows[rows["quirk"].str.split(",").map(lambda q, quirk=quirk: quirk in q)]
        assert (hit["expected_verdict"] == "rejected").all()
        assert all(list(r) == [code] for r in hit["expected_reasons"])
    dups = rows[rows["quirk"] == "exact_duplicate"]
    assert dups["is_exact_duplicate_of"].notna().all()


def test_world_evolves_across_years(tmp_path):
    world, truths = _round(tmp_path, years=(2025, 2026))
    y1, y2 = (t.entities.set_index("entity_id") for t in truths)
    closed_2025 = y1.index[y1["state"] == "closed_now"]
    later = y2.loc[closed_2025, "state"]
    assert set(later) <= {"closed_listed", "closed_silent", "revived"}
    new = y1[y1["state"] == "new"]
    assert new["sentra_id"].isna().all(), "new sentra have no register id yet"
    registered = world.register_frame()
    assert registered["sentra_id"].str.match(r"^S\d{4}\d{5}$").all()
    assert set(registered["region_code"]) <= set(regions().kabkota)


def test_offices_that_skip_have_no_file(tmp_path):
    _, truths = _round(tmp_path, office_skip_rate=0.5)
    for t in truths:
        skipped = set(t.extra["skipped_offices"])
        assert skipped, "with a 50% rate some office skips"
        assert not skipped & set(t.files["office_code"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_bulk_file_for_benchmarks(tmp_path, fmt):
    from sentra.synth.bulk import write_bulk_file

    truth = write_bulk_file(tmp_path / f"bulk.{fmt}", n_rows=300, fmt=fmt, seed=1)
    assert _data_rows(tmp_path / f"bulk.{fmt}") == len(truth) >= 300
