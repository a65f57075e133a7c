"""The objector's real name in a column of its own (it used to be written in front of the contact).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("objections") as batch:
        batch.add_column(sa.Column("name", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objections") as batch:
        batch.drop_column("name")
