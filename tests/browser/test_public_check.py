"""The public self-check in Chromium: the verdict updates while filling in, English, phone width, keyboard only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from browser_support import START_DAY, htmx_settled, no_horizontal_scroll
from playwright.sync_api import expect

from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.engine import evaluate
from zhicheng.policy.profile import Profile
from zhicheng.web.labels import STATUS

pytestmark = pytest.mark.browser

DOC, LEVEL = "general_bj_2020", "senior_engineer"
PAPERS = ["2023-01-10", "2024-01-10", "2025-01-10"]


def engine_verdict(papers: int) -> Any:
    """What the engine says for the profile the test types in (the page must show the same)."""
    data = {
        "education": [{"level": "master", "graduation_date": "2020-07-01"}],
        "specialty_work_start": "2020-07-15",
        "titles": [{"grade": 3, "series": "engineering", "obtained": "2023-01-01"}],
        "directions": ["general_research_design"],
        "achievements": [{"kind": "paper", "venue": "core_journal", "rank": 1, "date": d} for d in PAPERS[:papers]],
    }
    profile = Profile.model_validate(data, context={"today": START_DAY})
    return evaluate(profile, DOC, LEVEL, START_DAY, default_catalog())


def findings(v: Any) -> list[str]:
    """The page lists what is missing, then what a reviewer must judge (three of each at most)."""
    return [g.message for g in v.missing[:3]] + [f"需判断：{r.label}" for r in v.review_items[:3]]


def verdict_row(page: Any) -> Any:
    cat = default_catalog()
    return (
        page.locator("#result tbody tr")
        .filter(has=page.get_by_role("cell", name=cat.document(DOC).short_title, exact=True))
        .filter(has=page.get_by_role("cell", name=cat.level(DOC, LEVEL).title, exact=True))
    )


def paper(page: Any, i: int, date: str) -> None:
    row = page.get_by_role("group", name=f"成果 {i + 1}")
    row.get_by_label("类型").select_option("paper")
    row.get_by_label("日期", exact=True).fill(date)
    row.get_by_label("排名").fill("1")
    row.get_by_label("刊物").select_option("core_journal")


def test_self_check_updates_live_and_explains(new_page: Any, shots: Any) -> None:
    page = new_page()
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "职称评审平台（工程技术系列）"
    shots.save(page, "home", best=True)
    page.get_by_role("link", name="申报资格自查").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "申报资格自查"
    assert page.get_by_label("评审基准日").input_value() == START_DAY.isoformat()  # the server's day

    page.get_by_label("学历 1").select_option("master")
    page.get_by_label("毕业日期").first.fill("2020-07-01")
    page.get_by_label("开始从事本专业技术工作").fill("2020-07-15")
    page.locator("[name=title_grade_0]").select_option("3")
    page.locator("[name=title_date_0]").fill("2023-01-01")
    page.get_by_label(default_catalog().document(DOC).short_title).select_option("general_research_design")
    paper(page, 0, PAPERS[0])

    # no button pressed: htmx posts the form on change and swaps the verdict in
    one = engine_verdict(1)
    row = verdict_row(page)
    expect(row.locator("td").nth(5).locator("li")).to_have_text(findings(one))
    assert STATUS[one.status] in row.inner_text()
    assert one.eligible_from is None and row.locator("td").nth(4).inner_text() == "—"

    paper(page, 1, PAPERS[1])
    paper(page, 2, PAPERS[2])
    three = engine_verdict(3)
    assert three.eligible_from is not None  # only time is missing now: the page says from when
    expect(row.locator("td").nth(4)).to_have_text(three.eligible_from.isoformat())
    expect(row.locator("td").nth(5).locator("li").first).to_have_text(three.missing[0].message)
    htmx_settled(page)  # no verdict request still on its way
    row.get_by_text("详情").click()  # the explanation: every condition with its citation
    assert "原文" in row.locator("pre.tree").inner_text() or "附件" in row.locator("pre.tree").inner_text()
    shots.save(page, "self-check", best=True, at=row)

    # a wrong date is named next to the field, not swallowed
    page.get_by_label("毕业日期").first.fill((START_DAY + dt.timedelta(days=400)).isoformat())
    page.locator("#result [role=alert]").wait_for()
    assert "education[0].graduation_date" in page.locator("#result").inner_text()
    assert page.get_by_label("毕业日期").first.get_attribute("name") == "edu_date_0"


def test_english_switch(new_page: Any) -> None:
    page = new_page()
    page.goto("/check")
    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="Eligibility self-check").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Reference date").is_visible()
    page.get_by_role("link", name="中文").click()
    page.get_by_role("heading", name="申报资格自查").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_phone_width_has_no_horizontal_scroll(new_page: Any, shots: Any) -> None:
    page = new_page(width=375, height=740)
    for path in ("/", "/standards", "/notices", "/verify", "/register", "/login", "/check"):
        page.goto(path)
        assert no_horizontal_scroll(page), f"{path} 在 375px 宽度出现横向滚动"
    page.get_by_label("学历 1").select_option("bachelor")
    page.get_by_label("毕业日期").first.fill("2018-07-01")
    page.locator("#result table").wait_for()
    assert no_horizontal_scroll(page), "自查结论在 375px 宽度出现横向滚动"
    shots.save(page, "phone-self-check", best=True, at=page.locator("header.site"))
    shots.save(page, "phone-self-check-result", at=page.locator("#result"))


def tab_until(page: Any, condition: str, most: int) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(condition):
            return
    pytest.fail(f"按 Tab 键 {most} 次仍未到达：{condition}")


def test_keyboard_only(new_page: Any) -> None:
    page = new_page()
    page.goto("/check")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "as_of"
    tab_until(page, "document.activeElement.name === 'dir_general_bj_2020'", 60)
    page.keyboard.press("ArrowDown")  # a closed select changes with the arrow keys
    assert page.locator("[name=dir_general_bj_2020]").input_value()
    tab_until(page, "document.activeElement.type === 'submit'", 300)
    assert page.evaluate("document.activeElement.textContent") == "检查"
    page.keyboard.press("Enter")
    page.locator("#result table").wait_for()
    assert page.locator("#result tbody tr").count() > 0
