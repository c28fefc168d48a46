"""census_consolidate's tasks: consolidate → audit → publish, as load → compute → write.

- :func:`consolidate` holds the census year's lock, reads everything once (one ledger
  session, the staged files, last year's census rows, the previous match memo),
  computes the year's tables with :func:`sentra.consolidation.compute` (no I/O) and
  writes them, with the ledger writes they imply, to a pending folder.
- :func:`audit` checks the pending tables (:func:`sentra.consolidation.audit`).
- :func:`publish` holds the year's lock again, audits once more, and in **one ledger
  transaction** registers the new sentra, saves the links and contacts, commits the
  warehouse publication and records it. A consolidation that fails its audit has
  written nothing to the ledger: no ``sentra_id`` is handed out before publication.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypedDict

from sentra.config import Settings
from sentra.consolidation import (
    LEDGER_PREFIX,
    MEMO_PREFIX,
    YEAR_TABLES,
    ConsolidationInputs,
    LedgerWrites,
    record_keys,
)
from sentra.errors import AuditError
from sentra.tasks.common import (
    hash_json,
    resolve_settings,
    year_inputs,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.orm import Session

    from sentra.ledger.repository import SubmissionInfo

log = logging.getLogger(__name__)

__all__ = [
    "AuditError",
    "ConsolidationBusy",
    "ConsolidationResult",
    "PublicationResult",
    "audit",
    "consolidate",
    "publish",
    "record_keys",
]

MEMO_LOOKBACK = 20  # versions searched for the newest memo of a year


class ConsolidationResult(TypedDict, total=False):
    """What :func:`consolidate` hands to ``audit`` and ``publish`` (an XCom)."""

    census_year: int
    changed: bool
    version: int
    consolidation_id: int
    pending: str
    submissions: int
    rows: int
    rows_accepted: int
    rows_merged: int
    rows_rejected: int
    rows_held: int
    rows_in_rejected_files: int
    sentra: int
    new_sentra: int
    register: int
    matching_units: int
    matching_units_recomputed: int
    records_rematched: int


class AuditResult(TypedDict, total=False):
    census_year: int
    skipped: bool
    rows: int
    sentra: int
    ok: bool


class PublicationResult(TypedDict, total=False):
    census_year: int
    changed: bool
    version: int
    content_hash: str
    new_sentra: int


class ConsolidationBusy(RuntimeError):  # noqa: N818 - reads as the state an operator sees
    """Another consolidation of the same census year is running; this one retries later.

    Two at once would both register the round's new sentra and hand out two ids for one
    sentra, so the second one stops before touching anything. "Running" means holding
    the year's lock (:func:`sentra.ledger.db.census_year_lock`), which dies with its
    process: a killed consolidation blocks nobody.
    """


class StaleConsolidation(ConsolidationBusy):
    """A newer consolidation of the year was started since this one was written."""


def _pending_dir(settings: Settings, census_year: int, version: int) -> str:
    return f"{settings.staging_uri.rstrip('/')}/consolidation/census_year={census_year}/v{version}"


def _year_lock(census_year: int, settings: Settings) -> Any:
    """The census year's lock, turning "held elsewhere" into :class:`ConsolidationBusy`."""
    from contextlib import contextmanager

    from sentra.ledger.db import LockBusy, census_year_lock

    @contextmanager
    def held() -> Any:
        try:
            with census_year_lock(census_year, settings):
                yield
        except LockBusy as exc:
            raise ConsolidationBusy(
                f"census {census_year}: another consolidation of this year is running ({exc}); "
                "retry when it has finished"
            ) from None

    return held()


def consolidate(census_year: int, settings: Settings | None = None) -> ConsolidationResult:
    """Match, link and derive status for a census year; write the tables to publish.

    The output goes to a pending folder, :func:`audit` checks it, and :func:`publish`
    commits it. When the inputs (current submissions and reviewers' decisions) are
    unchanged since the last publication, nothing is recomputed: the rerun is a no-op.
    """
    settings = resolve_settings(settings)
    with _year_lock(census_year, settings):
        return _consolidate_locked(census_year, settings)


def _consolidate_locked(census_year: int, settings: Settings) -> ConsolidationResult:
    """:func:`consolidate`'s work, run only while holding the census year's lock."""
    from sentra.consolidation import compute
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope

    # Load: the one read of the ledger (which also records the run as started), from
    # one snapshot, so ingest tasks committing meanwhile cannot split it.
    with session_scope(settings, snapshot=True) as session:
        year_now = year_inputs(session, census_year)
        inputs_hash, last = year_now.inputs_hash, year_now.last
        if last is not None and last.status == "running":
            # We hold the year's lock, so whoever started this run no longer does: its
            # process died mid-run. Record that and start afresh; it wrote nothing else.
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
        if not year_now.changed and last is None:
            # A year's daily ingest runs before any office has sent a file: there is
            # nothing to consolidate, and an empty publication would say otherwise.
            log.info("census %s: no submissions yet; nothing to consolidate", census_year)
            return {"census_year": census_year, "changed": False}
        if not year_now.changed:
            log.info(
                "census %s: inputs unchanged since version %s; nothing to do",
                census_year,
                last.version,
            )
            return {"census_year": census_year, "changed": False, "version": last.version}
        run = repo.start_consolidation(session, census_year, inputs_hash)
        version, consolidation_id = run.version, run.id
        ledger = _read_ledger(session, census_year)

    try:
        inputs = _load_inputs(settings, census_year, version, ledger)
        year = compute(inputs, settings)  # Compute: no I/O.
        pending = _pending_dir(settings, census_year, version)
        # The memo goes last (units last: it marks a whole memo); it is never published.
        _write_pending(
            settings, pending, {**year.published(), **year.ledger.as_tables(), **year.memo}
        )
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
    stats = year.stats
    with session_scope(settings) as session:
        repo.finish_consolidation(
            session,
            consolidation_id,
            status="written",
            content_hash="",
            snapshot_ids=None,
            stats=stats,
        )
    result: ConsolidationResult = {
        "census_year": census_year,
        "changed": True,
        "version": version,
        "consolidation_id": consolidation_id,
        "pending": pending,
    }
    result.update({k: v for k, v in stats.items() if isinstance(v, int)})  # type: ignore[typeddict-item]
    return result


def _read_ledger(session: Session, census_year: int) -> dict[str, Any]:
    """Everything the consolidation needs from the ledger, in the load's one session."""
    from sentra.consolidation import STAGED_STATUSES
    from sentra.ledger import repository as repo

    current = [repo.SubmissionInfo.of(s) for s in repo.current_submissions(session, census_year)]
    staged_ids = [s.submission_id for s in current if s.status in STAGED_STATUSES]
    return {
        "current": current,
        # the staged rows' contact persons, from the same snapshot as the rest
        "contacts": repo.load_submission_contacts(session, staged_ids),
        "all_submissions": repo.all_submissions(session, census_year),
        "decisions": repo.load_decisions(session),
        "register": repo.load_register(session),
        "links": repo.load_links(session, census_year),
        "submitted": repo.submitted_offices_by_year(session),
        "kept_open": repo.kept_open(session),
        "quality_metrics": repo.load_quality_metrics(session, census_year),
    }


def _load_inputs(
    settings: Settings, census_year: int, version: int, ledger: dict[str, Any]
) -> ConsolidationInputs:
    """The files a consolidation reads: staged rows, earlier census rows, the match memo."""
    import pandas as pd

    from sentra.consolidation import STAGED_STATUSES
    from sentra.staging import read_staged
    from sentra.warehouse import Warehouse

    current: list[SubmissionInfo] = ledger["current"]
    staged_ids = [s.submission_id for s in current if s.status in STAGED_STATUSES]
    ledger = dict(ledger)
    contacts = ledger.pop("contacts")
    staged = read_staged(settings, census_year, staged_ids, contacts).to_pandas(
        types_mapper=pd.ArrowDtype
    )
    prior = Warehouse(settings).scan("sentra_census").to_pandas()
    return ConsolidationInputs(
        census_year=census_year,
        staged=staged,
        prior_census=prior,
        memo=_load_match_memo(settings, census_year, version),
        **ledger,
    )


def _write_pending(settings: Settings, pending: str, tables: dict[str, pa.Table]) -> None:
    import pyarrow.parquet as pq

    from sentra.filesystems import filesystem

    fs, root = filesystem(settings, pending)
    fs.create_dir(root, recursive=True)
    for name, table in tables.items():
        pq.write_table(table, f"{root}/{name}.parquet", filesystem=fs, compression="zstd")


def _load_match_memo(settings: Settings, census_year: int, version: int) -> Any:
    """The match memo of the newest earlier version of this year, or None.

    Any version's memo is safe to use: a unit is only taken from it when its inputs
    and stored links still match (``sentra.matching.incremental``); the memo of a
    version that was never published has links the ledger does not hold, so its units
    are matched again. An unreadable memo (a run killed while writing it) only costs a
    full recomputation.
    """
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from sentra.filesystems import filesystem
    from sentra.matching.incremental import MatchMemo

    for older in range(version - 1, max(0, version - 1 - MEMO_LOOKBACK), -1):
        fs, root = filesystem(settings, _pending_dir(settings, census_year, older))
        marker = f"{root}/{MEMO_PREFIX}units.parquet"
        if fs.get_file_info(marker).type != pafs.FileType.File:
            continue
        try:
            tables = {
                name: pq.read_table(f"{root}/{MEMO_PREFIX}{name}.parquet", filesystem=fs)
                for name in ("records", "candidates", "evidence", "units")
                if name != "evidence"
                or fs.get_file_info(f"{root}/{MEMO_PREFIX}{name}.parquet").type
                == pafs.FileType.File
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


def _read_pending(settings: Settings, pending: str, *, ledger: bool = False) -> dict[str, pa.Table]:
    """The pending tables (year tables + ``sentra``), and the ledger writes if asked."""
    import pyarrow.parquet as pq

    from sentra.filesystems import filesystem

    fs, root = filesystem(settings, pending)
    names = [*YEAR_TABLES, "sentra"]
    if ledger:
        names += [f"{LEDGER_PREFIX}{n}" for n in ("register_entries", "links", "contacts")]
    return {name: pq.read_table(f"{root}/{name}.parquet", filesystem=fs) for name in names}


def audit(
    census_year: int, consolidation: ConsolidationResult, settings: Settings | None = None
) -> AuditResult:
    """Check the written tables before anyone can see them; raise :class:`AuditError` if broken.

    The checks are :func:`sentra.consolidation.audit`'s; this task only reads the
    pending folder. It touches neither the ledger nor the warehouse.
    """
    from sentra.consolidation import audit as audit_tables

    if not consolidation.get("changed"):
        return {"census_year": census_year, "skipped": True}
    settings = resolve_settings(settings)
    return audit_tables(census_year, _read_pending(settings, consolidation["pending"]))  # type: ignore[return-value]


def publish(
    census_year: int, consolidation: ConsolidationResult, settings: Settings | None = None
) -> PublicationResult:
    """Register the new sentra and commit the audited tables as one publication.

    Under the census year's lock and in one ledger transaction: the audit is checked
    again (whoever calls this), the new register entries, links and contacts are
    written, the warehouse publication is committed and the run recorded as
    published. A failure anywhere rolls the ledger back; a rerun converges.
    """
    from sentra.consolidation import audit as audit_tables
    from sentra.ledger import repository as repo
    from sentra.ledger.db import session_scope
    from sentra.ledger.models import Consolidation
    from sentra.warehouse import Warehouse

    settings = resolve_settings(settings)
    if not consolidation.get("changed"):
        with session_scope(settings) as session:
            last = repo.latest_consolidation(session, census_year)
            content_hash = last.content_hash if last else ""
        return {"census_year": census_year, "changed": False, "content_hash": content_hash}
    tables = _read_pending(settings, consolidation["pending"], ledger=True)
    writes = LedgerWrites.from_tables(
        {name: tables.pop(name) for name in list(tables) if name.startswith(LEDGER_PREFIX)}
    )
    audit_tables(census_year, tables)
    register = tables.pop("sentra")
    with _year_lock(census_year, settings), session_scope(settings) as session:
        run = session.get(Consolidation, consolidation["consolidation_id"])
        latest = repo.latest_consolidation(session, census_year)
        if run is not None and run.status == "published":  # a retry after it committed
            previous = repo.previous_published_hash(session, census_year, run.version)
            return {
                "census_year": census_year,
                "changed": previous != run.content_hash,
                "version": run.version,
                "content_hash": run.content_hash,
                "new_sentra": 0,
            }
        if run is None or latest is None or latest.id != run.id or run.status != "written":
            raise StaleConsolidation(
                f"census {census_year}: consolidation version {consolidation['version']} is "
                f"{run.status if run else 'missing'}, the newest is version "
                f"{latest.version if latest else '-'}; publish the newest one instead"
            )
        new_sentra = repo.record_consolidation(
            session,
            census_year,
            register_entries=writes.register_entries,
            links=writes.links,
            contacts=writes.contacts,
        )
        session.flush()  # an id clash fails here, before anything is published
        publication = Warehouse(settings).publish(census_year, tables, register=register)
        content_hash = hash_json(publication.digests)  # the warehouse digests every table
        repo.finish_consolidation(
            session,
            run.id,
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
        "new_sentra": new_sentra,
    }
