"""ledger: initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24 09:19:53.619846
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "census_round",
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_date", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("census_year", name=op.f("pk_census_round")),
    )
    op.create_table(
        "consolidation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot_ids", sa.JSON(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation")),
        sa.UniqueConstraint("census_year", "version", name=op.f("uq_consolidation_census_year")),
    )
    op.create_table(
        "match_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("left_key", sa.String(length=100), nullable=False),
        sa.Column("right_key", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decision")),
        sa.UniqueConstraint("left_key", "right_key", name=op.f("uq_match_decision_left_key")),
    )
    op.create_table(
        "office",
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("office_name", sa.String(length=200), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("office_code", name=op.f("pk_office")),
    )
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "quality_metric",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_metric")),
    )
    with op.batch_alter_table("quality_metric", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_metric_scope", ["census_year", "submission_id"], unique=False
        )

    op.create_table(
        "report_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("version_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_delivery")),
        sa.UniqueConstraint(
            "census_year",
            "office_code",
            "kind",
            "version_key",
            name=op.f("uq_report_delivery_census_year"),
        ),
    )
    op.create_table(
        "sentra_register",
        sa.Column("sentra_id", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sentra_name", sa.String(length=300), nullable=False),
        sa.Column("commodity", sa.String(length=200), nullable=True),
        sa.Column("commodity_group", sa.String(length=32), nullable=True),
        sa.Column("kecamatan_code", sa.String(length=16), nullable=True),
        sa.Column("desa_code", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("first_census_year", sa.Integer(), nullable=True),
        sa.Column("last_census_year", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("sentra_id", name=op.f("pk_sentra_register")),
    )
    with op.batch_alter_table("sentra_register", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sentra_register_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "submission",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=False),
        sa.Column("file_uri", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("superseded_by", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_accepted", sa.Integer(), nullable=True),
        sa.Column("rows_rejected", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["submission.submission_id"],
            name=op.f("fk_submission_superseded_by_submission"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission")),
        sa.UniqueConstraint(
            "census_year", "office_code", "content_sha256", name=op.f("uq_submission_census_year")
        ),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_year_office", ["census_year", "office_code"], unique=False
        )

    op.create_table(
        "record_link",
        sa.Column("record_key", sa.String(length=100), nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("sentra_id", sa.String(length=32), nullable=False),
        sa.Column("cluster_key", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sentra_id"],
            ["sentra_register.sentra_id"],
            name=op.f("fk_record_link_sentra_id_sentra_register"),
        ),
        sa.PrimaryKeyConstraint("record_key", name=op.f("pk_record_link")),
    )
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_link_year_sentra", ["census_year", "sentra_id"], unique=False
        )

    op.create_table(
        "sentra_contact",
        sa.Column("sentra_id", sa.String(length=32), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["sentra_id"],
            ["sentra_register.sentra_id"],
            name=op.f("fk_sentra_contact_sentra_id_sentra_register"),
        ),
        sa.PrimaryKeyConstraint("sentra_id", name=op.f("pk_sentra_contact")),
    )
    op.create_table(
        "submission_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.submission_id"],
            name=op.f("fk_submission_review_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_review")),
    )


def downgrade() -> None:
    op.drop_table("submission_review")
    op.drop_table("sentra_contact")
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.drop_index("ix_record_link_year_sentra")

    op.drop_table("record_link")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_year_office")

    op.drop_table("submission")
    with op.batch_alter_table("sentra_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sentra_register_region_code"))

    op.drop_table("sentra_register")
    op.drop_table("report_delivery")
    with op.batch_alter_table("quality_metric", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_metric_scope")

    op.drop_table("quality_metric")
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_province_code"))

    op.drop_table("office")
    op.drop_table("match_decision")
    op.drop_table("consolidation")
    op.drop_table("census_round")
