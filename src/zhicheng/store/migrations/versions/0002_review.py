"""Expert review: committees and their filings, the expert pool, typed conflicts, meetings,
panels, scores, interviews, has-voted records and secret ballots (zhicheng.review).

Generated with ``alembic revision --autogenerate`` against a database at 0001, then reviewed
like 0001: plain ``DateTime(timezone=True)``, portable boolean defaults, indexes created
directly.  ``ballots`` is a ``WITHOUT ROWID`` table on SQLite (rows kept in random-id order,
not insertion order); PostgreSQL ignores the option.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:45:58
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "committees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("specialty", sa.String(length=100), nullable=True),
        sa.Column("organised_by", sa.String(length=16), nullable=False),
        sa.Column("levels", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("min_members", sa.Integer(), nullable=False),
        sa.Column("min_members_basis", sa.Text(), nullable=True),
        sa.Column("threshold", sa.String(length=16), server_default="inclusive", nullable=False),
        sa.Column("recused_count_as_present", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("interview_for_exceptional", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("organised_by IN ('series', 'specialty')", name=op.f("ck_committees_organised_by")),
        sa.CheckConstraint("threshold IN ('inclusive', 'exclusive')", name=op.f("ck_committees_threshold")),
        sa.CheckConstraint("min_members >= 3", name=op.f("ck_committees_min_members_at_least_3")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_committees_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committees")),
        sa.UniqueConstraint("name", name=op.f("uq_committees_name")),
    )
    op.create_index(op.f("ix_committees_document_id"), "committees", ["document_id"])
    op.create_table(
        "experts",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("title_grade", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.String(length=100), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("unit_uscc", sa.String(length=18), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("term_end >= term_start", name=op.f("ck_experts_term_order")),
        sa.CheckConstraint("title_grade BETWEEN 1 AND 5", name=op.f("ck_experts_title_grade_range")),
        sa.ForeignKeyConstraint(["registered_by"], ["users.id"], name=op.f("fk_experts_registered_by_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_experts_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_experts")),
    )
    op.create_index(op.f("ix_experts_specialty"), "experts", ["specialty"])
    op.create_index(op.f("ix_experts_unit_uscc"), "experts", ["unit_uscc"])
    op.create_table(
        "committee_filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_on >= filed_on", name=op.f("ck_committee_filings_period_order")),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_committee_filings_committee_id_committees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_committee_filings_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_filings")),
    )
    op.create_index(
        op.f("ix_committee_filings_committee_id_expires_on"), "committee_filings", ["committee_id", "expires_on"]
    )
    op.create_table(
        "committee_pool",
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_committee_pool_committee_id_committees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["expert_id"], ["experts.user_id"], name=op.f("fk_committee_pool_expert_id_experts")),
        sa.PrimaryKeyConstraint("committee_id", "expert_id", name=op.f("pk_committee_pool")),
    )
    op.create_index(op.f("ix_committee_pool_expert_id"), "committee_pool", ["expert_id"])
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("recused_count_as_present", sa.Boolean(), nullable=False),
        sa.Column("interview_for_exceptional", sa.Boolean(), nullable=False),
        sa.Column("min_members", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("draw", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("minutes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("minutes_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'assigned', 'open', 'closed')", name=op.f("ck_meetings_status")),
        sa.CheckConstraint("threshold IN ('inclusive', 'exclusive')", name=op.f("ck_meetings_threshold")),
        sa.CheckConstraint("size IS NULL OR size % 2 = 1", name=op.f("ck_meetings_size_odd")),
        sa.ForeignKeyConstraint(["committee_id"], ["committees.id"], name=op.f("fk_meetings_committee_id_committees")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_meetings_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index(op.f("ix_meetings_committee_id_held_on"), "meetings", ["committee_id", "held_on"])
    op.create_index(op.f("ix_meetings_status"), "meetings", ["status"])
    op.create_table(
        "conflict_declarations",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_conflict_declarations_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conflict_declarations_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "expert_id", name=op.f("pk_conflict_declarations")),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_reason", sa.Text(), nullable=True),
        sa.Column("dismissed_by", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('kinship', 'advisor', 'collaboration', 'same_unit', 'coauthor', 'other')",
            name=op.f("ck_conflicts_kind"),
        ),
        sa.CheckConstraint("source IN ('declared', 'detected', 'agency')", name=op.f("ck_conflicts_source")),
        sa.CheckConstraint(
            "status <> 'dismissed' OR dismissed_reason IS NOT NULL", name=op.f("ck_conflicts_dismissal_has_reason")
        ),
        sa.CheckConstraint("status IN ('active', 'dismissed')", name=op.f("ck_conflicts_status")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_conflicts_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["dismissed_by"], ["users.id"], name=op.f("fk_conflicts_dismissed_by_users")),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_conflicts_expert_id_users")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_conflicts_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
        sa.UniqueConstraint(
            "expert_id",
            "application_id",
            "kind",
            "source",
            name=op.f("uq_conflicts_expert_id_application_id_kind_source"),
        ),
    )
    op.create_index(op.f("ix_conflicts_application_id_status"), "conflicts", ["application_id", "status"])
    op.create_index(op.f("ix_conflicts_expert_id"), "conflicts", ["expert_id"])
    op.create_table(
        "meeting_members",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("checked_in", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_meeting_members_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_members_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meeting_id", "expert_id", name=op.f("pk_meeting_members")),
    )
    op.create_index(op.f("ix_meeting_members_expert_id"), "meeting_members", ["expert_id"])
    op.create_table(
        "panels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_panels_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panels")),
        sa.UniqueConstraint("meeting_id", "name", name=op.f("uq_panels_meeting_id_name")),
    )
    op.create_table(
        "meeting_items",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("attending", sa.Integer(), nullable=True),
        sa.Column("recused", sa.Integer(), nullable=True),
        sa.Column("present", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("abstain", sa.Integer(), nullable=True),
        sa.Column("not_cast", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("threshold", sa.String(length=16), nullable=True),
        sa.Column("ballot_digest", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'voting', 'decided')", name=op.f("ck_meeting_items_status")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_meeting_items_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_items_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["panel_id"], ["panels.id"], name=op.f("fk_meeting_items_panel_id_panels")),
        sa.PrimaryKeyConstraint("meeting_id", "application_id", name=op.f("pk_meeting_items")),
    )
    op.create_index(op.f("ix_meeting_items_application_id_status"), "meeting_items", ["application_id", "status"])
    op.create_index(op.f("ix_meeting_items_panel_id"), "meeting_items", ["panel_id"])
    op.create_table(
        "panel_members",
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_panel_members_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["panels.id"], name=op.f("fk_panel_members_panel_id_panels"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("panel_id", "expert_id", name=op.f("pk_panel_members")),
    )
    op.create_index(op.f("ix_panel_members_expert_id"), "panel_members", ["expert_id"])
    op.create_table(
        "ballot_voters",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'voted', 'recused', 'missed')", name=op.f("ck_ballot_voters_status")),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_ballot_voters_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            name=op.f("fk_ballot_voters_meeting_id_application_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "application_id", "expert_id", name=op.f("pk_ballot_voters")),
    )
    op.create_table(
        "ballots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.CheckConstraint("choice IN ('yes', 'no', 'abstain')", name=op.f("ck_ballots_choice")),
        sa.ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            name=op.f("fk_ballots_meeting_id_application_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_ballots_meeting_id_application_id"), "ballots", ["meeting_id", "application_id"])
    op.create_table(
        "interviews",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("examiners", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("result IN ('pass', 'fail')", name=op.f("ck_interviews_result")),
        sa.ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            name=op.f("fk_interviews_meeting_id_application_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_interviews_recorded_by_users")),
        sa.PrimaryKeyConstraint("meeting_id", "application_id", name=op.f("pk_interviews")),
    )
    op.create_table(
        "panel_scores",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_panel_scores_score_range")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_panel_scores_version_positive")),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_panel_scores_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            name=op.f("fk_panel_scores_meeting_id_application_id_meeting_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "application_id", "expert_id", name=op.f("pk_panel_scores")),
    )
    op.create_index(op.f("ix_panel_scores_expert_id"), "panel_scores", ["expert_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_panel_scores_expert_id"), table_name="panel_scores")
    op.drop_table("panel_scores")
    op.drop_table("interviews")
    op.drop_index(op.f("ix_ballots_meeting_id_application_id"), table_name="ballots")
    op.drop_table("ballots")
    op.drop_table("ballot_voters")
    op.drop_index(op.f("ix_panel_members_expert_id"), table_name="panel_members")
    op.drop_table("panel_members")
    op.drop_index(op.f("ix_meeting_items_application_id_status"), table_name="meeting_items")
    op.drop_index(op.f("ix_meeting_items_panel_id"), table_name="meeting_items")
    op.drop_table("meeting_items")
    op.drop_table("panels")
    op.drop_index(op.f("ix_meeting_members_expert_id"), table_name="meeting_members")
    op.drop_table("meeting_members")
    op.drop_index(op.f("ix_conflicts_application_id_status"), table_name="conflicts")
    op.drop_index(op.f("ix_conflicts_expert_id"), table_name="conflicts")
    op.drop_table("conflicts")
    op.drop_table("conflict_declarations")
    op.drop_index(op.f("ix_meetings_committee_id_held_on"), table_name="meetings")
    op.drop_index(op.f("ix_meetings_status"), table_name="meetings")
    op.drop_table("meetings")
    op.drop_index(op.f("ix_committee_pool_expert_id"), table_name="committee_pool")
    op.drop_table("committee_pool")
    op.drop_index(op.f("ix_committee_filings_committee_id_expires_on"), table_name="committee_filings")
    op.drop_table("committee_filings")
    op.drop_index(op.f("ix_experts_specialty"), table_name="experts")
    op.drop_index(op.f("ix_experts_unit_uscc"), table_name="experts")
    op.drop_table("experts")
    op.drop_index(op.f("ix_committees_document_id"), table_name="committees")
    op.drop_table("committees")
