"""A conflicted expert cannot see the application, in Chromium: an expert of the applicant's own unit (a
conflict found by the draw) and an expert who declares a relation on the declaration sheet both lose the
applicant from every list, and the direct address of the material is refused. A colleague without a conflict
sees it (the control). Committee, meeting and draw are seeded through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from browser_support import BJ_AI_SENIOR, LiveServer, build_world, login, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

D = dt.date
MEETING_DAY = D(2026, 10, 20)


def declare(page: Any, meeting_id: int, relations: dict[str, str] | None = None) -> None:
    page.goto(f"/work/expert/meetings/{meeting_id}")
    for name, kind in (relations or {}).items():
        page.get_by_label(f"与{name}的关系").select_option(label=kind)
    page.get_by_label("本人已阅知评审回避规定", exact=False).check()
    page.get_by_role("button", name="提交回避申报").click()
    expect(page.get_by_role("status")).to_contain_text("回避申报已提交")


def test_conflicted_expert_cannot_see_the_application(
    live: LiveServer, new_page: Any, password_hash: str, shots: Any
) -> None:
    w = build_world(live.engine, password_hash, experts=5)
    w.open_round("bj", D(2026, 8, 20), "ai_bj_2020", D(2026, 9, 1), D(2026, 12, 31), "2026年度人工智能专业职称评审")
    same_unit = w.to_agency("applicant_bj", "unit_bj", BJ_AI_SENIOR)  # 张伟, 北京智算未来
    other = w.to_agency("applicant_bj2", "unit_bj2", BJ_AI_SENIOR)  # 王芳, 北京量子信息研究院
    for app_id in (same_unit, other):
        w.accept(D(2026, 9, 16), app_id)
    experts = [f"expert{i}" for i in range(5)]
    committee = w.committee(D(2026, 9, 20), experts, unit_of={"expert0": "bj"})
    mid = w.meeting(MEETING_DAY, committee, [same_unit, other], size=5)
    live.to(MEETING_DAY)

    # expert0 works at 张伟's unit: 张伟 is on no sheet, no agenda, and the material's address is refused
    conflicted = new_page()
    login(conflicted, w.username("expert0"))
    conflicted.get_by_role("link", name="2026年度评审会议").click()
    sheet = conflicted.get_by_role("table", name="回避申报表")
    expect(sheet).to_contain_text("王芳")
    expect(sheet).not_to_contain_text("张伟")
    declare(conflicted, mid)
    expect(conflicted.locator("main")).to_contain_text("王芳")
    expect(conflicted.locator("main")).not_to_contain_text("张伟")
    assert conflicted.get_by_role("link", name="张伟").count() == 0
    shots.save(conflicted, "expert-conflicted-agenda")
    refused = conflicted.goto(f"/work/expert/meetings/{mid}/applications/{same_unit}")
    assert refused is not None and refused.status == 404
    expect(conflicted.locator("main")).not_to_contain_text("张伟")
    refused = conflicted.goto(f"/work/expert/meetings/{mid}/applications/{same_unit}/files/0")
    assert refused is not None and refused.status == 404

    # the control: expert1 has no relation with 张伟 and opens the material
    colleague = new_page()
    sign_in(colleague, live, w.users["expert1"])
    # … but declares a collaboration with 王芳, who then disappears for them in the same way
    declare(colleague, mid, {"王芳": "合作关系"})
    agenda = colleague.get_by_role("table", name="评审对象").or_(colleague.locator("main table").first)
    expect(colleague.get_by_role("link", name="张伟")).to_be_visible()
    expect(agenda).not_to_contain_text("王芳")
    seen = colleague.goto(f"/work/expert/meetings/{mid}/applications/{same_unit}")
    assert seen is not None and seen.status == 200
    expect(colleague.locator("main")).to_contain_text("张伟")
    refused = colleague.goto(f"/work/expert/meetings/{mid}/applications/{other}")
    assert refused is not None and refused.status == 404
    expect(colleague.locator("main")).not_to_contain_text("王芳")
