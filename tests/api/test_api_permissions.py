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
from review_support import FILING, build_meeting, run, seat

from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.files import record_file
from zhicheng.store.models import (
    ApplicationEvidence,
    CorrectionNotice,
    Department,
    NoticeEntry,
    Objection,
    PublicNotice,
    Round,
    Unit,
    User,
)
from zhicheng.store.testing import add_application, add_round, migrated_engine, postgres_unavailable_reason
from zhicheng.workflow.rights import Actor

D = dt.date
TODAY = D(2026, 12, 2)
# "expert" and "recused" are both members of every review meeting below; "recused" declared a kinship with
# applicant A, so for A's application it must get exactly what an outsider gets (HotCRP's lesson)
ROLES = ("anon", "A", "B", "unitA", "unitB", "dept", "agency", "expert", "recused", "bureau", "admin")
STAFF = ROLES[1:]
# who may see A's application once it is past the unit's review (Rights.can_view_application)
VIEWERS = ("A", "unitA", "dept", "agency", "bureau")
MEMBERS = ("expert", "recused")
REVIEW_STAFF = ("agency", "bureau")
_n = itertools.count(1)


# ---------------------------------------------------------------- the world: one per database
@dataclass
class World:
    api: Api
    ids: dict[str, int]  # role → user id
    unit_a: int
    agency: int
    committee_id: int = 0  # its pool: expert, recused and three more experts (e1..e3)
    others: tuple[int, ...] = ()  # e1..e3

    def actor(self, role: str) -> Actor:
        return Actor(self.ids[role], "agency" if role == "agency" else "expert")

    @property
    def members(self) -> list[Actor]:
        return [self.actor("expert"), self.actor("recused"), *(Actor(i, "expert") for i in self.others)]


@dataclass
class Scene:
    """A fresh application of A in one state, with its round, a running results notice listing it,
    an open objection, an evidence file and (in state correction) the open correction notice."""

    round_id: int
    app_id: int
    notice_id: int
    objection_id: int
    evidence_id: int
    meeting_id: int = 0
    conflict_id: int = 0
    other_app_id: int = 0


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> Iterator[World]:
    if request.param == "postgres" and (reason := postgres_unavailable_reason()):
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    with pytest.MonkeyPatch.context() as mp, migrated_engine(request.param, tmp) as engine:
        mp.setenv("ZHICHENG_SECRET_KEY", SECRET)
        app, clock = make_api(engine, tmp, TODAY)
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
            "recused": seed_user(engine, "expert", password_hash, display_name="须回避的专家"),
            "bureau": seed_user(engine, "bureau", password_hash),
            "admin": seed_user(engine, "admin", password_hash),
            "spare": seed_user(engine, "applicant", password_hash, username="spare"),
        }
        for role, user in users.items():
            api.issue(role, user.id)
        others = tuple(seed_user(engine, "expert", password_hash).id for _ in range(3))
        w = World(api, {r: u.id for r, u in users.items()}, unit_a_id, users["agency"].id, others=others)
        w.committee_id = seat(engine, w.actor("agency"), [m.user_id for m in w.members], TODAY)
        yield w


def make_review_scene(world: World, phase: str) -> Scene:
    """A's application waiting for the committee, on a meeting of all five pool experts taken to ``phase``
    (review_support.build_meeting), and another application of B ready for an agenda."""
    scene = make_scene(world, "committee")
    with transaction(world.api.engine) as s:
        other = add_application(
            s,
            s.get(Round, scene.round_id),
            s.get(User, world.ids["B"]),
            level="senior_engineer",
            state="committee",
            unit_id=world.unit_a,
            profile=AI_SENIOR,
        )
        scene.other_app_id = other.id
    recused = world.actor("recused")
    sitting = build_meeting(
        world.api.engine,
        agency=world.actor("agency"),
        committee_id=world.committee_id,
        app_id=scene.app_id,
        panel=[m for m in world.members if m != recused],
        recused=recused,
        members=world.members,
        today=TODAY,
        phase=phase,
    )
    scene.meeting_id, scene.conflict_id = sitting.meeting_id, sitting.conflict_id or 0
    return scene


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


def at_meeting(code: int, *, recused: int | None = None, **special: int) -> dict[str, int]:
    """Staff and the meeting's experts get ``code``; the recused expert ``recused`` (default: the same);
    anyone else cannot know the meeting exists (404)."""
    out = {"anon": 401} | dict.fromkeys(STAFF, 404) | dict.fromkeys((*REVIEW_STAFF, *MEMBERS), code)
    return out | {"recused": code if recused is None else recused} | special


def on_application(code: int, **special: int) -> dict[str, int]:
    """Data of A's application at the meeting: staff and the expert get ``code``; the recused expert gets
    what an outsider gets (404, as if A were not on the agenda)."""
    return at_meeting(code, recused=404, **special)


Build = Callable[[World, Scene, str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict[str, int]
    build: Build
    state: str | None = None  # a fresh scene in this state for every role
    phase: str | None = None  # one review scene in this phase (review_support.PHASES) shared by all roles

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
            "meeting_id": sc.meeting_id if sc else 0,
            "conflict_id": sc.conflict_id if sc else 0,
            "committee_id": w.committee_id,
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
        # a viewer who is not the applicant: 403 (Rights.can_edit_application); A outside 填写/补正: 409
        viewers(403, A=200),
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
        viewers(403, A=201),
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
                "name": "李明",
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


# ---------------------------------------------------------------- expert review (api/review.py)
MEETING = "/api/meetings/{meeting_id}"
ON_A = MEETING + "/applications/{application_id}"
DRAW = {"size": 5, "panels": [{"name": "评议组", "application_ids": [], "size": 4}], "exclude_conflicted": False}


def draw_body(w: World, sc: Scene, role: str) -> dict[str, Any]:
    return DRAW | {"panels": [{"name": "评议组", "application_ids": [sc.app_id], "size": 4}], "seed": "matrix"}


def commit_body(w: World, sc: Scene, role: str) -> dict[str, Any]:
    body = draw_body(w, sc, role)
    proposal = run(
        w.api.engine,
        w.actor("agency"),
        TODAY,
        rsvc.propose_assignment,
        sc.meeting_id,
        size=5,
        panels=[rsvc.PanelRequest("评议组", (sc.app_id,), 4)],
        seed="matrix",
        exclude_conflicted=False,
    )
    return body | {"fingerprint": proposal.fingerprint}


def new_expert(w: World, sc: Scene, role: str) -> dict[str, Any]:
    user = seed_user(w.api.engine, "expert", "$argon2id$unused")
    return {
        "user_id": user.id,
        "title": "正高级工程师",
        "title_grade": 5,
        "specialty": "人工智能",
        "unit_name": "某研究院",
        "term_start": "2025-01-01",
        "term_end": "2027-12-31",
    }


def spare_in_pool(w: World, sc: Scene, role: str) -> dict[str, Any]:
    """An expert put in the pool just for the agency's request, so removing it leaves the matrix's pool (the
    five members of every meeting) intact; the others are refused before any lookup."""
    if role != "agency":
        return {"url": f"/api/committees/{w.committee_id}/pool/{w.ids['expert']}"}
    body = new_expert(w, sc, role)
    run(
        w.api.engine,
        w.actor("agency"),
        TODAY,
        rsvc.register_expert,
        **{k: (dt.date.fromisoformat(v) if k.startswith("term_") else v) for k, v in body.items()},
    )
    run(w.api.engine, w.actor("agency"), TODAY, rsvc.add_to_pool, w.committee_id, [body["user_id"]])
    return {"url": f"/api/committees/{w.committee_id}/pool/{body['user_id']}"}


def check_in_body(w: World, sc: Scene, role: str) -> dict[str, Any]:
    return {"expert_id": w.ids["expert"]} if role == "agency" else {}


COMMITTEE = {
    "name": "",
    "document_id": "ai_bj_2020",
    "organised_by": "specialty",
    "levels": ["senior_engineer"],
    "min_members": 5,
    "min_members_basis": "测试数据：假定省级人社部门同意调整人数（非真实文件）",
}

REVIEW_ROWS: tuple[Row, ...] = (
    Row(
        "POST",
        "/api/committees",
        only(201, "agency"),
        with_json("/api/committees", lambda w, sc, r: COMMITTEE | {"name": f"矩阵评委会{next(_n)}"}),
    ),
    Row("GET", "/api/committees", only(200, *REVIEW_STAFF), url("/api/committees")),
    Row(
        "GET",
        "/api/committees/{committee_id}",
        only(200, *REVIEW_STAFF, others=404),
        url("/api/committees/{committee_id}"),
    ),
    Row(
        "POST",
        "/api/committees/{committee_id}/filings",
        only(201, *REVIEW_STAFF),
        with_json("/api/committees/{committee_id}/filings", lambda w, sc, r: FILING),
    ),
    Row(
        "GET",
        "/api/committees/{committee_id}/pool",
        only(200, *REVIEW_STAFF, others=404),
        url("/api/committees/{committee_id}/pool"),
    ),
    Row(
        "POST",
        "/api/committees/{committee_id}/pool",
        only(200, "agency"),
        with_json("/api/committees/{committee_id}/pool", lambda w, sc, r: {"expert_ids": [w.ids["expert"]]}),
    ),
    Row("DELETE", "/api/committees/{committee_id}/pool/{expert_id}", only(204, "agency"), spare_in_pool),
    Row("POST", "/api/experts", only(200, "agency"), with_json("/api/experts", new_expert)),
    Row("GET", "/api/experts", only(200, *REVIEW_STAFF), url("/api/experts")),
    Row(
        "POST",
        "/api/meetings",
        only(201, "agency"),
        with_json(
            "/api/meetings",
            lambda w, sc, r: {"committee_id": w.committee_id, "title": "矩阵会议", "held_on": str(TODAY)},
        ),
    ),
    Row("GET", "/api/meetings", signed_in(200), url("/api/meetings")),
    Row("GET", MEETING, at_meeting(200), url(MEETING), phase="assigned"),
    Row(
        "POST",
        MEETING + "/agenda",
        only(200, "agency"),
        with_json(MEETING + "/agenda", lambda w, sc, r: {"application_ids": [sc.other_app_id]}),
        phase="draft",
    ),
    Row("GET", MEETING + "/agenda", at_meeting(200), url(MEETING + "/agenda"), phase="assigned"),
    Row(
        "POST",
        MEETING + "/draw/proposal",
        only(200, "agency"),
        with_json(MEETING + "/draw/proposal", draw_body),
        phase="draft",
    ),
    Row(
        "POST",
        MEETING + "/draw/commit",
        only(200, "agency"),
        with_json(MEETING + "/draw/commit", commit_body),
        phase="draft",
    ),
    Row(
        "GET",
        MEETING + "/draw/verification",
        only(200, *REVIEW_STAFF),
        url(MEETING + "/draw/verification"),
        phase="assigned",
    ),
    Row("POST", MEETING + "/open", only(200, "agency"), url(MEETING + "/open"), phase="assigned"),
    Row(
        "POST",
        MEETING + "/check-in",
        only(200, "agency", *MEMBERS),
        with_json(MEETING + "/check-in", check_in_body),
        phase="open",
    ),
    Row("POST", MEETING + "/close", only(200, "agency"), url(MEETING + "/close"), phase="decided"),
    Row(
        "GET", MEETING + "/minutes", at_meeting(200, expert=403, recused=403), url(MEETING + "/minutes"), phase="closed"
    ),
    Row("GET", MEETING + "/summary", at_meeting(200), url(MEETING + "/summary"), phase="decided"),
    Row("GET", MEETING + "/scores", at_meeting(200), url(MEETING + "/scores"), phase="decided"),
    Row("GET", MEETING + "/log", at_meeting(200), url(MEETING + "/log"), phase="decided"),
    Row("GET", MEETING + "/declaration", at_meeting(200), url(MEETING + "/declaration"), phase="assigned"),
    Row(
        "POST",
        MEETING + "/declaration",
        at_meeting(200, agency=403, bureau=403),
        with_json(MEETING + "/declaration", lambda w, sc, r: {"confirm": True}),
        phase="assigned",
    ),
    Row(
        "POST",
        MEETING + "/conflicts/detection",
        only(200, "agency"),
        url(MEETING + "/conflicts/detection"),
        phase="assigned",
    ),
    Row(
        "GET",
        MEETING + "/conflicts",
        at_meeting(200, expert=403, recused=403),
        url(MEETING + "/conflicts"),
        phase="assigned",
    ),
    Row(
        "POST",
        "/api/conflicts",
        only(201, "agency"),
        with_json(
            "/api/conflicts",
            lambda w, sc, r: {
                "expert_id": w.others[0],
                "application_id": sc.app_id,
                "kind": "collaboration",
                "note": "近三年共同承担项目（测试数据）",
            },
        ),
        phase="draft",
    ),
    Row(
        "POST",
        "/api/conflicts/{conflict_id}/dismissal",
        only(200, "agency"),
        with_json("/api/conflicts/{conflict_id}/dismissal", lambda w, sc, r: {"reason": "经核实为同名同姓，并非亲属"}),
        phase="assigned",
    ),
    Row("GET", ON_A, on_application(200), url(ON_A), phase="assigned"),
    Row(
        "PUT",
        ON_A + "/score",
        # only a panel expert scores; staff see the application but score nothing (the service's 404)
        on_application(404, expert=200),
        with_json(ON_A + "/score", lambda w, sc, r: {"score": 90, "opinion": "成果突出，达到高级工程师水平。"}),
        phase="assigned",
    ),
    Row("GET", ON_A + "/panel", on_application(200), url(ON_A + "/panel"), phase="open"),
    Row(
        "PUT",
        ON_A + "/interview",
        only(200, "agency"),
        with_json(
            ON_A + "/interview",
            lambda w, sc, r: {
                "held_on": str(TODAY),
                "result": "pass",
                "summary": "答辩人陈述清楚，回答问题准确。",
                "examiners": [w.ids["expert"], *w.others[:2]],
            },
        ),
        phase="assigned",
    ),
    Row("POST", ON_A + "/ballot/open", only(200, "agency"), url(ON_A + "/ballot/open"), phase="open"),
    Row(
        "POST",
        ON_A + "/ballot/votes",
        # no proxy: the organiser cannot vote; the recused expert cannot even find the applicant
        on_application(404, expert=204, agency=403, bureau=403),
        with_json(ON_A + "/ballot/votes", lambda w, sc, r: {"choice": "yes"}),
        phase="voting",
    ),
    Row("POST", ON_A + "/ballot/close", only(200, "agency"), url(ON_A + "/ballot/close"), phase="voting"),
    Row(
        "POST",
        ON_A + "/ballot/cancel",
        only(200, "agency"),
        with_json(ON_A + "/ballot/cancel", lambda w, sc, r: {"reason": "投票人员名单有误，重新表决"}),
        phase="voting",
    ),
    Row("GET", ON_A + "/tally", on_application(200), url(ON_A + "/tally"), phase="decided"),
)
ROWS += REVIEW_ROWS


# ---------------------------------------------------------------- certificates, verification, integrity archive
# (zhicheng.certificates, zhicheng.integrity). A's certificates are issued through the services for a fresh
# "certified" scene per role; integrity rows act on applications of B, so A is never under review.
APPROVAL = "京人社职字〔2026〕18号"
FINDING = {
    "finding": "申报材料中的代表作系伪造，期刊编辑部证明未曾刊发。",
    "evidence": [{"description": "期刊编辑部出具的证明"}],
    "decided_on": str(TODAY),
    "deciding_body": "北京市人力资源和社会保障局",
    "decision_no": "京人社诚字〔2026〕1号",
}


def _trust(w: World) -> Any:
    from zhicheng.certificates.config import TrustSettings

    return TrustSettings.from_env(w.api.app.state.runtime.data_dir)


def _certificate(w: World, sc: Scene, suspended: bool = False) -> Any:
    """A's certificate for the scene's application: accepted, then issued (and maybe suspended) as staff."""
    from zhicheng.certificates import service as csvc
    from zhicheng.store.models import Acceptance, AcceptanceEntry
    from zhicheng.workflow.service import Context

    with transaction(w.api.engine) as s:
        acc = Acceptance(approval_number=APPROVAL, committee_name="矩阵测试评委会", accepted_on=TODAY)
        s.add(acc)
        s.flush()
        s.add(AcceptanceEntry(application_id=sc.app_id, acceptance_id=acc.id))
        now = w.api.clock.now()
        (cert,) = csvc.issue_certificates(Context(s, w.actor("agency"), TODAY, now=now), _trust(w), [sc.app_id])
        if suspended:
            bureau = Context(s, Actor(w.ids["bureau"], "bureau"), TODAY, now=now)
            csvc.suspend_certificate(bureau, _trust(w), cert.number, reason="核查期间暂停使用")
        return cert


def on_certificate(template: str, body: Any = None, suspended: bool = False) -> Build:
    def build(w: World, sc: Scene, role: str) -> dict[str, Any]:
        cert = _certificate(w, sc, suspended)
        token = cert.verification_url.split("?t=")[1]
        out: dict[str, Any] = {"url": template.format(number=cert.number, token=token, list_id=cert.status_list_id)}
        if body is not None:
            out["json"] = body if not callable(body) else body(cert)
        return out

    return build


def _b_application(w: World, state: str) -> int:
    with transaction(w.api.engine) as s:
        rnd = add_round(s, year=2026, document_id="ai_bj_2020", levels=["senior_engineer"], created_by=w.agency)
        user = s.get(User, w.ids["B"])
        assert user is not None
        return add_application(s, rnd, user, level="senior_engineer", state=state, unit_id=w.unit_a).id


def on_review(template: str, body: dict[str, Any]) -> Build:
    """An integrity review of one of B's applications, opened by the bureau through the service."""

    def build(w: World, sc: Scene, role: str) -> dict[str, Any]:
        from zhicheng.integrity import service as isvc
        from zhicheng.workflow.service import Context

        app_id = _b_application(w, "committee")
        with transaction(w.api.engine) as s:
            ctx = Context(s, Actor(w.ids["bureau"], "bureau"), TODAY, now=w.api.clock.now())
            record = isvc.open_review(ctx, _trust(w), allegation="收到举报，称其代表作系伪造", application_id=app_id)
        return {"url": template.format(record_id=record.id), "json": body}

    return build


def on_b(template: str, body: Callable[[int], dict[str, Any]]) -> Build:
    def build(w: World, sc: Scene, role: str) -> dict[str, Any]:
        return {"url": template, "json": body(_b_application(w, "committee"))}

    return build


HOLDER_OR_STAFF = {"anon": 401} | dict.fromkeys(STAFF, 404) | dict.fromkeys(("A", "agency", "bureau"), 200)
CERT_ROWS: tuple[Row, ...] = (
    Row(
        "POST",
        "/api/acceptances",
        only(201, "bureau"),
        with_json("/api/acceptances", lambda w, sc, r: {"approval_number": APPROVAL, "application_ids": [sc.app_id]}),
        state="acceptance",
    ),
    Row("GET", "/api/acceptances", only(200, "bureau", "agency"), url("/api/acceptances")),
    Row(
        "POST",
        "/api/certificates",
        only(201, "agency"),
        on_certificate("/api/certificates", body=lambda cert: {"application_ids": [cert.application_id]}),
        state="certified",
    ),
    Row("GET", "/api/certificates", signed_in(200), url("/api/certificates")),
    Row("GET", "/api/certificates/awaiting", only(200, "agency"), url("/api/certificates/awaiting")),
    Row(
        "GET", "/api/certificates/{number}", HOLDER_OR_STAFF, on_certificate("/api/certificates/{number}"), "certified"
    ),
    Row(
        "GET",
        "/api/certificates/{number}/signed.json",
        HOLDER_OR_STAFF,
        on_certificate("/api/certificates/{number}/signed.json"),
        "certified",
    ),
    Row(
        "GET",
        "/api/certificates/{number}/certificate.pdf",
        HOLDER_OR_STAFF,
        on_certificate("/api/certificates/{number}/certificate.pdf"),
        "certified",
    ),
    Row(
        "GET",
        "/api/certificates/{number}/verifications",
        {"anon": 401} | dict.fromkeys(STAFF, 404) | {"A": 200},
        on_certificate("/api/certificates/{number}/verifications"),
        "certified",
    ),
    *(
        Row(
            "POST",
            f"/api/certificates/{{number}}/{action}",
            only(200, "bureau"),
            on_certificate(f"/api/certificates/{{number}}/{action}", {"reason": "矩阵测试：办理理由"}, suspended),
            "certified",
        )
        for action, suspended in (("suspend", False), ("reinstate", True), ("revoke", False))
    ),
    Row("GET", "/api/verify/keys", public(200), url("/api/verify/keys")),
    Row(
        "GET",
        "/api/verify/status-lists/{list_id}",
        public(200),
        on_certificate("/api/verify/status-lists/{list_id}"),
        "certified",
    ),
    Row("GET", "/api/verify/{number}", public(200), on_certificate("/api/verify/{number}?t={token}"), "certified"),
    Row(
        "POST",
        "/api/verify",
        public(200),
        on_certificate("/api/verify", body=lambda cert: {"number": cert.number, "name": "王五"}),
        "certified",
    ),
    Row("GET", "/api/integrity/records", only(200, "bureau"), url("/api/integrity/records")),
    Row(
        "GET",
        "/api/integrity/records/{record_id}",
        {"anon": 401} | dict.fromkeys(STAFF, 404) | {"bureau": 200},
        on_review("/api/integrity/records/{record_id}", {}),
    ),
    Row(
        "POST",
        "/api/integrity/reviews",
        only(201, "bureau"),
        on_b(
            "/api/integrity/reviews",
            lambda app_id: {"application_id": app_id, "allegation": "收到举报，称其代表作系伪造"},
        ),
    ),
    Row(
        "POST",
        "/api/integrity/records/{record_id}/confirm",
        only(200, "bureau"),
        on_review("/api/integrity/records/{record_id}/confirm", FINDING),
    ),
    Row(
        "POST",
        "/api/integrity/records/{record_id}/dismiss",
        only(200, "bureau"),
        on_review(
            "/api/integrity/records/{record_id}/dismiss",
            {k: v for k, v in FINDING.items() if k not in ("finding", "evidence")}
            | {"conclusion": "经核查，代表作为本人完成，举报不属实。"},
        ),
    ),
    Row(
        "POST",
        "/api/integrity/records",
        only(201, "bureau"),
        on_b("/api/integrity/records", lambda app_id: {"application_id": app_id, **FINDING}),
    ),
)
ROWS += CERT_ROWS


# ---------------------------------------------------------------- spreadsheets and statistics (exchange, stats)
def import_book(w: World, sc: Scene, role: str) -> dict[str, Any]:
    """A dry run of a one-row application workbook for the scene's round: 200 for whoever may import."""
    import io

    import openpyxl

    with transaction(w.api.engine) as s:
        uscc = s.get(Unit, w.unit_a).uscc  # type: ignore[union-attr]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "申报人"
    ws.append(["序号", "姓名", "身份证号", "单位统一社会信用代码", "标准文件", "申报级别", "评审轮次"])
    ws.append(["1", "矩阵", new_id_number(), uscc, "ai_bj_2020", "高级工程师", sc.round_id])
    out = io.BytesIO()
    wb.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"url": "/api/imports/applications?dry_run=true", "files": {"file": ("申报.xlsx", out.getvalue(), xlsx)}}


HOLDERS = ("A", "B")  # certificate_scope: an applicant exports a list of their own certificates
EXCHANGE_ROWS: tuple[Row, ...] = (
    Row("POST", "/api/imports/{kind}", only(200, "agency", "admin"), import_book, "draft"),
    Row(
        "GET",
        "/api/imports/{kind}/template.xlsx",
        only(200, "agency", "admin"),
        url("/api/imports/applications/template.xlsx"),
    ),
    Row(
        "GET",
        "/api/exports/notices/{notice_id}.xlsx",
        public(200),
        url("/api/exports/notices/{notice_id}.xlsx"),
        "results_notice",
    ),
    Row(
        "GET",
        "/api/exports/meetings/{meeting_id}/tally.xlsx",
        at_meeting(200, expert=403, recused=403),
        url("/api/exports/meetings/{meeting_id}/tally.xlsx"),
        phase="closed",
    ),
    Row(
        "GET",
        "/api/exports/certificates.xlsx",
        only(200, *REVIEW_STAFF, *HOLDERS),
        url("/api/exports/certificates.xlsx"),
    ),
    Row("GET", "/api/stats", only(200, *REVIEW_STAFF), url("/api/stats")),
    Row("GET", "/api/stats/chart.svg", only(200, *REVIEW_STAFF), url("/api/stats/chart.svg?by=level")),
    Row("GET", "/api/stats/export.xlsx", only(200, *REVIEW_STAFF), url("/api/stats/export.xlsx?by=route")),
)
ROWS += EXCHANGE_ROWS


# ---------------------------------------------------------------- activation and reset codes (accounts.activation)
def activation_body(w: World, sc: Scene, role: str) -> dict[str, Any]:
    """A fresh imported account (no password) of unit A with a code the agency issued, used by anyone."""
    from zhicheng.accounts import activation
    from zhicheng.accounts.passwords import NO_PASSWORD
    from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key
    from zhicheng.workflow.service import Context

    imported = seed_user(w.api.engine, "applicant", NO_PASSWORD, unit_id=w.unit_a)
    with transaction(w.api.engine) as s:
        ctx = Context(s, Actor(w.agency, "agency"), TODAY)
        issued = activation.issue_code(ctx, PersonalDataProtector(decode_master_key(SECRET)), imported.id)
    body = {"account": imported.username, "code": issued.code, "password": PASSWORD}
    return {"url": "/api/auth/activate", "json": body}


CODE_ISSUERS = ("agency", "unitA", "unitB")  # Rights.account_code_scope: a unit only its own applicants
ACCOUNT_ROWS: tuple[Row, ...] = (
    Row("POST", "/api/auth/activate", public(200), activation_body),
    Row(
        "POST",
        "/api/accounts/{user_id}/codes",
        only(201, "agency", "unitA", unitB=404),  # A belongs to unit A
        lambda w, sc, r: {"url": f"/api/accounts/{w.ids['A']}/codes", "json": {"valid_days": 7}},
    ),
    Row(
        "POST",
        "/api/accounts/codes.xlsx",
        only(200, *CODE_ISSUERS),
        with_json("/api/accounts/codes.xlsx", lambda w, sc, r: {}),
    ),
    Row("GET", "/api/accounts/unactivated", only(200, *CODE_ISSUERS), url("/api/accounts/unactivated")),
)
ROWS += ACCOUNT_ROWS


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
    # a review scene is shared: a refused request changes nothing, and the roles that succeed on one row
    # (agency and bureau filing, members declaring or checking in) do not get in each other's way
    shared = make_review_scene(world, row.phase) if row.phase else None
    for role in ROLES:
        scene = shared or (make_scene(world, row.state) if row.state else None)
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
