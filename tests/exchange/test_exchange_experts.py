"""Importing experts, on SQLite and PostgreSQL: accounts found or made, the term registered through
review.service.register_expert, the committee pool, idempotent re-import, renewals, row errors, permission."""

from __future__ import annotations

import datetime as dt

import pytest
from exchange_world import COMMITTEE, PROTECTOR, REGISTERED_ID, World, book, person
from sqlalchemy import select

from zhicheng.accounts.identity import resident_id_index
from zhicheng.accounts.idnumbers import make_uscc
from zhicheng.errors import DomainError
from zhicheng.exchange.imports import NO_PASSWORD, ImportReport, import_experts
from zhicheng.store.db import transaction
from zhicheng.store.models import CommitteePoolEntry, Expert, User
from zhicheng.workflow.rights import Actor

EXPERT_USCC = make_uscc("12110000MB1234567")


def run_import(world: World, data: bytes, actor: Actor | None = None, **kw: object) -> ImportReport:
    report: ImportReport = world.run(actor or world.agency, import_experts, PROTECTOR, data, filename="专家.xlsx", **kw)
    return report


def expert(name: str, id_number: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "姓名": name,
        "身份证号": id_number,
        "职称": "正高级工程师",
        "专业": "人工智能",
        "工作单位": "北京某研究院",
        "聘期开始": dt.date(2026, 1, 1),
        "聘期结束": dt.date(2028, 12, 31),
    }
    row.update(extra)
    return row


def rows(world: World) -> list[dict[str, object]]:
    with transaction(world.engine, readonly=True) as s:
        username = s.get(User, world.expert.user_id).username  # type: ignore[union-attr]
    return [
        expert("赵六", person(20), 单位统一社会信用代码=EXPERT_USCC, 评审委员会=COMMITTEE),
        expert("孙八", person(21), 职称="研究员", 职称等级="正高级", 用户名="sunba", 聘期开始="2026/1/1"),
        expert("钱七", person(22), 用户名=username, 职称="高级工程师"),
    ]


def test_experts_are_registered_and_pooled(world: World) -> None:
    before = world.counts()
    report = run_import(world, book(experts=rows(world)))
    assert report.ok and report.imported, report.problems
    assert [(r.name, r.outcome) for r in report.results] == [
        ("赵六", "created"),
        ("孙八", "created"),
        ("钱七", "created"),
    ]
    after = world.counts()
    assert (after["users"], after["experts"]) == (before["users"] + 2, before["experts"] + 3)
    with transaction(world.engine, readonly=True) as s:
        zhao = s.scalar(select(User).where(User.id_number_index == resident_id_index(PROTECTOR, person(20))))
        assert zhao is not None and zhao.role == "expert" and zhao.password_hash == NO_PASSWORD
        e = s.get(Expert, zhao.id)
        assert e is not None
        assert (e.title, e.title_grade, e.specialty, e.unit_name, e.unit_uscc, e.term_start, e.term_end) == (
            "正高级工程师",
            5,
            "人工智能",
            "北京某研究院",
            EXPERT_USCC,
            dt.date(2026, 1, 1),
            dt.date(2028, 12, 31),
        )
        assert s.get(CommitteePoolEntry, (world.committee_id, zhao.id)) is not None
        sun = s.scalar(select(User).where(User.username == "sunba"))
        assert sun is not None and s.get(Expert, sun.id).title_grade == 5  # type: ignore[union-attr]
        qian = s.get(Expert, world.expert.user_id)  # the existing account, found by its username
        assert qian is not None and qian.title_grade == 4


def test_reimport_is_idempotent_and_a_changed_term_is_a_renewal(world: World) -> None:
    data_rows = rows(world)
    run_import(world, book(experts=data_rows))
    before = world.counts()
    again = run_import(world, book(experts=data_rows))
    assert [r.outcome for r in again.results] == ["skipped"] * 3
    assert world.counts() == before
    data_rows[1]["聘期结束"] = dt.date(2027, 12, 31)
    renewed = run_import(world, book(experts=data_rows))
    assert [r.outcome for r in renewed.results] == ["skipped", "updated", "skipped"]
    with transaction(world.engine, readonly=True) as s:
        sun = s.scalar(select(User).where(User.username == "sunba"))
        assert s.get(Expert, sun.id).term_end == dt.date(2027, 12, 31)  # type: ignore[union-attr]
    assert world.counts()["users"] == before["users"]


CASES: list[tuple[dict[str, object], str, str]] = [
    ({"聘期结束": dt.date(2030, 12, 31)}, "聘期结束", "不得超过 3 年"),
    ({"聘期结束": dt.date(2025, 12, 31)}, "聘期结束", "早于开始日"),
    ({"评审委员会": "不存在的评委会"}, "评审委员会", "没有名为"),
    ({"评审委员会": COMMITTEE, "职称": "工程师"}, "评审委员会", "职称层级低于本评委会评审的层级"),
    ({"职称": "研究员"}, "职称等级", "看不出等级"),
    ({"身份证号": REGISTERED_ID, "姓名": "王芳"}, "身份证号", "已登记为申报人账号"),
    ({"用户名": "a b"}, "用户名", "用户名应为"),
    ({"单位统一社会信用代码": "12345"}, "单位统一社会信用代码", "18"),
    ({"聘期开始": None}, "聘期开始", "必填"),
]


@pytest.mark.parametrize(("fields", "column", "reason"), CASES, ids=[c[2] for c in CASES])
def test_expert_row_errors(world: World, fields: dict[str, object], column: str, reason: str) -> None:
    before = world.counts()
    report = run_import(world, book(experts=[expert("甲", person(30)), expert("乙", person(31), **fields)]))
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("评审专家", 3, column)], report.problems
    assert reason in report.problems[0].message
    assert world.counts() == before


def test_a_name_that_does_not_match_the_account_is_refused(world: World) -> None:
    with transaction(world.engine, readonly=True) as s:
        username = s.get(User, world.expert.user_id).username  # type: ignore[union-attr]
    report = run_import(world, book(experts=[expert("冒名", person(40), 用户名=username)]))
    assert report.problems[0].column == "姓名" and "钱七" in report.problems[0].message


@pytest.mark.parametrize("role", ["admin", "bureau", "unit", "expert"])
def test_only_the_agency_imports_experts(world: World, role: str) -> None:
    with pytest.raises(DomainError) as exc:
        run_import(world, book(experts=rows(world)), getattr(world, role))
    assert exc.value.status == 403 and "只有评审服务机构可以导入评审专家" in exc.value.message
