"""Every permission question goes to this one object (HotCRP's Contact::rights lesson: leaks come from
paths that skip it). Routers, pages, exports and list queries ask `Rights`, never the role directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zhicheng.workflow.procedures import PROCEDURES, VETO, Action, Procedure

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
class Rights:
    actor: Actor
    # units under the actor's competent department (Qingdao); resolved by the caller from the store
    department_units: frozenset[int] = frozenset()

    # ---- what the actor may see
    def can_view_application(self, app: ApplicationLike) -> bool:
        a = self.actor
        if a.role == "applicant":
            return app.applicant_id == a.user_id
        if a.role == "unit":
            return app.unit_id is not None and app.unit_id == a.unit_id and app.state != "draft"
        if a.role == "department":
            return app.unit_id in self.department_units and app.state not in ("draft", "unit_review")
        if a.role in ("agency", "bureau"):
            return app.state != "draft"
        return False  # experts see applications only through their meeting assignments (review rights)

    def application_scope(self) -> tuple[str, int | frozenset[int] | None]:
        """How a list query must be filtered: ('applicant', id) | ('unit', id) | ('units', ids) | ('all', None)
        | ('none', None). List endpoints apply exactly this, so lists and counts never leak."""
        a = self.actor
        if a.role == "applicant":
            return "applicant", a.user_id
        if a.role == "unit" and a.unit_id is not None:
            return "unit", a.unit_id
        if a.role == "department":
            return "units", self.department_units
        if a.role in ("agency", "bureau"):
            return "all", None
        return "none", None

    # ---- what the actor may do
    def procedure(self, app: ApplicationLike) -> Procedure:
        from zhicheng.policy.catalog import default_catalog

        return PROCEDURES[default_catalog().document(app.document_id).procedure]

    def allowed_actions(self, app: ApplicationLike) -> list[Action]:
        if not self.can_view_application(app):
            return []
        proc = self.procedure(app)
        step = proc.step(app.state)
        out = list(step.actions) if self.actor.role == step.role else []
        if self.actor.role == "bureau" and not step.final:
            out.append(VETO)
        return out

    def can_act(self, app: ApplicationLike, action: str) -> bool:
        return any(a.name == action for a in self.allowed_actions(app))

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

    def can_load_calendar(self) -> bool:
        return self.actor.role == "admin"

    def can_register_extension(self) -> bool:
        return self.actor.role in ("agency", "admin")

    def can_manage_users(self) -> bool:
        return self.actor.role == "admin"
