"""Helpers for the staff-page tests (agency, expert, bureau): the whole app (``create_app``) on the ``engine``
fixture's database with a fixed clock, a browser-like client per user (session cookie, CSRF token), users and
applications made straight in the database, a filed committee with experts in its pool, and a meeting driven
through the services up to the step a test starts from."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from zhicheng.accounts.idnumbers import make_resident_id
from zhicheng.api.accounts import issue_token
from zhicheng.api.app import create_app
from zhicheng.api.deps import BEIJING, FixedClock, Settings
from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, MeetingMember, Round, Unit, User
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

D = dt.date
TODAY = D(2026, 11, 10)

# meets every machine-checkable condition of the Beijing AI senior engineer; the rest needs a person
AI_SENIOR: dict[str, Any] = {
    "name": "王五",
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"论文{i}"}
        for i in range(1, 4)
    ],
}


CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"')
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_seq = itertools.count(1)


@dataclass
class Browser:
    """One user's browser: its cookies (session, CSRF) and the CSRF token the pages put in their forms."""

    client: TestClient
    csrf: str = ""

    def get(self, url: str, **kw: Any) -> httpx.Response:
        r = self.client.get(url, **kw)
        m = CSRF_RE.search(r.text)
        if m:
            self.csrf = m.group(1) or m.group(2)
        return r

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> httpx.Response:
        if csrf and not self.csrf:
            self.get("/")
        body = {**(data or {}), **({"_csrf": self.csrf} if csrf else {})}
        return self.client.post(url, data=body, **kw)

    def form(self, page: str, action: str) -> dict[str, str]:
        """The hidden fields of the form on ``page`` that posts to ``action`` (the version number)."""
        text = self.get(page).text
        start = text.index(f'action="{action}"')
        chunk = text[start : text.index("</form>", start)]
        return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


@dataclass
class World:
    app: FastAPI
    clock: FixedClock
    engine: Engine
    clients: list[TestClient] = field(default_factory=list)

    def browser(self, user: User | None = None) -> Browser:
        client = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        self.clients.append(client)
        if user is not None:
            with transaction(self.engine) as s:
                row = s.get(User, user.id)
                assert row is not None
                token, _ = issue_token(s, row, self.clock.now(), dt.timedelta(days=400))
            client.cookies.set("zc_session", token)
        return Browser(client)

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def at(self, day: dt.date) -> None:
        self.clock.set(day)

    def user(self, role: str, **fields: Any) -> User:
        n = next(_seq)
        values: dict[str, Any] = {
            "username": f"{role}{n}-{id(self) % 9973}",
            "display_name": f"{role}用户{n}",
            "role": role,
            "password_hash": "$argon2id$not-used-here",
        }
        if role == "applicant":
            number = make_resident_id("110105", D(1980 + n % 20, 1 + n % 12, 1 + n % 28), n % 1000)
            values |= {"id_number_index": f"{n:064x}", "id_number_masked": number[:3] + "*" * 11 + number[-4:]}
        values.update(fields)
        with transaction(self.engine) as s:
            user = User(**values)
            s.add(user)
            s.flush()
            s.expunge(user)
            return user

    def round(self, **fields: Any) -> int:
        values: dict[str, Any] = {
            "year": 2026,
            "kind": "annual",
            "document_id": "ai_bj_2020",
            "levels": ["engineer", "senior_engineer"],
            "title": "2026年度人工智能专业职称评审",
            "window_start": D(2026, 9, 1),
            "window_end": D(2026, 9, 30),
            "status": "open",
        }
        values.update(fields)
        with transaction(self.engine) as s:
            rnd = Round(**values)
            s.add(rnd)
            s.flush()
            return rnd.id


def make_world(engine: Engine, tmp_path: Path, day: dt.date) -> World:
    clock = FixedClock(day)
    settings = Settings(data_dir=tmp_path / "data", evidence_dir=tmp_path / "evidence")
    return World(create_app(engine, clock=clock, settings=settings), clock, engine)


def location(r: httpx.Response) -> str:
    assert r.status_code == 303, (r.status_code, r.text[:3000])
    return r.headers["location"]


def add_application(
    world: World, applicant: User, round_id: int, state: str, profile: dict[str, Any] | None = None, **fields: Any
) -> int:
    with transaction(world.engine) as s:
        app = Application(
            round_id=round_id,
            applicant_id=applicant.id,
            unit_id=applicant.unit_id,
            document_id=fields.pop("document_id", "ai_bj_2020"),
            level=fields.pop("level", "senior_engineer"),
            route=fields.pop("route", "regular"),
            state=state,
            profile=profile if profile is not None else AI_SENIOR,
            submitted_at=dt.datetime(2026, 9, 7, 2, tzinfo=dt.UTC),
            **fields,
        )
        s.add(app)
        s.flush()
        return app.id


def run(world: World, user: User, fn: Any, *args: Any, today: dt.date = TODAY, **kw: Any) -> Any:
    """A service call as ``user``, in its own transaction (setting the scene, not the thing tested)."""
    with transaction(world.engine) as s:
        now = dt.datetime.combine(today, dt.time(9), tzinfo=BEIJING).astimezone(dt.UTC)
        return fn(wsvc.Context(s, wsvc.actor_for(s.get(User, user.id)), today, now=now), *args, **kw)


@dataclass
class Review:
    """An agency, a bureau, experts in a filed committee's pool, applications waiting for the committee."""

    world: World
    agency: User
    bureau: User
    experts: list[User]
    applicants: list[User]
    apps: list[int]
    round_id: int
    committee_id: int
    meeting_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def members(self) -> list[User]:
        with transaction(self.world.engine) as s:
            ids = set(s.scalars(select(MeetingMember.expert_id).where(MeetingMember.meeting_id == self.meeting_id)))
        return [e for e in self.experts if e.id in ids]

    def actor(self, user: User) -> Actor:
        return Actor(user_id=user.id, role=user.role)


def review_world(
    world: World, *, experts: int = 5, apps: int = 2, coauthors: dict[int, list[str]] | None = None
) -> Review:
    world.at(TODAY)
    agency = world.user("agency", display_name="评审服务中心")
    bureau = world.user("bureau", display_name="人社局监督处")
    expert_users = [world.user("expert", display_name=f"专家{i:02d}") for i in range(experts)]
    with transaction(world.engine) as s:
        unit = Unit(name="北京某智能科技有限公司", uscc="91110108MA01ABCD1X")
        s.add(unit)
        s.flush()
        unit_id = unit.id
    round_id = world.round(levels=["senior_engineer"])
    applicants, app_ids = [], []
    for i in range(apps):
        person = world.user("applicant", display_name=f"申报人{i}", unit_id=unit_id)
        profile = {
            **AI_SENIOR,
            "achievements": [{**a, "coauthors": (coauthors or {}).get(i, [])} for a in AI_SENIOR["achievements"]],
        }
        applicants.append(person)
        app_ids.append(add_application(world, person, round_id, "committee", profile))
    committee = run(
        world,
        agency,
        rsvc.register_committee,
        name="人工智能专业高级评审委员会（测试）",
        document_id="ai_bj_2020",
        organised_by="specialty",
        levels=["senior_engineer"],
        min_members=3,
        min_members_basis="测试数据：假定省级人社部门同意调整人数（非真实文件）",
    )
    run(
        world,
        agency,
        rsvc.record_filing,
        committee.id,
        filed_on=D(2026, 1, 1),
        expires_on=D(2028, 12, 31),
        reference="测试备案〔2026〕1号",
    )
    for e in expert_users:
        run(
            world,
            agency,
            rsvc.register_expert,
            user_id=e.id,
            title="正高级工程师",
            title_grade=5,
            specialty="人工智能",
            unit_name="某研究院",
            unit_uscc="91110000400000000A",
            term_start=D(2025, 1, 1),
            term_end=D(2027, 12, 31),
        )
    run(world, agency, rsvc.add_to_pool, committee.id, [e.id for e in expert_users])
    return Review(world, agency, bureau, expert_users, applicants, app_ids, round_id, committee.id)


def assigned_meeting(r: Review, size: int | None = None, seed: str = "seed-1") -> int:
    """A meeting with every application on its agenda, one panel, the draw committed (through the services)."""
    size = size or (len(r.experts) if len(r.experts) % 2 else len(r.experts) - 1)
    meeting = run(
        r.world, r.agency, rsvc.create_meeting, committee_id=r.committee_id, title="2026年度评审会议", held_on=TODAY
    )
    run(r.world, r.agency, rsvc.add_to_agenda, meeting.id, r.apps)
    panel = [rsvc.PanelRequest("评议一组", tuple(r.apps), 3)]
    proposal = run(r.world, r.agency, rsvc.propose_assignment, meeting.id, size=size, panels=panel, seed=seed)
    run(r.world, r.agency, rsvc.commit_assignment, meeting.id, proposal)
    r.meeting_id = meeting.id
    return meeting.id


def csrf_of(text: str) -> str:
    m = re.search(r'name="_csrf" value="([^"]+)"', text)
    assert m
    return m.group(1)


def closed_meeting(r: Review, passing: set[int] | None = None) -> int:
    """The meeting run to its end through the services: every member declares, the panel scores, all check
    in, each application is voted on (all yes for ``passing``, default all; all no otherwise), minutes archived."""
    passing = set(r.apps) if passing is None else passing
    mid = r.meeting_id or assigned_meeting(r)
    members = r.members()
    for m in members:
        run(r.world, m, rsvc.declare, mid, [], confirm=True)
    for m in members:
        for row in run(r.world, m, rsvc.agenda, mid):
            if row.on_my_panel:
                run(
                    r.world,
                    m,
                    rsvc.submit_score,
                    mid,
                    row.application_id,
                    score=82,
                    opinion="业绩突出，材料完整，建议通过",
                )
    run(r.world, r.agency, rsvc.open_meeting, mid)
    for m in members:
        run(r.world, m, rsvc.check_in, mid)
    for app_id in r.apps:
        run(r.world, r.agency, rsvc.open_ballot, mid, app_id)
        for m in members:
            run(r.world, m, rsvc.cast_ballot, mid, app_id, "yes" if app_id in passing else "no")
        run(r.world, r.agency, rsvc.close_ballot, mid, app_id)
    run(r.world, r.agency, rsvc.close_meeting, mid)
    return mid


ACCEPT_DAY = D(2026, 11, 12)
ISSUE_DAY = D(2026, 11, 20)  # the results notice (5 working days from ACCEPT_DAY) is over
APPROVAL = "京人社职字〔2026〕18号"


def certified(world: World, r: Review) -> list[str]:
    """Closed meeting → bureau acceptance → notice runs out → agency issues: the certificate numbers."""
    from zhicheng.certificates import service as csvc
    from zhicheng.certificates.config import TrustSettings

    closed_meeting(r)
    run(world, r.bureau, csvc.accept_results, approval_number=APPROVAL, meeting_id=r.meeting_id, today=ACCEPT_DAY)
    world.at(ISSUE_DAY)
    trust = TrustSettings.from_env(world.app.state.runtime.data_dir)
    issued = run(world, r.agency, csvc.issue_certificates, trust, r.apps, today=ISSUE_DAY)
    return [c.number for c in issued]
