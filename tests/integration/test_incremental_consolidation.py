"""A late file re-matches only its own kab/kota, and the year comes out as if matched whole.

Two data folders replay the same round with one kab/kota office's file held back, then
receive it late. Folder A consolidates incrementally (the match memo of the first
version is there); folder B has the memo removed, so it matches every kab/kota again
from the same ledger state. Both must publish the same warehouse, and A must not have
touched a single stored link outside the late file's kab/kota.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_faults import _round, _same, _state

from sentra.cli.rounds import load_reference
from sentra.config import get_settings
from sentra.demo import DemoConfig, prepare_inputs
from sentra.tasks import consolidate as consolidate_tasks
from sentra.tasks import ingest as ingest_tasks

pytestmark = [pytest.mark.integration, pytest.mark.slow]
YEAR = 2026


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Generated inputs once; the late office is a kab/kota office with a file."""
    base = tmp_path_factory.mktemp("late")
    cfg = DemoConfig(
        data_dir=base / "inputs", n_sentra=150, seed=9, census_years=(YEAR,), provinces=("34",)
    )
    prepare_inputs(cfg)
    offices = sorted(p for p in (cfg.data_dir / "landing" / str(YEAR)).iterdir() if "." in p.name)
    return cfg, offices[0].name


def _folder(cfg: DemoConfig, data: Path, late: str, monkeypatch) -> object:
    for name in ("landing", "truth"):
        shutil.copytree(cfg.data_dir / name, data / name)
    for name in ("register.csv", "offices.csv", "synth.json"):
        shutil.copy(cfg.data_dir / name, data / name)
    shutil.move(data / "landing" / str(YEAR) / late, data / "held")
    monkeypatch.setenv("SENTRA_DATA_DIR", str(data))
    settings = get_settings()
    ingest_tasks.prepare(settings)
    load_reference(settings, DemoConfig(data_dir=data, **_same(cfg)))
    _round(settings, steps=("ingest", "consolidate"))
    return settings


def _late(settings, data: Path, late: str) -> dict:
    shutil.move(data / "held", data / "landing" / str(YEAR) / late)
    for sid in ingest_tasks.discover(YEAR, settings):
        ingest_tasks.process_submission(sid, settings)
    written = consolidate_tasks.consolidate(YEAR, settings)
    consolidate_tasks.audit(YEAR, written, settings)
    consolidate_tasks.publish(YEAR, written, settings)
    return written


def _links(settings) -> dict[str, tuple]:
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        links = repo.load_links(session, YEAR)
    return {
        r.record_key: (r.sentra_id, r.cluster_key, str(r.linked_at))
        for r in links.itertuples(index=False)
    }


def test_late_file_rematches_its_kabkota_only_and_equals_a_full_recompute(
    inputs, tmp_path, monkeypatch
):
    cfg, late = inputs

    full_dir = tmp_path / "full"
    full = _folder(cfg, full_dir, late, monkeypatch)
    memos = list((full_dir / "staging").rglob("_match_*.parquet"))
    assert sorted(m.stem for m in memos) == [
        "_match_candidates",
        "_match_evidence",
        "_match_records",
        "_match_units",
    ], "the first consolidation keeps its match memo (and evidence weights) beside its tables"
    for memo in memos:
        memo.unlink()
    full_written = _late(full, full_dir, late)
    full_state = _state(full)

    inc_dir = tmp_path / "incremental"
    inc = _folder(cfg, inc_dir, late, monkeypatch)
    before = _links(inc)
    written = _late(inc, inc_dir, late)

    assert full_written["matching_units_recomputed"] == full_written["matching_units"]
    assert written["matching_units"] == full_written["matching_units"] > 1
    assert 1 <= written["matching_units_recomputed"] < written["matching_units"]
    assert written["records_rematched"] < full_written["records_rematched"]

    assert _state(inc) == full_state, "incremental matching publishes what a full run does"

    after = _links(inc)
    changed = {k for k, v in before.items() if after.get(k) != v}
    late_regions = {late}  # a kab/kota office reports its own kab/kota
    region_of = _record_regions(inc)
    assert changed, "the late kab/kota was matched again"
    assert {region_of[k] for k in changed} <= late_regions, (
        "no stored link outside the late file's kab/kota was rewritten"
    )
    assert all(after[k][0] == v[0] for k, v in before.items()), "no sentra was renumbered"


def _record_regions(settings) -> dict[str, str]:
    from sentra.warehouse import Warehouse

    rows = Warehouse(settings).scan("submission_rows").select(["record_key", "region_code"])
    return dict(zip(*(rows.column(c).to_pylist() for c in rows.column_names), strict=True))
