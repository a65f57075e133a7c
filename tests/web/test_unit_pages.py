"""Employer-unit and competent-department pages over HTTP on SQLite and PostgreSQL: the queue (own staff
only, paginated), the internal notice with its computed end, recommendation and refusals, objections on
the unit's notice, the department's forward and return; other roles refused, CSRF, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from page_world import AI_SENIOR, SECRET, D, World, location, make_world
from sqlalchemy import Engine, select

from zhicheng.store.db import transaction
from zhicheng.store.models import Application, Objection, Round
from zhicheng.store.testing import add_application


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    yield make_world(engine, tmp_path, D(2026, 9, 1))


def test_queue_is_own_staff_paginated_and_refuses_other_roles(world: World) -> None:
    mine, other = world.unit("甲公司"), world.unit("乙公司")
    rid = world.round()
    people = [
        (world.user("applicant", unit_id=mine.id, display_name=f"甲员工{i:02d}"), "unit_review") for i in range(25)
    ]
    people.append((world.user("applicant", unit_id=other.id, display_name="乙员工"), "unit_review"))
    people.append((world.user("applicant", unit_id=mine.id, display_name="甲草稿"), "draft"))
    with transaction(world.engine) as s:
        rnd = s.get(Round, rid)
        assert rnd is not None
        for person, state in people:
            add_application(s, rnd, person, unit_id=person.unit_id, state=state, level="senior_engineer")
    u = world.browser(world.user("unit", unit_id=mine.id))
    first = u.get("/work/unit")
    assert first.status_code == 200 and "第 1 / 2 页，共 25 条" in first.text
    assert first.text.count("/work/unit/applications/") == 40  # 20 rows, two links each
    second = u.get("/work/unit?show=todo&page=2").text
    assert second.count("/work/unit/applications/") == 10
    names = set(re.findall(r"甲员工\d\d", first.text + second))
    assert len(names) == 25 and "乙员工" not in first.text + second and "甲草稿" not in first.text + second
    assert "共 25 条" in u.get("/work/unit?show=all").text
    bad = u.get("/work/unit?page=abc")  # a malformed parameter gets the HTML error page, not JSON
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html") and "输入有误" in bad.text

    anonymous = world.browser()
    assert anonymous.get("/work/unit").headers["location"] == "/login?next=/work/unit"
    assert anonymous.get("/work/department").headers["location"] == "/login?next=/work/department"
    for who, url in (
        (world.user("applicant"), "/work/unit"),
        (world.user("applicant"), "/work/department"),
        (world.user("unit", unit_id=mine.id), "/work/department"),
        (world.user("agency"), "/work/unit"),
    ):
        r = world.browser(who).get(url)
        assert r.status_code == 403 and "无权访问" in r.text
    with transaction(world.engine, readonly=True) as s:
        theirs = s.scalar(select(Application.id).where(Application.unit_id == other.id))
    r = u.get(f"/work/unit/applications/{theirs}")
    assert r.status_code == 404 and "不存在或无权查看" in r.text


def test_notice_recommendation_and_refusals(world: World) -> None:
    unit = world.unit()
    rid = world.round()
    applicant = world.user("applicant", unit_id=unit.id, display_name="李<script>alert(1)</script>")
    app_id = world.submitted(
        applicant,
        rid,
        {
            **AI_SENIOR,
            "achievements": [{**a, "title": "<img src=x onerror=alert(1)>"} for a in AI_SENIOR["achievements"]],
        },
    )
    u = world.browser(world.user("unit", unit_id=unit.id))
    page_url = f"/work/unit/applications/{app_id}"
    act = page_url + "/act"
    world.at(D(2026, 9, 2))
    page = u.get(page_url).text
    assert "李&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "最早于 <strong>2026-09-08</strong> 期满" in page
    assert "待人工判断" in page  # the verdict recorded at submission
    assert re.search(r"身份证号 \d{3}\*+\w{4}", page)  # masked only
    assert {"start_notice", "return", "decline"} <= set(re.findall(r'name="action" value="([a-z_]+)"', page))

    version = u.form(page_url, act)["version"]
    r = u.post(act, {"action": "decline", "version": version, "reason": "   "})
    assert r.status_code == 422 and "意见或理由：“不予推荐”须填写理由" in r.text
    assert world.application(app_id).state == "unit_review"
    r = u.post(act, {"action": "start_notice", "version": version}, csrf=False)
    assert r.status_code == 403 and world.application(app_id).state == "unit_review"
    r = u.post(act, {"action": "start_notice", "version": str(int(version) + 5)})
    assert r.status_code == 409 and "申报已被他人处理" in r.text
    done = location(u.post(act, {"action": "start_notice", "version": version}))
    assert done == page_url + "?done=start_notice"
    page = u.get(done).text
    assert "已办理：通过审核并开始单位内部公示" in page and world.application(app_id).step_due == D(2026, 9, 8)

    world.at(D(2026, 9, 8))
    version = u.form(page_url, act)["version"]
    r = u.post(act, {"action": "recommend", "version": version, "reason": "同意推荐"})
    assert r.status_code == 422 and "公示期至2026-09-08" in r.text
    assert world.application(app_id).state == "unit_notice"
    world.at(D(2026, 9, 9))
    assert location(u.post(act, {"action": "recommend", "version": version, "reason": "同意推荐"}))
    assert world.application(app_id).state == "agency_review"
    page = u.get(page_url).text
    assert "同意推荐" in page and 'name="action"' not in page  # the agency's turn now: nothing to do here


def test_objection_on_the_internal_notice_is_decided_by_the_unit(world: World) -> None:
    unit = world.unit()
    rid = world.round()
    unit_user = world.user("unit", unit_id=unit.id)
    app_id = world.submitted(world.user("applicant", unit_id=unit.id, display_name="赵六"), rid)
    world.at(D(2026, 9, 2))
    world.act(unit_user, app_id, "start_notice")
    world.at(D(2026, 9, 3))
    public = world.browser()
    notice_id = int(re.search(r'href="/notices/(\d+)"', public.get("/notices").text).group(1))  # type: ignore[union-attr]
    r = public.post(
        f"/notices/{notice_id}/objection",
        {
            "application_id": str(app_id),
            "name": "钱七",
            "contact": "13800000000",
            "content": "论文三并非第一作者<b>请核查</b>",
        },
    )
    assert location(r) == f"/notices/{notice_id}?received=1"

    u = world.browser(unit_user)
    queue = u.get("/work/unit").text
    assert "待处理" in queue and f"/work/unit/applications/{app_id}#objections" in queue
    page_url = f"/work/unit/applications/{app_id}"
    page = u.get(page_url).text
    assert "异议人：钱七；联系方式：13800000000" in page and "&lt;b&gt;请核查&lt;/b&gt;" in page
    other_unit = world.browser(world.user("unit", unit_id=world.unit("别的单位").id))
    assert other_unit.get(page_url).status_code == 404
    r = other_unit.post("/work/unit/objections/1/decide", {"upheld": "0", "decision": "不属实"})
    assert r.status_code == 404

    decide = "/work/unit/objections/1/decide"
    r = u.post(decide, {"decision": ""})
    assert r.status_code == 422 and "核查结果：请选择异议是否属实" in r.text
    r = u.post(decide, {"upheld": "0", "decision": "  "})
    assert r.status_code == 422 and "核查结论：须写明核查结论" in r.text
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(Objection.status)) == "open"
    world.at(D(2026, 9, 9))
    act = page_url + "/act"
    version = u.form(page_url, act)["version"]
    r = u.post(act, {"action": "recommend", "version": version})
    assert r.status_code == 422 and "有1件异议尚未处理" in r.text
    assert location(u.post(decide, {"upheld": "0", "decision": "经核对期刊署名，申报人为第一作者。"}))
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(Objection.status)) == "dismissed"
    page = u.get(page_url).text
    assert "· 不属实" in page
    assert "经核对期刊署名" in page and "/work/unit/objections/1/decide" not in page
    assert location(u.post(act, {"action": "recommend", "version": version}))
    assert world.application(app_id).state == "agency_review"


def test_department_forwards_and_returns(world: World) -> None:
    dept = world.department()
    unit = world.unit("青岛某工业互联网公司", department_id=dept)
    outsider = world.unit("不归该部门管的公司")
    rid = world.round(document_id="iiot_qd_2023", levels=["engineer"], title="2025年度青岛工业互联网专业职称评审")
    people = [
        (world.user("applicant", unit_id=unit_id, display_name=name), state)
        for name, unit_id, state in (
            ("孙一", unit.id, "department_review"),
            ("孙二", unit.id, "department_review"),
            ("外单位", outsider.id, "department_review"),
            ("还在单位", unit.id, "unit_review"),
        )
    ]
    with transaction(world.engine) as s:
        rnd = s.get(Round, rid)
        assert rnd is not None
        ids = [add_application(s, rnd, p, unit_id=p.unit_id, state=state).id for p, state in people]
    d = world.browser(world.user("department", department_id=dept))
    queue = d.get("/work/department").text
    assert "孙一" in queue and "孙二" in queue and "外单位" not in queue and "还在单位" not in queue
    assert "青岛某工业互联网公司" in queue
    first, second, foreign, _ = ids
    assert d.get(f"/work/department/applications/{foreign}").status_code == 404

    page_url = f"/work/department/applications/{first}"
    act = page_url + "/act"
    page = d.get(page_url).text
    assert set(re.findall(r'name="action" value="([a-z_]+)"', page)) == {"forward", "return"}
    version = d.form(page_url, act)["version"]
    assert location(d.post(act, {"action": "forward", "version": version, "reason": "材料齐全，同意上报"}))
    assert world.application(first).state == "agency_review"

    page_url = f"/work/department/applications/{second}"
    act = page_url + "/act"
    version = d.form(page_url, act)["version"]
    r = d.post(act, {"action": "return", "version": version, "reason": ""})
    assert r.status_code == 422 and "须填写理由" in r.text and world.application(second).state == "department_review"
    assert location(d.post(act, {"action": "return", "version": version, "reason": "缺少单位推荐意见"}))
    assert world.application(second).state == "unit_review"
    r = world.browser(world.user("unit", unit_id=unit.id)).get(f"/work/unit/applications/{second}")
    assert "缺少单位推荐意见" in r.text and "退回用人单位" in r.text
