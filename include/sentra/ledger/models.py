"""The ledger's tables: what was received, decided, registered and sent.

The ledger is the pipeline's memory between runs (SQLite in the embedded default,
PostgreSQL in production). The warehouse is what analysts read; the ledger is what
makes reruns idempotent: content hashes, the sentra register that hands out stable
IDs, reviewers' decisions and the delivery ledger that sends each report once.
Schema changes go through the Alembic migrations next to this module.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CensusRound(Base):
    """One yearly re-census: opened, deadline, closed."""

    __tablename__ = "census_round"

    census_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    open_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Office(Base):
    """A regional office (Dinas) and where its reports go: the maintained directory."""

    __tablename__ = "office"

    office_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # 32 or 32.76
    office_name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class Submission(Base):
    """One submitted file, identified by its content hash within office and year."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("census_year", "office_code", "content_sha256"),
        Index("ix_submission_year_office", "census_year", "office_code"),
    )

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    census_year: Mapped[int] = mapped_column(Integer)
    office_code: Mapped[str] = mapped_column(String(16))
    file_uri: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(500))
    content_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    file_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="received")
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("submission.submission_id"))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_accepted: Mapped[int | None] = mapped_column(Integer)
    rows_rejected: Mapped[int | None] = mapped_column(Integer)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Source header (or where a field came from, e.g. the office) → canonical field, as
    # ingestion mapped this file: what `sentra ingest` prints, kept for the reviewer.
    column_mapping: Mapped[dict | None] = mapped_column(JSON)


class QualityMetric(Base):
    """Per-submission and per-year quality figures, for reports and trends."""

    __tablename__ = "quality_metric"
    __table_args__ = (Index("ix_quality_metric_scope", "census_year", "submission_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    census_year: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str | None] = mapped_column(String(64))  # None = whole year
    metric: Mapped[str] = mapped_column(String(64))
    column: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)


class RegisteredSentra(Base):
    """The national register: one row per real sentra; ``sentra_id`` never changes."""

    __tablename__ = "sentra_register"

    sentra_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str] = mapped_column(String(2))
    # What offices write is Text: PostgreSQL enforces a varchar length (SQLite does not),
    # and a name or a kecamatan written out in full must never fail a publication.
    sentra_name: Mapped[str] = mapped_column(Text)
    commodity: Mapped[str | None] = mapped_column(Text)
    commodity_group: Mapped[str | None] = mapped_column(String(32))
    # The Kemendagri code where the office's code or name resolves, else as written.
    kecamatan_code: Mapped[str | None] = mapped_column(Text)
    desa_code: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    units: Mapped[int | None] = mapped_column(Integer)
    first_census_year: Mapped[int | None] = mapped_column(Integer)
    last_census_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(64))  # submission_id or "register"


class SentraContact(Base):
    """Personal data (UU PDP 27/2022): restricted, never copied into the warehouse."""

    __tablename__ = "sentra_contact"

    sentra_id: Mapped[str] = mapped_column(
        ForeignKey("sentra_register.sentra_id"), primary_key=True
    )
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)  # may list several numbers
    census_year: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str | None] = mapped_column(String(64))


class SubmissionContact(Base):
    """Contact persons of one submission's rows (personal data, UU PDP 27/2022).

    Split off before the rows are staged, so no staged Parquet file and nothing in the
    object store holds them; the staged rows are joined back to this table where the
    pipeline needs a contact (the survivor's, for ``sentra_contact``). Restricted: the
    catalog reader role has no access to the ledger database.
    """

    __tablename__ = "submission_contact"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_sheet: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" for CSV
    source_row: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)


class MatchDecision(Base):
    """A person's verdict on a candidate pair; respected by every later run.

    Keys are record keys (``sentra_id`` for register entries, ``submission_id#row``
    for source rows), stored with the smaller key first.
    """

    __tablename__ = "match_decision"
    __table_args__ = (UniqueConstraint("left_key", "right_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    left_key: Mapped[str] = mapped_column(String(100))
    right_key: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(16))  # match | non_match
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)


class SubmissionReview(Base):
    """A reviewer's decision on a held submission (approve or return to the office)."""

    __tablename__ = "submission_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submission.submission_id"))
    decision: Mapped[str] = mapped_column(String(16))  # approve | return
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatusReview(Base):
    """A reviewer's decision on a sentra the missed-rounds rule would declare inactive.

    ``inactive`` confirms the rule; ``keep_open`` keeps the sentra ``not_reported`` for
    that census year (``status_kept_by_reviewer``). The later decision wins.
    """

    __tablename__ = "status_review"
    __table_args__ = (UniqueConstraint("sentra_id", "census_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sentra_id: Mapped[str] = mapped_column(ForeignKey("sentra_register.sentra_id"))
    census_year: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))  # inactive | keep_open
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consolidation(Base):
    """One consolidation of a census year; ``content_hash`` names its result.

    Reports are keyed by it, so an unchanged rerun sends nothing and a changed result
    (a resubmission) sends a new, labelled report.
    """

    __tablename__ = "consolidation"
    __table_args__ = (UniqueConstraint("census_year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    census_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running | published | failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    snapshot_ids: Mapped[dict | None] = mapped_column(JSON)
    stats: Mapped[dict | None] = mapped_column(JSON)


class ReportDelivery(Base):
    """Exactly-once delivery: one row per office, year, report kind and result version."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("census_year", "office_code", "kind", "version_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    census_year: Mapped[int] = mapped_column(Integer)
    office_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # report | reminder | summary | template
    version_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecordLink(Base):
    """Which register entry a source row was linked to, and why (scores, method).

    Remembering links is what keeps IDs stable: a rerun, or a late submission, links
    only rows that have no link yet; everything already linked keeps its sentra_id.
    ``record_key`` is ``submission_id#source_row``.
    """

    __tablename__ = "record_link"
    __table_args__ = (Index("ix_record_link_year_sentra", "census_year", "sentra_id"),)

    record_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    census_year: Mapped[int] = mapped_column(Integer)
    sentra_id: Mapped[str] = mapped_column(ForeignKey("sentra_register.sentra_id"))
    cluster_key: Mapped[str] = mapped_column(String(100))  # record_key of the survivor
    method: Mapped[str] = mapped_column(
        String(32)
    )  # sentra_id | match | mutual_best | evidence | new | decision
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict | None] = mapped_column(JSON)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntakeMessage(Base):
    """One e-mail read from the intake mailbox, and what became of it (issue 27).

    Keyed by its Message-ID (or the hash of its bytes when it has none), so a message
    read twice is handled once. ``files`` lists each attachment with its content hash,
    where it was stored and whether it was taken; nothing is ingested from a message
    whose sender is not in the office directory.
    """

    __tablename__ = "intake_message"

    message_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    census_year: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    office_code: Mapped[str | None] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(32))  # accepted | unknown_sender | ...
    files: Mapped[list[dict]] = mapped_column(JSON, default=list)
