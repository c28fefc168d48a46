"""Matching's column-wise text folding (Arrow kernels over a million names at once)
equals folding each value on its own, whatever the spelling, accents and separators."""

from __future__ import annotations

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sentra.matching.normalise import (
    GENERIC_ADDRESS_WORDS,
    GENERIC_NAME_WORDS,
    drop_words_array,
    fold,
    fold_array,
)

WORDS = st.sampled_from(
    [
        *("Sentra", "IKM", "sntr.", "Kel.", "RT", "03", "Batik", "Kasongan", "Séntra"),
        *("Çilacap", "kripik", "Ds", "—", "ÂÑ", "12a", "jl", "Desa", "DUSUN", "2/4", "kecil"),
    ]
)
SEPARATORS = st.sampled_from([" ", "  ", ", ", "-", ".", "/", " \t", "—"])
NAMES = st.lists(
    st.one_of(
        st.none(),
        st.lists(st.tuples(WORDS, SEPARATORS), max_size=7).map(
            lambda parts: "".join(w + s for w, s in parts)
        ),
    ),
    max_size=25,
)


def _dropped(text: object, words: frozenset[str], digits: bool) -> str:
    return " ".join(
        w for w in fold(text).split() if w not in words and not (digits and w.isdigit())
    )


@settings(max_examples=150, deadline=None)
@given(NAMES, st.booleans())
@example(["Sentra Batik", "Sentra IKM Batik 03"], True)  # all ASCII: the fast path
@example(["Séntra  Batik—Giriloyo", None, ""], False)  # accents: NFKD first
def test_column_folding_equals_folding_each_value(values, digits):
    column = pd.Series(values, dtype=object)
    folded = fold_array(column)
    assert folded.to_pylist() == [fold(v) for v in values]
    for words in (GENERIC_NAME_WORDS, GENERIC_ADDRESS_WORDS):
        kept = drop_words_array(folded, words, digits=digits).to_pylist()
        assert kept == [_dropped(v, words, digits) for v in values]
