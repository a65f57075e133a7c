"""Every permission question goes to this one object (HotCRP's Contact::rights lesson: leaks come from
paths that skip it). Routers, pages, exports and list queries ask `Rights`, never the role directly.

Review meetings have their own object (review/rights.py `ReviewRights`, built per meeting); the
questions that come before any meeting (committees, the expert pool, who organises) are answered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from zhicheng.workflow.procedures import PROCEDURES, VETO, Action, Procedure, Step

ROLES = ("applicant", "unit", "department", "agency", "expert", "bureau", "admin")
ROLE_NAMES = {
    "applicant": "申报人",
    "unit": "用人单位",
    "department": "主管部门",
    "agency": "评审服务机构",
    "expert": "评审专家",
    "bureau": "人社局",
    "admin": "系统管理员",
    "system": "系统",
}
ALL_STATES: frozenset[str] = frozenset(s for p in PROCEDURES.values() for s in p.steps)
# States a role never sees of the applications in its scope: a draft is the applicant's own until it is
# submitted; the competent department (Qingdao) sees an application once its unit has reviewed it.
HIDDEN_STATES: dict[str, frozenset[str]] = {
    "applicant": frozenset(),
    "unit": frozenset({"draft"}),
    "department": frozenset({"draft", "unit_review"}),
    "agency": frozenset({"draft"}),
    "bureau": frozenset({"draft"}),
}
ORGANISER = "agency"  # 评审服务机构 / 组建单位: organises committees, meetings and ballots
SUPERVISOR = "bureau"  # 人社局: supervises review read-only, may record a committee's filing (备案)

ScopeKind = Literal["applicant", "unit", "units", "all", "none"]


class ApplicationLike(Protocol):
    applicant_id: int
    unit_id: int | None
    state: str
    document_id: str


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    role: str
    unit_id: int | None = None
    department_id: int | None = None


@dataclass(frozen=True, slots=True)
class ApplicationScope:
    """Which applications an actor may see: whose (``kind`` + ``ids``) and in which ``states``.

    kind ``applicant`` (ids: the user id), ``unit`` (one unit id), ``units`` (a set of unit ids), ``all``
    or ``none``. List endpoints turn exactly this into their WHERE clause, and ``can_view_application``
    answers from it too, so lists, counts and the detail check can never disagree."""

    kind: ScopeKind
    ids: int | frozenset[int] | None
    states: frozenset[str]

    def covers(self, app: ApplicationLike) -> bool:
        if app.state not in self.states:
            return False
        if self.kind == "applicant":
            return app.applicant_id == self.ids
        if self.kind == "unit":
            return app.unit_id is not None and app.unit_id == self.ids
        if self.kind == "units":
            return isinstance(self.ids, frozenset) and app.unit_id in self.ids
        return self.kind == "all"


NO_SCOPE = ApplicationScope("none", None, frozenset())


@dataclass(frozen=True, slots=True)
class Rights:
    actor: Actor
    # units under the actor's competent department (Qingdao); resolved by the caller from the store
    department_units: frozenset[int] = frozenset()

    # ---- what the actor may see
    def application_scope(self) -> ApplicationScope:
        """Whose applications and which of their states the actor sees (experts: none here — they see
        applications only through their meeting assignments, review/rights.py)."""
        a = self.actor
        hidden = HIDDEN_STATES.get(a.role)
        if hidden is None:
            return NO_SCOPE
        states = ALL_STATES - hidden
        if a.role == "applicant":
            return ApplicationScope("applicant", a.user_id, states)
        if a.role == "unit":
            return ApplicationScope("unit", a.unit_id, states) if a.unit_id is not None else NO_SCOPE
        if a.role == "department":
            return ApplicationScope("units", self.department_units, states)
        return ApplicationScope("all", None, states)

    def can_view_application(self, app: ApplicationLike) -> bool:
        return self.application_scope().covers(app)

    def owns_application(self, app: ApplicationLike) -> bool:
        return self.actor.role == "applicant" and app.applicant_id == self.actor.user_id

    # ---- what the actor may do
    def procedure(self, app: ApplicationLike) -> Procedure:
        from zhicheng.policy.catalog import default_catalog

        return PROCEDURES[default_catalog().document(app.document_id).procedure]

    def _step(self, app: ApplicationLike) -> Step | None:
        return self.procedure(app).steps.get(app.state)

    def can_veto(self, app: ApplicationLike) -> bool:
        """一票否决: the bureau, on any application it sees that has not reached a final step."""
        step = self._step(app)
        return self.actor.role == "bureau" and self.can_view_application(app) and step is not None and not step.final

    def allowed_actions(self, app: ApplicationLike) -> list[Action]:
        step = self._step(app)
        if step is None or not self.can_view_application(app):
            return []
        out = list(step.actions) if self.actor.role == step.role else []
        if self.can_veto(app):
            out.append(VETO)
        return out

    def offered_actions(self, app: ApplicationLike) -> list[Action]:
        """The actions a page or the API offers the user now: the allowed ones a person takes by hand."""
        return [a for a in self.allowed_actions(app) if not a.automatic]

    def can_act(self, app: ApplicationLike, action: str) -> bool:
        return any(a.name == action for a in self.allowed_actions(app))

    def can_create_application(self) -> bool:
        return self.actor.role == "applicant"

    def can_edit_application(self, app: ApplicationLike) -> bool:
        """Materials (profile, route, evidence) change only by the applicant, and only while the step is
        the applicant's own in the procedure data (填写申报材料, 补正材料). Callers tell the owner outside
        those steps (409, with the step) from anyone else (403, or 404 if they cannot see it)."""
        step = self._step(app)
        return self.owns_application(app) and step is not None and step.role == "applicant"

    # ---- everything else, one question each
    def can_open_round(self) -> bool:
        return self.actor.role == "agency"

    def can_manage_notices(self) -> bool:
        return self.actor.role in ("unit", "agency")

    def can_decide_objection(self, notice_kind: str, notice_unit_id: int | None) -> bool:
        if notice_kind == "unit":
            return self.actor.role == "unit" and self.actor.unit_id == notice_unit_id
        return self.actor.role == "agency"

    def can_read_audit(self) -> bool:
        return self.actor.role in ("bureau", "admin")

    def can_record_sanctions(self) -> bool:
        return self.actor.role == "bureau"

    def can_read_sanctions(self) -> bool:
        """The integrity archive (处分、失信记录): the bureau keeps it; the agency checks bars at review."""
        return self.actor.role in ("bureau", "agency")

    def can_load_calendar(self) -> bool:
        return self.actor.role == "admin"

    def can_register_extension(self) -> bool:
        return self.actor.role in ("agency", "admin")

    def can_manage_users(self) -> bool:
        return self.actor.role == "admin"

    # ---- expert review, before any meeting (per-meeting questions: review/rights.py ReviewRights)
    def can_organise_review(self) -> bool:
        """Committees, the expert pool, meetings, draws, conflicts the agency records, ballots."""
        return self.actor.role == ORGANISER

    def can_see_committees(self) -> bool:
        """Committees, their filings and pools, the experts' register (the organiser and the supervisor)."""
        return self.actor.role in (ORGANISER, SUPERVISOR)

    def can_record_filing(self) -> bool:
        """核准备案 of a committee: recorded by the organiser or by the bureau that approves it."""
        return self.actor.role in (ORGANISER, SUPERVISOR)

    def can_verify_draw(self) -> bool:
        return self.actor.role in (ORGANISER, SUPERVISOR)

    def meeting_scope(self) -> Literal["all", "own", "none"]:
        """Which meetings an actor lists: staff all, an expert the ones drawn for, anyone else none."""
        if self.actor.role in (ORGANISER, SUPERVISOR):
            return "all"
        return "own" if self.actor.role == "expert" else "none"

    # ---- certificates and the integrity archive (zhicheng.certificates, zhicheng.integrity)
    def can_accept_results(self) -> bool:
        """验收 / 核准备案 of a meeting's results, recording the approval number."""
        return self.actor.role == "bureau"

    def can_issue_certificate(self) -> bool:
        return self.actor.role == "agency"

    def can_view_certificate(self, holder_id: int) -> bool:
        a = self.actor
        return a.role in ("agency", "bureau") or (a.role == "applicant" and a.user_id == holder_id)

    def certificate_scope(self) -> tuple[str, int | None]:
        """('holder', user id) | ('all', None) | ('none', None): the filter every certificate list applies."""
        if self.actor.role == "applicant":
            return "holder", self.actor.user_id
        return ("all", None) if self.actor.role in ("agency", "bureau") else ("none", None)

    def can_read_verification_log(self, holder_id: int) -> bool:
        """Who looked up a certificate is the holder's business only."""
        return self.actor.role == "applicant" and self.actor.user_id == holder_id

    def can_revoke(self) -> bool:
        """Suspend, reinstate or revoke a certificate; record integrity findings (bars, veto)."""
        return self.actor.role == "bureau"

    def can_read_integrity_archive(self) -> bool:
        return self.actor.role == "bureau"

    # ---- spreadsheets and statistics (zhicheng.exchange, zhicheng.stats)
    def can_import(self, kind: str) -> bool:
        """Spreadsheet import: applications by the agency or an admin; experts only by the agency, the one role
        that registers experts (review.service.register_expert).  Both may create accounts without a password."""
        if kind == "experts":
            return self.actor.role == "agency"
        return kind == "applications" and self.actor.role in ("agency", "admin")

    def can_view_statistics(self) -> bool:
        """Season statistics (counts and pass rates across all units): the bureau and the agency."""
        return self.actor.role in ("agency", "bureau")

    # ---- account activation and password reset codes (zhicheng.accounts.activation)
    def account_code_scope(self) -> tuple[Literal["all", "unit", "none"], int | None]:
        """Whose accounts the actor may issue 激活码 / 密码重置码 for: the agency any applicant's or expert's,
        an employer unit its own applicants' (``("unit", unit id)``), nobody else anyone's."""
        a = self.actor
        if a.role == "agency":
            return "all", None
        if a.role == "unit" and a.unit_id is not None:
            return "unit", a.unit_id
        return "none", None

    def can_issue_account_code(self, role: str, unit_id: int | None) -> bool:
        """One account: applicants and experts only (staff passwords are the admin's business)."""
        kind, scope_unit = self.account_code_scope()
        if role not in ("applicant", "expert"):
            return False
        if kind == "all":
            return True
        return kind == "unit" and role == "applicant" and unit_id is not None and unit_id == scope_unit
