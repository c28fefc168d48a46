"""Writing rows the way regional offices do: XLSX with a title block, `;` CSV, JSON.

Input is a frame of canonical values (one row per data row, injected mistakes already
in it); every cell is rendered vectorised — Indonesian thousands and decimal commas,
"Rp 1.250.000,-", "1,25 juta", region codes in any common form or as names — so a
million rows take seconds. Each writer returns the physical row number of every data
row (what the office sees) and the non-data rows (title, header, blank, totals), which
is exactly what the ground truth needs.
"""

from __future__ import annotations

import codecs
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentra.reference import regions

HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "sentra_id": ("ID Sentra", "Kode Sentra"),
    "sentra_name": ("Nama Sentra", "NAMA SENTRA IKM", "Nama Sentra IKM", "Sentra"),
    "region_code": ("Kab/Kota", "Kabupaten/Kota", "Kode Kab/Kota", "Kode Wilayah", "Kab./Kota"),
    "kecamatan_code": ("Kecamatan", "Kode Kecamatan"),
    "commodity": ("Komoditas", "Produk", "Jenis Produk", "Komoditi"),
    "units": ("Jumlah Unit Usaha", "Jml. Unit Usaha", "Unit Usaha", "Jumlah IKM", "Jml IKM"),
    "workers": ("Tenaga Kerja", "Tenaga Kerja (orang)", "Jml. TK", "Jumlah Tenaga Kerja"),
    "production_value": (
        "Nilai Produksi (Rp)",
        "Nilai Produksi (Rp.)",
        "Nilai Produksi/Tahun",
        "Omzet",
    ),
    "investment_value": ("Nilai Investasi (Rp)", "Investasi"),
    "address": ("Alamat", "Alamat Sentra", "Lokasi"),
    "latitude": ("Lintang", "Latitude"),
    "longitude": ("Bujur", "Longitude"),
    "coordinates": ("Koordinat",),
    "reported_status": ("Status", "Status Sentra", "Kondisi"),
    "year_established": ("Tahun Berdiri", "Thn Berdiri"),
    "legal_basis": ("SK Penetapan", "Dasar Hukum", "No. SK"),
    "contact_name": ("Nama Kontak", "Contact Person", "Narahubung", "Ketua Sentra"),
    "contact_phone": ("No. HP", "No. Telp", "Telepon"),
}
JSON_KEYS = {
    "sentra_id": "id_sentra", "sentra_name": "nama_sentra", "region_code": "kab_kota",
    "kecamatan_code": "kode_kecamatan", "commodity": "komoditas", "units": "jumlah_unit_usaha",
    "workers": "tenaga_kerja", "production_value": "nilai_produksi",
    "investment_value": "nilai_investasi", "address": "alamat", "latitude": "latitude",
    "longitude": "longitude", "coordinates": "koordinat", "reported_status": "status",
    "year_established": "tahun_berdiri", "legal_basis": "sk_penetapan",
    "contact_name": "nama_kontak", "contact_phone": "no_hp",
}  # fmt: skip

REGION_STYLES = ("dotted", "plain", "dashed", "name", "name_upper", "kab", "short_upper")
MONEY_STYLES = ("plain", "rp", "juta")
INSTRUCTIONS = (
    "PETUNJUK PENGISIAN",
    "1. Isi satu baris untuk setiap sentra IKM yang diverifikasi di lapangan.",
    "2. Kolom Status diisi Aktif / Tidak Aktif sesuai hasil kunjungan.",
    "3. Nilai produksi dan investasi dalam Rupiah per tahun.",
    "4. Sentra baru yang ditemukan ditambahkan di baris paling bawah tanpa ID Sentra.",
)


@dataclass
class FileStyle:
    """How one office writes its file; drawn once per file so the file is consistent."""

    columns: list[str]  # canonical columns in order (``coordinates`` = one combined column)
    headers: list[str]  # the spellings used, same order
    region_style: str = "dotted"
    money_style: str = "plain"
    numbers_as_text: bool = False  # XLSX: numbers typed as text ("1.250.000")
    numeric_codes: bool = False  # XLSX: plain region codes typed as numbers (3402)
    upper_commodity: bool = False
    number_column: bool = True  # a leading "No" column
    title_rows: list[str] = field(default_factory=list)
    blank_rate: float = 0.0
    totals_label: str | None = None
    instructions: str | None = None  # None, "before" or "after" the data sheet
    encoding: str = "utf-8"
    line_terminator: str = "\r\n"
    json_shape: str = "list"  # "list" or "data"


@dataclass
class Layout:
    """Where each data row landed, and what else the file holds."""

    source_row: np.ndarray  # per data row, the row number the office sees
    nondata: list[dict[str, Any]]  # {"sheet", "source_row", "kind"}
    sheet: str | None
    header_row: int | None


# ---------------------------------------------------------------- cell text


def thousands(values: pd.Series) -> pd.Series:
    """Integers with Indonesian thousands dots: 1250000 → "1.250.000"."""
    return values.map(lambda v: f"{v:,}".replace(",", "."))


def money_text(values: pd.Series, style: str, rng: np.random.Generator) -> pd.Series:
    """Rupiah as offices type it; each cell may stray from the file's own style."""
    text = thousands(values)
    styles = np.where(rng.random(len(values)) < 0.85, style, rng.choice(MONEY_STYLES, len(values)))
    rp = "Rp " + text + ",-"
    juta_ok = (values % 10_000 == 0) & (values >= 1_000_000)
    juta = (values / 1_000_000).map(
        lambda v: f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " juta"
    )
    out = np.where(styles == "rp", rp, text)
    return pd.Series(
        np.where((styles == "juta") & juta_ok.to_numpy(), juta, out), index=values.index
    )


def coord_text(values: pd.Series) -> pd.Series:
    """Decimal comma: -7.8123 → "-7,812300"."""
    return values.map(lambda v: f"{v:.6f}".replace(".", ","))


@cache
def _region_texts(code: str, scope: str) -> dict[str, str]:
    """Every way an office may write this kab/kota that still resolves to it in ``scope``."""
    idx = regions()
    out = {"dotted": code, "plain": code.replace(".", ""), "dashed": code.replace(".", "-")}
    region = idx.kabkota.get(code)
    if region is None:
        return out
    names = {"name": region.name, "name_upper": region.name.upper()}
    if region.name.startswith("Kabupaten"):
        names |= {"kab": f"Kab. {region.short_name}", "short_upper": region.short_name.upper()}
    for style, text in names.items():
        found = idx.resolve_kabkota(text, within=scope)
        if found is not None and found.code == code:
            out[style] = text
    return out


def _region_cells(codes: pd.Series, scope: str, style: str, rng: np.random.Generator) -> pd.Series:
    # Loop over distinct (code, style) pairs, not rows: a million rows have few of them.
    styles = pd.Series(
        np.where(rng.random(len(codes)) < 0.9, style, rng.choice(REGION_STYLES, len(codes))),
        index=codes.index,
    )
    key = codes.astype(str) + "|" + styles
    lookup = {}
    for k in pd.unique(key):
        code, st = k.split("|")
        texts = _region_texts(code, scope)
        lookup[k] = texts.get(st, texts["dotted"])
    return key.map(lookup)


def render(
    rows: pd.DataFrame, style: FileStyle, scope: str, fmt: str, rng: np.random.Generator
) -> dict[str, pd.Series]:
    """Cell values per output column: strings for CSV, typed values for XLSX/JSON.

    Empty cells are None. ``rows["_units_text"]`` overrides units with non-numeric text;
    rows with ``_copy_of >= 0`` repeat their original's cells exactly (duplicate rows).
    """
    text_numbers = fmt == "csv" or style.numbers_as_text
    out: dict[str, pd.Series] = {}
    n = len(rows)
    for col in style.columns:
        if col == "coordinates":
            both = rows["latitude"].notna() & rows["longitude"].notna()
            cell = (
                coord_text(rows["latitude"].fillna(0))
                + "; "
                + coord_text(rows["longitude"].fillna(0))
            )
            out[col] = _keep(cell, both)
            continue
        values = rows[col]
        present = values.notna()
        if values.dtype == object:
            present &= values.astype(str) != ""
        if col == "region_code":
            cell = _region_cells(values.fillna(""), scope, style.region_style, rng)
            if fmt == "xlsx" and style.numeric_codes:
                plain = cell.str.fullmatch(r"\d{4}").fillna(False)
                cell = cell.astype(object)
                cell[plain] = cell[plain].astype(int)
        elif col in ("production_value", "investment_value"):
            ints = values.fillna(0).astype(np.int64)
            if text_numbers:
                cell = money_text(ints, style.money_style, rng)
            else:
                cell = pd.Series(ints.to_numpy(dtype=object), index=values.index, dtype=object)
                # Some typed cells still carry "Rp" text: offices mix both.
                typed = rng.random(n) < 0.1
                if typed.any() and fmt == "xlsx":
                    cell[typed] = money_text(ints[typed], style.money_style, rng)
        elif col in ("units", "workers", "year_established"):
            ints = values.fillna(0).astype(np.int64)
            if text_numbers:
                cell = thousands(ints) if col != "year_established" else ints.astype(str)
            else:
                cell = pd.Series(ints.to_numpy(dtype=object), index=values.index, dtype=object)
        elif col in ("latitude", "longitude"):
            floats = values.fillna(0).astype(float)
            if fmt == "csv":
                cell = coord_text(floats)
            else:
                cell = pd.Series(floats.to_numpy(dtype=object), index=values.index, dtype=object)
        elif col == "commodity" and style.upper_commodity:
            cell = values.astype(str).str.upper()
        else:
            cell = values.astype(object)
        out[col] = _keep(cell, present)
    if "units" in out and "_units_text" in rows:
        bad = rows["_units_text"].notna()
        units = out["units"].to_numpy(dtype=object).copy()
        units[bad.to_numpy()] = rows["_units_text"].to_numpy(dtype=object)[bad.to_numpy()]
        out["units"] = pd.Series(units, index=rows.index, dtype=object)
    copy_of = rows["_copy_of"].to_numpy() if "_copy_of" in rows else np.full(n, -1)
    dup = np.flatnonzero(copy_of >= 0)
    if len(dup):
        for col, cell in out.items():
            values = cell.to_numpy(dtype=object).copy()
            values[dup] = values[copy_of[dup]]
            out[col] = pd.Series(values, index=cell.index, dtype=object)
    return out


def _keep(cell: pd.Series, mask: pd.Series) -> pd.Series:
    """Cells where ``mask`` holds, None elsewhere (``Series.where`` would put NaN there)."""
    values = cell.to_numpy(dtype=object).copy()
    values[~mask.to_numpy(dtype=bool)] = None
    return pd.Series(values, index=cell.index, dtype=object)


def _blank_plan(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """How many blank rows sit just before each data row (0 or 1)."""
    return (rng.random(n) < rate).astype(np.int64) if rate > 0 else np.zeros(n, dtype=np.int64)


def _totals(rows: pd.DataFrame, cells: dict[str, pd.Series]) -> dict[str, int]:
    out = {}
    for col in ("units", "workers", "production_value"):
        if col in cells:
            numeric = pd.to_numeric(rows[col], errors="coerce")
            if "_units_text" in rows and col == "units":
                numeric = numeric.where(rows["_units_text"].isna())
            out[col] = int(numeric.fillna(0).sum())
    return out


# ------------------------------------------------------------------- CSV


def write_csv(
    path: Path, rows: pd.DataFrame, style: FileStyle, scope: str, rng: np.random.Generator
) -> Layout:
    """`;`-separated, Indonesian number text, optional title lines, chosen encoding."""
    cells = render(rows, style, scope, "csv", rng)
    n = len(rows)
    width = len(style.columns) + int(style.number_column)
    lines: list[str] = []
    nondata: list[dict[str, Any]] = []
    for title in style.title_rows:
        lines.append(title + ";" * (width - 1))
        nondata.append({"source_row": len(lines), "kind": "title"})
    if style.title_rows:
        lines.append(";" * (width - 1))
        nondata.append({"source_row": len(lines), "kind": "blank"})
    header = (["No"] if style.number_column else []) + style.headers
    lines.append(";".join(_quote(pd.Series(header)).tolist()))
    header_row = len(lines)
    nondata.append({"source_row": header_row, "kind": "header"})

    blanks = _blank_plan(n, style.blank_rate, rng)
    source_row = header_row + np.arange(1, n + 1) + np.cumsum(blanks)
    nondata += [{"source_row": int(r) - 1, "kind": "blank"} for r in source_row[blanks > 0]]
    eol = style.line_terminator
    blank_line = ";" * (width - 1) + eol
    # One incremental encoder: "utf-8-sig" must write its BOM once, not once per chunk.
    encode = codecs.getincrementalencoder(style.encoding)().encode
    with path.open("wb") as fh:
        fh.write(encode(eol.join(lines) + eol))
        # Chunks keep the text of a million-row file from existing several times over.
        for start in range(0, n, CSV_CHUNK_ROWS):
            part = slice(start, start + CSV_CHUNK_ROWS)
            parts = [
                _quote(cells[c].iloc[part].fillna("").astype(str))
                if c in FREE_TEXT
                else cells[c].iloc[part].fillna("").astype(str)
                for c in style.columns
            ]
            if style.number_column:
                numbers = np.arange(start + 1, start + 1 + len(parts[0])).astype(str)
                parts.insert(0, pd.Series(numbers, index=parts[0].index))
            body = parts[0].str.cat(parts[1:], sep=";") if len(parts) > 1 else parts[0]
            data = (body + eol).to_numpy(dtype=object)
            gap = blanks[part].astype(bool)
            if gap.any():
                data = np.where(gap, blank_line + data, data)
            fh.write(encode("".join(data.tolist())))
        if style.totals_label:
            sums = _totals(rows, cells)
            total_cells = [
                style.totals_label if c == "sentra_name" else thousands(pd.Series([sums[c]]))[0]
                if c in sums else ""
                for c in style.columns
            ]  # fmt: skip
            line = ";".join(([""] if style.number_column else []) + total_cells) + eol
            fh.write(encode(line))
            last = int(source_row[-1]) if n else header_row
            nondata.append({"source_row": last + 1, "kind": "totals"})
    return Layout(source_row=source_row, nondata=nondata, sheet=None, header_row=header_row)


CSV_CHUNK_ROWS = 100_000

# Columns whose text may contain the delimiter or quotes; numbers and codes never do.
FREE_TEXT = frozenset(
    {"sentra_name", "address", "legal_basis", "contact_name", "coordinates", "commodity",
     "reported_status", "sentra_id", "kecamatan_code", "contact_phone"}
)  # fmt: skip


def _quote(values: pd.Series) -> pd.Series:
    """CSV quoting only where a cell needs it, as spreadsheet exports do."""
    needs = values.str.contains(r'[;"\r\n]', regex=True)
    if not needs.any():
        return values
    quoted = '"' + values.str.replace('"', '""', regex=False) + '"'
    return values.where(~needs, quoted)


# ------------------------------------------------------------------- XLSX

DATA_SHEET = "Data Sentra"


def write_xlsx(
    path: Path, rows: pd.DataFrame, style: FileStyle, scope: str, rng: np.random.Generator
) -> Layout:
    """A workbook with a merged title block, a header row and the data (constant memory)."""
    import xlsxwriter

    cells = render(rows, style, scope, "xlsx", rng)
    n = len(rows)
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
    )
    # A fixed creation date keeps the bytes reproducible: same seed, same content hash.
    wb.set_properties({"created": datetime(2024, 1, 1, tzinfo=UTC), "author": "sentra synth"})
    title_fmt = wb.add_format({"bold": True, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "border": 1, "text_wrap": True})
    nondata: list[dict[str, Any]] = []
    notes = None
    if style.instructions == "before":
        notes = wb.add_worksheet("Petunjuk")
    ws = wb.add_worksheet(DATA_SHEET)
    if style.instructions == "after":
        notes = wb.add_worksheet("Petunjuk")
    if notes is not None:
        for i, line in enumerate(INSTRUCTIONS):
            notes.write_string(i, 0, line)
            nondata.append({"sheet": "Petunjuk", "source_row": i + 1, "kind": "instructions"})

    width = len(style.columns) + int(style.number_column)
    r = 0
    for title in style.title_rows:
        ws.merge_range(r, 0, r, width - 1, title, title_fmt)
        r += 1
        nondata.append({"sheet": DATA_SHEET, "source_row": r, "kind": "title"})
    if style.title_rows:
        r += 1  # the empty row under the title block
        nondata.append({"sheet": DATA_SHEET, "source_row": r, "kind": "blank"})
    header = (["No"] if style.number_column else []) + style.headers
    ws.write_row(r, 0, header, head_fmt)
    r += 1
    header_row = r
    nondata.append({"sheet": DATA_SHEET, "source_row": r, "kind": "header"})

    blanks = _blank_plan(n, style.blank_rate, rng)
    source_row = header_row + np.arange(1, n + 1) + np.cumsum(blanks)
    columns = [cells[c].to_numpy(dtype=object) for c in style.columns]
    offset = int(style.number_column)
    for i in range(n):
        row = int(source_row[i]) - 1
        if blanks[i]:
            nondata.append({"sheet": DATA_SHEET, "source_row": row, "kind": "blank"})
        if offset:
            ws.write_number(row, 0, i + 1)
        for j, col in enumerate(columns):
            value = col[i]
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(row, j + offset, value)
            else:
                ws.write_number(row, j + offset, value)
    if style.totals_label:
        sums = _totals(rows, cells)
        row = int(source_row[-1]) if n else header_row
        name_at = style.columns.index("sentra_name") + offset
        ws.write_string(row, name_at, style.totals_label)
        for col, total in sums.items():
            ws.write_number(row, style.columns.index(col) + offset, total)
        nondata.append({"sheet": DATA_SHEET, "source_row": row + 1, "kind": "totals"})
    wb.close()
    return Layout(source_row=source_row, nondata=nondata, sheet=DATA_SHEET, header_row=header_row)


# ------------------------------------------------------------------- JSON


def write_json(
    path: Path, rows: pd.DataFrame, style: FileStyle, scope: str, rng: np.random.Generator
) -> Layout:
    """A list of snake_case records, or ``{"data": [...]}`` as some portals export."""
    cells = render(rows, style, scope, "json", rng)
    keys = [JSON_KEYS[c] for c in style.columns]
    columns = [cells[c].tolist() for c in style.columns]
    records = [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
    payload: Any = {"data": records} if style.json_shape == "data" else records
    buf = io.StringIO()
    json.dump(payload, buf, ensure_ascii=False, indent=1)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return Layout(source_row=np.arange(1, len(rows) + 1), nondata=[], sheet=None, header_row=None)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}
