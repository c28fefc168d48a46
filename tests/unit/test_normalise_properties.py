"""Property-based tests of the Indonesian value parsers (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sentra.ingest.normalise import (
    clean_text,
    clean_text_array,
    clean_text_many,
    parse_column,
    parse_coordinate,
    parse_date,
    parse_int,
    parse_many,
    parse_money,
    parse_status,
    split_coordinates,
    starts_with_any,
)

MONTH_NAMES = {
    1: "januari",
    2: "februari",
    3: "maret",
    4: "april",
    5: "mei",
    6: "juni",
    7: "juli",
    8: "agustus",
    9: "september",
    10: "oktober",
    11: "november",
    12: "desember",
}


def id_thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@given(st.integers(min_value=0, max_value=10**13))
def test_any_integer_with_thousand_dots_parses_back(n):
    assert parse_int(id_thousands(n)) == (n, None)
    assert parse_money(id_thousands(n)) == (n, None)
    assert parse_money(f"Rp {id_thousands(n)},-") == (n, None)
    assert parse_money(f"Rp. {id_thousands(n)}") == (n, None)


@given(st.integers(min_value=1, max_value=10**9))
def test_negative_values_keep_their_sign(n):
    assert parse_int(f"-{id_thousands(n)}") == (-n, None)
    assert parse_money(f"-{n}") == (-n, None)


@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["juta", "Juta"]))
def test_juta_amounts(cents, word):
    whole, frac = divmod(cents, 100)
    text = f"{whole},{frac:02d} {word}" if frac else f"{whole} {word}"
    assert parse_money(text) == (cents * 10_000, None)


@given(st.integers(min_value=-110_000_000, max_value=60_000_000))
def test_decimal_comma_and_point_coordinates_round_trip(micro):
    value = micro / 10**7
    text = f"{value:.7f}"
    assert parse_coordinate(text) == (float(text), None)
    assert parse_coordinate(text.replace(".", ",")) == (float(text), None)


@given(
    st.integers(min_value=-110_000, max_value=60_000),
    st.integers(min_value=950_000, max_value=1_410_000),
)
def test_single_koordinat_cell_splits(lat_m, lon_m):
    lat, lon = lat_m / 10**4, lon_m / 10**4
    text = f"{lat:.4f}; {lon:.4f}".replace(".", ",")
    (got_lat, got_lon), problem = split_coordinates(text)
    assert problem is None
    assert (got_lat, got_lon) == (round(lat, 4), round(lon, 4))


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_indonesian_dates_parse_back(d):
    month = MONTH_NAMES[d.month]
    assert parse_date(f"{d.day} {month.capitalize()} {d.year}") == (d, None)
    assert parse_date(f"{d.day:02d}/{d.month:02d}/{d.year}") == (d, None)
    assert parse_date(d.isoformat()) == (d, None)


@settings(deadline=None)  # the first odd amount imports lokal; timing is the benchmark's job
@given(st.text(max_size=30))
def test_parsers_never_raise_on_any_text(text):
    for parser in (parse_int, parse_money, parse_coordinate, parse_date, parse_status):
        _, problem = parser(text)
        assert problem is None or isinstance(problem, str)
    split_coordinates(text)


# Text made of what numbers are written with: signs, separators, "Rp", units, spaces.
NUMBER_LIKE = st.text(alphabet="0123456789+-., Rpjuta", max_size=14)


@settings(deadline=None)  # the first call imports Arrow's compute kernels
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-(10**6), 10**9).map(id_thousands),
            st.text(max_size=8),
            NUMBER_LIKE,
        ),
        max_size=40,
    )
)
@example(["+40", "+1.250.000", "+7,5", "-40"])  # a plus sign: found by fuzzing a whole file
def test_vectorised_path_equals_parsing_each_value(values):
    for kind, parser in (
        ("int", parse_int),
        ("money", parse_money),
        ("coordinate", parse_coordinate),
    ):
        fast = parse_many(values, kind, parser)
        if fast is None:
            continue
        assert fast == ([parser(v)[0] for v in values], [parser(v)[1] for v in values])


# Characters the text cleaning treats specially, among ordinary ones.
ODD_TEXT = st.lists(
    st.sampled_from(
        [
            *"aZ9 .-=é",
            *("  ", "\t", "\n", "\r", "\x0b", "\x1c", "\x00", "\x7f", "\x85", "\u00a0"),
            *("\u2003", "\u3000", "\u200b", "\u200e", "\ufeff", "\u2060", "e\u0301", "\u0301"),
            "\U0001f600",
        ]
    ),
    max_size=12,
).map("".join)


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), ODD_TEXT, st.text(max_size=6)), max_size=30))
@example(["a  b", "\u00e9  x", "x ", " y", "", None, "  "])
def test_text_column_cleans_as_each_value_would(values):
    assert clean_text_many(values) == [clean_text(v) for v in values]


@settings(deadline=None)
@given(
    st.lists(st.one_of(st.none(), ODD_TEXT), max_size=20),
    st.integers(min_value=0, max_value=11),
)
def test_a_slice_of_a_text_column_cleans_like_its_own_cells(values, skip):
    """Arrow slices share their parent's buffers at an offset: the byte-level tests and
    the null bitmap must honour it."""
    import pyarrow as pa

    column = pa.array(["=x "] * skip + values, pa.string()).slice(skip)
    assert clean_text_array(column).to_pylist() == [clean_text(v) for v in values]


@given(st.lists(st.one_of(st.none(), ODD_TEXT), max_size=20))
@example(["=SUM(A1)", "+62 812", "@x", "a=b", "", None, "\u00e9="])
def test_formula_prefixes_found_as_startswith_would(values):
    import pyarrow as pa

    prefixes = ("=", "+", "@", "\u00e9")
    found = starts_with_any(pa.array(values, pa.string()), prefixes).to_pylist()
    assert found == [v is not None and v.startswith(prefixes) for v in values]


SPREADSHEET_CELLS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e12).map(round).map(float),  # whole numbers
    st.sampled_from([2.5, -0.5, 0.5, -0.0, 2.0**63, -(2.0**63), 9.223372036854775e18, 1e300]),
    st.integers(-(10**6), 10**12),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30]),
    st.booleans(),
    st.integers(-(10**6), 10**9).map(id_thousands),
    st.sampled_from(["", "  ", "12,5", "Rp 1.250.000,-", "1,25 juta", "-7,8123", "abc"]),
    st.text(max_size=8),
    st.just(datetime(2024, 8, 12)),
)


@settings(deadline=None)
@given(st.lists(SPREADSHEET_CELLS, max_size=40))
@example([float("nan"), float("inf"), -(2**63), 2.5, True, None, ""])
def test_mixed_spreadsheet_cells_parse_as_each_value_would(values):
    """Excel floats and JSON integers take numpy, text takes Arrow: same result per cell."""
    for kind, parser in (
        ("int", parse_int),
        ("money", parse_money),
        ("coordinate", parse_coordinate),
    ):
        typed, codes = parse_column(values, kind)
        assert typed.to_pylist() == [parser(v)[0] for v in values], kind
        assert codes.to_pylist() == [parser(v)[1] for v in values], kind


@given(st.sampled_from(["Aktif", "masih aktif", "AKTIF", "aktif berproduksi", "Beroperasi"]))
def test_active_words(text):
    assert parse_status(text) == ("active", None)


@given(
    st.sampled_from(
        ["Tdk Aktif", "Tidak Aktif", "Tutup", "sudah tidak produksi", "non aktif", "Bubar", "vakum"]
    )
)
def test_inactive_words(text):
    assert parse_status(text) == ("inactive", None)


@pytest.mark.parametrize(
    "text",
    ["Kurang Aktif", "kurang aktif", "K. Aktif", "KURANG AKTIF", "Krg aktif", "kurang berproduksi"],
)
def test_kurang_aktif_is_its_own_status_not_closed(text):
    assert parse_status(text) == ("less_active", None)


@pytest.mark.parametrize("text", ["Pindah lokasi", "pindah", "Musiman", "entahlah"])
def test_words_the_rules_do_not_know_are_never_guessed(text):
    assert parse_status(text) == (None, "unknown_status")
