"""Synthetic census rounds: one messy file per regional office, and the ground truth.

Each year the world evolves (sentra close, go silent, revive, appear), offices write
what they saw in their own style — XLSX with a title block, `;` CSV with Indonesian
numbers, JSON exports — with controlled mistakes. The truth says, for every data row
written, which real sentra it is and what a correct pipeline must conclude
(accepted, or rejected with which reason), so tests and benchmarks can score the
pipeline exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentra.reference import regions
from sentra.synth.world import World, make_sentra

STATUS_ACTIVE = ("Aktif", "masih aktif", "AKTIF", "Aktif berproduksi")
STATUS_INACTIVE = ("Tdk Aktif", "Tidak Aktif", "Tutup", "sudah tidak produksi")

HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "sentra_id": ("ID Sentra", "Kode Sentra"),
    "sentra_name": ("Nama Sentra", "NAMA SENTRA IKM", "Nama Sentra IKM"),
    "region_code": ("Kab/Kota", "Kabupaten/Kota", "Kode Kab/Kota", "Kab./Kota"),
    "kecamatan_code": ("Kode Kecamatan",),
    "commodity": ("Komoditas", "Produk", "Jenis Produk", "Komoditi"),
    "units": ("Jumlah Unit Usaha", "Jml. Unit Usaha", "Unit Usaha", "Jumlah IKM"),
    "workers": ("Tenaga Kerja", "Tenaga Kerja (orang)", "Jml. TK", "Jumlah Tenaga Kerja"),
    "production_value": ("Nilai Produksi (Rp)", "Nilai Produksi (Rp.)", "Nilai Produksi/Tahun"),
    "investment_value": ("Nilai Investasi (Rp)", "Investasi"),
    "address": ("Alamat", "Alamat Sentra", "Lokasi"),
    "latitude": ("Lintang", "Latitude"),
    "longitude": ("Bujur", "Longitude"),
    "reported_status": ("Status", "Status Sentra", "Kondisi"),
    "year_established": ("Tahun Berdiri", "Thn Berdiri"),
    "legal_basis": ("SK Penetapan", "Dasar Hukum", "No. SK"),
    "contact_name": ("Nama Kontak", "Contact Person", "Narahubung"),
    "contact_phone": ("No. HP", "No. Telp", "Telepon"),
}
JSON_KEYS = {
    "sentra_id": "id_sentra", "sentra_name": "nama_sentra", "region_code": "kab_kota",
    "kecamatan_code": "kode_kecamatan", "commodity": "komoditas", "units": "jumlah_unit_usaha",
    "workers": "tenaga_kerja", "production_value": "nilai_produksi",
    "investment_value": "nilai_investasi", "address": "alamat", "latitude": "latitude",
    "longitude": "longitude", "reported_status": "status", "year_established": "tahun_berdiri",
    "legal_basis": "sk_penetapan", "contact_name": "nama_kontak", "contact_phone": "no_hp",
}  # fmt: skip
BASE_COLUMNS = (
    "sentra_name", "region_code", "commodity", "units", "workers", "production_value",
    "investment_value", "address", "latitude", "longitude", "reported_status",
    "year_established", "legal_basis", "contact_name", "contact_phone",
)  # fmt: skip

# Injected mistakes and the reason code a correct pipeline must give.
ROW_ERRORS = {
    "invalid_region": "invalid_region",
    "region_mismatch": "region_mismatch",
    "negative_units": "negative_value",
    "workers_below_units": "workers_below_units",
    "coordinate_out_of_bounds": "coordinate_out_of_bounds",
    "implausible_year": "implausible_year",
    "invalid_number": "invalid_number",
    "missing_name": "missing_required",
}


@dataclass(frozen=True)
class Messiness:
    """Rates of each real-world quirk; 0 switches one off."""

    name_variant: float = 0.15  # respelled, abbreviated or upper-cased names (accepted)
    exact_duplicate: float = 0.01  # the same row twice in a file (2nd copy rejected)
    fuzzy_duplicate: float = 0.02  # the same sentra twice, respelled (merged)
    invalid_region: float = 0.008
    region_mismatch: float = 0.008
    negative_units: float = 0.006
    workers_below_units: float = 0.006
    coordinate_out_of_bounds: float = 0.006
    implausible_year: float = 0.006
    invalid_number: float = 0.006
    missing_name: float = 0.006
    blank_rows: float = 0.02
    totals_row: float = 0.4  # share of spreadsheet files ending with a totals row
    close_rate: float = 0.06  # alive sentra that close this year (reported inactive)
    silent_rate: float = 0.04  # alive sentra missing from their office's file
    closed_reported_again: float = 0.5  # closed earlier, still listed as inactive
    revive_rate: float = 0.15  # closed sentra reported active again
    new_rate: float = 0.04  # new sentra found in the field (no sentra_id yet)
    office_skip_rate: float = 0.05  # offices that submit nothing this year
    province_office_share: float = 0.5  # provinces whose office also submits a file
    province_overlap: float = 0.25  # share of the province's sentra in its own file


@dataclass
class RoundTruth:
    census_year: int
    rows: pd.DataFrame  # one row per data row written
    nondata: pd.DataFrame  # title, header, blank and totals rows
    entities: pd.DataFrame  # each entity's true state this year
    files: pd.DataFrame  # one row per file
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------- name variants


def _typo(name: str, rng: np.random.Generator) -> str:
    words = name.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5 and i > 0]
    if not long:
        return name.upper()
    i = int(rng.choice(long))
    w = words[i]
    j = int(rng.integers(1, len(w) - 2))
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def name_variant(name: str, kab_short: str, rng: np.random.Generator) -> str:
    """A respelling an office might write for the same sentra; never identical."""
    kind = int(rng.integers(0, 5))
    if kind == 0:
        out = name.replace("Sentra ", "Sntr. ", 1)
    elif kind == 1:
        out = name.upper()
    elif kind == 2:
        out = f"{name} {kab_short}".upper() if rng.random() < 0.5 else f"{name} {kab_short}"
    elif kind == 3:
        out = name.replace("Sentra ", "Sentra Kerajinan ", 1) if "Kerajinan" not in name else name
    else:
        out = _typo(name, rng)
    return out if out != name else f"{name} {kab_short}"


# ------------------------------------------------------------------ formatting


def _id_thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _money_text(value: int, rng: np.random.Generator) -> str:
    style = rng.random()
    if style < 0.2 and value % 10_000 == 0 and value >= 1_000_000:
        juta = value / 1_000_000
        text = f"{juta:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"{text} juta"
    if style < 0.45:
        return f"Rp {_id_thousands(value)},-"
    return _id_thousands(value)


def _coord_text(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


def _region_repr(code: str, office: str, rng: np.random.Generator) -> str:
    idx = regions()
    style = rng.random()
    if style < 0.25:
        return code
    if style < 0.45:
        return code.replace(".", "")
    if style < 0.55:
        return code.replace(".", "-")
    region = idx.kabkota[code]
    candidates = [region.name, region.name.upper()]
    if region.name.startswith("Kabupaten"):
        candidates += [f"Kab. {region.short_name}", region.short_name.upper()]
    choice = str(rng.choice(candidates))
    resolved = idx.resolve_kabkota(choice, within=office)
    return choice if resolved is not None and resolved.code == code else code


def _wrong_region(office: str, rng: np.random.Generator) -> str:
    """A real kab/kota code outside the office's area."""
    idx = regions()
    outside = [k for k in idx.kabkota if not k.startswith(office[:2])]
    return str(rng.choice(outside))


# ------------------------------------------------------------------- the rows


@dataclass
class _FileRows:
    office_code: str
    values: list[dict[str, Any]]  # canonical values, possibly with injected mistakes
    meta: list[dict[str, Any]]  # truth per row


def _office_rows(
    office: str,
    reported: pd.DataFrame,
    rng: np.random.Generator,
    mess: Messiness,
    *,
    with_ids: bool,
    province_file: bool,
) -> _FileRows:
    idx = regions()
    values: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    for rec in reported.to_dict("records"):
        kab_short = idx.kabkota[rec["region_code"]].short_name
        v = {c: rec.get(c) for c in BASE_COLUMNS}
        v["sentra_id"] = rec["sentra_id"] if with_ids else None
        v["kecamatan_code"] = rec["kecamatan_code"]
        v["reported_status"] = rec["_status"]
        quirks = []
        if rng.random() < mess.name_variant or province_file:
            v["sentra_name"] = name_variant(rec["sentra_name"], kab_short, rng)
            quirks.append("name_variant")
        error = None
        roll = rng.random()
        cum = 0.0
        for name in ROW_ERRORS:
            cum += getattr(mess, name)
            if roll < cum:
                error = name
                break
        if error:
            _inject(v, error, office, rng)
            quirks.append(error)
        m = {
            "entity_id": int(rec["entity_id"]),
            "sentra_id": rec["sentra_id"],
            "expected_verdict": "rejected" if error else "accepted",
            "expected_reasons": [ROW_ERRORS[error]] if error else [],
            "quirk": ",".join(quirks),
            "is_exact_duplicate_of": None,
        }
        values.append(v)
        meta.append(m)
        if not error and rng.random() < mess.exact_duplicate:
            values.append(dict(v))
            meta.append(
                {
                    **m,
                    "expected_verdict": "rejected",
                    "expected_reasons": ["duplicate_row"],
                    "quirk": "exact_duplicate",
                    "is_exact_duplicate_of": len(values) - 2,
                }
            )
        elif not error and rng.random() < mess.fuzzy_duplicate:
            dup = dict(v)
            dup["sentra_name"] = name_variant(rec["sentra_name"], kab_short, rng)
            if dup["sentra_name"] == v["sentra_name"]:
                dup["sentra_name"] = f"{v['sentra_name']} ({kab_short})"
            values.append(dup)
            meta.append({**m, "quirk": "fuzzy_duplicate"})
    return _FileRows(office, values, meta)


def _inject(v: dict[str, Any], error: str, office: str, rng: np.random.Generator) -> None:
    if error == "invalid_region":
        v["region_code"] = "99.99"
    elif error == "region_mismatch":
        v["region_code"] = _wrong_region(office, rng)
    elif error == "negative_units":
        v["units"] = -int(v["units"])
    elif error == "workers_below_units":
        v["units"] = max(int(v["units"]), 3)
        v["workers"] = v["units"] - 1
    elif error == "coordinate_out_of_bounds":
        v["latitude"] = 25.5
    elif error == "implausible_year":
        v["year_established"] = 2099
    elif error == "invalid_number":
        v["units"] = "banyak"
    elif error == "missing_name":
        v["sentra_name"] = ""


# ------------------------------------------------------------------- writers


def _header(col: str, rng: np.random.Generator) -> str:
    return str(rng.choice(HEADER_VARIANTS[col]))


def _columns(with_ids: bool, rng: np.random.Generator) -> list[str]:
    cols = list(BASE_COLUMNS)
    if rng.random() < 0.5:
        cols.insert(2, "kecamatan_code")
    if with_ids:
        cols.insert(0, "sentra_id")
    return cols


def _cell_xlsx(col: str, value: Any, office: str, rng: np.random.Generator) -> Any:
    if value is None or value == "":
        return None
    if col == "region_code":
        return _region_repr(value, office, rng) if value in regions().kabkota else value
    if col in ("production_value", "investment_value") and rng.random() < 0.2:
        return _money_text(int(value), rng)
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return value


def _cell_csv(col: str, value: Any, office: str, rng: np.random.Generator) -> str:
    if value is None or value == "":
        return ""
    if col == "region_code":
        return _region_repr(value, office, rng) if value in regions().kabkota else str(value)
    if col in ("production_value", "investment_value"):
        return _money_text(int(value), rng)
    if col in ("units", "workers") and isinstance(value, int | np.integer):
        return _id_thousands(int(value))
    if col in ("latitude", "longitude"):
        return _coord_text(float(value))
    return str(value)


def _cell_json(col: str, value: Any, office: str, rng: np.random.Generator) -> Any:
    if value is None or value == "":
        return None
    if col == "region_code":
        return _region_repr(value, office, rng) if value in regions().kabkota else value
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return value


def _plan_rows(n: int, rng: np.random.Generator, mess: Messiness) -> list[int | str]:
    """Order of data rows with blank rows interleaved ('blank')."""
    plan: list[int | str] = []
    for i in range(n):
        if rng.random() < mess.blank_rows:
            plan.append("blank")
        plan.append(i)
    return plan


def write_xlsx(
    path: Path,
    title: str,
    cols: list[str],
    fr: _FileRows,
    rng: np.random.Generator,
    mess: Messiness,
) -> tuple[list[dict], list[dict]]:
    import xlsxwriter

    headers = [_header(c, rng) for c in cols]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    # A fixed creation date keeps the bytes reproducible: same seed, same content hash.
    wb.set_properties({"created": datetime(2024, 1, 1, tzinfo=UTC), "author": "sentra synth"})
    bold = wb.add_format({"bold": True, "align": "center"})
    with_notes = rng.random() < 0.3
    if with_notes:
        notes = wb.add_worksheet("Petunjuk")
        notes.write(0, 0, "Petunjuk pengisian: isi satu baris untuk setiap sentra IKM.")
    ws = wb.add_worksheet("Data Sentra")
    last_col = len(cols)  # column 0 is "No"
    ws.merge_range(0, 0, 0, last_col, title, bold)
    ws.merge_range(1, 0, 1, last_col, "Hasil verifikasi lapangan", bold)
    ws.write_row(3, 0, ["No", *headers])
    nondata = [
        {"source_row": r, "kind": k}
        for r, k in ((1, "title"), (2, "title"), (3, "blank"), (4, "header"))
    ]
    rows_meta = []
    r = 4
    number = 0
    totals = {"units": 0, "workers": 0}
    for item in _plan_rows(len(fr.values), rng, mess):
        if item == "blank":
            nondata.append({"source_row": r + 1, "kind": "blank"})
            r += 1
            continue
        number += 1
        v = fr.values[item]
        ws.write(r, 0, number)
        for j, c in enumerate(cols, start=1):
            cell = _cell_xlsx(c, v.get(c), fr.office_code, rng)
            if cell is None:
                continue
            if isinstance(cell, str):
                ws.write_string(r, j, cell)
            else:
                ws.write(r, j, cell)
        for k in totals:
            if isinstance(v.get(k), int | np.integer):
                totals[k] += int(v[k])
        rows_meta.append({**fr.meta[item], "source_row": r + 1, "_index": item})
        r += 1
    if rng.random() < mess.totals_row:
        ws.write_string(r, cols.index("sentra_name") + 1, "Jumlah")
        for k, total in totals.items():
            ws.write(r, cols.index(k) + 1, total)
        nondata.append({"source_row": r + 1, "kind": "totals"})
    wb.close()
    return rows_meta, nondata


def write_csv(
    path: Path, cols: list[str], fr: _FileRows, rng: np.random.Generator, mess: Messiness
) -> tuple[list[dict], list[dict], str]:
    encoding = str(rng.choice(["utf-8", "utf-8-sig", "cp1252"], p=[0.5, 0.3, 0.2]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([_header(c, rng) for c in cols])
    nondata = [{"source_row": 1, "kind": "header"}]
    rows_meta = []
    line = 1
    for item in _plan_rows(len(fr.values), rng, mess):
        line += 1
        if item == "blank":
            writer.writerow([""] * len(cols))
            nondata.append({"source_row": line, "kind": "blank"})
            continue
        v = fr.values[item]
        writer.writerow([_cell_csv(c, v.get(c), fr.office_code, rng) for c in cols])
        rows_meta.append({**fr.meta[item], "source_row": line, "_index": item})
    text = buf.getvalue()
    if encoding == "cp1252":
        text = text.encode("cp1252", errors="replace").decode("cp1252")
    path.write_bytes(text.encode(encoding))
    return rows_meta, nondata, encoding


def write_json(path: Path, cols: list[str], fr: _FileRows, rng: np.random.Generator) -> list[dict]:
    records = []
    rows_meta = []
    for i, v in enumerate(fr.values):
        records.append({JSON_KEYS[c]: _cell_json(c, v.get(c), fr.office_code, rng) for c in cols})
        rows_meta.append({**fr.meta[i], "source_row": i + 1, "_index": i})
    payload: Any = {"data": records} if rng.random() < 0.5 else records
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return rows_meta


# ------------------------------------------------------------------ simulate


def _evolve(
    world: World, census_year: int, rng: np.random.Generator, mess: Messiness
) -> pd.DataFrame:
    """Each entity's state this year; appends new sentra to the world."""
    s = world.sentra
    n = len(s)
    state = np.full(n, "active", dtype=object)
    closed_before = np.array(
        [world.closed.get(int(e), 9999) < census_year for e in s["entity_id"]], dtype=bool
    )
    roll = rng.random(n)
    alive = ~closed_before
    state[alive & (roll < mess.close_rate)] = "closed_now"
    state[alive & (roll >= mess.close_rate) & (roll < mess.close_rate + mess.silent_rate)] = (
        "silent"
    )
    revive = closed_before & (roll < mess.revive_rate)
    state[revive] = "revived"
    again = closed_before & ~revive & (roll < mess.revive_rate + mess.closed_reported_again)
    state[again] = "closed_listed"
    state[closed_before & ~revive & ~again] = "closed_silent"
    for e, st in zip(s["entity_id"], state, strict=True):
        if st == "closed_now":
            world.closed[int(e)] = census_year
        elif st == "revived":
            world.closed.pop(int(e), None)
    # New sentra found in the field this year.
    n_new = round(n * mess.new_rate)
    if n_new:
        kab = rng.choice(s["region_code"].to_numpy(), n_new)
        new = make_sentra(rng, n_new, kab, world.next_entity)
        new["registered_year"] = census_year
        world.next_entity += n_new
        world.sentra = pd.concat([s, new], ignore_index=True)
        state = np.concatenate([state, np.full(n_new, "new", dtype=object)])
    out = world.sentra.copy()
    out["state"] = state
    # Attributes drift a little from year to year.
    drift = rng.integers(-2, 3, len(out))
    out["units"] = np.maximum(out["units"] + drift, 1)
    out["workers"] = np.maximum(out["workers"] + drift, out["units"])
    world.sentra["units"] = out["units"].to_numpy()
    world.sentra["workers"] = out["workers"].to_numpy()
    return out


def generate_round(
    world: World,
    *,
    census_year: int,
    landing_dir: Path,
    seed: int,
    messiness: Messiness | None = None,
    truth_dir: Path | None = None,
) -> RoundTruth:
    """Write one census year's submissions and return (and store) its truth."""
    mess = messiness or Messiness()
    rng = np.random.default_rng([seed, census_year])
    idx = regions()
    landing_dir = Path(landing_dir)
    truth_dir = Path(truth_dir) if truth_dir else landing_dir.parent / "truth"
    year_entities = _evolve(world, census_year, rng, mess)
    reported_states = {"active", "closed_now", "closed_listed", "revived", "new"}
    year_entities["_status"] = [
        str(rng.choice(STATUS_INACTIVE)) if st in ("closed_now", "closed_listed")
        else str(rng.choice(STATUS_ACTIVE))
        for st in year_entities["state"]
    ]  # fmt: skip
    offices = world.offices
    kab_offices = offices[offices["office_code"].str.len() > 2]["office_code"].tolist()
    prov_offices = offices[offices["office_code"].str.len() == 2]["office_code"].tolist()
    skipped = {o for o in kab_offices if rng.random() < mess.office_skip_rate}
    submitting_prov = [p for p in prov_offices if rng.random() < mess.province_office_share]

    all_rows, all_nondata, all_files = [], [], []
    plans: list[tuple[str, pd.DataFrame, bool]] = []
    for office in kab_offices:
        if office in skipped:
            continue
        mine = year_entities[
            (year_entities["region_code"] == office) & year_entities["state"].isin(reported_states)
        ]
        if len(mine):
            plans.append((office, mine, False))
    for prov in submitting_prov:
        mine = year_entities[
            (year_entities["province_code"] == prov) & year_entities["state"].isin(reported_states)
        ]
        mine = mine[rng.random(len(mine)) < mess.province_overlap]
        if len(mine):
            plans.append((prov, mine, True))

    for office, mine, province_file in plans:
        with_ids = bool(rng.random() < 0.5) and not province_file
        fr = _office_rows(office, mine, rng, mess, with_ids=with_ids, province_file=province_file)
        cols = _columns(with_ids, rng)
        fmt = str(rng.choice(["xlsx", "csv", "json"], p=[0.5, 0.35, 0.15]))
        name = idx.get(office).name
        folder = landing_dir / str(census_year) / office
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"sensus_sentra_{name.lower().replace(' ', '_')}_{census_year}"
        path = folder / f"{stem}.{fmt}"
        encoding, sheet = "utf-8", None
        if fmt == "xlsx":
            title = f"DATA SENTRA IKM {name.upper()} TAHUN {census_year}"
            meta, nondata = write_xlsx(path, title, cols, fr, rng, mess)
            sheet = "Data Sentra"
        elif fmt == "csv":
            meta, nondata, encoding = write_csv(path, cols, fr, rng, mess)
        else:
            meta, nondata = write_json(path, cols, fr, rng), []
        # Exact duplicates point at the first copy's source row.
        source_of = {m["_index"]: m["source_row"] for m in meta}
        for m in meta:
            m.pop("_index")
            first = m["is_exact_duplicate_of"]
            m["is_exact_duplicate_of"] = source_of[first] if first is not None else None
            m.update(office_code=office, file_name=path.name, sheet=sheet, census_year=census_year)
        all_rows.extend(meta)
        all_nondata.extend({**n, "office_code": office, "file_name": path.name} for n in nondata)
        all_files.append(
            {
                "office_code": office,
                "file_name": path.name,
                "format": fmt,
                "encoding": encoding,
                "with_ids": with_ids,
                "province_file": province_file,
                "n_rows": len(meta),
            }
        )

    truth = RoundTruth(
        census_year=census_year,
        rows=pd.DataFrame(all_rows),
        nondata=pd.DataFrame(
            all_nondata, columns=["office_code", "file_name", "source_row", "kind"]
        ),
        entities=year_entities.assign(
            census_year=census_year,
            office_skipped=year_entities["region_code"].isin(skipped),
        )[
            [
                "census_year",
                "entity_id",
                "sentra_id",
                "region_code",
                "province_code",
                "state",
                "office_skipped",
            ]
        ],
        files=pd.DataFrame(all_files),
        extra={"skipped_offices": sorted(skipped), "province_files": submitting_prov},
    )
    _write_truth(truth, truth_dir / str(census_year))
    return truth


def _write_truth(truth: RoundTruth, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = truth.rows.copy()
    rows["sentra_id"] = rows["sentra_id"].astype("string")
    rows["is_exact_duplicate_of"] = rows["is_exact_duplicate_of"].astype("Int64")
    rows.to_parquet(folder / "truth_rows.parquet", index=False)
    truth.nondata.to_parquet(folder / "truth_nondata.parquet", index=False)
    ent = truth.entities.copy()
    ent["sentra_id"] = ent["sentra_id"].astype("string")
    ent.to_parquet(folder / "truth_entities.parquet", index=False)
    truth.files.to_parquet(folder / "truth_files.parquet", index=False)


def simulate(
    world: World,
    *,
    census_years: Sequence[int],
    landing_dir: Path,
    seed: int,
    messiness: Messiness | None = None,
    truth_dir: Path | None = None,
) -> list[RoundTruth]:
    """Consecutive census rounds from one evolving world."""
    return [
        generate_round(
            world,
            census_year=year,
            landing_dir=landing_dir,
            seed=seed,
            messiness=messiness,
            truth_dir=truth_dir,
        )
        for year in sorted(census_years)
    ]
