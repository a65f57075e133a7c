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
    """异议 raised during a public notice.  ``contact`` is personal data of the objector."""

    __tablename__ = "objections"
    __table_args__ = (_one_of("status", ObjectionStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
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
