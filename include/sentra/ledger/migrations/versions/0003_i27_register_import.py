"""ledger: intake_message (submissions that arrive by e-mail, issue 27)

Revision ID: i27_register_import
Revises: i25_column_mapping
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i27_register_import"
down_revision: str | None = "i25_column_mapping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_message",
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("census_year", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("office_code", sa.String(length=16), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("message_key", name=op.f("pk_intake_message")),
    )


def downgrade() -> None:
    op.drop_table("intake_message")
