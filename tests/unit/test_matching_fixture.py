"""A compact synthetic census round with a known truth, for the matching tests.

Self-contained on purpose (the project generator is written elsewhere): sentra of a
few kab/kota, each reported 1-4 times by the kab/kota office, the province office or
twice in one file, with the spellings offices really use ("Sntr. Kerajinan Gerabah
Kasongan", "SENTRA GERABAH KASONGAN BANTUL", typos, swapped words), jittered or
missing coordinates and addresses, and *siblings*: different sentra of the same
commodity a few km apart whose names differ in one syllable ("Sentra Batik Giriloyo"
vs "Sentra Batik Girimulyo"). Name-only matching fails on this data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

KABKOTA = {  # code: (latitude, longitude, short name)
    "34.02": (-7.89, 110.33, "Bantul"),
    "34.04": (-7.72, 110.36, "Sleman"),
    "33.74": (-7.00, 110.42, "Semarang"),
    "35.07": (-8.05, 112.62, "Malang"),
    "32.04": (-7.05, 107.55, "Bandung"),
}
COMMODITIES = {  # label: (commodity, group)
    "Gerabah": ("gerabah", "gerabah"),
    "Batik": ("kain batik", "kain_batik"),
    "Batik Tulis": ("batik tulis", "kain_batik"),
    "Tenun": ("kain tenun", "kain_tenun"),
    "Anyaman Bambu": ("anyaman bambu", "anyaman"),
    "Anyaman Pandan": ("anyaman pandan", "anyaman"),
    "Keripik": ("keripik", "makanan_minuman"),
    "Tahu Tempe": ("tahu tempe", "makanan_minuman"),
    "Kerupuk": ("kerupuk", "makanan_minuman"),
    "Furnitur Kayu": ("furnitur kayu", "lainnya"),
    "Konveksi": ("konveksi", "lainnya"),
    "Logam": ("logam", "lainnya"),
}
HEADS = (
    "Giri", "Wukir", "Kasong", "Karang", "Suka", "Sido", "Wono", "Sumber", "Tegal", "Banyu",
    "Kali", "Mulyo", "Tanjung", "Pandan", "Kebon", "Jati", "Tambak", "Ploso", "Pucang", "Watu",
)  # fmt: skip
TAILS = (
    "loyo", "sari", "mulyo", "rejo", "harjo", "agung", "jaya", "makmur", "wangi", "asri",
    "an", "anom", "kerto", "tirto", "kulon", "wetan", "kidul", "dadi", "utomo", "rahayu",
)  # fmt: skip


@dataclass
class Round:
    records: pd.DataFrame  # what deduplicate() receives
    truth: pd.DataFrame  # record_key, entity_id
    register: pd.DataFrame  # last year's register (a subset of the entities)
    register_truth: pd.DataFrame  # sentra_id, entity_id


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1 :]
    if kind < 0.7:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aiueonrg") + word[i + 1 :]


def _name(rng: random.Random, label: str, place: str, kab: str) -> str:
    style = rng.random()
    if style < 0.30:
        return f"Sentra {label} {place}"
    if style < 0.42:
        return f"Sntr. Kerajinan {label} {place}"
    if style < 0.54:
        return f"SENTRA {label} {place} {kab}".upper()
    if style < 0.68:
        return f"Sentra {label} {_typo(rng, place)}"
    if style < 0.78:
        return f"Sentra {place} {label}"
    if style < 0.88:
        return f"Kelompok Usaha {label} Desa {place}"
    return f"ikm {label.lower()} {place.lower()}"


def _address(rng: random.Random, dusun: str, place: str) -> str | None:
    style = rng.random()
    if style < 0.12:
        return None
    if style < 0.45:
        return f"Dsn. {dusun}, Ds. {place}"
    if style < 0.65:
        return f"Dusun {dusun} RT 0{rng.randint(1, 9)} RW 0{rng.randint(1, 5)}, Desa {place}"
    return f"Dusun {dusun}, Desa {place}"


def _regions(n_kabkota: int) -> dict[str, tuple[float, float, str]]:
    """The five hand-picked kab/kota, then as many real ones as asked for (benchmarks)."""
    if n_kabkota <= len(KABKOTA):
        return dict(list(KABKOTA.items())[:n_kabkota])
    from sentra.reference import regions

    out = dict(KABKOTA)
    rng = np.random.default_rng(7)
    for code, region in sorted(regions().kabkota.items()):
        if len(out) >= n_kabkota:
            break
        if code not in out:
            lat, lon = rng.uniform(-8.5, 3.0), rng.uniform(96.0, 138.0)
            out[code] = (float(lat), float(lon), region.short_name)
    return out


def make_round(
    n_entities: int = 600,
    *,
    seed: int = 1,
    n_kabkota: int = 5,
    sibling_share: float = 0.3,
    sentra_id_share: float = 0.25,
    census_year: int = 2025,
) -> Round:
    """A census round of ``n_entities`` real sentra reported by kab/kota and province offices."""
    rng = random.Random(seed)
    regions = _regions(n_kabkota)
    codes = list(regions)
    labels = list(COMMODITIES)
    entities: list[dict] = []
    used: set[tuple[str, str, str]] = set()
    while len(entities) < n_entities:
        kab = codes[len(entities) % len(codes)]
        lat0, lon0, _ = regions[kab]
        sibling = entities and rng.random() < sibling_share and entities[-1]["kab"] == kab
        if sibling:
            # A genuinely different sentra: same commodity, one syllable apart, nearby.
            base = entities[-1]
            label = base["label"]
            head = base["place"][: len(base["place"]) - len(base["tail"])]
            tail = rng.choice(TAILS)
            bearing = rng.uniform(0, 2 * np.pi)
            km = rng.uniform(1.5, 6.0)
            lat = base["lat"] + km / 111.0 * np.sin(bearing)
            lon = base["lon"] + km / 111.0 * np.cos(bearing)
        else:
            label, head, tail = rng.choice(labels), rng.choice(HEADS), rng.choice(TAILS)
            lat, lon = lat0 + rng.uniform(-0.15, 0.15), lon0 + rng.uniform(-0.15, 0.15)
        place = head + tail
        if (kab, label, place) in used:
            continue
        used.add((kab, label, place))
        kec = f"{kab}.{int((lat - lat0 + 0.3) * 10) % 6 + 1:02d}"
        entities.append(
            {
                "entity_id": len(entities),
                "kab": kab,
                "label": label,
                "place": place,
                "tail": tail,
                "lat": lat,
                "lon": lon,
                "kec": kec,
                "dusun": rng.choice(HEADS) + rng.choice(TAILS),
                "units": max(5, int(rng.lognormvariate(2.9, 0.6))),
            }
        )

    # Last year's register: 80% of the sentra, with their canonical attributes.
    register_rows = []
    seq: dict[str, int] = {}
    for e in entities:
        if rng.random() < 0.8:
            seq[e["kab"]] = seq.get(e["kab"], 0) + 1
            e["sentra_id"] = f"S{e['kab'].replace('.', '')}{seq[e['kab']]:05d}"
            commodity, group = COMMODITIES[e["label"]]
            register_rows.append(
                {
                    "sentra_id": e["sentra_id"],
                    "region_code": e["kab"],
                    "sentra_name": f"Sentra {e['label']} {e['place']}",
                    "commodity": commodity,
                    "commodity_group": group,
                    "kecamatan_code": e["kec"],
                    "address": f"Dusun {e['dusun']}, Desa {e['place']}",
                    "latitude": round(e["lat"], 6),
                    "longitude": round(e["lon"], 6),
                    "units": e["units"],
                    "entity_id": e["entity_id"],
                }
            )

    base_time = datetime(census_year, 3, 1, tzinfo=UTC)
    received = {}
    for i, code in enumerate(codes):
        received[code] = base_time + timedelta(days=10 + i)
        received[code[:2]] = base_time + timedelta(days=2 + i)
    rows: list[dict] = []
    for e in entities:
        copies = rng.choices([1, 2, 3, 4], weights=[50, 32, 14, 4])[0]
        offices = [e["kab"] if rng.random() < 0.85 else e["kab"][:2]]
        offices += [rng.choice([e["kab"][:2], e["kab"]]) for _ in range(copies - 1)]
        for office in offices:
            label = e["label"]
            commodity, group = COMMODITIES[label]
            r = rng.random()
            if r < 0.1:
                commodity = None
            elif r < 0.2:
                commodity = f"Kerajinan {label}"
            has_xy = rng.random() > 0.15
            units = e["units"] * rng.uniform(0.8, 1.2) if rng.random() > 0.1 else None
            rows.append(
                {
                    "office_code": office,
                    "entity_id": e["entity_id"],
                    "sentra_id": e.get("sentra_id") if rng.random() < sentra_id_share else None,
                    "region_code": e["kab"],
                    "province_code": e["kab"][:2],
                    "kecamatan_code": e["kec"] if rng.random() > 0.1 else None,
                    "sentra_name": _name(rng, label, e["place"], regions[e["kab"]][2]),
                    "commodity": commodity,
                    "commodity_group": group,
                    "units": round(units) if units is not None else None,
                    "workers": e["units"] * 3,
                    "production_value": e["units"] * 40_000_000,
                    "address": _address(rng, e["dusun"], e["place"]),
                    "latitude": e["lat"] + rng.gauss(0, 0.0006) if has_xy else None,
                    "longitude": e["lon"] + rng.gauss(0, 0.0006) if has_xy else None,
                    "reported_status": "active",
                }
            )
    records = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    records["submission_id"] = f"{census_year}-" + records["office_code"] + "-0123456789ab"
    records["source_row"] = records.groupby("submission_id").cumcount() + 5
    records["record_key"] = records["submission_id"] + "#" + records["source_row"].astype(str)
    records["received_at"] = records["office_code"].map(received)
    records["census_year"] = census_year
    records["units"] = records["units"].astype("Int64")
    truth = records[["record_key", "entity_id"]].copy()
    register = pd.DataFrame(register_rows)
    register_truth = register[["sentra_id", "entity_id"]].copy()
    return Round(
        records=records.drop(columns=["entity_id"]),
        truth=truth,
        register=register.drop(columns=["entity_id"]),
        register_truth=register_truth,
    )
