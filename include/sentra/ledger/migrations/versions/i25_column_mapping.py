"""ledger: submission.column_mapping (which source column fed which field, #25)

Revision ID: i25_column_mapping
Revises: i29_submission_contact
Create Date: 2026-12-05 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i25_column_mapping"
down_revision: str | None = "i29_submission_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("column_mapping", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("column_mapping")
