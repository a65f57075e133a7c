"""Certificates and trust: signing keys (published public keys), status lists, acceptances (验收 with
the approval document number), issued certificates, the public verification log and the shared
rate-limit buckets (zhicheng.certificates); the integrity archive (zhicheng.integrity).

Generated with Alembic's autogenerate against a database at 0002, then reviewed like 0001/0002:
plain ``DateTime(timezone=True)``, indexes created directly.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_buckets")),
    )
    op.create_index(op.f("ix_rate_limit_buckets_window_start"), "rate_limit_buckets", ["window_start"])
    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.String(length=512), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("retired_at", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("retired_at IS NULL OR retired_at >= valid_from", name=op.f("ck_signing_keys_period_order")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_signing_keys_created_by_users")),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("approval_number", sa.String(length=50), nullable=False),
        sa.Column("committee_name", sa.String(length=100), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("accepted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"], name=op.f("fk_acceptances_accepted_by_users")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_acceptances_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptances")),
    )
    op.create_index(op.f("ix_acceptances_approval_number"), "acceptances", ["approval_number"])
    op.create_index(op.f("ix_acceptances_meeting_id"), "acceptances", ["meeting_id"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("holder_name", sa.String(length=50), nullable=False),
        sa.Column("fields", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("series", sa.String(length=11), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=32), nullable=False),
        sa.Column("signed_json", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="valid", nullable=False),
        sa.Column("status_list_id", sa.String(length=64), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("status IN ('valid', 'suspended', 'revoked')", name=op.f("ck_certificates_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_certificates_version_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_certificates_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["holder_id"], ["users.id"], name=op.f("fk_certificates_holder_id_users")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_certificates_issued_by_users")),
        sa.ForeignKeyConstraint(["kid"], ["signing_keys.kid"], name=op.f("fk_certificates_kid_signing_keys")),
        sa.ForeignKeyConstraint(
            ["status_list_id"], ["status_lists.id"], name=op.f("fk_certificates_status_list_id_status_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("application_id", name=op.f("uq_certificates_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
        sa.UniqueConstraint("series", "sequence", name=op.f("uq_certificates_series_sequence")),
        sa.UniqueConstraint("status_list_id", "status_index", name=op.f("uq_certificates_status_list_id_status_index")),
    )
    op.create_index(op.f("ix_certificates_holder_id"), "certificates", ["holder_id"])
    op.create_index(op.f("ix_certificates_id_number_index"), "certificates", ["id_number_index"])
    op.create_index(op.f("ix_certificates_status"), "certificates", ["status"])
    op.create_index(op.f("ix_certificates_status_list_id_status"), "certificates", ["status_list_id", "status"])
    op.create_table(
        "acceptance_entries",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("acceptance_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acceptance_id"],
            ["acceptances.id"],
            name=op.f("fk_acceptance_entries_acceptance_id_acceptances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_acceptance_entries_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_acceptance_entries")),
    )
    op.create_index(op.f("ix_acceptance_entries_acceptance_id"), "acceptance_entries", ["acceptance_id"])
    op.create_table(
        "integrity_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=False),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("allegation", sa.Text(), nullable=False),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("deciding_body", sa.String(length=200), nullable=True),
        sa.Column("decision_no", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("sanction_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('under_review', 'confirmed', 'dismissed')", name=op.f("ck_integrity_records_status")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_integrity_records_version_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_integrity_records_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name=op.f("fk_integrity_records_certificate_id_certificates")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_integrity_records_decided_by_users")),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_integrity_records_opened_by_users")),
        sa.ForeignKeyConstraint(
            ["sanction_id"], ["sanctions.id"], name=op.f("fk_integrity_records_sanction_id_sanctions")
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_integrity_records_subject_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_records")),
    )
    op.create_index(op.f("ix_integrity_records_application_id"), "integrity_records", ["application_id"])
    op.create_index(op.f("ix_integrity_records_certificate_id"), "integrity_records", ["certificate_id"])
    op.create_index(op.f("ix_integrity_records_id_number_index"), "integrity_records", ["id_number_index"])
    op.create_index(op.f("ix_integrity_records_status_opened_at"), "integrity_records", ["status", "opened_at"])
    op.create_table(
        "verification_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("query_number", sa.String(length=32), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("client_ip_masked", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("verifier_user_id", sa.Integer(), nullable=True),
        sa.Column("verifier_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("method IN ('link', 'number_name')", name=op.f("ck_verification_log_method")),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_verification_log_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verifier_user_id"], ["users.id"], name=op.f("fk_verification_log_verifier_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_log")),
    )
    op.create_index(
        op.f("ix_verification_log_certificate_id_created_at"), "verification_log", ["certificate_id", "created_at"]
    )
    op.create_index(op.f("ix_verification_log_created_at"), "verification_log", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_verification_log_created_at"), table_name="verification_log")
    op.drop_index(op.f("ix_verification_log_certificate_id_created_at"), table_name="verification_log")
    op.drop_table("verification_log")
    op.drop_index(op.f("ix_integrity_records_status_opened_at"), table_name="integrity_records")
    op.drop_index(op.f("ix_integrity_records_id_number_index"), table_name="integrity_records")
    op.drop_index(op.f("ix_integrity_records_certificate_id"), table_name="integrity_records")
    op.drop_index(op.f("ix_integrity_records_application_id"), table_name="integrity_records")
    op.drop_table("integrity_records")
    op.drop_index(op.f("ix_acceptance_entries_acceptance_id"), table_name="acceptance_entries")
    op.drop_table("acceptance_entries")
    op.drop_index(op.f("ix_certificates_status_list_id_status"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_status"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_id_number_index"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_holder_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index(op.f("ix_acceptances_meeting_id"), table_name="acceptances")
    op.drop_index(op.f("ix_acceptances_approval_number"), table_name="acceptances")
    op.drop_table("acceptances")
    op.drop_table("signing_keys")
    op.drop_table("status_lists")
    op.drop_index(op.f("ix_rate_limit_buckets_window_start"), table_name="rate_limit_buckets")
    op.drop_table("rate_limit_buckets")
