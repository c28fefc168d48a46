"""Evidence weights learned from the data (sentra.matching.evidence): EM on contested
pairs, the clerical band settled by them, and the year's weights kept for late files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_matching import SETTINGS, cluster_of, frame, record
from test_matching_fixture import make_round
from test_matching_incremental import _consolidated, _late_submission, assert_same_result

from sentra.matching import deduplicate, link_to_register
from sentra.matching.engine import prepare, score_pairs
from sentra.matching.evidence import EvidenceModel, comparison_levels, fit
from sentra.matching.incremental import match_year

SCORE_FIELDS = (
    "name_score",
    "identity_score",
    "commodity_score",
    "address_score",
    "distance_m",
    "units_score",
    "workers_score",
    "desa_score",
    "evidence_flags",
)


def contested_pairs(n_same: int = 400, n_other: int = 150, seed: int = 5) -> pd.DataFrame:
    """Scored pairs as a year's contested set looks: the same sentra re-spelled agrees on
    its name and identifying words; another sentra of the place agrees on the product
    but not on what identifies it. Units and distance vary alike in both classes
    (offices re-count, province offices' coordinates are rough): no evidence."""
    rng = np.random.default_rng(seed)

    def pairs(n: int, name: tuple[float, float], identity: tuple[float, float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "name_score": rng.uniform(*name, n),
                "identity_score": rng.uniform(*identity, n),
                "commodity_score": np.where(rng.random(n) < 0.8, 1.0, 0.8),
                "address_score": np.nan,
                "distance_m": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0, 2500, n)),
                "units_score": rng.uniform(0.5, 1.0, n),
                "desa_score": np.where(rng.random(n) < 0.5, np.nan, 1.0),
                "evidence_flags": 0,
            }
        )

    same = pairs(n_same, (0.9, 1.0), (0.85, 1.0))
    other = pairs(n_other, (0.6, 0.8), (0.0, 0.45))
    return pd.concat([same, other], ignore_index=True)


@pytest.fixture(scope="module")
def model() -> EvidenceModel:
    return fit(contested_pairs())


def test_em_learns_which_agreement_identifies_a_sentra(model):
    weights = model.describe()["weights"]
    # name levels (rows) where the commodity agrees (column 3)
    same_product = [row[3] for row in weights["name_commodity"]]
    assert same_product[-1] > 2 > -2 > same_product[0]
    assert weights["identity"][-1] > 2 > -2 > weights["identity"][0]
    # Fields that vary alike in both classes carry (almost) no weight (distances
    # beyond 3 km and unit counts less than 0.4 alike, level 0 of each, never occur
    # here: only the smoothing speaks there). No worker counts here: the size grid's
    # last column.
    assert max(abs(row[-1]) for row in weights["size"][1:-1]) < 1
    assert max(abs(w) for w in weights["distance"][1:]) < 1
    assert model.prior == pytest.approx(400 / 550, abs=0.05)
    p = model.probability(contested_pairs(50, 50, seed=6))
    assert (p[:50] > 0.95).all()
    assert (p[50:] < 0.05).all()


def test_the_weights_depend_on_the_pairs_not_their_order():
    pairs = contested_pairs()
    shuffled = pairs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert fit(pairs).to_json() == fit(shuffled).to_json()


def test_a_missing_field_is_no_evidence(model):
    nothing = pd.DataFrame({c: [np.nan] for c in SCORE_FIELDS}).assign(evidence_flags=0)
    levels = comparison_levels(nothing)
    fields = ("name_commodity", "identity", "distance", "size", "desa")
    assert all(levels[f][0] == -1 for f in fields)
    # Only the marks (none on either side) speak; they are neutral in this set.
    assert model.probability(nothing)[0] == pytest.approx(model.prior, abs=0.02)


def test_the_model_round_trips_and_another_version_is_ignored(model):
    again = EvidenceModel.from_json(model.to_json())
    assert again == model
    assert again.digest == model.digest
    body = json.loads(model.to_json())
    body["version"] = 0
    assert EvidenceModel.from_json(json.dumps(body)) is None


# ------------------------------------------------------------------ the clerical band


def band_rows() -> pd.DataFrame:
    """Two pairs the weighted score leaves in the clerical band (checked below)."""
    return frame(
        record("1", "Sentra Gerabah Kasongan"),
        # The same sentra with Kerajinan added, re-counted, its point 1.6 km off.
        record(
            "2", "Sentra Kerajinan Gerabah Kasongan", units=25, latitude=-7.86, longitude=110.35
        ),
        record("3", "Sentra Gerabah Pundong", latitude=None, longitude=None, units=38),
        # Another sentra of the kab/kota: only its product is shared.
        record("4", "Sentra Gerabah Bangunjiwo", latitude=None, longitude=None, units=38),
    )


def test_without_weights_both_pairs_wait_for_a_reviewer():
    result = deduplicate(band_rows(), settings=SETTINGS)
    band = result.candidates[result.candidates["decision"] == "uncertain"]
    assert len(band) >= 2
    assert result.candidates["match_probability"].isna().all()
    assert result.evidence is None


def test_the_weights_settle_the_band_and_say_so(model):
    result = deduplicate(band_rows(), settings=SETTINGS, evidence=model)
    c = result.candidates.assign(
        left=result.candidates["left_key"].str[-1], right=result.candidates["right_key"].str[-1]
    )
    same = c[(c["left"] == "1") & (c["right"] == "2")].iloc[0]
    assert SETTINGS.review_threshold <= same["score"] < SETTINGS.match_threshold
    assert (same["decision"], same["decided_by"]) == ("match", "evidence")
    assert same["match_probability"] >= SETTINGS.evidence_match_probability
    assert cluster_of(result, "1") == cluster_of(result, "2")
    other = c[(c["left"] == "3") & (c["right"] == "4")].iloc[0]
    assert SETTINGS.review_threshold <= other["score"] < SETTINGS.match_threshold
    assert (other["decision"], other["decided_by"]) == ("non_match", "evidence")
    assert cluster_of(result, "3") != cluster_of(result, "4")
    assert result.stats["evidence_settled"] >= 2


def test_a_reviewer_overrules_the_weights(model):
    rows = band_rows()
    keys = rows["record_key"].tolist()
    decisions = pd.DataFrame(
        {"left_key": [keys[0]], "right_key": [keys[1]], "decision": ["non_match"]}
    )
    result = deduplicate(rows, settings=SETTINGS, evidence=model, decisions=decisions)
    assert cluster_of(result, "1") != cluster_of(result, "2")
    pair = result.candidates[result.candidates["right_key"] == keys[1]].iloc[0]
    assert pair["decided_by"] == "reviewer"


def test_too_few_contested_pairs_fit_nothing():
    result = deduplicate(band_rows(), settings=SETTINGS, fit_evidence=True)
    assert result.evidence is None  # 2 pairs, far below evidence_min_pairs
    assert (result.candidates["decision"] == "uncertain").sum() >= 2


def _linked(census_names: list[str], register_names: list[str], **kwargs):
    census = frame(
        *[
            record(str(i), n, units=25, latitude=-7.86, longitude=110.35)
            for i, n in enumerate(census_names, 1)
        ]
    ).assign(cluster_key=lambda f: f["record_key"])
    register = frame(*[record(str(i), n) for i, n in enumerate(register_names, 9)]).assign(
        sentra_id=[f"S34020000{i}" for i in range(9, 9 + len(register_names))]
    )
    return link_to_register(census, register, settings=SETTINGS, **kwargs)


def test_register_links_in_the_band_follow_the_weights(model):
    """``mutual_best`` refuses a pair with a mark (Lor) on one side only; how much such
    a mark says is what the year's weights learned: here, little against a name and
    identifying words that agree."""
    census, register = ["Sentra Kerajinan Gerabah Kasongan Lor"], ["Sentra Gerabah Kasongan"]
    plain = _linked(census, register)
    assert plain.links["method"].tolist() == ["new"]
    assert plain.stats["provisional_new"] == 1  # waits for a reviewer
    weighed = _linked(census, register, evidence=model)
    link = weighed.links.iloc[0]
    assert (link["method"], link["sentra_id"]) == ("evidence", "S340200009")
    assert json.loads(link["evidence"])["basis"] == "evidence"
    assert weighed.stats["provisional_new"] == 0


def test_two_likely_register_entries_are_left_to_a_reviewer(model):
    census = ["Sentra Kerajinan Gerabah Kasongan Lor"]
    twins = ["Sentra Gerabah Kasongan", "Sentra Gerabah Kasongan"]
    weighed = _linked(census, twins, evidence=model)
    assert weighed.links["method"].tolist() == ["new"]
    assert weighed.stats["provisional_new"] == 1


# ------------------------------------------------------------------ names and products


def test_a_family_term_gives_way_to_the_product_the_name_names():
    """A province office writes the family (makanan); the names say tempe and tahu: two
    sentra of one desa, not one."""
    rows = frame(
        record("1", "Sentra Tempe Badurame", commodity="makanan", commodity_group=None),
        record("2", "Sentra Tahu Badurame", commodity="makanan", commodity_group=None),
        record("3", "Sentra IKM Tempe Badurame", commodity="tempe", commodity_group=None),
    )
    result = deduplicate(rows, settings=SETTINGS)
    assert cluster_of(result, "1") != cluster_of(result, "2")
    assert cluster_of(result, "1") == cluster_of(result, "3")


# ------------------------------------------------------------------ once a year


@pytest.fixture(scope="module")
def weighted_round():
    rnd = make_round(400, seed=8)
    settings = SETTINGS.model_copy(update={"evidence_min_pairs": 50})
    late = _late_submission(rnd.records)
    early = rnd.records[rnd.records["submission_id"] != late].reset_index(drop=True)
    return rnd, settings, late, early


def test_the_year_keeps_its_weights_and_a_late_file_is_judged_with_them(weighted_round):
    rnd, settings, late, early = weighted_round
    first, register, stored, memo = _consolidated(rnd.register, early, settings=settings)
    assert first.evidence is not None
    assert memo.evidence == first.evidence
    args = {"settings": settings, "existing_links": stored}
    incremental = match_year(rnd.records, register, previous=memo, **args)
    late_regions = set(rnd.records.loc[rnd.records["submission_id"] == late, "region_code"])
    assert incremental.recomputed == late_regions
    assert incremental.evidence == memo.evidence  # not refitted on the late file
    full = match_year(rnd.records, register, evidence=memo.evidence, **args)
    assert_same_result(incremental, full)


def test_weights_are_fitted_once_the_year_has_enough_pairs(weighted_round):
    rnd, settings, _, early = weighted_round
    whole = match_year(rnd.records, rnd.register, settings=settings)
    contested = int((whole.dedup.candidates["score"] >= settings.review_threshold).sum())
    early_only = match_year(early, rnd.register, settings=settings)
    early_contested = int((early_only.dedup.candidates["score"] >= settings.review_threshold).sum())
    assert early_contested < contested
    # Enough pairs only with the late file: the early run fits nothing, the next one
    # fits on the whole year and matches every kab/kota under the weights.
    enough = settings.model_copy(update={"evidence_min_pairs": contested})
    _, register, stored, memo = _consolidated(rnd.register, early, settings=enough)
    assert memo.evidence is None
    again = match_year(rnd.records, register, settings=enough, existing_links=stored, previous=memo)
    assert again.evidence is not None
    assert again.evidence.fitted_pairs == contested
    assert again.recomputed == set(again.fingerprints)
    fitted_whole = match_year(rnd.records, register, settings=enough, existing_links=stored)
    assert fitted_whole.evidence == again.evidence
    assert_same_result(again, fitted_whole)


def test_closer_agreement_never_counts_less():
    """EM alone may find that pairs over 3 km apart are likelier one sentra than pairs
    1–3 km apart (rough coordinates of a province office); the levels are pooled
    instead, so distance never speaks for a merge by growing."""
    pairs = contested_pairs()
    far_same = pairs.index[:120]  # many true pairs with points far off
    pairs.loc[far_same, "distance_m"] = 8000.0
    weights = fit(pairs).describe()["weights"]
    # the joint fields: along each row (the second comparison known) and down each
    # column (the first known); name x commodity has no row for a missing name
    grids = {"name_commodity": weights.pop("name_commodity"), "size": weights.pop("size")}
    for field, levels in weights.items():
        assert levels == sorted(levels), field
    for field, grid in grids.items():
        known_rows = grid if field == "name_commodity" else grid[:-1]
        for row in grid:
            assert row[:-1] == sorted(row[:-1]), field
        for column in zip(*known_rows, strict=True):
            assert list(column) == sorted(column), field


def test_a_commodity_that_repeats_the_name_is_not_counted_twice():
    """Once its desa is dropped a name is mostly its product, so name and commodity
    agree together. Fitted as independent fields their agreement counted twice and
    outweighed the unit counts (yardstick 200k: 71 against 14 units merged). Name and
    commodity are one joint field: a commodity column that only repeats what the
    names say leaves every pair's probability (nearly) where the names alone put it."""
    rng = np.random.default_rng(4)

    def pairs(n: int, name: tuple[float, float], units: tuple[float, float]) -> pd.DataFrame:
        score = rng.uniform(*name, n)
        return pd.DataFrame(
            {
                "name_score": score,
                "identity_score": np.nan,
                "commodity_score": np.where(score >= 0.85, 1.0, 0.3),
                "address_score": np.nan,
                "distance_m": np.nan,
                "units_score": rng.uniform(*units, n),
                "desa_score": np.nan,
                "evidence_flags": 0,
            }
        )

    same = pairs(400, (0.88, 1.0), (0.6, 1.0))
    other_product = pairs(400, (0.6, 0.84), (0.3, 0.9))
    one_product_two_sentra = pairs(150, (0.88, 1.0), (0.3, 0.75))
    data = pd.concat([same, other_product, one_product_two_sentra], ignore_index=True)
    names_alone = data.assign(commodity_score=np.nan)
    with_commodity = fit(data).probability(data)
    without = fit(names_alone).probability(names_alone)
    assert np.abs(with_commodity - without).max() < 0.15  # 0.56 as two fields
    assert np.abs(with_commodity - without).mean() < 0.05  # 0.11 as two fields


def test_a_name_that_is_only_its_product_is_compared_as_written():
    """Both names lose their resolved place and keep only the product: their identifying
    words are then the place words as written (Sendangsari vs Bangunjiwo)."""
    rows = frame(
        record("1", "Sentra Gerabah Sendangsari", desa_code="Sendangsari", units=30),
        record(
            "2",
            "Sentra Gerabah Bangunjiwo",
            desa_code="Bangunjiwo",
            units=30,
            latitude=-7.90,
            longitude=110.36,
        ),
    )
    prep = prepare(rows)
    assert prep["name_identity"].tolist() == ["", ""]  # the product is all that is left
    scores = score_pairs(prep, prep, np.array([0]), np.array([1]))
    assert scores["name_score"].iloc[0] == 1.0
    assert scores["identity_score"].iloc[0] < 0.5


def far_apart() -> pd.DataFrame:
    """One name and product, re-counted, the points 8 km apart: a band pair with the
    distance against it."""
    return frame(
        record("1", "Sentra Gerabah Kasongan"),
        record("2", "Sentra Gerabah Kasongan", units=28, latitude=-7.92, longitude=110.38),
    )


def test_the_weights_never_merge_a_pair_with_something_against_it(model):
    """One name, one product, 8 km apart: the weights (which here know only names) call
    it likely; the distance speaks against it, so a reviewer decides."""
    pair = deduplicate(far_apart(), settings=SETTINGS, evidence=model).candidates.iloc[0]
    assert SETTINGS.review_threshold <= pair["score"] < SETTINGS.match_threshold
    assert pair["distance_m"] >= 3000
    assert pair["match_probability"] >= SETTINGS.evidence_match_probability
    assert (pair["decision"], pair["decided_by"]) == ("uncertain", "auto")


def test_unlike_identifying_words_keep_a_band_pair_from_the_weights():
    """Two sentra of one product in one kecamatan, each named after its own desa, which
    neither row's Desa column gives. Weights fitted on a dense year, where most contested
    pairs are one place and two products, learn that product and unit count identify a
    sentra and the identifying words little: they call the pair likely. The words differ
    (Rejosari, Udanwuh), so a reviewer decides, not the weights."""
    from sentra.matching.evidence import FIELDS, GRIDS, LEVEL_COUNT

    size = GRIDS["size"]
    # Unit and worker counts both at their top level, as the pair below.
    alike = (size.ordered_rows - 1) * size.columns + size.ordered_columns - 1

    def levels(top: float | None, count: int) -> tuple[float, ...]:
        if top is None:
            return tuple([1.0 / count] * count)
        out = [(1.0 - top) / (count - 1)] * count
        out[alike] = top
        return tuple(out)

    informative = {"size": 0.9}
    dense = EvidenceModel(
        m={f: levels(informative.get(f), LEVEL_COUNT[f]) for f in FIELDS},
        u={f: levels(1.0 - informative[f] if f in informative else None, LEVEL_COUNT[f])
           for f in FIELDS},
        prior=0.5,
        fitted_pairs=1000,
        iterations=1,
    )  # fmt: skip
    rows = frame(
        record("1", "Sentra Gerabah Rejosari", units=14, latitude=None, address=None),
        record("2", "Sentra Gerabag Udanwuh", units=14, latitude=None, address=None),
    )
    result = deduplicate(rows, settings=SETTINGS, evidence=dense)
    pair = result.candidates.iloc[0]
    assert SETTINGS.review_threshold <= pair["score"] < SETTINGS.match_threshold
    assert pair["match_probability"] >= SETTINGS.evidence_match_probability
    assert pair["identity_score"] < 0.5
    assert (pair["decision"], pair["decided_by"]) == ("uncertain", "auto")
    assert cluster_of(result, "1") != cluster_of(result, "2")


def test_the_weights_veto_an_automatic_match_they_find_almost_surely_two_sentra(model):
    """One desa, one product, the same unit count and no coordinates: the weighted score
    calls it corroborated and would merge it, although the names share nothing but the
    product. The learned weights know what identifies a sentra: not merged, and the
    candidate row says who decided."""
    rows = frame(
        record("1", "Sentra Gerabah Tirto", desa_code="Bangunjiwo", units=30, latitude=None),
        record("2", "Sentra Gerabah Jomboran", desa_code="Bangunjiwo", units=30, latitude=None),
    )
    without = deduplicate(rows, settings=SETTINGS).candidates.iloc[0]
    assert without["score"] >= SETTINGS.match_threshold
    assert (without["decision"], without["decided_by"]) == ("match", "auto")
    result = deduplicate(rows, settings=SETTINGS, evidence=model)
    pair = result.candidates.iloc[0]
    assert pair["match_probability"] < SETTINGS.evidence_veto_probability
    assert (pair["decision"], pair["decided_by"]) == ("non_match", "evidence")
    assert cluster_of(result, "1") != cluster_of(result, "2")
    # Turned off, the weighted score decides as before.
    kept = deduplicate(
        rows,
        settings=SETTINGS.model_copy(update={"evidence_veto_probability": 0.0}),
        evidence=model,
    )
    assert cluster_of(kept, "1") == cluster_of(kept, "2")


def test_prepare_returns_the_columns_it_declares():
    from sentra.matching.engine import PREPARED_COLUMNS

    assert tuple(prepare(band_rows()).columns) == PREPARED_COLUMNS


# ------------------------------------------------------------------ worker counts


def _size_pairs(rng, n: int, name, units, workers) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name_score": rng.uniform(*name, n),
            "identity_score": np.nan,
            "commodity_score": 1.0,
            "address_score": np.nan,
            "distance_m": np.nan,
            "units_score": rng.uniform(*units, n),
            "workers_score": rng.uniform(*workers, n) if workers else np.nan,
            "desa_score": np.nan,
            "evidence_flags": 0,
        }
    )


def test_worker_counts_tell_two_sentra_of_one_size_apart():
    """Two sentra of one desa and product are often about as many units (yardstick 200k:
    unit counts ≥ 0.9 alike for a fifth of such contested pairs) but seldom as many
    workers; a re-census of one sentra keeps both close. The weights learn the worker
    counts from the year's pairs: a name and unit count that agree do not outweigh
    worker counts half apart."""
    rng = np.random.default_rng(12)
    same = _size_pairs(rng, 500, (0.85, 1.0), (0.8, 1.0), (0.8, 1.0))
    siblings = _size_pairs(rng, 400, (0.6, 0.95), (0.6, 1.0), (0.0, 0.65))
    model = fit(pd.concat([same, siblings], ignore_index=True))
    probe = _size_pairs(rng, 2, (0.9, 0.9), (0.95, 0.95), (0.95, 0.95))
    probe.loc[1, "workers_score"] = 0.5
    alike, half = model.probability(probe)
    assert alike > 0.95
    assert half < SETTINGS.evidence_veto_probability
    # Without worker counts (an office that left them empty) the pair is as likely as
    # the rest of its fields make it: a missing count is no evidence against.
    unknown = model.probability(probe.assign(workers_score=np.nan))[1]
    assert half < unknown


def test_worker_counts_that_repeat_the_units_are_not_counted_twice():
    """Worker counts mostly move with unit counts (a re-count changes both). Fitted as
    two independent fields their agreement counted twice: on the yardstick's 200k set
    two sentra of one desa, different products and names, with both counts alike were
    merged at 0.94 (``Sentra Gula Aren Kemiri`` / ``Sentra Krupuk Udang Kemiri``). As
    one joint field, a worker column that only repeats the units leaves every pair's
    probability near where the units alone put it."""
    rng = np.random.default_rng(13)
    same = _size_pairs(rng, 400, (0.88, 1.0), (0.6, 1.0), None)
    other = _size_pairs(rng, 400, (0.55, 0.84), (0.3, 1.0), None)
    data = pd.concat([same, other], ignore_index=True)
    echoed = data.assign(workers_score=data["units_score"])
    units_alone = fit(data).probability(data)
    both = fit(echoed).probability(echoed)
    assert np.abs(both - units_alone).max() < 0.3  # 0.20; 0.46 as two fields
    assert np.abs(both - units_alone).mean() < 0.05  # 0.03; 0.11 as two fields


def test_worker_counts_are_scored_but_not_in_the_weighted_score():
    """The weighted score's components and thresholds are unchanged; worker counts are
    the learned weights' evidence, in ``workers_score``."""
    rows = frame(
        record("1", "Sentra Gerabah Kasongan", workers=120),
        record("2", "Sentra Gerabah Kasongan", workers=60),
        record("3", "Sentra Gerabah Kasongan", workers=None),
    )
    prep = prepare(rows)
    scores = score_pairs(prep, prep, np.array([0, 0]), np.array([1, 2]))
    assert scores["workers_score"].iloc[0] == pytest.approx(0.5)
    assert np.isnan(scores["workers_score"].iloc[1])
    assert scores["score"].iloc[0] == scores["score"].iloc[1]


def test_a_band_pair_with_something_against_it_and_unsure_weights_is_settled_apart():
    """What a reviewer sees is where the two kinds of evidence disagree or the weights
    are unsure with nothing against: a band pair the weights find only possible (here
    0.6) with a field against it (points 8 km apart) is not one sentra; the same pair
    with nothing against it waits for the reviewer."""
    from sentra.matching.evidence import FIELDS, LEVEL_COUNT

    unsure = EvidenceModel(
        m={f: tuple([1.0 / LEVEL_COUNT[f]] * LEVEL_COUNT[f]) for f in FIELDS},
        u={f: tuple([1.0 / LEVEL_COUNT[f]] * LEVEL_COUNT[f]) for f in FIELDS},
        prior=0.6,
        fitted_pairs=1000,
        iterations=1,
    )
    pair = deduplicate(far_apart(), settings=SETTINGS, evidence=unsure).candidates.iloc[0]
    assert SETTINGS.review_threshold <= pair["score"] < SETTINGS.match_threshold
    assert pair["distance_m"] >= 3000
    assert pair["match_probability"] == pytest.approx(0.6)
    assert (pair["decision"], pair["decided_by"]) == ("non_match", "evidence")
    near = deduplicate(band_rows(), settings=SETTINGS, evidence=unsure).candidates
    first = near[near["right_key"].str.endswith("#2")].iloc[0]
    assert SETTINGS.review_threshold <= first["score"] < SETTINGS.match_threshold
    assert (first["decision"], first["decided_by"]) == ("uncertain", "auto")


def test_the_grid_order_pools_only_what_is_out_of_order():
    """``monotone_grid`` skips rows and columns already in order (EM calls it every
    iteration); the result is what pooling every row and column gives."""
    from sentra.matching.evidence import GRIDS, monotone, monotone_grid

    def every_row_and_column(m, u, grid):
        m = m.reshape(grid.rows, grid.columns).copy()
        u = u.reshape(grid.rows, grid.columns).copy()
        across, down = grid.ordered_columns, grid.ordered_rows
        for _ in range(3):
            for row in range(grid.rows):
                m[row, :across], u[row, :across] = monotone(m[row, :across], u[row, :across])
            for col in range(grid.columns):
                m[:down, col], u[:down, col] = monotone(m[:down, col], u[:down, col])
        return m.reshape(-1), u.reshape(-1)

    rng = np.random.default_rng(21)
    for grid in GRIDS.values():
        for _ in range(50):
            m, u = rng.random(grid.rows * grid.columns), rng.random(grid.rows * grid.columns)
            got, expected = monotone_grid(m, u, grid), every_row_and_column(m, u, grid)
            np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
            np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)
