"""Matching quality against a ground truth: pair and cluster precision, recall, F1.

Pair metrics count unordered record pairs placed in the same cluster; they are what
census linkage reports. Cluster metrics count clusters reproduced *exactly* (same
member set as a true entity): stricter, and closer to what a regional office sees
("this sentra was merged with the wrong one").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class QualityScores:
    pair_precision: float
    pair_recall: float
    pair_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    true_clusters: int
    predicted_clusters: int
    correct_clusters: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _pairs(sizes: pd.Series) -> int:
    n = sizes.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def pair_quality(predicted: pd.DataFrame, truth: pd.DataFrame) -> QualityScores:
    """Compare predicted clusters (record_key, cluster_key) with truth (record_key, entity_id).

    Both frames must name the same records: a record missing from one side is a bug
    upstream (row conservation), so it raises rather than being scored as a miss.
    With no pairs to find (or none predicted) precision/recall are 1.0 by convention.
    """
    for frame, label, cols in (
        (predicted, "predicted", ("record_key", "cluster_key")),
        (truth, "truth", ("record_key", "entity_id")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{label} frame lacks columns {missing}")
        if frame["record_key"].duplicated().any():
            dup = frame.loc[frame["record_key"].duplicated(), "record_key"].iloc[0]
            raise ValueError(f"{label} frame lists record_key {dup!r} more than once")
    joined = predicted[["record_key", "cluster_key"]].merge(
        truth[["record_key", "entity_id"]], on="record_key", how="outer", indicator=True
    )
    stray = joined[joined["_merge"] != "both"]
    if len(stray):
        row = stray.iloc[0]
        side = "predicted" if row["_merge"] == "left_only" else "truth"
        raise ValueError(
            f"{len(stray)} record_key(s) appear only in the {side} frame, "
            f"e.g. {row['record_key']!r}"
        )
    true_pairs = _pairs(joined.groupby("entity_id", sort=False).size())
    pred_pairs = _pairs(joined.groupby("cluster_key", sort=False).size())
    correct = _pairs(joined.groupby(["cluster_key", "entity_id"], sort=False).size())
    p = correct / pred_pairs if pred_pairs else 1.0
    r = correct / true_pairs if true_pairs else 1.0

    # A cluster is exactly right when its records all share one entity and that
    # entity has no records elsewhere.
    cell = joined.groupby(["cluster_key", "entity_id"], sort=False).size().rename("n").reset_index()
    cell["cluster_n"] = cell["cluster_key"].map(joined.groupby("cluster_key").size())
    cell["entity_n"] = cell["entity_id"].map(joined.groupby("entity_id").size())
    exact = int(((cell["n"] == cell["cluster_n"]) & (cell["n"] == cell["entity_n"])).sum())
    n_pred = int(joined["cluster_key"].nunique())
    n_true = int(joined["entity_id"].nunique())
    cp = exact / n_pred if n_pred else 1.0
    cr = exact / n_true if n_true else 1.0
    return QualityScores(
        pair_precision=round(p, 6),
        pair_recall=round(r, 6),
        pair_f1=round(_f1(p, r), 6),
        cluster_precision=round(cp, 6),
        cluster_recall=round(cr, 6),
        cluster_f1=round(_f1(cp, cr), 6),
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=correct,
        true_clusters=n_true,
        predicted_clusters=n_pred,
        correct_clusters=exact,
    )
