"""Account activation pages over HTTP on SQLite and PostgreSQL: the login page's links and its message for a
not-activated account, the agency's page (issue one code, shown once and not cached; issue all and download the
sheet), the public /activate form (CSRF, field errors, wrong codes committed, success), then the login."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from staff_world import TODAY, World, location, make_world

from zhicheng.accounts.passwords import NO_PASSWORD
from zhicheng.store.db import transaction
from zhicheng.store.models import User

NEW = "Neu#Passwort-2026"
CODE_RE = re.compile(r"<code>([2-9A-Z]{5}-[2-9A-Z]{5})</code>")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    w = make_world(engine, tmp_path, TODAY)
    yield w
    w.close()


def failed(world: World, user_id: int) -> int:
    with transaction(world.engine, readonly=True) as s:
        u = s.get(User, user_id)
        assert u is not None
        return u.failed_logins


def test_login_page_links_and_not_activated(world: World) -> None:
    person = world.user("applicant", password_hash=NO_PASSWORD)
    b = world.browser()
    page = b.get("/login").text
    assert 'href="/activate"' in page and "首次登录/激活账户" in page and 'href="/activate?reset=1"' in page
    r = b.post("/login", {"username": person.username, "password": "Irgendwas#2026"})
    assert r.status_code == 403
    assert "账户尚未激活，请向评审服务机构领取激活码" in r.text and 'href="/activate"' in r.text
    assert "忘记密码" in b.get("/activate?reset=1").text


def test_agency_issues_one_code_and_the_person_activates(world: World) -> None:
    agency = world.user("agency")
    person = world.user("applicant", password_hash=NO_PASSWORD, display_name="张三")
    staff = world.browser(agency)
    page = staff.get("/work/agency/accounts")
    assert page.status_code == 200 and "张三" in page.text and "未签发" in page.text
    assert 'href="/work/agency/accounts"' in page.text  # in the agency's navigation
    r = staff.post("/work/agency/accounts/code", {"user_id": str(person.id)})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    codes = CODE_RE.findall(r.text)
    assert len(codes) == 1 and "已签发激活码" in r.text
    assert "有效" in staff.get("/work/agency/accounts").text
    assert not CODE_RE.findall(staff.get("/work/agency/accounts").text)  # shown once only

    b = world.browser()
    form = b.get("/activate")
    assert form.status_code == 200 and 'name="_csrf"' in form.text
    body = {"account": person.username, "code": codes[0], "password": NEW, "password2": NEW}
    assert b.post("/activate", body, csrf=False).status_code == 403  # no CSRF token
    r = b.post("/activate", body | {"password2": "Anders#Pass-2027"})
    assert r.status_code == 422 and "确认新密码：两次输入的密码不一致" in r.text and codes[0] not in r.text
    r = b.post("/activate", body | {"password": "kurz", "password2": "kurz"})
    assert r.status_code == 422 and "新密码：" in r.text
    r = b.post("/activate", body | {"code": "ZZZZZ-ZZZZZ"})
    assert r.status_code == 401 and "用户名（身份证号）或激活码不正确" in r.text
    assert failed(world, person.id) == 1  # committed with the page
    r = b.post("/activate", body)
    assert r.status_code == 200 and "账户已激活" in r.text and person.username in r.text
    assert b.post("/activate", body).status_code == 200  # a second click is not an error
    r = b.post("/login", {"username": person.username, "password": NEW})
    assert location(r) == "/work/applicant"


def test_agency_issues_by_account_and_in_bulk(world: World) -> None:
    agency = world.user("agency")
    expert = world.user("expert", password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
    for n in range(3):
        world.user("applicant", password_hash=NO_PASSWORD, display_name=f"导入{n}")
    staff = world.browser(agency)
    r = staff.post("/work/agency/accounts/code", {"account": expert.username})
    assert r.status_code == 200 and "已签发密码重置码" in r.text and len(CODE_RE.findall(r.text)) == 1
    r = staff.post("/work/agency/accounts/code", {"account": "no-such-user"})
    assert r.status_code == 422 and "平台上没有这个用户名或身份证号的账号" in r.text
    r = staff.post("/work/agency/accounts/code", {"account": expert.username, "purpose": "activation"})
    assert r.status_code == 409 and "已激活" in r.text
    r = staff.post("/work/agency/accounts/codes.xlsx", {"valid_days": "30"})
    assert r.status_code == 200 and r.headers["x-codes-issued"] == "3"
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    names = sorted(str(row[1].value) for row in ws.iter_rows() if isinstance(row[0].value, int))
    assert names == ["导入0", "导入1", "导入2"]
    r = staff.post("/work/agency/accounts/codes.xlsx", {"valid_days": "400"})
    assert r.status_code == 422 and "有效期应为1至90天" in r.text


def test_only_the_agency_has_the_page(world: World) -> None:
    assert location(world.browser().get("/work/agency/accounts")).startswith("/login")
    for role in ("unit", "expert", "bureau", "applicant"):
        b = world.browser(world.user(role))
        assert b.get("/work/agency/accounts").status_code == 403
        assert b.post("/work/agency/accounts/codes.xlsx", {}).status_code == 403
