"""Tamper-evident audit trail: an append-only, hash-chained log of every change.

Each entry's hash covers the previous entry's hash and the entry's own fields::

    hash = sha256( prev_hash (64 hex chars, ASCII) || canonical_json(fields) ).hexdigest()

    fields = {"seq", "created_at" (UTC, ISO 8601 with microseconds), "actor_id", "role",
              "action", "entity", "entity_id", "from_state", "to_state", "payload"}
    canonical_json = json.dumps(fields, sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False, allow_nan=False).encode("utf-8")

The first entry's ``prev_hash`` is 64 zeros (:data:`GENESIS_HASH`).  The single
``audit_head`` row holds the last ``seq`` and ``hash``; :func:`append` locks it
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions already start with
``BEGIN IMMEDIATE``), so concurrent appends get contiguous sequence numbers and one chain.

:func:`verify` recomputes the chain and names the entry where it breaks: an edited field
(hash mismatch), a deleted entry (gap in ``seq``), a deleted last entry (head ahead of the
chain), an entry added after the head, or a re-hashed entry (the next entry's ``prev_hash``
no longer matches).  Someone able to rewrite the whole chain *and* the head can only be
caught by comparing the head with a copy kept elsewhere: publish or sign
``AuditReport.head_hash`` periodically.

**Personal data:** ``payload`` is stored in clear and kept forever.  It must never contain a
full identity number (or any other secret); callers put the masked form
(``mask_resident_id``) or the blind index in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.store.models import GENESIS_HASH, AuditEntry, AuditHead
from zhicheng.store.types import utcnow

__all__ = [
    "GENESIS_HASH",
    "AuditHeadMissingError",
    "AuditProblem",
    "AuditReport",
    "append",
    "canonical_json",
    "entry_hash",
    "lock_chain",
    "verify",
]

HEAD_ID = 1
_VERIFY_BATCH = 1000


class AuditHeadMissingError(RuntimeError):
    """The ``audit_head`` row is missing: the database was not migrated, or it was tampered with."""


def canonical_json(value: Any) -> bytes:
    """The one JSON encoding hashed by the chain (sorted keys, no spaces, UTF-8, no NaN)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    created_at: dt.datetime,
    actor_id: int | None,
    role: str,
    action: str,
    entity: str,
    entity_id: str | None,
    from_state: str | None,
    to_state: str | None,
    payload: dict[str, Any] | None,
) -> str:
    """SHA-256 (hex) of ``prev_hash`` followed by the canonical JSON of the entry's fields."""
    fields = {
        "seq": seq,
        "created_at": _timestamp(created_at),
        "actor_id": actor_id,
        "role": role,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "from_state": from_state,
        "to_state": to_state,
        "payload": payload,
    }
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(fields)).hexdigest()


def _normalise_payload(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """Round-trip through canonical JSON so the stored value hashes exactly as it did on append."""
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise TypeError("审计载荷 payload 必须是 JSON 对象（dict）或 None")
    try:
        normalised: dict[str, Any] = json.loads(canonical_json(payload))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"审计载荷 payload 不能编码为 JSON：{exc}") from exc
    return normalised


def _lock_head(session: Session, *, read: bool = False) -> AuditHead | None:
    stmt = (
        select(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .with_for_update(read=read)
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one_or_none()


def lock_chain(session: Session) -> None:
    """Take the chain's lock now rather than at the first append.

    Every audited transaction ends up holding this lock until it commits.  A transaction that also
    locks other shared rows (the current certificate status list) takes this one first, so that two
    such transactions always lock in the same order and cannot deadlock."""
    if _lock_head(session) is None:
        raise AuditHeadMissingError("审计链头记录缺失：请先运行数据库迁移（init_db）")


def append(
    session: Session,
    actor_id: int | None,
    role: str,
    action: str,
    entity: str,
    entity_id: str | int | None,
    from_state: str | None = None,
    to_state: str | None = None,
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction and return it (flushed).

    ``at`` is the moment the action takes effect (the domain context's clock; real time in production,
    a set day in demos and tests so timelines show the procedure's own dates); default: now.

    ``actor_id`` is ``None`` for anonymous or system actions (then ``role`` says which, e.g.
    ``"public"`` or ``"system"``).  ``payload`` must be a JSON object and must never contain a
    full identity number: mask it first.  The head stays locked until the caller's
    transaction ends, so keep audited transactions short.
    """
    head = _lock_head(session)
    if head is None:
        raise AuditHeadMissingError("审计链头记录缺失：请先运行数据库迁移（init_db）")
    stored_payload = _normalise_payload(payload)
    seq = head.seq + 1
    created_at = utcnow() if at is None else at.astimezone(dt.UTC)
    entity_key = None if entity_id is None else str(entity_id)
    digest = entry_hash(
        head.hash,
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        role=role,
        action=action,
        entity=entity,
        entity_id=entity_key,
        from_state=from_state,
        to_state=to_state,
        payload=stored_payload,
    )
    entry = AuditEntry(
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        role=role,
        action=action,
        entity=entity,
        entity_id=entity_key,
        from_state=from_state,
        to_state=to_state,
        payload=stored_payload,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq = seq
    head.hash = digest
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain.  ``seq`` is the entry concerned (``None`` for the head itself)."""

    code: str
    seq: int | None
    message: str


@dataclass(frozen=True)
class AuditReport:
    """Result of :func:`verify`.  ``ok`` is true when no problem was found."""

    entries: int
    head_seq: int | None
    head_hash: str | None
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"审计链完整：共 {self.entries} 条记录，链头第 {self.head_seq} 条，哈希 {self.head_hash}"
        lines = [f"审计链校验发现 {len(self.problems)} 处问题（共 {self.entries} 条记录）："]
        lines.extend(f"- {p.message}" for p in self.problems)
        return "\n".join(lines)


def verify(session: Session) -> AuditReport:
    """Walk the whole chain and the head; report every break found, in ``seq`` order.

    Takes a shared lock on the head (PostgreSQL ``FOR SHARE``) so no append commits while the
    chain is read; appends wait until the caller's transaction ends.
    """
    problems: list[AuditProblem] = []
    head = _lock_head(session, read=True)

    stmt = select(*AuditEntry.__table__.c).order_by(AuditEntry.seq)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last_seq: int | None = None
    last_hash = GENESIS_HASH
    count = 0
    for row in session.execute(stmt.execution_options(yield_per=_VERIFY_BATCH)):
        count += 1
        seq: int = row.seq
        if seq != expected_seq:
            if seq > expected_seq:
                missing = f"第 {expected_seq} 条" if seq - expected_seq == 1 else f"第 {expected_seq}–{seq - 1} 条"
                problems.append(AuditProblem("gap", seq, f"第 {seq} 条之前缺少{missing}记录：记录被删除，审计链中断"))
            else:  # pragma: no cover - seq is the primary key and rows come sorted
                problems.append(AuditProblem("order", seq, f"第 {seq} 条序号异常（应为第 {expected_seq} 条）"))
        elif row.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    "prev_hash",
                    seq,
                    f"第 {seq} 条记录的前序哈希与第 {seq - 1} 条记录的哈希不一致："
                    f"第 {seq - 1} 条被改写后重新计算了哈希，或第 {seq} 条被替换",
                )
            )
        recomputed = entry_hash(
            row.prev_hash,
            seq=seq,
            created_at=row.created_at,
            actor_id=row.actor_id,
            role=row.role,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            from_state=row.from_state,
            to_state=row.to_state,
            payload=row.payload,
        )
        if recomputed != row.hash:
            problems.append(AuditProblem("hash", seq, f"第 {seq} 条记录的内容与其哈希不符：该记录在写入后被修改"))
        prev_hash = row.hash
        expected_seq = seq + 1
        last_seq = seq
        last_hash = row.hash

    if head is None:
        problems.append(AuditProblem("head_missing", None, "审计链头记录缺失：无法确认末尾记录是否完整"))
        return AuditReport(entries=count, head_seq=None, head_hash=None, problems=tuple(problems))

    chain_end = last_seq or 0
    if head.seq > chain_end:
        missing = f"第 {head.seq} 条" if head.seq - chain_end == 1 else f"第 {chain_end + 1}–{head.seq} 条"
        problems.append(
            AuditProblem(
                "tail_missing",
                head.seq,
                f"链头指向第 {head.seq} 条，但现存最后一条是第 {chain_end} 条：末尾的{missing}记录被删除",
            )
        )
    elif head.seq < chain_end:
        extra_stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.seq > head.seq)
        extra = session.execute(extra_stmt).scalar_one()
        problems.append(
            AuditProblem(
                "after_head",
                head.seq + 1,
                f"链头指向第 {head.seq} 条，但其后还有 {extra} 条记录（自第 {head.seq + 1} 条起）："
                "记录未经追加接口写入",
            )
        )
    elif head.hash != last_hash:
        problems.append(
            AuditProblem(
                "head_hash",
                head.seq,
                f"链头哈希与第 {head.seq} 条记录的哈希不一致：链头或末尾记录被改写",
            )
        )
    return AuditReport(entries=count, head_seq=head.seq, head_hash=head.hash, problems=tuple(problems))
