"""Applicant pages over HTTP on SQLite and PostgreSQL: registration, the application forms with the live
verdict, evidence upload, submission with the pledge, the timeline, correction, withdrawal; refusals for
other roles, CSRF, escaping, and bad input that stores nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from page_world import AI_SENIOR_FORM, PDF, PNG, SECRET, D, World, id_number, location, make_world, paper_row
from sqlalchemy import Engine, select

from zhicheng.certificates import service as csvc
from zhicheng.certificates.config import TrustSettings
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, ApplicationEvidence, AuditEntry, CorrectionNotice, Round, User
from zhicheng.store.testing import add_application
from zhicheng.workflow.service import Context, actor_for


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    yield make_world(engine, tmp_path, D(2026, 9, 1), max_upload_bytes=4096)


def new_application(world: World, browser, round_id: int) -> str:  # type: ignore[no-untyped-def]
    r = browser.post(
        "/work/applicant/applications",
        {"choice": f"{round_id}:senior_engineer", "route": "regular", "dir_ai_bj_2020": "ai_research"},
    )
    return location(r)  # …/applications/{id}/edit


def test_registration_with_field_errors_then_login(world: World) -> None:
    unit = world.unit("某人工智能研究院")
    b = world.browser()
    assert "实名注册" in b.get("/register").text
    users = world.count(User)
    bad = {
        "display_name": "张三",
        "id_number": "110105198001010000",
        "unit_uscc": "123",
        "username": "z",
        "password": "short",
        "password2": "other",
    }
    r = b.post("/register", bad)
    assert r.status_code == 422
    for fragment in ("身份证号：", "确认密码：两次输入的密码不一致"):
        assert fragment in r.text
    assert 'id="f-id_number"' in r.text and 'aria-invalid="true" aria-describedby="e-id_number' in r.text
    assert "short" not in r.text  # a password is never echoed
    r = b.post("/register", {**bad, "password": "Zc#2026-pages", "password2": "Zc#2026-pages", "username": "zhangsan"})
    assert r.status_code == 422 and "身份证号：" in r.text and "用人单位统一社会信用代码：" in r.text
    assert world.count(User) == users  # nothing stored

    number = id_number()
    good = {
        "display_name": "张<b>三</b>",
        "id_number": number,
        "unit_uscc": unit.uscc,
        "username": "zhangsan",
        "password": "Zc#2026-pages",
        "password2": "Zc#2026-pages",
    }
    r = b.post("/register", good)
    assert location(r) == "/work/applicant" and "zc_session=" in r.headers["set-cookie"]
    page = b.get("/work/applicant").text
    assert "张&lt;b&gt;三&lt;/b&gt;" in page and "<b>三</b>" not in page
    assert number not in page
    r = world.browser().post("/register", good)
    assert r.status_code == 409 and "用户名：该用户名已被使用" in r.text


def test_pages_need_the_applicant_role(world: World) -> None:
    rid = world.round()
    owner = world.user("applicant")
    app_id = world.submitted(owner, rid)
    anonymous = world.browser()
    r = anonymous.get(f"/work/applicant/applications/{app_id}")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/work/applicant/applications/{app_id}"
    assert anonymous.get("/work/applicant").headers["location"] == "/login?next=/work/applicant"
    unit_user = world.browser(world.user("unit"))
    for url in (
        "/work/applicant",
        f"/work/applicant/applications/{app_id}",
        f"/work/applicant/applications/{app_id}/edit",
    ):
        r = unit_user.get(url)
        assert r.status_code == 403 and "无权访问" in r.text and r.headers["content-type"].startswith("text/html")
    other = world.browser(world.user("applicant"))
    r = other.get(f"/work/applicant/applications/{app_id}")
    assert r.status_code == 404 and "不存在或无权查看" in r.text
    assert world.browser(owner).get(f"/work/applicant/applications/{app_id}").status_code == 200


def test_beijing_application_through_the_forms(world: World) -> None:
    unit = world.unit()
    applicant = world.user("applicant", unit_id=unit.id, display_name="王五")
    unit_user = world.user("unit", unit_id=unit.id)
    agency = world.user("agency")
    rid = world.round()
    b = world.browser(applicant)
    home = b.get("/work/applicant").text
    assert "2026年度人工智能专业职称评审 · 高级工程师" in home

    # ---- create, then fill in: the verdict follows the form live (htmx), saving stores the profile
    edit = new_application(world, b, rid)
    app_id = int(edit.split("/")[-2])
    page = b.get(edit).text
    assert f'hx-post="/work/applicant/applications/{app_id}/check"' in page and "不符合" in page
    check = edit.replace("/edit", "/check")
    partial = b.post(check, dict(AI_SENIOR_FORM), headers={"hx-request": "true"})
    assert partial.status_code == 200 and "待人工判断" in partial.text and "<html" not in partial.text
    fewer = {k: v for k, v in AI_SENIOR_FORM.items() if not k.endswith("_2")}
    assert "还差1项成果" in b.post(check, fewer).text
    assert world.application(app_id).profile["achievements"] == []  # the live check stored nothing
    row = b.get(edit.replace("/edit", "/row?i=3")).text
    assert 'name="ach_kind_3"' in row and "row?i=4" in row
    hidden = b.form(edit, edit)
    r = b.post(edit, {**hidden, **AI_SENIOR_FORM, "next": "stay"})
    assert r.status_code == 200 and "已保存" in r.text and 'value="论文3"' in r.text
    saved = world.application(app_id)
    assert [a["title"] for a in saved.profile["achievements"]] == ["论文1", "论文2", "论文3"]

    # ---- evidence: a real PDF for paper 1, a PNG for the rest; other types and sizes are refused
    up = edit.replace("/edit", "/evidence")
    fields = b.form(edit, up)
    r = b.post(up, {**fields, "achievement_index": "0"}, files={"file": ("论文1.pdf", PDF, "application/pdf")})
    assert location(r).endswith("/edit#evidence")
    fields = {k: v for k, v in b.form(edit, up).items() if k != "achievement_index"}  # "other" materials
    r = b.post(up, fields, files={"file": ("学历证书.png", PNG, "image/png")})
    assert location(r).endswith("#evidence")
    fields = b.form(edit, up)
    r = b.post(up, fields, files={"file": ("说明.txt", b"plain text, not a scan", "text/plain")})
    assert r.status_code == 422 and "证明材料文件：" in r.text and "PDF" in r.text
    r = b.post(up, fields, files={"file": ("大.pdf", b"%PDF-1.4\n" + b"0" * 5000, "application/pdf")})
    assert r.status_code == 413 and "过大" in r.text and "上限" in r.text
    with transaction(world.engine, readonly=True) as s:
        files = {(e.filename, e.achievement_index) for e in s.scalars(select(ApplicationEvidence))}
    assert files == {("论文1.pdf", 0), ("学历证书.png", None)}
    page = b.get(edit).text
    link = re.search(rf'href="(/work/applications/{app_id}/evidence/\d+)">论文1.pdf', page)
    assert link
    download = b.get(link.group(1))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert world.browser(world.user("applicant")).get(link.group(1)).status_code == 404

    # ---- submit: the pledge is required; the page shows the timeline
    detail = f"/work/applicant/applications/{app_id}"
    page = b.get(detail).text
    assert "诚信承诺" in page and "一票否决" in page and 'name="pledge"' in page
    form = b.form(detail, detail + "/submit")
    r = b.post(detail + "/submit", form)
    assert r.status_code == 422 and "诚信承诺：须阅读并同意" in r.text
    assert world.application(app_id).state == "draft"
    r = b.post(detail + "/submit", {**form, "pledge": "1"})
    assert location(r) == detail
    page = b.get(detail).text
    assert world.application(app_id).state == "unit_review"
    assert '<svg class="tl"' in page and 'class="tl-step current"' in page
    current = re.search(r'<li class="current"><span class="tl-name">([^<]+)</span>', page)
    assert current and current.group(1) == "用人单位审核"
    assert '<li class="done"><span class="tl-name">填写申报材料</span>' in page

    # ---- the unit: internal notice of 5 working days with the end date shown, then the recommendation
    world.at(D(2026, 9, 2))
    u = world.browser(unit_user)
    unit_page = f"/work/unit/applications/{app_id}"
    page = u.get(unit_page).text
    assert "最早于 <strong>2026-09-08</strong> 期满" in page and "王五" in page and "论文1.pdf" in page
    act = unit_page + "/act"
    version = u.form(unit_page, act)["version"]
    assert location(u.post(act, {"action": "start_notice", "version": version})).endswith("?done=start_notice")
    assert "2026-09-08" in b.get(detail).text  # the applicant sees the notice's deadline
    world.at(D(2026, 9, 9))
    version = u.form(unit_page, act)["version"]
    r = u.post(act, {"action": "recommend", "version": version, "reason": "该同志业绩突出，同意推荐。"})
    assert location(r).endswith("?done=recommend")
    assert world.application(app_id).state == "agency_review"

    # ---- a one-time correction notice from the agency, answered through the forms
    world.at(D(2026, 9, 10))
    world.act(agency, app_id, "request_correction", data={"items": ["补充论文检索证明", "补充学位证书"], "workdays": 5})
    page = b.get(detail).text
    assert "一次性告知补正" in page and "补充论文检索证明" in page and "补充学位证书" in page
    assert "补正期限：<strong>2026-09-17</strong>" in page and "今天之后还有 5 个工作日" in page
    world.at(D(2026, 9, 14))
    fields = b.form(edit, up)
    r = b.post(up, {**fields, "achievement_index": "1"}, files={"file": ("检索证明.pdf", PDF, "application/pdf")})
    assert location(r).endswith("#evidence")
    hidden = b.form(edit, edit)
    more = {**AI_SENIOR_FORM, **paper_row(3, 2025)}
    assert "已保存" in b.post(edit, {**hidden, **more, "next": "stay"}).text
    form = b.form(detail, detail + "/resubmit")
    assert location(b.post(detail + "/resubmit", form)) == detail
    app = world.application(app_id)
    assert app.state == "agency_review" and len(app.profile["achievements"]) == 4
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(CorrectionNotice.status)) == "answered"
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "application"))]
    assert actions.count("attach_evidence") == 3 and actions[-1] == "resubmit"
    page = b.get(detail).text
    assert "该同志业绩突出，同意推荐。" in page  # the unit's opinion is in the record


def test_bad_profile_input_names_the_fields_and_stores_nothing(world: World) -> None:
    rid = world.round()
    b = world.browser(world.user("applicant"))
    edit = new_application(world, b, rid)
    app_id = int(edit.split("/")[-2])
    before = world.application(app_id)
    hidden = b.form(edit, edit)
    bad = {
        **AI_SENIOR_FORM,
        "edu_date_0": "2030-01-01",
        "ach_kind_1": "",
        "ach_rank_2": "0",
        "ach_title_2": "<script>alert(1)</script>",
    }
    r = b.post(edit, {**hidden, **bad, "next": "stay"})
    assert r.status_code == 422
    assert "学历 1 · 毕业日期：日期 2030-01-01 晚于今天" in r.text
    assert "成果 3 · 排名：不能小于 1" in r.text  # row 2 of the form is the second stored row: named by the form
    assert 'id="f-edu_date_0" type="date" name="edu_date_0" value="2030-01-01" aria-invalid="true"' in r.text
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    after = world.application(app_id)
    assert (after.version, after.profile) == (before.version, before.profile)
    partial = b.post(edit.replace("/edit", "/check"), bad)
    assert "学历 1 · 毕业日期" in partial.text
    r = b.post("/work/applicant/applications", {"choice": f"{rid}:technician", "route": "regular"})
    assert r.status_code == 422 and "申报层级：本轮次只受理：工程师、高级工程师" in r.text
    r = b.post("/work/applicant/applications", {"choice": "", "route": "regular"})
    assert r.status_code == 422 and "评审轮次与层级：请选择" in r.text
    assert world.count(Application) == 1


def test_ineligible_only_through_an_explicit_route(world: World) -> None:
    rid = world.round()
    b = world.browser(world.user("applicant"))
    edit = new_application(world, b, rid)
    app_id = int(edit.split("/")[-2])
    hidden = b.form(edit, edit)
    one_paper = {k: v for k, v in AI_SENIOR_FORM.items() if not k.endswith(("_1", "_2"))}
    b.post(edit, {**hidden, **one_paper})
    detail = f"/work/applicant/applications/{app_id}"
    page = b.get(detail).text
    assert "不符合</strong>正常申报条件" in page and "还差2项成果" in page and 'name="route"' in page
    form = b.form(detail, detail + "/submit")
    r = b.post(detail + "/submit", {**form, "pledge": "1", "route": "regular"})
    assert r.status_code == 422 and "按正常申报不符合申报条件" in r.text
    app = world.application(app_id)
    assert (app.state, app.route) == ("draft", "regular")
    r = b.post(detail + "/submit", {**form, "pledge": "1", "route": "exceptional"})
    assert location(r) == detail
    app = world.application(app_id)
    assert (app.state, app.route) == ("unit_review", "exceptional")


def test_withdraw_and_csrf(world: World) -> None:
    rid = world.round()
    b = world.browser(world.user("applicant"))
    edit = new_application(world, b, rid)
    app_id = int(edit.split("/")[-2])
    detail = f"/work/applicant/applications/{app_id}"
    form = b.form(detail, detail + "/withdraw")
    stale = {k: v for k, v in form.items() if k != "_csrf"}
    for url, data in (
        ("/work/applicant/applications", {"choice": f"{rid}:engineer"}),
        (edit, {**stale, **AI_SENIOR_FORM}),
        (detail + "/submit", {**stale, "pledge": "1"}),
        (detail + "/withdraw", {**stale, "confirm": "1"}),
    ):
        r = b.post(url, data, csrf=False)
        assert r.status_code == 403 and "页面已过期" in r.text
    r = b.client.post(detail + "/withdraw", data={**stale, "confirm": "1", "_csrf": "x" * 43})
    assert r.status_code == 403
    assert world.count(Application) == 1 and world.application(app_id).state == "draft"
    r = b.post(detail + "/withdraw", form)
    assert r.status_code == 422 and "撤回确认：请勾选" in r.text and world.application(app_id).state == "draft"
    assert location(b.post(detail + "/withdraw", {**form, "confirm": "1"})) == detail
    page = b.get(detail).text
    assert world.application(app_id).state == "withdrawn"
    assert '<li class="ended"><span class="tl-name">已撤回或视为放弃申报</span>' in page
    r = b.post(detail + "/withdraw", {**form, "confirm": "1"})
    assert r.status_code == 409 and "不能进行" in r.text


def test_certificate_download_once_issued(world: World) -> None:
    unit = world.unit()
    holder = world.user("applicant", unit_id=unit.id, display_name="陈九")
    rid = world.round()
    with transaction(world.engine) as s:
        rnd = s.get(Round, rid)
        assert rnd is not None
        app_id = add_application(s, rnd, holder, unit_id=unit.id, level="senior_engineer", state="acceptance").id
    b = world.browser(holder)
    detail = f"/work/applicant/applications/{app_id}"
    assert "下载电子证书" not in b.get(detail).text
    world.at(D(2026, 12, 1))  # acceptance by the bureau starts the results notice (5 working days)
    with transaction(world.engine) as s:
        bureau = Context(s, actor_for(world.user("bureau")), D(2026, 12, 1), now=world.clock.now())
        csvc.accept_results(bureau, approval_number="京人社职字〔2026〕18号", application_ids=[app_id])
    world.at(D(2026, 12, 8))
    trust = TrustSettings.from_env(world.app.state.runtime.data_dir)  # the app's own key folder (trust_of)
    with transaction(world.engine) as s:
        agency = Context(s, actor_for(world.user("agency")), D(2026, 12, 8), now=world.clock.now())
        (issued,) = csvc.issue_certificates(agency, trust, [app_id])
    page = b.get(detail).text
    assert issued.number in page and "下载电子证书（PDF）" in page and "有效" in page
    steps = re.findall(r'<li class="(\w+)"><span class="tl-name">', page)
    assert steps and set(steps) == {"done"}  # every step of the procedure done
    assert issued.number in b.get("/work/applicant").text
    pdf = b.get(f"/work/applicant/certificates/{issued.number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    signed = b.get(f"/work/applicant/certificates/{issued.number}/signed.json")
    assert signed.status_code == 200 and issued.number in signed.text
    stranger = world.browser(world.user("applicant"))
    assert stranger.get(f"/work/applicant/certificates/{issued.number}/certificate.pdf").status_code == 404
    unit_user = world.browser(world.user("unit", unit_id=unit.id))
    assert unit_user.get(f"/work/applicant/certificates/{issued.number}/certificate.pdf").status_code == 403
