"""Named ledger operations the pipeline calls; each takes an open Session.

Queries live here rather than in the pipeline so their invariants sit in one place:
one submission per (year, office, content hash), supersession never deletes, sentra
ids are allocated per kab/kota and never reused, links and metrics are replaced (not
appended) so reruns converge.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    StatusReview,
    Submission,
    SubmissionContact,
    SubmissionReview,
)
from sentra.schema import REGISTER_ATTRIBUTES, SubmissionStatus

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

BULK_CHUNK = 5_000
SMALL_UPSERT = 500  # up to this many rows an executemany upsert is fast enough


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the ledger stores UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _insert(session: Session, model: Any):
    """The dialect's INSERT construct (it carries ON CONFLICT for SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _upsert(
    session: Session,
    model: Any,
    rows: list[dict],
    keys: list[str],
    *,
    keep: Iterable[str] = (),
) -> None:
    """Insert or update rows by their key columns; ``keep`` columns are set on insert only.

    Drivers run an executemany of ``INSERT … ON CONFLICT`` row by row (SQLAlchemy's
    multi-row batching does not apply to upserts), so large sets go through a
    temporary table instead: a batched plain insert into it, then one
    ``INSERT … SELECT … ON CONFLICT`` into the ledger table.
    """
    if not rows:
        return
    # One statement may not touch a key twice (PostgreSQL refuses): the last row wins.
    rows = list({tuple(r[k] for k in keys): r for r in rows}.values())
    columns = list(rows[0])
    frozen = set(keys) | set(keep)
    conn = session.connection()
    if len(rows) <= SMALL_UPSERT:
        stmt = _insert(session, model)
        stmt = _on_conflict(stmt, keys, [c for c in columns if c not in frozen])
        conn.execute(stmt, rows)
        return
    from sqlalchemy import Column, MetaData, Table, true

    table = model.__table__
    staging = Table(
        f"staging_{table.name}",
        MetaData(),
        *(Column(c, table.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
    )
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    try:
        for start in range(0, len(rows), BULK_CHUNK):
            conn.execute(staging.insert(), rows[start : start + BULK_CHUNK])
        # WHERE true: SQLite needs it to parse ON CONFLICT after a SELECT.
        source = select(*(staging.c[c] for c in columns)).where(true())
        stmt = _insert(session, model).from_select(columns, source)
        conn.execute(_on_conflict(stmt, keys, [c for c in columns if c not in frozen]))
    finally:
        staging.drop(conn)


def _on_conflict(stmt: Any, keys: list[str], updated: list[str]) -> Any:
    if not updated:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: stmt.excluded[c] for c in updated}
    )


def _records(df: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    import pandas as pd

    cols = [c for c in columns if c in df.columns]
    out = df[cols].astype(object).where(pd.notna(df[cols]), None)
    return out.to_dict("records")


def _frame(session: Session, stmt: Any, columns: Iterable[str]) -> pd.DataFrame:
    """A query's rows as a frame, built column-wise from plain tuples.

    Core execution and column lists avoid per-row ORM and pandas attribute probing on
    Row objects: a million links load in a third of the time.
    """
    import pandas as pd

    names = list(columns)
    rows = session.connection().execute(stmt).fetchall()
    if not rows:
        # Object columns, as the values of a non-empty read are: an empty frame's
        # default float64 columns refused to merge with string keys (an empty
        # register's sentra_id at a year's first, empty consolidation).
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in names})
    data = zip(*rows, strict=True)
    return pd.DataFrame(dict(zip(names, (list(c) for c in data), strict=True)), columns=names)


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
    status: str = SubmissionStatus.RECEIVED,
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
            # An older file became newest again: restore it.
            if sub.status == SubmissionStatus.SUPERSEDED:
                sub.status = SubmissionStatus.RECEIVED
                sub.superseded_by = None
            continue
        if sub.status != SubmissionStatus.SUPERSEDED or sub.superseded_by != newest.submission_id:
            sub.status = SubmissionStatus.SUPERSEDED
            sub.superseded_by = newest.submission_id
            changed.append(sub.submission_id)
    return changed


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


def all_submissions(session: Session, census_year: int) -> list[SubmissionInfo]:
    """Every submission of a census year (superseded and rejected too), by office and arrival."""
    subs = session.scalars(
        select(Submission)
        .where(Submission.census_year == census_year)
        .order_by(Submission.office_code, Submission.received_at)
    ).all()
    return [SubmissionInfo.of(s) for s in subs]


def current_submissions(session: Session, census_year: int) -> list[Submission]:
    """The non-superseded submission of each office for a census year."""
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.census_year == census_year,
                Submission.status != SubmissionStatus.SUPERSEDED,
            )
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
    # A newer file arrived meanwhile: keep it superseded.
    if sub.status == SubmissionStatus.SUPERSEDED:
        status = SubmissionStatus.SUPERSEDED
    sub.status = status
    sub.rows_total = rows_total
    sub.rows_accepted = rows_accepted
    sub.rows_rejected = rows_rejected
    sub.error_code = error_code
    sub.error_message = error_message
    sub.processed_at = _now()


def record_column_mapping(session: Session, submission_id: str, mapping: Mapping[str, str]) -> None:
    """Store which source column fed which field (headers, content or context; #25)."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise LookupError(f"submission {submission_id} is not in the ledger")
    sub.column_mapping = dict(mapping)


def approved_submissions(session: Session, submission_ids: Iterable[str]) -> set[str]:
    """Those of the submissions whose latest review decision is to approve them."""
    ids = sorted(set(submission_ids))
    latest = (
        select(
            SubmissionReview.submission_id,
            SubmissionReview.decision,
            func.row_number()
            .over(
                partition_by=SubmissionReview.submission_id,
                order_by=(SubmissionReview.decided_at.desc(), SubmissionReview.id.desc()),
            )
            .label("rank"),
        )
        .where(SubmissionReview.submission_id.in_(ids))
        .subquery()
    )
    rows = session.execute(
        select(latest.c.submission_id).where(latest.c.rank == 1, latest.c.decision == "approve")
    ).scalars()
    return set(rows)


def submitted_offices_by_year(session: Session) -> dict[int, set[str]]:
    """Offices whose current submission was usable (staged or held), per census year."""
    rows = session.execute(
        select(Submission.census_year, Submission.office_code).where(
            Submission.status.in_((SubmissionStatus.STAGED, SubmissionStatus.NEEDS_REVIEW))
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
    *REGISTER_ATTRIBUTES,
    "first_census_year",
    "last_census_year",
    "created_at",
    "created_by",
)


def load_register(session: Session) -> pd.DataFrame:

    cols = [RegisteredSentra.__table__.c[c] for c in REGISTER_COLUMNS]
    return _frame(session, select(*cols).order_by(RegisteredSentra.sentra_id), REGISTER_COLUMNS)


SENTRA_ID_RE = r"^S\d{4}\d{5}$"  # S + kab/kota digits + five-digit sequence
SEQ_DIGITS = 5


class RegisterImportError(ValueError):
    """A register file that cannot be loaded; the message lists each bad cell."""


def sentra_seq(sentra_id: str) -> int:
    return int(sentra_id[-SEQ_DIGITS:])


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_for_allocation(session: Session, prefix: str) -> None:
    """Serialise id allocation for one kab/kota until the transaction ends.

    Row locks are not enough: the competing process is about to *insert* the next
    number, and a region's first allocation has no rows to lock at all. PostgreSQL
    takes a transaction-scoped advisory lock per id prefix; SQLite takes the database
    write lock with a statement that changes nothing (pysqlite opens the transaction
    before any write), so a second writer waits on the busy timeout.
    """

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = _advisory_key(f"sentra_id:{prefix}")
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    elif dialect == "sqlite":
        session.execute(text("UPDATE sentra_register SET sentra_id = sentra_id WHERE 0 = 1"))


def allocate_sentra_ids(session: Session, region_code: str, n: int) -> list[str]:
    """The next ``n`` ids of a kab/kota (``S{region digits}{seq:05d}``), never reused.

    Numbering continues after the highest id ever registered with this prefix. The
    caller must insert the entries in the same transaction: the allocation lock is
    held until it commits, so a concurrent consolidation waits and then counts on.
    """
    if n <= 0:
        return []
    prefix = sentra_id_prefix(region_code)
    _lock_for_allocation(session, prefix)
    # Same-length, zero-padded ids: the lexical maximum is the numeric one.
    highest = session.scalar(
        select(func.max(RegisteredSentra.sentra_id)).where(
            RegisteredSentra.sentra_id.like(prefix + "_" * SEQ_DIGITS)
        )
    )
    return next_sentra_ids(prefix, highest, n)


def sentra_id_prefix(region_code: str) -> str:
    """``S`` + the kab/kota's digits: the prefix of every sentra_id of that kab/kota."""
    from sentra.reference import normalise_code

    code = normalise_code(region_code)
    if code is None or code.count(".") != 1:
        raise ValueError(f"sentra ids are allocated per kab/kota; {region_code!r} is not one")
    return "S" + code.replace(".", "")


def next_sentra_ids(prefix: str, highest: str | None, n: int) -> list[str]:
    """The ``n`` ids after ``highest`` (the largest id with ``prefix``, or None)."""
    start = (sentra_seq(highest) if highest else 0) + 1
    if start + n - 1 >= 10**SEQ_DIGITS:
        raise OverflowError(f"kab/kota {prefix} has run out of sentra ids ({prefix}99999 used)")
    return [f"{prefix}{seq:0{SEQ_DIGITS}d}" for seq in range(start, start + n)]


def add_register_entries(session: Session, df: pd.DataFrame) -> int:
    """Insert new register entries (their ids come from :func:`allocate_sentra_ids`).

    A plain insert on purpose: an id that already exists is a bug to surface
    (IntegrityError), never a row to overwrite.
    """
    frame = df.copy()
    if "province_code" not in frame or frame["province_code"].isna().any():
        frame["province_code"] = frame["region_code"].str[:2]
    if "created_at" not in frame:
        frame["created_at"] = _now()
    rows = _records(frame, REGISTER_COLUMNS)
    stmt = _insert(session, RegisteredSentra)
    for start in range(0, len(rows), BULK_CHUNK):
        session.connection().execute(stmt, rows[start : start + BULK_CHUNK])
    return len(rows)


class RegisterChanged(RuntimeError):  # noqa: N818 - reads as the state an operator sees
    """The register gained entries since a consolidation planned its new sentra_ids."""


def record_consolidation(
    session: Session,
    census_year: int,
    *,
    register_entries: pd.DataFrame,
    links: pd.DataFrame,
    contacts: pd.DataFrame,
) -> int:
    """An audited consolidation's ledger writes: new register entries, links, contacts.

    Runs in the caller's transaction (the one that records the publication). The new
    entries carry the ids the consolidation planned from the register it read; each
    kab/kota's allocation must give exactly those ids, else :class:`RegisterChanged`
    (another year registered sentra there in between) and nothing is written.
    """
    if len(register_entries):
        ordered = register_entries.sort_values(["region_code", "sentra_id"])
        for region_code, group in ordered.groupby("region_code", sort=True):
            ids = allocate_sentra_ids(session, str(region_code), len(group))
            if list(group["sentra_id"]) != ids:
                raise RegisterChanged(
                    f"census {census_year}: kab/kota {region_code} would get {ids[0]}.., "
                    f"the consolidation planned {group['sentra_id'].iloc[0]}..; "
                    "the register changed since it was read: run the consolidation again"
                )
        add_register_entries(session, register_entries)
    if len(links):
        save_links(session, links)
    if len(contacts):
        save_contacts(session, contacts, census_year)
    return len(register_entries)


def _register_problems(frame: pd.DataFrame, source: str) -> list[str]:
    """Every bad cell of a register file, as "file, line, column, value: why"."""
    import pandas as pd

    from sentra.reference import normalise_code, regions

    index = regions()
    problems: list[str] = []

    def bad(i: Any, column: str, value: Any, why: str) -> None:
        problems.append(f"{source}, line {i + 2}, column {column!r}, value {value!r}: {why}")

    ids = frame["sentra_id"]
    for i, value in ids.items():
        if pd.isna(value) or not re.match(SENTRA_ID_RE, str(value).strip()):
            bad(i, "sentra_id", value, "expected S + 4 kab/kota digits + 5 digits (S340200042)")
    dup = ids.astype(str).str.strip()
    for i in frame.index[dup.duplicated(keep="first") & ids.notna()]:
        bad(i, "sentra_id", ids[i], "appears more than once in the file")
    for i, value in frame["region_code"].items():
        code = normalise_code(value)
        if code is None or code not in index.kabkota:
            bad(i, "region_code", value, "not a Kemendagri kab/kota code")
    for i, value in frame["sentra_name"].items():
        if pd.isna(value) or not str(value).strip():
            bad(i, "sentra_name", value, "empty")
    for column in ("units", "latitude", "longitude", "first_census_year", "last_census_year"):
        if column not in frame:
            continue
        raw = frame[column]
        numbers = pd.to_numeric(raw, errors="coerce")
        for i in frame.index[raw.notna() & numbers.isna()]:
            bad(i, column, raw[i], "not a number")
    return problems


def import_register(session: Session, df: pd.DataFrame, *, source: str = "register") -> int:
    """Load the national register as the ministry holds it (idempotent upsert by sentra_id).

    The whole file is checked first and refused with every bad cell named, so a
    half-loaded register never happens. Re-importing updates attributes but keeps
    each entry's ``created_at``/``created_by``.
    """
    import pandas as pd

    from sentra.reference import commodity_group_of, normalise_code

    missing = {"sentra_id", "region_code", "sentra_name"} - set(df.columns)
    if missing:
        raise RegisterImportError(f"{source}: the register lacks columns {sorted(missing)}")
    frame = df.reset_index(drop=True)
    problems = _register_problems(frame, source)
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise RegisterImportError(
            f"{source}: {len(problems)} problem(s), nothing imported:\n  {shown}{more}"
        )
    frame = frame.copy()
    frame["sentra_id"] = frame["sentra_id"].astype(str).str.strip()
    frame["region_code"] = [normalise_code(v) for v in frame["region_code"]]
    frame["province_code"] = frame["region_code"].str[:2]
    frame["sentra_name"] = frame["sentra_name"].astype(str).str.strip()
    for column in ("units", "first_census_year", "last_census_year"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in ("latitude", "longitude"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    if "commodity" in frame and "commodity_group" not in frame:
        groups = [commodity_group_of(c) for c in frame["commodity"]]
        frame["commodity_group"] = [g.value if g is not None else None for g in groups]
    frame["created_by"] = "register"
    frame["created_at"] = _now()
    rows = _records(frame, REGISTER_COLUMNS)
    _upsert(session, RegisteredSentra, rows, ["sentra_id"], keep=("created_at", "created_by"))
    return len(rows)


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

    cols = [RecordLink.__table__.c[c] for c in LINK_COLUMNS]
    stmt = select(*cols).where(RecordLink.census_year == census_year)
    return _frame(session, stmt.order_by(RecordLink.record_key), LINK_COLUMNS)


def save_links(session: Session, df: pd.DataFrame) -> int:
    """Upsert links by record_key: a rerun rewrites the same rows."""
    import json

    import pandas as pd

    frame = df.copy()
    evidence = [e if isinstance(e, dict | type(None)) else json.loads(e) for e in frame["evidence"]]
    frame["evidence"] = pd.Series(evidence, index=frame.index, dtype=object)
    rows = _records(frame, LINK_COLUMNS)
    _upsert(session, RecordLink, rows, ["record_key"])
    return len(rows)


def save_contacts(session: Session, keys: pd.DataFrame, census_year: int) -> int:
    """Contact persons (personal data) into the restricted table, one per sentra.

    ``keys`` says which row holds each sentra's contact (``sentra_id`` and the
    submission, sheet and row); the names and phones are copied from
    ``submission_contact`` here, in the ledger, so they never travel through files.
    """
    if not len(keys):
        return 0
    stored = load_submission_contacts(session, keys["submission_id"].unique())
    stored["source_row"] = stored["source_row"].astype("int64")
    frame = (
        keys.astype({"source_row": "int64"})
        .merge(stored, on=list(SUBMISSION_CONTACT_KEYS), how="inner")
        .drop_duplicates("sentra_id", keep="first")
        .assign(census_year=census_year)
    )
    rows = _records(
        frame, ("sentra_id", "contact_name", "contact_phone", "census_year", "submission_id")
    )
    _upsert(session, SentraContact, rows, ["sentra_id"])
    return len(rows)


SUBMISSION_CONTACT_KEYS = ("submission_id", "source_sheet", "source_row")
SUBMISSION_CONTACT_COLUMNS = (*SUBMISSION_CONTACT_KEYS, "contact_name", "contact_phone")


def replace_submission_contacts(session: Session, submission_id: str, df: pd.DataFrame) -> int:
    """The contact persons of one submission's rows, replacing any earlier processing.

    ``df`` has ``source_sheet`` ("" for files without sheets), ``source_row``,
    ``contact_name`` and ``contact_phone``; rows without either contact are not stored.
    """
    session.execute(
        delete(SubmissionContact).where(SubmissionContact.submission_id == submission_id)
    )
    frame = df.assign(submission_id=submission_id)
    has_contact = frame["contact_name"].notna() | frame["contact_phone"].notna()
    rows = _records(frame[has_contact], SUBMISSION_CONTACT_COLUMNS)
    if rows:
        session.execute(_insert(session, SubmissionContact), rows)
    return len(rows)


def load_submission_contacts(session: Session, submission_ids: Iterable[str]) -> pd.DataFrame:
    """Contact persons of the given submissions' rows (columns as stored)."""
    ids = sorted(set(submission_ids))
    columns = [getattr(SubmissionContact, c) for c in SUBMISSION_CONTACT_COLUMNS]
    return _frame(
        session,
        select(*columns).where(SubmissionContact.submission_id.in_(ids)),
        SUBMISSION_CONTACT_COLUMNS,
    )


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


STATUS_DECISIONS = ("inactive", "keep_open")


def record_status_review(
    session: Session,
    sentra_id: str,
    census_year: int,
    decision: str,
    *,
    decided_by: str,
    comment: str | None = None,
) -> None:
    """A reviewer's verdict on declaring a sentra inactive; the later one wins."""
    if decision not in STATUS_DECISIONS:
        raise ValueError(f"decision must be one of {STATUS_DECISIONS}, not {decision!r}")
    _upsert(
        session,
        StatusReview,
        [
            {
                "sentra_id": sentra_id,
                "census_year": census_year,
                "decision": decision,
                "decided_by": decided_by,
                "decided_at": _now(),
                "comment": comment,
            }
        ],
        ["sentra_id", "census_year"],
    )


def load_status_reviews(session: Session, census_year: int | None = None) -> pd.DataFrame:
    """Status reviews (of one census year, or all), ordered by sentra and year."""
    import pandas as pd

    stmt = select(
        StatusReview.sentra_id,
        StatusReview.census_year,
        StatusReview.decision,
        StatusReview.decided_by,
    ).order_by(StatusReview.sentra_id, StatusReview.census_year)
    if census_year is not None:
        stmt = stmt.where(StatusReview.census_year == census_year)
    rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["sentra_id", "census_year", "decision", "decided_by"])


def kept_open(session: Session) -> dict[int, set[str]]:
    """Per census year, the sentra a reviewer kept from being declared inactive."""
    reviews = load_status_reviews(session)
    reviews = reviews[reviews["decision"] == "keep_open"]
    return {int(str(y)): set(g["sentra_id"]) for y, g in reviews.groupby("census_year")}


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
