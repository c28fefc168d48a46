"""ledger: status_review (reviewers' decisions on sentra about to be declared inactive)

Revision ID: 0002_status_review
Revises: 0001_initial
Create Date: 2026-11-24 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_status_review"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sentra_id", sa.String(length=32), nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sentra_id"],
            ["sentra_register.sentra_id"],
            name=op.f("fk_status_review_sentra_id_sentra_register"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_review")),
        sa.UniqueConstraint("sentra_id", "census_year", name=op.f("uq_status_review_sentra_id")),
    )


def downgrade() -> None:
    op.drop_table("status_review")
