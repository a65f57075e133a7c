"""Pydantic models shared by the routers, and the OpenAPI error responses every operation documents."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from zhicheng.api.errors import ERRORS, errors
from zhicheng.api.policy import Page
from zhicheng.store.models import Unit, User
from zhicheng.workflow.rights import ROLE_NAMES

__all__ = ["ERRORS", "In", "Me", "Page", "UnitRef", "errors", "me_of", "unit_ref"]


class In(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class UnitRef(BaseModel):
    id: int
    name: str
    uscc: str


class Me(BaseModel):
    """An account as its owner (or an admin) sees it; the ID number only ever masked."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit: UnitRef | None
    department_id: int | None
    id_number_masked: str | None


def unit_ref(session: Session, unit_id: int | None) -> UnitRef | None:
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return UnitRef(id=unit.id, name=unit.name, uscc=unit.uscc) if unit else None


def me_of(session: Session, user: User) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=ROLE_NAMES.get(user.role, user.role),
        unit=unit_ref(session, user.unit_id),
        department_id=user.department_id,
        id_number_masked=user.id_number_masked,
    )
