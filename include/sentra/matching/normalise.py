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

import numpy as np
import pandas as pd

from sentra.reference import commodity_vocabulary


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
_DIGITS_ONLY = re.compile(r"^\d+$")


def _word_pattern(words: frozenset[str], digits: bool = True) -> str:
    alternatives = sorted(words, key=len, reverse=True) + ([r"\d+"] if digits else [])
    return r"\b(" + "|".join(alternatives) + r")\b"


def fold_array(values: pd.Series):
    """:func:`fold` for a whole column at once, in Arrow's C kernels ('' for missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
    arr = pc.utf8_normalize(arr, "NFKD")
    arr = pc.replace_substring_regex(arr, r"[^\x00-\x7f]", "")
    arr = pc.replace_substring_regex(pc.utf8_lower(arr), r"[^a-z0-9]+", " ")
    return pc.fill_null(pc.utf8_trim_whitespace(arr), "")


def drop_words_array(folded, words: frozenset[str], *, digits: bool = True):
    """Remove whole words (and, with ``digits``, digit-only words) from folded text,
    vectorised."""
    import pyarrow.compute as pc

    out = pc.replace_substring_regex(folded, _word_pattern(words, digits), " ")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(out, r"\s+", " "))


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
    import pyarrow.compute as pc

    folded = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(fold_array(names), _SIZE_PHRASE, "ikm")
    )
    kept = drop_words_array(folded, GENERIC_NAME_WORDS)
    kept_codes, kept_uniques = pd.factorize(kept.to_numpy(zero_copy_only=False))
    fold_codes, fold_uniques = pd.factorize(folded.to_numpy(zero_copy_only=False))
    region_codes, region_uniques = pd.factorize(regions.astype(object), use_na_sentinel=False)
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
    quads = np.empty((len(combos), 5), dtype=object)
    for i, combo in enumerate(combos.tolist()):
        rest, place = divmod(combo, width_p)
        rest, region = divmod(rest, width_r)
        kept_i, fold_i = divmod(rest, width_f)
        words = kept_uniques[kept_i].split()
        seq = region_tokens[region]
        tokens = (_strip_sequence(words, seq) if seq else words) or fold_uniques[fold_i].split()
        kec_code, desa_code = place_uniques[place].split("|")
        kec_words = _place_words(kec_code)
        quads[i, 4] = " ".join(canonical_tokens(tokens))
        tokens = canonical_tokens(_drop_place_words(tokens, kec_words | _place_words(desa_code)))
        quads[i, 0] = " ".join(tokens)
        quads[i, 1] = " ".join(sorted(set(tokens)))
        quads[i, 2] = phonetic_key(tokens)
        quads[i, 3] = name_marks(fold_uniques[fold_i].split(), kec_words)
    out = quads[inverse.reshape(-1)] if len(combos) else np.empty((0, 5), dtype=object)
    return pd.DataFrame(
        out,
        index=names.index,
        columns=["name_norm", "name_key", "phon_key", "name_marks", "name_full"],
    )


@cache
def _place_words(code: str) -> frozenset[str]:
    """Modern-spelling words of a resolved place's official name (empty when none)."""
    from sentra.matching.places import fold_words, modern, place_name

    return frozenset(modern(w) for w in fold_words(place_name(code))) if code else frozenset()


def _drop_place_words(tokens: list[str], place: frozenset[str]) -> list[str]:
    """``tokens`` without the words of the row's resolved places (typos included:
    ``Boiroean`` for desa Buruan), never down to nothing."""
    if not place:
        return tokens
    from rapidfuzz import fuzz, process

    from sentra.matching.places import modern

    kept = []
    for token in tokens:
        m = modern(token)
        if m in place:
            continue
        if len(m) >= 5 and process.extractOne(m, place, scorer=fuzz.ratio, score_cutoff=75):
            continue
        kept.append(token)
    return kept or tokens


def name_marks(words: list[str], kecamatan_words: frozenset[str] = frozenset()) -> str:
    """The discriminating tokens of a name: numbers, roman numerals, directions
    (``19 Ilir``/``26 Ilir``, ``Sungai Kuruk I``/``II``, ``X``/``X Timur``), sorted and
    space-joined. Words of the row's resolved kecamatan are left out: offices append the
    kecamatan to a name, and ``Kec. Kedungwuni Timur`` says nothing about the sentra.
    """
    from sentra.matching.places import discriminators, modern

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

    The whole text is looked up first, then its longest known phrase, which gives the
    family while the product stays the whole text in canonical spelling (``kripik
    singkong`` → ``keripik singkong``, not ``keripik``: singkong and pisang differ);
    ('', '', False) when nothing is known (the text itself is then compared).
    """
    vocab = commodity_vocabulary()
    hit = vocab.get(text)
    if hit is not None:
        return hit[0], hit[1], hit[0] == hit[1]
    words = text.split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            hit = vocab.get(" ".join(words[start : start + size]))
            if hit is not None:
                break
        if hit is not None:
            break
    if hit is None:
        return "", "", False
    return " ".join(canonical_tokens(text.split())), hit[1], False


@cache
def product_words() -> frozenset[str]:
    """Every word of the commodity vocabulary, spellings and canonical forms alike."""
    vocab = commodity_vocabulary()
    words: set[str] = set()
    for variant, (canonical, family) in vocab.items():
        words.update(variant.split(), canonical.split(), family.split())
    return frozenset(words)


def name_identity(name_norm: np.ndarray, commodity: np.ndarray) -> np.ndarray:
    """The words of each name that say *which* sentra: neither product nor generic.

    ``Sentra Anyaman Bambu Kebimen`` and ``Sentra Anyam Bambu Kambangan`` share most of
    their normalised names (the product), so their name score is high although the
    words that identify them differ. What is left once the vocabulary's product words
    and the row's own commodity words are gone (``kebimen``/``kambangan``) is compared
    apart; empty when a name is nothing but its product. Computed once per distinct
    name, and once per distinct (name, commodity) only where the commodity has words the
    vocabulary does not know.
    """
    import pyarrow as pa

    common = product_words()
    codes, names = pd.factorize(name_norm)
    if len(codes) == 0:
        return np.array([], dtype=object)
    # Product words out of every distinct name at once (Arrow's regex kernel); digits
    # stay: "19" tells 19 Ilir from 26 Ilir.
    stripped = drop_words_array(pa.array(names, type=pa.string()), common, digits=False)
    kept = np.asarray(stripped.to_numpy(zero_copy_only=False), dtype=object)
    out = kept[codes]
    c_codes, goods = pd.factorize(commodity)
    unknown = [frozenset(str(g).split()) - common for g in goods]
    has_unknown = np.array([bool(u) for u in unknown] + [False], dtype=bool)[c_codes]
    for row in np.flatnonzero(has_unknown & (codes >= 0)):
        own = unknown[c_codes[row]]
        out[row] = " ".join(w for w in str(kept[codes[row]]).split() if w not in own)
    out[codes < 0] = ""
    return out


def prepare_commodities(commodities: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical commodity, its family and whether it names the whole family, per row.

    Folded text with generic craft words removed ("Kerajinan Gerabah" = "gerabah") is
    looked up in the commodity vocabulary once per distinct value; an unknown commodity
    keeps its folded text as its own canonical form and has no family.
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
        return texts, texts, np.zeros(0, dtype=bool)
    return canon[codes], family[codes], is_family[codes]
