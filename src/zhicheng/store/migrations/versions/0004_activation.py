"""Account activation and password-reset codes (激活码、密码重置码, zhicheng.accounts.activation).

Written like 0003 (reviewed autogenerate output): plain ``DateTime(timezone=True)``, indexes created
directly; the partial unique index keeps at most one pending code per account on both databases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("used_at IS NULL AND voided_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("purpose IN ('activation', 'reset')", name=op.f("ck_activation_codes_purpose")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_activation_codes_attempts_non_negative")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_activation_codes_expiry_after_issue")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_activation_codes_issued_by_users")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activation_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
    )
    op.create_index(op.f("ix_activation_codes_user_id"), "activation_codes", ["user_id"])
    op.create_index(op.f("ix_activation_codes_expires_at"), "activation_codes", ["expires_at"])
    op.create_index(
        "uq_activation_codes_pending_user",
        "activation_codes",
        ["user_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("uq_activation_codes_pending_user", table_name="activation_codes")
    op.drop_index(op.f("ix_activation_codes_expires_at"), table_name="activation_codes")
    op.drop_index(op.f("ix_activation_codes_user_id"), table_name="activation_codes")
    op.drop_table("activation_codes")
