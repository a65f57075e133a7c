"""Demo data: units, staff of every role, applicants across the five documents, open rounds and
applications at several steps, so a new user sees real work at once (`zhicheng demo`, `serve --demo`).

Everything is made through the domain services, so the demo obeys the same rules as real use. All
names, numbers and the Qingdao continuation notice are fictitious and labelled so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from zhicheng.accounts.identity import protect_resident_id, protector_for
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.accounts.passwords import NO_PASSWORD, hash_password
from zhicheng.store.db import transaction
from zhicheng.store.models import Department, Unit, User
from zhicheng.workflow import service as svc

DEMO_PASSWORD = "Demo#2026zc"  # every demo account; shown on the login page of the demo only
D = dt.date
COMMITTEE = "committee"  # not an action: the applications meet the committee together (_committee_meeting)


@dataclass(frozen=True)
class DemoApplicant:
    username: str
    name: str
    unit: str
    document: str
    level: str
    route: str
    profile: dict[str, Any]
    steps: tuple[str, ...]  # how far the demo drives the application


def _papers(n: int, year0: int = 2020, rank: int = 1) -> list[dict[str, Any]]:
    return [{"kind": "paper", "venue": "core_journal", "rank": rank, "date": f"{year0 + i}-05-10",
             "title": f"演示论文{i + 1}"} for i in range(n)]


UNITS = [  # (key, name, USCC prefix (17 chars), department)
    ("ai", "北京智算未来科技有限公司（演示）", "91110108MA01AB2C3", None),
    ("quantum", "北京量子信息研究院（演示）", "12110000MB1234567", None),
    ("cyber", "北京安网科技股份有限公司（演示）", "91110105MA00XY123", None),
    ("general", "北京市建工设计研究院有限公司（演示）", "91110102101234567", None),
    ("iiot", "青岛海工互联科技有限公司（演示）", "91370211MA3CDE456", "qd"),
]

APPLICANTS = [
    DemoApplicant("zhangwei", "张伟", "ai", "ai_bj_2020", "senior_engineer", "regular", {
        "education": [{"level": "master", "graduation_date": "2012-07-01"}], "specialty_work_start": "2012-07-15",
        "titles": [{"grade": 3, "specialty": "人工智能", "obtained": "2018-12-01", "name": "工程师"}],
        "directions": ["ai_research"], "achievements": _papers(3)},
        ("submit", "start_notice", "recommend", "accept", COMMITTEE, "accept_results", "certify")),
    DemoApplicant("lina", "李娜", "ai", "ai_bj_2020", "engineer", "regular", {
        "education": [{"level": "bachelor", "graduation_date": "2019-07-01"}], "specialty_work_start": "2019-07-10",
        "titles": [{"grade": 2, "obtained": "2020-09-01", "name": "助理工程师"}],
        "directions": ["ai_application"], "achievements": _papers(2, 2022, rank=2)},
        ("submit", "start_notice", "recommend", "accept", COMMITTEE, "accept_results")),
    DemoApplicant("wangfang", "王芳", "quantum", "quantum_bj_2024", "senior_engineer", "regular", {
        "education": [{"level": "doctor", "graduation_date": "2021-07-01"}], "specialty_work_start": "2021-07-20",
        "directions": ["quantum_computing"],
        "achievements": [{"kind": "invention_patent", "granted": True, "rank": 1, "date": "2023-03-01",
                          "title": "一种超导量子比特读出方法（演示）"},
                         *_papers(2, 2022),
                         {"kind": "book", "rank": 2, "date": "2024-01-01", "title": "量子计算导论（演示）"}]},
        ("submit", "start_notice", "recommend", "request_correction")),
    DemoApplicant("liuyang", "刘洋", "cyber", "cyber_bj_2024", "engineer", "regular", {
        "education": [{"level": "master", "graduation_date": "2021-07-01"}], "specialty_work_start": "2021-07-05",
        "directions": ["cyber_data"],
        "achievements": [{"kind": "standard", "standard_level": 2, "rank": 4, "role": "participant",
                          "date": "2023-06-01", "title": "数据分类分级团体标准（演示）"},
                         {"kind": "paper", "venue": "public_journal", "rank": 2, "date": "2024-02-01"}]},
        ("submit", "start_notice")),
    DemoApplicant("chenjing", "陈静", "general", "general_bj_2020", "senior_engineer", "exceptional", {
        "education": [{"level": "junior_college", "graduation_date": "2014-07-01"}],
        "specialty_work_start": "2014-07-01",
        "titles": [{"grade": 3, "obtained": "2021-12-01", "name": "工程师"}],
        "directions": ["general_application"],
        "achievements": [{"kind": "science_award", "level": 4, "grade": 2, "rank": 3, "date": "2023-12-01",
                          "title": "北京市科学技术进步奖二等奖（演示）"},
                         {"kind": "standard", "standard_level": 4, "role": "lead", "rank": 1, "date": "2022-08-01"},
                         {"kind": "construction_method", "role": "lead", "rank": 1, "date": "2023-04-01"},
                         {"kind": "tech_report", "role": "lead", "rank": 1, "date": "2024-03-01"}]},
        ("submit",)),
    DemoApplicant("zhaolei", "赵磊", "iiot", "iiot_qd_2023", "senior_engineer", "regular", {
        "education": [{"level": "bachelor", "graduation_date": "2010-07-01"}], "specialty_work_start": "2010-07-15",
        "titles": [{"grade": 3, "obtained": "2019-06-01", "name": "工程师"}],
        "annual_assessments": [{"year": y, "result": "competent"} for y in range(2019, 2026)],
        "directions": ["iiot_platform"],
        "achievements": [{"kind": "research_project", "level": 3, "rank": 1, "role": "lead", "accepted": True,
                          "date": "2023-05-01", "title": "市级工业互联网平台项目（演示）"}]},
        ("submit", "start_notice", "recommend", "forward")),
    DemoApplicant("sunli", "孙丽", "ai", "ai_bj_2020", "assistant_engineer", "regular", {
        "education": [{"level": "bachelor", "graduation_date": "2024-07-01"}], "specialty_work_start": "2024-07-15",
        "directions": ["ai_application"]}, ()),
]

STAFF = [  # (username, role, display name, unit key, department key)
    ("admin", "admin", "系统管理员", None, None),
    ("agency", "agency", "北京信息产业考评服务中心（演示）", None, None),
    ("bureau", "bureau", "北京市人力资源和社会保障局（演示）", None, None),
    ("dept_qd", "department", "新区工业和信息化局（演示）", None, "qd"),
    *[(f"unit_{key}", "unit", f"{name}人事处", key, None) for key, name, _, _ in UNITS],
    *[(f"expert{i}", "expert", f"评审专家{i}（演示）", None, None) for i in range(1, 8)],
]

# the steps and the day each is taken (a realistic autumn season; notices last 5 working days)
DAYS = {"submit": D(2026, 9, 7), "start_notice": D(2026, 9, 8), "recommend": D(2026, 9, 15),
        "forward": D(2026, 9, 16), "request_correction": D(2026, 11, 18), "accept": D(2026, 9, 18),
        COMMITTEE: D(2026, 10, 20), "accept_results": D(2026, 11, 2), "certify": D(2026, 11, 10)}


def has_data(engine: Engine) -> bool:
    with transaction(engine, readonly=True) as s:
        return bool(s.scalar(select(func.count(User.id))))


def load_demo(engine: Engine, data_dir: Path) -> dict[str, int]:
    """Fill an empty database; returns counts. Refuses to touch a database that already has users."""
    if has_data(engine):
        return {}
    protector = protector_for(data_dir)
    pw = hash_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    with transaction(engine) as s:
        dept = Department(name="青岛西海岸新区工业和信息化局（演示）")
        s.add(dept)
        s.flush()
        units = {}
        for key, name, prefix, d in UNITS:
            units[key] = Unit(name=name, uscc=make_uscc(prefix), department_id=dept.id if d else None)
            s.add(units[key])
        s.flush()
        for username, role, display, unit_key, dept_key in STAFF:
            users[username] = User(username=username, role=role, display_name=display, password_hash=pw,
                                   unit_id=units[unit_key].id if unit_key else None,
                                   department_id=dept.id if dept_key else None)
            s.add(users[username])
        # as an Excel import leaves it: no password until the agency hands out an activation code
        users["expert_new"] = User(username="expert_new", role="expert", display_name="待激活专家（演示）",
                                   password_hash=NO_PASSWORD)
        s.add(users["expert_new"])
        for i, a in enumerate(APPLICANTS):
            number = make_resident_id("110105" if a.unit != "iiot" else "370211", D(1985 + i, 3, 1 + i), 10 + i)
            ident = protect_resident_id(protector, number)
            users[a.username] = User(username=a.username, role="applicant", display_name=a.name, password_hash=pw,
                                     id_number_token=ident.token, id_number_index=ident.index,
                                     id_number_masked=ident.masked, unit_id=units[a.unit].id)
            s.add(users[a.username])
        s.flush()
        agency = svc.actor_for(users["agency"])
        c = svc.Context(s, svc.actor_for(users["admin"]), D(2026, 8, 1))
        svc.register_extension(svc.Context(s, agency, D(2026, 8, 1)), document_id="iiot_qd_2023",
                               until=D(2027, 6, 12),
                               basis="演示数据：假定的延续执行通知（非真实文件，仅用于演示青岛程序）")
        rounds = {}
        for doc, title, levels in (
            ("general_bj_2020", "2026年度北京市工程技术系列职称评审", ["engineer", "senior_engineer",
                                                                      "professorate_senior_engineer"]),
            ("ai_bj_2020", "2026年度人工智能专业职称评审", ["assistant_engineer", "engineer", "senior_engineer"]),
            ("quantum_bj_2024", "2026年度量子信息专业职称评审", ["engineer", "senior_engineer"]),
            ("cyber_bj_2024", "2026年度网络空间安全专业职称评审", ["engineer", "senior_engineer"]),
            ("iiot_qd_2023", "2026年度工业互联网工程技术人才职称评审", ["engineer", "senior_engineer"]),
        ):
            rounds[doc] = svc.open_round(svc.Context(s, agency, D(2026, 8, 20)), document_id=doc, levels=levels,
                                         kind="annual", year=2026, title=title, window_start=D(2026, 9, 1),
                                         window_end=D(2026, 12, 31)).id
        del c
        apps = {}
        for a in APPLICANTS:
            me = svc.actor_for(users[a.username])
            apps[a.username] = svc.create_application(svc.Context(s, me, D(2026, 9, 1)), round_id=rounds[a.document],
                                                      level=a.level, route=a.route, profile=a.profile).id
    # up to the committee one by one, then one real meeting for all of them, then the rest
    for a in APPLICANTS:
        for action in a.steps[: a.steps.index(COMMITTEE) if COMMITTEE in a.steps else None]:
            _drive(engine, users, a, apps[a.username], action)
    _committee_meeting(engine, users, [apps[a.username] for a in APPLICANTS if COMMITTEE in a.steps])
    for a in APPLICANTS:
        for action in a.steps[a.steps.index(COMMITTEE) + 1 :] if COMMITTEE in a.steps else ():
            _drive(engine, users, a, apps[a.username], action)
    certified = [apps[a.username] for a in APPLICANTS if "certify" in a.steps]
    issued = _issue_certificates(engine, users, data_dir, certified)
    return {"users": len(users), "units": len(UNITS), "rounds": 5, "applications": len(APPLICANTS),
            "certificates": issued}


def _issue_certificates(engine: Engine, users: dict[str, User], data_dir: Path, app_ids: list[int]) -> int:
    """The agency issues the signed certificates of the certified applicants (keys in the data folder), so a
    new user can verify one at once: number ZC110000202640000019, name 张伟 (docs/certificates.md)."""
    from zhicheng.certificates.config import TrustSettings
    from zhicheng.certificates.service import issue_certificates

    day = DAYS["certify"]
    now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with transaction(engine) as s:
        c = svc.Context(s, svc.actor_for(users["agency"]), day, now=now)
        return len(issue_certificates(c, TrustSettings.from_env(data_dir), app_ids))


def _committee_meeting(engine: Engine, users: dict[str, User], app_ids: list[int]) -> None:
    """The AI committee meets: a seeded draw of the 7 demo experts, declarations, panel scores, check-in,
    a secret ballot per applicant (all in favour) that moves each application on, archived minutes."""
    from zhicheng.review.sitting import hold_meeting, seat_committee

    agency = svc.actor_for(users["agency"])
    experts = [svc.actor_for(users[f"expert{i}"]) for i in range(1, 8)]
    with transaction(engine) as s:
        committee_id = seat_committee(
            svc.Context(s, agency, D(2026, 8, 1)), name="人工智能专业职称评审委员会（演示）", document_id="ai_bj_2020",
            levels=["engineer", "senior_engineer"], expert_ids=[e.user_id for e in experts], specialty="人工智能",
            filed_on=D(2026, 1, 1), expires_on=D(2028, 12, 31), reference="演示备案〔2026〕1号（非真实文件）",
            term=(D(2025, 1, 1), D(2027, 12, 31)),
            min_members_basis="演示数据：假定省级人社部门同意调整评审专家人数（非真实文件）")
    hold_meeting(engine, agency=agency, experts=experts, committee_id=committee_id, application_ids=app_ids,
                 held_on=DAYS[COMMITTEE], title="2026年度人工智能专业评审会议（演示）", seed="demo-2026")


def _drive(engine: Engine, users: dict[str, User], a: DemoApplicant, app_id: int, action: str) -> None:
    who = {"submit": a.username, "start_notice": f"unit_{a.unit}", "recommend": f"unit_{a.unit}",
           "forward": "dept_qd", "request_correction": "agency", "accept": "agency",
           "accept_results": "bureau", "certify": "agency"}[action]
    today = DAYS[action]
    with transaction(engine) as s:
        c = svc.Context(s, svc.actor_for(users[who]), today)
        data: dict[str, Any] = {}
        if action == "submit":
            data = {"pledge": True}
        elif action == "request_correction":
            data = {"items": ["请补充第一发明人专利的授权公告页", "请补充专著的版权页和CIP数据页"], "workdays": 10}
        elif action == "accept":
            v = svc.evaluate_application(c, svc.get_application(c, app_id))
            data = {"judgements": [{"condition": r.id, "passed": True, "note": "演示：材料已核实"}
                                   for r in v.review_items]}
        elif action == "accept_results":
            data = {"approval_number": "京人社职字〔2026〕18号（演示，非真实文件）"}
        svc.act(c, app_id, action, data=data)
