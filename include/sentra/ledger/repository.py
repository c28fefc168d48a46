"""Named ledger operations the pipeline calls; each takes an open Session.

Queries live here rather than in the pipeline so their invariants sit in one place:
one submission per (year, office, content hash), supersession never deletes, sentra
ids are allocated per kab/kota and never reused, links and metrics are replaced (not
appended) so reruns converge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, text

from sentra.ledger.models import (
    Consolidation,
    MatchDecision,
    Office,
    QualityMetric,
    RecordLink,
    RegisteredSentra,
    SentraContact,
    Submission,
)

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

BULK_CHUNK = 5_000


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the ledger stores UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _upsert(session: Session, model: Any, rows: list[dict], keys: list[str]) -> None:
    """Insert or update rows by their key columns, in chunks, on SQLite or PostgreSQL."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    columns = list(rows[0])
    for start in range(0, len(rows), BULK_CHUNK):
        stmt = insert(model).values(rows[start : start + BULK_CHUNK])
        updates = {c: stmt.excluded[c] for c in columns if c not in keys}
        stmt = (
            stmt.on_conflict_do_update(index_elements=keys, set_=updates)
            if updates
            else (stmt.on_conflict_do_nothing(index_elements=keys))
        )
        session.execute(stmt)


def _records(df: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    import pandas as pd

    cols = [c for c in columns if c in df.columns]
    out = df[cols].astype(object).where(pd.notna(df[cols]), None)
    return out.to_dict("records")


# ---------------------------------------------------------------- submissions


def submission_id_for(census_year: int, office_code: str, sha256: str) -> str:
    return f"{census_year}-{office_code}-{sha256[:12]}"


def record_discovered(
    session: Session,
    *,
    census_year: int,
    office_code: str,
    file_uri: str,
    file_name: str,
    sha256: str,
    size_bytes: int,
    modified_at: datetime | None,
    status: str = "received",
    error_code: str | None = None,
    error_message: str | None = None,
) -> tuple[Submission, bool]:
    """The submission for these bytes; created=False when the same bytes were seen before."""
    existing = session.scalar(
        select(Submission).where(
            Submission.census_year == census_year,
            Submission.office_code == office_code,
            Submission.content_sha256 == sha256,
        )
    )
    if existing is not None:
        return existing, False
    sub = Submission(
        submission_id=submission_id_for(census_year, office_code, sha256),
        census_year=census_year,
        office_code=office_code,
        file_uri=file_uri,
        file_name=file_name,
        content_sha256=sha256,
        size_bytes=size_bytes,
        file_modified_at=modified_at,
        received_at=_now(),
        status=status,
        error_code=error_code,
        error_message=error_message,
        attempts=0,
    )
    session.add(sub)
    session.flush()
    return sub, True


def apply_supersession(session: Session, census_year: int, office_code: str) -> list[str]:
    """Mark every file but the newest of an office's year superseded; returns newly superseded.

    Newest = latest file modification time, then discovery time, then name: an office
    that sends a corrected file replaces its earlier one. Nothing is deleted.
    """
    subs = session.scalars(
        select(Submission).where(
            Submission.census_year == census_year, Submission.office_code == office_code
        )
    ).all()
    if len(subs) < 2:
        return []
    floor = datetime.min.replace(tzinfo=UTC)

    def order(s: Submission) -> tuple:
        return (_aware(s.file_modified_at) or floor, _aware(s.received_at) or floor, s.file_name)

    newest = max(subs, key=order)
    changed = []
    for sub in subs:
        if sub is newest:
            if sub.status == "superseded":  # an older file became newest again: restore it
                sub.status = "received"
                sub.superseded_by = None
            continue
        if sub.status != "superseded" or sub.superseded_by != newest.submission_id:
            sub.status = "superseded"
            sub.superseded_by = newest.submission_id
            changed.append(sub.submission_id)
    return changed


def current_submissions(session: Session, census_year: int) -> list[Submission]:
    """The non-superseded submission of each office for a census year."""
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.census_year == census_year, Submission.status != "superseded")
            .order_by(Submission.office_code)
        ).all()
    )


def mark_processed(
    session: Session,
    submission_id: str,
    *,
    status: str,
    rows_total: int,
    rows_accepted: int,
    rows_rejected: int,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise LookupError(f"submission {submission_id} is not in the ledger")
    if sub.status == "superseded":  # a newer file arrived meanwhile: keep it superseded
        status = "superseded"
    sub.status = status
    sub.rows_total = rows_total
    sub.rows_accepted = rows_accepted
    sub.rows_rejected = rows_rejected
    sub.error_code = error_code
    sub.error_message = error_message
    sub.processed_at = _now()


def submitted_offices_by_year(session: Session) -> dict[int, set[str]]:
    """Offices whose current submission was usable (staged or held), per census year."""
    rows = session.execute(
        select(Submission.census_year, Submission.office_code).where(
            Submission.status.in_(("staged", "needs_review"))
        )
    ).all()
    out: dict[int, set[str]] = {}
    for year, office in rows:
        out.setdefault(int(year), set()).add(office)
    return out


# ------------------------------------------------------------------- metrics


def replace_quality_metrics(
    session: Session,
    census_year: int,
    submission_id: str | None,
    metrics: Iterable[tuple[str, str | None, float]],
) -> None:
    """Replace the metrics of one submission (or of the year when submission_id is None)."""
    session.execute(
        delete(QualityMetric).where(
            QualityMetric.census_year == census_year,
            QualityMetric.submission_id.is_(None)
            if submission_id is None
            else QualityMetric.submission_id == submission_id,
        )
    )
    session.add_all(
        QualityMetric(
            census_year=census_year,
            submission_id=submission_id,
            metric=metric,
            column=column,
            value=float(value),
        )
        for metric, column, value in metrics
    )


def load_quality_metrics(session: Session, census_year: int) -> pd.DataFrame:
    import pandas as pd

    rows = session.execute(
        select(
            QualityMetric.census_year,
            QualityMetric.submission_id,
            QualityMetric.metric,
            QualityMetric.column,
            QualityMetric.value,
        ).where(QualityMetric.census_year == census_year)
    ).all()
    return pd.DataFrame(rows, columns=["census_year", "submission_id", "metric", "column", "value"])


# ------------------------------------------------------------------ register

REGISTER_COLUMNS = (
    "sentra_id",
    "region_code",
    "province_code",
    "sentra_name",
    "commodity",
    "commodity_group",
    "kecamatan_code",
    "desa_code",
    "address",
    "latitude",
    "longitude",
    "units",
    "first_census_year",
    "last_census_year",
    "created_at",
    "created_by",
)


def load_register(session: Session) -> pd.DataFrame:
    import pandas as pd

    cols = [getattr(RegisteredSentra, c) for c in REGISTER_COLUMNS]
    rows = session.execute(select(*cols).order_by(RegisteredSentra.sentra_id)).all()
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))


def sentra_seq(sentra_id: str) -> int:
    return int(sentra_id[-5:])


def allocate_sentra_ids(session: Session, region_code: str, n: int) -> list[str]:
    """The next ``n`` ids of a kab/kota (``S{region digits}{seq:05d}``), never reused.

    On PostgreSQL the register rows of the region are locked first so two concurrent
    consolidations cannot hand out the same number.
    """
    if n <= 0:
        return []
    prefix = "S" + region_code.replace(".", "")
    if session.get_bind().dialect.name == "postgresql":
        # Row locks cannot cover rows not yet inserted; a transaction-scoped advisory
        # lock per kab/kota serialises allocators until the new entries are committed.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": prefix})
    stmt = select(RegisteredSentra.sentra_id).where(RegisteredSentra.sentra_id.like(f"{prefix}%"))
    existing = session.scalars(stmt).all()
    start = max((sentra_seq(s) for s in existing), default=0) + 1
    return [f"{prefix}{seq:05d}" for seq in range(start, start + n)]


def add_register_entries(session: Session, df: pd.DataFrame, *, upsert: bool = False) -> int:
    """Insert new register entries (ids from :func:`allocate_sentra_ids`).

    A plain insert: an id that already exists is an error, never a silent overwrite of
    another sentra. ``upsert`` is for re-importing the national register.
    """
    from sqlalchemy import insert

    frame = df.copy()
    if "province_code" not in frame or frame["province_code"].isna().any():
        frame["province_code"] = frame["region_code"].str[:2]
    if "created_at" not in frame:
        frame["created_at"] = _now()
    rows = _records(frame, REGISTER_COLUMNS)
    if upsert:
        _upsert(session, RegisteredSentra, rows, ["sentra_id"])
    elif rows:
        for start in range(0, len(rows), BULK_CHUNK):
            session.execute(insert(RegisteredSentra), rows[start : start + BULK_CHUNK])
    return len(rows)


def import_register(session: Session, df: pd.DataFrame) -> int:
    """Load the national register as the ministry holds it (idempotent upsert by sentra_id)."""
    missing = {"sentra_id", "region_code", "sentra_name"} - set(df.columns)
    if missing:
        raise ValueError(f"register file lacks columns {sorted(missing)}")
    frame = df.copy()
    frame["region_code"] = frame["region_code"].astype(str)
    frame["created_by"] = "register"
    frame["created_at"] = _now()
    return add_register_entries(session, frame, upsert=True)


def touch_register(session: Session, sentra_ids: Iterable[str], census_year: int) -> None:
    """Record that these sentra were reported in a census year."""
    ids = list(sentra_ids)
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start : start + BULK_CHUNK]
        for entry in session.scalars(
            select(RegisteredSentra).where(RegisteredSentra.sentra_id.in_(chunk))
        ):
            entry.last_census_year = max(entry.last_census_year or census_year, census_year)
            if entry.first_census_year is None:
                entry.first_census_year = census_year


# --------------------------------------------------------------------- links

LINK_COLUMNS = (
    "record_key",
    "census_year",
    "sentra_id",
    "cluster_key",
    "method",
    "score",
    "evidence",
    "linked_at",
)


def load_links(session: Session, census_year: int) -> pd.DataFrame:
    import pandas as pd

    cols = [getattr(RecordLink, c) for c in LINK_COLUMNS]
    rows = session.execute(select(*cols).where(RecordLink.census_year == census_year)).all()
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))


def save_links(session: Session, df: pd.DataFrame) -> int:
    """Upsert links by record_key: a rerun rewrites the same rows."""
    import json

    frame = df.copy()
    frame["evidence"] = [
        e if isinstance(e, dict | type(None)) else json.loads(e) for e in frame["evidence"]
    ]
    rows = _records(frame, LINK_COLUMNS)
    _upsert(session, RecordLink, rows, ["record_key"])
    return len(rows)


def save_contacts(session: Session, df: pd.DataFrame, census_year: int) -> int:
    """Contact persons (personal data) into the restricted table, one per sentra."""
    frame = df.drop_duplicates("sentra_id", keep="first").assign(census_year=census_year)
    rows = _records(
        frame, ("sentra_id", "contact_name", "contact_phone", "census_year", "submission_id")
    )
    _upsert(session, SentraContact, rows, ["sentra_id"])
    return len(rows)


# ----------------------------------------------------------------- decisions


def load_decisions(session: Session) -> pd.DataFrame:
    import pandas as pd

    rows = session.execute(
        select(
            MatchDecision.left_key,
            MatchDecision.right_key,
            MatchDecision.decision,
            MatchDecision.decided_by,
        ).order_by(MatchDecision.left_key, MatchDecision.right_key)
    ).all()
    return pd.DataFrame(rows, columns=["left_key", "right_key", "decision", "decided_by"])


def record_decision(
    session: Session,
    left_key: str,
    right_key: str,
    decision: str,
    *,
    decided_by: str,
    comment: str | None = None,
) -> None:
    """A reviewer's verdict on a pair; the later decision on the same pair wins."""
    if decision not in ("match", "non_match"):
        raise ValueError(f"decision must be 'match' or 'non_match', not {decision!r}")
    left, right = sorted((left_key, right_key))
    _upsert(
        session,
        MatchDecision,
        [
            {
                "left_key": left,
                "right_key": right,
                "decision": decision,
                "decided_by": decided_by,
                "decided_at": _now(),
                "comment": comment,
            }
        ],
        ["left_key", "right_key"],
    )


# ------------------------------------------------------------------- offices


def upsert_offices(session: Session, df: pd.DataFrame) -> int:
    rows = []
    for rec in df.to_dict("records"):
        emails = rec.get("emails") or []
        if isinstance(emails, str):
            emails = [e.strip() for e in emails.split(";") if e.strip()]
        rows.append(
            {
                "office_code": str(rec["office_code"]),
                "office_name": rec["office_name"],
                "province_code": str(rec.get("province_code") or str(rec["office_code"])[:2]),
                "emails": list(emails),
                "active": bool(rec.get("active", True)),
            }
        )
    _upsert(session, Office, rows, ["office_code"])
    return len(rows)


def load_offices(session: Session) -> pd.DataFrame:
    import pandas as pd

    rows = session.execute(
        select(
            Office.office_code,
            Office.office_name,
            Office.province_code,
            Office.emails,
            Office.active,
        ).order_by(Office.office_code)
    ).all()
    return pd.DataFrame(
        rows, columns=["office_code", "office_name", "province_code", "emails", "active"]
    )


# ------------------------------------------------------------ consolidations


def start_consolidation(session: Session, census_year: int, inputs_hash: str) -> Consolidation:
    version = (
        session.scalar(
            select(func.max(Consolidation.version)).where(Consolidation.census_year == census_year)
        )
        or 0
    ) + 1
    run = Consolidation(
        census_year=census_year,
        version=version,
        content_hash="",
        inputs_hash=inputs_hash,
        status="running",
        started_at=_now(),
    )
    session.add(run)
    session.flush()
    return run


def finish_consolidation(
    session: Session,
    consolidation_id: int,
    *,
    status: str,
    content_hash: str,
    snapshot_ids: Mapping[str, Any] | None,
    stats: Mapping[str, Any] | None,
) -> None:
    run = session.get(Consolidation, consolidation_id)
    if run is None:
        raise LookupError(f"consolidation {consolidation_id} is not in the ledger")
    run.status = status
    if content_hash:
        run.content_hash = content_hash
    if snapshot_ids is not None:
        run.snapshot_ids = dict(snapshot_ids)
    if stats is not None:
        run.stats = dict(stats)
    run.finished_at = _now()


def latest_consolidation(session: Session, census_year: int) -> Consolidation | None:
    return session.scalar(
        select(Consolidation)
        .where(Consolidation.census_year == census_year)
        .order_by(Consolidation.version.desc())
        .limit(1)
    )


def latest_published(session: Session, census_year: int) -> Consolidation | None:
    return session.scalar(
        select(Consolidation)
        .where(Consolidation.census_year == census_year, Consolidation.status == "published")
        .order_by(Consolidation.version.desc())
        .limit(1)
    )


def previous_published_hash(session: Session, census_year: int, before_version: int) -> str | None:
    return session.scalar(
        select(Consolidation.content_hash)
        .where(
            Consolidation.census_year == census_year,
            Consolidation.status == "published",
            Consolidation.version < before_version,
        )
        .order_by(Consolidation.version.desc())
        .limit(1)
    )
