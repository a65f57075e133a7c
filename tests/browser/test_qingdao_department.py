"""A Qingdao application through the department's review, in Chromium: the unit starts its internal notice
and recommends when it is over, the competent department forwards to the organising unit (组建单位), and the
applicant follows it on the status timeline. The application itself is seeded through the services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_support import QD_IIOT_SENIOR, LiveServer, build_world, current_state, login, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

D = dt.date


def test_unit_then_department_forward(live: LiveServer, new_page: Any, password_hash: str, shots: Any) -> None:
    w = build_world(live.engine, password_hash)
    w.open_round("qd", D(2025, 3, 20), "iiot_qd_2023", D(2025, 4, 1), D(2025, 5, 30), "2025年度工业互联网职称评审")
    app_id = w.apply("applicant_qd", D(2025, 4, 1), "qd", "senior_engineer", QD_IIOT_SENIOR)
    w.act("applicant_qd", D(2025, 4, 1), app_id, "submit", pledge=True)
    live.to(D(2025, 4, 2))

    # the unit: its queue, the application, the internal notice
    unit = new_page()
    login(unit, w.username("unit_qd"))
    assert unit.url.endswith("/work/unit")
    unit.get_by_role("link", name="赵磊").click()
    expect(current_state(unit)).to_contain_text("用人单位审核")
    unit.get_by_role("button", name="通过审核并开始单位内部公示").click()
    expect(current_state(unit)).to_contain_text("单位内部公示")
    due = re.search(r"期限 (\d{4}-\d\d-\d\d)", current_state(unit).inner_text())
    assert due, "单位内部公示应显示期满日期"
    notice_end = D.fromisoformat(due.group(1))
    assert notice_end >= D(2025, 4, 9)  # 5 working days from 2 April (Qingming 4–6 April is a holiday)

    # recommending before the notice is over is refused with the reason, next to the form
    unit.get_by_label("推荐意见（可填）").fill("该同志业绩突出，同意推荐。")
    unit.get_by_role("button", name="公示无异议，报主管部门").click()
    expect(unit.get_by_role("alert")).to_contain_text("期满后方可办理")

    live.to(notice_end + dt.timedelta(days=1))  # days later: the session has expired, log in again
    sign_in(unit, live, w.users["unit_qd"])
    unit.goto(f"/work/unit/applications/{app_id}")
    unit.get_by_label("推荐意见（可填）").fill("该同志业绩突出，公示无异议，同意推荐。")
    unit.get_by_role("button", name="公示无异议，报主管部门").click()
    expect(current_state(unit)).to_contain_text("主管部门审核")

    # the department sees its unit's application and forwards it
    dept = new_page()
    login(dept, w.username("dept_qd"))
    assert dept.url.endswith("/work/department")
    row = dept.locator("tbody tr", has_text="赵磊")
    expect(row).to_contain_text("青岛海工互联科技有限公司（测试）")
    row.get_by_role("link", name="赵磊").click()
    expect(dept.locator("body")).to_contain_text("同意推荐")  # the unit's opinion travels with the application
    dept.get_by_label("审核意见（可填）").fill("材料齐全，同意报送组建单位。")
    dept.get_by_role("button", name="审核通过，报组建单位").click()
    expect(current_state(dept)).to_contain_text("评审机构资格审核")
    shots.save(dept, "department-forwarded")

    # the applicant's timeline: unit, notice and department done, the organising unit's review current
    me = new_page()
    login(me, w.username("applicant_qd"))
    me.get_by_role("link", name=f"查看 申报 {app_id}").click()
    steps = me.locator("ol.timeline li")
    expect(steps.filter(has_text="主管部门审核")).to_have_class("done")
    expect(steps.filter(has_text="单位内部公示")).to_have_class("done")
    expect(steps.filter(has_text="评审机构资格审核")).to_have_class("current")
    shots.save(me, "qingdao-timeline")

    # and the agency finds it in its qualification-review queue
    agency = new_page()
    login(agency, w.username("agency"))
    agency.goto("/work/agency/queue")
    expect(agency.locator("tbody")).to_contain_text("赵磊")
