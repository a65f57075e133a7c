"""Lists and counts never include applications the caller may not see; pagination is consistent.

Three applicants in two units (one under a competent department) each have an application in every
state of the procedures; every role's list and count must equal exactly the applications
``Rights.can_view_application`` lets it see — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import AI_SENIOR, Api, D, seed_user
from sqlalchemy import select

from zhicheng.api.views import ALL_STATES
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Department, Unit
from zhicheng.store.testing import add_application, add_round
from zhicheng.workflow.rights import Actor, Rights
from zhicheng.workflow.service import actor_for


@pytest.fixture
def people(api: Api, password_hash: str) -> dict[str, Any]:
    with transaction(api.engine) as s:
        dept = Department(name="主管部门甲")
        s.add(dept)
        s.flush()
        u1 = Unit(name="单位一", uscc="91350100M000100Y43", department_id=dept.id)
        u2 = Unit(name="单位二", uscc="91440300708461136T")
        s.add_all([u1, u2])
        s.flush()
        ids = {"u1": u1.id, "u2": u2.id, "dept": dept.id}
    users = {
        "a1": seed_user(api.engine, "applicant", password_hash, unit_id=ids["u1"]),
        "a2": seed_user(api.engine, "applicant", password_hash, unit_id=ids["u1"]),
        "a3": seed_user(api.engine, "applicant", password_hash, unit_id=ids["u2"]),
        "unit1": seed_user(api.engine, "unit", password_hash, unit_id=ids["u1"]),
        "unit2": seed_user(api.engine, "unit", password_hash, unit_id=ids["u2"]),
        "dept": seed_user(api.engine, "department", password_hash, department_id=ids["dept"]),
        "agency": seed_user(api.engine, "agency", password_hash),
        "bureau": seed_user(api.engine, "bureau", password_hash),
        "expert": seed_user(api.engine, "expert", password_hash),
        "admin": seed_user(api.engine, "admin", password_hash),
    }
    with transaction(api.engine) as s:
        for state in ALL_STATES:
            rnd = add_round(s, year=2026, document_id="ai_bj_2020", levels=["senior_engineer"])
            for key in ("a1", "a2", "a3"):
                user = users[key]
                add_application(
                    s, rnd, user, level="senior_engineer", state=state, unit_id=user.unit_id, profile=AI_SENIOR
                )
    for name, user in users.items():
        api.issue(name, user.id)
    return {"users": users, "dept": ids["dept"]}


def visible_ids(api: Api, user: Any) -> set[int]:
    """What Rights.can_view_application says, application by application."""
    with transaction(api.engine) as s:
        units: frozenset[int] = frozenset()
        if user.role == "department":
            units = frozenset(s.scalars(select(Unit.id).where(Unit.department_id == user.department_id)))
        rights = Rights(actor_for(user), units)
        return {a.id for a in s.scalars(select(Application)) if rights.can_view_application(a)}


def listed(api: Api, who: str, **params: Any) -> tuple[int, list[int]]:
    r = api.get(who, "/api/applications", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    return body["total"], [item["id"] for item in body["items"]]


def test_every_role_lists_and_counts_exactly_what_it_may_see(api: Api, people: dict[str, Any]) -> None:
    for name, user in people["users"].items():
        expected = visible_ids(api, user)
        total, ids = listed(api, name)
        assert total == len(expected) and set(ids) == expected, name
        for state in ("draft", "unit_review", "agency_review"):  # a filter never widens the scope
            total, ids = listed(api, name, state=state)
            assert set(ids) <= expected and total == len(ids), (name, state)
    sizes = {name: len(visible_ids(api, u)) for name, u in people["users"].items()}
    assert sizes["expert"] == sizes["admin"] == 0
    assert sizes["a1"] == len(ALL_STATES)
    assert 0 < sizes["dept"] < sizes["unit1"] < sizes["agency"]
    assert listed(api, "unit1", state="draft") == (0, [])


def test_pages_cover_the_list_once(api: Api, people: dict[str, Any]) -> None:
    total, everything = listed(api, "agency")
    seen: list[int] = []
    for offset in range(0, total + 7, 7):
        r = api.get("agency", "/api/applications", params={"offset": offset, "limit": 7})
        body = r.json()
        assert body["total"] == total and body["offset"] == offset and body["limit"] == 7
        seen += [i["id"] for i in body["items"]]
    assert seen == everything and len(set(seen)) == total


def test_paging_limits_are_enforced_in_chinese(api: Api, people: dict[str, Any]) -> None:
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}):
        r = api.get("agency", "/api/applications", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"]["fields"][0]["path"] in ("limit", "offset")
        assert "不能" in r.json()["error"]["fields"][0]["message"]
    for url in ("/api/rounds", "/api/notices", "/api/public/rounds", "/api/audit", "/api/standards"):
        assert api.get("admin", url, params={"limit": 101}).status_code == 422, url


def test_the_list_filter_agrees_with_rights_for_every_role_and_state() -> None:
    """The SQL filter is derived from Rights; check it against Rights on every (role, state) pair."""
    from zhicheng.api.views import visibility_filter
    from zhicheng.store.models import Application as A

    for actor, units in (
        (Actor(1, "applicant", unit_id=5), frozenset[int]()),
        (Actor(2, "unit", unit_id=5), frozenset[int]()),
        (Actor(3, "department", department_id=1), frozenset({5, 6})),
        (Actor(4, "department", department_id=2), frozenset[int]()),
        (Actor(5, "agency"), frozenset[int]()),
        (Actor(6, "bureau"), frozenset[int]()),
        (Actor(7, "expert"), frozenset[int]()),
        (Actor(8, "admin"), frozenset[int]()),
    ):
        rights = Rights(actor, units)
        clause = str(visibility_filter(rights).compile(compile_kwargs={"literal_binds": True}))
        for state in ALL_STATES:
            probe = A(applicant_id=1, unit_id=5, state=state, document_id="ai_bj_2020")
            if rights.can_view_application(probe):
                assert f"'{state}'" in clause, (actor.role, state, clause)
            elif actor.role in ("unit", "department", "agency", "bureau"):
                assert f"'{state}'" not in clause, (actor.role, state, clause)


def test_round_and_notice_lists_paginate(api: Api, people: dict[str, Any]) -> None:
    body = api.get("a1", "/api/rounds", params={"limit": 5, "offset": 2}).json()
    assert body["total"] == len(ALL_STATES) and len(body["items"]) == 5 and body["offset"] == 2
    api.clock.set(D(2025, 6, 10))
    public = api.get(None, "/api/public/rounds", params={"limit": 100}).json()
    assert public["total"] == len(ALL_STATES) and all(r["accepting"] for r in public["items"])
    api.clock.set(D(2025, 7, 1))
    assert api.get(None, "/api/public/rounds").json()["total"] == 0
