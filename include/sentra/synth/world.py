"""The synthetic national register: sentra with a hidden true identity (``entity_id``).

Deterministic by seed and vectorised with numpy so a million sentra take seconds.
Names are built from commodity and Javanese/Indonesian place-name parts, so distinct
sentra in one kab/kota can look alike ("Sentra Batik Giriloyo" vs "Sentra Batik
Girimulyo") — the matching stage must not be able to cheat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from sentra.reference import COMMODITIES, regions

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
    "91": (-2.5, 140.7), "92": (-1.3, 133.2), "93": (-7.0, 139.5), "94": (-3.4, 136.0),
    "95": (-4.1, 138.9), "96": (-1.0, 131.5),
}  # fmt: skip

# Java holds most registered sentra; weight kab/kota by their province.
PROVINCE_WEIGHT = {"32": 4.0, "33": 5.0, "34": 4.0, "35": 5.0, "36": 2.0, "31": 1.0, "51": 3.0}

PLACE_HEADS = (
    "Karang", "Suka", "Sido", "Wono", "Sumber", "Tegal", "Banyu", "Ngadi", "Kali", "Giri",
    "Wukir", "Mulyo", "Tanjung", "Rejo", "Pandan", "Kebon", "Sari", "Jati", "Tambak", "Ploso",
    "Pucang", "Gedong", "Watu", "Selo", "Argo", "Pakis", "Gunung", "Lemah", "Ngampel", "Kedung",
)  # fmt: skip
PLACE_TAILS = (
    "rejo", "sari", "mulyo", "harjo", "agung", "jaya", "makmur", "wangi", "asri", "loyo",
    "songan", "sanan", "anom", "kerto", "tirto", "moyo", "kulon", "wetan", "lor", "kidul",
    "winangun", "sobo", "dadi", "utomo", "rahayu",
)  # fmt: skip
FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Sri", "Joko", "Dewi", "Bambang", "Wahyu", "Rina", "Slamet",
    "Yuli", "Hadi", "Endang", "Suparman", "Nur", "Eko", "Tri", "Sugeng", "Lestari", "Made",
)  # fmt: skip
LAST_NAMES = (
    "Santoso", "Wijaya", "Rahayu", "Pratama", "Hidayat", "Susanto", "Kurniawan", "Lestari",
    "Saputra", "Utami", "Setiawan", "Wibowo", "Purnomo", "Handayani", "Sutrisno",
)  # fmt: skip

# Commodity labels as offices write them, keyed by the reference commodity.
COMMODITY_LABEL = {k: k.title() for k in COMMODITIES}
COMMODITY_WEIGHT = {
    "gerabah": 3, "kain batik": 4, "batik tulis": 3, "kain tenun": 3, "tenun ikat": 2,
    "anyaman bambu": 4, "anyaman pandan": 2, "makanan olahan": 6, "keripik": 4, "kerupuk": 3,
    "tahu tempe": 3, "kopi": 2, "gula aren": 2, "furnitur kayu": 3, "konveksi": 3, "logam": 2,
}  # fmt: skip


@cache
def _kecamatan(kabkota: str) -> tuple[str, ...]:
    from lokal import wilayah

    return tuple(w.code for w in wilayah.list_wilayah(kabkota)) or (f"{kabkota}.01",)


@dataclass
class World:
    """The truth: every sentra with its hidden ``entity_id`` and the offices."""

    sentra: pd.DataFrame
    offices: pd.DataFrame
    seed: int
    next_entity: int = 0
    closed: dict[int, int] = field(default_factory=dict)  # entity_id -> year closed

    def register_frame(self) -> pd.DataFrame:
        """The register as the ministry holds it (no hidden truth columns)."""
        cols = [
            "sentra_id", "region_code", "province_code", "kecamatan_code", "sentra_name",
            "commodity", "commodity_group", "units", "address", "latitude", "longitude",
        ]  # fmt: skip
        registered = self.sentra[self.sentra["sentra_id"].notna()]
        return registered[cols].reset_index(drop=True)


def place_names(rng: np.random.Generator, n: int) -> np.ndarray:
    heads = rng.choice(PLACE_HEADS, n)
    tails = rng.choice(PLACE_TAILS, n)
    return np.char.add(heads.astype(str), tails.astype(str))


def make_sentra(
    rng: np.random.Generator,
    n: int,
    kabkota: np.ndarray,
    first_entity: int,
) -> pd.DataFrame:
    """``n`` sentra in the given kab/kota codes, with realistic attributes."""
    from sentra.reference import commodity_group_of

    idx = regions()
    names = list(COMMODITY_WEIGHT)
    weights = np.array([COMMODITY_WEIGHT[c] for c in names], dtype=float)
    commodity = rng.choice(names, n, p=weights / weights.sum())
    place = place_names(rng, n)
    label = np.array([COMMODITY_LABEL[c] for c in commodity])
    sentra_name = np.char.add(np.char.add("Sentra ", label), np.char.add(" ", place))
    province = np.array([k[:2] for k in kabkota])
    centre = np.array([PROVINCE_CENTROIDS.get(p, (-2.0, 118.0)) for p in province])
    lat = np.round(centre[:, 0] + rng.normal(0, 0.25, n), 6)
    lon = np.round(centre[:, 1] + rng.normal(0, 0.35, n), 6)
    units = np.clip(rng.lognormal(2.9, 0.7, n).astype(int), 2, 400)
    small = rng.random(n) < 0.04  # some sentra have shrunk below the regulatory minimum
    units[small] = rng.integers(1, 5, int(small.sum()))
    workers = units * rng.integers(1, 6, n) + rng.integers(0, 5, n)
    production = (np.round(rng.lognormal(20.5, 1.2, n) / 1000) * 1000).astype(np.int64)
    investment = (np.round(production * rng.uniform(0.05, 0.6, n) / 1000) * 1000).astype(np.int64)
    year_est = rng.integers(1975, 2022, n)
    kec = np.array([rng.choice(_kecamatan(k)) for k in kabkota])
    dusun = place_names(rng, n)
    address = np.char.add(np.char.add("Dusun ", dusun), np.char.add(", Desa ", place))
    kab_short = np.array([idx.kabkota[k].short_name for k in kabkota])
    sk_no = rng.integers(1, 999, n)
    legal = [
        f"SK Bupati {k} No. {s}/{y}" for k, s, y in zip(kab_short, sk_no, year_est, strict=True)
    ]
    contact = np.char.add(
        np.char.add(rng.choice(FIRST_NAMES, n).astype(str), " "),
        rng.choice(LAST_NAMES, n).astype(str),
    )
    phone = np.char.add("08", rng.integers(1_100_000_000, 9_999_999_999, n).astype(str))
    return pd.DataFrame(
        {
            "entity_id": np.arange(first_entity, first_entity + n, dtype=np.int64),
            "sentra_id": pd.array([None] * n, dtype="object"),
            "region_code": kabkota,
            "province_code": province,
            "kecamatan_code": kec,
            "sentra_name": sentra_name,
            "place": place,
            "commodity": commodity,
            "commodity_group": [commodity_group_of(c).value for c in commodity],
            "units": units.astype(np.int64),
            "workers": workers.astype(np.int64),
            "production_value": production,
            "investment_value": investment,
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "year_established": year_est.astype(np.int64),
            "legal_basis": legal,
            "contact_name": contact,
            "contact_phone": phone,
        }
    )


def generate_world(
    *,
    n_sentra: int,
    seed: int,
    provinces: Sequence[str] | None = None,
    first_census_year: int = 2024,
) -> World:
    """A register of ``n_sentra`` sentra over real kab/kota, plus the office directory."""
    rng = np.random.default_rng(seed)
    idx = regions()
    kab = sorted(
        k for k in idx.kabkota if provinces is None or idx.kabkota[k].province_code in provinces
    )
    if not kab:
        raise ValueError(f"no kab/kota in provinces {provinces}")
    w = np.array([PROVINCE_WEIGHT.get(k[:2], 1.0) for k in kab])
    chosen = rng.choice(kab, n_sentra, p=w / w.sum())
    sentra = make_sentra(rng, n_sentra, chosen, 0)
    sentra = sentra.sort_values(["region_code", "entity_id"]).reset_index(drop=True)
    seq = sentra.groupby("region_code").cumcount() + 1
    sentra["sentra_id"] = (
        "S" + sentra["region_code"].str.replace(".", "") + seq.map("{:05d}".format)
    )
    sentra["registered_year"] = first_census_year - 1
    offices = make_offices(sorted(set(chosen)))
    return World(sentra=sentra, offices=offices, seed=seed, next_entity=n_sentra)


def make_offices(kabkota: Sequence[str]) -> pd.DataFrame:
    """Every kab/kota office with sentra and every province office above them."""
    idx = regions()
    rows = []
    for prov in sorted({k[:2] for k in kabkota}):
        name = idx.provinces[prov].name
        rows.append(
            {
                "office_code": prov,
                "office_name": f"Dinas Perindustrian Provinsi {name}",
                "province_code": prov,
                "emails": f"disperindag.{prov}@example.go.id",
            }
        )
    for k in kabkota:
        code = k.replace(".", "")
        rows.append(
            {
                "office_code": k,
                "office_name": f"Dinas Perindustrian {idx.kabkota[k].name}",
                "province_code": k[:2],
                "emails": f"disperindag.{code}@example.go.id;sentra.{code}@example.go.id",
            }
        )
    return pd.DataFrame(rows)


def write_register(world: World, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    world.register_frame().to_csv(path, index=False)
    return path


def write_offices(world: World, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    world.offices.to_csv(path, index=False)
    return path
