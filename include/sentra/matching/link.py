"""Register linking: each cluster of the round → an existing sentra_id or a new entry.

The order of evidence, strongest first (``docs/matching.md`` explains why):

1. ``decision``: a reviewer said this cluster *is* that register entry;
2. carried: a member record was already linked in this census year
   (``existing_links``); the link is kept with its method, score and evidence, so
   reruns and late submissions never relink or renumber what is linked;
3. ``sentra_id``: the office used the prefilled template and the id is in the register;
4. ``match``: the best register entry of the same kab/kota scores ≥ match_threshold.

A register entry is taken by at most one cluster: within a level the higher score
wins, and a cluster that loses a ``match`` is reported as uncertain. Everything
unlinked becomes a new entry; clusters whose best register entry is in the clerical
band become *provisional* new entries and are listed in ``uncertain`` for review.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sentra.matching.dedup import normalise_decisions
from sentra.matching.engine import (
    FLAG_MARKS_ONE_SIDE,
    FLAG_OTHER_KECAMATAN,
    FLAG_OTHER_MARKS,
    candidate_pairs,
    prepare,
    score_pairs,
)
from sentra.matching.evidence import EvidenceModel, against_a_merge
from sentra.schema import REGISTER_ATTRIBUTES

if TYPE_CHECKING:
    from sentra.config import Settings

REGISTER_REQUIRED = ("sentra_id", "region_code", "sentra_name")
ENTRY_COLUMNS = ("cluster_key", *REGISTER_ATTRIBUTES)
EVIDENCE_REGISTER_COLUMNS = (
    "sentra_id",
    "sentra_name",
    "commodity",
    "kecamatan_code",
    "desa_code",
    "address",
    "latitude",
    "longitude",
    "units",
)
COMPONENTS = ("name_score", "commodity_score", "address_score", "distance_m", "units_score")
LEVELS = {"decision": 0, "carried": 1, "sentra_id": 2, "match": 3}


@dataclass
class LinkResult:
    """One ``links`` row per cluster; new entries and the review list beside it."""

    # cluster_key, sentra_id (None = new), method, score, evidence: JSON text for links
    # made in this run; a carried link's evidence as it was stored (the ledger hands it
    # back decoded), not serialised again only to be parsed when saved.
    links: pd.DataFrame
    new_entries: pd.DataFrame  # ENTRY_COLUMNS: clusters needing a new sentra_id
    uncertain: pd.DataFrame  # cluster_key, sentra_id, score, components, reason
    stats: dict[str, Any] = field(default_factory=dict)


def _members(survivors: pd.DataFrame) -> pd.DataFrame:
    """(record_key, cluster_key) of every member record, from ``member_keys`` lists."""
    if "member_keys" not in survivors.columns:
        return pd.DataFrame(
            {"record_key": survivors["cluster_key"], "cluster_key": survivors["cluster_key"]}
        )
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = pa.array(survivors["member_keys"], type=pa.list_(pa.string()))
    parents = pc.list_parent_indices(lists).to_numpy()
    return pd.DataFrame(
        {
            "record_key": pc.list_flatten(lists).to_numpy(zero_copy_only=False),
            "cluster_key": survivors["cluster_key"].to_numpy(dtype=object)[parents],
        }
    )


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _evidence_texts(
    basis: np.ndarray, scores: pd.DataFrame, register: pd.DataFrame, sentra_ids: np.ndarray
) -> list[str]:
    """JSON evidence per link: why (basis), the component scores, the entry compared.

    Built from whole columns at once; only the final ``json.dumps`` runs per row.
    """
    # A link with neither scores nor a register entry (a new sentra with no candidate,
    # every cluster of a first round) is just its basis: no per-row dict or dumps.
    has_sid = np.array([isinstance(s, str) for s in sentra_ids], dtype=bool)
    bare = ~has_sid & scores.isna().all(axis=1).to_numpy()
    plain = {kind: json.dumps({"basis": kind}, ensure_ascii=False) for kind in set(basis[bare])}
    out: list[str] = [
        plain[kind] if is_bare else "" for kind, is_bare in zip(basis, bare, strict=True)
    ]
    rich = np.flatnonzero(~bare)
    if len(rich) == 0:
        return out
    cols = [c for c in EVIDENCE_REGISTER_COLUMNS if c in register.columns and c != "sentra_id"]
    entries = register.drop_duplicates("sentra_id").set_index("sentra_id")[cols]
    # Reindexed over every row first, as before the fast path, so that value types
    # (an integer column with gaps reads as float) do not depend on which rows are rich.
    entries = entries.reindex(pd.Index(sentra_ids, dtype=object)).astype(object).iloc[rich]
    entry_rows = entries.where(entries.notna(), None).to_dict("records")
    sub = scores.astype(object).iloc[rich]
    score_rows = sub.where(sub.notna(), None).to_dict("records")
    for i, kind, sid, score, entry in zip(
        rich, basis[rich], sentra_ids[rich], score_rows, entry_rows, strict=True
    ):
        body: dict[str, object] = {"basis": kind}
        if any(v is not None for v in score.values()):
            body["scores"] = score
        if isinstance(sid, str):
            body["register"] = {"sentra_id": sid, **entry}
        out[i] = json.dumps(body, ensure_ascii=False, sort_keys=True, default=_json_default)
    return out


def link_to_register(
    survivors: pd.DataFrame,
    register: pd.DataFrame,
    *,
    settings: Settings,
    existing_links: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    evidence: EvidenceModel | None = None,
) -> LinkResult:
    """Link every cluster (one survivor row each) to the register or ask for a new id.

    ``evidence`` (the census year's learned weights, see sentra.matching.evidence)
    settles clerical-band pairs as deduplication does: a likely pair is linked
    (``evidence``), an unlikely one is not offered for review.
    """
    started = time.perf_counter()
    for frame, what, cols in (
        (survivors, "survivors", ("cluster_key", "region_code", "sentra_name")),
        (register, "register", REGISTER_REQUIRED),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{what} lack required column(s): {', '.join(missing)}")
    if survivors["cluster_key"].duplicated().any():
        dup = survivors.loc[survivors["cluster_key"].duplicated(), "cluster_key"].iloc[0]
        raise ValueError(f"survivors: cluster_key {dup!r} appears more than once")
    surv = survivors.reset_index(drop=True)
    reg = register.reset_index(drop=True)
    clusters = surv["cluster_key"].astype(str).to_numpy(dtype=object)
    reg_ids = reg["sentra_id"].astype(str).to_numpy(dtype=object)
    reg_pos = pd.Series(np.arange(len(reg)), index=reg_ids)
    if reg_pos.index.duplicated().any():
        raise ValueError(
            f"register: sentra_id {reg_pos.index[reg_pos.index.duplicated()][0]!r} appears twice"
        )
    members = _members(surv)
    cluster_of = pd.Series(
        members["cluster_key"].to_numpy(), index=members["record_key"].to_numpy()
    )

    # Reviewer verdicts between a member record and a register entry.
    dec = normalise_decisions(decisions)
    left_is_record = isin(dec["left_key"], cluster_of.index) & isin(dec["right_key"], reg_pos.index)
    right_is_record = isin(dec["right_key"], cluster_of.index) & isin(
        dec["left_key"], reg_pos.index
    )
    reg_dec = pd.concat(
        [
            pd.DataFrame(
                {
                    "cluster_key": dec.loc[left_is_record, "left_key"].map(cluster_of),
                    "sentra_id": dec.loc[left_is_record, "right_key"],
                    "decision": dec.loc[left_is_record, "decision"],
                }
            ),
            pd.DataFrame(
                {
                    "cluster_key": dec.loc[right_is_record, "right_key"].map(cluster_of),
                    "sentra_id": dec.loc[right_is_record, "left_key"],
                    "decision": dec.loc[right_is_record, "decision"],
                }
            ),
        ],
        ignore_index=True,
    )
    vetoed = set(
        zip(
            reg_dec.loc[reg_dec["decision"] == "non_match", "cluster_key"],
            reg_dec.loc[reg_dec["decision"] == "non_match", "sentra_id"],
            strict=True,
        )
    )

    claims: list[pd.DataFrame] = []
    confirmed = reg_dec[reg_dec["decision"] == "match"]
    if len(confirmed):
        claims.append(
            confirmed.assign(level=LEVELS["decision"], method="decision", score=1.0, evidence=None)
        )

    # Links already made for records of this census year (reruns, late submissions).
    if existing_links is not None and len(existing_links):
        ex = existing_links[isin(existing_links["record_key"], cluster_of.index)]
        ex = ex[ex["sentra_id"].notna() & isin(ex["sentra_id"], reg_pos.index)]
        if len(ex):
            ex = ex.assign(cluster_key=ex["record_key"].map(cluster_of))
            ex = ex.assign(
                own=(ex["record_key"] == ex["cluster_key"]).astype(int),
                votes=ex.groupby(["cluster_key", "sentra_id"])["record_key"].transform("size"),
            )
            ex = ex.sort_values(
                ["cluster_key", "own", "votes", "sentra_id"], ascending=[True, False, False, True]
            ).drop_duplicates(["cluster_key", "sentra_id"])
            claims.append(
                pd.DataFrame(
                    {
                        "cluster_key": ex["cluster_key"],
                        "sentra_id": ex["sentra_id"],
                        "level": LEVELS["carried"] + 0.0,
                        "method": ex["method"],
                        # The stored score is kept as it was (a new entry without a
                        # candidate has none); a link without one ranks as certain.
                        "score": pd.to_numeric(ex["score"], errors="coerce").to_numpy(),
                        "rank_score": pd.to_numeric(ex["score"], errors="coerce")
                        .fillna(1.0)
                        .to_numpy(),
                        "evidence": ex.get("evidence"),
                        "rank": np.arange(len(ex)),
                    }
                )
            )

    # The prefilled template's sentra_id, when the register knows it.
    if "sentra_id" in surv.columns:
        sid = surv["sentra_id"].astype(object)
        known = sid.notna() & isin(sid, reg_pos.index)
        if known.any():
            claims.append(
                pd.DataFrame(
                    {
                        "cluster_key": clusters[known.to_numpy()],
                        "sentra_id": sid[known].to_numpy(),
                        "level": LEVELS["sentra_id"],
                        "method": "sentra_id",
                        "score": 1.0,
                        "evidence": None,
                    }
                )
            )

    links = pd.DataFrame(columns=["cluster_key", "sentra_id", "method", "score", "evidence"])
    contested: list[pd.DataFrame] = []
    taken_clusters: set[str] = set()
    taken_ids: set[str] = set()
    for level_claims in claims:
        free = ~isin(level_claims["cluster_key"], taken_clusters) & ~isin(
            level_claims["sentra_id"], taken_ids
        )
        allowed = [
            (c, s) not in vetoed
            for c, s in zip(level_claims["cluster_key"], level_claims["sentra_id"], strict=True)
        ]
        won, lost = _one_to_one(level_claims[free & np.array(allowed, dtype=bool)])
        contested.append(lost)
        links = pd.concat([links, won[links.columns]], ignore_index=True)
        taken_clusters.update(won["cluster_key"])
        taken_ids.update(won["sentra_id"])

    # Score the rest against unclaimed entries of their kab/kota.
    t = time.perf_counter()
    open_pos = np.flatnonzero(~isin(clusters, taken_clusters))
    scored = _score_against_register(surv, open_pos, reg, taken_ids, vetoed)
    match_t, review_t = settings.match_threshold, settings.review_threshold
    best = scored.sort_values(["cluster_key", "score", "sentra_id"], ascending=[True, False, True])
    best = best.drop_duplicates("cluster_key")
    strong = best[best["score"] >= match_t].assign(level=LEVELS["match"], method="match")
    won, lost = _one_to_one(strong)
    links = pd.concat(
        [links, won[["cluster_key", "sentra_id", "method", "score"]]], ignore_index=True
    )
    mutual = _mutual_best(scored, links, review_t)
    links = pd.concat(
        [links, mutual[["cluster_key", "sentra_id", "method", "score"]]], ignore_index=True
    )
    won = pd.concat([won, mutual], ignore_index=True)
    unlikely = pd.Series([], dtype=object)
    if evidence is not None:
        likely, unlikely = _settled_by_evidence(scored, links, evidence, settings)
        likely_won, _ = _one_to_one(likely)
        links = pd.concat(
            [links, likely_won[["cluster_key", "sentra_id", "method", "score"]]],
            ignore_index=True,
        )
        won = pd.concat([won, likely_won], ignore_index=True)
    scoring_s = time.perf_counter() - t

    # Clerical band and contested entries: listed for review; provisional new entries.
    linked = set(links["cluster_key"])
    band = scored[
        (scored["score"] >= review_t)
        & (scored["score"] < match_t)
        & ~isin(scored["cluster_key"], linked)
        & ~isin(scored["cluster_key"] + "|" + scored["sentra_id"], unlikely)
    ].assign(reason="clerical_band")
    lost_all = pd.concat([*(c for c in contested if len(c)), lost], ignore_index=True)
    if len(lost_all):
        lost_all = lost_all[~isin(lost_all["cluster_key"], linked)]
        lost_all = lost_all.assign(reason="register_entry_taken")
    ucols = ["cluster_key", "sentra_id", "score", *COMPONENTS, "reason"]
    uncertain = (
        pd.concat([f.reindex(columns=ucols) for f in (band, lost_all) if len(f)], ignore_index=True)
        if (len(band) or len(lost_all))
        else pd.DataFrame(columns=ucols)
    )
    uncertain = uncertain.sort_values(["cluster_key", "score"], ascending=[True, False])
    uncertain = uncertain.reset_index(drop=True)

    new_pos = np.flatnonzero(~isin(clusters, linked))
    new_keys = pd.Series(clusters[new_pos], dtype=object)
    review_of = uncertain.drop_duplicates("cluster_key").set_index("cluster_key")
    best_of = best.set_index("cluster_key")
    provisional = isin(new_keys, review_of.index)
    below = ~provisional & isin(new_keys, best_of.index)
    shown = pd.concat(
        [
            review_of.loc[new_keys[provisional]].assign(
                basis="provisional_new:" + review_of.loc[new_keys[provisional], "reason"]
            ),
            best_of.loc[new_keys[below]].assign(
                # In the band but unlikely by the evidence weights: not worth a review.
                basis=np.where(
                    best_of.loc[new_keys[below], "score"] >= review_t,
                    "new:evidence_unlikely",
                    "new:below_review",
                )
            ),
        ]
    )
    basis = pd.Series("new:no_candidate", index=new_keys.to_numpy(), dtype=object)
    basis[shown.index] = shown["basis"]
    new_links = pd.DataFrame(
        {
            "cluster_key": new_keys.to_numpy(),
            "sentra_id": None,
            "method": "new",
            "score": shown["score"].reindex(new_keys).to_numpy(dtype="float64"),
        }
    )
    new_links["evidence"] = _evidence_texts(
        basis.to_numpy(),
        shown.reindex(new_keys)[list(COMPONENTS)],
        reg,
        shown["sentra_id"].reindex(new_keys).to_numpy(dtype=object),
    )

    # Evidence for links made in this run; carried links keep the stored evidence.
    need = links["evidence"].isna().to_numpy()
    comp = won.set_index("cluster_key").reindex(links.loc[need, "cluster_key"])
    comp = comp.reindex(columns=list(COMPONENTS)).astype("float64")
    comp.loc[~isin(links.loc[need, "method"], {"match", "mutual_best", "evidence"}), :] = np.nan
    links.loc[need, "evidence"] = _evidence_texts(
        links.loc[need, "method"].to_numpy(dtype=object),
        comp,
        reg,
        links.loc[need, "sentra_id"].to_numpy(dtype=object),
    )
    links = pd.concat([links, new_links], ignore_index=True).astype({"score": "float64"})
    links = links.sort_values("cluster_key").reset_index(drop=True)

    entries = surv.iloc[new_pos].copy()
    if "province_code" not in entries.columns:
        entries["province_code"] = entries["region_code"].astype(str).str[:2]
    for c in ENTRY_COLUMNS:
        if c not in entries.columns:
            entries[c] = None
    new_entries = entries[list(ENTRY_COLUMNS)].sort_values(["region_code", "cluster_key"])
    new_entries = new_entries.reset_index(drop=True)

    counts = links["method"].value_counts().to_dict()
    stats = {
        "clusters": len(links),
        "methods": {k: int(v) for k, v in counts.items()},
        "new_entries": len(new_entries),
        "provisional_new": int(isin(new_keys, review_of.index).sum()),
        "uncertain_pairs": len(uncertain),
        "register_pairs_scored": len(scored),
        "scoring_s": round(scoring_s, 3),
        "total_s": round(time.perf_counter() - started, 3),
    }
    return LinkResult(links=links, new_entries=new_entries, uncertain=uncertain, stats=stats)


def isin(values, pool) -> np.ndarray:
    """Membership test in Arrow's C kernel.

    Public because matching.incremental tests membership the same way.

    pandas' Arrow-backed strings test membership with a Python loop, which costs
    seconds at a million rows. Arrow-backed columns go to Arrow as they are: a
    round-trip through a numpy object array cost a tenth of a second per million keys,
    even when there was nothing to look up.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(pool, set | frozenset):
        pool = list(pool)
    if len(values) == 0 or len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    values, pool = to_arrow(values), to_arrow(pool)
    if isinstance(pool, pa.ChunkedArray):
        pool = pool.combine_chunks()
    if pa.types.is_dictionary(values.type):  # a categorical column: compare its values
        values = values.cast(values.type.value_type)
    if pa.types.is_null(pool.type) or pa.types.is_null(values.type):
        return np.zeros(len(values), dtype=bool)
    found = pc.is_in(values, value_set=pool.cast(values.type))
    return found.to_numpy(zero_copy_only=False)


def to_arrow(values: Any) -> Any:
    """Arrow array of a Series, Index, numpy array or list (no copy when Arrow-backed).

    Public because matching.incremental converts its key columns the same way.
    """
    import pyarrow as pa

    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if isinstance(values, pd.Index):
        values = values.to_series()
    if not isinstance(values, pd.Series | np.ndarray | list):
        values = np.asarray(values, dtype=object)
    elif isinstance(values, np.ndarray) and values.dtype.kind in "USO":
        values = values.astype(object, copy=False)
    return pa.array(values, from_pandas=True)


def _mutual_best(scored: pd.DataFrame, links: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Clerical-band pairs that are each other's only likely partner, with nothing against.

    The register holds one entry per sentra and a consolidated year one cluster per
    sentra, so linking is one-to-one. When a cluster's best open register entry scores in
    the clerical band, that entry's best open cluster is this one, neither side has a
    tie, and nothing speaks against the pair (a different desa or kecamatan, name marks
    such as ``Lor``/``II``/``19`` on one side only or different on both),
    the pair is the same sentra re-spelled, not a choice between candidates: it is
    linked (``mutual_best``) instead of leaving a live sentra ``not_reported`` for a
    reviewer to rescue. On the yardstick 20k this linked 408 more 2026 clusters to
    their 2025 entries, none wrongly (docs/matching.md §7).
    """
    rest = _open_pairs(scored, links, floor)
    if not len(rest):
        return rest.assign(method=pd.Series([], dtype=object))
    best_of_cluster = rest.groupby("cluster_key")["score"].transform("max")
    best_of_entry = rest.groupby("sentra_id")["score"].transform("max")
    mutual = rest[(rest["score"] == best_of_cluster) & (rest["score"] == best_of_entry)]
    alone = _alone(mutual)
    flags = pd.to_numeric(mutual["evidence_flags"], errors="coerce").fillna(0).astype(int)
    doubt = FLAG_OTHER_KECAMATAN | FLAG_OTHER_MARKS | FLAG_MARKS_ONE_SIDE
    against = ((flags & doubt) > 0) | (mutual["desa_score"] == 0)
    return mutual[alone & ~against].assign(method="mutual_best")


def _open_pairs(scored: pd.DataFrame, links: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Scored pairs scoring at least ``floor`` whose cluster and entry are both unlinked."""
    return scored[
        ~isin(scored["cluster_key"], set(links["cluster_key"]))
        & ~isin(scored["sentra_id"], set(links["sentra_id"].dropna()))
        & (scored["score"] >= floor)
    ]


def _alone(pairs: pd.DataFrame) -> pd.Series:
    """Pairs whose cluster and entry appear in no other pair: two partners on either
    side is a choice between candidates, left to a reviewer."""
    return ~pairs["cluster_key"].duplicated(keep=False) & ~pairs["sentra_id"].duplicated(keep=False)


def _settled_by_evidence(
    scored: pd.DataFrame, links: pd.DataFrame, evidence: EvidenceModel, settings: Settings
) -> tuple[pd.DataFrame, pd.Series]:
    """Open clerical-band pairs the evidence weights settle: the likely ones (to link,
    ranked by probability) and the keys (``cluster|sentra_id``) of the unlikely ones.

    A cluster whose best register entry is in the band was the same sentra re-spelled,
    or another sentra of the place; the year's weights tell them apart as they do for
    duplicates within the round, so live sentra are not left ``not_reported`` waiting
    for a reviewer.
    """
    band = _open_pairs(scored, links, settings.review_threshold)
    band = band[band["score"] < settings.match_threshold]
    probability = evidence.probability(band)
    # As in deduplication: never a link with something against it.
    sure = (probability >= settings.evidence_match_probability) & ~against_a_merge(band)
    likely = band[sure].assign(
        rank_score=probability[sure],
        level=LEVELS["match"],
        method="evidence",
    )
    likely = likely[_alone(likely)]
    no = band[probability < settings.evidence_non_match_probability]
    return likely, (no["cluster_key"] + "|" + no["sentra_id"]).astype(object)


def _one_to_one(claim: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """At most one entry per cluster and one cluster per entry: the higher score wins."""
    if len(claim) == 0:
        return claim, claim
    rank = claim["rank_score"] if "rank_score" in claim.columns else claim["score"]
    order = claim.assign(_k=np.arange(len(claim)), _rank=rank.to_numpy()).sort_values(
        ["_rank", "cluster_key", "sentra_id"], ascending=[False, True, True], kind="stable"
    )
    per_cluster = order.drop_duplicates("cluster_key")
    won = per_cluster.drop_duplicates("sentra_id")
    lost = per_cluster[~isin(per_cluster["_k"], won["_k"])]
    return won.drop(columns=["_k", "_rank"]), lost.drop(columns=["_k", "_rank"])


def _score_against_register(
    surv: pd.DataFrame,
    open_pos: np.ndarray,
    reg: pd.DataFrame,
    taken_ids: set[str],
    vetoed: set[tuple[str, str]],
) -> pd.DataFrame:
    """Candidate (cluster, register entry) pairs of the same kab/kota, with scores."""
    extra = ["desa_score", "identity_score", "evidence_flags"]
    cols = ["cluster_key", "sentra_id", "score", *COMPONENTS, *extra]
    if len(open_pos) == 0 or len(reg) == 0:
        return pd.DataFrame(columns=cols).astype({"score": "float64"})
    left = surv.iloc[open_pos].reset_index(drop=True)
    regions = set(left["region_code"].dropna().astype(str))
    mask = isin(reg["region_code"].astype(str), regions) & ~isin(reg["sentra_id"], taken_ids)
    right = reg[mask].reset_index(drop=True)
    if len(right) == 0:
        return pd.DataFrame(columns=cols).astype({"score": "float64"})
    both = pd.concat(
        [left.drop(columns=["sentra_id"], errors="ignore"), right], ignore_index=True, sort=False
    )
    prep = prepare(both)
    side = np.r_[np.zeros(len(left), dtype=np.int8), np.ones(len(right), dtype=np.int8)]
    pairs = candidate_pairs(prep, side=side)
    scores = score_pairs(prep, prep, pairs.left, pairs.right)
    out = pd.DataFrame(
        {
            "cluster_key": left["cluster_key"].to_numpy(dtype=object)[pairs.left],
            "sentra_id": right["sentra_id"].to_numpy(dtype=object)[pairs.right - len(left)],
        }
    )
    out = pd.concat([out, scores[["score", *COMPONENTS, *extra]]], axis=1)
    if vetoed:
        keep = [
            (c, s) not in vetoed for c, s in zip(out["cluster_key"], out["sentra_id"], strict=True)
        ]
        out = out[keep]
    return out.reset_index(drop=True)
