"""A 北京 人工智能 application from the self-check to the public verification of its certificate, every step
in Chromium by the person whose step it is, each person in a browser context of their own. Seeded through the
services: the units, staff accounts, the round, a filed committee with five experts in its pool. Runs on SQLite
and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_support import PDF, LiveServer, World, build_world, current_state, login, sign_in
from playwright.sync_api import expect

from zhicheng.accounts.idnumbers import make_resident_id
from zhicheng.policy.catalog import default_catalog

pytestmark = pytest.mark.browser

D = dt.date
NAME = "陈静"
USERNAME = "chenjing2026"
NEW_PASSWORD = "Chen#Jing-2026zc"
MEETING_DAY = D(2026, 10, 20)
APPROVAL = "京人社职字〔2026〕18号"
PAPERS = [
    ("基于图神经网络的故障诊断方法", "2021-03-01"),
    ("大模型推理加速研究", "2022-03-01"),
    ("联邦学习隐私保护", "2023-03-01"),
]
AI = default_catalog().document("ai_bj_2020").short_title


def self_check(page: Any) -> None:
    """The would-be applicant first asks the public self-check (no login, nothing stored)."""
    page.goto("/check")
    page.get_by_label("学历 1").select_option("master")
    page.get_by_label("毕业日期").first.fill("2012-07-01")
    page.get_by_label("开始从事本专业技术工作").fill("2012-07-15")
    page.locator("[name=title_grade_0]").select_option("3")
    page.locator("[name=title_date_0]").fill("2018-12-01")
    page.locator("[name=dir_ai_bj_2020]").select_option("ai_research")
    for i, (_, day) in enumerate(PAPERS):
        row = page.get_by_role("group", name=f"成果 {i + 1}")
        row.get_by_label("类型").select_option("paper")
        row.get_by_label("日期", exact=True).fill(day)
        row.get_by_label("排名").fill("1")
        row.get_by_label("刊物").select_option("core_journal")
    row = (
        page.locator("#result tbody tr")
        .filter(has=page.get_by_role("cell", name=AI, exact=True))
        .filter(has=page.get_by_role("cell", name="高级工程师", exact=True))
    )
    expect(row).to_contain_text("待人工判断")


def register_and_apply(page: Any, w: World, shots: Any) -> int:
    page.goto("/register")
    page.get_by_label("姓名（与身份证一致）").fill(NAME)
    page.get_by_label("居民身份证号码").fill(make_resident_id("110108", D(1986, 5, 17), 123))
    page.get_by_label("用人单位统一社会信用代码（可不填）").fill(w.units["bj"].uscc)
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label(re.compile("^密码")).fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url("**/work/applicant")

    page.get_by_label("评审轮次与申报层级").select_option(label="2026年度人工智能专业职称评审 · 高级工程师")
    page.get_by_label(AI).select_option("ai_research")
    page.get_by_role("button", name="创建申报并填写材料").click()
    page.wait_for_url(re.compile(r"/applications/\d+/edit$"))
    app_id = int(re.findall(r"/applications/(\d+)/edit", page.url)[0])

    edu = page.get_by_role("group", name="学历 1")
    edu.get_by_label("学历 1").select_option("master")
    edu.get_by_label("毕业日期").fill("2012-07-01")
    page.get_by_label("开始从事本专业技术工作").fill("2012-07-15")
    title = page.get_by_role("group", name="已取得职称 1")
    title.get_by_label("等级").select_option("3")
    title.get_by_label("取得日期").fill("2018-12-01")
    for i, (name, day) in enumerate(PAPERS):
        row = page.get_by_role("group", name=f"成果 {i + 1}")
        row.get_by_label("类型").select_option("paper")
        row.get_by_label("名称").fill(name)
        row.get_by_label("日期", exact=True).fill(day)
        row.get_by_label("排名").fill("1")
        row.get_by_label("刊物").select_option("core_journal")
    expect(page.locator("#verdict")).to_contain_text("待人工判断")  # updated while filling in
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已保存")

    card = page.locator(".card.upload", has=page.get_by_role("heading", name=re.compile(r"^成果 1：")))
    card.get_by_label("选择文件").set_input_files(
        {"name": "论文1-检索证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    card.get_by_role("button", name="上传").click()
    expect(card.get_by_role("link", name="论文1-检索证明.pdf")).to_be_visible()

    page.goto(f"/work/applicant/applications/{app_id}")
    page.get_by_label("我已阅读并同意以上诚信承诺").check()
    page.get_by_role("button", name="提交申报").click()
    expect(current_state(page)).to_contain_text("用人单位审核")
    return app_id


def unit_recommends(page: Any, live: LiveServer, w: World, app_id: int) -> None:
    live.to(D(2026, 9, 2))
    login(page, w.username("unit_bj"))
    page.goto(f"/work/unit/applications/{app_id}")
    page.get_by_role("button", name="通过审核并开始单位内部公示").click()
    expect(current_state(page)).to_contain_text("单位内部公示")
    due = re.search(r"期限 (\d{4}-\d\d-\d\d)", current_state(page).inner_text())
    assert due
    live.to(D.fromisoformat(due.group(1)) + dt.timedelta(days=1))
    sign_in(page, live, w.users["unit_bj"])  # days later: a new session
    page.goto(f"/work/unit/applications/{app_id}")
    page.get_by_label("推荐意见（可填）").fill("该同志业务能力突出，公示无异议，同意推荐。")
    page.get_by_role("button", name="公示期满无异议，出具推荐意见").click()
    expect(current_state(page)).to_contain_text("评审机构资格审核")


def agency_accepts(page: Any, w: World, app_id: int, shots: Any) -> None:
    login(page, w.username("agency"))
    page.goto("/work/agency/queue")
    page.locator("tbody tr", has_text=NAME).get_by_role("link", name=NAME).click()
    expect(page.locator("main")).to_contain_text("机器初审结论")
    expect(page.locator("main")).to_contain_text("论文1-检索证明.pdf")
    accept = page.locator("form", has=page.get_by_role("heading", name="资格审核通过"))
    for radio in accept.get_by_role("radio", name="符合", exact=True).all():
        radio.check()
    shots.save(page, "agency-review", best=True, at=page.get_by_role("heading", name=re.compile("^机器初审结论")))
    accept.get_by_role("button", name="资格审核通过").click()
    expect(current_state(page)).to_contain_text("评委会")


def agency_prepares_meeting(page: Any, w: World, committee_id: int) -> int:
    login(page, w.username("agency"))
    page.goto(f"/work/agency/committees/{committee_id}")
    page.get_by_label("会议名称").fill("2026年度人工智能专业高级职称评审会议")
    page.get_by_label("会议日期").fill(MEETING_DAY.isoformat())
    page.get_by_role("button", name="安排").click()
    expect(page.get_by_role("status")).to_contain_text("评审会议已安排")
    meeting_id = int(re.findall(r"/meetings/(\d+)", page.url)[0])
    page.get_by_role("button", name="列入议程").click()
    expect(page.get_by_role("status")).to_contain_text("已列入议程")
    page.get_by_role("button", name="预览抽取结果").click()
    expect(page.get_by_role("heading", name="专家抽取预览")).to_be_visible()
    page.get_by_role("button", name="确认抽取结果").click()
    expect(page.get_by_role("status")).to_contain_text("专家抽取结果已确认")
    return meeting_id


def experts_declare_and_score(experts: list[Any], meeting_id: int) -> None:
    for page in experts:
        page.goto(f"/work/expert/meetings/{meeting_id}")
        page.get_by_label("本人已阅知评审回避规定", exact=False).check()
        page.get_by_role("button", name="提交回避申报").click()
        expect(page.get_by_role("status")).to_contain_text("回避申报已提交")
        if page.locator("tbody tr", has_text=NAME).get_by_text("待评分").count():  # on the panel
            page.get_by_role("link", name=NAME).click()
            page.get_by_label("评分（0–100）").fill("86")
            page.get_by_label("书面评议意见（至少10字）").fill("业绩突出，成果与申报层级相符，建议通过。")
            page.get_by_role("button", name="提交评议").click()
            expect(page.get_by_role("status")).to_contain_text("评分和书面评议意见已保存")


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_beijing_application_to_verified_certificate(
    live: LiveServer, new_page: Any, password_hash: str, shots: Any
) -> None:
    w = build_world(live.engine, password_hash, experts=5)
    w.open_round("bj", D(2026, 8, 20), "ai_bj_2020", D(2026, 9, 1), D(2026, 12, 31), "2026年度人工智能专业职称评审")
    experts = [f"expert{i}" for i in range(5)]
    committee_id = w.committee(D(2026, 8, 25), experts)

    me = new_page()
    self_check(me)
    app_id = register_and_apply(me, w, shots)
    unit_recommends(new_page(), live, w, app_id)
    agency = new_page()
    agency_accepts(agency, w, app_id, shots)

    # the meeting: the agency draws, every expert declares in their own browser, the panel scores
    live.to(MEETING_DAY)
    meeting_id = agency_prepares_meeting(agency, w, committee_id)
    expert_pages = []
    for key in experts:
        page = new_page()
        sign_in(page, live, w.users[key])
        expert_pages.append(page)
    experts_declare_and_score(expert_pages, meeting_id)
    agency.get_by_role("button", name="开始会议").click()
    expect(agency.get_by_role("status")).to_contain_text("会议已开始")
    for page in expert_pages:
        page.goto(f"/work/expert/meetings/{meeting_id}")
        page.get_by_role("button", name="本人签到").click()
        expect(page.get_by_role("status")).to_contain_text("已签到")
    agency.reload()
    agency.get_by_role("button", name=f"对{NAME}开始投票").click()
    expect(agency.get_by_role("status")).to_contain_text("投票已开始")
    for i, page in enumerate(expert_pages):
        page.goto(f"/work/expert/meetings/{meeting_id}/applications/{app_id}")
        page.get_by_role("radio", name="同意", exact=True).check()
        if i == 0:
            shots.save(page, "expert-ballot", best=True)
        page.get_by_role("button", name="投票").click()
        expect(page.get_by_role("status").first).to_contain_text("选票已投入票箱")
        expect(page.get_by_role("radio")).to_have_count(0)  # the choice is not shown back
    agency.reload()
    agency.get_by_role("button", name="结束投票并计票").click()
    expect(agency.locator("tbody tr", has_text=NAME)).to_contain_text("通过")
    expect(agency.locator("tbody tr", has_text=NAME)).to_contain_text("同意 5")
    shots.save(agency, "agency-meeting-tally")
    agency.get_by_role("button", name="结束会议并归档会议记录").click()
    expect(agency.get_by_role("status")).to_contain_text("会议已结束")

    # the bureau accepts; the results notice is public
    live.to(MEETING_DAY + dt.timedelta(days=1))
    bureau = new_page()
    login(bureau, w.username("bureau"))
    bureau.goto("/work/bureau/acceptance")
    bureau.get_by_label("批准文号").first.fill(APPROVAL)
    bureau.get_by_role("button", name="验收通过").first.click()
    expect(bureau.get_by_role("status")).to_contain_text("验收已登记")
    public = new_page()
    public.goto("/notices")
    card = public.locator("section.card", has_text=NAME)
    expect(card).to_contain_text("评审结果公示")
    ends = re.search(r"至 (\d{4}-\d\d-\d\d)", card.inner_text())
    assert ends

    # after the notice: the certificate is issued, the applicant downloads it, the public verifies it
    live.to(D.fromisoformat(ends.group(1)) + dt.timedelta(days=1))
    sign_in(agency, live, w.users["agency"])
    agency.goto("/work/agency/certificates")
    agency.get_by_role("button", name="签发所选证书").click()
    issued = agency.locator("tbody tr", has_text=NAME)
    expect(issued).to_contain_text("高级工程师")
    number = re.search(r"ZC\d{18}", issued.inner_text())
    assert number, issued.inner_text()

    login(me, USERNAME, NEW_PASSWORD)
    me.goto(f"/work/applicant/applications/{app_id}")
    expect(current_state(me)).to_contain_text("已取得职称证书")
    shots.save(me, "applicant-timeline", best=True, at=me.get_by_role("heading", name="办理进度"))
    with me.expect_download() as download:
        me.get_by_role("link", name="下载电子证书（PDF）").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    me.get_by_role("link", name="在线查验").click()  # the QR code's address
    expect(me.get_by_role("status")).to_contain_text("证书有效")

    public.goto("/verify")
    public.get_by_label("证书编号").fill(number.group(0))
    public.get_by_label("持证人姓名").fill(NAME)
    public.get_by_role("button", name="查验").click()
    result = public.get_by_role("status")
    expect(result).to_contain_text("有效")
    expect(result).to_contain_text(NAME)
    shots.save(public, "verify-valid", best=True)
