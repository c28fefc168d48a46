"""Synthetic census rounds: one messy file per regional office, and the ground truth.

Each year the world evolves (sentra close, go silent, revive, appear), offices write
what they saw in their own style — XLSX with a title block, `;` CSV with Indonesian
numbers, JSON exports — with controlled mistakes. The truth says, for every data row
written, which real sentra it is and what a correct pipeline must conclude
(accepted, or rejected with which reason), so tests and benchmarks can score the
pipeline exactly. Each bad row carries exactly one injected mistake, so its expected
reason is unambiguous.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentra.reference import regions
from sentra.synth.render import HEADER_VARIANTS, MONEY_STYLES, WRITERS, FileStyle, Layout
from sentra.synth.words import ACCENTED_FIRST_NAMES
from sentra.synth.world import World, make_sentra

STATUS_ACTIVE = ("Aktif", "masih aktif", "AKTIF", "Aktif berproduksi")
STATUS_INACTIVE = ("Tdk Aktif", "Tidak Aktif", "Tutup", "sudah tidak produksi")
DEFAULT_FORMATS: dict[str, float] = {"xlsx": 0.5, "csv": 0.35, "json": 0.15}

# Injected mistakes (Messiness field names) and the one reason code each must produce.
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
UNITS_NOT_A_NUMBER = ("banyak", "puluhan", "belasan")

# Detailed yearly state -> the state vocabulary of the truth tables.
TRUE_STATE = {
    "active": "active",
    "closed_now": "closed",
    "closed_listed": "closed",
    "closed_silent": "closed",
    "silent": "missing_from_file",
    "revived": "revived",
    "new": "new",
}
REPORTED_STATES = ("active", "closed_now", "closed_listed", "revived", "new")

CANONICAL = (
    "sentra_id", "sentra_name", "region_code", "kecamatan_code", "commodity", "units",
    "workers", "production_value", "investment_value", "address", "latitude", "longitude",
    "reported_status", "year_established", "legal_basis", "contact_name", "contact_phone",
)  # fmt: skip


@dataclass(frozen=True)
class Messiness:
    """Rates of each real-world quirk; 0 switches one off.

    Row-error rates are per data row and mutually exclusive (one mistake per bad row).
    """

    name_variant: float = 0.15  # respelled, abbreviated or upper-cased names (accepted)
    exact_duplicate: float = 0.01  # the same row twice in a file (2nd copy rejected)
    fuzzy_duplicate: float = 0.02  # the same sentra twice, respelled (merged)
    invalid_region: float = 0.008
    region_mismatch: float = 0.008
    negative_units: float = 0.008
    workers_below_units: float = 0.008
    coordinate_out_of_bounds: float = 0.008
    implausible_year: float = 0.008
    invalid_number: float = 0.008
    missing_name: float = 0.008
    blank_rows: float = 0.02  # chance of a blank row before each data row (XLSX/CSV)
    totals_row: float = 0.4  # share of XLSX files ending with a totals row (CSV: half)
    close_rate: float = 0.06  # alive sentra that close this year (reported inactive)
    silent_rate: float = 0.04  # alive sentra missing from their office's file
    closed_reported_again: float = 0.5  # closed earlier, still listed as inactive
    revive_rate: float = 0.15  # closed sentra reported active again
    new_rate: float = 0.04  # new sentra found in the field (no sentra_id yet)
    office_skip_rate: float = 0.05  # kab/kota offices that submit nothing this year
    province_office_share: float = 0.5  # provinces whose office also submits a file
    province_overlap: float = 0.6  # share of a covered kab/kota's sentra in that file

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Messiness.{f.name} must be between 0 and 1, got {value}")
        if sum(getattr(self, k) for k in ROW_ERRORS) > 1.0:
            raise ValueError("Messiness row-error rates add up to more than 1")


@dataclass
class RoundTruth:
    """What a correct pipeline must conclude about one census year's files."""

    census_year: int
    rows: pd.DataFrame  # one row per data row written
    nondata: pd.DataFrame  # title, header, blank, totals and instruction rows
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


# Old (pre-1972) spellings offices still write: Boeroean for Buruan, Djati for Jati.
_OLD_SPELLING = (("u", "oe"), ("j", "dj"), ("c", "tj"))
# Commodity spellings of one product (sentra.matching's vocabulary maps them back).
_COMMODITY_RESPELLINGS = (("Keripik", "Kripik"), ("Kerupuk", "Krupuk"), ("Mebel", "Meubel"))


def _old_spelling(name: str, rng: np.random.Generator) -> str:
    """One identifying word in old spelling (``Sentra Anyam Lidi Buruan`` → ``…
    Boeroean``); the name unchanged when no word has a letter to respell."""
    words = name.split(" ")
    for i in rng.permutation(len(words)):
        if i == 0:
            continue
        for new, old in _OLD_SPELLING:
            if new in words[i]:
                words[i] = words[i].replace(new, old)
                return " ".join(words)
    return name


def _split_or_join(name: str, rng: np.random.Generator) -> str:
    """A compound split (``Sukamaju`` → ``Suka Maju``) or two words joined."""
    words = name.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 8 and i > 0]
    if long and rng.random() < 0.5:
        i = int(rng.choice(long))
        cut = len(words[i]) // 2
        words[i] = f"{words[i][:cut]} {words[i][cut:].capitalize()}"
        return " ".join(words)
    if len(words) >= 3:
        i = int(rng.integers(1, len(words) - 1))
        return " ".join([*words[:i], words[i] + words[i + 1].lower(), *words[i + 2 :]])
    return name


def name_variant(name: str, kab_short: str, rng: np.random.Generator) -> str:
    """A respelling an office might write for the same sentra; never identical."""
    kind = int(rng.integers(0, 10))
    if kind == 0:
        out = name.replace("Sentra ", "Sntr. ", 1)
    elif kind == 1:
        out = name.upper()
    elif kind == 2:
        out = f"{name} {kab_short}".upper() if rng.random() < 0.5 else f"{name} {kab_short}"
    elif kind == 3:
        out = name.replace("Sentra ", "Sentra Kerajinan ", 1) if "Kerajinan" not in name else name
    elif kind == 4:
        out = name.replace("Sentra IKM ", "Sentra ", 1).replace(" Desa ", " Ds. ", 1)
    elif kind == 6:
        out = _old_spelling(name, rng)
    elif kind == 7:
        out = _split_or_join(name, rng)
    elif kind == 8:  # a template word added: "Sentra IKM", "Sentra Industri"
        prefix = "Sentra IKM " if rng.random() < 0.5 else "Sentra Industri "
        out = name.replace("Sentra ", prefix, 1) if "IKM" not in name else name
    elif kind == 9:
        out = name
        for canonical, variant in _COMMODITY_RESPELLINGS:
            out = out.replace(canonical, variant)
        if out == name:
            out = _old_spelling(name, rng)
    else:
        out = _typo(name, rng)
    return out if out != name else f"{name} {kab_short}"


# ------------------------------------------------------------------- the rows


def _nonexistent_codes(province: str) -> list[str]:
    """Kab/kota-shaped codes in the province that do not exist (a typo or an old code)."""
    idx = regions()
    return [
        f"{province}.{n:02d}" for n in range(50, 70) if f"{province}.{n:02d}" not in idx.kabkota
    ]


def _mismatched_codes(office: str) -> list[str]:
    """Real kab/kota outside the office's area: a neighbour first, else another province."""
    idx = regions()
    mine = {r.code for r in idx.kabkota_of(office)}
    siblings = [k for k in idx.kabkota if k[:2] == office[:2] and k not in mine]
    return siblings or [k for k in idx.kabkota if k[:2] != office[:2]]


def build_rows(
    office: str,
    reported: pd.DataFrame,
    rng: np.random.Generator,
    mess: Messiness,
    *,
    with_ids: bool,
    province_file: bool,
    census_year: int,
) -> pd.DataFrame:
    """An office's data rows (canonical values with injected mistakes) and their truth.

    Truth columns: ``entity_id``, ``truth_sentra_id``, ``error``, ``expected_verdict``,
    ``expected_reasons``, ``quirks``; render hints: ``_units_text``, ``_copy_of``.
    """
    idx = regions()
    base = reported.reset_index(drop=True)
    n = len(base)
    rows = pd.DataFrame({c: base[c] for c in CANONICAL if c in base.columns})
    rows["reported_status"] = base["_status"].to_numpy()
    rows["sentra_id"] = base["sentra_id"].to_numpy() if with_ids else None
    rows["kecamatan_code"] = rows["kecamatan_code"].astype(object)
    rows["region_code"] = rows["region_code"].astype(object)
    short = {k: idx.kabkota[k].short_name for k in pd.unique(base["region_code"])}
    quirks: list[list[str]] = [[] for _ in range(n)]

    rate = min(1.0, mess.name_variant * (3 if province_file else 1))
    names = rows["sentra_name"].to_numpy(dtype=object).copy()
    region_of = base["region_code"].to_numpy(dtype=object)
    for i in np.flatnonzero(rng.random(n) < rate):
        names[i] = name_variant(names[i], short[region_of[i]], rng)
        quirks[i].append("name_variant")
    rows["sentra_name"] = names

    kinds = [*ROW_ERRORS, ""]
    cum = np.cumsum([getattr(mess, k) for k in ROW_ERRORS])
    error = np.asarray(kinds, dtype=object)[np.searchsorted(cum, rng.random(n), side="right")]
    rows["_units_text"] = pd.Series([None] * n, dtype=object)
    _inject(rows, error, office, rng, census_year)
    for i in np.flatnonzero(error != ""):
        if error[i] == "missing_name":
            quirks[i] = []  # a blank name is no longer a variant of anything
        quirks[i].append(str(error[i]))

    ok = error == ""
    exact = ok & (rng.random(n) < mess.exact_duplicate)
    fuzzy = ok & ~exact & (rng.random(n) < mess.fuzzy_duplicate)
    rows["entity_id"] = base["entity_id"].to_numpy()
    rows["truth_sentra_id"] = base["sentra_id"].to_numpy()
    rows["error"] = error
    rows["quirks"] = quirks
    rows["_copy_of"] = -1
    rows["_world_name"] = base["sentra_name"].to_numpy()
    take = np.repeat(np.arange(n), 1 + exact + fuzzy)
    out = rows.iloc[take].reset_index(drop=True)
    second = np.r_[False, take[1:] == take[:-1]]
    pos = np.flatnonzero(second)
    was_exact = exact[take[pos]]
    out.loc[pos[was_exact], "_copy_of"] = pos[was_exact] - 1
    out["quirks"] = pd.Series(
        [
            ["exact_duplicate"] if c >= 0 else q
            for c, q in zip(out["_copy_of"], out["quirks"], strict=True)
        ],
        dtype=object,
    )
    # Edit plain arrays, not the frame: a cell write into an Arrow column copies it.
    names = out["sentra_name"].to_numpy(dtype=object).copy()
    world_names = out["_world_name"].to_numpy(dtype=object)
    region_of = out["region_code"].to_numpy(dtype=object)
    units = out["units"].to_numpy().copy()
    workers = out["workers"].to_numpy().copy()
    quirk_lists = out["quirks"].tolist()
    for p in pos[~was_exact]:
        kab = short.get(region_of[p], "")
        name = name_variant(world_names[p], kab, rng)
        names[p] = name if name != names[p - 1] else f"{names[p - 1]} ({kab})"
        # A second enumerator counts a little differently, too.
        bump = int(rng.integers(1, 4))
        units[p] += bump
        workers[p] += bump
        quirk_lists[p] = ["fuzzy_duplicate"]
    out["sentra_name"] = pd.Series(names, dtype=object)
    out["units"] = units
    out["workers"] = workers
    out["quirks"] = pd.Series(quirk_lists, dtype=object)
    # An exact copy is reported as duplicate_row and merged into the row it copies
    # (sentra.matching.copies), unless the row has an error of its own.
    copy = out["_copy_of"] >= 0
    out["expected_verdict"] = np.where(
        out["error"] != "", "rejected", np.where(copy, "merged", "accepted")
    )
    out["expected_reasons"] = [
        ["duplicate_row"] if c >= 0 else ([ROW_ERRORS[e]] if e else [])
        for c, e in zip(out["_copy_of"], out["error"], strict=True)
    ]
    return out.drop(columns=["_world_name"])


def _inject(
    rows: pd.DataFrame, error: np.ndarray, office: str, rng: np.random.Generator, year: int
) -> None:
    """Put exactly one mistake into each row whose ``error`` names one."""

    def at(kind: str) -> np.ndarray:
        return np.flatnonzero(error == kind)

    if len(i := at("invalid_region")):
        rows.loc[i, "region_code"] = rng.choice(_nonexistent_codes(office[:2]), len(i))
        rows.loc[i, "kecamatan_code"] = None
    if len(i := at("region_mismatch")):
        rows.loc[i, "region_code"] = rng.choice(_mismatched_codes(office), len(i))
        rows.loc[i, "kecamatan_code"] = None
    if len(i := at("negative_units")):
        rows.loc[i, "units"] = -np.maximum(rows.loc[i, "units"].to_numpy(), 1)
    if len(i := at("workers_below_units")):
        units = np.maximum(rows.loc[i, "units"].to_numpy(), 3)
        rows.loc[i, "units"] = units
        rows.loc[i, "workers"] = units - rng.integers(1, 3, len(i))
    if len(i := at("coordinate_out_of_bounds")):
        north = rng.random(len(i)) < 0.5
        # Either a latitude far north of Indonesia, or a longitude missing its decimal point.
        # Not 6-11 degrees north: that is a southern latitude missing its minus sign, which
        # ingest puts back (coordinates_corrected) instead of rejecting.
        rows.loc[i[north], "latitude"] = np.round(rng.uniform(12.0, 30.0, int(north.sum())), 6)
        rows.loc[i[~north], "longitude"] = np.round(rows.loc[i[~north], "longitude"] * 10_000)
    if len(i := at("implausible_year")):
        choices = np.array([2099, year + 1, year + 3, 1850, 1899])
        rows.loc[i, "year_established"] = rng.choice(choices, len(i))
    if len(i := at("invalid_number")):
        rows.loc[i, "_units_text"] = rng.choice(UNITS_NOT_A_NUMBER, len(i))
    if len(i := at("missing_name")):
        rows.loc[i, "sentra_name"] = None


# ------------------------------------------------------------------ file style

TITLE_LINES = (
    "DATA SENTRA IKM {NAME} TAHUN {year}",
    "DINAS PERINDUSTRIAN {NAME}",
    "Hasil Verifikasi Lapangan Sensus Ulang Sentra IKM",
    "Keadaan s.d. 31 Desember {prev}",
)


def choose_style(
    fmt: str, office_name: str, census_year: int, *, with_ids: bool, rng: np.random.Generator,
    mess: Messiness,
) -> FileStyle:  # fmt: skip
    """How this office writes its file this year (header spellings, layout, encoding)."""
    cols = ["sentra_id"] if with_ids else []
    cols += ["sentra_name", "region_code"]
    if rng.random() < 0.5:
        cols.append("kecamatan_code")
    cols += ["commodity", "units", "workers", "production_value"]
    if rng.random() < 0.75:
        cols.append("investment_value")
    if rng.random() < 0.85:
        cols.append("address")
    cols += ["coordinates"] if rng.random() < 0.2 else ["latitude", "longitude"]
    cols += ["reported_status", "year_established"]
    if rng.random() < 0.6:
        cols.append("legal_basis")
    encoding = "utf-8"
    if fmt == "csv":
        encoding = str(rng.choice(["utf-8", "utf-8-sig", "cp1252"], p=[0.5, 0.3, 0.2]))
    if encoding == "cp1252" or rng.random() < 0.8:
        cols.append("contact_name")
        if rng.random() < 0.85:
            cols.append("contact_phone")
    style = FileStyle(columns=cols, headers=[str(rng.choice(HEADER_VARIANTS[c])) for c in cols])
    style.region_style = str(
        rng.choice(
            ["dotted", "plain", "dashed", "name", "name_upper", "kab", "short_upper"],
            p=[0.3, 0.2, 0.05, 0.2, 0.1, 0.1, 0.05],
        )
    )
    style.money_style = str(rng.choice(MONEY_STYLES, p=[0.5, 0.35, 0.15]))
    style.upper_commodity = bool(rng.random() < 0.1)
    style.encoding = encoding
    style.line_terminator = "\r\n" if rng.random() < 0.6 else "\n"
    upper = office_name.upper()
    titles = [t.format(NAME=upper, year=census_year, prev=census_year - 1) for t in TITLE_LINES]
    if fmt == "xlsx":
        style.numbers_as_text = bool(rng.random() < 0.15)
        style.numeric_codes = bool(rng.random() < 0.4)
        style.number_column = bool(rng.random() < 0.85)
        style.title_rows = titles[: int(rng.integers(2, 5))]
        style.blank_rate = mess.blank_rows
        style.instructions = str(rng.choice(["before", "after"])) if rng.random() < 0.3 else None
        if rng.random() < mess.totals_row:
            style.totals_label = str(rng.choice(["Jumlah", "Total", "JUMLAH"]))
    elif fmt == "csv":
        style.number_column = bool(rng.random() < 0.5)
        style.title_rows = titles[: int(rng.integers(1, 3))] if rng.random() < 0.15 else []
        style.blank_rate = mess.blank_rows
        if rng.random() < mess.totals_row / 2:
            style.totals_label = str(rng.choice(["Jumlah", "Total"]))
    else:
        style.number_column = False
        style.numbers_as_text = bool(rng.random() < 0.2)
        style.json_shape = "data" if rng.random() < 0.5 else "list"
    return style


def _file_name(office: str, office_name: str, year: int, fmt: str, rng: np.random.Generator) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", office_name.lower()).strip("_")
    pattern = int(rng.integers(0, 4))
    if pattern == 0:
        stem = f"sensus_sentra_{slug}_{year}"
    elif pattern == 1:
        stem = f"Data Sentra IKM {office_name} {year}"
    elif pattern == 2:
        stem = f"REKAP SENTRA {office_name.upper()} {year} final"
    else:
        stem = f"{office.replace('.', '')}_sentra_{year}_rev{int(rng.integers(1, 4))}"
    return f"{stem}.{fmt}"


def _ensure_non_ascii(rows: pd.DataFrame) -> None:
    """Windows-1252 exports are told from UTF-8 by their accents: make sure one has some."""
    names = rows["contact_name"].dropna().astype(str)
    if len(names) and not names.map(str.isascii).all():
        return
    if len(rows):
        last = str(rows.at[0, "contact_name"] or "Santoso").split(" ")[-1]
        rows.at[0, "contact_name"] = f"{ACCENTED_FIRST_NAMES[0]} {last}"


def write_office_file(
    path: Path,
    rows: pd.DataFrame,
    fmt: str,
    style: FileStyle,
    scope: str,
    rng: np.random.Generator,
) -> Layout:
    """Write ``rows`` as ``fmt`` in the office's ``style``; where each row landed."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; use one of {sorted(WRITERS)}")
    if style.encoding == "cp1252" and "contact_name" in style.columns:
        _ensure_non_ascii(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    return WRITERS[fmt](path, rows, style, scope, rng)


def row_truth(rows: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Truth per data row: identity, expected verdict, reasons, quirks, where it is."""
    source = np.asarray(layout.source_row, dtype=np.int64)
    copy_of = rows["_copy_of"].to_numpy()
    dup_of = pd.array(np.where(copy_of >= 0, source[np.maximum(copy_of, 0)], 0), dtype="Int64")
    dup_of[copy_of < 0] = pd.NA
    return pd.DataFrame(
        {
            "sheet": layout.sheet,
            "source_row": source,
            "entity_id": rows["entity_id"].to_numpy(dtype=np.int64),
            "sentra_id": rows["truth_sentra_id"].astype("string").to_numpy(),
            "expected_verdict": rows["expected_verdict"].to_numpy(),
            "expected_reasons": rows["expected_reasons"].to_list(),
            "quirks": rows["quirks"].to_list(),
            "quirk": [",".join(q) for q in rows["quirks"]],
            "is_exact_duplicate_of": dup_of,
        }
    )


# ------------------------------------------------------------------ simulate


def _evolve(
    world: World, census_year: int, rng: np.random.Generator, mess: Messiness
) -> pd.DataFrame:
    """Each entity's state this year; appends new sentra to the world and drifts sizes."""
    s = world.sentra
    n = len(s)
    closed_year = s["entity_id"].map(world.closed).to_numpy(dtype=float)
    closed_before = closed_year < census_year
    alive = ~closed_before
    roll = rng.random(n)
    state = np.full(n, "active", dtype=object)
    state[alive & (roll < mess.close_rate)] = "closed_now"
    silent = alive & (roll >= mess.close_rate) & (roll < mess.close_rate + mess.silent_rate)
    state[silent] = "silent"
    revive = closed_before & (roll < mess.revive_rate)
    again = closed_before & ~revive & (roll < mess.revive_rate + mess.closed_reported_again)
    state[revive] = "revived"
    state[again] = "closed_listed"
    state[closed_before & ~revive & ~again] = "closed_silent"
    ids = s["entity_id"].to_numpy()
    world.closed.update(dict.fromkeys(ids[state == "closed_now"].tolist(), census_year))
    for e in ids[revive].tolist():
        world.closed.pop(e, None)

    n_new = round(int(alive.sum()) * mess.new_rate)
    if n_new:
        kab = rng.choice(s["region_code"].to_numpy(dtype=object), n_new)
        new = make_sentra(rng, n_new, kab, world.next_entity)
        new["registered_year"] = census_year
        world.next_entity += n_new
        world.sentra = pd.concat([s, new], ignore_index=True)
        state = np.concatenate([state, np.full(n_new, "new", dtype=object)])
    m = len(world.sentra)
    drift = rng.integers(-2, 3, m)
    units = np.maximum(world.sentra["units"].to_numpy() + drift, 1)
    workers = np.maximum(world.sentra["workers"].to_numpy() + drift + rng.integers(0, 2, m), units)
    world.sentra["units"] = units
    world.sentra["workers"] = workers
    out = world.sentra.copy()
    out["state"] = state
    return out


def _status_text(state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    closed = np.isin(state, ["closed_now", "closed_listed"])
    return np.where(
        closed,
        rng.choice(STATUS_INACTIVE, len(state)),
        rng.choice(STATUS_ACTIVE, len(state)),
    )


def generate_round(
    world: World,
    *,
    census_year: int,
    landing_dir: Path,
    seed: int,
    messiness: Messiness | None = None,
    truth_dir: Path | None = None,
    formats: Mapping[str, float] | None = None,
) -> RoundTruth:
    """Write one census year's submissions and return (and store) its truth.

    Files go to ``landing_dir/<census_year>/<office_code>/``; the truth to
    ``truth_dir/<census_year>/`` (default ``landing_dir/../truth``), outside the landing
    folder so ingestion never sees it. ``formats`` weights xlsx/csv/json per office.
    """
    mess = messiness or Messiness()
    weights = dict(formats or DEFAULT_FORMATS)
    if unknown := sorted(set(weights) - set(WRITERS)):
        raise ValueError(f"unknown formats {unknown}; use {sorted(WRITERS)}")
    fmt_names = sorted(weights)
    fmt_p = np.array([weights[f] for f in fmt_names], dtype=float)
    if fmt_p.sum() <= 0:
        raise ValueError("formats need a positive weight")
    rng = np.random.default_rng([seed, census_year])
    idx = regions()
    landing_dir = Path(landing_dir)
    truth_dir = Path(truth_dir) if truth_dir else landing_dir.parent / "truth"

    year = _evolve(world, census_year, rng, mess)
    year["_status"] = _status_text(year["state"].to_numpy(), rng)
    # Closed sentra are often reported with nothing left: no units, workers or output.
    closed = year["state"].isin(["closed_now", "closed_listed"]).to_numpy()
    emptied = closed & (rng.random(len(year)) < 0.4)
    year.loc[emptied, ["units", "workers", "production_value", "investment_value"]] = 0

    offices = world.offices
    kab_offices = [o for o in offices["office_code"] if len(o) > 2]
    prov_offices = [o for o in offices["office_code"] if len(o) == 2]
    skip_roll = rng.random(len(kab_offices))
    skipped = [o for o, r in zip(kab_offices, skip_roll, strict=True) if r < mess.office_skip_rate]
    prov_roll = rng.random(len(prov_offices))
    submitting_prov = [
        p for p, r in zip(prov_offices, prov_roll, strict=True) if r < mess.province_office_share
    ]
    reported = year[year["state"].isin(REPORTED_STATES)]
    by_region = dict(list(reported.groupby("region_code", sort=True)))

    plans: list[tuple[str, pd.DataFrame, bool]] = []
    for office in kab_offices:
        if office not in set(skipped) and office in by_region:
            plans.append((office, by_region[office], False))
    for prov in submitting_prov:
        kabs = sorted(k for k in by_region if k[:2] == prov)
        if not kabs:
            continue
        # A province file covers several of its kab/kota, overlapping their own files.
        k = int(rng.integers(1, len(kabs) + 1))
        covered = sorted(rng.choice(kabs, k, replace=False).tolist())
        mine = pd.concat([by_region[c] for c in covered])
        mine = mine[rng.random(len(mine)) < mess.province_overlap]
        if len(mine):
            plans.append((prov, mine, True))

    row_frames, nondata_rows, file_rows = [], [], []
    for office, planned, province_file in plans:
        with_ids = bool(rng.random() < 0.5) and not province_file
        # Template files keep the register order (new sentra at the bottom); others
        # list sentra by kecamatan, in no particular order within one.
        keys = ["sentra_id", "_r"] if with_ids else ["kecamatan_code", "_r"]
        mine = (
            planned.assign(_r=rng.random(len(planned)))
            .sort_values(keys, na_position="last", kind="stable")
            .drop(columns="_r")
        )
        rows = build_rows(
            office, mine, rng, mess,
            with_ids=with_ids, province_file=province_file, census_year=census_year,
        )  # fmt: skip
        fmt = str(rng.choice(fmt_names, p=fmt_p / fmt_p.sum()))
        office_name = idx.get(office).name
        style = choose_style(fmt, office_name, census_year, with_ids=with_ids, rng=rng, mess=mess)
        name = _file_name(office, office_name, census_year, fmt, rng)
        path = landing_dir / str(census_year) / office / name
        layout = write_office_file(path, rows, fmt, style, office, rng)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        submission_id = f"{census_year}-{office}-{digest[:12]}"
        truth = row_truth(rows, layout)
        truth.insert(0, "submission_id", submission_id)
        truth.insert(0, "file_name", name)
        truth.insert(0, "office_code", office)
        truth.insert(0, "census_year", census_year)
        row_frames.append(truth)
        for nd in layout.nondata:
            nondata_rows.append(
                {"office_code": office, "file_name": name, "sheet": layout.sheet, **nd}
            )
        file_rows.append(
            {
                "census_year": census_year,
                "office_code": office,
                "file_name": name,
                "submission_id": submission_id,
                "format": fmt,
                "encoding": style.encoding if fmt == "csv" else "utf-8",
                "delimiter": ";" if fmt == "csv" else None,
                "line_terminator": style.line_terminator if fmt == "csv" else None,
                "sheet": layout.sheet,
                "instructions_sheet": style.instructions if fmt == "xlsx" else None,
                "header_row": layout.header_row,
                "title_rows": len(style.title_rows) if fmt != "json" else 0,
                "columns": list(style.columns),
                "headers": list(style.headers) if fmt != "json" else [],
                "region_style": style.region_style,
                "money_style": style.money_style,
                "json_shape": style.json_shape if fmt == "json" else None,
                "totals_row": bool(style.totals_label) and fmt != "json",
                "with_ids": with_ids,
                "province_file": province_file,
                "n_rows": len(rows),
                "n_rejected": int((rows["expected_verdict"] == "rejected").sum()),
                "bytes": path.stat().st_size,
            }
        )

    rows_truth = pd.concat(row_frames, ignore_index=True) if row_frames else _empty_rows_truth()
    _mark_cross_submissions(rows_truth)
    counts = rows_truth.groupby("entity_id").size()
    n_rows = year["entity_id"].map(counts).fillna(0).astype(np.int64)
    office_skipped = year["region_code"].isin(skipped)
    true_state = year["state"].map(TRUE_STATE)
    not_submitted = office_skipped & year["state"].isin(REPORTED_STATES) & (n_rows == 0)
    true_state = true_state.where(~not_submitted, "office_did_not_submit")
    entities = pd.DataFrame(
        {
            "census_year": census_year,
            "entity_id": year["entity_id"].to_numpy(dtype=np.int64),
            "sentra_id": year["sentra_id"].astype("string").to_numpy(),
            "region_code": year["region_code"].to_numpy(),
            "province_code": year["province_code"].to_numpy(),
            "state": year["state"].to_numpy(),
            "true_state": true_state.to_numpy(),
            "office_skipped": office_skipped.to_numpy(),
            "n_rows": n_rows.to_numpy(),
        }
    )
    truth = RoundTruth(
        census_year=census_year,
        rows=rows_truth,
        nondata=pd.DataFrame(
            nondata_rows, columns=["office_code", "file_name", "sheet", "source_row", "kind"]
        ),
        entities=entities,
        files=pd.DataFrame(file_rows).astype({"header_row": "Int64"}, errors="ignore"),
        extra={"skipped_offices": sorted(skipped), "province_files": submitting_prov},
    )
    write_truth(truth, truth_dir / str(census_year))
    return truth


def _empty_rows_truth() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "census_year", "office_code", "file_name", "submission_id", "sheet", "source_row",
            "entity_id", "sentra_id", "expected_verdict", "expected_reasons", "quirks", "quirk",
            "is_exact_duplicate_of",
        ]
    )  # fmt: skip


def _mark_cross_submissions(rows: pd.DataFrame) -> None:
    """Province-file rows whose sentra is also in its kab/kota office's own file."""
    if rows.empty:
        return
    province = rows["office_code"].str.len() == 2
    in_kab = set(rows.loc[~province, "entity_id"].tolist())
    cross = province & rows["entity_id"].isin(in_kab)
    for i in np.flatnonzero(cross.to_numpy()):
        rows.at[i, "quirks"] = [*rows.at[i, "quirks"], "cross_submission"]
    rows["quirk"] = [",".join(q) for q in rows["quirks"]]


def write_truth(truth: RoundTruth, folder: Path) -> None:
    """Parquet files of the round's truth: rows, non-data rows, entities, files."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = truth.rows.copy()
    rows["sentra_id"] = rows["sentra_id"].astype("string")
    rows["is_exact_duplicate_of"] = rows["is_exact_duplicate_of"].astype("Int64")
    rows.to_parquet(folder / "truth_rows.parquet", index=False)
    truth.nondata.to_parquet(folder / "truth_nondata.parquet", index=False)
    truth.entities.to_parquet(folder / "truth_entities.parquet", index=False)
    truth.files.to_parquet(folder / "truth_files.parquet", index=False)


def simulate(
    world: World,
    *,
    census_years: Sequence[int],
    landing_dir: Path,
    seed: int,
    messiness: Messiness | None = None,
    truth_dir: Path | None = None,
    formats: Mapping[str, float] | None = None,
) -> list[RoundTruth]:
    """Consecutive census rounds from one evolving world (state carries between years)."""
    years = sorted(int(y) for y in census_years)
    if len(set(years)) != len(years):
        raise ValueError(f"census years repeat: {list(census_years)}")
    return [
        generate_round(
            world,
            census_year=year,
            landing_dir=landing_dir,
            seed=seed,
            messiness=messiness,
            truth_dir=truth_dir,
            formats=formats,
        )
        for year in years
    ]
