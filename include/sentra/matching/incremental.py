"""Incremental matching: a consolidation re-matches only the kab/kota a change touches.

Blocking never crosses a kab/kota, so deduplication and register linking fall apart
into independent *units*: one kab/kota, or several joined by something that crosses
their border (records of both carrying one prefilled sentra_id, a record whose
sentra_id or stored link names a register entry of the other, a reviewer's decision
between them). Within a census year:

* a unit's deduplication (clusters, review candidates) depends only on its records,
  the reviewers' decisions on them and the thresholds;
* once its clusters are linked and the links stored, every later run *carries* those
  links (``link_to_register``'s "carried" level): same sentra_id, method, score and
  evidence, nothing to review, no new entry.

So each consolidation keeps a *memo* beside its tables: per unit a fingerprint of
those inputs, and per record its cluster and sentra_id, plus the unit's review
candidates. The next consolidation of the year recomputes a unit only when its
fingerprint changed (a late, replaced or withdrawn file; a reviewer's decision), when
its stored links no longer agree with the memo (a run that died between saving links
and writing its memo), or when a reviewer tied one of its records to a register entry;
every other unit is taken from the memo. The result equals matching the whole year
again (``tests/unit/test_matching_incremental.py`` compares them), at the cost of the
changed units: one late kab/kota file against a national register takes about a
second instead of matching a million records again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sentra.matching.dedup import (
    CANDIDATE_COLUMNS,
    DedupResult,
    check_records,
    deduplicate,
    normalise_decisions,
)
from sentra.matching.dedup import completeness as _completeness
from sentra.matching.dedup import received_ns as _received_ns
from sentra.matching.dedup import survivors as _survivors
from sentra.matching.evidence import EvidenceModel
from sentra.matching.evidence import fit as fit_evidence
from sentra.matching.link import LinkResult, link_to_register
from sentra.matching.link import isin as _isin
from sentra.matching.link import to_arrow as _to_arrow

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sentra.config import Settings

log = logging.getLogger(__name__)

# Bump whenever deduplication or linking would give another result for the same
# input: every memo written before then is ignored (one full recomputation).
# 3: candidates carry match_probability; the memo keeps the year's evidence weights.
# 4: candidates carry workers_score (worker counts are evidence).
MEMO_VERSION = 4
NO_REGION = "-"  # unit label of records without a kab/kota code
# What clustering reads of a record (besides how complete it is); a change in any of
# them changes the unit's fingerprint.
CONTENT_COLUMNS = (
    "record_key",
    "office_code",
    "received_at",
    "region_code",
    "sentra_name",
    "address",
    "commodity",
    "commodity_group",
    "kecamatan_code",
    "desa_code",
    "latitude",
    "longitude",
    "units",
    "sentra_id",
)
MEMO_RECORD_COLUMNS = (
    "record_key",
    "unit",
    "cluster_key",
    "is_survivor",
    "match_score",
    "sentra_id",
)
LINK_OUTPUT_COLUMNS = ("cluster_key", "sentra_id", "method", "score", "evidence")


@dataclass
class MatchMemo:
    """What a consolidation keeps so that the next one can skip unchanged units."""

    fingerprints: dict[str, str]  # unit → fingerprint of its inputs
    records: pd.DataFrame  # MEMO_RECORD_COLUMNS, one row per record matched
    candidates: pd.DataFrame  # CANDIDATE_COLUMNS + unit
    # The year's learned evidence weights, kept so that every later run of the year
    # (a late file above all) is judged with them; None until the year has enough
    # contested pairs to fit them.
    evidence: EvidenceModel | None = None

    def to_tables(self) -> dict[str, Any]:
        """Arrow tables to store (``units`` last: its presence marks a complete memo)."""
        import pyarrow as pa

        evidence = pd.DataFrame(
            {"model": [self.evidence.to_json()] if self.evidence is not None else []},
            dtype=object,
        )

        units = pd.DataFrame(
            {
                "unit": list(self.fingerprints),
                "fingerprint": list(self.fingerprints.values()),
                "memo_version": MEMO_VERSION,
            }
        )
        records = self.records[list(MEMO_RECORD_COLUMNS)].astype(
            {"record_key": object, "unit": object, "cluster_key": object, "sentra_id": object}
        )
        return {
            "records": pa.Table.from_pandas(records, preserve_index=False),
            "candidates": pa.Table.from_pandas(self.candidates, preserve_index=False),
            "evidence": pa.Table.from_pandas(
                evidence, schema=pa.schema([("model", pa.string())]), preserve_index=False
            ),
            "units": pa.Table.from_pandas(units, preserve_index=False),
        }

    @classmethod
    def from_tables(cls, tables: Mapping[str, Any]) -> MatchMemo | None:
        """The memo back from :meth:`to_tables`; None when written by another version."""
        units = tables["units"].to_pandas()
        if len(units) and int(units["memo_version"].iloc[0]) != MEMO_VERSION:
            return None
        records = tables["records"].to_pandas()
        missing = set(MEMO_RECORD_COLUMNS) - set(records.columns)
        if missing:
            raise ValueError(f"match memo lacks column(s) {sorted(missing)}")
        models = tables["evidence"].column("model").to_pylist() if "evidence" in tables else []
        return cls(
            fingerprints=dict(zip(units["unit"], units["fingerprint"], strict=True)),
            records=records,
            candidates=tables["candidates"].to_pandas(),
            evidence=EvidenceModel.from_json(models[0]) if models else None,
        )


@dataclass
class YearMatch:
    """:func:`match_year`'s result: what a full run returns, plus the memo's makings."""

    dedup: DedupResult
    linked: LinkResult
    units: pd.Series  # unit label per record (aligned with the records given)
    fingerprints: dict[str, str]
    recomputed: set[str]  # units matched in this run
    stats: dict[str, Any] = field(default_factory=dict)
    evidence: EvidenceModel | None = None  # the year's evidence weights, to keep

    def memo(self, cluster_sentra: Mapping[str, str]) -> MatchMemo:
        """The memo of this run once every cluster has its sentra_id (new ones included)."""
        clusters = self.dedup.clusters
        keys = self.units.index
        unit = self.units.to_numpy(dtype=object)
        ids = pd.Series(cluster_sentra, dtype=object)
        records = clusters.assign(
            unit=_take(unit, lookup(clusters["record_key"], keys)),
            sentra_id=_take(ids.to_numpy(), lookup(clusters["cluster_key"], ids.index)),
        )
        candidates = self.dedup.candidates.assign(
            unit=_take(unit, lookup(self.dedup.candidates["left_key"], keys))
        )
        return MatchMemo(dict(self.fingerprints), records, candidates, self.evidence)


def _union_find(labels: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    """Component of every label, named by its smallest label."""
    parent = {label: label for label in labels}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {label: root(label) for label in labels}


def _objects(series: pd.Series) -> np.ndarray:
    """Object array with None for every kind of missing value (NaN, pd.NA, None)."""
    values = series.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _regions(records: pd.DataFrame) -> np.ndarray:
    region = _objects(records["region_code"])
    region[region == ""] = None
    return np.where(pd.isna(region), NO_REGION, region).astype(object)


def lookup(values: Any, keys: Any, *, aligned_ok: bool = False) -> np.ndarray:
    """Position of every value in ``keys`` (-1 when absent), with Arrow's hash kernel:
    a pandas index lookup of a million strings costs a second, this a tenth of it.

    ``aligned_ok``: first check whether ``values`` already equals ``keys`` row by row
    (the memo keeps the records' order, which rarely changes), which is cheaper still.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    v, k = _to_arrow(values), _to_arrow(keys)
    if aligned_ok and len(v) == len(k) and len(v):
        same = pc.equal(v, k.cast(v.type) if k.type != v.type else k)
        if pc.all(same).as_py():
            return np.arange(len(v), dtype=np.int64)
    if len(v) == 0 or len(k) == 0 or pa.types.is_null(v.type) or pa.types.is_null(k.type):
        return np.full(len(v), -1, dtype=np.int64)
    if k.type != v.type:
        k = k.cast(v.type)
    found = pc.index_in(v, value_set=k)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _take(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``values[pos]`` with None where ``pos`` is -1."""
    out = np.empty(len(pos), dtype=object)
    ok = pos >= 0
    out[ok] = values[pos[ok]]
    return out


def _in_units(codes: np.ndarray, labels: Any, chosen: set[str]) -> np.ndarray:
    """Whether each record's unit (``labels[codes]``, factorized) is in ``chosen``: a
    test per unit label, not per record (a million object keys cost a tenth of a
    second each time they go to Arrow)."""
    hit = np.array([label in chosen for label in labels], dtype=bool)
    return hit[codes] if len(hit) else np.zeros(len(codes), dtype=bool)


def _register_in_units(
    register: pd.DataFrame, unit_of: Mapping[str, str], chosen: set[str]
) -> np.ndarray:
    """Whether each register entry's kab/kota belongs to a unit in ``chosen`` (one
    lookup per distinct kab/kota instead of a Python loop over the register)."""
    column = register["region_code"]
    codes, uniques = pd.factorize(column.where(column != "", None))
    labels = [str(u) for u in uniques] + [NO_REGION]  # code -1 (missing) is the last
    hit = np.array([unit_of.get(label, label) in chosen for label in labels], dtype=bool)
    return hit[codes]


def _link_positions(links: pd.DataFrame, keys: Any, reg_ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each stored link's record in ``keys`` and its sentra_id in ``reg_ids`` (-1: absent).

    Looked up once per consolidation: units, the memo check and the carried links all
    need them, and each lookup of a million keys costs a quarter of a second.
    """
    return lookup(links["record_key"], keys), lookup(links["sentra_id"], reg_ids)


def _region_codes(frame: pd.DataFrame, index: dict[str, int]) -> np.ndarray:
    """Integer code per row of its kab/kota in ``index`` (extended as codes appear)."""
    column = frame["region_code"]
    codes, uniques = pd.factorize(column.where(column != "", None))
    labels = [str(u) for u in uniques] + [NO_REGION]
    mapping = np.array([index.setdefault(label, len(index)) for label in labels], np.int64)
    return mapping[codes]  # -1 (missing) picks the last: NO_REGION


def match_units(
    records: pd.DataFrame,
    register: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    existing_links: pd.DataFrame | None = None,
    *,
    link_positions: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """The unit of every record (indexed by record_key): its kab/kota, or the smallest
    kab/kota code of the group joined with it by a cross-border sentra_id, stored link
    or reviewer decision.

    Kab/kota are handled as integer codes and keys looked up with Arrow: at a million
    records and stored links this takes well under a second. ``link_positions``: each
    stored link's record in ``records`` and sentra_id in ``register`` (-1 when absent),
    when the caller has looked them up already.
    """
    index: dict[str, int] = {}
    region = _region_codes(records, index)
    keys = records["record_key"]
    reg_ids = register["sentra_id"]
    reg_region = _region_codes(register, index) if len(register) else np.array([], dtype=np.int64)

    def at(codes: np.ndarray, pos: np.ndarray) -> np.ndarray:
        return np.where(pos >= 0, codes[np.maximum(pos, 0)] if len(codes) else -1, -1)

    def region_of_sid(sids: Any) -> np.ndarray:
        return at(reg_region, lookup(sids, reg_ids))

    def region_of_key(ks: Any) -> np.ndarray:
        return at(region, lookup(ks, keys))

    edges: list[np.ndarray] = []

    def add(a: np.ndarray, b: np.ndarray) -> None:
        cross = (a >= 0) & (b >= 0) & (a != b)
        if cross.any():
            edges.append(np.unique(np.stack([a[cross], b[cross]], axis=1), axis=0))

    if "sentra_id" in records.columns:
        sid = _objects(records["sentra_id"])
        present = pd.notna(sid) & (sid != "")
        if present.any():
            pairs = pd.DataFrame({"sid": sid[present], "region": region[present]})
            first = pairs.groupby("sid")["region"].transform("first").to_numpy()
            add(pairs["region"].to_numpy(), first)
            add(pairs["region"].to_numpy(), region_of_sid(pairs["sid"]))
    if existing_links is not None and len(existing_links):
        link_rec, link_reg = link_positions or _link_positions(existing_links, keys, reg_ids)
        add(at(region, link_rec), at(reg_region, link_reg))
    dec = normalise_decisions(decisions)
    if len(dec):
        sides = []
        for c in ("left_key", "right_key"):
            by_key, by_sid = region_of_key(dec[c]), region_of_sid(dec[c])
            sides.append(np.where(by_key >= 0, by_key, by_sid))
        add(*sides)
    label = list(index)
    pairs = np.concatenate(edges) if edges else np.empty((0, 2), dtype=np.int64)
    named = sorted({(label[a], label[b]) for a, b in pairs.tolist()})
    unit = _union_find(sorted(label), named)
    unit_codes = np.array([unit[x] for x in label], dtype=object)
    out = pd.Series(unit_codes[region], index=pd.Index(keys.array), dtype=object, name="unit")
    out.attrs["unit_of"] = unit  # every kab/kota reached, including register-only ones
    return out


def _fingerprints(
    records: pd.DataFrame,
    units: np.ndarray,
    decisions: pd.DataFrame,
    register_decided: set[str],
    settings: Settings,
    factorized: tuple[np.ndarray, Any] | None = None,
    evidence: EvidenceModel | None = None,
) -> dict[str, str]:
    """Per unit, a digest of everything its within-round result depends on.

    The unit's rows, in input order (ties in the sorted-neighbourhood blocks follow
    it), are hashed column by column from Arrow's buffers: values (nulls zeroed),
    string lengths and a null mask, so equal values give equal digests whatever the
    chunking; the unit's decisions, the thresholds and the evidence weights that settle
    its clerical band go in too. About a second per million records.
    """
    import pyarrow as pa

    cols = [c for c in CONTENT_COLUMNS if c in records.columns]
    table = pa.Table.from_pandas(records[cols], preserve_index=False)
    table = table.append_column("_complete", pa.array(_completeness(records)))
    codes, uniques = factorized if factorized is not None else pd.factorize(units, sort=True)
    order = np.argsort(codes, kind="stable")
    table = table.take(pa.array(order)).combine_chunks()
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))]
    digests = [hashlib.sha256() for _ in uniques]
    for name in table.column_names:
        _hash_column(table.column(name), bounds, digests)
    dec_by_unit: dict[str, list[list[str]]] = {}
    if len(decisions):
        for row in decisions.itertuples(index=False):
            for unit in {row.left_unit, row.right_unit} - {None, np.nan}:
                dec_by_unit.setdefault(unit, []).append(
                    [str(row.left_key), str(row.right_key), str(row.decision)]
                )
    out: dict[str, str] = {}
    for i, unit in enumerate(uniques):
        body = {
            "v": MEMO_VERSION,
            "match": settings.match_threshold,
            "review": settings.review_threshold,
            "evidence": evidence.digest if evidence is not None else None,
            "evidence_p": [
                settings.evidence_match_probability,
                settings.evidence_non_match_probability,
                settings.evidence_veto_probability,
            ],
            "rows": digests[i].hexdigest(),
            "decisions": sorted(dec_by_unit.get(unit, [])),
            "register_decision": unit in register_decided,
        }
        out[str(unit)] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return out


def _hash_column(column: Any, bounds: np.ndarray, digests: list[Any]) -> None:
    """Feed each unit's slice ``bounds[i]:bounds[i + 1]`` of one column to ``digests[i]``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column.chunk(0) if column.num_chunks == 1 else pa.concat_arrays(column.chunks)
    nulls = pc.is_null(arr).to_numpy(zero_copy_only=False).view(np.uint8)
    kind = arr.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        arr = pc.fill_null(arr.cast(pa.large_string()), pa.scalar("", pa.large_string()))
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
            arr.offset : arr.offset + len(arr) + 1
        ]
        data = memoryview(arr.buffers()[2] or b"")
        lengths = np.diff(offsets)
        for i, digest in enumerate(digests):
            a, b = bounds[i], bounds[i + 1]
            digest.update(nulls[a:b].tobytes())
            digest.update(lengths[a:b].tobytes())
            digest.update(data[offsets[a] : offsets[b]])
        return
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        arr = arr.cast(pa.int64())
    elif pa.types.is_boolean(kind):
        arr = arr.cast(pa.uint8())
    values = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False)
    for i, digest in enumerate(digests):
        a, b = bounds[i], bounds[i + 1]
        digest.update(nulls[a:b].tobytes())
        digest.update(values[a:b].tobytes())


def match_year(
    records: pd.DataFrame,
    register: pd.DataFrame,
    *,
    settings: Settings,
    decisions: pd.DataFrame | None = None,
    existing_links: pd.DataFrame | None = None,
    previous: MatchMemo | None = None,
    evidence: EvidenceModel | None = None,
) -> YearMatch:
    """Deduplicate a census year's records and link them to the register, recomputing
    only the units that changed since ``previous`` (every unit when it is None).

    The clerical band is settled with the year's evidence weights: ``evidence`` when
    given, else those kept in ``previous``. A year without them yet is matched as
    usual; once its contested pairs (memo and fresh ones together) reach
    ``settings.evidence_min_pairs`` the weights are fitted on them and every unit is
    matched again under them (once a year); later runs keep them.

    The result is what ``deduplicate`` followed by ``link_to_register`` over all
    records returns under the same evidence weights, up to row order within its frames.
    """
    import gc

    # The cyclic garbage collector would walk every Python object alive (a million
    # stored links' evidence dicts in a consolidation) again and again while the
    # vectorised work below allocates: measured at 1M records, a third of the time.
    # Nothing here builds reference cycles worth collecting before it returns.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _match_year(
            records,
            register,
            settings=settings,
            decisions=decisions,
            existing_links=existing_links,
            previous=previous,
            evidence=evidence,
        )
    finally:
        if enabled:
            gc.enable()


def _match_year(
    records: pd.DataFrame,
    register: pd.DataFrame,
    *,
    settings: Settings,
    decisions: pd.DataFrame | None,
    existing_links: pd.DataFrame | None,
    previous: MatchMemo | None,
    evidence: EvidenceModel | None,
) -> YearMatch:
    import time

    started = time.perf_counter()
    check_records(records)
    recs = records.reset_index(drop=True)
    has_links = existing_links is not None and len(existing_links) > 0
    link_at = (
        _link_positions(existing_links, recs["record_key"], register["sentra_id"])
        if has_links
        else None
    )
    units = match_units(recs, register, decisions, existing_links, link_positions=link_at)
    unit_arr = units.to_numpy(dtype=object)
    phases = {"units_s": time.perf_counter() - started}

    dec = normalise_decisions(decisions)
    reg_ids = register["sentra_id"]
    dec = dec.assign(
        left_unit=_take(unit_arr, lookup(dec["left_key"], units.index)),
        right_unit=_take(unit_arr, lookup(dec["right_key"], units.index)),
    )
    # A reviewer tied a record to a register entry: the decision level outranks
    # carried links, so such units are always matched again (they are few).
    register_decided = set(
        dec.loc[dec["left_unit"].notna() & _isin(dec["right_key"], reg_ids), "left_unit"]
    ) | set(dec.loc[dec["right_unit"].notna() & _isin(dec["left_key"], reg_ids), "right_unit"])
    t = time.perf_counter()
    # Units as integer codes (sorted labels), factorized once for every test below.
    unit_codes, unit_labels = pd.factorize(unit_arr, sort=True)
    if evidence is None and previous is not None:
        evidence = previous.evidence

    def fingerprint(model: EvidenceModel | None) -> dict[str, str]:
        return _fingerprints(
            recs,
            unit_arr,
            dec,
            register_decided,
            settings,
            factorized=(unit_codes, unit_labels),
            evidence=model,
        )

    fingerprints = fingerprint(evidence)
    phases["fingerprints_s"] = time.perf_counter() - t
    t = time.perf_counter()
    reuse = _reusable(
        previous,
        fingerprints,
        register_decided,
        recs,
        (unit_codes, unit_labels),
        existing_links,
        link_at,
    )
    todo = ~_in_units(unit_codes, unit_labels, reuse)
    phases["memo_check_s"] = time.perf_counter() - t

    t = time.perf_counter()
    fresh_recs = recs[todo].reset_index(drop=True)
    # Matching every unit without weights yet: fit them in the same pass (the contested
    # pairs are those of the whole year).
    fit_inline = evidence is None and not reuse
    fresh = deduplicate(
        fresh_recs,
        settings=settings,
        decisions=decisions,
        evidence=evidence,
        fit_evidence=fit_inline,
    )
    if fit_inline and fresh.evidence is not None:
        evidence = fresh.evidence
        fingerprints = fingerprint(evidence)
        log.info("evidence weights fitted on %d contested pairs", evidence.fitted_pairs)
    # Register entries a recomputed unit can reach are those of its own kab/kota (units
    # are closed under every cross-border reference).
    unit_of = units.attrs["unit_of"]
    reg_todo = (
        register[~_register_in_units(register, unit_of, reuse)]
        if reuse and len(register)
        else register
    )
    fresh_links = None
    if existing_links is not None and len(existing_links) and link_at is not None:
        # The stored links of recomputed records: their records' positions are known.
        link_rec = link_at[0]
        fresh_links = existing_links[(link_rec >= 0) & todo[np.maximum(link_rec, 0)]]
    fresh_linked = link_to_register(
        fresh.survivors,
        reg_todo.reset_index(drop=True),
        settings=settings,
        existing_links=fresh_links,
        decisions=decisions,
        evidence=evidence,
    )
    phases["match_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if not reuse:
        dedup, linked = fresh, fresh_linked
    else:
        dedup, linked = _with_memo(
            recs, todo, previous, reuse, fresh, fresh_linked, existing_links, link_at[0]
        )
    phases["combine_s"] = time.perf_counter() - t
    if evidence is None and reuse:
        # The year's contested pairs are now all known (the memo's and this run's): once
        # there are enough, fit the weights and match every unit under them.
        contested = dedup.candidates[dedup.candidates["score"] >= settings.review_threshold]
        if len(contested) >= settings.evidence_min_pairs:
            model = fit_evidence(contested)
            log.info(
                "evidence weights fitted on %d contested pairs; matching every kab/kota under them",
                model.fitted_pairs,
            )
            again = _match_year(
                records,
                register,
                settings=settings,
                decisions=decisions,
                existing_links=existing_links,
                previous=None,
                evidence=model,
            )
            again.stats["evidence_fitted_s"] = round(time.perf_counter() - started, 3)
            return again
    stats = {
        "units": len(fingerprints),
        "units_recomputed": len(fingerprints) - len(reuse),
        "units_reused": len(reuse),
        "records_rematched": int(todo.sum()),
        **{k: round(v, 3) for k, v in phases.items()},
        "total_s": round(time.perf_counter() - started, 3),
    }
    return YearMatch(
        dedup=dedup,
        linked=linked,
        units=units,
        fingerprints=fingerprints,
        recomputed=set(fingerprints) - reuse,
        stats=stats,
        evidence=evidence,
    )


def _reusable(
    previous: MatchMemo | None,
    fingerprints: dict[str, str],
    register_decided: set[str],
    recs: pd.DataFrame,
    unit_factors: tuple[np.ndarray, Any],
    existing_links: pd.DataFrame | None,
    link_at: tuple[np.ndarray, np.ndarray] | None,
) -> set[str]:
    """Units whose memo holds: same fingerprint, stored links agreeing with it.

    A unit's fingerprint covers its record keys in order, so its records now are the
    memo's rows for it, normally in the same order (checked, not assumed); each
    record's stored link is found through the link positions already looked up.
    """
    if previous is None or link_at is None:
        return set()
    same = {
        u
        for u, fp in fingerprints.items()
        if previous.fingerprints.get(u) == fp and u not in register_decided
    }
    if not same:
        return set()
    import pyarrow as pa
    import pyarrow.compute as pc

    link_rec, link_reg = link_at
    unit_codes, unit_labels = unit_factors
    rows = np.flatnonzero(_in_units(unit_codes, unit_labels, same))
    # Only the columns compared below are filtered (a million rows each).
    memo = previous.records[["record_key", "sentra_id", "cluster_key"]][
        _isin(previous.records["unit"], same)
    ]
    keys = _to_arrow(recs["record_key"]).take(pa.array(rows))
    memo_at = lookup(keys, memo["record_key"], aligned_ok=True)
    link_of_rec = np.full(len(recs), -1, dtype=np.int64)
    has_rec = link_rec >= 0
    link_of_rec[link_rec[has_rec]] = np.flatnonzero(has_rec)
    link = link_of_rec[rows]
    found = (link >= 0) & (memo_at >= 0)
    link_take = pa.array(np.where(found, link, 0))
    memo_take = pa.array(np.where(found, memo_at, 0))

    def agree(stored: Any, remembered: Any) -> np.ndarray:
        stored = _to_arrow(stored).take(link_take)
        remembered = _to_arrow(remembered).take(memo_take)
        if stored.type != remembered.type:
            stored = stored.cast(remembered.type)
        return pc.fill_null(pc.equal(stored, remembered), False).to_numpy(zero_copy_only=False)

    agrees = (
        found
        & agree(existing_links["sentra_id"], memo["sentra_id"])
        & agree(existing_links["cluster_key"], memo["cluster_key"])
        & (link_reg[np.maximum(link, 0)] >= 0)
    )
    stale = set(np.asarray(unit_labels)[unit_codes[rows[~agrees]]]) if not agrees.all() else set()
    if stale:
        log.info("match memo: %d unit(s) whose stored links changed are matched again", len(stale))
    return same - stale


def _with_memo(
    recs: pd.DataFrame,
    todo: np.ndarray,
    previous: MatchMemo,
    reuse: set[str],
    fresh: DedupResult,
    fresh_linked: LinkResult,
    existing_links: pd.DataFrame,
    link_rec: np.ndarray,
) -> tuple[DedupResult, LinkResult]:
    """Combine the recomputed units with the memo's (and the stored links) for the rest."""
    import pyarrow as pa

    kept = previous.records[["record_key", "cluster_key", "is_survivor", "match_score"]][
        _isin(previous.records["unit"], reuse)
    ]
    kept_pos = np.flatnonzero(~todo)
    # Arrow arrays throughout: a million keys never become Python strings.
    all_keys = _to_arrow(recs["record_key"])
    kept_keys = all_keys.take(pa.array(kept_pos))
    memo_rows = pa.array(lookup(kept_keys, kept["record_key"], aligned_ok=True))
    cluster_keys = _to_arrow(kept["cluster_key"]).take(memo_rows)
    # Survivor position of every record taken from the memo (a fine cluster label too);
    # the recomputed records stand alone here, their survivors come from this run.
    survivor_of = np.arange(len(recs))
    survivor_of[kept_pos] = lookup(cluster_keys, all_keys)
    # Completeness ranks the members of merged clusters only: counting the non-null
    # fields of the million others (single-member clusters) is not needed.
    sizes = np.bincount(survivor_of[kept_pos], minlength=len(recs))
    merged = kept_pos[sizes[survivor_of[kept_pos]] > 1]
    complete = np.zeros(len(recs), dtype=np.int64)
    if len(merged):
        complete[merged] = _completeness(recs.iloc[merged])
    survivors = _survivors(
        recs,
        survivor_of,
        survivor_of,
        complete,
        _received_ns(recs),
        rows=kept_pos,
        sort=False,
    )
    carried_clusters = pa.table(
        {
            "record_key": kept_keys,
            "cluster_key": cluster_keys,
            "is_survivor": _to_arrow(kept["is_survivor"]).take(memo_rows),
            "match_score": _to_arrow(kept["match_score"]).take(memo_rows),
        }
    ).to_pandas()
    # Row order within the frames is not part of the result (everything downstream
    # joins on keys): concatenating spares sorting a million keys again.
    clusters = pd.concat([fresh.clusters, carried_clusters], ignore_index=True)
    cand_kept = previous.candidates[_isin(previous.candidates["unit"], reuse)]
    candidates = pd.concat(
        [fresh.candidates, cand_kept[list(CANDIDATE_COLUMNS)]], ignore_index=True
    ).sort_values(["left_key", "right_key"], ignore_index=True)
    all_survivors = pd.concat([fresh.survivors, survivors], ignore_index=True)
    dedup = DedupResult(
        clusters=clusters,
        candidates=candidates,
        survivors=all_survivors,
        stats={**fresh.stats, "records": len(recs), "clusters": len(all_survivors)},
        evidence=fresh.evidence,
    )

    # Carried links: the survivor's stored link, as link_to_register's carried level
    # takes it (the survivor's own row first; every member agrees, checked above).
    carried_survivor = np.zeros(len(recs), dtype=bool)
    carried_survivor[survivor_of[kept_pos]] = True  # every carried cluster key is found
    is_own = (link_rec >= 0) & carried_survivor[np.maximum(link_rec, 0)]
    own = existing_links[["record_key", "sentra_id", "method", "score", "evidence"]][is_own]
    carried = own.rename(columns={"record_key": "cluster_key"})
    carried = carried.assign(
        score=pd.to_numeric(carried["score"], errors="coerce").astype("float64")
    )
    # The few fresh links take the carried links' dtypes, not the other way round: a
    # concat of mixed dtypes would convert the million carried keys to Python objects.
    fresh_links = fresh_linked.links[list(LINK_OUTPUT_COLUMNS)]
    if len(fresh_links):
        fresh_links = fresh_links.astype(carried.dtypes.to_dict())
    links = pd.concat([fresh_links, carried], ignore_index=True) if len(fresh_links) else carried
    links = links.reset_index(drop=True)
    methods = links["method"].value_counts().to_dict()
    linked = LinkResult(
        links=links,
        new_entries=fresh_linked.new_entries,
        uncertain=fresh_linked.uncertain,
        stats={
            **fresh_linked.stats,
            "clusters": len(links),
            "methods": {k: int(v) for k, v in methods.items()},
        },
    )
    return dedup, linked
