"""Reference regions and commodities: lookups offices' spellings depend on."""

from __future__ import annotations

import pytest

from sentra.reference import commodity_group_of, normalise_code, regions, subregion_exists
from sentra.schema import CommodityGroup


def test_all_provinces_and_kabkota_are_present():
    idx = regions()
    assert len(idx.provinces) == 38
    assert len(idx.kabkota) == 514
    assert idx.get("32.76").name == "Kota Depok"


@pytest.mark.parametrize("raw", ["3276", "32.76", " 32.76 ", "32-76", 3276, 3276.0, "32 76"])
def test_kabkota_code_in_any_common_form(raw):
    assert regions().resolve_kabkota(raw).code == "32.76"


@pytest.mark.parametrize("raw", ["Kota Depok", "KOTA DEPOK", "Depok", "kota  depok", "Kodya Depok"])
def test_kabkota_by_name(raw):
    assert regions().resolve_kabkota(raw).code == "32.76"


def test_ambiguous_names_resolve_by_office_area_and_kind():
    idx = regions()
    assert idx.resolve_kabkota("Kota Bogor").code == "32.71"
    assert idx.resolve_kabkota("Kab. Bogor").code == "32.01"
    assert idx.resolve_kabkota("Bogor") is None, "a name of two regions is not guessed"
    assert [r.code for r in idx.kabkota_candidates("Bogor")] == ["32.01", "32.71"]
    assert idx.resolve_kabkota("Bogor", within="32.71").code == "32.71", "the office's own"
    assert idx.resolve_kabkota("Bantul", within="34").code == "34.02"


@pytest.mark.parametrize("raw", ["99.99", "Atlantis", "", None, "32.76.01.1001.9"])
def test_unknown_regions_are_none_not_guesses(raw):
    assert regions().resolve_kabkota(raw) is None


def test_code_normalisation_keeps_deeper_levels():
    assert normalise_code("3276011001") == "32.76.01.1001"
    assert normalise_code("32.76.01") == "32.76.01"
    assert normalise_code("abc") is None
    assert subregion_exists("32.76.01")
    assert not subregion_exists("32.76.99")


def test_office_area():
    idx = regions()
    assert [r.code for r in idx.kabkota_of("34.02")] == ["34.02"]
    assert {r.code for r in idx.kabkota_of("34")} == {"34.01", "34.02", "34.03", "34.04", "34.71"}
    assert idx.is_office("34")
    assert idx.is_office("34.02")
    assert not idx.is_office("34.99")


@pytest.mark.parametrize(
    ("raw", "group"),
    [
        ("Gerabah", CommodityGroup.GERABAH),
        ("Kerajinan Gerabah Hias", CommodityGroup.GERABAH),
        ("BATIK TULIS", CommodityGroup.KAIN_BATIK),
        ("Tenun Ikat", CommodityGroup.KAIN_TENUN),
        ("anyaman pandan", CommodityGroup.ANYAMAN),
        ("Keripik Tempe", CommodityGroup.MAKANAN_MINUMAN),
        ("Furnitur Kayu", CommodityGroup.LAINNYA),
        # Products the vocabulary knows, as kab/kota offices write them.
        ("Tahu", CommodityGroup.MAKANAN_MINUMAN),
        ("Pembuatan Tempe", CommodityGroup.MAKANAN_MINUMAN),
        ("Emping Melinjo", CommodityGroup.MAKANAN_MINUMAN),
        ("Ikan Asin", CommodityGroup.MAKANAN_MINUMAN),
        ("Gula Kelapa", CommodityGroup.MAKANAN_MINUMAN),
        ("Abon Ikan", CommodityGroup.MAKANAN_MINUMAN),
        ("Mebel Kayu", CommodityGroup.LAINNYA),
        ("Pandai Besi", CommodityGroup.LAINNYA),
    ],
)
def test_commodity_groups(raw, group):
    assert commodity_group_of(raw) == group


def test_unknown_commodity_has_no_group():
    assert commodity_group_of("xyzzy") is None
    assert commodity_group_of("  ") is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Kab. Gunung Kidul", "34.03"),
        ("Gunungkidul", "34.03"),
        ("Kab. Kulonprogo", "34.01"),
        ("Kulon Progo", "34.01"),
        ("Pekalongan Kota", "33.75"),
        ("Kab. Pekalongan", "33.26"),
        ("KAB BANTUL", "34.02"),
        ("Yogyakarta Kota", "34.71"),
        ("Bandung Kota", "32.73"),
    ],
)
def test_region_names_in_the_forms_offices_write(raw, code):
    assert regions().resolve_kabkota(raw, within=code[:2]).code == code
