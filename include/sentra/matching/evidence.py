"""Evidence weights learned from a census year's own pairs: Fellegi–Sunter m/u by EM.

The weighted score (``sentra.matching.engine``) ranks pairs well but cannot say which
of the pairs in its clerical band are the same sentra: on an independent national set
the band held 5.8 % of a year's records, 27 % of its pairs true. How much a field's
agreement is worth differs between rounds and offices (one province copies the
kab/kota rows without coordinates, another rewrites every name), so the weights are
estimated from the year's data instead of fixed here.

**Which pairs the model is fitted on.** Fellegi–Sunter assumes the fields are
independent given match status. Over *all* candidate pairs that fails: blocking makes
same-desa, different-product pairs the majority, and EM then learns "same place"
instead of "same sentra" (measured: λ 0.16 against 0.06 true; m(name < 0.7) = 0.63).
Over the *contested* pairs — those the weighted score already puts at or above the
review threshold — the two classes are what the band needs to tell apart, and EM
separates them (yardstick 2026: of 568 band pairs, posterior < 0.2 held 368 pairs of
which 6 true, ≥ 0.95 held 88 of which 85 true).

**Comparison levels**, per field, missing on either side = no evidence (factor 1):

* ``name_commodity``: the name score cut at 0.70 / 0.85 / 0.95, *jointly* with the
  commodity cut at 0.3 / 0.6 / 0.999 (two products of one family, a family term, one)
  or missing: 4 x 5 levels;
* ``distance``: > 3 km, ≤ 3 km, ≤ 1 km, ≤ 500 m, ≤ 250 m, ≤ 100 m;
* ``size``: unit counts' closeness cut at 0.4 / 0.6 / 0.8 / 0.9, *jointly* with the
  worker counts' closeness cut the same way, either missing alone: 6 x 6 levels;
* ``marks``: different discriminating marks (``19 Ilir``/``26 Ilir``), marks on one
  side only, none.

**Name and commodity are one field.** Once a resolved desa's words are dropped, most
names are their product (``Sentra Kerupuk Udang Demaan`` → ``kerupuk udang``), so the
name score and the commodity mostly say the same thing. Fitted as two independent
fields their agreement was counted twice (log2 m/u +9.1 and +5.8 at the top levels
against +7.2 for the two together, yardstick 200k, 2025), and it drowned what does
tell two sentra of one desa and product apart: unit counts < 0.4 alike weighed
-6.9 where the truth says -12, and pairs 71 against 14 units stayed merged. As one
field with 20 levels (the standard Fellegi–Sunter answer to two dependent fields) the
unit counts weigh -11.4, and the 200k set's pair precision went 0.9923 → 0.9945,
recall 0.9597 → 0.9617 (20k: 0.9971 → 0.9962, 0.9677 → 0.9683).

**Worker counts are evidence, with the unit counts.** Two sentra of one desa and
product are often about as many units, seldom as many workers; a re-count of one
sentra moves both a little. Left out, the worker counts were the largest unused signal
(yardstick 200k, 2025: of the contested pairs with worker counts < 0.6 alike, 13,156
were two sentra and 3 one; 30 such pairs sat merged in clusters). As a field of their
own they counted the units' agreement twice, and two sentra of one desa with different
products and names but both counts alike merged at 0.94 (``Sentra Gula Aren Kemiri`` /
``Sentra Krupuk Udang Kemiri``); as one joint field they do not. The 200k set's pair
precision went 0.9945 → 0.9967, recall 0.9627 → 0.9694 (20k: 0.9958 → 0.9989,
0.9696 → 0.9709).

Levels are fine where the data can afford them: EM (with the monotone constraint)
pools levels the data do not tell apart, but it cannot split one that is too coarse.
With distance cut only at 250 m / 1 km, two sentra of one product 600 m apart weighed
as much as one sentra re-measured 300 m away (yardstick 200k, 2025: every merged pair
more than 600 m apart was two sentra); the finer levels raised pair recall 0.9485 →
0.9528 and precision 0.9927 → 0.9930 there.

The model is fitted once per census year (``sentra.matching.incremental`` keeps it with
the match memo) so that a late file is judged with the weights the rest of the year
was, and a full recompute under the same model gives the same result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sentra.matching.engine import (
    FAR_M,
    FLAG_MARKS_ONE_SIDE,
    FLAG_OTHER_MARKS,
    NEAR_M,
    evidence_against,
)

# Upper bounds of each level but the last (a value ≥ the last cut is the top level).
CUTS: dict[str, tuple[float, ...]] = {
    "name": (0.70, 0.85, 0.95),
    "identity": (0.5, 0.8),
    "commodity": (0.3, 0.6, 0.999),
    "units": (0.4, 0.6, 0.8, 0.9),
    "workers": (0.4, 0.6, 0.8, 0.9),
}
# ≤ 100 m is the top level, > 3 km the bottom.
DISTANCE_CUTS_M = (100.0, NEAR_M, 500.0, 1000.0, FAR_M)
FIELDS = ("name_commodity", "identity", "distance", "size", "marks", "desa", "address")


class Grid(NamedTuple):
    """A joint field of two dependent comparisons: a row per level of the first, a
    column per level of the second, a last column for the second missing and, where the
    first may be missing alone, a last row for it (level = row * columns + column)."""

    ordered_rows: int  # levels of the first comparison
    ordered_columns: int  # levels of the second
    first_may_miss: bool

    @classmethod
    def of(cls, first: str, second: str, *, first_may_miss: bool) -> Grid:
        return cls(len(CUTS[first]) + 1, len(CUTS[second]) + 1, first_may_miss)

    @property
    def rows(self) -> int:
        return self.ordered_rows + int(self.first_may_miss)

    @property
    def columns(self) -> int:
        return self.ordered_columns + 1


# Name x commodity: a missing name is no evidence at all; a missing commodity is a
# column of its own. Units x workers: either may be missing alone, not both.
GRIDS = {
    "name_commodity": Grid.of("name", "commodity", first_may_miss=False),
    "size": Grid.of("units", "workers", first_may_miss=True),
}
LEVEL_COUNT = {
    "name_commodity": GRIDS["name_commodity"].rows * GRIDS["name_commodity"].columns,
    "identity": 3,
    "distance": 6,
    "size": GRIDS["size"].rows * GRIDS["size"].columns,
    "marks": 3,
    "desa": 2,
    "address": 3,
}
MODEL_VERSION = 4  # 3: name and commodity one joint field; 4: units x workers joint

# EM: a pseudo-count keeps a level no pair reached from a probability of 0. It is one
# pair per field, spread over the field's levels: one per *level* gave a joint field of
# 36 levels 36 pseudo-pairs and moved the fit (the unit-test set of
# test_a_commodity_that_repeats_the_name_is_not_counted_twice: 0.10 → 0.18 apart); on
# the yardstick's 48,000 contested pairs either way gives the same clusters to a few
# pairs.
SMOOTHING = 1.0
MAX_ITERATIONS = 200
TOLERANCE = 1e-6


def comparison_levels(scores: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each field's level per scored pair (int8; -1 where a side lacks the value).

    ``scores`` are :func:`sentra.matching.engine.score_pairs` columns; higher levels
    mean closer agreement.
    """

    def cut(values: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
        level = np.searchsorted(np.asarray(cuts), values, side="right").astype(np.int8)
        level[np.isnan(values)] = -1
        return level

    def column(name: str) -> np.ndarray:
        # Pairs scored against the register have no worker counts (it keeps none): no
        # evidence, as for a missing value.
        if name not in scores.columns:
            return np.full(len(scores), np.nan)
        return pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")

    distance = column("distance_m")
    dist_level = len(DISTANCE_CUTS_M) - np.searchsorted(DISTANCE_CUTS_M, distance, side="left")
    dist_level = dist_level.astype(np.int8)
    dist_level[np.isnan(distance)] = -1
    flags = pd.to_numeric(scores["evidence_flags"], errors="coerce").fillna(0).to_numpy(dtype=int)
    marks = np.where(
        flags & FLAG_OTHER_MARKS, 0, np.where(flags & FLAG_MARKS_ONE_SIDE, 1, 2)
    ).astype(np.int8)
    name = cut(column("name_score"), CUTS["name"])
    commodity = cut(column("commodity_score"), CUTS["commodity"])
    units = cut(column("units_score"), CUTS["units"])
    workers = cut(column("workers_score"), CUTS["workers"])
    size = _joint(GRIDS["size"], units, workers)
    size[(units < 0) & (workers < 0)] = -1
    return {
        "name_commodity": np.where(
            name < 0, -1, _joint(GRIDS["name_commodity"], name, commodity)
        ).astype(np.int8),
        "identity": cut(column("identity_score"), CUTS["identity"]),
        "distance": dist_level,
        "size": size,
        "marks": marks,
        "desa": cut(column("desa_score"), (0.5,)),
        "address": cut(column("address_score"), (0.7, 0.9)),
    }


def _joint(grid: Grid, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The joint level of two level arrays (-1 = missing: the grid's last row/column)."""
    row = np.where(first < 0, grid.rows - 1, first).astype(np.int16)
    column = np.where(second < 0, grid.columns - 1, second).astype(np.int16)
    return (row * grid.columns + column).astype(np.int8)


def against_a_merge(scores: pd.DataFrame) -> np.ndarray:
    """Pairs with something against a merge (:func:`engine.evidence_against`): learned
    weights may not merge these. Unlike identifying words are the weights' own field
    (``identity``) and stay theirs to weigh."""
    against = evidence_against(scores)
    return np.logical_or.reduce([v for k, v in against.items() if k != "identity"])


@dataclass(frozen=True)
class EvidenceModel:
    """m and u probabilities per field and level, and the share of matches λ."""

    m: dict[str, tuple[float, ...]]
    u: dict[str, tuple[float, ...]]
    prior: float
    fitted_pairs: int
    iterations: int

    def log_bayes_factor(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        """Σ log(m/u) over the fields present: the evidence of each pair."""
        return _log_bayes_factor(self.m, self.u, levels)

    def probability(self, scores: pd.DataFrame) -> np.ndarray:
        """Posterior probability that each scored pair is one sentra."""
        if len(scores) == 0:
            return np.zeros(0)
        logit = np.log(self.prior) - np.log1p(-self.prior)
        return _sigmoid(logit + self.log_bayes_factor(comparison_levels(scores)))

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": MODEL_VERSION,
                "m": {k: list(v) for k, v in self.m.items()},
                "u": {k: list(v) for k, v in self.u.items()},
                "prior": self.prior,
                "fitted_pairs": self.fitted_pairs,
                "iterations": self.iterations,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> EvidenceModel | None:
        """The model back from :meth:`to_json`; None when written by another version."""
        body: dict[str, Any] = json.loads(text)
        if body.get("version") != MODEL_VERSION:
            return None
        return cls(
            m={k: tuple(float(x) for x in v) for k, v in body["m"].items()},
            u={k: tuple(float(x) for x in v) for k, v in body["u"].items()},
            prior=float(body["prior"]),
            fitted_pairs=int(body["fitted_pairs"]),
            iterations=int(body["iterations"]),
        )

    @property
    def digest(self) -> str:
        """Short content hash: part of every memo fingerprint the model decided."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """Per field, the weight log2(m/u) of each level (for logs and docs); a joint
        field as rows of its first comparison's levels."""
        weights = {
            name: np.round(np.log2(np.asarray(self.m[name]) / np.asarray(self.u[name])), 2)
            for name in FIELDS
        }
        weights = {
            k: (v.reshape(GRIDS[k].rows, GRIDS[k].columns) if k in GRIDS else v).tolist()
            for k, v in weights.items()
        }
        return {
            "prior": round(self.prior, 4),
            "fitted_pairs": self.fitted_pairs,
            "weights": weights,
        }


def monotone(m: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """m and u with the likelihood ratio m/u non-decreasing in the level.

    Levels are ordered from disagreement to agreement, so closer agreement must never
    count *less* for a match. Without this EM finds, on a dense national set, that pairs
    more than 3 km apart are likelier the same sentra than pairs 1–3 km apart (a
    province office's coordinates), and merged sentra of two desa on that. Adjacent
    levels that violate the order are pooled (pool-adjacent-violators): they share one
    ratio, the pooled m over the pooled u, and keep their share of the pooled mass.
    """
    blocks: list[list[int]] = []
    for level in range(len(m)):
        blocks.append([level])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            if m[a].sum() * u[b].sum() <= m[b].sum() * u[a].sum():
                break  # ratio(a) <= ratio(b): in order
            blocks[-2:] = [a + b]
    m, u = m.copy(), u.copy()
    for block in blocks:
        if len(block) == 1:
            continue
        mass = m[block] + u[block]
        share = mass / mass.sum()
        m[block], u[block] = m[block].sum() * share, u[block].sum() * share
    return m, u


def monotone_grid(m: np.ndarray, u: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """:func:`monotone` for a joint field: along each row over the second comparison's
    levels (not its missing column), then down each column over the first's levels (not
    its missing row), a few sweeps (each sweep keeps the mass and moves the ratios
    towards an order in both directions; three suffice for grids this small in
    practice)."""
    m = m.reshape(grid.rows, grid.columns).copy()
    u = u.reshape(grid.rows, grid.columns).copy()
    across, down = grid.ordered_columns, grid.ordered_rows
    for _ in range(3):
        # Only rows and columns out of order are pooled (EM calls this every iteration
        # for every joint field; most of them are in order after the first few).
        rows = _out_of_order(m[:, :across], u[:, :across])
        for row in np.flatnonzero(rows):
            m[row, :across], u[row, :across] = monotone(m[row, :across], u[row, :across])
        columns = _out_of_order(m[:down, :].T, u[:down, :].T)
        for col in np.flatnonzero(columns):
            m[:down, col], u[:down, col] = monotone(m[:down, col], u[:down, col])
        if not rows.any() and not columns.any():
            break
    return m.reshape(-1), u.reshape(-1)


def _out_of_order(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row of a grid, whether two neighbouring levels have their ratios m/u falling
    (the test :func:`monotone` pools on: rows where it is false come back unchanged)."""
    return (m[:, :-1] * u[:, 1:] > m[:, 1:] * u[:, :-1]).any(axis=1)


def _log_bayes_factor(
    m: Mapping[str, Sequence[float] | np.ndarray],
    u: Mapping[str, Sequence[float] | np.ndarray],
    levels: dict[str, np.ndarray],
) -> np.ndarray:
    total = np.zeros(len(levels[FIELDS[0]]))
    for name in FIELDS:
        lvl = levels[name]
        ratio = np.log(np.asarray(m[name])) - np.log(np.asarray(u[name]))
        present = lvl >= 0
        total[present] += ratio[lvl[present]]
    return total


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def fit(scores: pd.DataFrame) -> EvidenceModel:
    """Fit m, u and λ by expectation–maximisation on contested pairs' comparison levels.

    EM runs over the distinct comparison patterns with their counts (a few hundred
    patterns however many pairs), so the weights depend on which pairs were given, not
    on their order: a year matched whole and one matched unit by unit fit the same
    model. It starts from "agreement is likelier among matches" (m rising with the
    level, u falling) so that the class called *match* is the one that agrees, and
    stops when no probability moves by more than TOLERANCE.
    """
    n = len(scores)
    if n == 0:
        raise ValueError("no pairs to fit evidence weights on")
    levels = comparison_levels(scores)
    patterns, counts = np.unique(
        np.column_stack([levels[name] for name in FIELDS]), axis=0, return_counts=True
    )
    by_field = {name: patterns[:, i] for i, name in enumerate(FIELDS)}
    weight = counts.astype(float)
    m = {k: np.arange(1, LEVEL_COUNT[k] + 1, dtype=float) for k in FIELDS}
    u = {k: np.arange(LEVEL_COUNT[k], 0, -1, dtype=float) for k in FIELDS}
    m = {k: v / v.sum() for k, v in m.items()}
    u = {k: v / v.sum() for k, v in u.items()}
    prior = 0.5
    iterations = 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        logit = np.log(prior) - np.log1p(-prior)
        post = _sigmoid(logit + _log_bayes_factor(m, u, by_field))
        new_prior = float(np.clip((post * weight).sum() / n, 1e-4, 1 - 1e-4))
        moved = abs(new_prior - prior)
        for name in FIELDS:
            lvl = by_field[name]
            present = lvl >= 0
            count = LEVEL_COUNT[name]
            w_m = post[present] * weight[present]
            w_u = (1.0 - post[present]) * weight[present]
            in_m = np.bincount(lvl[present], weights=w_m, minlength=count)
            in_u = np.bincount(lvl[present], weights=w_u, minlength=count)
            new_m = (in_m + SMOOTHING / count) / (in_m.sum() + SMOOTHING)
            new_u = (in_u + SMOOTHING / count) / (in_u.sum() + SMOOTHING)
            if name in GRIDS:
                new_m, new_u = monotone_grid(new_m, new_u, GRIDS[name])
            else:
                new_m, new_u = monotone(new_m, new_u)
            moved = max(moved, float(np.abs(new_m - m[name]).max()))
            moved = max(moved, float(np.abs(new_u - u[name]).max()))
            m[name], u[name] = new_m, new_u
        prior = new_prior
        if moved < TOLERANCE:
            break
    return EvidenceModel(
        m={k: tuple(round(float(x), 9) for x in v) for k, v in m.items()},
        u={k: tuple(round(float(x), 9) for x in v) for k, v in u.items()},
        prior=round(prior, 9),
        fitted_pairs=n,
        iterations=iterations,
    )
