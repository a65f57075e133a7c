"""Initial schema of the platform core.

Generated with ``alembic revision --autogenerate`` against an empty SQLite database, then
reviewed: timestamps are plain ``DateTime(timezone=True)`` (the models wrap it in
``UTCDateTime``, a Python-side conversion only), indexes are created directly, and the single
``audit_head`` row (seq 0, hash = 64 zeros) is inserted so the first ``audit.append`` finds it.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:24:47
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

GENESIS_HASH = "0" * 64  # frozen copy of zhicheng.store.models.GENESIS_HASH

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=True),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_actor_id"), "audit_entries", ["actor_id"])
    op.create_index(op.f("ix_audit_entries_created_at"), "audit_entries", ["created_at"])
    op.create_index(op.f("ix_audit_entries_entity_entity_id"), "audit_entries", ["entity", "entity_id"])
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "evidence_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_files")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_units_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("uscc", name=op.f("uq_units_uscc")),
    )
    op.create_index(op.f("ix_units_department_id"), "units", ["department_id"])
    op.create_index(op.f("ix_units_name"), "units", ["name"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("id_number_token", sa.String(length=512), nullable=True),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=32), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role <> 'applicant' OR id_number_index IS NOT NULL", name=op.f("ck_users_applicant_has_id_number")
        ),
        sa.CheckConstraint(
            "role IN ('applicant', 'unit', 'department', 'agency', 'expert', 'bureau', 'admin')",
            name=op.f("ck_users_role"),
        ),
        sa.CheckConstraint("failed_logins >= 0", name=op.f("ck_users_failed_logins_non_negative")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_users_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("id_number_index", name=op.f("uq_users_id_number_index")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_department_id"), "users", ["department_id"])
    op.create_index(op.f("ix_users_role"), "users", ["role"])
    op.create_index(op.f("ix_users_unit_id"), "users", ["unit_id"])
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_tokens_token_hash")),
    )
    op.create_index(op.f("ix_auth_tokens_expires_at"), "auth_tokens", ["expires_at"])
    op.create_index(op.f("ix_auth_tokens_user_id"), "auth_tokens", ["user_id"])
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("source", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("loaded_by", sa.Integer(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loaded_by"], ["users.id"], name=op.f("fk_calendar_years_loaded_by_users")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "catalog_extensions",
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["users.id"], name=op.f("fk_catalog_extensions_registered_by_users")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_catalog_extensions")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_idempotency_records_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("actor_id", "key", name=op.f("uq_idempotency_records_actor_id_key")),
    )
    op.create_index(op.f("ix_idempotency_records_created_at"), "idempotency_records", ["created_at"])
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("levels", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('annual', 'special')", name=op.f("ck_rounds_kind")),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_rounds_status")),
        sa.CheckConstraint("window_end >= window_start", name=op.f("ck_rounds_window_order")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_rounds_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    op.create_index(op.f("ix_rounds_document_id"), "rounds", ["document_id"])
    op.create_index(op.f("ix_rounds_status"), "rounds", ["status"])
    op.create_index(op.f("ix_rounds_year_kind"), "rounds", ["year", "kind"])
    op.create_table(
        "sanctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('disciplinary', 'integrity')", name=op.f("ck_sanctions_kind")),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name=op.f("ck_sanctions_period_order")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_sanctions_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions")),
    )
    op.create_index(op.f("ix_sanctions_id_number_index"), "sanctions", ["id_number_index"])
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("route", sa.String(length=16), server_default="regular", nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("profile", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("verdict_at_submission", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("verdict_at_review", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("catalog_version", sa.String(length=64), nullable=True),
        sa.Column("pledge_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("step_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("route IN ('regular', 'exceptional', 'direct_track')", name=op.f("ck_applications_route")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_applications_version_positive")),
        sa.ForeignKeyConstraint(["applicant_id"], ["users.id"], name=op.f("fk_applications_applicant_id_users")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_applications_round_id_rounds")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_applications_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "round_id", "applicant_id", "level", name=op.f("uq_applications_round_id_applicant_id_level")
        ),
    )
    op.create_index(op.f("ix_applications_applicant_id"), "applications", ["applicant_id"])
    op.create_index(op.f("ix_applications_round_id_state"), "applications", ["round_id", "state"])
    op.create_index(op.f("ix_applications_state_step_due"), "applications", ["state", "step_due"])
    op.create_index(op.f("ix_applications_unit_id_state"), "applications", ["unit_id", "state"])
    op.create_table(
        "public_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('unit', 'results')", name=op.f("ck_public_notices_kind")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_public_notices_period_order")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_public_notices_created_by_users")),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_public_notices_round_id_rounds")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_public_notices_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notices")),
    )
    op.create_index(op.f("ix_public_notices_kind_end_date"), "public_notices", ["kind", "end_date"])
    op.create_index(op.f("ix_public_notices_round_id_kind"), "public_notices", ["round_id", "kind"])
    op.create_index(op.f("ix_public_notices_unit_id"), "public_notices", ["unit_id"])
    op.create_table(
        "application_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("achievement_index", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_evidence_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["evidence_files.sha256"], name=op.f("fk_application_evidence_sha256_evidence_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_evidence")),
    )
    op.create_index(op.f("ix_application_evidence_application_id"), "application_evidence", ["application_id"])
    op.create_index(op.f("ix_application_evidence_sha256"), "application_evidence", ["sha256"])
    op.create_table(
        "correction_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered', 'expired')", name=op.f("ck_correction_notices_status")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_correction_notices_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_correction_notices_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_notices")),
    )
    op.create_index(op.f("ix_correction_notices_application_id"), "correction_notices", ["application_id"])
    op.create_index(op.f("ix_correction_notices_status_due_date"), "correction_notices", ["status", "due_date"])
    op.create_table(
        "notice_entries",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_notice_entries_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["public_notices.id"],
            name=op.f("fk_notice_entries_notice_id_public_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", "application_id", name=op.f("pk_notice_entries")),
    )
    op.create_index(op.f("ix_notice_entries_application_id"), "notice_entries", ["application_id"])
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name=op.f("ck_objections_status")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_objections_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_objections_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["public_notices.id"], name=op.f("fk_objections_notice_id_public_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_application_id"), "objections", ["application_id"])
    op.create_index(op.f("ix_objections_notice_id"), "objections", ["notice_id"])
    op.create_index(op.f("ix_objections_status"), "objections", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_objections_status"), table_name="objections")
    op.drop_index(op.f("ix_objections_notice_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_application_id"), table_name="objections")
    op.drop_table("objections")
    op.drop_index(op.f("ix_notice_entries_application_id"), table_name="notice_entries")
    op.drop_table("notice_entries")
    op.drop_index(op.f("ix_correction_notices_status_due_date"), table_name="correction_notices")
    op.drop_index(op.f("ix_correction_notices_application_id"), table_name="correction_notices")
    op.drop_table("correction_notices")
    op.drop_index(op.f("ix_application_evidence_sha256"), table_name="application_evidence")
    op.drop_index(op.f("ix_application_evidence_application_id"), table_name="application_evidence")
    op.drop_table("application_evidence")
    op.drop_index(op.f("ix_public_notices_unit_id"), table_name="public_notices")
    op.drop_index(op.f("ix_public_notices_round_id_kind"), table_name="public_notices")
    op.drop_index(op.f("ix_public_notices_kind_end_date"), table_name="public_notices")
    op.drop_table("public_notices")
    op.drop_index(op.f("ix_applications_unit_id_state"), table_name="applications")
    op.drop_index(op.f("ix_applications_state_step_due"), table_name="applications")
    op.drop_index(op.f("ix_applications_round_id_state"), table_name="applications")
    op.drop_index(op.f("ix_applications_applicant_id"), table_name="applications")
    op.drop_table("applications")
    op.drop_index(op.f("ix_sanctions_id_number_index"), table_name="sanctions")
    op.drop_table("sanctions")
    op.drop_index(op.f("ix_rounds_year_kind"), table_name="rounds")
    op.drop_index(op.f("ix_rounds_status"), table_name="rounds")
    op.drop_index(op.f("ix_rounds_document_id"), table_name="rounds")
    op.drop_table("rounds")
    op.drop_index(op.f("ix_idempotency_records_created_at"), table_name="idempotency_records")
    op.drop_table("idempotency_records")
    op.drop_table("catalog_extensions")
    op.drop_table("calendar_years")
    op.drop_index(op.f("ix_auth_tokens_user_id"), table_name="auth_tokens")
    op.drop_index(op.f("ix_auth_tokens_expires_at"), table_name="auth_tokens")
    op.drop_table("auth_tokens")
    op.drop_index(op.f("ix_users_unit_id"), table_name="users")
    op.drop_index(op.f("ix_users_role"), table_name="users")
    op.drop_index(op.f("ix_users_department_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_units_name"), table_name="units")
    op.drop_index(op.f("ix_units_department_id"), table_name="units")
    op.drop_table("units")
    op.drop_table("evidence_files")
    op.drop_table("departments")
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_entries_entity_entity_id"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_created_at"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_actor_id"), table_name="audit_entries")
    op.drop_table("audit_entries")
