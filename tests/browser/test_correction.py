"""A correction-notice round trip in Chromium: the agency sends the one-time notice (every item, a deadline in
working days), the applicant corrects the materials, uploads the missing evidence and resubmits, and the agency
sees the corrected version. The application reaches the agency through the services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_support import BJ_AI_SENIOR, PDF, LiveServer, World, build_world, current_state, login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

D = dt.date
ITEMS = [
    "请上传第1项成果（论文）的期刊封面、目录页和正文页",
    "第1项成果名称与期刊不一致，请按期刊目录更正",
]
NEW_TITLE = "大模型推理加速方法研究"


def at_agency(w: World) -> int:
    """A 北京 人工智能 senior application submitted, noticed and recommended by the unit."""
    app_id = w.apply("applicant_bj", D(2026, 9, 1), "bj", "senior_engineer", BJ_AI_SENIOR)
    w.act("applicant_bj", D(2026, 9, 1), app_id, "submit", pledge=True)
    w.act("unit_bj", D(2026, 9, 2), app_id, "start_notice")
    w.act("unit_bj", D(2026, 9, 15), app_id, "recommend")
    return app_id


def test_correction_round_trip(live: LiveServer, new_page: Any, password_hash: str, shots: Any) -> None:
    w = build_world(live.engine, password_hash)
    w.open_round("bj", D(2026, 8, 20), "ai_bj_2020", D(2026, 9, 1), D(2026, 12, 31), "2026年度人工智能专业职称评审")
    app_id = at_agency(w)
    live.to(D(2026, 9, 16))

    agency = new_page()
    login(agency, w.username("agency"))
    agency.goto("/work/agency/queue")
    agency.locator("tbody tr", has_text="张伟").get_by_role("link", name="张伟").click()
    expect(current_state(agency)).to_contain_text("评审机构资格审核")
    agency.get_by_label("需补正的内容（每行一项）").fill("\n".join(ITEMS))
    due_text = agency.locator("output#due").inner_text()
    due = re.search(r"\d{4}-\d\d-\d\d", due_text)
    assert due, due_text
    agency.get_by_role("button", name="一次性告知补正").click()
    expect(agency.get_by_role("status")).to_contain_text("补正通知已发出")
    expect(current_state(agency)).to_contain_text("申报人补正材料")
    version_sent = agency.url

    # the applicant sees every item and the deadline, corrects, uploads, resubmits
    me = new_page()
    login(me, w.username("applicant_bj"))
    me.get_by_role("link", name=f"查看 申报 {app_id}").click()
    notice = me.locator("#correction")
    for item in ITEMS:
        expect(notice).to_contain_text(item)
    expect(notice).to_contain_text(due.group(0))
    shots.save(me, "correction-notice")
    notice.get_by_role("link", name="修改申报材料、上传证明材料").click()
    me.get_by_label("名称").first.fill(NEW_TITLE)
    me.get_by_role("button", name="保存", exact=True).click()
    expect(me.get_by_role("status")).to_contain_text("已保存")
    card = me.locator(".card.upload", has=me.get_by_role("heading", name=re.compile(r"^成果 1：")))
    expect(card).to_contain_text(NEW_TITLE)
    card.get_by_label("选择文件").set_input_files(
        {"name": "论文1-期刊封面目录正文.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    card.get_by_role("button", name="上传").click()
    expect(card.get_by_role("link", name="论文1-期刊封面目录正文.pdf")).to_be_visible()
    me.get_by_role("link", name=f"← 申报 {app_id}").click()
    me.get_by_role("button", name="补正完毕，重新提交").click()
    expect(current_state(me)).to_contain_text("评审机构资格审核")

    # the agency sees the corrected version: the new title, the file beside its achievement, the notice answered
    agency.goto(version_sent.split("?")[0])
    expect(current_state(agency)).to_contain_text("评审机构资格审核")
    row = agency.locator("tbody tr", has_text=NEW_TITLE)
    expect(row.get_by_role("link", name="论文1-期刊封面目录正文.pdf")).to_be_visible()
    expect(agency.locator("body")).to_contain_text("已补正")
    expect(agency.locator("body")).not_to_contain_text("大模型推理优化1")
    with agency.expect_download() as download:
        row.get_by_role("link", name="论文1-期刊封面目录正文.pdf").click()
    assert download.value.path().read_bytes() == PDF
    shots.save(agency, "agency-corrected")
