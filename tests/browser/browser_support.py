"""Helpers for the browser tests (imported by conftest.py and the test modules): the live server's handle,
screenshots, logging in (through the page, or a session made in the database), waiting for htmx, and the
``World`` that seeds through the domain services what a test does not drive in the browser."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key
from zhicheng.api.accounts import issue_token
from zhicheng.api.deps import FixedClock
from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import Department, Unit, User
from zhicheng.web.session import SESSION_COOKIE
from zhicheng.workflow import service as svc
from zhicheng.workflow.rights import Actor

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "Zc#2026-browser"
SECRET = "22" * 32  # test master key for personal data (ZHICHENG_SECRET_KEY)
START_DAY = dt.date(2026, 9, 1)
SHOTS_ENV = "ZHICHENG_SCREENSHOTS"


@dataclass
class LiveServer:
    """The running app: its address, its clock (move it with ``to``), its database."""

    url: str
    app: FastAPI
    clock: FixedClock
    engine: Engine
    backend: str
    data_dir: Path

    def to(self, day: dt.date) -> None:
        """Move the server's day (Beijing time, 09:00)."""
        self.clock.set(day)

    def today(self) -> dt.date:
        return self.clock.today()


@dataclass
class Shots:
    """Screenshots into the test's folder (whole page). ``best=True``: the browser window only (1280×900, the
    README's size), scrolled to ``at`` if given, and also copied to ``$ZHICHENG_SCREENSHOTS`` when that is set
    (``ZHICHENG_SCREENSHOTS=docs/screenshots ./test.sh tests/browser`` refreshes the pictures in the docs)."""

    folder: Path
    best_folder: Path | None
    taken: list[Path] = field(default_factory=list)

    def save(self, page: Any, name: str, *, best: bool = False, at: Any = None) -> Path:
        path = self.folder / f"{name}.png"
        if at is not None:
            at.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(path), full_page=not best)
        self.taken.append(path)
        if best and self.best_folder is not None:
            self.best_folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.best_folder / path.name)
        return path


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page; the page lands on the role's workbench."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


# when htmx last started or finished a request (see ``htmx_settled``); installed in every page by conftest
HTMX_WATCH = """
window.__zcHtmx = 0;
for (const name of ["htmx:beforeRequest", "htmx:afterSettle", "htmx:afterRequest"]) {
  document.addEventListener(name, () => { window.__zcHtmx = performance.now(); });
}
"""


def htmx_settled(page: Any, quiet_ms: int = 1000) -> None:
    """Wait until no htmx request is running and none started for ``quiet_ms`` (longer than the forms'
    400 ms trigger delay), so a late answer cannot replace what the test looks at next."""
    page.wait_for_function(
        "ms => !document.querySelector('.htmx-request') && performance.now() - window.__zcHtmx > ms", arg=quiet_ms
    )


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


# ---------------------------------------------------------------- seeding what a test does not drive
BJ_AI_SENIOR: dict[str, Any] = {
    "education": [{"level": "master", "graduation_date": "2012-07-01"}],
    "specialty_work_start": "2012-07-15",
    "titles": [{"grade": 3, "series": "engineering", "specialty": "人工智能", "obtained": "2018-12-01"}],
    "directions": ["ai_research"],
    "achievements": [
        {"kind": "paper", "venue": "core_journal", "rank": 1, "date": f"202{i}-03-01", "title": f"大模型推理优化{i}"}
        for i in range(1, 4)
    ],
}
QD_IIOT_SENIOR: dict[str, Any] = {
    "education": [{"level": "bachelor", "graduation_date": "2010-07-01"}],
    "specialty_work_start": "2010-07-15",
    "titles": [{"grade": 3, "series": "engineering", "obtained": "2019-06-01"}],
    "annual_assessments": [{"year": y, "result": "competent"} for y in range(2019, 2025)],
    "directions": ["iiot_platform"],
    "achievements": [
        {
            "kind": "research_project",
            "level": 3,
            "rank": 1,
            "role": "lead",
            "accepted": True,
            "date": "2023-05-01",
            "title": "市级工业互联网平台项目",
        }
    ],
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_ids = itertools.count(1)


@dataclass
class World:
    """Units, a department, one account per role (password ``PASSWORD``), experts; ``actor(key)`` for services."""

    engine: Engine
    users: dict[str, User]  # key → user (detached)
    units: dict[str, Unit]
    rounds: dict[str, int] = field(default_factory=dict)

    def actor(self, key: str) -> Actor:
        return svc.actor_for(self.users[key])

    def username(self, key: str) -> str:
        return self.users[key].username

    def run(self, key: str, day: dt.date, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """One service call as ``key`` on ``day``, in a transaction of its own."""
        with transaction(self.engine) as s:
            return fn(svc.Context(s, self.actor(key), day), *args, **kw)

    def act(self, key: str, day: dt.date, app_id: int, action: str, **data: Any) -> None:
        self.run(key, day, lambda c: svc.act(c, app_id, action, data=data))

    def apply(self, key: str, day: dt.date, round_key: str, level: str, profile: dict[str, Any]) -> int:
        """A draft application of applicant ``key``."""
        app = self.run(
            key, day, lambda c: svc.create_application(c, round_id=self.rounds[round_key], level=level, profile=profile)
        )
        return int(app.id)

    def accept(self, day: dt.date, app_id: int) -> None:
        """The agency's qualification review passed, every item left to people judged as met."""

        def run(c: svc.Context) -> None:
            v = svc.evaluate_application(c, svc.get_application(c, app_id))
            judgements = [{"condition": r.id, "passed": True, "note": "材料已核实"} for r in v.review_items]
            svc.act(c, app_id, "accept", data={"judgements": judgements})

        self.run("agency", day, run)

    def to_agency(self, key: str, unit: str, profile: dict[str, Any], round_key: str = "bj") -> int:
        """A 北京 senior application of ``key`` submitted (2026-09-01), noticed and recommended by ``unit``."""
        app_id = self.apply(key, dt.date(2026, 9, 1), round_key, "senior_engineer", profile)
        self.act(key, dt.date(2026, 9, 1), app_id, "submit", pledge=True)
        self.act(unit, dt.date(2026, 9, 2), app_id, "start_notice")
        self.act(unit, dt.date(2026, 9, 15), app_id, "recommend")
        return app_id

    def committee(self, day: dt.date, experts: list[str], unit_of: dict[str, str] | None = None) -> int:
        """A filed 人工智能 senior committee (5 members, test basis) with ``experts`` in its pool;
        ``unit_of`` gives an expert (key) the USCC of a unit (key) — a same-unit conflict."""
        with transaction(self.engine) as s:
            c = svc.Context(s, self.actor("agency"), day)
            committee = rsvc.register_committee(
                c,
                name="北京市人工智能专业高级职称评审委员会（测试）",
                document_id="ai_bj_2020",
                organised_by="specialty",
                levels=["senior_engineer"],
                min_members=5,
                min_members_basis="测试数据：假定省级人社部门同意调整人数（非真实文件）",
            )
            rsvc.record_filing(
                c,
                committee.id,
                filed_on=dt.date(2026, 1, 5),
                expires_on=dt.date(2028, 12, 31),
                reference="测试备案〔2026〕1号（非真实文件）",
            )
            for key in experts:
                unit = (unit_of or {}).get(key)
                rsvc.register_expert(
                    c,
                    user_id=self.users[key].id,
                    title="正高级工程师",
                    title_grade=5,
                    specialty="人工智能",
                    unit_name=self.units[unit].name if unit else "北京某人工智能研究院",
                    unit_uscc=self.units[unit].uscc if unit else make_uscc("12110000MB7654321"),
                    term_start=dt.date(2025, 1, 1),
                    term_end=dt.date(2027, 12, 31),
                )
            rsvc.add_to_pool(c, committee.id, [self.users[k].id for k in experts])
            return int(committee.id)

    def meeting(
        self, day: dt.date, committee_id: int, apps: list[int], size: int, panel: int = 3, exclude: bool = False
    ) -> int:
        """A meeting with ``apps`` on its agenda, ``size`` experts drawn, ``panel`` of them in one panel for all."""
        with transaction(self.engine) as s:
            c = svc.Context(s, self.actor("agency"), day)
            mid = rsvc.create_meeting(c, committee_id=committee_id, title="2026年度评审会议", held_on=day).id
            rsvc.add_to_agenda(c, mid, apps)
            panels = [rsvc.PanelRequest("评议一组", tuple(apps), panel)]
            proposal = rsvc.propose_assignment(
                c, mid, size=size, panels=panels, seed="browser-test", exclude_conflicted=exclude
            )
            rsvc.commit_assignment(c, mid, proposal)
            return int(mid)

    def open_round(self, key: str, day: dt.date, document: str, start: dt.date, end: dt.date, title: str) -> int:
        levels = ["engineer", "senior_engineer"]
        rnd = self.run(
            "agency",
            day,
            lambda c: svc.open_round(
                c,
                document_id=document,
                levels=levels,
                kind="annual",
                year=start.year,
                title=title,
                window_start=start,
                window_end=end,
            ),
        )
        self.rounds[key] = int(rnd.id)
        return self.rounds[key]


def _id_number(protector: PersonalDataProtector) -> dict[str, str]:
    n = next(_ids)
    number = make_resident_id("110105", dt.date(1982 + n % 10, 1 + n % 12, 1 + n % 27), 100 + n)
    ident = protect_resident_id(protector, number)
    return {"id_number_token": ident.token, "id_number_index": ident.index, "id_number_masked": ident.masked}


def build_world(engine: Engine, password_hash: str, experts: int = 0) -> World:
    """北京 and 青岛 units (青岛 under a department), an applicant of each, their staff, the agency, the bureau."""
    protector = PersonalDataProtector(decode_master_key(SECRET))
    with transaction(engine) as s:
        dept = Department(name="青岛西海岸新区工业和信息化局（测试）")
        s.add(dept)
        s.flush()
        units = {
            "bj": Unit(name="北京智算未来科技有限公司（测试）", uscc=make_uscc("91110108MA01AB2C3")),
            "bj2": Unit(name="北京量子信息研究院（测试）", uscc=make_uscc("12110000MB1234567")),
            "qd": Unit(
                name="青岛海工互联科技有限公司（测试）", uscc=make_uscc("91370211MA3CDE456"), department_id=dept.id
            ),
        }
        s.add_all(units.values())
        s.flush()
        people: dict[str, tuple[str, str, dict[str, Any]]] = {
            "applicant_bj": ("applicant", "张伟", {"unit_id": units["bj"].id, **_id_number(protector)}),
            "applicant_bj2": ("applicant", "王芳", {"unit_id": units["bj2"].id, **_id_number(protector)}),
            "applicant_qd": ("applicant", "赵磊", {"unit_id": units["qd"].id, **_id_number(protector)}),
            "unit_bj": ("unit", "北京智算未来科技有限公司人事处", {"unit_id": units["bj"].id}),
            "unit_bj2": ("unit", "北京量子信息研究院人事处", {"unit_id": units["bj2"].id}),
            "unit_qd": ("unit", "青岛海工互联科技有限公司人事处", {"unit_id": units["qd"].id}),
            "dept_qd": ("department", "新区工业和信息化局", {"department_id": dept.id}),
            "agency": ("agency", "北京信息产业考评服务中心（测试）", {}),
            "bureau": ("bureau", "北京市人力资源和社会保障局（测试）", {}),
            **{f"expert{i}": ("expert", f"评审专家{i}", {}) for i in range(experts)},
        }
        users = {}
        for key, (role, name, extra) in people.items():
            users[key] = User(username=key, role=role, display_name=name, password_hash=password_hash, **extra)
            s.add(users[key])
        s.flush()
        for obj in (*users.values(), *units.values()):
            s.expunge(obj)
    return World(engine, users, units)


def current_state(page: Any) -> Any:
    """The "当前状态/当前环节" fact of an application page."""
    return page.locator("dl.facts dt", has_text=re.compile("当前(状态|环节)")).first.locator(
        "xpath=following-sibling::dd[1]"
    )


def sign_in(page: Any, live: LiveServer, user: User) -> None:
    """A session made in the database and put in the browser (no argon2 work): for the people whose logging
    in is not what the test is about. ``login`` goes through the login page."""
    with transaction(live.engine) as s:
        row = s.get(User, user.id)
        assert row is not None
        token, _ = issue_token(s, row, live.clock.now(), dt.timedelta(hours=8))
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live.url, "httpOnly": True}])
