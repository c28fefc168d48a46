"""A census year's consolidation as pure computation: what was read in, the year's tables out.

The ``census_consolidate`` DAG runs it as load → compute → write
(:mod:`sentra.tasks.consolidate`):

- **load**: one read of everything a consolidation needs (:class:`ConsolidationInputs`:
  staged rows, the register, this year's stored links, reviewers' decisions, offices
  that submitted per year, sentra kept open, quality metrics, last year's census rows,
  the previous match memo);
- **compute** (here, no I/O): match, plan the new ``sentra_id``\\ s, derive status and
  build every table of the year (:func:`compute` → :class:`YearTables`);
- **audit** (here, no I/O): the invariants a publication must hold (:func:`audit`);
- **write**: only after the audit passed, with the publication and under the year's
  lock, the ledger gets the new register entries, links and contacts
  (:class:`LedgerWrites`) in the same transaction that records the publication.

So a consolidation that fails its audit has handed out no ``sentra_id``: the register
the prefilled forms are built from only ever holds published sentra.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sentra.errors import AuditError
from sentra.matching.copies import copy_rows
from sentra.matching.places import codes_where_resolved
from sentra.schema import SubmissionStatus

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from sentra.config import Settings
    from sentra.ledger.repository import SubmissionInfo

log = logging.getLogger(__name__)

# Tables a consolidation writes for its census year (plus the `sentra` register).
YEAR_TABLES = (
    "sentra_census",
    "sentra_status_history",
    "submissions",
    "submission_rows",
    "duplicate_candidates",
    "quality_metrics",
)
# Submissions whose accepted rows are consolidated, and those with staged rows at all.
CONSOLIDATED_STATUSES = (SubmissionStatus.STAGED,)
STAGED_STATUSES = (SubmissionStatus.STAGED, SubmissionStatus.NEEDS_REVIEW)
MEMO_PREFIX = "_match_"  # pending files holding the match memo (not published)
LEDGER_PREFIX = "_ledger_"  # pending files holding what the publication writes to the ledger


@dataclass(frozen=True)
class ConsolidationInputs:
    """Everything a consolidation reads, read once (see :func:`compute`)."""

    census_year: int
    current: list[SubmissionInfo]  # current submissions of the year
    all_submissions: list[SubmissionInfo]  # every submission of the year (the table)
    staged: pd.DataFrame  # staged rows of the current staged / held submissions
    register: pd.DataFrame  # the ledger's register (REGISTER_COLUMNS)
    links: pd.DataFrame  # this year's stored record links
    decisions: pd.DataFrame  # reviewers' pair decisions
    submitted: dict[int, set[str]]  # offices with a usable submission, per year
    kept_open: dict[int, set[str]]  # sentra a reviewer kept open, per year
    quality_metrics: pd.DataFrame  # this year's quality metrics
    prior_census: pd.DataFrame  # published sentra_census rows of earlier years
    memo: Any = None  # the previous version's MatchMemo, or None
    now: datetime | None = None  # when the links and register entries are made


@dataclass(frozen=True)
class LedgerWrites:
    """What the publication writes to the ledger (only after the audit passed).

    ``register_entries`` carry the ``sentra_id``\\ s :func:`plan_sentra_ids` planned;
    the write checks the ledger would allocate exactly these (nothing registered in
    between) before inserting them.
    """

    register_entries: pd.DataFrame
    links: pd.DataFrame
    contacts: pd.DataFrame

    def as_tables(self) -> dict[str, pa.Table]:
        """The three frames as Arrow tables (evidence as JSON text) for the pending folder."""
        import json

        import pyarrow as pa

        links = self.links.copy()
        links["evidence"] = [
            e if e is None or isinstance(e, str) else json.dumps(e, default=str)
            for e in links["evidence"]
        ]
        return {
            f"{LEDGER_PREFIX}register_entries": _arrow(self.register_entries),
            f"{LEDGER_PREFIX}links": _arrow(links),
            f"{LEDGER_PREFIX}contacts": pa.Table.from_pandas(
                _plain(self.contacts), preserve_index=False
            ),
        }

    @classmethod
    def from_tables(cls, tables: dict[str, pa.Table]) -> LedgerWrites:
        def frame(name: str) -> pd.DataFrame:
            return _plain(tables[f"{LEDGER_PREFIX}{name}"].to_pandas())

        return cls(frame("register_entries"), frame("links"), frame("contacts"))


@dataclass
class YearTables:
    """A computed consolidation: the tables to publish, the register, the ledger writes."""

    tables: dict[str, pa.Table]  # YEAR_TABLES (conformed)
    register: pa.Table  # the warehouse's `sentra` table
    memo: dict[str, pa.Table]  # the match memo, kept beside the tables, never published
    ledger: LedgerWrites
    stats: dict[str, Any] = field(default_factory=dict)

    def published(self) -> dict[str, pa.Table]:
        """What :func:`audit` checks and the warehouse receives: year tables + register."""
        return {**self.tables, "sentra": self.register}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for missing: what the ledger returns and accepts."""
    import pandas as pd

    return frame.astype(object).where(pd.notna(frame), None)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pandas(_plain(frame), preserve_index=False)


def record_keys(staged: pd.DataFrame) -> pd.Series:
    """``submission_id#row``, the identity of a source row across the pipeline.

    Row numbers are per sheet, so in a workbook whose data is on several sheets (the
    census form's "Data Sentra" and "Sentra Baru") the sheet is part of the key:
    ``submission_id#Sentra Baru!2``. Single-sheet files keep the short form.
    """
    rows = staged["source_row"].astype(str)
    sheets = staged["source_sheet"].astype("string").fillna("")
    several = sheets.groupby(staged["submission_id"]).transform("nunique") > 1
    local = rows.where(~several, sheets + "!" + rows)
    return staged["submission_id"].astype(str) + "#" + local


def plan_sentra_ids(register: pd.DataFrame, new_entries: pd.DataFrame) -> dict[str, str]:
    """cluster_key → the ``sentra_id`` the ledger will allocate, per kab/kota in order.

    The same rule as :func:`sentra.ledger.repository.allocate_sentra_ids` (numbering
    continues after the highest id with the kab/kota's prefix), applied to the register
    as read; the write checks the ledger agrees before registering anything.
    """
    from sentra.ledger.repository import next_sentra_ids, sentra_id_prefix

    new = new_entries.sort_values(["region_code", "cluster_key"]).reset_index(drop=True)
    ids = register["sentra_id"].astype(str) if len(register) else None
    planned: dict[str, str] = {}
    for region_code, group in new.groupby("region_code", sort=True):
        prefix = sentra_id_prefix(str(region_code))
        taken = ids[ids.str.startswith(prefix)] if ids is not None else None
        highest = taken.max() if taken is not None and len(taken) else None
        planned.update(
            zip(group["cluster_key"], next_sentra_ids(prefix, highest, len(group)), strict=True)
        )
    return planned


def compute(inputs: ConsolidationInputs, settings: Settings) -> YearTables:
    """Every table of the census year, in memory, from what :class:`ConsolidationInputs` holds.

    Matching is incremental (``sentra.matching.incremental``): kab/kota whose records,
    decisions and stored links are as the previous version's match memo left them are
    taken from it, so a late file re-matches and re-links only its own kab/kota. New
    sentra get the ids :func:`plan_sentra_ids` plans; nothing is registered here.
    """
    from sentra.warehouse.tables import conform

    census_year = inputs.census_year
    staged, is_usable = _staged(inputs)
    # Exact copy rows are matched too: they merge into the row they copy (not lost).
    records = staged[(staged["accepted"].astype(bool) | copy_rows(staged)) & is_usable]
    records = records.reset_index(drop=True)
    link = _match_and_link(inputs, records, settings)
    census = _one_row_per_sentra(link)
    status, census_table, sentra_table, history = _status_tables(
        inputs, census, link.register, settings
    )
    verdict, submission_rows = _row_verdicts(staged, is_usable, link.clusters, census_year)
    candidates = candidates_table(
        link.match.dedup.candidates,
        records,
        census_year,
        link.match.linked.uncertain,
        link.register,
    )
    office_of = {s.submission_id: s.office_code for s in inputs.current}
    metrics = inputs.quality_metrics.assign(
        office_code=inputs.quality_metrics["submission_id"].map(office_of)
    )
    memo = {
        f"{MEMO_PREFIX}{name}": table
        for name, table in link.match.memo(link.cluster_sentra).to_tables().items()
    }
    tables = {
        "sentra_census": conform("sentra_census", public(census_table)),
        "sentra_status_history": conform("sentra_status_history", history),
        "submissions": conform("submissions", _submissions_table(inputs, submission_rows)),
        "submission_rows": conform("submission_rows", public(submission_rows)),
        "duplicate_candidates": conform("duplicate_candidates", candidates),
        "quality_metrics": conform("quality_metrics", metrics),
    }
    match_stats = link.match.stats
    stats = {
        "submissions": len(inputs.current),
        "rows": len(staged),
        "rows_accepted": int((verdict == "accepted").sum()),
        "rows_merged": int((verdict == "merged").sum()),
        "rows_rejected": int((verdict == "rejected").sum()),
        "rows_held": int((verdict == "held").sum()),
        "rows_in_rejected_files": sum(
            s.rows_total or 0 for s in inputs.current if s.status == SubmissionStatus.REJECTED
        ),
        "sentra": len(census_table),
        "new_sentra": len(link.ledger.register_entries),
        "register": len(sentra_table),
        "status_counts": status.current["status"].value_counts().sort_index().to_dict(),
        "matching_units": match_stats["units"],
        "matching_units_recomputed": match_stats["units_recomputed"],
        "records_rematched": match_stats["records_rematched"],
    }
    return YearTables(
        tables=tables,
        register=conform("sentra", public(sentra_table)),
        memo=memo,
        ledger=link.ledger,
        stats=stats,
    )


def _staged(inputs: ConsolidationInputs) -> tuple[pd.DataFrame, pd.Series]:
    """The staged rows with their keys and arrival, and which ones may be consolidated."""
    current = inputs.current
    by_id = {s.submission_id: s for s in current}
    usable_ids = {s.submission_id for s in current if s.status in CONSOLIDATED_STATUSES}
    staged = inputs.staged.astype({"source_row": "int64"})
    staged["record_key"] = record_keys(staged)
    staged["received_at"] = staged["submission_id"].map(lambda i: by_id[i].received_at)
    return staged, staged["submission_id"].isin(usable_ids)


@dataclass
class _Linked:
    """Matching's outcome with the planned ids filled in (internal to :func:`compute`)."""

    match: Any  # sentra.matching.incremental.YearMatch
    links: pd.DataFrame  # one row per cluster: its sentra_id, method, score, evidence
    clusters: pd.DataFrame  # one row per record: its cluster and sentra_id
    cluster_sentra: dict[str, str]
    register: pd.DataFrame  # the register as it will be once the new entries are in
    ledger: LedgerWrites


def _match_and_link(
    inputs: ConsolidationInputs, records: pd.DataFrame, settings: Settings
) -> _Linked:
    """Deduplicate and link the records; plan ids for new sentra; the ledger writes."""
    from datetime import UTC

    import pandas as pd

    from sentra.matching.incremental import match_year

    census_year = inputs.census_year
    now = inputs.now or datetime.now(UTC)
    match = match_year(
        records,
        inputs.register,
        settings=settings,
        decisions=inputs.decisions,
        existing_links=inputs.links,
        previous=inputs.memo,
    )
    log.info(
        "census %s: matched %d of %d kab/kota groups again (%d records), %d taken as they were",
        census_year,
        match.stats["units_recomputed"],
        match.stats["units"],
        match.stats["records_rematched"],
        match.stats["units_reused"],
    )
    links = match.linked.links.copy()
    # Ids for new sentra, deterministically ordered: planned now, registered on publication.
    new = match.linked.new_entries.sort_values(["region_code", "cluster_key"])
    new = codes_where_resolved(new.reset_index(drop=True))
    new_ids = plan_sentra_ids(inputs.register, new)
    entries = new.assign(
        sentra_id=new["cluster_key"].map(new_ids),
        first_census_year=census_year,
        last_census_year=census_year,
        created_at=now,
        created_by=new["cluster_key"].str.split("#").str[0],
    )
    if "province_code" not in entries or entries["province_code"].isna().any():
        entries["province_code"] = entries["region_code"].str[:2]
    if len(inputs.register.columns):
        entries = entries[list(inputs.register.columns)]
    links["sentra_id"] = links["sentra_id"].where(
        links["sentra_id"].notna(), links["cluster_key"].map(new_ids)
    )
    links.loc[links["cluster_key"].isin(new_ids.keys()), "method"] = "new"
    cluster_sentra = dict(zip(links["cluster_key"], links["sentra_id"], strict=True))
    clusters = match.dedup.clusters.assign(
        sentra_id=match.dedup.clusters["cluster_key"].map(cluster_sentra)
    )
    link_rows = clusters.merge(
        links[["cluster_key", "method", "score", "evidence"]], on="cluster_key", how="left"
    )
    # Links of kab/kota taken from the memo are stored already, exactly as they are.
    rematched = match.units.index[match.units.isin(match.recomputed).to_numpy()]
    link_rows = link_rows[link_rows["record_key"].isin(rematched)]
    ledger = LedgerWrites(
        register_entries=entries,
        links=pd.DataFrame(
            {
                "record_key": link_rows["record_key"],
                "census_year": census_year,
                "sentra_id": link_rows["sentra_id"],
                "cluster_key": link_rows["cluster_key"],
                "method": link_rows["method"],
                "score": link_rows["score"],
                "evidence": link_rows["evidence"],
                "linked_at": now,
            }
        ),
        contacts=contacts_of(records, clusters),
    )
    register = (
        pd.concat([inputs.register, _plain(entries)], ignore_index=True)
        .sort_values("sentra_id")
        .reset_index(drop=True)
        if len(entries)
        else inputs.register
    )
    return _Linked(match, links, clusters, cluster_sentra, register, ledger)


def _one_row_per_sentra(link: _Linked) -> pd.DataFrame:
    """One row per sentra for this year: the survivor's attributes and its link."""
    survivors = link.match.dedup.survivors.drop(
        columns=["sentra_id", "method", "score"], errors="ignore"
    )
    survivors = survivors.merge(
        link.links[["cluster_key", "sentra_id", "method", "score"]], on="cluster_key", how="left"
    )
    survivors = survivors.sort_values(["sentra_id", "score"], ascending=[True, False])
    return survivors.drop_duplicates("sentra_id", keep="first").reset_index(drop=True)


def _status_tables(
    inputs: ConsolidationInputs, census: pd.DataFrame, register: pd.DataFrame, settings: Settings
) -> tuple[Any, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Status from every year's observations → census rows, the register table, history."""
    import pandas as pd

    from sentra.status import derive

    census_year = inputs.census_year
    prior = inputs.prior_census
    prior = prior[prior["census_year"] < census_year] if len(prior) else prior
    obs_cols = [
        "sentra_id",
        "census_year",
        "region_code",
        "reported_status",
        "units",
        "workers",
        "production_value",
        "office_code",
        "submission_id",
        "source_row",
    ]
    this_year = census.assign(census_year=census_year)[obs_cols]
    observations = pd.concat(
        [prior[obs_cols] if len(prior) else None, this_year], ignore_index=True
    )
    submitted_offices = {
        int(y): set(o) for y, o in inputs.submitted.items() if int(y) <= census_year
    }
    status = derive(
        observations,
        register,
        submitted_offices,
        census_year,
        settings,
        kept_open=inputs.kept_open,
    )
    cur = status.current.set_index("sentra_id")
    census_table = census.assign(
        census_year=census_year,
        status=census["sentra_id"].map(cur["status"]),
        status_reasons=census["sentra_id"].map(cur["reason_codes"]),
        link_method=census["method"],
        link_score=census["score"],
    )
    sentra_table = register.merge(
        status.current[
            ["sentra_id", "status", "reason_codes", "status_since", "last_reported_year"]
        ],
        on="sentra_id",
        how="left",
    ).rename(columns={"reason_codes": "status_reasons"})
    latest = census.set_index("sentra_id")
    for col in (
        "workers",
        "production_value",
        "investment_value",
        "year_established",
        "legal_basis",
    ):
        if col in latest.columns:
            sentra_table[col] = sentra_table["sentra_id"].map(latest[col])
    return status, census_table, sentra_table, status.history.assign(census_year=census_year)


def _row_verdicts(
    staged: pd.DataFrame, is_usable: pd.Series, clusters: pd.DataFrame, census_year: int
) -> tuple[pd.Series, pd.DataFrame]:
    """Every source row of every current submission with its verdict (row conservation)."""
    import pandas as pd

    verdict = pd.Series("rejected", index=staged.index, dtype="object")
    verdict[~is_usable & staged["accepted"].astype(bool)] = "held"
    row_cluster = clusters.set_index("record_key")
    keys = staged["record_key"]
    in_cluster = keys.isin(row_cluster.index)
    survivor_keys = set(clusters.loc[clusters["is_survivor"].astype(bool), "record_key"])
    verdict[in_cluster] = "merged"
    verdict[keys.isin(survivor_keys)] = "accepted"
    submission_rows = staged.assign(
        census_year=census_year,
        verdict=verdict,
        sentra_id=keys.map(row_cluster["sentra_id"]),
        cluster_key=keys.map(row_cluster["cluster_key"]),
    )
    return verdict, submission_rows


def _submissions_table(inputs: ConsolidationInputs, submission_rows: pd.DataFrame) -> pd.DataFrame:
    """Every submission of the year with its counts, merged rows included."""
    import pandas as pd

    rows_merged = submission_rows.groupby("submission_id")["verdict"].apply(
        lambda v: int((v == "merged").sum())
    )
    return pd.DataFrame(
        [
            {
                "submission_id": s.submission_id,
                "census_year": inputs.census_year,
                "office_code": s.office_code,
                "file_name": s.file_name,
                "content_sha256": s.content_sha256,
                "received_at": s.received_at,
                "status": s.status,
                "superseded_by": s.superseded_by,
                "error_code": s.error_code,
                "error_message": s.error_message,
                "rows_total": s.rows_total,
                "rows_accepted": s.rows_accepted,
                "rows_rejected": s.rows_rejected,
                "rows_merged": int(rows_merged.get(s.submission_id, 0)),
            }
            for s in inputs.all_submissions
        ]
    )


def public(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop personal data (it goes to the restricted ledger table) before publishing."""
    from sentra.schema import PII_COLUMNS

    return frame.drop(columns=list(PII_COLUMNS), errors="ignore")


def contacts_of(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Where each sentra's contact person is: the survivor's row, by its ledger key.

    Only the key (submission, sheet, row), never the name or phone: these frames go
    to the pending folder in the object store. The publication copies the contact from
    the restricted ``submission_contact`` table to ``sentra_contact`` by this key.
    """
    import pandas as pd

    survivors = clusters[clusters["is_survivor"].astype(bool)][["record_key", "sentra_id"]]
    merged = survivors.merge(
        records[
            [
                "record_key",
                "submission_id",
                "source_sheet",
                "source_row",
                "contact_name",
                "contact_phone",
            ]
        ],
        on="record_key",
    )
    has_contact = merged["contact_name"].notna() | merged["contact_phone"].notna()
    keys = merged[has_contact]
    return pd.DataFrame(
        {
            "sentra_id": keys["sentra_id"].astype(str).to_numpy(),
            "submission_id": keys["submission_id"].astype(str).to_numpy(),
            "source_sheet": keys["source_sheet"].astype("string").fillna("").to_numpy(),
            "source_row": pd.to_numeric(keys["source_row"]).astype("int64").to_numpy(),
        }
    )


def candidates_table(
    candidates: pd.DataFrame,
    records: pd.DataFrame,
    census_year: int,
    uncertain_links: pd.DataFrame,
    register: pd.DataFrame,
) -> pd.DataFrame:
    """Pairs for review: record ↔ record within the round, and cluster ↔ register entry
    in the clerical band (right_key is then a sentra_id), so a reviewer sees both."""
    import pandas as pd

    names = records.set_index("record_key")
    within = candidates.assign(
        census_year=census_year,
        left_name=candidates["left_key"].map(names["sentra_name"]),
        right_name=candidates["right_key"].map(names["sentra_name"]),
        region_code=candidates["left_key"].map(names["region_code"]),
    )
    if uncertain_links is None or not len(uncertain_links):
        return _explained(within)
    reg = register.set_index("sentra_id")
    against = uncertain_links.rename(columns={"cluster_key": "left_key", "sentra_id": "right_key"})
    against = against.assign(
        census_year=census_year,
        decision="uncertain",
        decided_by="auto",
        left_name=against["left_key"].map(names["sentra_name"]),
        right_name=against["right_key"].map(reg["sentra_name"]),
        region_code=against["left_key"].map(names["region_code"]),
    )
    return _explained(
        pd.concat([within, against.reindex(columns=within.columns)], ignore_index=True)
    )


def _explained(candidates: pd.DataFrame) -> pd.DataFrame:
    """Each pair with the fields that agreed and those against (``agreed``/``against``)."""
    import pandas as pd

    from sentra.matching.engine import explain_pairs

    agreed, against = explain_pairs(candidates)
    index = candidates.index
    return candidates.assign(
        agreed=pd.Series(agreed, index=index, dtype=object),
        against=pd.Series(against, index=index, dtype=object),
    )


def audit_problems(tables: dict[str, pa.Table]) -> list[str]:
    """The invariants a publication must hold, as a list of what is broken (empty = fine).

    Row conservation: every staged row of every current submission appears exactly
    once in ``submission_rows`` with a verdict; rejected rows carry reasons; accepted
    and merged rows carry a sentra_id; one ``sentra_census`` row per sentra; no PII in
    any table (``tables`` holds the year tables and the ``sentra`` register).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from sentra.schema import PII_COLUMNS

    problems: list[str] = []
    rows = tables["submission_rows"]
    subs = tables["submissions"].to_pandas()
    staged_subs = subs[subs["status"].isin(STAGED_STATUSES)]
    expected = int(staged_subs["rows_total"].fillna(0).sum())
    if rows.num_rows != expected:
        problems.append(f"submission_rows has {rows.num_rows} rows, submissions declare {expected}")
    keys = rows.column("record_key")
    if pc.count_distinct(keys).as_py() != rows.num_rows:
        problems.append("a source row appears more than once in submission_rows")
    verdicts = rows.column("verdict")
    rejected = pc.equal(verdicts, "rejected")
    no_reason = pc.and_(rejected, pc.equal(pc.list_value_length(rows.column("reason_codes")), 0))
    if pc.sum(no_reason).as_py():
        problems.append(f"{pc.sum(no_reason).as_py()} rejected rows carry no reason code")
    linked = pc.is_in(verdicts, value_set=pa.array(["accepted", "merged"]))
    unlinked = pc.and_(linked, pc.is_null(rows.column("sentra_id")))
    if pc.sum(unlinked).as_py():
        problems.append(f"{pc.sum(unlinked).as_py()} accepted/merged rows have no sentra_id")
    census = tables["sentra_census"]
    if pc.count_distinct(census.column("sentra_id")).as_py() != census.num_rows:
        problems.append("sentra_census has more than one row for a sentra")
    accepted_rows = pc.sum(pc.equal(verdicts, "accepted")).as_py() or 0
    if accepted_rows < census.num_rows:
        problems.append(f"{census.num_rows} sentra from only {accepted_rows} accepted rows")
    for name, table in tables.items():
        leaked = sorted(set(table.column_names) & set(PII_COLUMNS))
        if leaked:
            problems.append(f"table {name} carries personal data columns {leaked}")
    return problems


def audit(census_year: int, tables: dict[str, pa.Table]) -> dict[str, Any]:
    """Check the tables before anyone can see them; raise :class:`AuditError` if broken."""
    problems = audit_problems(tables)
    if problems:
        raise AuditError(f"census {census_year} consolidation failed audit: " + "; ".join(problems))
    return {
        "census_year": census_year,
        "rows": tables["submission_rows"].num_rows,
        "sentra": tables["sentra_census"].num_rows,
        "ok": True,
    }
