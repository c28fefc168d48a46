"""ledger: what offices write is Text (register names, commodity, places; contacts)

PostgreSQL enforces ``varchar(n)``; SQLite, where the first rounds ran, does not. A
kecamatan written by name in the code column (``Kedungwuni``, 10+ characters against
``varchar(16)``), a long sentra name or a cell with two phone numbers failed the whole
publication on PostgreSQL (``StringDataRightTruncation``). In PostgreSQL ``text`` and
``varchar(n)`` are stored alike, so the limit bought nothing.

Revision ID: i30_office_text
Revises: i27_register_import
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i30_office_text"
down_revision: str | None = "i27_register_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WIDENED = {
    "sentra_register": {
        "sentra_name": (sa.String(length=300), False),
        "commodity": (sa.String(length=200), True),
        "kecamatan_code": (sa.String(length=16), True),
        "desa_code": (sa.String(length=20), True),
    },
    "sentra_contact": {
        "contact_name": (sa.String(length=200), True),
        "contact_phone": (sa.String(length=32), True),
    },
}


def upgrade() -> None:
    for table, columns in _WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, (old, nullable) in columns.items():
                batch.alter_column(
                    column, existing_type=old, type_=sa.Text(), existing_nullable=nullable
                )


def downgrade() -> None:
    """Narrows again: fails, as it should, where a longer value was stored since."""
    for table, columns in _WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, (old, nullable) in columns.items():
                batch.alter_column(
                    column, existing_type=sa.Text(), type_=old, existing_nullable=nullable
                )
