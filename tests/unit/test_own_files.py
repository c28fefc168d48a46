"""``sentra run``'s placement of office files: landing layout in place, flat folders placed
by content or name, and files that cannot be placed named before anything is copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sentra.own_files import (
    PlacementError,
    infer_office,
    offices_in_name,
    place_files,
    plan_landing,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "own_files"


@pytest.mark.parametrize(
    ("name", "offices"),
    [
        ("Sentra Kab Bantul 2026.xlsx", {"34.02"}),
        ("3402_sentra.csv", {"34.02"}),
        ("rekap_34-04.xlsx", {"34.04"}),
        ("Rekap Kota Bogor.xlsx", {"32.71"}),  # the kota, not also the kabupaten "Bogor"
        ("Provinsi Jawa Barat sentra.xlsx", {"32"}),
        ("data sentra ikm 2026.xlsx", set()),  # 2026 is no office code
        ("bengkulu.csv", {"17", "17.71"}),  # province and kota: ambiguous
    ],
)
def test_offices_named_in_a_file_name(name, offices):
    assert offices_in_name(name) == offices


def test_landing_layout_is_read_in_place_every_year_in_order(tmp_path, settings):
    root = tmp_path / "landing"
    for year in (2026, 2025):
        (root / str(year) / "34.02").mkdir(parents=True)
    (root / "README.txt").write_text("not a submission")
    plan = plan_landing(str(root), settings)
    assert plan.landing_uri == str(root)
    assert plan.years == [2025, 2026]
    assert not plan.placed
    assert plan.notes == ["not in a census-year folder, not read: README.txt"]
    assert plan_landing(str(root), settings, years=[2026]).years == [2026]
    with pytest.raises(ValueError, match="no folder for census 2024"):
        plan_landing(str(root), settings, years=[2024])
    year_only = plan_landing(str(root / "2026"), settings)
    assert (year_only.landing_uri, year_only.years) == (str(root), [2026])


def test_flat_folder_needs_a_year(tmp_path, settings):
    shutil.copy(FIXTURES / "flat" / "Sentra Kota Yogyakarta.csv", tmp_path)
    with pytest.raises(ValueError, match="--year"):
        plan_landing(str(tmp_path), settings)


def test_flat_folder_with_an_unplaceable_file_is_refused_naming_it(settings):
    with pytest.raises(PlacementError) as info:
        plan_landing(str(FIXTURES / "flat"), settings, years=[2026])
    assert [name for name, _ in info.value.unplaced] == ["rekap.csv"]
    assert "no row names a known kab/kota" in str(info.value)
    assert "the name names no province or kab/kota" in str(info.value)


def test_flat_folder_is_placed_by_content_name_and_folder(tmp_path, settings):
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("data sentra 2026.xlsx", "Sentra Kota Yogyakarta.csv"):
        shutil.copy(FIXTURES / "flat" / name, flat)
    (flat / "34.04").mkdir()
    shutil.copy(FIXTURES / "landing/2026/34.04/sentra_sleman.csv", flat / "34.04")
    (flat / "~$data sentra 2026.xlsx").write_bytes(b"lock")
    plan = plan_landing(str(flat), settings, years=[2026])
    placed = {f.name: (f.office_code, f.how) for f in plan.placed}
    assert placed == {
        "data sentra 2026.xlsx": ("34.01", "content"),  # Kulon Progo rows
        "Sentra Kota Yogyakarta.csv": ("34.71", "name"),  # its row names no kab/kota
        "sentra_sleman.csv": ("34.04", "folder"),
    }
    assert plan.notes == ["hidden or lock file, not read: ~$data sentra 2026.xlsx"]
    written = place_files(plan, settings, 2026)
    landing = Path(settings.landing_uri) / "2026"
    assert (landing / "34.01" / "data sentra 2026.xlsx").read_bytes() == (
        flat / "data sentra 2026.xlsx"
    ).read_bytes()
    assert len(written) == 3
    assert place_files(plan, settings, 2026) == [], "a rerun copies nothing"


def test_content_wins_over_a_disagreeing_name_and_an_agreeing_name_refines_it(settings):
    data = (FIXTURES / "flat" / "data sentra 2026.xlsx").read_bytes()
    assert infer_office("Sentra Kota Yogyakarta.xlsx", data, 2026, settings)[:2] == (
        "34.01",
        "content",
    )
    assert infer_office("Sentra Provinsi Daerah Istimewa Yogyakarta.xlsx", data, 2026, settings)[
        :2
    ] == (
        "34",
        "content+name",
    )
