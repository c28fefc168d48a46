"""Within-round deduplication: candidate pairs → decisions → clusters → survivors.

The decision rule, the chaining safeguard and survivorship are documented in
``docs/matching.md``; this module is their implementation. Everything is vectorised
over the whole round (numpy, rapidfuzz, scipy.sparse.csgraph): there is no Python
loop over records or pairs, only over a handful of blocking keys and clustering
rounds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sentra.matching.copies import copy_rows
from sentra.matching.engine import (
    SCORE_CHUNK,
    candidate_pairs,
    evidence_against,
    prepare,
    score_pairs,
    scoring_columns,
    unique_int64,
)
from sentra.matching.evidence import EvidenceModel, fit

if TYPE_CHECKING:
    from sentra.config import Settings

REQUIRED_COLUMNS = (
    "record_key",
    "submission_id",
    "office_code",
    "region_code",
    "sentra_name",
    "received_at",
)
# Provenance of the survivor row: never filled in from another member.
LINEAGE_COLUMNS = ("record_key", "submission_id", "office_code", "source_file", "source_sheet")
SCORE_COLUMNS = (
    "score",
    "name_score",
    "commodity_score",
    "address_score",
    "distance_m",
    "units_score",
    "workers_score",
    "desa_score",
    "identity_score",
    "evidence_flags",
)
CANDIDATE_COLUMNS = (
    "left_key",
    "right_key",
    *SCORE_COLUMNS,
    "match_probability",
    "decision",
    "decided_by",
)
MAX_CLUSTER_ROUNDS = 20


@dataclass
class DedupResult:
    """What :func:`deduplicate` returns; every input record is in ``clusters`` once."""

    clusters: pd.DataFrame  # record_key, cluster_key, is_survivor, match_score
    candidates: pd.DataFrame  # CANDIDATE_COLUMNS: the review table of the round
    survivors: pd.DataFrame  # one row per cluster: survivor values + cluster_key/size/members
    stats: dict[str, Any] = field(default_factory=dict)
    evidence: EvidenceModel | None = None  # the learned weights that settled the band


def check_records(records: pd.DataFrame, what: str = "records") -> None:
    """Fail early, naming the column or the row, when the input breaks the contract."""
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"{what} lack required column(s): {', '.join(missing)}")
    keys = records["record_key"]
    if keys.isna().any():
        row = records[keys.isna()].iloc[0]
        raise ValueError(
            f"{what}: submission {row.get('submission_id')!r} row {row.get('source_row')!r} "
            "has no record_key"
        )
    dup = keys.duplicated()
    if dup.any():
        raise ValueError(f"{what}: record_key {keys[dup].iloc[0]!r} appears more than once")


def normalise_decisions(decisions: pd.DataFrame | None) -> pd.DataFrame:
    """Reviewer verdicts with sorted keys, one per pair (the last one given wins)."""
    cols = ["left_key", "right_key", "decision"]
    if decisions is None or len(decisions) == 0:
        return pd.DataFrame(columns=cols, dtype=object)
    missing = [c for c in cols if c not in decisions.columns]
    if missing:
        raise ValueError(f"decisions lack column(s): {', '.join(missing)}")
    d = decisions[cols].astype(object).copy()
    bad = ~d["decision"].isin(["match", "non_match"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"decisions row {i} ({d['left_key'].iloc[i]!r}, {d['right_key'].iloc[i]!r}): "
            f"decision must be 'match' or 'non_match', not {d['decision'].iloc[i]!r}"
        )
    left = d[["left_key", "right_key"]].min(axis=1)
    right = d[["left_key", "right_key"]].max(axis=1)
    d["left_key"], d["right_key"] = left, right
    return d.drop_duplicates(["left_key", "right_key"], keep="last").reset_index(drop=True)


def _pack(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo.astype(np.int64) * n + hi


def _sentra_id_pairs(sentra_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Star edges joining every record to the first record carrying the same sentra_id."""
    s = pd.Series(sentra_id, dtype=object)
    present = s.notna() & (s != "")
    codes = pd.factorize(s.where(present, None), use_na_sentinel=True)[0]
    pos = np.flatnonzero(codes >= 0)
    if len(pos) == 0:
        return pos, pos
    first = pd.Series(pos).groupby(codes[pos]).transform("min").to_numpy()
    keep = first != pos
    return first[keep], pos[keep]


def completeness(records: pd.DataFrame) -> np.ndarray:
    """How many census fields each record fills (a survivor tie-break).

    Public because matching.incremental orders reused clusters' members the same way.
    """
    from sentra.schema import CENSUS_FIELDS

    cols = [f.name for f in CENSUS_FIELDS if f.name in records.columns]
    return records[cols].notna().sum(axis=1).to_numpy(dtype=np.int64)


def _office_rank(records: pd.DataFrame) -> np.ndarray:
    """0: the kab/kota's own office; 1: its province office; 2: anyone else."""
    office = records["office_code"].astype(object).to_numpy()
    region = records["region_code"].astype(object).fillna("").to_numpy()
    province = np.array([r[:2] for r in region], dtype=object)
    return np.where(office == region, 0, np.where(office == province, 1, 2))


def received_ns(records: pd.DataFrame) -> np.ndarray:
    """``received_at`` as int64 nanoseconds (UTC; NaT for unparseable), a tie-break.

    Public because matching.incremental orders reused clusters' members the same way.
    """
    ts = pd.to_datetime(records["received_at"], utc=True, errors="coerce")
    return ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def deduplicate(
    records: pd.DataFrame,
    *,
    settings: Settings,
    decisions: pd.DataFrame | None = None,
    evidence: EvidenceModel | None = None,
    fit_evidence: bool = False,
) -> DedupResult:
    """Cluster the accepted records of one census year into one cluster per real sentra.

    ``decisions`` (reviewer verdicts on record pairs) override scores on every run.
    Pairs in the clerical band are settled by ``evidence`` (learned m/u weights, see
    :mod:`sentra.matching.evidence`) where its probability is decisive; with
    ``fit_evidence`` the weights are first fitted on this run's contested pairs (when
    there are at least ``settings.evidence_min_pairs``). The model used is returned.
    """
    started = time.perf_counter()
    check_records(records)
    recs = records.reset_index(drop=True)
    n = len(recs)
    keys = recs["record_key"].astype(str).to_numpy(dtype=object)
    if n == 0:
        return _empty_result(recs, evidence)
    match_t, review_t = settings.match_threshold, settings.review_threshold
    prep = prepare(recs)
    timings = {"prepare_s": time.perf_counter() - started}

    # Candidate pairs: blocks ∪ shared sentra_id ∪ reviewer-decided pairs. The last two
    # are few and always kept; block pairs are built and scored a batch of kab/kota at
    # a time (blocks never cross a kab/kota) and only those scoring in the clerical band
    # or above are kept, so memory follows one batch, not every pair scored.
    sid = prep["sentra_id"].to_numpy()
    sa, sb = _sentra_id_pairs(sid)
    dec = normalise_decisions(decisions)
    # Positions of the decided keys (-1: not in this round). A hash index of a million
    # keys is built only when there are verdicts to place.
    dl = dr = np.array([], dtype=np.int64)
    if len(dec):
        index = pd.Index(keys)
        dl, dr = index.get_indexer(dec["left_key"]), index.get_indexer(dec["right_key"])
    in_round = (dl >= 0) & (dr >= 0) & (dl != dr)
    dec = dec[in_round].reset_index(drop=True)
    da, db = dl[in_round].astype(np.int64), dr[in_round].astype(np.int64)
    forced = unique_int64(np.concatenate([_pack(sa, sb, n), _pack(da, db, n)]))
    blocked = _scored_block_pairs(prep, forced, review_t)
    timings["blocking_s"] = blocked.blocking_s

    t = time.perf_counter()
    forced_scores = score_pairs(prep, prep, forced // n, forced % n)
    packed = np.concatenate([blocked.packed, forced])
    order = np.argsort(packed, kind="stable")
    packed = packed[order]
    scores = pd.concat([blocked.scores, forced_scores], ignore_index=True)
    scores = scores.iloc[order].reset_index(drop=True)
    left, right = packed // n, packed % n
    timings["scoring_s"] = blocked.scoring_s + time.perf_counter() - t

    score = scores["score"].to_numpy()
    decision = np.where(score >= match_t, "match", np.where(score >= review_t, "uncertain", ""))
    decision = decision.astype(object)
    decision[decision == ""] = "non_match"
    ls, rs = sid[left], sid[right]
    both_ids = pd.notna(ls) & pd.notna(rs) & (ls != "") & (rs != "")
    same_id = both_ids & (ls == rs)
    decision[same_id] = "match"
    decision[both_ids & ~same_id] = "non_match"  # two register entries: only a person merges
    decided_by = np.full(len(left), "auto", dtype=object)
    # The clerical band, settled by learned evidence where it is decisive. Fitted (when
    # asked) on the year's contested pairs, every pair at or above the review threshold:
    # the pairs the memo keeps as candidates, so an incremental run can fit on the same
    # set; applied to those register ids have not decided.
    t = time.perf_counter()
    contested = score >= review_t
    if fit_evidence and int(contested.sum()) >= settings.evidence_min_pairs:
        evidence = fit(scores[contested])
    contested &= ~both_ids  # the same register entry, or two: decided above
    probability = np.full(len(left), np.nan, dtype=np.float32)
    settled = 0
    if evidence is not None and contested.any():
        probability[contested] = evidence.probability(scores[contested])
        band = contested & (score < match_t)
        # The weights may merge a band pair only when nothing speaks against it: they
        # are fitted assuming fields independent, and a name shared by two sentra of
        # one product 11 km apart outweighs the distance in them (own generator, 1M).
        # Unlike identifying words count against it here too: over all contested
        # pairs (most of them one place, two products) they tell little and EM weighs
        # them near zero, but among band pairs of one product they are what tells two
        # sentra of a kecamatan apart (yardstick 200k, 2025: of 96 band pairs the
        # weights merged with identifying words under 0.5 alike, 68 were two sentra).
        # Register links keep to the weights' own fields: they also need the cluster
        # and the entry to have no other likely partner.
        against = np.logical_or.reduce(list(evidence_against(scores).values()))
        likely = probability >= settings.evidence_match_probability
        yes = band & likely & ~against
        # Something against the merge and weights short of sure: settled apart. What is
        # left for a reviewer is where the weights are unsure with nothing against, or
        # sure against a field that disagrees (yardstick 200k, 2025, weights with the
        # worker counts as a field of their own: 482 band pairs with a field against
        # and weights 0.3–0.9, 108 of them one sentra; the band went 1,231 pairs 44 %
        # true → 749 pairs 58 % true; no merge changes, band pairs are never merged).
        no = band & ((probability < settings.evidence_non_match_probability) | (against & ~likely))
        # An automatic match the learned evidence finds almost surely two sentra (a
        # shared desa and product, two names): not merged.
        no |= (
            contested
            & (score >= match_t)
            & (probability < settings.evidence_veto_probability)
            & (decided_by == "auto")
        )
        decision[yes], decision[no] = "match", "non_match"
        decided_by[yes | no] = "evidence"
        settled = int((yes | no).sum())
    timings["evidence_s"] = time.perf_counter() - t
    if len(dec):
        where = pd.Series(np.arange(len(packed)), index=packed)
        at = where.loc[_pack(da, db, n)].to_numpy()
        decision[at] = dec["decision"].to_numpy()
        decided_by[at] = "reviewer"

    t = time.perf_counter()
    is_match = decision == "match"
    hard = np.zeros(len(left), dtype=bool)
    hard[same_id] = True
    hard[decided_by == "reviewer"] = True
    rank = _office_rank(recs)
    received = received_ns(recs)
    complete = completeness(recs)
    # A pasted copy of a row (sentra.matching.copies) merges into the row it copies and
    # never carries the cluster: same office and file, so completeness decides.
    complete = np.where(copy_rows(recs), -1, complete)
    key_rank = pd.factorize(keys, sort=True)[0]
    cutting = (dec["decision"] == "non_match").to_numpy()
    cut_a, cut_b = da[cutting], db[cutting]
    labels, survivor_of, member_score, rounds, split = _cluster(
        n,
        left[is_match],
        right[is_match],
        hard_edges=(left[hard & is_match], right[hard & is_match]),
        cuts=(cut_a, cut_b),
        order_keys=(key_rank, -complete, -received, rank),
        prep=prep,
        sentra_id=sid,
        review_threshold=review_t,
    )
    timings["clustering_s"] = time.perf_counter() - t
    # The prepared matching columns (Arrow text, about 0.3 GB at a million records) are
    # done with; free them before the survivor rows are built, or both count towards
    # the peak.
    del prep

    is_survivor = survivor_of == np.arange(n)
    clusters = pd.DataFrame(
        {
            "record_key": keys,
            "cluster_key": keys[survivor_of],
            "is_survivor": is_survivor,
            "match_score": np.round(member_score, 4),
        }
    )

    keep = (score >= review_t) | (decided_by == "reviewer") | same_id
    lk, rk = keys[left[keep]], keys[right[keep]]
    swap = lk > rk
    candidates = pd.DataFrame(
        {
            "left_key": np.where(swap, rk, lk),
            "right_key": np.where(swap, lk, rk),
            **{c: scores[c].to_numpy()[keep] for c in SCORE_COLUMNS},
            "match_probability": probability[keep],
            "decision": decision[keep],
            "decided_by": decided_by[keep],
        }
    )
    candidates = candidates.sort_values(["left_key", "right_key"]).reset_index(drop=True)

    t = time.perf_counter()
    survivor_rows = survivors(recs, labels, survivor_of, complete, received)
    timings["survivorship_s"] = time.perf_counter() - t

    sizes = np.bincount(labels)
    stats: dict[str, Any] = {
        "records": n,
        "pairs_scored": blocked.scored + len(forced),
        "pairs_kept": len(left),
        "pairs_by_key": blocked.pairs_by_key,
        "capped_blocks": blocked.capped_blocks,
        "region_batches": blocked.batches,
        "candidates": len(candidates),
        "auto_match": int(((decision == "match") & (decided_by == "auto")).sum()),
        "uncertain": int((decision == "uncertain").sum()),
        "evidence_settled": settled,
        "evidence_pairs": evidence.fitted_pairs if evidence is not None else 0,
        "reviewer_decisions": len(dec),
        "clusters": len(survivor_rows),
        "merged_records": int(n - len(survivor_rows)),
        "largest_cluster": int(sizes.max()),
        "chain_splits": split,
        "cluster_rounds": rounds,
        **{k: round(v, 3) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - started, 3),
    }
    return DedupResult(
        clusters=clusters,
        candidates=candidates,
        survivors=survivor_rows,
        stats=stats,
        evidence=evidence,
    )


# Kab/kota are blocked and scored in batches of about this many records.
BATCH_ROWS = 200_000


@dataclass
class _BlockPairs:
    packed: np.ndarray  # left * n + right, left < right, sorted within each batch
    scores: pd.DataFrame
    scored: int = 0
    batches: int = 0
    pairs_by_key: dict[str, int] = field(default_factory=dict)
    capped_blocks: dict[str, int] = field(default_factory=dict)
    blocking_s: float = 0.0
    scoring_s: float = 0.0


def _region_batches(prep: pd.DataFrame) -> list[np.ndarray]:
    """Row positions (ascending) of whole kab/kota, about BATCH_ROWS per batch.

    Rows without a region are in no batch: every blocking key is scoped to a kab/kota,
    so they never had block pairs.
    """
    region = pd.factorize(prep["region_code"].where(prep["region_code"] != "", None))[0]
    present = np.flatnonzero(region >= 0)
    if len(present) == 0:
        return []
    order = present[np.argsort(region[present], kind="stable")]
    ends = np.cumsum(np.bincount(region[present]))
    batches, start, last_end = [], 0, 0
    for end in ends:
        if end - start >= BATCH_ROWS:
            batches.append(np.sort(order[start:end]))
            start = end
        last_end = end
    if last_end > start:
        batches.append(np.sort(order[start:last_end]))
    return batches


def _scored_block_pairs(prep: pd.DataFrame, forced: np.ndarray, keep_from: float) -> _BlockPairs:
    """Block pairs of every kab/kota batch, scored; those below ``keep_from`` dropped.

    Pairs in ``forced`` (sentra_id and reviewer pairs, scored by the caller) are left
    out here so that no pair is scored twice.
    """
    n = len(prep)
    none = np.array([], dtype=np.int64)
    out = _BlockPairs(none, score_pairs(prep, prep, none, none))
    packed_parts: list[np.ndarray] = []
    score_parts: list[pd.DataFrame] = []
    for rows in _region_batches(prep):
        t = time.perf_counter()
        batch = prep.iloc[rows].reset_index(drop=True)
        found = candidate_pairs(batch)
        for key, count in found.pairs_by_key.items():
            out.pairs_by_key[key] = out.pairs_by_key.get(key, 0) + count
        for key, count in found.capped_blocks.items():
            out.capped_blocks[key] = out.capped_blocks.get(key, 0) + count
        # Positions within the batch; rows ascending, so left < right holds for both.
        left, right = found.left, found.right
        packed = rows[left] * n + rows[right]
        if len(forced):
            at = np.minimum(np.searchsorted(forced, packed), len(forced) - 1)
            fresh = forced[at] != packed
            packed, left, right = packed[fresh], left[fresh], right[fresh]
        out.blocking_s += time.perf_counter() - t
        t = time.perf_counter()
        columns = scoring_columns(batch)  # once per batch, not once per chunk
        for i in range(0, len(packed), SCORE_CHUNK):
            scores = score_pairs(
                columns,
                columns,
                left[i : i + SCORE_CHUNK],
                right[i : i + SCORE_CHUNK],
                identity_from=keep_from,
                keep_from=keep_from,
            )
            packed_parts.append(packed[i : i + SCORE_CHUNK][scores.index.to_numpy()])
            score_parts.append(scores.reset_index(drop=True))
        out.scored += len(packed)
        out.batches += 1
        out.scoring_s += time.perf_counter() - t
    if packed_parts:
        out.packed = np.concatenate(packed_parts)
        out.scores = pd.concat(score_parts, ignore_index=True)
    return out


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _pick_survivors(labels: np.ndarray, order_keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Position of each record's survivor: the first of its cluster in survivorship order.

    ``order_keys`` are np.lexsort keys, least significant first (the last is primary
    after the cluster label).
    """
    order = np.lexsort((*order_keys, labels))
    first = np.ones(len(order), dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    head = order[first]  # one per label, labels ascending
    survivor_by_label = np.empty(labels.max() + 1, dtype=np.int64)
    survivor_by_label[labels[head]] = head
    return survivor_by_label[labels]


def _cluster(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    *,
    hard_edges: tuple[np.ndarray, np.ndarray],
    cuts: tuple[np.ndarray, np.ndarray],
    order_keys: tuple[np.ndarray, ...],
    prep: pd.DataFrame,
    sentra_id: np.ndarray,
    review_threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Connected components of match edges, split until every cluster is coherent.

    A member stays in its cluster when it scores ≥ the review threshold against the
    survivor, or is tied to the survivor by a hard edge (same sentra_id, reviewer
    'match'); it must not carry a different sentra_id than the survivor, nor be
    separated from any member by a reviewer 'non_match'. Members that fail are
    detached *together* into a new partition, where only edges among themselves count,
    and the same check runs again there. After MAX_CLUSTER_ROUNDS rounds whatever still
    fails stands alone (never observed in tests; a safety net, not a rule).
    """
    partition = np.zeros(n, dtype=np.int64)
    hard_packed = unique_int64(_pack(*hard_edges, n))
    cut_packed = _pack(*cuts, n) if len(cuts[0]) else np.array([], np.int64)
    member_score = np.ones(n)
    dirty = np.ones(n, dtype=bool)
    split = 0
    rounds = 0
    labels = np.arange(n)
    survivor_of = np.arange(n)
    for rounds in range(1, MAX_CLUSTER_ROUNDS + 2):
        same = partition[a] == partition[b]
        labels = _components(n, a[same], b[same])
        survivor_of = _pick_survivors(labels, order_keys)
        if rounds > MAX_CLUSTER_ROUNDS:
            break
        check_label = np.zeros(labels.max() + 1, dtype=bool)
        check_label[labels[dirty]] = True
        check = np.flatnonzero(check_label[labels] & (survivor_of != np.arange(n)))
        if len(check) == 0:
            break
        s = survivor_of[check]
        pair_score = score_pairs(prep, prep, check, s)["score"].to_numpy()
        member_score[check] = pair_score
        exempt = np.isin(_pack(check, s, n), hard_packed)
        sid_m, sid_s = sentra_id[check], sentra_id[s]
        conflict = pd.notna(sid_m) & pd.notna(sid_s) & (sid_m != sid_s)
        fails = ((pair_score < review_threshold) & ~exempt) | conflict
        detach = np.zeros(n, dtype=bool)
        detach[check[fails]] = True
        if len(cut_packed):
            together = labels[cuts[0]] == labels[cuts[1]]
            for x, y in zip(cuts[0][together], cuts[1][together], strict=True):
                if detach[x] or detach[y]:
                    continue
                # Detach the one that is not the survivor (or the weaker member).
                if survivor_of[x] == x:
                    detach[y] = True
                elif survivor_of[y] == y or member_score[x] < member_score[y]:
                    detach[x] = True
                else:
                    detach[y] = True
        if not detach.any():
            break
        split += int(detach.sum())
        touched = np.zeros(labels.max() + 1, dtype=bool)
        touched[labels[detach]] = True
        dirty = touched[labels]
        partition[detach] = partition.max() + 1 + partition[detach]
        member_score[detach] = 1.0
    member_score[survivor_of == np.arange(n)] = 1.0
    return labels, survivor_of, member_score, rounds, split


def survivors(
    recs: pd.DataFrame,
    labels: np.ndarray,
    survivor_of: np.ndarray,
    complete: np.ndarray,
    received: np.ndarray,
    *,
    rows: np.ndarray | None = None,
    sort: bool = True,
) -> pd.DataFrame:
    """One row per cluster: the survivor's values, its nulls filled from other members.

    Public because matching.incremental builds the reused clusters' rows with it.

    Members are ordered survivor first, then most complete, then most recent; a
    column's value is the first non-null in that order. Latitude and longitude are
    taken together from the first member that has both, so a point is never stitched
    from two records.

    Memory: the survivor rows are taken from ``recs`` once, already in output order,
    and only the merged clusters' values are filled in afterwards, a column at a time;
    no second copy of the year's rows is made (concatenating and sorting the rows
    afterwards held two, a gigabyte at a million records).

    ``rows`` limits the work to those records (whole clusters); ``sort=False`` leaves
    the rows in no particular order, sparing a sort of a million keys.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chosen = np.arange(len(labels)) if rows is None else np.asarray(rows, dtype=np.int64)
    if len(chosen) == 0:
        return _empty_result(recs, None).survivors
    keys = pa.Table.from_pandas(recs[["record_key"]], preserve_index=False).column(0)
    keys = keys.combine_chunks().cast(pa.string())
    heads = chosen[survivor_of[chosen] == chosen]
    if sort:
        heads = heads[pc.sort_indices(keys.take(pa.array(heads))).to_numpy()]
    out = recs.iloc[heads].reset_index(drop=True)

    sizes = np.bincount(labels, minlength=len(labels))
    head_size = sizes[labels[heads]]
    out_pos = np.full(len(labels), -1, dtype=np.int64)  # output row of each cluster label
    out_pos[labels[heads]] = np.arange(len(heads))
    multi = chosen[sizes[labels[chosen]] > 1]
    member_order = multi[
        np.lexsort((-received[multi], -complete[multi], survivor_of[multi] != multi, labels[multi]))
    ]
    if len(member_order):
        census = [c for c in recs.columns if c not in LINEAGE_COLUMNS]
        group = labels[member_order]
        filled = recs.iloc[member_order][census].groupby(group, sort=True).first()
        target = out_pos[filled.index.to_numpy()]
        for col in census:
            # The survivor comes first in member order, so only where its value is
            # missing can the merged value differ; most columns need no new copy.
            gaps = out[col].isna().to_numpy()[target] & filled[col].notna().to_numpy()
            if gaps.any():
                values = out[col].array.copy()
                values[target[gaps]] = filled[col].array[gaps]
                out[col] = values
    if {"latitude", "longitude"} <= set(recs.columns):
        lat = recs["latitude"].to_numpy(dtype="float64", na_value=np.nan)
        lon = recs["longitude"].to_numpy(dtype="float64", na_value=np.nan)
        both = ~np.isnan(lat) & ~np.isnan(lon)
        out_lat = np.where(both[heads], lat[heads], np.nan)
        out_lon = np.where(both[heads], lon[heads], np.nan)
        # Merged clusters: the first member (in member order) that has both.
        with_xy = member_order[both[member_order]]
        first = np.r_[True, labels[with_xy][1:] != labels[with_xy][:-1]] if len(with_xy) else []
        firsts = with_xy[first] if len(with_xy) else with_xy
        out_lat[out_pos[labels[firsts]]] = lat[firsts]
        out_lon[out_pos[labels[firsts]]] = lon[firsts]
        out["latitude"], out["longitude"] = out_lat, out_lon
    # Member lists in output order, each cluster's members in member order.
    rank = np.zeros(len(labels), dtype=np.int64)
    rank[member_order] = np.arange(1, len(member_order) + 1)
    members = chosen[np.lexsort((rank[chosen], out_pos[labels[chosen]]))]
    offsets = np.r_[0, np.cumsum(head_size)].astype(np.int32)
    member_keys = pa.ListArray.from_arrays(pa.array(offsets), keys.take(pa.array(members)))
    out["cluster_key"] = keys.take(pa.array(heads)).to_pandas().array
    out["cluster_size"] = head_size.astype(np.int64)
    out["member_keys"] = pd.Series(pd.arrays.ArrowExtensionArray(member_keys), index=out.index)
    return out


def _empty_result(recs: pd.DataFrame, evidence: EvidenceModel | None) -> DedupResult:
    clusters = pd.DataFrame(
        {"record_key": [], "cluster_key": [], "is_survivor": [], "match_score": []}
    ).astype(
        {"record_key": object, "cluster_key": object, "is_survivor": bool, "match_score": float}
    )
    candidates = pd.DataFrame({c: [] for c in CANDIDATE_COLUMNS}).astype(
        dict.fromkeys(("left_key", "right_key", "decision", "decided_by"), object)
    )
    import pyarrow as pa

    no_members = pd.arrays.ArrowExtensionArray(pa.array([], pa.list_(pa.string())))
    survivors = recs.iloc[:0].assign(
        cluster_key=pd.Series([], dtype=object),
        cluster_size=pd.Series([], dtype="int64"),
        member_keys=pd.Series(no_members, dtype=no_members.dtype),
    )
    candidates["match_probability"] = candidates["match_probability"].astype(np.float32)
    return DedupResult(clusters, candidates, survivors, {"records": 0, "clusters": 0}, evidence)
