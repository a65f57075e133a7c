"""Review rights: the ONE place that answers what a user may see or do at a meeting.

HotCRP's lesson (``Contact::rights``; issues #366, #426) and OpenReview's (#351): conflicts leak
through the paths that skip the central check — lists, counts, averages, exports, logs, "act
as".  So every service function of :mod:`zhicheng.review.service` that returns data builds one
:class:`ReviewRights` for the meeting and filters through it; nothing else decides.

The rule for experts (回避):

* an expert sees a meeting only if drawn for it (a member);
* before declaring (回避申报) an expert sees only the declaration sheet (name, unit, level of each
  applicant not already known to be in conflict) — no material;
* after declaring, an expert sees an application's data only if it is on the agenda and the
  expert has no effective conflict with it (recorded and active, or detected and not dismissed);
  a conflicted application is absent from every list, count, average, export and log line, as
  if it were not on the agenda;
* panel scores are independent: an expert sees other experts' scores of an application only when
  its panel has finished, and then under pseudonyms (评委A、评委B…);
* voting needs a check-in as well.

The agency (评审服务机构) organises and sees everything of a meeting; the bureau (人社局)
supervises read-only.  Neither is subject to recusal here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from zhicheng.review.conflicts import effective_pairs
from zhicheng.store.models import ConflictDeclaration, Meeting, MeetingItem, MeetingMember, PanelMember
from zhicheng.workflow.rights import ORGANISER, SUPERVISOR, Actor

__all__ = ["ReviewRights", "review_rights"]


@dataclass(frozen=True, slots=True)
class ReviewRights:
    actor: Actor
    meeting_id: int
    agenda: frozenset[int]
    member: bool = False
    checked_in: bool = False
    declared: bool = False
    panel_apps: frozenset[int] = frozenset()
    conflicted: frozenset[int] = frozenset()

    # ---- who
    @property
    def is_organiser(self) -> bool:
        return self.actor.role == ORGANISER

    @property
    def is_staff(self) -> bool:
        """Organiser or supervisor: sees the whole meeting, real identities included."""
        return self.actor.role in (ORGANISER, SUPERVISOR)

    @property
    def is_expert(self) -> bool:
        """An expert (whether or not drawn for this meeting): experts act only for themselves."""
        return self.actor.role == "expert"

    @property
    def is_expert_member(self) -> bool:
        return self.is_expert and self.member

    # ---- the meeting
    def can_see_meeting(self) -> bool:
        return self.is_staff or self.is_expert_member

    def can_manage(self) -> bool:
        return self.is_organiser

    def can_declare(self) -> bool:
        return self.is_expert_member

    def can_check_in(self, expert_id: int) -> bool:
        """签到: an expert in person (no one signs in for another), or the organiser records attendance."""
        return self.is_organiser or (self.is_expert and expert_id == self.actor.user_id)

    # ---- one application of the agenda
    def can_see_declaration_row(self, application_id: int) -> bool:
        """The declaration sheet: identity only, and never an application already in conflict."""
        if self.is_staff:
            return application_id in self.agenda
        return self.is_expert_member and application_id in self.agenda and application_id not in self.conflicted

    def can_see_application(self, application_id: int) -> bool:
        """Any data of the application at this meeting: material, scores, counts, results, log lines."""
        if self.is_staff:
            return application_id in self.agenda
        return (
            self.is_expert_member
            and self.declared
            and application_id in self.agenda
            and application_id not in self.conflicted
        )

    def can_score(self, application_id: int) -> bool:
        return self.is_expert and application_id in self.panel_apps and self.can_see_application(application_id)

    def can_see_panel_scores(self, application_id: int, panel_complete: bool) -> bool:
        """Other experts' scores and opinions: staff always; experts once the panel has finished."""
        if not self.can_see_application(application_id):
            return False
        return self.is_staff or panel_complete

    def can_vote(self, application_id: int) -> bool:
        return self.is_expert and self.checked_in and self.can_see_application(application_id)

    def sees_identities(self) -> bool:
        """Real names of experts behind scores and log lines (else pseudonyms / roles only)."""
        return self.is_staff

    def can_read_minutes(self) -> bool:
        return self.is_staff

    def can_list_conflicts(self) -> bool:
        return self.is_staff

    # ---- filters, used by every list, count, average, export and log view
    def visible(self, application_ids: Iterable[int]) -> list[int]:
        return [a for a in application_ids if self.can_see_application(a)]


def review_rights(
    session: Session, actor: Actor, meeting: Meeting, only: Collection[int] | None = None
) -> ReviewRights:
    """Load what the rights depend on, once per service call.

    ``only``: the call concerns these applications alone (a score, a ballot, one material), so the
    rights are built for them and every other application reads as not on the agenda — a
    one-application call need not work out the conflicts of the whole agenda."""
    scope: list[ColumnElement[bool]] = [MeetingItem.meeting_id == meeting.id]
    if only is not None:
        scope.append(MeetingItem.application_id.in_(sorted(only)))
    if actor.role != "expert":
        agenda = frozenset(session.scalars(select(MeetingItem.application_id).where(*scope)))
        return ReviewRights(actor, meeting.id, agenda)
    # an expert: membership and declaration in one query, the agenda with the expert's own panel in another
    membership = session.execute(
        select(MeetingMember.checked_in, ConflictDeclaration.expert_id.is_not(None))
        .outerjoin(
            ConflictDeclaration,
            (ConflictDeclaration.meeting_id == MeetingMember.meeting_id)
            & (ConflictDeclaration.expert_id == MeetingMember.expert_id),
        )
        .where(MeetingMember.meeting_id == meeting.id, MeetingMember.expert_id == actor.user_id)
    ).first()
    if membership is None:
        agenda = frozenset(session.scalars(select(MeetingItem.application_id).where(*scope)))
        return ReviewRights(actor, meeting.id, agenda)
    checked_in, declared = membership
    rows = session.execute(
        select(MeetingItem.application_id, PanelMember.expert_id)
        .outerjoin(
            PanelMember, (PanelMember.panel_id == MeetingItem.panel_id) & (PanelMember.expert_id == actor.user_id)
        )
        .where(*scope)
    ).all()
    agenda = frozenset(a for a, _ in rows)
    conflicted = frozenset(a for _, a in effective_pairs(session, agenda, [actor.user_id]))
    return ReviewRights(
        actor,
        meeting.id,
        agenda,
        member=True,
        checked_in=bool(checked_in),
        declared=bool(declared),
        panel_apps=frozenset(a for a, panel_member in rows if panel_member is not None),
        conflicted=conflicted,
    )
