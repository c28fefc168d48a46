"""Personal data typed into free text never reaches the warehouse."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sentra.privacy import find_personal_data, mask_personal_data
from sentra.warehouse.tables import TABLES, conform

PHONE = "[nomor telepon disamarkan]"


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("hubungi Pak Darto 0812-2764-1190", f"hubungi Pak Darto {PHONE}"),
        ("HP 081227641190 (WA)", f"HP {PHONE} (WA)"),
        ("ketua: Bu Sri, +62 813 2764 1190", f"ketua: Bu Sri, {PHONE}"),
        ("telp. 62 856.1234.567", f"telp. {PHONE}"),
        ("Kantor desa (0274) 512345", f"Kantor desa {PHONE}"),
        ("Telp 021-5551234, Jl. Melati 3", f"Telp {PHONE}, Jl. Melati 3"),
        ("surel: kelompok.batik@gmail.com", "surel: [email disamarkan]"),
        ("NIK 3402145708800003 salah kolom", "NIK [NIK disamarkan] salah kolom"),
    ],
)
def test_personal_data_in_free_text_is_masked(typed, masked):
    assert mask_personal_data(pa.array([typed])).to_pylist() == [masked]
    assert find_personal_data(typed), "the check finds what the mask hides"


@pytest.mark.parametrize(
    "text",
    [
        "Dusun Kasongan RT 05 RW 02, Bangunjiwo, Kasihan",
        "Jl. Parangtritis Km 6,5 No. 112",
        "Berdiri 1985; 120 unit usaha, omzet Rp 6.250.000.000 per tahun",
        "koordinat -0.8123456, 117.1234567",
        "SK Bupati No. 050/1234/2019",
        "kode pos 55184",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask_personal_data(pa.array([text, None])).to_pylist() == [text, None]
    assert find_personal_data(text) == []


# Fragments that make personal data when cells run together, and some that are it.
_PIECES = ["0812", "3456", "7890", "12345678", "1234567890123456", "+62", " 8", "(0274)",
           " 512345", "kelompok", "@", "gmail.com", ".", "-", " ", "Jl. Melati 3", "RT 05",
           "No. 112", "a"]  # fmt: skip


@given(
    cells=st.lists(
        st.none() | st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=40
    ),
    block=st.integers(min_value=1, max_value=7),
    skip=st.integers(min_value=0, max_value=3),
    large=st.booleans(),
)
# A cell that matches alone but not after a word character, or before one: a search of
# the run with word boundaries would miss it.
@example(cells=["a", "081234567890"], block=2, skip=0, large=False)
@example(cells=["1234567890123456", "7"], block=4, skip=1, large=True)
def test_masking_a_column_masks_each_cell_as_alone(cells, block, skip, large):
    """Runs of cells are searched together first; no cell may be masked or missed because
    of its neighbours, wherever the runs are cut, in a slice or in a large_string array."""
    from unittest import mock

    from sentra import privacy

    padded = pa.array(["0812"] * skip + cells, pa.large_string() if large else pa.string())
    values = padded.slice(skip)  # the cells at an offset in their buffers
    expected = [None if v is None else privacy.mask_text(v) for v in values.to_pylist()]
    with mock.patch.object(privacy, "BLOCK_CELLS", block):  # every cell as if alone
        assert privacy.mask_personal_data(values).to_pylist() == expected


def test_only_text_can_be_masked():
    with pytest.raises(TypeError, match="only text"):
        mask_personal_data(pa.array([1, 2]))


def test_conform_masks_every_free_text_column_on_the_way_in():
    spec = TABLES["submission_rows"]
    free = [c.name for c in spec.columns if c.free_text]
    assert {"address", "remarks", "problems"} <= set(free)
    row = {c.name: None for c in spec.columns}
    row.update(
        census_year=2026,
        submission_id="s1",
        record_key="s1#7",
        source_row=7,
        verdict="rejected",
        reason_codes=["units_not_integer"],
        address="Dusun Kasongan, HP 0812-2764-1190",
        remarks="hubungi kelompok.batik@gmail.com",
        problems='[{"column": "units", "value": "081227641190"}]',
    )
    table = conform("submission_rows", pa.Table.from_pylist([row]))
    out = table.to_pylist()[0]
    assert out["address"] == f"Dusun Kasongan, HP {PHONE}"
    assert out["remarks"] == "hubungi [email disamarkan]"
    assert out["problems"] == f'[{{"column": "units", "value": "{PHONE}"}}]'
    assert out["record_key"] == "s1#7", "keys and codes are not free text: untouched"


# The probes (#29), each (text as typed, the personal datum in it). The last
# block is text that reaches the warehouse outside Keterangan/Alamat: names, file names.
PROBES = [
    ("hubungi Pak Darto 0812-2764-1190", "0812-2764-1190"),
    ("HP 081227641190 (WA)", "081227641190"),
    ("ketua: Bu Sri, +62 813 2764 1190", "+62 813 2764 1190"),
    ("telp. 62 856.1234.567", "62 856.1234.567"),
    ("Kantor desa (0274) 512345", "(0274) 512345"),
    ("Telp 021-5551234, Jl. Melati 3", "021-5551234"),
    ("surel: kelompok.batik@gmail.com", "kelompok.batik@gmail.com"),
    ("NIK 3402145708800003 salah kolom", "3402145708800003"),
    ("NIK 3402 1457 0880 0003", "3402 1457 0880 0003"),
    ("NIK: 34.02.14.570880.0003", "34.02.14.570880.0003"),
    ("nik 340214-570880-0003 (ketua)", "340214-570880-0003"),
    ("telp kantor 0274512345", "0274512345"),
    ("kantor dinas +62 21 5551234", "+62 21 5551234"),
    ("hub. 021-555-1234", "021-555-1234"),
    ("WA +62 (812) 2764-1190", "+62 (812) 2764-1190"),
    ("surel budi[at]gmail.com", "budi[at]gmail.com"),
    ("kirim ke nama[at]domain", "nama[at]domain"),
    ("budi(at)gmail(dot)com", "budi(at)gmail(dot)com"),
    ("email: budi at gmail dot com", "budi at gmail dot com"),
    ("ani [at] yahoo [dot] co [dot] id", "ani [at] yahoo [dot] co [dot] id"),
    ("KETUA BUDI[AT]GMAIL[DOT]COM", "BUDI[AT]GMAIL[DOT]COM"),
    ("+6281227641190", "+6281227641190"),
    ("0812 2764 1190 (Bu Ani)", "0812 2764 1190"),
    ("kantor (021) 555 1234", "(021) 555 1234"),
    ("hp 0812.2764.1190", "0812.2764.1190"),
    ("fax +62-274-512345", "+62-274-512345"),
    ("kontak: ani.s@desa.id / 0813-2764-1190", "0813-2764-1190"),
    # names (sentra_name, duplicate-candidate names) and file names
    ("Sentra Batik Pak Darto 0812-2764-1190", "0812-2764-1190"),
    ("Sentra Gerabah (hub. bu.sri@gmail.com)", "bu.sri@gmail.com"),
    ("rekap_sentra_0812-2764-1190.xlsx", "0812-2764-1190"),
    ("data_3402145708800003.csv", "3402145708800003"),
]


def test_there_are_31_probes():
    assert len(PROBES) == 31


@pytest.mark.parametrize(("typed", "datum"), PROBES, ids=[p[1] for p in PROBES])
def test_every_probe_is_masked(typed, datum):
    masked = mask_personal_data(pa.array([typed])).to_pylist()[0]
    assert datum not in masked, masked
    assert "disamarkan]" in masked
    assert not [d for d in re.findall(r"\d{4,}", masked) if d in re.sub(r"\D", "", datum)], (
        f"digits of {datum!r} left in {masked!r}"
    )


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("submissions", "file_name"),
        ("submission_rows", "source_file"),
        ("submission_rows", "sentra_name"),
        ("duplicate_candidates", "left_name"),
        ("duplicate_candidates", "right_name"),
    ],
)
def test_names_and_file_names_are_masked_in_the_warehouse(table, column):
    spec = TABLES[table]
    assert spec.columns[spec.names.index(column)].free_text, f"{table}.{column}"
