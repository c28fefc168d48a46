"""Text normalisation for matching: names, addresses, commodities, blocking keys.

Offices write the same sentra as "Sentra Gerabah Kasongan", "Sntr. Kerajinan Gerabah
Kasongan" and "SENTRA GERABAH KASONGAN BANTUL". What identifies a sentra is its
product and its place, so generic words ("sentra", "industri", "kerajinan", "IKM",
"desa", ...), their abbreviations and the name of the kab/kota itself are removed
before names are compared or used as blocking keys.

Work is done once per *distinct* string (offices repeat names a lot, and a 1M-row
round has far fewer distinct names than rows), then mapped back with codes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from sentra.matching.places import (
    discriminators,
    fold_words,
    modern,
    place_name,
    region_place_words,
)
from sentra.reference import commodity_vocabulary, spelled_word, vocabulary_words


# Words that say "this is a sentra" rather than which one. Abbreviations as offices
# write them (with the dot removed by folding): "Sntr.", "Ind.", "Krj.", "Kel.".
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


GENERIC_NAME_WORDS: frozenset[str] = _words(
    """
    sentra sntr sent stra snt industri industry ind indst kerajinan krj kraj kerajian
    ikm ukm umkm kelompok klp kel kelp pokja usaha ush usah desa ds dusun dsn dukuh dk
    kampung kp kmp kelurahan kelur kec kecamatan kabupaten kab kota prov provinsi
    pusat produksi produk pengrajin perajin pengolahan pembuatan home dan the rt rw no
    """
)
# Spelled-out forms of IKM/UKM/UMKM: their "kecil" is a size class, not the direction-like
# "Kecil" that tells "Desa X Kecil" from "Desa X Besar", so the phrase goes as a whole
# before the name's discriminating marks are read.
_SIZE_PHRASE = (
    r"\b(industri|ind|usaha)( mikro)? kecil( dan)?( menengah)?\b"
    r"|\bmikro kecil( dan)? menengah\b|\bkecil( dan)? menengah\b"
)

# Address words that carry no identity ("Jl.", "RT 03", "Dusun", "Desa").
GENERIC_ADDRESS_WORDS: frozenset[str] = _words(
    """
    jl jln jalan gg gang rt rw no nomor dusun dsn dukuh dk desa ds kelurahan kel
    kecamatan kec kabupaten kab kota kampung kp blok lingkungan lingk
    """
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
NAME_SLICE = 100_000  # distinct names normalised at a time (prepare_names)
_DIGITS_ONLY = re.compile(r"^\d+$")


def _word_pattern(words: frozenset[str], digits: bool = True) -> str:
    alternatives = sorted(words, key=len, reverse=True) + ([r"\d+"] if digits else [])
    return r"\b(" + "|".join(alternatives) + r")\b"


def fold_array(values: pd.Series):
    """:func:`fold` for a whole column at once, in Arrow's C kernels ('' for missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arr = pa.array(values, type=pa.string())  # already Arrow: no Python strings
    else:
        arr = pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
    if pc.all(pc.string_is_ascii(arr)).as_py() is not True:  # ASCII is its own NFKD
        arr = pc.utf8_normalize(arr, "NFKD")
        arr = pc.replace_substring_regex(arr, r"[^\x00-\x7f]", "")
    arr = pc.replace_substring_regex(pc.utf8_lower(arr), r"[^a-z0-9]+", " ")
    return pc.fill_null(pc.utf8_trim_whitespace(arr), "")


def drop_words_array(folded, words: frozenset[str], *, digits: bool = True):
    """Remove whole words (and, with ``digits``, digit-only words) from folded text
    (words separated by single spaces, as :func:`fold_array` leaves them), vectorised.

    Each word goes with the space after it, so one pass leaves single spaces and only
    the end to trim (a second pass collapsing spaces cost as much as the first at 1M
    rows)."""
    import pyarrow.compute as pc

    out = pc.replace_substring_regex(folded, _word_pattern(words, digits) + " ?", "")
    return pc.utf8_trim_whitespace(out)


def fold(text: object) -> str:
    """Lower-case ASCII words separated by single spaces; '' for missing values."""
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return ""
    text = str(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@cache
def _region_tokens(region_code: str) -> tuple[str, ...]:
    """Words of the kab/kota name ("bantul", "kulon progo"), which some offices append."""
    from sentra.reference import regions

    region = regions().kabkota.get(region_code)
    if region is None:
        return ()
    return tuple(fold(region.short_name).split())


def _product_words_spelled(tokens: list[str], region_code: str) -> list[str]:
    """``tokens`` with a product word written with a typo read as that word (``garmenn``
    → ``garmen``, :func:`sentra.reference.spelled_word`), unless the word is a place
    name of the kab/kota (a desa ``Batikan`` is not ``batik``).

    Left as written, the typo keeps the word out of the product vocabulary: ``Sentra
    Garmen Banjaragung`` and ``Sentra Garmenn Desa Banjaragung`` then share no name
    word once the desa is dropped, and the typo looks like an identifying word."""
    out = tokens
    for i, token in enumerate(tokens):
        read = spelled_word(token)
        if read != token and modern(token) not in region_place_words(region_code):
            if out is tokens:
                out = list(tokens)
            out[i] = read
    return out


def _strip_sequence(tokens: list[str], seq: tuple[str, ...]) -> list[str]:
    n = len(seq)
    if not n or len(tokens) <= n:
        return tokens
    for start in range(len(tokens) - n + 1):
        if tuple(tokens[start : start + n]) == seq:
            return tokens[:start] + tokens[start + n :]
    return tokens


def name_tokens(name: object, region_code: str | None = None) -> list[str]:
    """Identifying words of a sentra name, in their original order.

    Generic words and the kab/kota name are dropped, but never down to nothing: a
    name made only of generic words ("Sentra Industri") keeps its folded words so that
    it still compares equal to itself.
    """
    kept, words = _name_words(name)
    if region_code:
        kept = _strip_sequence(kept, _region_tokens(str(region_code)))
    return kept or words


def _name_words(name: object) -> tuple[list[str], list[str]]:
    words = fold(name).split()
    return [w for w in words if w not in GENERIC_NAME_WORDS and not _DIGITS_ONLY.match(w)], words


def address_text(address: object) -> str:
    """Folded address without generic words, for token-based comparison."""
    return " ".join(w for w in fold(address).split() if w not in GENERIC_ADDRESS_WORDS)


@cache
def _phonetic(token: str) -> str:
    import jellyfish

    return jellyfish.metaphone(token) or token


def phonetic_key(tokens: list[str]) -> str:
    """Sorted metaphone codes of the tokens: "Kasongan"/"Kasongn" share a key."""
    return " ".join(sorted(_phonetic(t) for t in tokens))


def prepare_names(
    names: pd.Series,
    regions: pd.Series,
    kecamatan: np.ndarray | None = None,
    desa: np.ndarray | None = None,
) -> pd.DataFrame:
    """Normalised name, sorted-token key, phonetic key and marks for every row.

    Returns a frame aligned with ``names`` with columns ``name_norm`` (identifying
    words in order, what fuzzy scores compare), ``name_key`` (sorted distinct words:
    word order does not matter), ``phon_key`` and ``name_marks`` (the name's
    discriminating tokens, see :func:`name_marks`) and ``name_full`` (the words before
    place words are dropped: a side whose place is unknown, such as a register without
    kecamatan, keeps them, so both forms are compared). ``kecamatan``/``desa`` are the
    rows' *resolved* place codes (None where unresolved): the words of a resolved
    place are dropped from the name, since the code already carries that evidence and
    offices add, drop and re-spell place names freely. Folding and generic-word
    removal run vectorised over the column; the rest once per distinct (name, kab/kota,
    places).
    """
    n = len(names)
    kecamatan = np.full(n, None, dtype=object) if kecamatan is None else kecamatan
    desa = np.full(n, None, dtype=object) if desa is None else desa
    import pyarrow as pa
    import pyarrow.compute as pc

    folded = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(fold_array(names), _SIZE_PHRASE, "ikm")
    )
    kept = drop_words_array(folded, GENERIC_NAME_WORDS)
    # Distinct texts are coded in Arrow: their Python strings are made a slice at a time.
    kept_codes, kept_uniques = _arrow_codes(kept)
    fold_codes, fold_uniques = _arrow_codes(folded)
    region_codes, region_uniques = pd.factorize(regions, use_na_sentinel=False)
    place_codes, place_uniques = pd.factorize(
        pd.Series([f"{k or ''}|{d or ''}" for k, d in zip(kecamatan, desa, strict=True)]),
        use_na_sentinel=False,
    )
    width_p = len(place_uniques) + 1
    width_r = len(region_uniques) + 1
    width_f = len(fold_uniques) + 1
    combined = (
        (kept_codes.astype(np.int64) * width_f + fold_codes) * width_r + region_codes
    ) * width_p + place_codes
    combos, inverse = np.unique(combined, return_inverse=True)
    region_tokens = [
        _region_tokens(str(r)) if isinstance(r, str) and r else () for r in region_uniques
    ]
    region_names = [str(r) if isinstance(r, str) else "" for r in region_uniques]
    place_words = [
        (_place_words(k), _place_words(k) | _place_words(d))
        for k, d in (p.split("|") for p in place_uniques)
    ]
    columns = ["name_norm", "name_key", "phon_key", "name_marks", "name_full"]
    # Built a slice of combinations at a time and kept as Arrow strings: a million rows
    # of five Python strings each would otherwise be alive at once, and the allocator
    # keeps what they took long after.
    parts: list[list] = [[] for _ in columns]
    for start in range(0, len(combos), NAME_SLICE):
        rest, place_i = np.divmod(combos[start : start + NAME_SLICE], width_p)
        rest, region_i = np.divmod(rest, width_r)
        kept_i, fold_i = np.divmod(rest, width_f)
        out: list[list[str]] = [[] for _ in columns]
        for kept_text, fold_text, region, place in zip(
            kept_uniques.take(pa.array(kept_i)).to_pylist(),
            fold_uniques.take(pa.array(fold_i)).to_pylist(),
            region_i.tolist(),
            place_i.tolist(),
            strict=True,
        ):
            words = kept_text.split()
            seq = region_tokens[region]
            tokens = (_strip_sequence(words, seq) if seq else words) or fold_text.split()
            tokens = _product_words_spelled(tokens, region_names[region])
            kec_words, all_place_words = place_words[place]
            out[4].append(" ".join(canonical_tokens(tokens)))
            tokens = canonical_tokens(_drop_place_words(tokens, all_place_words))
            out[0].append(" ".join(tokens))
            out[1].append(" ".join(sorted(set(tokens))))
            out[2].append(phonetic_key(tokens))
            out[3].append(name_marks(fold_text.split(), kec_words))
        for part, values in zip(parts, out, strict=True):
            part.append(pa.array(values, type=pa.string()))
    take = pa.array(inverse.reshape(-1).astype(np.int64))
    return pd.DataFrame(
        {
            column: pa.chunked_array(part, type=pa.string()).take(take).to_pandas()
            for column, part in zip(columns, parts, strict=True)
        }
    ).set_axis(names.index)


def _arrow_codes(values: Any) -> tuple[np.ndarray, Any]:
    """(code per value, distinct values) of an Arrow string array, without Python strings."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = values.dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


@cache
def _place_words(code: str) -> frozenset[str]:
    """Modern-spelling words of a resolved place's official name (empty when none)."""
    return frozenset(modern(w) for w in fold_words(place_name(code))) if code else frozenset()


def _drop_place_words(tokens: list[str], place: frozenset[str]) -> list[str]:
    """``tokens`` without the words of the row's resolved places (typos included:
    ``Boiroean`` for desa Buruan), never down to nothing."""
    if not place:
        return tokens
    kept = []
    for token in tokens:
        m = modern(token)
        if m in place:
            continue
        if len(m) >= 5 and _near_place_word(m, place):
            continue
        kept.append(token)
    return kept or tokens


def _near_place_word(word: str, place: frozenset[str]) -> bool:
    """Whether ``word`` is a place word written with a typo (Indel similarity ≥ 75)."""
    return process.extractOne(word, place, scorer=fuzz.ratio, score_cutoff=75) is not None


def name_marks(words: list[str], kecamatan_words: frozenset[str] = frozenset()) -> str:
    """The discriminating tokens of a name: numbers, roman numerals, directions
    (``19 Ilir``/``26 Ilir``, ``Sungai Kuruk I``/``II``, ``X``/``X Timur``), sorted and
    space-joined. Words of the row's resolved kecamatan are left out: offices append the
    kecamatan to a name, and ``Kec. Kedungwuni Timur`` says nothing about the sentra.
    """
    kept = [w for w in words if modern(w) not in kecamatan_words]
    return " ".join(sorted(discriminators(kept)))


def prepare_addresses(addresses: pd.Series) -> np.ndarray:
    """Folded addresses without generic words ('' when missing), vectorised."""
    return drop_words_array(fold_array(addresses), GENERIC_ADDRESS_WORDS).to_numpy(
        zero_copy_only=False
    )


def canonical_tokens(tokens: list[str]) -> list[str]:
    """Tokens with commodity spellings replaced by their canonical product words
    (``kripik`` → ``keripik``, ``gula jawa`` → ``gula kelapa``, ``meubel`` → ``mebel``);
    two-word spellings first."""
    vocab = commodity_vocabulary()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = " ".join(tokens[i : i + 2]) if i + 1 < len(tokens) else ""
        if pair in vocab:
            out.extend(vocab[pair][0].split())
            i += 2
            continue
        hit = vocab.get(tokens[i])
        out.extend(hit[0].split() if hit and " " not in hit[0] else [tokens[i]])
        i += 1
    return out


def commodity_terms(text: str) -> tuple[str, str, bool]:
    """(canonical product, family, is a family term) of a folded commodity text.

    The whole text is looked up first (also with its words in another order: ``kayu
    mebel`` is ``mebel kayu``), then its longest known phrase, which gives the family
    while the product stays the whole text in canonical spelling (``kripik singkong`` →
    ``keripik singkong``, not ``keripik``: singkong and pisang differ). A word the
    vocabulary does not know but one of its words with a typo (``kerjpuk``, ``sepaatu``)
    is read as that word first. ('', '', False) when nothing is known (the text itself
    is then compared).
    """
    vocab = commodity_vocabulary()
    text = _spelled(text)
    hit = vocab.get(text) or _vocabulary_by_word_set().get(frozenset(text.split()))
    if hit is not None:
        # A term without a family spans several (kerajinan): a family term of none.
        return hit[0], hit[1], hit[0] == hit[1] or not hit[1]
    words = text.split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            hit = vocab.get(" ".join(words[start : start + size]))
            if hit is not None and not hit[1]:
                hit = None  # a spanning term beside other words tells no family
            if hit is not None:
                break
        if hit is not None:
            break
    if hit is None:
        return "", "", False
    # A family word beside a product of that family says nothing more (``tekstil
    # lurik`` is lurik, ``sepatu kulit`` is sepatu): without it the text may be known.
    family = hit[1]
    rest = [w for w in words if _family_terms().get(w) != family]
    if rest and len(rest) < len(words):
        shorter = commodity_terms(" ".join(rest))
        if shorter[1] == family:
            return shorter
    return " ".join(canonical_tokens(text.split())), family, False


@cache
def _family_terms() -> dict[str, str]:
    """One-word family terms of the vocabulary (``tekstil``, ``kulit``) → their family."""
    return {
        variant: family
        for variant, (canonical, family) in commodity_vocabulary().items()
        if " " not in variant and canonical == family
    }


@cache
def _vocabulary_by_word_set() -> dict[frozenset[str], tuple[str, str]]:
    """Vocabulary entries by their set of words (only sets naming one entry)."""
    found: dict[frozenset[str], set[tuple[str, str]]] = {}
    for variant, hit in commodity_vocabulary().items():
        found.setdefault(frozenset(variant.split()), set()).add(hit)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def _spelled(text: str) -> str:
    """``text`` with each word read as :func:`sentra.reference.spelled_word` reads it."""
    return " ".join(spelled_word(w) for w in text.split())


def product_words() -> frozenset[str]:
    """Every word of the commodity vocabulary, spellings and canonical forms alike."""
    return vocabulary_words()


def name_identity(name_norm: pd.Series, commodity: np.ndarray) -> pd.Series:
    """The words of each name that say *which* sentra: neither product nor generic.

    ``Sentra Anyaman Bambu Kebimen`` and ``Sentra Anyam Bambu Kambangan`` share most of
    their normalised names (the product), so their name score is high although the
    words that identify them differ. What is left once the vocabulary's product words
    and the row's own commodity words are gone (``kebimen``/``kambangan``) is compared
    apart; empty when a name is nothing but its product. Computed in Arrow over the
    distinct names, and in Python only for rows whose commodity has words the
    vocabulary does not know. Returns Arrow-backed text aligned with ``name_norm``.
    """
    import pyarrow as pa

    common = product_words()
    if len(name_norm) == 0:
        return pd.Series([], dtype="str", index=name_norm.index)
    codes, names = _arrow_codes(pa.array(name_norm, type=pa.string(), from_pandas=True))
    # Product words out of every distinct name at once (Arrow's regex kernel); digits
    # stay: "19" tells 19 Ilir from 26 Ilir.
    kept = drop_words_array(names, common, digits=False)
    out = kept.take(pa.array(codes)).to_pandas()
    c_codes, goods = pd.factorize(commodity)
    unknown = [frozenset(str(g).split()) - common for g in goods]
    has_unknown = np.array([bool(u) for u in unknown] + [False], dtype=bool)[c_codes]
    rows = np.flatnonzero(has_unknown)
    if len(rows):
        texts = out.iloc[rows].tolist()
        out.iloc[rows] = [
            " ".join(w for w in str(text).split() if w not in unknown[c_codes[row]])
            for row, text in zip(rows.tolist(), texts, strict=True)
        ]
    return out.fillna("").set_axis(name_norm.index)


def prepare_commodities(
    commodities: pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Canonical commodity, its family, whether it names the whole family, and the text
    as written (folded, generic words dropped), per row.

    Folded text with generic craft words removed ("Kerajinan Gerabah" = "gerabah") is
    looked up in the commodity vocabulary once per distinct value; an unknown commodity
    keeps its folded text as its own canonical form and has no family. The written text
    is what a typo is looked for in where the canonical forms part (``mwbel kayu`` keeps
    both words, ``mebel kayu`` is the vocabulary's ``mebel``).
    """
    import pyarrow.compute as pc

    folded = fold_array(commodities)
    kept = drop_words_array(folded, GENERIC_NAME_WORDS)
    texts = pc.if_else(pc.equal(kept, ""), folded, kept).to_numpy(zero_copy_only=False)
    codes, uniques = pd.factorize(texts)
    canon = np.empty(len(uniques), dtype=object)
    family = np.empty(len(uniques), dtype=object)
    is_family = np.zeros(len(uniques), dtype=bool)
    for i, text in enumerate(uniques):
        c, f, g = commodity_terms(text) if text else ("", "", False)
        canon[i], family[i], is_family[i] = (c or text), f, g
    if len(texts) == 0:
        return texts, texts, np.zeros(0, dtype=bool), texts
    written = np.asarray(uniques, dtype=object)
    return canon[codes], family[codes], is_family[codes], written[codes]
