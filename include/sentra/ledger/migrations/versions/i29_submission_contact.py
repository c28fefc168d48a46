"""ledger: submission_contact (contact persons split off the staged rows)

Revision ID: i29_submission_contact
Revises: 0002_status_review
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i29_submission_contact"
down_revision: str | None = "0002_status_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission_contact",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("source_sheet", sa.String(length=100), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "submission_id", "source_sheet", "source_row", name=op.f("pk_submission_contact")
        ),
    )


def downgrade() -> None:
    op.drop_table("submission_contact")
