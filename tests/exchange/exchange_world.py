"""A small world for the spreadsheet tests (imported by conftest.py and the test modules): two registered
units, staff of every role, one registered applicant, open rounds, a committee; workbook builders."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
from api_support import SECRET
from sqlalchemy import Engine, func, select

from zhicheng.accounts.identity import protect_resident_id
from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.accounts.protect import PersonalDataProtector, decode_master_key
from zhicheng.exchange.layout import ACHIEVEMENT_COLUMNS, APPLICATION_COLUMNS, EXPERT_COLUMNS
from zhicheng.review import service as rsvc
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, AuditEntry, Expert, Unit, User
from zhicheng.store.testing import add_round, add_user
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

TODAY = dt.date(2026, 9, 2)
PROTECTOR = PersonalDataProtector(decode_master_key(SECRET))
USCC_AI = make_uscc("91110108MA01AB2C3")
USCC_QD = make_uscc("91370211MA3CDE456")
USCC_UNKNOWN = make_uscc("91110105MA00XY123")  # valid, but no such unit on the platform
COMMITTEE = "北京市人工智能专业高级评审委员会（测试）"


def person(n: int, year: int = 1986) -> str:
    """A valid 身份证号, distinct for each ``n``."""
    return make_resident_id("110105", dt.date(year, 1 + n % 12, 1 + n % 28), 100 + n)


REGISTERED_ID = person(99, 1984)  # 王芳, already registered as an applicant


@dataclass
class World:
    engine: Engine
    agency: Actor
    admin: Actor
    bureau: Actor
    unit: Actor
    expert: Actor
    registered: Actor
    unit_ai: int
    unit_qd: int
    round_ai: int
    round_general: int
    committee_id: int

    def run(self, actor: Actor, fn: Callable[..., Any], *args: Any, today: dt.date = TODAY, **kw: Any) -> Any:
        with transaction(self.engine) as s:
            return fn(wsvc.Context(s, actor, today), *args, **kw)

    def counts(self) -> dict[str, int]:
        with transaction(self.engine, readonly=True) as s:
            return {
                "applications": s.scalar(select(func.count(Application.id))) or 0,
                "users": s.scalar(select(func.count(User.id))) or 0,
                "experts": s.scalar(select(func.count(Expert.user_id))) or 0,
                "audit": s.scalar(select(func.count(AuditEntry.seq))) or 0,
            }


def build_world(engine: Engine) -> World:
    with transaction(engine) as s:
        ai = Unit(name="北京智算未来科技有限公司", uscc=USCC_AI)
        qd = Unit(name="青岛海工互联科技有限公司", uscc=USCC_QD)
        s.add_all([ai, qd])
        s.flush()
        agency = wsvc.actor_for(add_user(s, "agency", display_name="评审服务中心"))
        admin = wsvc.actor_for(add_user(s, "admin"))
        bureau = wsvc.actor_for(add_user(s, "bureau"))
        unit = wsvc.actor_for(add_user(s, "unit", unit_id=ai.id))
        expert = wsvc.actor_for(add_user(s, "expert", display_name="钱七"))
        ident = protect_resident_id(PROTECTOR, REGISTERED_ID)
        registered = add_user(
            s,
            "applicant",
            display_name="王芳",
            id_number_token=ident.token,
            id_number_index=ident.index,
            id_number_masked=ident.masked,
            unit_id=ai.id,
        )
        window = {"window_start": dt.date(2026, 9, 1), "window_end": dt.date(2026, 12, 31), "year": 2026}
        round_ai = add_round(s, document_id="ai_bj_2020", levels=["engineer", "senior_engineer"], **window)
        round_general = add_round(s, document_id="general_bj_2020", levels=["engineer", "senior_engineer"], **window)
        ids = (ai.id, qd.id, round_ai.id, round_general.id)
        registered_actor = wsvc.actor_for(registered)
    with transaction(engine) as s:
        committee = rsvc.register_committee(
            wsvc.Context(s, agency, TODAY),
            name=COMMITTEE,
            document_id="ai_bj_2020",
            organised_by="specialty",
            levels=["senior_engineer"],
            min_members=5,
            min_members_basis="测试数据：假定省级人社部门同意调整人数（非真实文件）",
        )
        committee_id = committee.id
    return World(engine, agency, admin, bureau, unit, expert, registered_actor, *ids, committee_id)


# ---------------------------------------------------------------- workbooks
def _sheet(wb: openpyxl.Workbook, title: str, columns: Sequence[Any], rows: Sequence[dict[str, Any]]) -> None:
    ws = wb.create_sheet(title)
    used = [c.header for c in columns if any(c.header in r for r in rows) or c.required]
    ws.append(used)
    for r in rows:
        ws.append([r.get(h) for h in used])


def book(
    applicants: Sequence[dict[str, Any]] = (),
    achievements: Sequence[dict[str, Any]] = (),
    experts: Sequence[dict[str, Any]] = (),
) -> bytes:
    """A workbook in the documented layout with only the columns the rows use (and the required ones)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if applicants:
        _sheet(wb, "申报人", APPLICATION_COLUMNS, applicants)
    if achievements:
        _sheet(wb, "成果", ACHIEVEMENT_COLUMNS, achievements)
    if experts:
        _sheet(wb, "评审专家", EXPERT_COLUMNS, experts)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def applicant(seq: str, name: str, id_number: str, **extra: Any) -> dict[str, Any]:
    row = {
        "序号": seq,
        "姓名": name,
        "身份证号": id_number,
        "单位统一社会信用代码": USCC_AI,
        "标准文件": "ai_bj_2020",
        "申报级别": "高级工程师",
    }
    row.update(extra)
    return row


def read_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))
