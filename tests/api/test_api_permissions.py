"""The permission matrix: EVERY endpoint as EVERY role, against an application of applicant A in a known
state, on SQLite and PostgreSQL.

Each row names one route (method + path template as registered), the application state it needs, how
to build the request, and the status each role must get. Denied means 401 for the anonymous caller of a
signed-in endpoint, 404 for an application the caller may not know exists, 403 (or the service's 409)
for one the caller sees but may not change. ``test_every_route_has_a_row`` introspects the app's routes
(its OpenAPI paths): an endpoint added without a row fails the suite.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_support import AI_SENIOR, PASSWORD, PDF, SECRET, Api, make_api, new_id_number, new_uscc, seed_user
from fastapi.testclient import TestClient

from zhicheng.store.db import transaction
from zhicheng.store.files import record_file
from zhicheng.store.models import (
    ApplicationEvidence,
    CorrectionNotice,
    Department,
    NoticeEntry,
    Objection,
    PublicNotice,
    Unit,
    User,
)
from zhicheng.store.testing import add_application, add_round, migrated_engine, postgres_unavailable_reason

D = dt.date
ROLES = ("anon", "A", "B", "unitA", "unitB", "dept", "agency", "expert", "bureau", "admin")
STAFF = ROLES[1:]
# who may see A's application once it is past the unit's review (Rights.can_view_application)
VIEWERS = ("A", "unitA", "dept", "agency", "bureau")
_n = itertools.count(1)


# ---------------------------------------------------------------- the world: one per database
@dataclass
class World:
    api: Api
    ids: dict[str, int]  # role → user id
    unit_a: int
    agency: int


@dataclass
class Scene:
    """A fresh application of A in one state, with its round, a running results notice listing it,
    an open objection, an evidence file and (in state correction) the open correction notice."""

    round_id: int
    app_id: int
    notice_id: int
    objection_id: int
    evidence_id: int


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> Iterator[World]:
    if request.param == "postgres" and (reason := postgres_unavailable_reason()):
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    with pytest.MonkeyPatch.context() as mp, migrated_engine(request.param, tmp) as engine:
        mp.setenv("ZHICHENG_SECRET_KEY", SECRET)
        app, clock = make_api(engine, tmp, D(2026, 12, 2))
        with TestClient(app) as client, transaction(engine) as s:
            dept = Department(name="新区工业和信息化局")
            s.add(dept)
            s.flush()
            unit_a = Unit(name="甲单位", uscc=new_uscc(), department_id=dept.id)
            unit_b = Unit(name="乙单位", uscc=new_uscc())
            s.add_all([unit_a, unit_b])
            s.flush()
            unit_a_id, unit_b_id, dept_id = unit_a.id, unit_b.id, dept.id
        api = Api(client, app, clock, engine)
        users = {
            "A": seed_user(engine, "applicant", password_hash, unit_id=unit_a_id, display_name="王五"),
            "B": seed_user(engine, "applicant", password_hash, unit_id=unit_a_id),
            "unitA": seed_user(engine, "unit", password_hash, unit_id=unit_a_id),
            "unitB": seed_user(engine, "unit", password_hash, unit_id=unit_b_id),
            "dept": seed_user(engine, "department", password_hash, department_id=dept_id),
            "agency": seed_user(engine, "agency", password_hash),
            "expert": seed_user(engine, "expert", password_hash),
            "bureau": seed_user(engine, "bureau", password_hash),
            "admin": seed_user(engine, "admin", password_hash),
            "spare": seed_user(engine, "applicant", password_hash, username="spare"),
        }
        for role, user in users.items():
            api.issue(role, user.id)
        yield World(api, {r: u.id for r, u in users.items()}, unit_a_id, users["agency"].id)


def make_scene(world: World, state: str) -> Scene:
    store = world.api.app.state.runtime.evidence
    stored = store.put(PDF, "材料.pdf")
    with transaction(world.api.engine) as s:
        rnd = add_round(
            s,
            year=2026,
            document_id="ai_bj_2020",
            levels=["engineer", "senior_engineer"],
            window_start=D(2026, 9, 1),
            window_end=D(2026, 12, 31),
            created_by=world.agency,
        )
        applicant = s.get(User, world.ids["A"])
        assert applicant is not None
        app = add_application(
            s, rnd, applicant, level="senior_engineer", state=state, unit_id=world.unit_a, profile=AI_SENIOR
        )
        notice = PublicNotice(
            kind="results",
            round_id=rnd.id,
            title="评审结果公示",
            start_date=D(2026, 12, 1),
            end_date=D(2026, 12, 7),
            created_by=world.agency,
        )
        s.add(notice)
        s.flush()
        s.add(NoticeEntry(notice_id=notice.id, application_id=app.id))
        objection = Objection(
            notice_id=notice.id, application_id=app.id, content="该申报人论文署名有误，请核查。", contact="13800000000"
        )
        s.add(objection)
        if state == "correction":
            s.add(
                CorrectionNotice(
                    application_id=app.id, items=["补充材料"], issued_by=world.agency, due_date=D(2026, 12, 10)
                )
            )
        record_file(s, stored.sha256, len(PDF), stored.media_type)
        ev = ApplicationEvidence(application_id=app.id, sha256=stored.sha256, filename="材料.pdf")
        s.add(ev)
        s.flush()
        return Scene(rnd.id, app.id, notice.id, objection.id, ev.id)


# ---------------------------------------------------------------- expectations
def public(code: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, code)


def signed_in(code: int) -> dict[str, int]:
    return {"anon": 401} | dict.fromkeys(STAFF, code)


def only(code: int, *roles: str, others: int = 403, **special: int) -> dict[str, int]:
    return {"anon": 401} | dict.fromkeys(STAFF, others) | dict.fromkeys(roles, code) | special


def viewers(code: int, **special: int) -> dict[str, int]:
    """Viewers of A's application get ``code`` (or their special code); everyone else 404."""
    return {"anon": 401} | dict.fromkeys(STAFF, 404) | dict.fromkeys(VIEWERS, code) | special


Build = Callable[[World, Scene, str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict[str, int]
    build: Build
    state: str | None = None  # a fresh scene in this state for every role

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def url(template: str, **extra: Any) -> Build:
    def build(w: World, sc: Scene, role: str) -> dict[str, Any]:
        values = {
            "round_id": sc.round_id if sc else 0,
            "application_id": sc.app_id if sc else 0,
            "notice_id": sc.notice_id if sc else 0,
            "objection_id": sc.objection_id if sc else 0,
            "evidence_id": sc.evidence_id if sc else 0,
        }
        return {"url": template.format(**values), **extra}

    return build


def with_json(template: str, body: Callable[[World, Scene, str], Any]) -> Build:
    def build(w: World, sc: Scene, role: str) -> dict[str, Any]:
        return url(template)(w, sc, role) | {"json": body(w, sc, role)}

    return build


def fresh_token(w: World, sc: Scene, role: str) -> dict[str, Any]:
    out: dict[str, Any] = {"url": "/api/auth/logout"}
    if role != "anon":
        out["token"] = w.api.issue(f"{role}-logout-{next(_n)}", w.ids[role])
    return out


def upload(w: World, sc: Scene, role: str) -> dict[str, Any]:
    return {"url": f"/api/applications/{sc.app_id}/evidence", "files": {"file": ("补充.pdf", PDF, "application/pdf")}}


CALENDAR_2027 = {
    "year": 2027,
    "source": {"title": "示例（非官方数据）", "doc_no": "示例〔2027〕0号", "published": "2026-11-01"},
    "holidays": [{"name": "春节", "start": "2027-02-05", "end": "2027-02-12"}],
    "makeup_workdays": ["2027-02-20"],
}
ROUND = {
    "document_id": "ai_bj_2020",
    "levels": ["senior_engineer"],
    "kind": "annual",
    "year": 2026,
    "title": "矩阵测试轮次",
    "window_start": "2026-12-01",
    "window_end": "2026-12-31",
}
CHECK = {"profile": AI_SENIOR, "document": "ai_bj_2020", "level": "senior_engineer", "as_of": "2026-09-01"}

ROWS: tuple[Row, ...] = (
    Row("GET", "/api/health", public(200), url("/api/health")),
    Row("GET", "/api/standards", public(200), url("/api/standards")),
    Row("GET", "/api/standards/{document}/{level}", public(200), url("/api/standards/ai_bj_2020/senior_engineer")),
    Row("POST", "/api/check", public(200), with_json("/api/check", lambda w, sc, r: CHECK)),
    Row(
        "POST",
        "/api/auth/register",
        public(201),
        with_json(
            "/api/auth/register",
            lambda w, sc, r: {
                "username": f"reg{next(_n)}",
                "password": PASSWORD,
                "display_name": "新用户",
                "id_number": new_id_number(),
            },
        ),
    ),
    Row(
        "POST",
        "/api/auth/login",
        public(200),
        with_json("/api/auth/login", lambda w, sc, r: {"username": "spare", "password": PASSWORD}),
    ),
    Row("POST", "/api/auth/logout", signed_in(204), fresh_token),
    Row("GET", "/api/me", signed_in(200), url("/api/me")),
    Row(
        "POST",
        "/api/users",
        only(201, "admin"),
        with_json(
            "/api/users",
            lambda w, sc, r: {
                "username": f"staff{next(_n)}",
                "password": PASSWORD,
                "display_name": "专家",
                "role": "expert",
            },
        ),
    ),
    Row(
        "POST",
        "/api/units",
        only(201, "admin"),
        with_json("/api/units", lambda w, sc, r: {"name": f"单位{next(_n)}", "uscc": new_uscc()}),
    ),
    Row(
        "POST",
        "/api/departments",
        only(201, "admin"),
        with_json("/api/departments", lambda w, sc, r: {"name": f"主管部门{next(_n)}"}),
    ),
    Row("POST", "/api/rounds", only(201, "agency"), with_json("/api/rounds", lambda w, sc, r: ROUND)),
    Row("GET", "/api/rounds", signed_in(200), url("/api/rounds")),
    Row("GET", "/api/rounds/{round_id}", signed_in(200), url("/api/rounds/{round_id}"), "agency_review"),
    Row("GET", "/api/public/rounds", public(200), url("/api/public/rounds")),
    Row(
        "POST",
        "/api/applications",
        only(201, "A", "B"),
        with_json(
            "/api/applications",
            lambda w, sc, r: {"round_id": sc.round_id, "level": "engineer", "profile": AI_SENIOR},
        ),
        "agency_review",
    ),
    Row("GET", "/api/applications", signed_in(200), url("/api/applications")),
    Row(
        "GET",
        "/api/applications/{application_id}",
        viewers(200),
        url("/api/applications/{application_id}"),
        "agency_review",
    ),
    Row(
        "PATCH",
        "/api/applications/{application_id}",
        # the service answers a viewer who is not the applicant with 409 ("只有申报人本人…")
        viewers(409, A=200),
        with_json("/api/applications/{application_id}", lambda w, sc, r: {"profile": AI_SENIOR, "version": 1}),
        "correction",
    ),
    Row(
        "POST",
        "/api/applications/{application_id}/actions/{action}",
        viewers(403, agency=200),
        with_json(
            "/api/applications/{application_id}/actions/request_correction",
            lambda w, sc, r: {"version": 1, "data": {"items": ["补充论文检索证明"], "workdays": 5}},
        ),
        "agency_review",
    ),
    Row(
        "GET",
        "/api/applications/{application_id}/verdict",
        viewers(200),
        url("/api/applications/{application_id}/verdict"),
        "agency_review",
    ),
    Row(
        "POST",
        "/api/applications/{application_id}/evidence",
        viewers(409, A=201),
        upload,
        "correction",
    ),
    Row(
        "GET",
        "/api/applications/{application_id}/evidence",
        viewers(200),
        url("/api/applications/{application_id}/evidence"),
        "agency_review",
    ),
    Row(
        "GET",
        "/api/applications/{application_id}/evidence/{evidence_id}",
        viewers(200),
        url("/api/applications/{application_id}/evidence/{evidence_id}"),
        "agency_review",
    ),
    Row(
        "GET",
        "/api/applications/{application_id}/objections",
        viewers(200),
        url("/api/applications/{application_id}/objections"),
        "results_notice",
    ),
    Row(
        "POST",
        "/api/objections/{objection_id}/decision",
        only(200, "agency"),
        with_json("/api/objections/{objection_id}/decision", lambda w, sc, r: {"upheld": False, "decision": "不属实"}),
        "results_notice",
    ),
    Row("GET", "/api/notices", public(200), url("/api/notices")),
    Row("GET", "/api/notices/{notice_id}", public(200), url("/api/notices/{notice_id}"), "results_notice"),
    Row(
        "GET",
        "/api/notices/{notice_id}/entries",
        public(200),
        url("/api/notices/{notice_id}/entries"),
        "results_notice",
    ),
    Row(
        "POST",
        "/api/notices/{notice_id}/objections",
        public(201),
        with_json(
            "/api/notices/{notice_id}/objections",
            lambda w, sc, r: {
                "application_id": sc.app_id,
                "content": "论文第三篇并非第一作者，请核查。",
                "contact": "x@y",
            },
        ),
        "results_notice",
    ),
    Row(
        "POST",
        "/api/sanctions",
        only(201, "bureau"),
        with_json(
            "/api/sanctions",
            lambda w, sc, r: {
                "id_number": new_id_number(),
                "kind": "disciplinary",
                "start": "2026-01-01",
                "end": "2026-06-30",
                "reason": "警告处分",
                "source": "某纪委决定",
            },
        ),
    ),
    Row(
        "POST",
        "/api/calendar/years",
        only(200, "admin"),
        with_json("/api/calendar/years", lambda w, sc, r: CALENDAR_2027),
    ),
    Row("GET", "/api/calendar/coverage", public(200), url("/api/calendar/coverage")),
    Row(
        "POST",
        "/api/catalog/extensions",
        only(200, "agency", "admin"),
        with_json(
            "/api/catalog/extensions",
            lambda w, sc, r: {
                "document_id": "iiot_qd_2023",
                "until": "2027-06-12",
                "basis": "测试：假定的延续执行通知",
            },
        ),
    ),
    Row("GET", "/api/audit", only(200, "bureau", "admin"), url("/api/audit")),
    Row("GET", "/api/audit/verify", only(200, "bureau", "admin"), url("/api/audit/verify")),
)


def test_every_route_has_a_row(world: World) -> None:
    # every operation the app serves under /api, as its OpenAPI document lists them
    routes = {
        (method.upper(), path)
        for path, operations in world.api.app.openapi()["paths"].items()
        if path.startswith("/api")
        for method in operations
    }
    rows = [row.key for row in ROWS]
    assert len(rows) == len(set(rows)), "duplicate rows"
    assert routes - set(rows) == set(), "endpoints without a row in the permission matrix"
    assert set(rows) - routes == set(), "rows for endpoints that do not exist"
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.key


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_matrix(world: World, row: Row) -> None:
    wrong = []
    for role in ROLES:
        scene = make_scene(world, row.state) if row.state else None
        spec = row.build(world, scene, role)  # type: ignore[arg-type]
        who = spec.pop("token", None) or (None if role == "anon" else role)
        r = world.api.call(who, row.method, spec.pop("url"), **spec)
        expected = row.expect[role]
        if r.status_code != expected:
            wrong.append(f"{role}: expected {expected}, got {r.status_code} {r.text[:160]}")
        elif r.status_code >= 400:
            err = r.json()["error"]
            assert err["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), r.text
    assert not wrong, f"{row.method} {row.path}\n" + "\n".join(wrong)


def test_denied_callers_learn_nothing_about_the_application(world: World) -> None:
    scene = make_scene(world, "agency_review")
    bodies = {
        role: world.api.get(role, f"/api/applications/{scene.app_id}").json() for role in ("B", "unitB", "expert")
    }
    missing = world.api.get("admin", "/api/applications/2147483647").json()
    for body in bodies.values():  # indistinguishable from an application that does not exist
        assert body == missing
