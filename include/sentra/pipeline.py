"""The pipeline's steps: one function per Airflow task, small identifiers in and out.

DAG files, the CLI and tests call these functions and nothing deeper, so the order of
the stages and their bookkeeping live in one place:

    discover → process_submission (read, normalise, validate, stage)   per submission
    consolidate (match, link, status) → audit → publish                 per census year
    send_reports                                                        per census year

Every step is idempotent for its census year / submission: a rerun converges to the
same ledger and warehouse state and sends nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sentra.config import Settings, get_settings

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

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
CONSOLIDATED_STATUSES = ("staged",)  # submissions whose accepted rows are consolidated
STAGED_STATUSES = ("staged", "needs_review")  # submissions with staged rows


class AuditError(RuntimeError):
    """A consolidation's output broke an invariant; nothing was published."""


class ConsolidationBusy(RuntimeError):  # noqa: N818 - reads as the state an operator sees
    """Another consolidation of the same census year is running; this one retries later.

    Two at once would both register the round's new sentra and hand out two ids for one
    sentra, so the second one stops before touching anything. "Running" means holding
    the year's lock (:func:`sentra.ledger.db.census_year_lock`), which dies with its
    process: a killed consolidation blocks nobody.
    """


@dataclass(frozen=True)
class SubmissionInfo:
    """A detached copy of a ledger submission (safe to use after the session closes)."""

    submission_id: str
    census_year: int
    office_code: str
    file_uri: str
    file_name: str
    content_sha256: str
    size_bytes: int
    received_at: datetime
    status: str
    superseded_by: str | None
    error_code: str | None
    error_message: str | None
    rows_total: int | None
    rows_accepted: int | None
    rows_rejected: int | None

    @classmethod
    def of(cls, sub: Any) -> SubmissionInfo:
        return cls(**{f: getattr(sub, f) for f in cls.__dataclass_fields__})


def _settings(settings: Settings | None) -> Settings:
    return settings or get_settings()


# --------------------------------------------------------------------------- prepare


def prepare(settings: Settings | None = None) -> dict[str, Any]:
    """Migrate the ledger and create missing warehouse tables (cheap when up to date)."""
    from sentra.ledger.db import migrate
    from sentra.warehouse import Warehouse

    settings = _settings(settings)
    migrate(settings)
    Warehouse(settings).ensure_tables()
    return {"ledger": "migrated", "warehouse": "ready"}


# -------------------------------------------------------------------------- discover


def discover(census_year: int, settings: Settings | None = None) -> list[str]:
    """Record new landing files in the ledger; return the submissions still to process.

    That includes submissions received earlier whose processing never finished (a
    crashed run), so a rerun picks them up without re-reading anything else.
    """
    from sqlalchemy import select

    from sentra.landing import discover_and_record
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = _settings(settings)
    result = discover_and_record(settings, census_year)
    log.info("discovery for %s: %s", census_year, result)
    with session_scope(settings) as session:
        pending = session.scalars(
            select(Submission.submission_id)
            .where(Submission.census_year == census_year, Submission.status == "received")
            .order_by(Submission.office_code, Submission.submission_id)
        ).all()
    return list(pending)


def pending_changes(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Whether the ledger holds submissions the last publication has not seen yet."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    settings = _settings(settings)
    with session_scope(settings) as session:
        inputs_hash = _inputs_hash(session, census_year)
        last = repo.latest_consolidation(session, census_year)
    changed = last is None or last.status != "published" or last.inputs_hash != inputs_hash
    return {"census_year": census_year, "changed": changed, "inputs_hash": inputs_hash}


def check_all_processed(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Fail loudly if a submission is still unprocessed after its task gave up.

    Mapped tasks fail alone so other offices go ahead; this check makes the run red so
    the failure is not missed, and names the submissions to look at.
    """
    from sqlalchemy import func, select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = _settings(settings)
    with session_scope(settings) as session:
        stuck = session.execute(
            select(Submission.submission_id, Submission.file_name).where(
                Submission.census_year == census_year, Submission.status == "received"
            )
        ).all()
        counts = dict(
            session.execute(
                select(Submission.status, func.count())
                .where(Submission.census_year == census_year)
                .group_by(Submission.status)
            ).all()
        )
    if stuck:
        names = ", ".join(f"{sid} ({name})" for sid, name in stuck)
        raise RuntimeError(
            f"census {census_year}: {len(stuck)} submission(s) not processed: {names}"
        )
    return {"census_year": census_year, "by_status": counts}


# ------------------------------------------------------------------ one submission


def process_submission(submission_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Read, normalise, validate and stage one submission; record the verdict in the ledger.

    Bad input never raises: an unreadable file becomes a rejected submission with a
    reason, a bad row becomes a rejected row. Only infrastructure faults raise, and
    then only this submission's task fails (and retries).
    """
    from sentra import review
    from sentra.ingest import read_submission
    from sentra.landing import open_file
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission
    from sentra.quality import validate
    from sentra.staging import write_staged

    settings = _settings(settings)
    with session_scope(settings) as session:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise LookupError(f"submission {submission_id} is not in the ledger")
        info = SubmissionInfo.of(sub)
        sub.attempts = (sub.attempts or 0) + 1
    if info.status == "superseded":
        return {"submission_id": submission_id, "status": "superseded", "skipped": True}

    if info.size_bytes > settings.max_file_bytes:
        return _reject_file(
            settings,
            info,
            "file_too_large",
            f"{info.size_bytes:,} > {settings.max_file_bytes:,} bytes",
        )
    data = open_file(settings, info.file_uri)
    parsed = read_submission(
        data,
        file_name=info.file_name,
        office_code=info.office_code,
        census_year=info.census_year,
        submission_id=submission_id,
        settings=settings,
    )
    with session_scope(settings) as session:  # the mapping used, kept with the submission
        repo.record_column_mapping(session, submission_id, parsed.header_mapping)
    skipped: dict[str, int] = {}
    for row in parsed.skipped_rows:
        skipped[row.kind] = skipped.get(row.kind, 0) + 1
    skip_metrics = [(f"rows_skipped_{kind}", None, float(n)) for kind, n in sorted(skipped.items())]

    if parsed.file_error is not None:
        err = parsed.file_error
        with session_scope(settings) as session:
            repo.mark_processed(
                session,
                submission_id,
                status="rejected",
                rows_total=len(parsed.rows),
                rows_accepted=0,
                rows_rejected=len(parsed.rows),
                error_code=err.code,
                error_message=_file_error_text(err),
            )
            repo.replace_quality_metrics(
                session, info.census_year, submission_id, [("file_rejected", err.code, 1.0)]
            )
        log.warning("submission %s rejected as a whole: %s", submission_id, _file_error_text(err))
        return {"submission_id": submission_id, "status": "rejected", "error_code": err.code}

    result = validate(
        parsed.rows, office_code=info.office_code, census_year=info.census_year, settings=settings
    )
    rows = result.rows
    accepted = int(rows["accepted"].sum())
    rejected = len(rows) - accepted
    if accepted + rejected != len(parsed.rows):  # row conservation, checked at the source
        raise AuditError(
            f"{submission_id}: validation returned {len(rows)} rows for {len(parsed.rows)} read"
        )
    write_staged(settings, info.census_year, submission_id, rows)
    _publish_data_docs(settings, result, submission_id)
    # A reviewer's approval stands when the same file is processed again.
    held = result.held and not review.approved(settings, submission_id)
    status = "needs_review" if held else "staged"
    metrics = [(m.metric, m.column, float(m.value)) for m in result.metrics] + skip_metrics
    with session_scope(settings) as session:
        repo.mark_processed(
            session,
            submission_id,
            status=status,
            rows_total=len(rows),
            rows_accepted=accepted,
            rows_rejected=rejected,
        )
        repo.replace_quality_metrics(session, info.census_year, submission_id, metrics)
    if held:
        log.warning(
            "submission %s held for review: %.1f%% of rows rejected (threshold %.0f%%)",
            submission_id,
            100 * result.rejected_share,
            100 * settings.reject_share_threshold,
        )
    return {
        "submission_id": submission_id,
        "status": status,
        "rows": len(rows),
        "accepted": accepted,
        "rejected": rejected,
    }


def _publish_data_docs(settings: Settings, result: Any, submission_id: str) -> None:
    """The submission's Great Expectations Data Docs page, which its report links to.

    Docs are a view for people, not part of the verdict: a failure to render them is
    logged and the submission goes on (the report then has no link for it).
    """
    from sentra.quality import build_data_docs

    result.submission_id = submission_id
    try:
        build_data_docs(settings, result)
    except Exception:
        log.exception("submission %s: Data Docs could not be built", submission_id)


def _reject_file(
    settings: Settings, info: SubmissionInfo, code: str, detail: str
) -> dict[str, Any]:
    """Record a whole-file rejection decided before reading (e.g. over the size limit)."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.schema import reason

    with session_scope(settings) as session:
        repo.mark_processed(
            session,
            info.submission_id,
            status="rejected",
            rows_total=0,
            rows_accepted=0,
            rows_rejected=0,
            error_code=code,
            error_message=reason(code).render("id", value=detail),
        )
        repo.replace_quality_metrics(
            session, info.census_year, info.submission_id, [("file_rejected", code, 1.0)]
        )
    return {"submission_id": info.submission_id, "status": "rejected", "error_code": code}


def _file_error_text(err: Any) -> str:
    parts = [getattr(err, "message_id", None) or getattr(err, "message", None) or err.code]
    detail = getattr(err, "detail", None)
    if detail:
        parts.append(str(detail))
    return " — ".join(str(p) for p in parts)


# ---------------------------------------------------------------------- consolidate


def _hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _inputs_hash(session: Any, census_year: int) -> str:
    """Names the inputs of a consolidation: current submissions and reviewers' decisions."""
    from sentra.ledger import repository as repo

    current = repo.current_submissions(session, census_year)
    decisions = repo.load_decisions(session)
    inputs: dict[str, Any] = {
        "submissions": sorted((s.submission_id, s.status) for s in current),
        "decisions": decisions.sort_values(["left_key", "right_key"]).to_dict("records")
        if len(decisions)
        else [],
    }
    kept = {y: sorted(ids) for y, ids in repo.kept_open(session).items() if y <= census_year}
    if kept:  # named only when present: hashes of years without any stay as they were
        inputs["kept_open"] = kept
    return _hash_json(inputs)


def _pending_dir(settings: Settings, census_year: int, version: int) -> str:
    return f"{settings.staging_uri.rstrip('/')}/consolidation/census_year={census_year}/v{version}"


def consolidate(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Match, link and derive status for a census year; write the tables to publish.

    The output goes to a pending folder (write), :func:`audit` checks it, and
    :func:`publish` commits it to the warehouse. When the inputs (current
    submissions and reviewers' decisions) are unchanged since the last publication,
    nothing is recomputed: the rerun is a no-op.
    """
    from sentra.ledger.db import LockBusy, census_year_lock

    settings = _settings(settings)
    try:
        with census_year_lock(census_year, settings):
            return _consolidate_locked(census_year, settings)
    except LockBusy as exc:
        raise ConsolidationBusy(
            f"census {census_year}: another consolidation of this year is running ({exc}); "
            "retry when it has finished"
        ) from None


def _consolidate_locked(census_year: int, settings: Settings) -> dict[str, Any]:
    """:func:`consolidate`'s work, run only while holding the census year's lock."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    with session_scope(settings) as session:
        current = [SubmissionInfo.of(s) for s in repo.current_submissions(session, census_year)]
        decisions = repo.load_decisions(session)
        inputs_hash = _inputs_hash(session, census_year)
        last = repo.latest_consolidation(session, census_year)
        if last is not None and last.status == "running":
            # We hold the year's lock, so whoever started this run no longer does: its
            # process died mid-write. Record that and start afresh; register entries and
            # record links it committed (one transaction) are reused, not registered twice.
            log.warning(
                "census %s: consolidation version %s was abandoned mid-run (started %s); "
                "marking it failed",
                census_year,
                last.version,
                last.started_at,
            )
            repo.finish_consolidation(
                session,
                last.id,
                status="failed",
                content_hash="",
                snapshot_ids=None,
                stats={"abandoned": True},
            )
        if last is not None and last.status == "published" and last.inputs_hash == inputs_hash:
            log.info(
                "census %s: inputs unchanged since version %s; nothing to do",
                census_year,
                last.version,
            )
            return {"census_year": census_year, "changed": False, "version": last.version}
        run = repo.start_consolidation(session, census_year, inputs_hash)
        version, consolidation_id = run.version, run.id

    try:
        tables, register_table, stats = _build_tables(
            settings, census_year, current, decisions, version
        )
        pending = _pending_dir(settings, census_year, version)
        _write_pending(settings, pending, {**tables, "sentra": register_table})
    except Exception:
        with session_scope(settings) as session:
            repo.finish_consolidation(
                session,
                consolidation_id,
                status="failed",
                content_hash="",
                snapshot_ids=None,
                stats=None,
            )
        raise
    with session_scope(settings) as session:
        repo.finish_consolidation(
            session,
            consolidation_id,
            status="written",
            content_hash="",
            snapshot_ids=None,
            stats=stats,
        )
    return {
        "census_year": census_year,
        "changed": True,
        "version": version,
        "consolidation_id": consolidation_id,
        "pending": pending,
        **{k: v for k, v in stats.items() if isinstance(v, int)},
    }


def _build_tables(
    settings: Settings,
    census_year: int,
    current: list[SubmissionInfo],
    decisions: pd.DataFrame,
    version: int,
) -> tuple[dict[str, pa.Table], pa.Table, dict[str, Any]]:
    """The heart of consolidation: every table of the census year, in memory.

    Matching is incremental (``sentra.matching.incremental``): kab/kota whose records,
    decisions and stored links are as the previous version's match memo left them are
    taken from it, so a late file re-matches and re-links only its own kab/kota.
    """
    import pandas as pd

    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.matching.incremental import match_year
    from sentra.staging import read_staged
    from sentra.status import derive
    from sentra.warehouse import Warehouse, conform

    by_id = {s.submission_id: s for s in current}
    staged_ids = [s.submission_id for s in current if s.status in STAGED_STATUSES]
    usable_ids = {s.submission_id for s in current if s.status in CONSOLIDATED_STATUSES}
    staged = read_staged(settings, census_year, staged_ids).to_pandas(types_mapper=pd.ArrowDtype)
    staged = staged.astype({"source_row": "int64"})
    staged["record_key"] = record_keys(staged)
    staged["received_at"] = staged["submission_id"].map(lambda i: by_id[i].received_at)
    is_usable = staged["submission_id"].isin(usable_ids)
    accepted_mask = staged["accepted"].astype(bool) & is_usable
    records = staged[accepted_mask].reset_index(drop=True)

    with session_scope(settings) as session:
        register = repo.load_register(session)
        existing_links = repo.load_links(session, census_year)

    match = match_year(
        records,
        register,
        settings=settings,
        decisions=decisions,
        existing_links=existing_links,
        previous=_load_match_memo(settings, census_year, version),
    )
    dedup, linked = match.dedup, match.linked
    log.info(
        "census %s: matched %d of %d kab/kota groups again (%d records), %d taken as they were",
        census_year,
        match.stats["units_recomputed"],
        match.stats["units"],
        match.stats["records_rematched"],
        match.stats["units_reused"],
    )
    links = linked.links.copy()
    now = datetime.now(UTC)

    # Allocate ids for new sentra, deterministically ordered, and register them.
    with session_scope(settings) as session:
        new = linked.new_entries.sort_values(["region_code", "cluster_key"]).reset_index(drop=True)
        new_ids: dict[str, str] = {}
        for region_code, group in new.groupby("region_code", sort=True):
            ids = repo.allocate_sentra_ids(session, str(region_code), len(group))
            new_ids.update(zip(group["cluster_key"], ids, strict=True))
        if new_ids:
            entries = new.assign(
                sentra_id=new["cluster_key"].map(new_ids),
                first_census_year=census_year,
                last_census_year=census_year,
                created_at=now,
                created_by=new["cluster_key"].str.split("#").str[0],
            )
            repo.add_register_entries(session, entries)
        links["sentra_id"] = links["sentra_id"].where(
            links["sentra_id"].notna(), links["cluster_key"].map(new_ids)
        )
        links.loc[links["cluster_key"].isin(new_ids.keys()), "method"] = "new"
        cluster_sentra = dict(zip(links["cluster_key"], links["sentra_id"], strict=True))
        clusters = dedup.clusters.assign(
            sentra_id=dedup.clusters["cluster_key"].map(cluster_sentra)
        )
        link_rows = clusters.merge(
            links[["cluster_key", "method", "score", "evidence"]], on="cluster_key", how="left"
        )
        # Links of kab/kota taken from the memo are stored already, exactly as they are.
        rematched = match.units.index[match.units.isin(match.recomputed).to_numpy()]
        link_rows = link_rows[link_rows["record_key"].isin(rematched)]
        repo.save_links(
            session,
            pd.DataFrame(
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
        )
        repo.save_contacts(session, _contacts(records, clusters), census_year)
        register = repo.load_register(session)
        submitted = repo.submitted_offices_by_year(session)
        kept_open = repo.kept_open(session)

    # One row per sentra for this year: the survivor's attributes.
    survivors = dedup.survivors.drop(columns=["sentra_id", "method", "score"], errors="ignore")
    survivors = survivors.merge(
        links[["cluster_key", "sentra_id", "method", "score"]], on="cluster_key", how="left"
    )
    survivors = survivors.sort_values(["sentra_id", "score"], ascending=[True, False])
    census = survivors.drop_duplicates("sentra_id", keep="first").reset_index(drop=True)

    warehouse = Warehouse(settings)
    prior = warehouse.scan("sentra_census").to_pandas()
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
    submitted_offices = {int(y): set(o) for y, o in submitted.items() if int(y) <= census_year}
    status = derive(
        observations, register, submitted_offices, census_year, settings, kept_open=kept_open
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
    history = status.history.assign(census_year=census_year)

    # Every source row of every current submission with its verdict.
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
    file_rows = sum(s.rows_total or 0 for s in current if s.status == "rejected")
    rows_merged = submission_rows.groupby("submission_id")["verdict"].apply(
        lambda v: int((v == "merged").sum())
    )
    submissions = pd.DataFrame(
        [
            {
                "submission_id": s.submission_id,
                "census_year": census_year,
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
            for s in _all_submissions(settings, census_year)
        ]
    )
    candidates = _candidates_table(
        dedup.candidates, records, census_year, linked.uncertain, register
    )
    with session_scope(settings) as session:
        metrics = repo.load_quality_metrics(session, census_year)
    office_of = {s.submission_id: s.office_code for s in current}
    metrics = metrics.assign(office_code=metrics["submission_id"].map(office_of))

    memo = {
        f"{MEMO_PREFIX}{name}": table
        for name, table in match.memo(cluster_sentra).to_tables().items()
    }
    tables = {
        "sentra_census": conform("sentra_census", _public(census_table)),
        "sentra_status_history": conform("sentra_status_history", history),
        "submissions": conform("submissions", submissions),
        "submission_rows": conform("submission_rows", _public(submission_rows)),
        "duplicate_candidates": conform("duplicate_candidates", candidates),
        "quality_metrics": conform("quality_metrics", metrics),
    }
    stats = {
        "submissions": len(current),
        "rows": len(staged),
        "rows_accepted": int((verdict == "accepted").sum()),
        "rows_merged": int((verdict == "merged").sum()),
        "rows_rejected": int((verdict == "rejected").sum()),
        "rows_held": int((verdict == "held").sum()),
        "rows_in_rejected_files": file_rows,
        "sentra": len(census_table),
        "new_sentra": len(new_ids),
        "register": len(sentra_table),
        "status_counts": status.current["status"].value_counts().sort_index().to_dict(),
        "matching_units": match.stats["units"],
        "matching_units_recomputed": match.stats["units_recomputed"],
        "records_rematched": match.stats["records_rematched"],
    }
    # The memo rides along with the pending tables (units last: it marks a whole memo);
    # it is never published.
    return {**tables, **memo}, conform("sentra", _public(sentra_table)), stats


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


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop personal data (it went to the restricted ledger table) before publishing."""
    from sentra.schema import PII_COLUMNS

    return frame.drop(columns=list(PII_COLUMNS), errors="ignore")


def _contacts(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Contact person per sentra (PII), from the survivor: goes to the restricted ledger table."""
    survivors = clusters[clusters["is_survivor"].astype(bool)][["record_key", "sentra_id"]]
    merged = survivors.merge(
        records[["record_key", "submission_id", "contact_name", "contact_phone"]], on="record_key"
    )
    has_contact = merged["contact_name"].notna() | merged["contact_phone"].notna()
    return merged[has_contact][["sentra_id", "contact_name", "contact_phone", "submission_id"]]


def _candidates_table(
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
        return within
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
    return pd.concat([within, against.reindex(columns=within.columns)], ignore_index=True)


def _all_submissions(settings: Settings, census_year: int) -> list[SubmissionInfo]:
    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    with session_scope(settings) as session:
        subs = session.scalars(
            select(Submission)
            .where(Submission.census_year == census_year)
            .order_by(Submission.office_code, Submission.received_at)
        ).all()
        return [SubmissionInfo.of(s) for s in subs]


def _write_pending(settings: Settings, pending: str, tables: dict[str, pa.Table]) -> None:
    import pyarrow.parquet as pq

    from sentra.staging import _filesystem

    fs, root = _filesystem(settings, pending)
    fs.create_dir(root, recursive=True)
    for name, table in tables.items():
        pq.write_table(table, f"{root}/{name}.parquet", filesystem=fs, compression="zstd")


MEMO_PREFIX = "_match_"  # pending files holding the match memo (not published)
MEMO_LOOKBACK = 20  # versions searched for the newest memo of a year


def _load_match_memo(settings: Settings, census_year: int, version: int) -> Any:
    """The match memo of the newest earlier version of this year, or None.

    Any version's memo is safe to use: a unit is only taken from it when its inputs
    and stored links still match (``sentra.matching.incremental``). An unreadable memo
    (a run killed while writing it) only costs a full recomputation.
    """
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from sentra.matching.incremental import MatchMemo
    from sentra.staging import _filesystem

    for older in range(version - 1, max(0, version - 1 - MEMO_LOOKBACK), -1):
        fs, root = _filesystem(settings, _pending_dir(settings, census_year, older))
        marker = f"{root}/{MEMO_PREFIX}units.parquet"
        if fs.get_file_info(marker).type != pafs.FileType.File:
            continue
        try:
            tables = {
                name: pq.read_table(f"{root}/{MEMO_PREFIX}{name}.parquet", filesystem=fs)
                for name in ("records", "candidates", "units")
            }
            return MatchMemo.from_tables(tables)
        except Exception as exc:  # a broken memo means recomputing, never failing
            log.warning(
                "census %s: match memo of version %s unreadable (%s); matching every kab/kota",
                census_year,
                older,
                exc,
            )
            return None
    return None


def _read_pending(settings: Settings, pending: str) -> dict[str, pa.Table]:
    import pyarrow.parquet as pq

    from sentra.staging import _filesystem

    fs, root = _filesystem(settings, pending)
    names = (*YEAR_TABLES, "sentra")
    return {name: pq.read_table(f"{root}/{name}.parquet", filesystem=fs) for name in names}


# ---------------------------------------------------------------------------- audit


def audit(
    census_year: int, consolidation: dict[str, Any], settings: Settings | None = None
) -> dict[str, Any]:
    """Check the written tables before anyone can see them; raise :class:`AuditError` if broken.

    Row conservation: every staged row of every current submission appears exactly
    once in ``submission_rows`` with a verdict; rejected rows carry reasons; accepted
    and merged rows carry a sentra_id; one ``sentra_census`` row per sentra; no PII.
    """
    import pyarrow.compute as pc

    from sentra.schema import PII_COLUMNS

    if not consolidation.get("changed"):
        return {"census_year": census_year, "skipped": True}
    settings = _settings(settings)
    tables = _read_pending(settings, consolidation["pending"])
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
    linked = pc.is_in(verdicts, value_set=__import__("pyarrow").array(["accepted", "merged"]))
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
    if problems:
        raise AuditError(f"census {census_year} consolidation failed audit: " + "; ".join(problems))
    return {
        "census_year": census_year,
        "rows": rows.num_rows,
        "sentra": census.num_rows,
        "ok": True,
    }


# -------------------------------------------------------------------------- publish


def publish(
    census_year: int, consolidation: dict[str, Any], settings: Settings | None = None
) -> dict[str, Any]:
    """Commit the audited tables to the warehouse as one publication."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.warehouse import Warehouse

    settings = _settings(settings)
    if not consolidation.get("changed"):
        with session_scope(settings) as session:
            last = repo.latest_consolidation(session, census_year)
            content_hash = last.content_hash if last else ""
        return {"census_year": census_year, "changed": False, "content_hash": content_hash}
    tables = _read_pending(settings, consolidation["pending"])
    register = tables.pop("sentra")
    publication = Warehouse(settings).publish(census_year, tables, register=register)
    content_hash = _hash_json(publication.digests)  # the warehouse digests every table
    with session_scope(settings) as session:
        repo.finish_consolidation(
            session,
            consolidation["consolidation_id"],
            status="published",
            content_hash=content_hash,
            snapshot_ids=getattr(publication, "snapshot_ids", None),
            stats=None,
        )
        previous = repo.previous_published_hash(session, census_year, consolidation["version"])
    return {
        "census_year": census_year,
        "changed": previous != content_hash,
        "version": consolidation["version"],
        "content_hash": content_hash,
    }


# -------------------------------------------------------------------------- reports


def send_reports(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """Send every office its report for the latest publication, each exactly once."""
    from sentra.reports import send_reports as _send

    settings = _settings(settings)
    return _send(settings, census_year).as_dict()
