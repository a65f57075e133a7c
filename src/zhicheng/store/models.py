"""SQLAlchemy models of the platform core, portable across SQLite and PostgreSQL.

Conventions:

* Integer surrogate keys; constraint and index names follow :data:`NAMING_CONVENTION` so that
  migrations name them identically on both databases.
* Timestamps are :class:`~zhicheng.store.types.UTCDateTime` (timezone-aware, UTC); calendar
  days (deadlines, application windows, notice periods) are plain ``Date``.
* Enumerated values are strings with a CHECK constraint; the allowed values are the
  ``StrEnum`` classes below.  ``Application.state`` is deliberately unconstrained: the
  workflow module owns the state machine.
* JSON columns use ``sqlalchemy.JSON`` (``json`` on PostgreSQL, text on SQLite); Python
  ``None`` is stored as SQL NULL.
* Personal identity numbers never appear in plain text: ``User.id_number_token`` holds the
  AES-GCM token, ``id_number_index`` the blind index, ``id_number_masked`` the display form
  (see ``zhicheng.accounts.protect`` and docs/personal-data.md).
* Every lookup a page runs has an index; the index list sits next to each table.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng.store.types import JSONValue, UTCDateTime, utcnow

__all__ = [
    "GENESIS_HASH",
    "NAMING_CONVENTION",
    "Application",
    "ApplicationEvidence",
    "AuditEntry",
    "AuditHead",
    "AuthToken",
    "Base",
    "CalendarYearRecord",
    "CatalogExtension",
    "CorrectionNotice",
    "CorrectionStatus",
    "Department",
    "EvidenceFile",
    "IdempotencyRecord",
    "NoticeEntry",
    "NoticeKind",
    "Objection",
    "ObjectionStatus",
    "PublicNotice",
    "Role",
    "Round",
    "RoundKind",
    "RoundStatus",
    "Route",
    "Sanction",
    "SanctionKind",
    "Unit",
    "User",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first audit entry and hash of the empty chain's head."""


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    UNIT = "unit"
    DEPARTMENT = "department"
    AGENCY = "agency"
    EXPERT = "expert"
    BUREAU = "bureau"
    ADMIN = "admin"


class RoundKind(enum.StrEnum):
    ANNUAL = "annual"  # 年度评审
    SPECIAL = "special"  # 专项评审


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Route(enum.StrEnum):
    REGULAR = "regular"
    EXCEPTIONAL = "exceptional"  # 破格
    DIRECT_TRACK = "direct_track"  # 直通车


class CorrectionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


class NoticeKind(enum.StrEnum):
    UNIT = "unit"  # 单位公示
    RESULTS = "results"  # 评审结果公示


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class SanctionKind(enum.StrEnum):
    DISCIPLINARY = "disciplinary"  # 处分
    INTEGRITY = "integrity"  # 失信


def _one_of(column: str, values: type[enum.StrEnum], name: str | None = None) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy's own idiom


# ---------------------------------------------------------------------------
# Organisations and accounts


class Department(Base):
    """主管部门 (competent department)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Unit(Base):
    """用人单位 (employer unit); ``uscc`` = 统一社会信用代码."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)


class User(Base):
    """An account of any role.  Applicants must have an ID number (blind index); staff may not."""

    __tablename__ = "users"
    __table_args__ = (
        _one_of("role", Role),
        CheckConstraint("role <> 'applicant' OR id_number_index IS NOT NULL", name="applicant_has_id_number"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    id_number_token: Mapped[str | None] = mapped_column(String(512))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuthToken(Base):
    """A login session token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------------------
# Rounds and applications


class Round(Base):
    """年度评审 / 专项评审 with its application window (申报期, inclusive dates)."""

    __tablename__ = "rounds"
    __table_args__ = (
        _one_of("kind", RoundKind),
        _one_of("status", RoundStatus),
        CheckConstraint("window_end >= window_start", name="window_order"),
        Index(None, "year", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[str] = mapped_column(String(64), index=True)
    levels: Mapped[list[str]] = mapped_column(JSONValue())
    title: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.DRAFT.value, server_default="draft", index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Application(Base):
    """申报: one person, one round, one level.

    ``version`` starts at 1 and is raised by one on every state change, for compare-and-set:
    ``UPDATE applications SET state=:to, version=version+1 WHERE id=:id AND state=:from AND
    version=:v`` — zero rows updated means someone else moved first (409).
    """

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("round_id", "applicant_id", "level"),
        _one_of("route", Route),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(None, "round_id", "state"),
        Index(None, "unit_id", "state"),
        Index(None, "state", "step_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    document_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(16), default=Route.REGULAR.value, server_default="regular")
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    profile: Mapped[dict[str, Any]] = mapped_column(JSONValue())
    verdict_at_submission: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    verdict_at_review: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    catalog_version: Mapped[str | None] = mapped_column(String(64))
    pledge_accepted_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    step_due: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EvidenceFile(Base):
    """One stored file, addressed by the SHA-256 of its content (see ``store/files.py``)."""

    __tablename__ = "evidence_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApplicationEvidence(Base):
    """A file attached to an application, optionally to one achievement (by its index)."""

    __tablename__ = "application_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    achievement_index: Mapped[int | None]
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CorrectionNotice(Base):
    """一次性告知补正: everything missing, listed once, with a due date."""

    __tablename__ = "correction_notices"
    __table_args__ = (
        _one_of("status", CorrectionStatus),
        Index(None, "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    items: Mapped[list[Any]] = mapped_column(JSONValue())
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=CorrectionStatus.OPEN.value, server_default="open")
    answered_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------------------
# Public notices and objections


class PublicNotice(Base):
    """公示: a unit's internal notice or the results notice; inclusive [start_date, end_date]."""

    __tablename__ = "public_notices"
    __table_args__ = (
        _one_of("kind", NoticeKind),
        CheckConstraint("end_date >= start_date", name="period_order"),
        Index(None, "round_id", "kind"),
        Index(None, "kind", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NoticeEntry(Base):
    """An application listed on a public notice."""

    __tablename__ = "notice_entries"

    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True, index=True)


class Objection(Base):
    """异议 raised during a public notice, in the objector's real name.  ``name`` and ``contact`` are the
    objector's personal data: only those who decide the objection see them."""

    __tablename__ = "objections"
    __table_args__ = (_one_of("status", ObjectionStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(50))  # the objector's real name (null: filed before 0005)
    contact: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(
        String(16), default=ObjectionStatus.OPEN.value, server_default="open", index=True
    )
    decision: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------------------
# Integrity, reference data, idempotency


class Sanction(Base):
    """处分或失信记录, keyed by the person's ID-number blind index (they may have no account)."""

    __tablename__ = "sanctions"
    __table_args__ = (
        _one_of("kind", SanctionKind),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CalendarYearRecord(Base):
    """Official holidays and make-up workdays of one year (``CalendarYear.to_dict()``)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONValue())
    source: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    loaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CatalogExtension(Base):
    """An agency's registration that an expired catalog document stays in force until a date."""

    __tablename__ = "catalog_extensions"

    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[dt.date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(Text)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The stored result of a command, so a replay with the same key returns it again."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("actor_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[Any] = mapped_column(JSONValue())
    status_code: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


# ---------------------------------------------------------------------------
# Audit trail (written only through zhicheng.store.audit.append)


class AuditEntry(Base):
    """One link of the hash chain; see ``zhicheng.store.audit`` for the hash format."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row (id = 1) naming the last entry; locked by every append."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


# ===========================================================================
# Expert review (评审专家、评委会、评议组、评审会议、无记名投票) — owned by zhicheng.review
#
# Written only through zhicheng.review.service; see docs/review.md.  Ballot secrecy rests on two
# tables: ``ballot_voters`` (who may vote / has voted, no choice, no timestamp) and ``ballots``
# (the choice, a random id, no voter, no timestamp, no sequence; SQLite stores it WITHOUT ROWID
# so not even the row order follows the casting order, and closing a ballot rewrites the box).

from sqlalchemy import ForeignKeyConstraint, false  # noqa: E402 - section appended by the review module


class CommitteeOrganisation(enum.StrEnum):
    SERIES = "series"  # 按职称系列组建
    SPECIALTY = "specialty"  # 按专业组建


class ThresholdRule(enum.StrEnum):
    INCLUSIVE = "inclusive"  # 2/3以上，含本数（人社部令第40号，I-17 默认）
    EXCLUSIVE = "exclusive"  # 三分之二（不含）以上（青岛）


class ConflictKind(enum.StrEnum):
    KINSHIP = "kinship"  # 近亲属
    ADVISOR = "advisor"  # 师生
    COLLABORATION = "collaboration"  # 近年合作
    SAME_UNIT = "same_unit"  # 同单位（统一社会信用代码）
    COAUTHOR = "coauthor"  # 合著、共同发明（申报成果的合作者）
    OTHER = "other"  # 其他利害关系


class ConflictSource(enum.StrEnum):
    DECLARED = "declared"  # 专家本人申报
    DETECTED = "detected"  # 系统自动发现
    AGENCY = "agency"  # 评审服务机构登记


class ConflictStatus(enum.StrEnum):
    ACTIVE = "active"
    DISMISSED = "dismissed"


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"  # 拟定议程
    ASSIGNED = "assigned"  # 已抽取专家、组成评议组
    OPEN = "open"  # 会议进行中
    CLOSED = "closed"  # 会议结束，会议记录已归档


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    VOTING = "voting"
    DECIDED = "decided"


class VoterStatus(enum.StrEnum):
    PENDING = "pending"  # 可投票，尚未投票
    VOTED = "voted"
    RECUSED = "recused"  # 回避
    MISSED = "missed"  # 投票结束时未投票


class BallotChoice(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class InterviewResult(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"


class Committee(Base):
    """评审委员会, registered for one catalog document (and specialty) and the levels it covers.

    ``threshold``, ``recused_count_as_present`` and ``interview_for_exceptional`` are copied onto
    each meeting when it is created, so changing a setting never rewrites a meeting under way.
    """

    __tablename__ = "committees"
    __table_args__ = (
        _one_of("organised_by", CommitteeOrganisation),
        _one_of("threshold", ThresholdRule),
        CheckConstraint("min_members >= 3", name="min_members_at_least_3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    document_id: Mapped[str] = mapped_column(String(64), index=True)
    specialty: Mapped[str | None] = mapped_column(String(100))
    organised_by: Mapped[str] = mapped_column(String(16))
    levels: Mapped[list[str]] = mapped_column(JSONValue())
    min_members: Mapped[int]
    min_members_basis: Mapped[str | None] = mapped_column(Text)
    threshold: Mapped[str] = mapped_column(
        String(16), default=ThresholdRule.INCLUSIVE.value, server_default="inclusive"
    )
    recused_count_as_present: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    interview_for_exceptional: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CommitteeFiling(Base):
    """核准备案 of a committee: valid from ``filed_on`` to ``expires_on`` inclusive (≤ 3 years)."""

    __tablename__ = "committee_filings"
    __table_args__ = (
        CheckConstraint("expires_on >= filed_on", name="period_order"),
        Index(None, "committee_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    filed_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Expert(Base):
    """评审专家 (a user with role ``expert``): title, specialty, unit and the current term (≤ 3 years)."""

    __tablename__ = "experts"
    __table_args__ = (
        CheckConstraint("title_grade BETWEEN 1 AND 5", name="title_grade_range"),
        CheckConstraint("term_end >= term_start", name="term_order"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(100))
    title_grade: Mapped[int]
    specialty: Mapped[str] = mapped_column(String(100), index=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CommitteePoolEntry(Base):
    """An expert in a committee's 专家库 (the pool meetings draw from)."""

    __tablename__ = "committee_pool"

    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.user_id"), primary_key=True, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conflict(Base):
    """回避关系 between an expert and an application: typed, source-tracked, dismissible with a reason.

    One row per (expert, application, kind, source).  A dismissed detected conflict stays
    dismissed when detection runs again (the dismissal and its reason are kept).
    """

    __tablename__ = "conflicts"
    __table_args__ = (
        UniqueConstraint("expert_id", "application_id", "kind", "source"),
        _one_of("kind", ConflictKind),
        _one_of("source", ConflictSource),
        _one_of("status", ConflictStatus),
        CheckConstraint("status <> 'dismissed' OR dismissed_reason IS NOT NULL", name="dismissal_has_reason"),
        Index(None, "application_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ConflictStatus.ACTIVE.value, server_default="active")
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    dismissed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[dt.datetime | None]


class Meeting(Base):
    """评审会议 of a committee, with the committee's voting settings frozen at creation.

    ``draw`` records the inputs of the random draw (seed, size, candidates, panel requests) so
    that it can be re-run for audit; ``minutes`` is the archived 会议记录 and ``minutes_sha256``
    its hash (also in the audit trail).
    """

    __tablename__ = "meetings"
    __table_args__ = (
        _one_of("status", MeetingStatus),
        _one_of("threshold", ThresholdRule),
        CheckConstraint("size IS NULL OR size % 2 = 1", name="size_odd"),
        Index(None, "committee_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(16), default=MeetingStatus.DRAFT.value, server_default="draft", index=True
    )
    threshold: Mapped[str] = mapped_column(String(16))
    recused_count_as_present: Mapped[bool] = mapped_column(Boolean)
    interview_for_exceptional: Mapped[bool] = mapped_column(Boolean)
    min_members: Mapped[int]
    size: Mapped[int | None]
    draw: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    minutes: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    minutes_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[dt.datetime | None]
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]


class MeetingMember(Base):
    """An expert drawn for a meeting (the sitting's 评委), and whether they checked in (签到)."""

    __tablename__ = "meeting_members"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    checked_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    checked_in_at: Mapped[dt.datetime | None]


class ConflictDeclaration(Base):
    """An expert's 回避申报 for a meeting; no material of the meeting opens before it."""

    __tablename__ = "conflict_declarations"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    statement: Mapped[str] = mapped_column(Text)


class Panel(Base):
    """专业评议组 of a meeting (at least 3 experts drawn from the meeting's members)."""

    __tablename__ = "panels"
    __table_args__ = (UniqueConstraint("meeting_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))


class PanelMember(Base):
    __tablename__ = "panel_members"

    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class MeetingItem(Base):
    """An application on a meeting's agenda, its panel, and the recorded tally once decided.

    Tally columns: ``members`` (the sitting), ``attending`` (checked in when the ballot opened),
    ``recused`` (of those), ``present`` (the denominator, I-18), ``yes``/``no``/``abstain``,
    ``not_cast`` (eligible but no ballot), ``passed`` under ``threshold``; ``ballot_digest`` is the
    SHA-256 of the sealed ballot box.
    """

    __tablename__ = "meeting_items"
    __table_args__ = (
        _one_of("status", ItemStatus),
        Index(None, "application_id", "status"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    position: Mapped[int]
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.PENDING.value, server_default="pending")
    members: Mapped[int | None]
    attending: Mapped[int | None]
    recused: Mapped[int | None]
    present: Mapped[int | None]
    yes: Mapped[int | None]
    no: Mapped[int | None]
    abstain: Mapped[int | None]
    not_cast: Mapped[int | None]
    passed: Mapped[bool | None] = mapped_column(Boolean)
    threshold: Mapped[str | None] = mapped_column(String(16))
    ballot_digest: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]


class PanelScore(Base):
    """One panel expert's quantitative score (0–100) and written opinion on one application."""

    __tablename__ = "panel_scores"
    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    meeting_id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    score: Mapped[int]
    opinion: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Interview(Base):
    """面试答辩 record of an application at a meeting (required for 破格 when the committee says so)."""

    __tablename__ = "interviews"
    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            ondelete="CASCADE",
        ),
        _one_of("result", InterviewResult),
    )

    meeting_id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    examiners: Mapped[list[int]] = mapped_column(JSONValue())
    result: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BallotVoter(Base):
    """Has-voted record: who may vote on one application and whether they did.  Never the choice,
    never a time: rows are created together when the ballot opens."""

    __tablename__ = "ballot_voters"
    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            ondelete="CASCADE",
        ),
        _one_of("status", VoterStatus),
    )

    meeting_id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))


class Ballot(Base):
    """One secret ballot: a random id and the choice.  No voter, no timestamp, no sequence."""

    __tablename__ = "ballots"
    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "application_id"],
            ["meeting_items.meeting_id", "meeting_items.application_id"],
            ondelete="CASCADE",
        ),
        _one_of("choice", BallotChoice),
        Index(None, "meeting_id", "application_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meeting_id: Mapped[int]
    application_id: Mapped[int]
    choice: Mapped[str] = mapped_column(String(16))


__all__ += [  # extended by the review section
    "Ballot",
    "BallotChoice",
    "BallotVoter",
    "Committee",
    "CommitteeFiling",
    "CommitteeOrganisation",
    "CommitteePoolEntry",
    "Conflict",
    "ConflictDeclaration",
    "ConflictKind",
    "ConflictSource",
    "ConflictStatus",
    "Expert",
    "Interview",
    "InterviewResult",
    "ItemStatus",
    "Meeting",
    "MeetingItem",
    "MeetingMember",
    "MeetingStatus",
    "Panel",
    "PanelMember",
    "PanelScore",
    "ThresholdRule",
    "VoterStatus",
]


# ===========================================================================
# Certificates and trust (验收、发证、公开核验、诚信档案) — owned by zhicheng.certificates and
# zhicheng.integrity; written only through their services, see docs/certificates.md and docs/integrity.md.
#
# ``certificates.status`` is the one source of truth for revocation and suspension; the signed
# status list document in ``status_lists`` is derived from it in the same transaction as every change.


class CertificateState(enum.StrEnum):
    VALID = "valid"  # 有效
    SUSPENDED = "suspended"  # 核查期间暂停
    REVOKED = "revoked"  # 已撤销（吊销）


class VerificationMethod(enum.StrEnum):
    LINK = "link"  # 扫码或核验网址（含随机令牌）
    NUMBER_NAME = "number_name"  # 证书编号 + 姓名


class IntegrityStatus(enum.StrEnum):
    UNDER_REVIEW = "under_review"  # 核查中（证书暂停）
    CONFIRMED = "confirmed"  # 认定弄虚作假
    DISMISSED = "dismissed"  # 核查不属实


class SigningKey(Base):
    """A published public key (公钥列表); the private half lives in the key folder, never here.

    Retired keys stay for ever, so certificates signed before a rotation keep verifying."""

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint("retired_at IS NULL OR retired_at >= valid_from", name="period_order"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(512))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    retired_at: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StatusListRecord(Base):
    """A published revocation/suspension status list: its size and the last signed document."""

    __tablename__ = "status_lists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    document: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Acceptance(Base):
    """验收 / 核准备案 of committee results by the bureau, with the approval document number (批准文号)."""

    __tablename__ = "acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    approval_number: Mapped[str] = mapped_column(String(50), index=True)
    committee_name: Mapped[str] = mapped_column(String(100))
    accepted_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AcceptanceEntry(Base):
    """An application accepted by an acceptance (at most one acceptance per application)."""

    __tablename__ = "acceptance_entries"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptances.id", ondelete="CASCADE"), index=True)


class Certificate(Base):
    """An issued electronic title certificate: the signed JSON exactly as published, and its status.

    ``series`` = region code + year + level code (the certificate-number prefix) and ``sequence``
    make the number; ``token`` is the random part of the verification link (QR code)."""

    __tablename__ = "certificates"
    __table_args__ = (
        _one_of("status", CertificateState),
        UniqueConstraint("series", "sequence"),
        UniqueConstraint("status_list_id", "status_index"),
        Index(None, "status_list_id", "status"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONValue())
    series: Mapped[str] = mapped_column(String(11))
    sequence: Mapped[int]
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    alg: Mapped[str] = mapped_column(String(32))
    signed_json: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default=CertificateState.VALID.value, server_default="valid", index=True
    )
    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int]
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[dt.datetime | None]
    issue_date: Mapped[dt.date] = mapped_column(Date)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class VerificationLogEntry(Base):
    """One public look-up of a certificate (核验记录), shown to the holder: when, how, by whom (IP masked)."""

    __tablename__ = "verification_log"
    __table_args__ = (
        _one_of("method", VerificationMethod),
        Index(None, "certificate_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    query_number: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    client_ip_masked: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    verifier_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verifier_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class RateLimitBucket(Base):
    """A fixed-window counter shared by every process (key = purpose + keyed hash of the client IP)."""

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(index=True)
    count: Mapped[int]


class IntegrityRecord(Base):
    """诚信档案: a review of suspected fraud and its decision (finding, evidence, date, deciding body).

    ``id_number_index`` names the person even without an account; ``outcome`` lists what the decision
    did (application vetoed, certificate revoked, bar recorded)."""

    __tablename__ = "integrity_records"
    __table_args__ = (
        _one_of("status", IntegrityStatus),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(None, "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    subject_name: Mapped[str] = mapped_column(String(100))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    allegation: Mapped[str] = mapped_column(Text)
    finding: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSONValue())
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    deciding_body: Mapped[str | None] = mapped_column(String(200))
    decision_no: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONValue())
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("sanctions.id"))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


__all__ += [  # extended by the certificates and trust section
    "Acceptance",
    "AcceptanceEntry",
    "Certificate",
    "CertificateState",
    "IntegrityRecord",
    "IntegrityStatus",
    "RateLimitBucket",
    "SigningKey",
    "StatusListRecord",
    "VerificationLogEntry",
    "VerificationMethod",
]


# ===========================================================================
# Account activation and password reset codes (激活码、密码重置码) — owned by zhicheng.accounts.activation

from sqlalchemy import text as _sql  # noqa: E402 - section appended by the accounts module


class CodePurpose(enum.StrEnum):
    ACTIVATION = "activation"  # 激活码: the account has no usable password yet (made by an import)
    RESET = "reset"  # 密码重置码: 忘记密码, handled by the agency


class ActivationCode(Base):
    """A one-time code to set an account's password.  Only a keyed hash of the code is stored; a code is
    pending until it is used, voided (a newer code was issued) or expires.  At most one pending code per
    account (partial unique index), so issuing a new code must void the old one in the same transaction."""

    __tablename__ = "activation_codes"
    __table_args__ = (
        _one_of("purpose", CodePurpose),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("expires_at > created_at", name="expiry_after_issue"),
        Index(
            "uq_activation_codes_pending_user",
            "user_id",
            unique=True,
            sqlite_where=_sql("used_at IS NULL AND voided_at IS NULL"),
            postgresql_where=_sql("used_at IS NULL AND voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]
    voided_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")


__all__ += ["ActivationCode", "CodePurpose"]
