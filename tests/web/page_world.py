"""Helpers for the role-page tests: the whole app (``create_app``) on the ``engine`` fixture's database with a
fixed clock; units, rounds and users made straight in the database; a browser-like client per user that
holds its session cookie and CSRF token and posts forms the way a browser does."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key
from zhicheng.api.accounts import issue_token
from zhicheng.api.app import create_app
from zhicheng.api.deps import FixedClock, Settings
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Department, Round, Unit, User
from zhicheng.workflow import service as svc
from zhicheng.workflow.service import Context, actor_for

D = dt.date
SECRET = "22" * 32  # ZHICHENG_SECRET_KEY of the tests
CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
# a real (tiny) PDF and PNG: magic bytes and structure a viewer opens
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e2a1b9c40000000049454e44ae426082"
)
_seq = itertools.count(1)


def paper_row(i: int, year: int) -> dict[str, str]:
    """Form fields of one core-journal paper, first author, in achievement row ``i``."""
    return {
        f"ach_kind_{i}": "paper",
        f"ach_title_{i}": f"论文{i + 1}",
        f"ach_date_{i}": f"{year}-03-01",
        f"ach_venue_{i}": "core_journal",
        f"ach_rank_{i}": "1",
    }


# the form of a profile meeting every machine-checkable Beijing AI senior-engineer condition
AI_SENIOR_FORM: dict[str, str] = {
    "edu_level_0": "master",
    "edu_date_0": "2012-07-01",
    "work_start": "2012-07-15",
    "title_grade_0": "3",
    "title_series_0": "engineering",
    "title_date_0": "2018-12-01",
    "dir_ai_bj_2020": "ai_research",
    **{k: v for i in range(3) for k, v in paper_row(i, 2021 + i).items()},
}


# the same profile as data (for applications made through the service)
AI_SENIOR: dict[str, Any] = {
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "series": "engineering", "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"论文{i}"}
        for i in range(1, 4)
    ],
}


def id_number() -> str:
    n = next(_seq)
    return make_resident_id("110105", D(1980 + n % 20, 1 + n % 12, 1 + n % 28), n % 1000)


@dataclass
class Browser:
    """One user's browser: cookies (session, CSRF) and the CSRF token the pages put in their forms."""

    client: TestClient
    csrf: str = ""

    def get(self, url: str, **kw: Any) -> httpx.Response:
        r = self.client.get(url, **kw)
        m = CSRF_RE.search(r.text)
        if m:
            self.csrf = m.group(1)
        return r

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> httpx.Response:
        if csrf and not self.csrf:
            self.get("/check")  # a public page with a form
        body = {**(data or {}), **({"_csrf": self.csrf} if csrf else {})}
        return self.client.post(url, data=body, **kw)

    def form(self, page: str, action: str) -> dict[str, str]:
        """The hidden fields of the form posting to ``action`` on ``page`` (version numbers)."""
        text = self.get(page).text
        start = text.index(f'action="{action}"')
        chunk = text[start : text.index("</form>", start)]
        return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


@dataclass
class World:
    app: FastAPI
    clock: FixedClock
    engine: Engine

    def browser(self, user: User | None = None) -> Browser:
        """A new browser; signed in as ``user`` (a session token made in the database) when given."""
        client = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        if user is not None:
            with transaction(self.engine) as s:
                row = s.get(User, user.id)
                assert row is not None
                token, _ = issue_token(s, row, self.clock.now(), dt.timedelta(days=400))
            client.cookies.set("zc_session", token)
        return Browser(client)

    def act(self, user: User, app_id: int, action: str, **kw: Any) -> Application:
        """One procedure action by ``user`` through the service, as another role's page or API would."""
        with transaction(self.engine) as s:
            ctx = Context(s, actor_for(user), self.clock.today(), now=self.clock.now())
            app = svc.act(ctx, app_id, action, **kw)
            s.expunge(app)
            return app

    def application(self, app_id: int) -> Application:
        with transaction(self.engine, readonly=True) as s:
            app = s.get(Application, app_id)
            assert app is not None
            s.expunge(app)
            return app

    def submitted(self, applicant: User, round_id: int, profile: dict[str, Any] | None = None) -> int:
        """An application created and submitted with the pledge through the service (now in unit review)."""
        with transaction(self.engine) as s:
            ctx = Context(s, actor_for(applicant), self.clock.today(), now=self.clock.now())
            app = svc.create_application(ctx, round_id=round_id, level="senior_engineer", profile=profile or AI_SENIOR)
            svc.act(ctx, app.id, "submit", data={"pledge": True})
            return app.id

    def count(self, model: type[Any]) -> int:
        with transaction(self.engine, readonly=True) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    def at(self, day: dt.date) -> None:
        self.clock.set(day)

    # ---- rows straight in the database
    def department(self, name: str = "某区工业和信息化局") -> int:
        with transaction(self.engine) as s:
            d = Department(name=name)
            s.add(d)
            s.flush()
            return d.id

    def unit(self, name: str = "某科技有限公司", department_id: int | None = None) -> Unit:
        n = next(_seq)
        with transaction(self.engine) as s:
            unit = Unit(name=name, uscc=make_uscc(f"91110108MA{n:07d}"[:17]), department_id=department_id)
            s.add(unit)
            s.flush()
            s.expunge(unit)
            return unit

    def user(self, role: str, **fields: Any) -> User:
        n = next(_seq)
        values: dict[str, Any] = {
            "username": f"{role}{n}",
            "display_name": f"{role}用户{n}",
            "role": role,
            "password_hash": "$argon2id$not-used-here",
        }
        if role == "applicant":
            protector = PersonalDataProtector(decode_master_key(SECRET))
            ident = protect_resident_id(protector, id_number())
            values |= {
                "id_number_token": ident.token,
                "id_number_index": ident.index,
                "id_number_masked": ident.masked,
            }
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


def make_world(engine: Engine, tmp_path: Path, day: dt.date = D(2026, 9, 1), **settings: Any) -> World:
    clock = FixedClock(day)
    app = create_app(
        engine,
        clock=clock,
        settings=Settings(data_dir=tmp_path / "data", evidence_dir=tmp_path / "evidence", **settings),
    )
    return World(app, clock, engine)


def location(r: httpx.Response) -> str:
    assert r.status_code == 303, (r.status_code, r.text[:2000])
    return r.headers["location"]
