"""Domain services of expert review: committees, the expert pool, conflicts and recusal, meetings,
panels and scores, 破格 interviews, secret ballots, tallies and minutes.  See docs/review.md.

Every function takes the workflow's :class:`~zhicheng.workflow.service.Context` (session, actor,
today), runs inside the caller's transaction, raises :class:`~zhicheng.errors.DomainError` with a
Chinese message, and appends one audit entry per state change.  What an expert may see is asked
of :mod:`zhicheng.review.rights` and nowhere else.  Pure rules (threshold, quorum, draw, sizes and
periods, detection) live in :mod:`zhicheng.review.rules`.

Secret ballot, in short (details in docs/review.md §5):

* ``ballot_voters`` says who may vote and whether they did — never the choice, never a time;
  all rows of one ballot are written together when it opens.
* ``ballots`` holds a random id (``secrets.token_hex``) and the choice — no voter, no timestamp,
  no sequence; on SQLite the table has no rowid, so rows sit in random-id order.
* Closing the ballot *seals* the box: all its ballots are deleted and written again in one
  transaction, with fresh random ids, in id order.  Afterwards no column, row order or
  PostgreSQL system column (``xmin``/``ctid``) follows the order in which ballots were cast.
* The audit trail records *that* an expert voted (the has-voted fact) and, at close, the tally
  and the digest of the sealed box — never a choice next to a voter, never a running count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from zhicheng.errors import DomainError, conflict, forbidden, invalid, not_found
from zhicheng.policy.profile import LEVEL_NAMES, LEVELS
from zhicheng.review import conflicts as cfl
from zhicheng.review import rules
from zhicheng.review.rights import ReviewRights, review_rights
from zhicheng.store.audit import canonical_json
from zhicheng.store.models import (
    Application,
    ApplicationEvidence,
    AuditEntry,
    Ballot,
    BallotChoice,
    BallotVoter,
    Committee,
    CommitteeFiling,
    CommitteeOrganisation,
    CommitteePoolEntry,
    Conflict,
    ConflictDeclaration,
    ConflictKind,
    ConflictSource,
    ConflictStatus,
    Expert,
    Interview,
    InterviewResult,
    ItemStatus,
    Meeting,
    MeetingItem,
    MeetingMember,
    MeetingStatus,
    Panel,
    PanelMember,
    PanelScore,
    ThresholdRule,
    Unit,
    User,
    VoterStatus,
)
from zhicheng.workflow import service as workflow
from zhicheng.workflow.service import Context

__all__ = [
    "DECLARATION_STATEMENT",
    "AgendaRow",
    "CommitteeView",
    "ConflictClaim",
    "ConflictView",
    "DeclarationRow",
    "DrawCheck",
    "ExpertView",
    "FilingView",
    "LogLine",
    "Material",
    "MeetingSummary",
    "MeetingView",
    "PanelOpinion",
    "PanelRequest",
    "PanelSummary",
    "Proposal",
    "ProposedPanel",
    "ScoreRow",
    "Tally",
    "add_to_agenda",
    "add_to_pool",
    "agenda",
    "application_material",
    "cancel_ballot",
    "cast_ballot",
    "check_in",
    "close_ballot",
    "close_meeting",
    "commit_assignment",
    "committee_result",
    "create_meeting",
    "declaration_sheet",
    "declare",
    "detect_conflicts",
    "dismiss_conflict",
    "export_scores",
    "get_committee",
    "get_expert",
    "list_committees",
    "list_conflicts",
    "list_experts",
    "meeting_log",
    "meeting_summary",
    "meeting_view",
    "minutes",
    "my_meetings",
    "open_ballot",
    "open_meeting",
    "panel_summary",
    "pool",
    "proposal_for_commit",
    "propose_assignment",
    "record_conflict",
    "record_filing",
    "record_interview",
    "register_committee",
    "register_expert",
    "remove_from_pool",
    "submit_score",
    "tally",
    "verify_draw",
]

DECLARATION_STATEMENT = (
    "本人已阅知评审回避规定，已如实申报与本次会议评审对象之间的近亲属、师生、合作、同单位及其他可能影响"
    "客观公正的利害关系；评审中发现新的回避情形将立即申报。"
)
SCORE_MIN, SCORE_MAX = 0, 100
OPINION_MIN_CHARS, TEXT_MAX_CHARS = 10, 5000
REASON_MIN_CHARS = 5
SEED_MAX_CHARS = 64
KIND_NAMES = {
    "kinship": "近亲属",
    "advisor": "师生",
    "collaboration": "合作关系",
    "same_unit": "同单位",
    "coauthor": "成果合作者",
    "other": "其他利害关系",
}
CHOICE_NAMES = {"yes": "同意", "no": "不同意", "abstain": "弃权"}


# =============================================================================== views (returned data)


@dataclass(frozen=True, slots=True)
class PanelRequest:
    """One 专业评议组 to form: its name, its applications, how many experts (≥ 3)."""

    name: str
    application_ids: tuple[int, ...]
    size: int = rules.MIN_PANEL_SIZE


@dataclass(frozen=True, slots=True)
class ProposedPanel:
    name: str
    application_ids: tuple[int, ...]
    expert_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A previewed draw: commit it with :func:`commit_assignment` (re-computed and compared there)."""

    meeting_id: int
    seed: str
    size: int
    exclude_conflicted: bool
    members: tuple[int, ...]
    panels: tuple[ProposedPanel, ...]
    candidates: tuple[int, ...]
    excluded: tuple[tuple[int, str], ...]
    fingerprint: str
    requests: tuple[PanelRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class DrawCheck:
    ok: bool
    recorded: tuple[int, ...]
    recomputed: tuple[int, ...]
    panels_ok: bool


@dataclass(frozen=True, slots=True)
class ConflictClaim:
    """One relation an expert declares: the application, the kind (``ConflictKind``), a note."""

    application_id: int
    kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: int
    expert_id: int
    expert_name: str
    application_id: int
    kind: str
    source: str
    status: str
    note: str | None
    evidence: dict[str, Any] | None
    dismissed_reason: str | None


@dataclass(frozen=True, slots=True)
class DeclarationRow:
    application_id: int
    applicant_name: str
    unit_name: str | None
    level: str


@dataclass(frozen=True, slots=True)
class MeetingView:
    id: int
    committee_id: int
    committee_name: str
    title: str
    held_on: dt.date
    status: str
    declared: bool | None = None
    checked_in: bool | None = None
    size: int | None = None
    threshold: str | None = None
    recused_count_as_present: bool | None = None


@dataclass(frozen=True, slots=True)
class FilingView:
    id: int
    filed_on: dt.date
    expires_on: dt.date
    reference: str


@dataclass(frozen=True, slots=True)
class CommitteeView:
    id: int
    name: str
    document_id: str
    specialty: str | None
    organised_by: str
    levels: tuple[str, ...]
    min_members: int
    min_members_basis: str | None
    threshold: str
    recused_count_as_present: bool
    interview_for_exceptional: bool
    pool_size: int
    filing: FilingView | None  # the filing in force today, if any
    filings: tuple[FilingView, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpertView:
    user_id: int
    name: str
    title: str
    title_grade: int
    specialty: str
    unit_name: str
    unit_uscc: str | None
    term_start: dt.date
    term_end: dt.date
    is_active: bool


@dataclass(frozen=True, slots=True)
class AgendaRow:
    application_id: int
    position: int
    applicant_name: str
    unit_name: str | None
    level: str
    route: str
    panel_name: str | None
    on_my_panel: bool
    my_score_submitted: bool
    status: str
    passed: bool | None
    i_voted: bool | None


@dataclass(frozen=True, slots=True)
class PanelOpinion:
    pseudonym: str
    score: int
    opinion: str
    expert_id: int | None = None  # staff only


@dataclass(frozen=True, slots=True)
class PanelSummary:
    application_id: int
    panel_name: str | None
    panel_size: int
    submitted: int
    complete: bool
    average: Decimal | None
    opinions: tuple[PanelOpinion, ...]
    my_score: int | None = None


@dataclass(frozen=True, slots=True)
class Material:
    application_id: int
    applicant_name: str
    unit_name: str | None
    level: str
    route: str
    profile: dict[str, Any]
    evidence: tuple[tuple[str, str, int | None], ...]  # (filename, sha256, achievement index)
    review_verdict: str | None
    panel: PanelSummary
    interview: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    meeting_id: int
    items: int
    panels_complete: int
    voting: int
    decided: int
    passed: int
    scores: int
    average_score: Decimal | None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    application_id: int
    applicant_name: str
    panel_name: str | None
    pseudonym: str
    score: int
    opinion: str
    expert_id: int | None = None


@dataclass(frozen=True, slots=True)
class Tally:
    application_id: int
    members: int
    attending: int
    recused: int
    present: int
    yes: int
    no: int
    abstain: int
    not_cast: int
    threshold: str
    min_yes: int
    passed: bool
    ballot_digest: str
    state: str = ""


@dataclass(frozen=True, slots=True)
class LogLine:
    seq: int
    created_at: dt.datetime
    action: str
    entity: str
    entity_id: str | None
    role: str
    actor_id: int | None
    payload: dict[str, Any] | None = field(default=None)


# =============================================================================== helpers


def _organiser(ctx: Context, what: str) -> None:
    if not ctx.rights.can_organise_review():
        raise forbidden(f"只有评审服务机构可以{what}")


def _text(value: str | None, name: str, label: str, *, min_chars: int = 1, max_chars: int = TEXT_MAX_CHARS) -> str:
    text = (value or "").strip()
    if len(text) < min_chars:
        raise invalid(name, f"{label}不能为空" if min_chars <= 1 else f"{label}至少 {min_chars} 个字")
    if len(text) > max_chars:
        raise invalid(name, f"{label}过长（最多 {max_chars} 字）")
    return text


def _problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise DomainError(422, "invalid_input", "；".join(f"{p}：{m}" for p, m in problems), problems)


def _committee(ctx: Context, committee_id: int) -> Committee:
    committee = ctx.session.get(Committee, committee_id)
    if committee is None or not ctx.rights.can_see_committees():
        raise not_found("评审委员会")
    return committee


def _meeting(ctx: Context, meeting_id: int, *, lock: bool = False) -> Meeting:
    stmt = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    meeting = ctx.session.scalar(stmt)
    if meeting is None:
        raise not_found("评审会议")
    return meeting


def _visible_meeting(
    ctx: Context, meeting_id: int, *, lock: bool = False, only: Collection[int] | None = None
) -> tuple[Meeting, ReviewRights]:
    meeting = _meeting(ctx, meeting_id, lock=lock)
    rights = review_rights(ctx.session, ctx.actor, meeting, only)
    if not rights.can_see_meeting():
        raise not_found("评审会议")
    return meeting, rights


def _managed_meeting(ctx: Context, meeting_id: int, what: str, *, lock: bool = True) -> Meeting:
    _organiser(ctx, what)
    return _meeting(ctx, meeting_id, lock=lock)


def _item(ctx: Context, meeting_id: int, application_id: int, *, lock: str | None = None) -> MeetingItem | None:
    stmt = select(MeetingItem).where(MeetingItem.meeting_id == meeting_id, MeetingItem.application_id == application_id)
    if lock is not None:
        stmt = stmt.with_for_update(read=lock == "share").execution_options(populate_existing=True)
    return ctx.session.scalar(stmt)


def _filing_on(session: Session, committee_id: int, day: dt.date) -> CommitteeFiling | None:
    return session.scalar(
        select(CommitteeFiling)
        .where(
            CommitteeFiling.committee_id == committee_id,
            CommitteeFiling.filed_on <= day,
            CommitteeFiling.expires_on >= day,
        )
        .order_by(CommitteeFiling.expires_on.desc())
        .limit(1)
    )


def _require_filing(session: Session, committee: Committee, day: dt.date) -> CommitteeFiling:
    filing = _filing_on(session, committee.id, day)
    if filing is not None:
        return filing
    last = session.scalar(
        select(CommitteeFiling)
        .where(CommitteeFiling.committee_id == committee.id)
        .order_by(CommitteeFiling.expires_on.desc())
        .limit(1)
    )
    if last is None:
        why = "尚未核准备案"
    elif last.expires_on < day:
        why = f"备案有效期已于 {last.expires_on.isoformat()} 届满，须重新核准备案"
    else:
        why = f"备案自 {last.filed_on.isoformat()} 起生效"
    raise DomainError(
        422, "committee_not_filed", f"评审委员会“{committee.name}”{why}，{day.isoformat()} 不能召开评审会议"
    )


def _agenda_ids(session: Session, meeting_id: int) -> list[int]:
    return list(
        session.scalars(
            select(MeetingItem.application_id)
            .where(MeetingItem.meeting_id == meeting_id)
            .order_by(MeetingItem.position)
        )
    )


def _member_ids(session: Session, meeting_id: int) -> list[int]:
    return sorted(session.scalars(select(MeetingMember.expert_id).where(MeetingMember.meeting_id == meeting_id)))


def _pool_ids(session: Session, committee_id: int) -> list[int]:
    return sorted(
        session.scalars(select(CommitteePoolEntry.expert_id).where(CommitteePoolEntry.committee_id == committee_id))
    )


def _names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _app_identity(session: Session, app_ids: Iterable[int]) -> dict[int, tuple[Application, str, str | None]]:
    ids = sorted(set(app_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Application, User.display_name, Unit.name)
        .join(User, User.id == Application.applicant_id)
        .outerjoin(Unit, Unit.id == Application.unit_id)
        .where(Application.id.in_(ids))
    )
    return {app.id: (app, name, unit) for app, name, unit in rows}


def _pseudonyms(seed: str, application_id: int, expert_ids: Iterable[int]) -> dict[int, str]:
    """评委A、评委B… in an order that only the holder of the meeting's seed can relate to experts."""
    order = sorted(set(expert_ids), key=lambda e: rules.draw_key(seed, f"pseudonym:{application_id}", e))
    return {e: "评委" + _letters(i) for i, e in enumerate(order)}


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("A") + r) + out
    return out


def _average(scores: Sequence[int]) -> Decimal | None:
    if not scores:
        return None
    return (Decimal(sum(scores)) / Decimal(len(scores))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _item_key(meeting_id: int, application_id: int) -> str:
    return f"{meeting_id}:{application_id}"


def _record_conflict_row(
    ctx: Context, *, expert_id: int, application_id: int, kind: str, source: str, note: str | None
) -> Conflict | None:
    """Upsert one declared/agency conflict; returns the row if it is new or re-activated."""
    row = ctx.session.scalar(
        select(Conflict).where(
            Conflict.expert_id == expert_id,
            Conflict.application_id == application_id,
            Conflict.kind == kind,
            Conflict.source == source,
        )
    )
    if row is not None and row.status == ConflictStatus.ACTIVE:
        return None
    if row is None:
        row = Conflict(
            expert_id=expert_id,
            application_id=application_id,
            kind=kind,
            source=source,
            status=ConflictStatus.ACTIVE.value,
            note=note or None,
            recorded_by=ctx.actor.user_id or None,
        )
        ctx.session.add(row)
    else:  # a dismissed conflict declared again comes back; its dismissal stays in the audit trail
        row.status, row.note, row.recorded_at = ConflictStatus.ACTIVE.value, note or row.note, ctx.now
        row.dismissed_reason = row.dismissed_by = row.dismissed_at = None
    ctx.session.flush()
    cfl.recuse_pending_voter(ctx.session, expert_id, application_id)
    return row


# =============================================================================== committees and the pool


def register_committee(
    ctx: Context,
    *,
    name: str,
    document_id: str,
    organised_by: str,
    levels: Sequence[str],
    specialty: str | None = None,
    min_members: int | None = None,
    min_members_basis: str | None = None,
    threshold: str = ThresholdRule.INCLUSIVE.value,
    recused_count_as_present: bool = False,
    interview_for_exceptional: bool = True,
) -> Committee:
    """Register a 评审委员会 for a catalog document and levels, with its voting settings.

    ``min_members`` defaults to 第九条: 25 (organised per series) or 11 (per specialty).  A senior
    committee below that minimum needs ``min_members_basis`` (省级人社部门同意调整的文件).
    """
    _organiser(ctx, "组建评审委员会")
    problems: list[tuple[str, str]] = []
    name = (name or "").strip()
    if not name:
        problems.append(("name", "不能为空"))
    elif ctx.session.scalar(select(Committee.id).where(Committee.name == name)) is not None:
        problems.append(("name", f"已有名为“{name}”的评审委员会"))
    try:
        doc = ctx.catalog.document(document_id)
    except KeyError as exc:
        raise invalid("document_id", str(exc.args[0])) from None
    known = [lv.id for lv in doc.levels]
    if not levels:
        problems.append(("levels", "至少选择一个层级"))
    for i, lv in enumerate(levels):
        if lv not in known:
            problems.append((f"levels[{i}]", f"《{doc.short_title}》未设 {lv}（可选：{'、'.join(known)}）"))
    if organised_by not in set(CommitteeOrganisation):
        problems.append(("organised_by", "应为 series（按系列组建）或 specialty（按专业组建）"))
    if threshold not in set(ThresholdRule):
        problems.append(("threshold", "应为 inclusive（2/3以上含本数）或 exclusive（三分之二（不含）以上）"))
    _problems(problems)
    statutory = rules.statutory_minimum(organised_by, levels)
    default_min = rules.STATUTORY_MINIMUM[rules.Organisation(organised_by)]
    minimum = default_min if min_members is None else min_members
    basis = (min_members_basis or "").strip() or None
    if minimum < 3:
        problems.append(("min_members", "评委会最少人数不能少于 3 人"))
    if statutory is not None and minimum < statutory and basis is None:
        problems.append(
            (
                "min_members_basis",
                f"高级评委会{'按系列' if organised_by == 'series' else '按专业'}组建的评审专家不少于 {statutory} 人"
                "（人社部令第40号第九条）；少于此数须写明省级人社部门同意调整的依据",
            )
        )
    _problems(problems)
    committee = Committee(
        name=name,
        document_id=document_id,
        specialty=(specialty or "").strip() or doc.specialty,
        organised_by=organised_by,
        levels=list(levels),
        min_members=minimum,
        min_members_basis=basis,
        threshold=threshold,
        recused_count_as_present=recused_count_as_present,
        interview_for_exceptional=interview_for_exceptional,
        created_by=ctx.actor.user_id or None,
    )
    ctx.session.add(committee)
    ctx.session.flush()
    ctx.audit(
        "register_committee",
        "committee",
        committee.id,
        payload={
            "document_id": document_id,
            "levels": list(levels),
            "organised_by": organised_by,
            "min_members": minimum,
            "min_members_basis": basis,
            "threshold": threshold,
            "recused_count_as_present": recused_count_as_present,
            "interview_for_exceptional": interview_for_exceptional,
        },
    )
    return committee


def record_filing(
    ctx: Context, committee_id: int, *, filed_on: dt.date, expires_on: dt.date, reference: str
) -> CommitteeFiling:
    """Record the committee's 核准备案 (valid at most 3 years, 第八条); a new filing renews it."""
    if not ctx.rights.can_record_filing():
        raise forbidden("只有评审服务机构或人社局可以登记评委会备案")
    committee = _committee(ctx, committee_id)
    reference = _text(reference, "reference", "备案文号或依据")
    _problems([("expires_on", p) for p in rules.filing_problems(filed_on, expires_on)])
    filing = CommitteeFiling(
        committee_id=committee.id,
        filed_on=filed_on,
        expires_on=expires_on,
        reference=reference,
        recorded_by=ctx.actor.user_id or None,
    )
    ctx.session.add(filing)
    ctx.session.flush()
    ctx.audit(
        "record_filing",
        "committee",
        committee.id,
        payload={
            "filing_id": filing.id,
            "filed_on": filed_on.isoformat(),
            "expires_on": expires_on.isoformat(),
            "reference": reference,
        },
    )
    return filing


def register_expert(
    ctx: Context,
    *,
    user_id: int,
    title: str,
    title_grade: int,
    specialty: str,
    unit_name: str,
    term_start: dt.date,
    term_end: dt.date,
    unit_uscc: str | None = None,
) -> Expert:
    """Register (or renew for a new term) an expert: a user with role ``expert``; term ≤ 3 years."""
    _organiser(ctx, "登记评审专家")
    user = ctx.session.get(User, user_id)
    if user is None or user.role != "expert":
        raise invalid("user_id", "须为评审专家（expert）账号")
    problems: list[tuple[str, str]] = []
    if not (title or "").strip():
        problems.append(("title", "职称名称不能为空"))
    if not isinstance(title_grade, int) or isinstance(title_grade, bool) or not 1 <= title_grade <= 5:
        problems.append(("title_grade", "职称层级应为 1–5（员级至正高级）"))
    if not (specialty or "").strip():
        problems.append(("specialty", "专业不能为空"))
    if not (unit_name or "").strip():
        problems.append(("unit_name", "工作单位不能为空"))
    uscc = (unit_uscc or "").strip().upper() or None
    if uscc is not None and (len(uscc) != 18 or not uscc.isalnum()):
        problems.append(("unit_uscc", "统一社会信用代码应为 18 位字母或数字"))
    problems += [("term_end", p) for p in rules.term_problems(term_start, term_end)]
    _problems(problems)
    expert = ctx.session.get(Expert, user_id)
    action = "register_expert" if expert is None else "renew_expert"
    if expert is None:
        expert = Expert(user_id=user_id, registered_by=ctx.actor.user_id or None)
        ctx.session.add(expert)
    expert.title, expert.title_grade, expert.specialty = title.strip(), title_grade, specialty.strip()
    expert.unit_name, expert.unit_uscc = unit_name.strip(), uscc
    expert.term_start, expert.term_end, expert.is_active = term_start, term_end, True
    ctx.session.flush()
    ctx.audit(
        action,
        "expert",
        user_id,
        payload={
            "title_grade": title_grade,
            "specialty": specialty.strip(),
            "unit_uscc": uscc,
            "term": [term_start.isoformat(), term_end.isoformat()],
        },
    )
    return expert


def add_to_pool(ctx: Context, committee_id: int, expert_ids: Sequence[int]) -> list[int]:
    """Put experts into the committee's 专家库; each must hold a title at least at the committee's
    highest level (具有相应层级职称).  Returns the experts newly added."""
    _organiser(ctx, "管理专家库")
    committee = _committee(ctx, committee_id)
    required = max(int(LEVELS[lv]) for lv in committee.levels if lv in LEVELS)
    present = set(_pool_ids(ctx.session, committee.id))
    problems: list[tuple[str, str]] = []
    added = []
    for i, expert_id in enumerate(expert_ids):
        expert = ctx.session.get(Expert, expert_id)
        if expert is None or not expert.is_active:
            problems.append((f"expert_ids[{i}]", f"专家 {expert_id} 未登记或已停用"))
        elif expert.title_grade < required:
            problems.append((f"expert_ids[{i}]", f"专家 {expert_id} 的职称层级低于本评委会评审的层级"))
        elif expert_id not in present and expert_id not in added:
            added.append(expert_id)
    _problems(problems)
    for expert_id in added:
        ctx.session.add(CommitteePoolEntry(committee_id=committee.id, expert_id=expert_id))
    ctx.session.flush()
    if added:
        ctx.audit("add_to_pool", "committee", committee.id, payload={"experts": added})
    return added


def remove_from_pool(ctx: Context, committee_id: int, expert_id: int) -> None:
    _organiser(ctx, "管理专家库")
    committee = _committee(ctx, committee_id)
    entry = ctx.session.get(CommitteePoolEntry, (committee.id, expert_id))
    if entry is None:
        raise not_found("专家库中的该专家")
    ctx.session.delete(entry)
    ctx.session.flush()
    ctx.audit("remove_from_pool", "committee", committee.id, payload={"expert": expert_id})


def _committee_view(ctx: Context, committee: Committee, pool_size: int) -> CommitteeView:
    filings = tuple(
        FilingView(f.id, f.filed_on, f.expires_on, f.reference)
        for f in ctx.session.scalars(
            select(CommitteeFiling)
            .where(CommitteeFiling.committee_id == committee.id)
            .order_by(CommitteeFiling.filed_on, CommitteeFiling.id)
        )
    )
    current = next((f for f in reversed(filings) if f.filed_on <= ctx.today <= f.expires_on), None)
    return CommitteeView(
        committee.id,
        committee.name,
        committee.document_id,
        committee.specialty,
        committee.organised_by,
        tuple(committee.levels),
        committee.min_members,
        committee.min_members_basis,
        committee.threshold,
        committee.recused_count_as_present,
        committee.interview_for_exceptional,
        pool_size,
        current,
        filings,
    )


def list_committees(ctx: Context, *, document_id: str | None = None) -> list[CommitteeView]:
    """Every committee (organiser and supervisor only), with its filings and the size of its pool."""
    if not ctx.rights.can_see_committees():
        raise forbidden("评审委员会只对评审服务机构和人社局开放")
    stmt = select(Committee).order_by(Committee.id)
    if document_id is not None:
        stmt = stmt.where(Committee.document_id == document_id)
    committees = list(ctx.session.scalars(stmt))
    sizes = dict(
        ctx.session.execute(
            select(CommitteePoolEntry.committee_id, func.count())
            .where(CommitteePoolEntry.committee_id.in_([c.id for c in committees] or [-1]))
            .group_by(CommitteePoolEntry.committee_id)
        ).all()
    )
    return [_committee_view(ctx, c, sizes.get(c.id, 0)) for c in committees]


def get_committee(ctx: Context, committee_id: int) -> CommitteeView:
    committee = _committee(ctx, committee_id)
    return _committee_view(ctx, committee, len(_pool_ids(ctx.session, committee.id)))


def _expert_views(ctx: Context, experts: Iterable[Expert]) -> list[ExpertView]:
    rows = list(experts)
    names = _names(ctx.session, (e.user_id for e in rows))
    return [
        ExpertView(
            e.user_id,
            names.get(e.user_id, ""),
            e.title,
            e.title_grade,
            e.specialty,
            e.unit_name,
            e.unit_uscc,
            e.term_start,
            e.term_end,
            e.is_active,
        )
        for e in rows
    ]


def list_experts(ctx: Context, *, specialty: str | None = None) -> list[ExpertView]:
    """The experts' register (organiser and supervisor only)."""
    if not ctx.rights.can_see_committees():
        raise forbidden("专家库只对评审服务机构和人社局开放")
    stmt = select(Expert).order_by(Expert.user_id)
    if specialty is not None:
        stmt = stmt.where(Expert.specialty == specialty)
    return _expert_views(ctx, ctx.session.scalars(stmt))


def get_expert(ctx: Context, user_id: int) -> ExpertView:
    expert = ctx.session.get(Expert, user_id)
    if expert is None or not ctx.rights.can_see_committees():
        raise not_found("评审专家")
    return _expert_views(ctx, [expert])[0]


def pool(ctx: Context, committee_id: int) -> list[ExpertView]:
    """The committee's 专家库 (organiser and supervisor only)."""
    committee = _committee(ctx, committee_id)
    stmt = (
        select(Expert)
        .join(CommitteePoolEntry, CommitteePoolEntry.expert_id == Expert.user_id)
        .where(CommitteePoolEntry.committee_id == committee.id)
        .order_by(Expert.user_id)
    )
    return _expert_views(ctx, ctx.session.scalars(stmt))


# =============================================================================== meetings and agenda


def create_meeting(ctx: Context, *, committee_id: int, title: str, held_on: dt.date) -> Meeting:
    """Schedule a meeting; the committee must be filed (备案) and the filing valid on ``held_on``.
    The committee's voting settings are frozen onto the meeting."""
    _organiser(ctx, "安排评审会议")
    committee = _committee(ctx, committee_id)
    title = _text(title, "title", "会议名称", max_chars=200)
    _require_filing(ctx.session, committee, held_on)
    meeting = Meeting(
        committee_id=committee.id,
        title=title,
        held_on=held_on,
        status=MeetingStatus.DRAFT.value,
        threshold=committee.threshold,
        recused_count_as_present=committee.recused_count_as_present,
        interview_for_exceptional=committee.interview_for_exceptional,
        min_members=committee.min_members,
        created_by=ctx.actor.user_id or None,
    )
    ctx.session.add(meeting)
    ctx.session.flush()
    ctx.audit(
        "create_meeting",
        "meeting",
        meeting.id,
        to_state=MeetingStatus.DRAFT.value,
        payload={
            "committee_id": committee.id,
            "held_on": held_on.isoformat(),
            "threshold": meeting.threshold,
            "recused_count_as_present": meeting.recused_count_as_present,
            "min_members": meeting.min_members,
        },
    )
    return meeting


def add_to_agenda(ctx: Context, meeting_id: int, application_ids: Sequence[int]) -> list[int]:
    """Put applications waiting for the committee (state ``committee``) on a draft meeting's agenda."""
    meeting = _managed_meeting(ctx, meeting_id, "安排评审议程")
    if meeting.status != MeetingStatus.DRAFT:
        raise conflict("专家抽取确认后不能再增加评审对象")
    committee = ctx.session.get(Committee, meeting.committee_id)
    assert committee is not None
    problems: list[tuple[str, str]] = []
    on_agenda = set(_agenda_ids(ctx.session, meeting.id))
    position = (
        ctx.session.scalar(select(func.max(MeetingItem.position)).where(MeetingItem.meeting_id == meeting.id)) or 0
    )
    added: list[int] = []
    for i, app_id in enumerate(application_ids):
        app = ctx.session.get(Application, app_id)
        where = f"application_ids[{i}]"
        if app is None:
            problems.append((where, f"申报 {app_id} 不存在"))
        elif app.state != "committee":
            problems.append((where, f"申报 {app_id} 不在评委会评审环节"))
        elif app.document_id != committee.document_id or app.level not in committee.levels:
            problems.append((where, f"申报 {app_id} 不属于本评委会的评审范围"))
        elif app_id in on_agenda or app_id in added:
            continue
        elif (
            ctx.session.scalar(
                select(MeetingItem.meeting_id).where(
                    MeetingItem.application_id == app_id, MeetingItem.status != ItemStatus.DECIDED.value
                )
            )
            is not None
        ):
            problems.append((where, f"申报 {app_id} 已列入另一场尚未表决的评审会议"))
        else:
            added.append(app_id)
    _problems(problems)
    for app_id in added:
        position += 1
        ctx.session.add(
            MeetingItem(
                meeting_id=meeting.id, application_id=app_id, position=position, status=ItemStatus.PENDING.value
            )
        )
    ctx.session.flush()
    if added:
        ctx.audit("add_to_agenda", "meeting", meeting.id, payload={"applications": added})
    return added


# =============================================================================== the draw: propose → preview → commit


def _compute_draw(
    ctx: Context,
    meeting: Meeting,
    *,
    size: int,
    seed: str,
    panels: Sequence[PanelRequest],
    exclude_conflicted: bool,
) -> dict[str, Any]:
    """The whole assignment as data (what :func:`commit_assignment` stores in ``meetings.draw``)."""
    if not isinstance(size, int) or isinstance(size, bool):
        raise invalid("size", "应为整数")
    _problems([("size", p) for p in rules.member_count_problems(size, meeting.min_members)])
    seed = (seed or "").strip()
    if not seed or len(seed) > SEED_MAX_CHARS:
        raise invalid("seed", f"随机种子应为 1–{SEED_MAX_CHARS} 个字符")
    agenda = _agenda_ids(ctx.session, meeting.id)
    if not agenda:
        raise DomainError(422, "empty_agenda", "会议议程中还没有评审对象")
    pool = ctx.session.execute(
        select(Expert.user_id, Expert.is_active, Expert.term_start, Expert.term_end)
        .join(CommitteePoolEntry, CommitteePoolEntry.expert_id == Expert.user_id)
        .where(CommitteePoolEntry.committee_id == meeting.committee_id)
        .order_by(Expert.user_id)
    )
    excluded: dict[int, str] = {}
    eligible: list[int] = []
    for expert_id, active, start, end in pool:
        if not active:
            excluded[expert_id] = "已停用"
        elif not start <= meeting.held_on <= end:
            excluded[expert_id] = "会议日期不在任期内"
        else:
            eligible.append(expert_id)
    pairs = cfl.effective_pairs(ctx.session, agenda, eligible)
    conflicted_experts = {e for e, _ in pairs}
    if exclude_conflicted:
        for e in sorted(conflicted_experts):
            excluded[e] = "与本次评审对象存在回避关系"
    candidates = [e for e in eligible if not (exclude_conflicted and e in conflicted_experts)]
    if len(candidates) < size:
        raise DomainError(
            422, "pool_too_small", f"专家库中可抽取的专家 {len(candidates)} 人，不足本次会议所需的 {size} 人"
        )
    members = rules.draw(candidates, size, seed, "members")
    # panels: every agenda item in exactly one panel, ≥ 3 experts each, disjoint, no conflicts
    problems: list[tuple[str, str]] = []
    names = [(p.name or "").strip() for p in panels]
    if not panels:
        problems.append(("panels", "至少组建一个专业评议组"))
    if len(set(names)) != len(names) or not all(names):
        problems.append(("panels", "评议组名称不能为空且不能重复"))
    covered = [a for p in panels for a in p.application_ids]
    missing = [a for a in agenda if a not in covered]
    if missing:
        problems.append(("panels", f"申报 {'、'.join(map(str, missing))} 未分配评议组"))
    extra = sorted({a for a in covered if a not in agenda} | {a for a in covered if covered.count(a) > 1})
    if extra:
        problems.append(("panels", f"申报 {'、'.join(map(str, extra))} 不在议程中或被分到多个评议组"))
    for i, p in enumerate(panels):
        if p.size < rules.MIN_PANEL_SIZE:
            problems.append((f"panels[{i}].size", f"每个评议组不少于 {rules.MIN_PANEL_SIZE} 名专家"))
    _problems(problems)
    used: set[int] = set()
    panel_records = []
    for p, name in zip(panels, names, strict=True):
        apps = list(p.application_ids)
        cands = [m for m in members if m not in used and not any((m, a) in pairs for a in apps)]
        if len(cands) < p.size:
            raise DomainError(
                422,
                "panel_too_small",
                f"评议组“{name}”可用专家 {len(cands)} 人（已扣除其他评议组和须回避的专家），不足 {p.size} 人",
            )
        chosen = rules.draw(cands, p.size, seed, f"panel:{name}")
        used.update(chosen)
        panel_records.append(
            {"name": name, "application_ids": apps, "size": p.size, "candidates": cands, "experts": chosen}
        )
    return {
        "seed": seed,
        "size": size,
        "held_on": meeting.held_on.isoformat(),
        "exclude_conflicted": exclude_conflicted,
        "agenda": agenda,
        "candidates": candidates,
        "excluded": [[e, r] for e, r in sorted(excluded.items())],
        "members": members,
        "panels": panel_records,
    }


def _fingerprint(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def propose_assignment(
    ctx: Context,
    meeting_id: int,
    *,
    size: int,
    panels: Sequence[PanelRequest],
    seed: str | None = None,
    exclude_conflicted: bool = True,
) -> Proposal:
    """Draw ``size`` members (odd, ≥ the committee minimum) at random from the committee's pool and
    form the panels — without writing anything.  Conflicted experts are excluded from the draw
    (``exclude_conflicted``; if False they sit and recuse per applicant) and always from the panels
    of their conflicted applications.  Without ``seed`` a random one is made; it is part of the
    proposal, so the same proposal can be committed and re-run later."""
    meeting = _managed_meeting(ctx, meeting_id, "抽取评审专家", lock=False)
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.ASSIGNED):
        raise conflict("会议已开始，不能重新抽取专家")
    seed = seed if seed is not None else secrets.token_hex(16)
    record = _compute_draw(ctx, meeting, size=size, seed=seed, panels=panels, exclude_conflicted=exclude_conflicted)
    return Proposal(
        meeting_id=meeting.id,
        seed=record["seed"],
        size=size,
        exclude_conflicted=exclude_conflicted,
        members=tuple(record["members"]),
        panels=tuple(
            ProposedPanel(p["name"], tuple(p["application_ids"]), tuple(p["experts"])) for p in record["panels"]
        ),
        candidates=tuple(record["candidates"]),
        excluded=tuple((e, r) for e, r in record["excluded"]),
        fingerprint=_fingerprint(record),
        requests=tuple(panels),
    )


def proposal_for_commit(
    meeting_id: int,
    *,
    seed: str,
    size: int,
    panels: Sequence[PanelRequest],
    exclude_conflicted: bool,
    fingerprint: str,
) -> Proposal:
    """The proposal a client previewed, rebuilt from what it sends back (its inputs and fingerprint):
    :func:`commit_assignment` re-runs the draw from these and compares the fingerprint."""
    return Proposal(
        meeting_id=meeting_id,
        seed=seed,
        size=size,
        exclude_conflicted=exclude_conflicted,
        members=(),
        panels=(),
        candidates=(),
        excluded=(),
        fingerprint=fingerprint,
        requests=tuple(panels),
    )


def commit_assignment(ctx: Context, meeting_id: int, proposal: Proposal) -> Meeting:
    """Commit a previewed proposal in one transaction.  The draw is re-run from the proposal's seed
    against the current pool and conflicts (detected conflicts are stored first); if anything
    changed since the preview the result differs and the commit is refused.  A meeting not yet
    opened and without scores may be re-assigned (e.g. after experts declared conflicts)."""
    meeting = _managed_meeting(ctx, meeting_id, "确认专家抽取结果")
    if proposal.meeting_id != meeting.id:
        raise invalid("proposal", "抽取方案不属于本次会议")
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.ASSIGNED):
        raise conflict("会议已开始，不能重新抽取专家")
    if ctx.session.scalar(select(func.count()).select_from(PanelScore).where(PanelScore.meeting_id == meeting.id)):
        raise conflict("评议组已开始评议打分，不能重新抽取专家")
    committee = ctx.session.get(Committee, meeting.committee_id)
    assert committee is not None
    _require_filing(ctx.session, committee, meeting.held_on)
    agenda = _agenda_ids(ctx.session, meeting.id)
    new_conflicts = cfl.persist_detected(
        ctx.session, agenda, _pool_ids(ctx.session, committee.id), ctx.actor.user_id or None
    )
    for c in new_conflicts:
        ctx.audit("detect_conflict", "conflict", c.id, payload={"application_id": c.application_id, "kind": c.kind})
    record = _compute_draw(
        ctx,
        meeting,
        size=proposal.size,
        seed=proposal.seed,
        panels=proposal.requests,
        exclude_conflicted=proposal.exclude_conflicted,
    )
    fingerprint = _fingerprint(record)
    if fingerprint != proposal.fingerprint:
        raise DomainError(
            409, "draw_changed", "自预览以来专家库或回避关系已发生变化，抽取结果与预览不同，请重新预览后确认"
        )
    was = meeting.status
    if was == MeetingStatus.ASSIGNED:  # re-assignment: the previous draw's rows go
        ctx.session.execute(
            update(MeetingItem)
            .where(MeetingItem.meeting_id == meeting.id)
            .values(panel_id=None)
            .execution_options(synchronize_session=False)
        )
        ctx.session.execute(delete(Panel).where(Panel.meeting_id == meeting.id))
        ctx.session.execute(delete(MeetingMember).where(MeetingMember.meeting_id == meeting.id))
    for expert_id in record["members"]:
        ctx.session.add(MeetingMember(meeting_id=meeting.id, expert_id=expert_id, checked_in=False))
    ctx.session.flush()
    for p in record["panels"]:
        panel = Panel(meeting_id=meeting.id, name=p["name"])
        ctx.session.add(panel)
        ctx.session.flush()
        for expert_id in p["experts"]:
            ctx.session.add(PanelMember(panel_id=panel.id, expert_id=expert_id))
        ctx.session.execute(
            update(MeetingItem)
            .where(MeetingItem.meeting_id == meeting.id, MeetingItem.application_id.in_(p["application_ids"]))
            .values(panel_id=panel.id)
            .execution_options(synchronize_session=False)
        )
    meeting.size, meeting.draw, meeting.status, meeting.assigned_at = (
        record["size"],
        record,
        MeetingStatus.ASSIGNED.value,
        ctx.now,
    )
    ctx.session.flush()
    ctx.audit(
        "commit_assignment",
        "meeting",
        meeting.id,
        from_state=was,
        to_state=MeetingStatus.ASSIGNED.value,
        payload={
            "seed": record["seed"],
            "size": record["size"],
            "fingerprint": fingerprint,
            "members": record["members"],
            "panels": [
                {"name": p["name"], "experts": p["experts"], "applications": p["application_ids"]}
                for p in record["panels"]
            ],
        },
    )
    return meeting


def verify_draw(ctx: Context, meeting_id: int) -> DrawCheck:
    """Re-run the recorded draw from its stored seed and candidates and compare with the members and
    panels on record (for audit; agency or bureau)."""
    if not ctx.rights.can_verify_draw():
        raise forbidden("只有评审服务机构或人社局可以复核专家抽取")
    meeting = _meeting(ctx, meeting_id)
    record = meeting.draw
    if not record:
        raise conflict("本次会议尚未抽取专家")
    recomputed = rules.draw(record["candidates"], record["size"], record["seed"], "members")
    stored = _member_ids(ctx.session, meeting.id)
    panels_ok = True
    for p in record["panels"]:
        again = rules.draw(p["candidates"], p["size"], record["seed"], f"panel:{p['name']}")
        on_record = sorted(
            ctx.session.scalars(
                select(PanelMember.expert_id)
                .join(Panel, Panel.id == PanelMember.panel_id)
                .where(Panel.meeting_id == meeting.id, Panel.name == p["name"])
            )
        )
        panels_ok = panels_ok and again == p["experts"] and sorted(again) == on_record
    ok = recomputed == record["members"] and sorted(recomputed) == stored and panels_ok
    return DrawCheck(ok, tuple(stored), tuple(sorted(recomputed)), panels_ok)


# =============================================================================== conflicts


def declaration_sheet(ctx: Context, meeting_id: int) -> list[DeclarationRow]:
    """What an expert needs to declare: the applicants' names, units and levels — nothing more, and
    no applicant already known to be in conflict with them."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    ids = [a for a in _agenda_ids(ctx.session, meeting.id) if rights.can_see_declaration_row(a)]
    ident = _app_identity(ctx.session, ids)
    return [DeclarationRow(a, ident[a][1], ident[a][2], ident[a][0].level) for a in ids]


def declare(
    ctx: Context, meeting_id: int, conflicts: Sequence[ConflictClaim] = (), *, confirm: bool
) -> ConflictDeclaration:
    """An expert's 回避申报 for a meeting: the relations they have (may be none) and the pledge.
    Until this is done the expert can open no material of the meeting.  May be repeated to add
    relations found later; a relation declared while its ballot is open turns the right to vote
    into a recusal."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    if not rights.can_declare():
        raise forbidden("只有本次会议的评审专家可以申报回避")
    if meeting.status == MeetingStatus.CLOSED:
        raise conflict("会议已结束")
    if not confirm:
        raise invalid("confirm", "须确认回避承诺：" + DECLARATION_STATEMENT)
    problems: list[tuple[str, str]] = []
    for i, claim in enumerate(conflicts):
        if claim.application_id not in rights.agenda:
            problems.append((f"conflicts[{i}].application_id", "不在本次会议议程中"))
        if claim.kind not in set(ConflictKind):
            problems.append((f"conflicts[{i}].kind", "应为 " + "、".join(f"{k}（{v}）" for k, v in KIND_NAMES.items())))
        if len(claim.note or "") > TEXT_MAX_CHARS:
            problems.append((f"conflicts[{i}].note", "过长"))
    _problems(problems)
    new = 0
    for claim in conflicts:
        row = _record_conflict_row(
            ctx,
            expert_id=ctx.actor.user_id,
            application_id=claim.application_id,
            kind=claim.kind,
            source=ConflictSource.DECLARED.value,
            note=(claim.note or "").strip(),
        )
        if row is not None:
            new += 1
            ctx.audit(
                "declare_conflict", "conflict", row.id, payload={"application_id": row.application_id, "kind": row.kind}
            )
    declaration = ctx.session.get(ConflictDeclaration, (meeting.id, ctx.actor.user_id))
    if declaration is None:
        declaration = ConflictDeclaration(
            meeting_id=meeting.id, expert_id=ctx.actor.user_id, statement=DECLARATION_STATEMENT, declared_at=ctx.now
        )
        ctx.session.add(declaration)
        ctx.session.flush()
        ctx.audit("declare", "meeting", meeting.id, payload={"conflicts": new})
    return declaration


def record_conflict(ctx: Context, *, expert_id: int, application_id: int, kind: str, note: str) -> Conflict:
    """The agency records a relation it learned of (办事机构发现的，应当通知其回避)."""
    _organiser(ctx, "登记回避关系")
    if ctx.session.get(Application, application_id) is None:
        raise not_found("申报")
    user = ctx.session.get(User, expert_id)
    if user is None or user.role != "expert":
        raise invalid("expert_id", "须为评审专家")
    if kind not in set(ConflictKind):
        raise invalid("kind", "应为 " + "、".join(KIND_NAMES))
    note = _text(note, "note", "回避事由")
    row = _record_conflict_row(
        ctx,
        expert_id=expert_id,
        application_id=application_id,
        kind=kind,
        source=ConflictSource.AGENCY.value,
        note=note,
    )
    if row is None:
        raise conflict("该回避关系已登记")
    ctx.audit(
        "record_conflict",
        "conflict",
        row.id,
        payload={"expert_id": expert_id, "application_id": application_id, "kind": kind},
    )
    return row


def detect_conflicts(ctx: Context, meeting_id: int) -> list[Conflict]:
    """Run automatic detection for the meeting's agenda against its pool and members; store and
    return the conflicts found for the first time."""
    meeting = _managed_meeting(ctx, meeting_id, "检测回避关系", lock=False)
    agenda = _agenda_ids(ctx.session, meeting.id)
    experts = set(_pool_ids(ctx.session, meeting.committee_id)) | set(_member_ids(ctx.session, meeting.id))
    new = cfl.persist_detected(ctx.session, agenda, experts, ctx.actor.user_id or None)
    for c in new:
        cfl.recuse_pending_voter(ctx.session, c.expert_id, c.application_id)
        ctx.audit("detect_conflict", "conflict", c.id, payload={"application_id": c.application_id, "kind": c.kind})
    return new


def dismiss_conflict(ctx: Context, conflict_id: int, *, reason: str) -> Conflict:
    """Dismiss a conflict (e.g. a namesake) — only with a recorded reason; kept, never deleted."""
    _organiser(ctx, "撤销回避关系")
    row = ctx.session.get(Conflict, conflict_id)
    if row is None:
        raise not_found("回避关系")
    if row.status != ConflictStatus.ACTIVE:
        raise conflict("该回避关系已撤销")
    reason = _text(reason, "reason", "撤销理由", min_chars=REASON_MIN_CHARS)
    row.status, row.dismissed_reason, row.dismissed_by, row.dismissed_at = (
        ConflictStatus.DISMISSED.value,
        reason,
        ctx.actor.user_id or None,
        ctx.now,
    )
    ctx.session.flush()
    ctx.audit(
        "dismiss_conflict",
        "conflict",
        row.id,
        ConflictStatus.ACTIVE.value,
        ConflictStatus.DISMISSED.value,
        {"application_id": row.application_id, "kind": row.kind, "source": row.source, "reason": reason},
    )
    return row


def list_conflicts(ctx: Context, meeting_id: int) -> list[ConflictView]:
    """Stored conflicts between the meeting's agenda and its pool and members (staff only)."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    if not rights.can_list_conflicts():
        raise forbidden("回避关系清单只对评审服务机构和人社局开放")
    experts = set(_pool_ids(ctx.session, meeting.committee_id)) | set(_member_ids(ctx.session, meeting.id))
    rows = cfl.recorded(ctx.session, rights.agenda, experts)
    names = _names(ctx.session, (r.expert_id for r in rows))
    return [
        ConflictView(
            r.id,
            r.expert_id,
            names.get(r.expert_id, ""),
            r.application_id,
            r.kind,
            r.source,
            r.status,
            r.note,
            r.evidence,
            r.dismissed_reason,
        )
        for r in rows
    ]


# =============================================================================== meeting day


def open_meeting(ctx: Context, meeting_id: int) -> Meeting:
    """Open the meeting (members can check in); the committee's filing must be valid today."""
    meeting = _managed_meeting(ctx, meeting_id, "主持评审会议")
    if meeting.status != MeetingStatus.ASSIGNED:
        raise conflict("会议须在专家抽取确认后、结束前开始")
    if ctx.today < meeting.held_on:
        raise DomainError(422, "too_early", f"会议定于 {meeting.held_on.isoformat()} 召开")
    committee = ctx.session.get(Committee, meeting.committee_id)
    assert committee is not None
    filing = _require_filing(ctx.session, committee, ctx.today)
    meeting.status, meeting.opened_at = MeetingStatus.OPEN.value, ctx.now
    ctx.session.flush()
    ctx.audit(
        "open_meeting",
        "meeting",
        meeting.id,
        MeetingStatus.ASSIGNED.value,
        MeetingStatus.OPEN.value,
        {"filing_id": filing.id},
    )
    return meeting


def check_in(ctx: Context, meeting_id: int, expert_id: int | None = None) -> MeetingMember:
    """签到: an expert checks in in person, or the agency records an expert's attendance."""
    meeting = _meeting(ctx, meeting_id, lock=False)
    rights = review_rights(ctx.session, ctx.actor, meeting, only=())  # attendance: no application involved
    if expert_id is None and rights.is_expert:
        expert_id = ctx.actor.user_id
    if expert_id is None and rights.is_organiser:
        raise invalid("expert_id", "登记专家出席须写明专家编号")
    if expert_id is None or not rights.can_check_in(expert_id):
        raise forbidden("只能本人签到，不得代签" if rights.is_expert else "只有评审专家本人或评审服务机构可以签到")
    member = ctx.session.get(MeetingMember, (meeting.id, expert_id))
    if member is None:
        raise not_found("本次会议的评审专家")
    if meeting.status != MeetingStatus.OPEN:
        raise conflict("会议尚未开始或已经结束")
    if not member.checked_in:
        member.checked_in, member.checked_in_at = True, ctx.now
        ctx.session.flush()
        ctx.audit("check_in", "meeting", meeting.id, payload={"expert_id": expert_id})
    return member


# =============================================================================== panel scores and interviews


def _panel_state(
    ctx: Context, meeting: Meeting, item: MeetingItem, known: tuple[Collection[int], set[cfl.Pair]] | None = None
) -> tuple[str | None, list[int], list[PanelScore]]:
    """(panel name, panel experts who must score — conflicted ones excluded, scores submitted).
    ``known``: experts whose conflicts with this application the caller has just worked out, and the pairs."""
    if item.panel_id is None:
        return None, [], []
    panel = ctx.session.get(Panel, item.panel_id)
    experts = sorted(ctx.session.scalars(select(PanelMember.expert_id).where(PanelMember.panel_id == item.panel_id)))
    if known is not None and set(experts) <= set(known[0]):
        pairs = known[1]
    else:
        pairs = cfl.effective_pairs(ctx.session, [item.application_id], experts)
    scoring = [e for e in experts if (e, item.application_id) not in pairs]
    scores = list(
        ctx.session.scalars(
            select(PanelScore).where(
                PanelScore.meeting_id == meeting.id,
                PanelScore.application_id == item.application_id,
                PanelScore.expert_id.in_(scoring or [-1]),
            )
        )
    )
    return (panel.name if panel else None), scoring, scores


def _summary(ctx: Context, meeting: Meeting, rights: ReviewRights, item: MeetingItem) -> PanelSummary:
    name, scoring, scores = _panel_state(ctx, meeting, item)
    complete = bool(scoring) and len(scores) == len(scoring)
    mine = next((s.score for s in scores if s.expert_id == ctx.actor.user_id), None)
    if rights.can_see_panel_scores(item.application_id, complete):
        seed = (meeting.draw or {}).get("seed", "")
        names = _pseudonyms(seed, item.application_id, scoring)
        staff = rights.sees_identities()
        opinions = tuple(
            sorted(
                (PanelOpinion(names[s.expert_id], s.score, s.opinion, s.expert_id if staff else None) for s in scores),
                key=lambda o: (len(o.pseudonym), o.pseudonym),
            )
        )
        average = _average([s.score for s in scores])
    else:
        opinions, average = (), None
    return PanelSummary(item.application_id, name, len(scoring), len(scores), complete, average, opinions, mine)


def submit_score(
    ctx: Context,
    meeting_id: int,
    application_id: int,
    *,
    score: int,
    opinion: str,
    expected_version: int | None = None,
) -> PanelSummary:
    """A panel expert's quantitative score (0–100) and written opinion (书面评议意见); may be revised
    until the ballot opens (``expected_version`` guards against overwriting a newer revision)."""
    meeting, rights = _visible_meeting(ctx, meeting_id, only={application_id})
    if not rights.can_score(application_id):
        raise not_found("申报")
    if not rights.declared:  # pragma: no cover - can_score implies it
        raise forbidden("请先申报回避")
    if meeting.status not in (MeetingStatus.ASSIGNED, MeetingStatus.OPEN):
        raise conflict("会议不在评议阶段")
    item = _item(ctx, meeting.id, application_id)
    assert item is not None
    if item.status != ItemStatus.PENDING:
        raise conflict("表决已开始，评议意见不能再修改")
    if not isinstance(score, int) or isinstance(score, bool) or not SCORE_MIN <= score <= SCORE_MAX:
        raise invalid("score", f"评分应为 {SCORE_MIN}–{SCORE_MAX} 的整数")
    opinion = _text(opinion, "opinion", "书面评议意见", min_chars=OPINION_MIN_CHARS)
    row = ctx.session.get(PanelScore, (meeting.id, application_id, ctx.actor.user_id))
    if row is None:
        if expected_version not in (None, 0):
            raise conflict("评议意见已被修改，请刷新后重试")
        row = PanelScore(
            meeting_id=meeting.id,
            application_id=application_id,
            expert_id=ctx.actor.user_id,
            score=score,
            opinion=opinion,
            version=1,
            submitted_at=ctx.now,
        )
        ctx.session.add(row)
        ctx.session.flush()
    else:
        version = row.version if expected_version is None else expected_version
        result = ctx.session.execute(
            update(PanelScore)
            .where(
                PanelScore.meeting_id == meeting.id,
                PanelScore.application_id == application_id,
                PanelScore.expert_id == ctx.actor.user_id,
                PanelScore.version == version,
            )
            .values(score=score, opinion=opinion, version=PanelScore.version + 1, submitted_at=ctx.now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise conflict("评议意见已被修改，请刷新后重试")
        ctx.session.expire(row)
    ctx.session.refresh(row)
    ctx.audit(
        "submit_score",
        "meeting_item",
        _item_key(meeting.id, application_id),
        payload={
            "application_id": application_id,
            "version": row.version,
            "score": score,
            "opinion_sha256": hashlib.sha256(opinion.encode()).hexdigest(),
        },
    )
    return _summary(ctx, meeting, rights, item)


def panel_summary(ctx: Context, meeting_id: int, application_id: int) -> PanelSummary:
    meeting, rights = _visible_meeting(ctx, meeting_id, only={application_id})
    if not rights.can_see_application(application_id):
        raise not_found("申报")
    item = _item(ctx, meeting.id, application_id)
    assert item is not None
    return _summary(ctx, meeting, rights, item)


def record_interview(
    ctx: Context,
    meeting_id: int,
    application_id: int,
    *,
    held_on: dt.date,
    result: str,
    summary: str,
    examiners: Sequence[int],
) -> Interview:
    """面试答辩 record (破格 applicants; Qingdao 第十三条): the date, the examining experts (members
    of the meeting, none in conflict, at least 3), the result and a summary the committee reads."""
    meeting = _managed_meeting(ctx, meeting_id, "登记面试答辩")
    item = _item(ctx, meeting.id, application_id)
    if item is None:
        raise not_found("议程中的该申报")
    if item.status != ItemStatus.PENDING or meeting.status not in (MeetingStatus.ASSIGNED, MeetingStatus.OPEN):
        raise conflict("表决已开始或会议不在评议阶段，不能登记答辩")
    if result not in set(InterviewResult):
        raise invalid("result", "应为 pass（答辩通过）或 fail（答辩未通过）")
    summary = _text(summary, "summary", "答辩情况", min_chars=OPINION_MIN_CHARS)
    members = set(_member_ids(ctx.session, meeting.id))
    chosen = sorted(set(examiners))
    problems = []
    if len(chosen) < rules.MIN_PANEL_SIZE:
        problems.append(("examiners", f"答辩专家不少于 {rules.MIN_PANEL_SIZE} 人"))
    if any(e not in members for e in chosen):
        problems.append(("examiners", "答辩专家须为本次会议的评审专家"))
    pairs = cfl.effective_pairs(ctx.session, [application_id], chosen)
    if pairs:
        problems.append(("examiners", "答辩专家中有人须回避该申报人"))
    _problems(problems)
    row = ctx.session.get(Interview, (meeting.id, application_id))
    if row is None:
        row = Interview(meeting_id=meeting.id, application_id=application_id)
        ctx.session.add(row)
    row.held_on, row.result, row.summary, row.examiners = held_on, result, summary, chosen
    row.recorded_by, row.recorded_at = ctx.actor.user_id or None, ctx.now
    ctx.session.flush()
    ctx.audit(
        "record_interview",
        "meeting_item",
        _item_key(meeting.id, application_id),
        payload={"application_id": application_id, "result": result, "held_on": held_on.isoformat()},
    )
    return row


def _interview_view(ctx: Context, meeting_id: int, application_id: int, staff: bool) -> dict[str, Any] | None:
    row = ctx.session.get(Interview, (meeting_id, application_id))
    if row is None:
        return None
    view: dict[str, Any] = {
        "held_on": row.held_on.isoformat(),
        "result": row.result,
        "summary": row.summary,
        "examiners": len(row.examiners),
    }
    if staff:
        view["examiner_ids"] = list(row.examiners)
    return view


# =============================================================================== ballots


def open_ballot(ctx: Context, meeting_id: int, application_id: int) -> Tally:
    """Open the secret ballot on one applicant.  Checks: meeting open, filing valid today, 破格
    interview recorded, panel finished; conflicts are re-detected; quorum — members checked in ≥
    2/3 of the sitting, and so are those present for this applicant (I-18).  The checked-in
    members become the voters (those in conflict: recused); nobody else can vote on it."""
    meeting = _managed_meeting(ctx, meeting_id, "组织投票")
    if meeting.status != MeetingStatus.OPEN:
        raise conflict("会议尚未开始或已经结束")
    committee = ctx.session.get(Committee, meeting.committee_id)
    assert committee is not None
    _require_filing(ctx.session, committee, ctx.today)
    item = _item(ctx, meeting.id, application_id, lock="update")
    if item is None:
        raise not_found("议程中的该申报")
    if item.status != ItemStatus.PENDING:
        raise conflict("该申报人的表决已开始或已结束")
    app = ctx.session.get(Application, application_id)
    assert app is not None
    if app.state != "committee":
        raise conflict("该申报不在评委会评审环节，不能表决")
    if (
        meeting.interview_for_exceptional
        and app.route == "exceptional"
        and (ctx.session.get(Interview, (meeting.id, application_id)) is None)
    ):
        raise DomainError(422, "interview_missing", "破格申报须经面试答辩，尚无答辩记录，不能表决")
    members = _member_ids(ctx.session, meeting.id)
    new_conflicts, pairs = cfl.detect_and_persist(ctx.session, [application_id], members, ctx.actor.user_id or None)
    for c in new_conflicts:
        ctx.audit("detect_conflict", "conflict", c.id, payload={"application_id": c.application_id, "kind": c.kind})
    name, scoring, scores = _panel_state(ctx, meeting, item, (members, pairs))
    if len(scoring) < rules.MIN_PANEL_SIZE:
        raise DomainError(
            422,
            "panel_too_small",
            f"评议组“{name}”扣除回避专家后不足 {rules.MIN_PANEL_SIZE} 人，请重新组建评议组后再表决",
        )
    if len(scores) < len(scoring):
        raise DomainError(422, "panel_incomplete", f"评议组尚有 {len(scoring) - len(scores)} 名专家未提交评议意见")
    attending = sorted(
        ctx.session.scalars(
            select(MeetingMember.expert_id).where(
                MeetingMember.meeting_id == meeting.id, MeetingMember.checked_in.is_(True)
            )
        )
    )
    size = meeting.size or len(members)
    if not rules.quorum_met(len(attending), size):
        raise DomainError(
            422,
            "no_quorum",
            f"出席专家 {len(attending)} 人，不足评委会组成人数 {size} 人的三分之二"
            f"（至少 {rules.min_attending(size)} 人），不能表决",
        )
    recused = [e for e in attending if (e, application_id) in pairs]  # attending ⊆ members
    present = rules.present_for_item(len(attending), len(recused), meeting.recused_count_as_present)
    if not rules.quorum_met(present, size):
        raise DomainError(
            422,
            "no_quorum",
            f"回避后对该申报人出席 {present} 人，不足评委会组成人数 {size} 人的三分之二"
            f"（至少 {rules.min_attending(size)} 人），不能表决",
        )
    for e in attending:
        status = VoterStatus.RECUSED if e in recused else VoterStatus.PENDING
        ctx.session.add(
            BallotVoter(meeting_id=meeting.id, application_id=application_id, expert_id=e, status=status.value)
        )
    item.status, item.members, item.attending = ItemStatus.VOTING.value, size, len(attending)
    item.recused, item.present, item.threshold = len(recused), present, meeting.threshold
    ctx.session.flush()
    ctx.audit(
        "open_ballot",
        "meeting_item",
        _item_key(meeting.id, application_id),
        ItemStatus.PENDING.value,
        ItemStatus.VOTING.value,
        {
            "application_id": application_id,
            "members": size,
            "attending": len(attending),
            "recused": len(recused),
            "present": present,
            "threshold": meeting.threshold,
        },
    )
    return _tally_view(item, meeting.threshold, "")


def cast_ballot(ctx: Context, meeting_id: int, application_id: int, choice: str) -> None:
    """One secret ballot (同意/不同意/弃权) by a checked-in expert, once, while the ballot is open.
    No proxy (only the expert's own account), no late ballot.  Returns nothing: not even the voter
    gets a receipt that could be shown to someone else."""
    meeting, rights = _visible_meeting(ctx, meeting_id, only={application_id})
    if not rights.is_expert:
        raise forbidden("只有评审专家本人可以投票，不得委托他人投票")
    if choice not in set(BallotChoice):
        raise invalid("choice", "应为 yes（同意）、no（不同意）或 abstain（弃权）")
    if not rights.can_see_application(application_id):
        raise not_found("申报")
    item = _item(ctx, meeting.id, application_id, lock="share")
    assert item is not None
    if item.status == ItemStatus.PENDING:
        raise conflict("对该申报人的投票尚未开始")
    if item.status == ItemStatus.DECIDED:
        raise conflict("对该申报人的投票已经结束，不得补充投票")
    result = ctx.session.execute(
        update(BallotVoter)
        .where(
            BallotVoter.meeting_id == meeting.id,
            BallotVoter.application_id == application_id,
            BallotVoter.expert_id == ctx.actor.user_id,
            BallotVoter.status == VoterStatus.PENDING.value,
        )
        .values(status=VoterStatus.VOTED.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        voter = ctx.session.get(BallotVoter, (meeting.id, application_id, ctx.actor.user_id), populate_existing=True)
        if voter is None:
            raise forbidden("表决开始时您未签到出席，不能投票（未出席专家不得委托他人投票或补充投票）")
        if voter.status == VoterStatus.VOTED:
            raise conflict("您已对该申报人投过票，每人只能投一票")
        if voter.status == VoterStatus.RECUSED:
            raise forbidden("您已回避该申报人的表决")
        raise conflict("对该申报人的投票已经结束，不得补充投票")
    ctx.session.add(
        Ballot(id=secrets.token_hex(16), meeting_id=meeting.id, application_id=application_id, choice=choice)
    )
    ctx.session.flush()
    ctx.audit("cast_ballot", "meeting_item", _item_key(meeting.id, application_id))


def _seal(ctx: Context, meeting_id: int, application_id: int) -> tuple[dict[str, int], str]:
    """Count the box, then rewrite it with fresh random ids in id order; return counts and digest."""
    where = (Ballot.meeting_id == meeting_id, Ballot.application_id == application_id)
    choices = [c for (c,) in ctx.session.execute(select(Ballot.choice).where(*where))]
    counts = {c.value: choices.count(c.value) for c in BallotChoice}
    sqlite = ctx.session.get_bind().dialect.name == "sqlite"
    connection = ctx.session.connection()
    previous = connection.exec_driver_sql("PRAGMA secure_delete").scalar() if sqlite else None
    if sqlite:  # overwrite the deleted ballots' bytes in the file
        connection.exec_driver_sql("PRAGMA secure_delete = ON")
    ctx.session.execute(delete(Ballot).where(*where).execution_options(synchronize_session=False))
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA secure_delete = {int(previous or 0):d}")
    sealed = sorted((secrets.token_hex(16), c) for c in sorted(choices))
    for ballot_id, c in sealed:
        ctx.session.add(Ballot(id=ballot_id, meeting_id=meeting_id, application_id=application_id, choice=c))
    ctx.session.flush()
    digest = hashlib.sha256("".join(f"{i}:{c}\n" for i, c in sealed).encode()).hexdigest()
    return counts, digest


def close_ballot(ctx: Context, meeting_id: int, application_id: int) -> Tally:
    """Close the ballot: unused votes lapse (no late ballots), the box is sealed and counted, the
    result is decided with integer arithmetic under the meeting's threshold (I-17) and denominator
    (I-18), recorded, and the application moves on (``record_pass`` → acceptance, ``record_fail``
    → failed) through the workflow."""
    meeting = _managed_meeting(ctx, meeting_id, "组织投票")
    item = _item(ctx, meeting.id, application_id, lock="update")
    if item is None:
        raise not_found("议程中的该申报")
    if item.status != ItemStatus.VOTING:
        raise conflict("该申报人的投票未在进行中")
    ctx.session.execute(
        update(BallotVoter)
        .where(
            BallotVoter.meeting_id == meeting.id,
            BallotVoter.application_id == application_id,
            BallotVoter.status == VoterStatus.PENDING.value,
        )
        .values(status=VoterStatus.MISSED.value)
        .execution_options(synchronize_session=False)
    )
    voters = dict(
        ctx.session.execute(
            select(BallotVoter.expert_id, BallotVoter.status).where(
                BallotVoter.meeting_id == meeting.id, BallotVoter.application_id == application_id
            )
        ).all()
    )
    voted = [e for e, s in voters.items() if s == VoterStatus.VOTED]
    tainted = [e for e, _ in cfl.effective_pairs(ctx.session, [application_id], voted)]
    if tainted:
        raise DomainError(
            409,
            "ballot_tainted",
            f"有 {len(tainted)} 名已投票专家在投票后被确认须回避，本次投票无效：请取消本次投票后重新表决",
        )
    counts, digest = _seal(ctx, meeting.id, application_id)
    if sum(counts.values()) != len(voted):
        raise DomainError(500, "ballot_mismatch", "票箱中的选票数与投票记录不符，请立即报告并暂停表决")
    yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
    present = item.present or 0
    passed = rules.passes(yes, present, meeting.threshold)
    item.yes, item.no, item.abstain = yes, no, abstain
    item.not_cast = sum(1 for s in voters.values() if s == VoterStatus.MISSED)
    item.passed, item.ballot_digest, item.decided_at = passed, digest, ctx.now
    item.status = ItemStatus.DECIDED.value
    ctx.session.flush()
    tally = _tally_view(item, meeting.threshold, digest)
    ctx.audit(
        "close_ballot",
        "meeting_item",
        _item_key(meeting.id, application_id),
        ItemStatus.VOTING.value,
        ItemStatus.DECIDED.value,
        {
            "application_id": application_id,
            "members": tally.members,
            "attending": tally.attending,
            "recused": tally.recused,
            "present": tally.present,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "not_cast": tally.not_cast,
            "threshold": meeting.threshold,
            "passed": passed,
            "ballot_digest": digest,
        },
    )
    app = workflow.act(ctx, application_id, "record_pass" if passed else "record_fail")
    return _tally_view(item, meeting.threshold, digest, app.state)


def committee_result(session: Session, application_id: int) -> bool | None:
    """The committee's decision on an application: ``True`` passed, ``False`` failed, ``None`` not
    decided by a ballot.  Meant for a workflow guard on ``record_pass``/``record_fail`` (import it
    lazily there: this module imports the workflow)."""
    passed: bool | None = session.scalar(
        select(MeetingItem.passed)
        .where(MeetingItem.application_id == application_id, MeetingItem.status == ItemStatus.DECIDED.value)
        .order_by(MeetingItem.decided_at.desc())
        .limit(1)
    )
    return passed


def tally(ctx: Context, meeting_id: int, application_id: int) -> Tally:
    """The recorded tally of a closed ballot, for whoever may see the application at this meeting.  No
    count exists before the ballot closes (no running count is ever shown)."""
    meeting, rights = _visible_meeting(ctx, meeting_id, only={application_id})
    if not rights.can_see_application(application_id):
        raise not_found("申报")
    item = _item(ctx, meeting.id, application_id)
    assert item is not None
    if item.status != ItemStatus.DECIDED:
        raise conflict("对该申报人的投票尚未结束，结束前不公布票数")
    app = ctx.session.get(Application, application_id)
    return _tally_view(item, item.threshold or meeting.threshold, item.ballot_digest or "", app.state if app else "")


def cancel_ballot(ctx: Context, meeting_id: int, application_id: int, *, reason: str) -> None:
    """Void an open ballot (e.g. a voter turned out to be in conflict): its ballots and voter rows
    are deleted and the applicant can be voted on again.  Needs a recorded reason."""
    meeting = _managed_meeting(ctx, meeting_id, "组织投票")
    reason = _text(reason, "reason", "取消理由", min_chars=REASON_MIN_CHARS)
    item = _item(ctx, meeting.id, application_id, lock="update")
    if item is None:
        raise not_found("议程中的该申报")
    if item.status != ItemStatus.VOTING:
        raise conflict("该申报人的投票未在进行中")
    where_ballot = (Ballot.meeting_id == meeting.id, Ballot.application_id == application_id)
    where_voter = (BallotVoter.meeting_id == meeting.id, BallotVoter.application_id == application_id)
    ctx.session.execute(delete(Ballot).where(*where_ballot).execution_options(synchronize_session=False))
    ctx.session.execute(delete(BallotVoter).where(*where_voter).execution_options(synchronize_session=False))
    item.status = ItemStatus.PENDING.value
    item.members = item.attending = item.recused = item.present = None
    item.threshold = None
    ctx.session.flush()
    ctx.audit(
        "cancel_ballot",
        "meeting_item",
        _item_key(meeting.id, application_id),
        ItemStatus.VOTING.value,
        ItemStatus.PENDING.value,
        {"application_id": application_id, "reason": reason},
    )


def _tally_view(item: MeetingItem, threshold: str, digest: str, state: str = "") -> Tally:
    present = item.present or 0
    return Tally(
        application_id=item.application_id,
        members=item.members or 0,
        attending=item.attending or 0,
        recused=item.recused or 0,
        present=present,
        yes=item.yes or 0,
        no=item.no or 0,
        abstain=item.abstain or 0,
        not_cast=item.not_cast or 0,
        threshold=threshold,
        min_yes=rules.min_yes_to_pass(present, threshold) if present else 0,
        passed=bool(item.passed),
        ballot_digest=digest,
        state=state,
    )


# =============================================================================== close and minutes


def close_meeting(ctx: Context, meeting_id: int) -> dict[str, Any]:
    """End the meeting once every applicant is decided and archive the minutes (会议记录: 出席评委、
    评审对象、评议意见、投票结果), with their SHA-256 in the meeting and in the audit trail."""
    meeting = _managed_meeting(ctx, meeting_id, "结束评审会议")
    if meeting.status != MeetingStatus.OPEN:
        raise conflict("会议未在进行中")
    items = list(
        ctx.session.scalars(
            select(MeetingItem).where(MeetingItem.meeting_id == meeting.id).order_by(MeetingItem.position)
        )
    )
    undecided = [i.application_id for i in items if i.status != ItemStatus.DECIDED]
    if undecided:
        raise DomainError(422, "items_pending", f"尚有 {len(undecided)} 名申报人未表决")
    meeting.closed_at = ctx.now
    record = _minutes(ctx, meeting, items)
    digest = hashlib.sha256(canonical_json(record)).hexdigest()
    meeting.minutes, meeting.minutes_sha256, meeting.status = record, digest, MeetingStatus.CLOSED.value
    ctx.session.flush()
    ctx.audit(
        "close_meeting",
        "meeting",
        meeting.id,
        MeetingStatus.OPEN.value,
        MeetingStatus.CLOSED.value,
        {"minutes_sha256": digest, "items": len(items)},
    )
    return record


def _minutes(ctx: Context, meeting: Meeting, items: list[MeetingItem]) -> dict[str, Any]:
    committee = ctx.session.get(Committee, meeting.committee_id)
    assert committee is not None
    filing = _filing_on(ctx.session, committee.id, meeting.held_on)
    members = list(ctx.session.scalars(select(MeetingMember).where(MeetingMember.meeting_id == meeting.id)))
    names = _names(ctx.session, [m.expert_id for m in members])
    ident = _app_identity(ctx.session, [i.application_id for i in items])
    staff_rights = ReviewRights(ctx.actor, meeting.id, frozenset(ident))
    entries = []
    for item in items:
        app, applicant, unit = ident[item.application_id]
        summary = _summary(ctx, meeting, staff_rights, item)
        recused = sorted(
            ctx.session.scalars(
                select(BallotVoter.expert_id).where(
                    BallotVoter.meeting_id == meeting.id,
                    BallotVoter.application_id == item.application_id,
                    BallotVoter.status == VoterStatus.RECUSED.value,
                )
            )
        )
        entries.append(
            {
                "application_id": app.id,
                "applicant": applicant,
                "unit": unit,
                "level": app.level,
                "level_name": LEVEL_NAMES.get(app.level, app.level),
                "route": app.route,
                "panel": {
                    "name": summary.panel_name,
                    "average": None if summary.average is None else str(summary.average),
                    "opinions": [
                        {"pseudonym": o.pseudonym, "score": o.score, "opinion": o.opinion} for o in summary.opinions
                    ],
                },
                "interview": _interview_view(ctx, meeting.id, app.id, staff=False),
                "recused_experts": [names.get(e, str(e)) for e in recused],
                "tally": {
                    "members": item.members,
                    "attending": item.attending,
                    "recused": item.recused,
                    "present": item.present,
                    "yes": item.yes,
                    "no": item.no,
                    "abstain": item.abstain,
                    "not_cast": item.not_cast,
                    "threshold": item.threshold,
                    "min_yes": rules.min_yes_to_pass(item.present, item.threshold)
                    if item.present and item.threshold
                    else None,
                    "passed": item.passed,
                },
                "ballot_digest": item.ballot_digest,
            }
        )
    return {
        "committee": {
            "id": committee.id,
            "name": committee.name,
            "document_id": committee.document_id,
            "specialty": committee.specialty,
            "threshold": meeting.threshold,
            "recused_count_as_present": meeting.recused_count_as_present,
        },
        "filing": None
        if filing is None
        else {
            "reference": filing.reference,
            "filed_on": filing.filed_on.isoformat(),
            "expires_on": filing.expires_on.isoformat(),
        },
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "held_on": meeting.held_on.isoformat(),
            "opened_at": meeting.opened_at.isoformat() if meeting.opened_at else None,
            "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
            "size": meeting.size,
            "draw_seed": (meeting.draw or {}).get("seed"),
        },
        "members": [
            {"expert_id": m.expert_id, "name": names.get(m.expert_id, ""), "attended": m.checked_in}
            for m in sorted(members, key=lambda m: m.expert_id)
        ],
        "attending": sum(1 for m in members if m.checked_in),
        "items": entries,
    }


def minutes(ctx: Context, meeting_id: int) -> dict[str, Any]:
    """The archived minutes (staff only); refused if they no longer match their recorded hash."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    if not rights.can_read_minutes():
        raise forbidden("会议记录只对评审服务机构和人社局开放")
    if meeting.minutes is None:
        raise conflict("会议尚未结束，会议记录尚未归档")
    if hashlib.sha256(canonical_json(meeting.minutes)).hexdigest() != meeting.minutes_sha256:
        raise DomainError(500, "minutes_tampered", "会议记录与归档时的哈希不符：记录在归档后被修改")
    return meeting.minutes


# =============================================================================== what users see (all through rights)


def my_meetings(ctx: Context) -> list[MeetingView]:
    """Meetings the actor may see: an expert's own meetings; every meeting for staff."""
    stmt = select(Meeting, Committee.name).join(Committee, Committee.id == Meeting.committee_id)
    scope = ctx.rights.meeting_scope()
    if scope == "own":
        stmt = stmt.join(MeetingMember, MeetingMember.meeting_id == Meeting.id).where(
            MeetingMember.expert_id == ctx.actor.user_id
        )
    elif scope != "all":
        return []
    out = []
    for meeting, committee_name in ctx.session.execute(stmt.order_by(Meeting.held_on.desc(), Meeting.id)):
        rights = review_rights(ctx.session, ctx.actor, meeting)
        if not rights.can_see_meeting():  # pragma: no cover - the query already restricts
            continue
        expert = rights.is_expert
        out.append(
            MeetingView(
                meeting.id,
                meeting.committee_id,
                committee_name,
                meeting.title,
                meeting.held_on,
                meeting.status,
                rights.declared if expert else None,
                rights.checked_in if expert else None,
                meeting.size,
                meeting.threshold,
                meeting.recused_count_as_present,
            )
        )
    return out


def meeting_view(ctx: Context, meeting_id: int) -> MeetingView:
    """One meeting as :func:`my_meetings` shows it (404 for anyone who may not see it)."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    committee = ctx.session.get(Committee, meeting.committee_id)
    expert = rights.is_expert
    return MeetingView(
        meeting.id,
        meeting.committee_id,
        committee.name if committee else "",
        meeting.title,
        meeting.held_on,
        meeting.status,
        rights.declared if expert else None,
        rights.checked_in if expert else None,
        meeting.size,
        meeting.threshold,
        meeting.recused_count_as_present,
    )


def agenda(ctx: Context, meeting_id: int) -> list[AgendaRow]:
    meeting, rights = _visible_meeting(ctx, meeting_id)
    items = [
        i
        for i in ctx.session.scalars(
            select(MeetingItem).where(MeetingItem.meeting_id == meeting.id).order_by(MeetingItem.position)
        )
        if rights.can_see_application(i.application_id)
    ]
    ident = _app_identity(ctx.session, [i.application_id for i in items])
    panels = dict(ctx.session.execute(select(Panel.id, Panel.name).where(Panel.meeting_id == meeting.id)).all())
    mine_scored = set(
        ctx.session.scalars(
            select(PanelScore.application_id).where(
                PanelScore.meeting_id == meeting.id, PanelScore.expert_id == ctx.actor.user_id
            )
        )
    )
    my_votes = dict(
        ctx.session.execute(
            select(BallotVoter.application_id, BallotVoter.status).where(
                BallotVoter.meeting_id == meeting.id, BallotVoter.expert_id == ctx.actor.user_id
            )
        ).all()
    )
    rows = []
    for i in items:
        app, applicant, unit = ident[i.application_id]
        rows.append(
            AgendaRow(
                application_id=app.id,
                position=i.position,
                applicant_name=applicant,
                unit_name=unit,
                level=app.level,
                route=app.route,
                panel_name=panels.get(i.panel_id) if i.panel_id else None,
                on_my_panel=app.id in rights.panel_apps,
                my_score_submitted=app.id in mine_scored,
                status=i.status,
                passed=i.passed if i.status == ItemStatus.DECIDED else None,
                i_voted=(my_votes.get(app.id) == VoterStatus.VOTED) if rights.is_expert else None,
            )
        )
    return rows


def application_material(ctx: Context, meeting_id: int, application_id: int) -> Material:
    """The application's material for a review: profile, evidence list, the agency's review verdict,
    the panel summary (as the viewer may see it) and the interview.  Experts: only after declaring,
    never for a conflicted applicant."""
    meeting, rights = _visible_meeting(ctx, meeting_id, only={application_id})
    if not rights.can_see_application(application_id):
        raise not_found("申报")
    item = _item(ctx, meeting.id, application_id)
    assert item is not None
    app, applicant, unit = _app_identity(ctx.session, [application_id])[application_id]
    evidence = tuple(
        (e.filename, e.sha256, e.achievement_index)
        for e in ctx.session.scalars(
            select(ApplicationEvidence)
            .where(ApplicationEvidence.application_id == application_id)
            .order_by(ApplicationEvidence.id)
        )
    )
    verdict = (app.verdict_at_review or {}).get("status")
    return Material(
        application_id=app.id,
        applicant_name=applicant,
        unit_name=unit,
        level=app.level,
        route=app.route,
        profile=dict(app.profile),
        evidence=evidence,
        review_verdict=verdict,
        panel=_summary(ctx, meeting, rights, item),
        interview=_interview_view(ctx, meeting.id, application_id, staff=rights.sees_identities()),
    )


def meeting_summary(ctx: Context, meeting_id: int) -> MeetingSummary:
    """Counts and the average score — over the applications the viewer may see, and nothing else."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    items = [
        i
        for i in ctx.session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id))
        if rights.can_see_application(i.application_id)
    ]
    summaries = [_summary(ctx, meeting, rights, i) for i in items]
    scores = [o.score for s in summaries for o in s.opinions]
    return MeetingSummary(
        meeting_id=meeting.id,
        items=len(items),
        panels_complete=sum(1 for s in summaries if s.complete),
        voting=sum(1 for i in items if i.status == ItemStatus.VOTING),
        decided=sum(1 for i in items if i.status == ItemStatus.DECIDED),
        passed=sum(1 for i in items if i.status == ItemStatus.DECIDED and i.passed),
        scores=len(scores),
        average_score=_average(scores),
    )


def export_scores(ctx: Context, meeting_id: int) -> list[ScoreRow]:
    """Rows for a spreadsheet export of the panel scores, filtered exactly as the screens are."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    items = [
        i
        for i in ctx.session.scalars(
            select(MeetingItem).where(MeetingItem.meeting_id == meeting.id).order_by(MeetingItem.position)
        )
        if rights.can_see_application(i.application_id)
    ]
    ident = _app_identity(ctx.session, [i.application_id for i in items])
    rows = []
    for i in items:
        s = _summary(ctx, meeting, rights, i)
        for o in s.opinions:
            rows.append(
                ScoreRow(
                    i.application_id,
                    ident[i.application_id][1],
                    s.panel_name,
                    o.pseudonym,
                    o.score,
                    o.opinion,
                    o.expert_id,
                )
            )
    return rows


def meeting_log(ctx: Context, meeting_id: int) -> list[LogLine]:
    """The audit lines of the meeting and its agenda items, filtered by the same rights: an expert
    sees no line about a conflicted applicant, no conflict records, and no one's identity."""
    meeting, rights = _visible_meeting(ctx, meeting_id)
    prefix = f"{meeting.id}:"
    stmt = (
        select(AuditEntry)
        .where(
            ((AuditEntry.entity == "meeting") & (AuditEntry.entity_id == str(meeting.id)))
            | ((AuditEntry.entity == "meeting_item") & AuditEntry.entity_id.startswith(prefix, autoescape=True))
        )
        .order_by(AuditEntry.seq)
    )
    staff = rights.sees_identities()
    lines = []
    for e in ctx.session.scalars(stmt):
        if e.entity == "meeting_item":
            app_id = int((e.entity_id or "0:0").split(":", 1)[1])
            if not rights.can_see_application(app_id):
                continue
        # experts: the tally of a visible applicant, nothing else (lists of applicants, experts and
        # scores in other payloads could name a conflicted applicant or unmask a pseudonym)
        payload = e.payload if staff or e.action == "close_ballot" else None
        lines.append(
            LogLine(
                e.seq, e.created_at, e.action, e.entity, e.entity_id, e.role, e.actor_id if staff else None, payload
            )
        )
    return lines
