"""Conflicts of interest (回避关系) as the store holds them plus what the data shows by itself.

Three sources (``ConflictSource``): an expert's declaration, automatic detection, the agency's
entry.  Detection (same unit by 统一社会信用代码; co-author or co-inventor on a listed
achievement) is computed on the fly by :func:`effective_pairs`, so a conflict counts even before
anyone has stored it; :func:`persist_detected` writes the newly found ones (commit of an
assignment, before each ballot, or on request) so that they can be listed and dismissed.  A
detected conflict the agency dismissed (with a reason) stays dismissed.

Everything here is read by :mod:`zhicheng.review.rights`; nothing here decides what a user may
see.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhicheng.review import rules
from zhicheng.store.models import (
    Application,
    BallotVoter,
    Conflict,
    ConflictSource,
    ConflictStatus,
    Expert,
    Unit,
    User,
    VoterStatus,
)

__all__ = [
    "application_facts",
    "detect_and_persist",
    "detected",
    "effective_pairs",
    "expert_facts",
    "persist_detected",
    "recorded",
    "recuse_pending_voter",
]

Pair = tuple[int, int]  # (expert_id, application_id)


def application_facts(session: Session, application_ids: Collection[int]) -> list[rules.ApplicationFacts]:
    """The unit's 统一社会信用代码 and the listed achievements' co-authors of each application."""
    if not application_ids:
        return []
    rows = session.execute(
        select(Application.id, Application.profile, Unit.uscc)
        .outerjoin(Unit, Unit.id == Application.unit_id)
        .where(Application.id.in_(sorted(application_ids)))
    )
    facts = []
    for app_id, profile, uscc in rows:
        achievements: list[tuple[int, str, list[str]]] = []
        for index, item in enumerate(_list((profile or {}).get("achievements"))):
            if isinstance(item, dict):
                names = [c for c in _list(item.get("coauthors")) if isinstance(c, str)]
                if names:
                    achievements.append((index, str(item.get("title") or ""), names))
        facts.append(rules.ApplicationFacts(app_id, uscc, tuple(achievements)))
    return facts


def expert_facts(session: Session, expert_ids: Collection[int]) -> list[rules.ExpertFacts]:
    """Each expert's display name and unit code (experts without a pool record have no unit)."""
    if not expert_ids:
        return []
    rows = session.execute(
        select(User.id, User.display_name, Expert.unit_uscc)
        .outerjoin(Expert, Expert.user_id == User.id)
        .where(User.id.in_(sorted(expert_ids)))
    )
    return [rules.ExpertFacts(uid, name or "", uscc) for uid, name, uscc in rows]


def detected(
    session: Session, application_ids: Collection[int], expert_ids: Collection[int]
) -> list[rules.DetectedConflict]:
    return rules.detect_conflicts(expert_facts(session, expert_ids), application_facts(session, application_ids))


def recorded(session: Session, application_ids: Collection[int], expert_ids: Collection[int]) -> list[Conflict]:
    if not application_ids or not expert_ids:
        return []
    return list(
        session.scalars(
            select(Conflict)
            .where(Conflict.application_id.in_(sorted(application_ids)), Conflict.expert_id.in_(sorted(expert_ids)))
            .order_by(Conflict.id)
        )
    )


def effective_pairs(session: Session, application_ids: Collection[int], expert_ids: Collection[int]) -> set[Pair]:
    """Every (expert, application) that must recuse: recorded active conflicts, plus detected ones
    not dismissed by the agency."""
    if not application_ids or not expert_ids:
        return set()
    return _effective(recorded(session, application_ids, expert_ids), detected(session, application_ids, expert_ids))


def _effective(rec: list[Conflict], found: list[rules.DetectedConflict]) -> set[Pair]:
    pairs = {(c.expert_id, c.application_id) for c in rec if c.status == ConflictStatus.ACTIVE}
    dismissed = {
        (c.expert_id, c.application_id, c.kind)
        for c in rec
        if c.source == ConflictSource.DETECTED and c.status == ConflictStatus.DISMISSED
    }
    for d in found:
        if (d.expert_id, d.application_id, d.kind) not in dismissed:
            pairs.add((d.expert_id, d.application_id))
    return pairs


def persist_detected(
    session: Session, application_ids: Collection[int], expert_ids: Collection[int], recorded_by: int | None
) -> list[Conflict]:
    """Store the detected conflicts not stored yet (in any status); return the new rows (flushed)."""
    return detect_and_persist(session, application_ids, expert_ids, recorded_by)[0]


def detect_and_persist(
    session: Session, application_ids: Collection[int], expert_ids: Collection[int], recorded_by: int | None
) -> tuple[list[Conflict], set[Pair]]:
    """:func:`persist_detected`, and the effective pairs as :func:`effective_pairs` gives them
    (from the same reads, so a ballot opening does not detect twice)."""
    rec = recorded(session, application_ids, expert_ids)
    found = detected(session, application_ids, expert_ids)
    known = {(c.expert_id, c.application_id, c.kind) for c in rec if c.source == ConflictSource.DETECTED}
    new = []
    for d in found:
        if (d.expert_id, d.application_id, d.kind) in known:
            continue
        known.add((d.expert_id, d.application_id, d.kind))
        row = Conflict(
            expert_id=d.expert_id,
            application_id=d.application_id,
            kind=d.kind,
            source=ConflictSource.DETECTED.value,
            status=ConflictStatus.ACTIVE.value,
            evidence=dict(d.evidence),
            recorded_by=recorded_by,
        )
        session.add(row)
        new.append(row)
    session.flush()
    return new, _effective(rec, found)


def recuse_pending_voter(session: Session, expert_id: int, application_id: int) -> int:
    """A conflict recorded while a ballot is open: the expert's unused right to vote becomes a recusal."""
    result = session.execute(
        update(BallotVoter)
        .where(
            BallotVoter.expert_id == expert_id,
            BallotVoter.application_id == application_id,
            BallotVoter.status == VoterStatus.PENDING.value,
        )
        .values(status=VoterStatus.RECUSED.value)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _list(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else []
