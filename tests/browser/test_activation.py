"""An imported expert's first login in Chromium: the login page says the account is not activated and links to
/activate; the agency issues a code on its 账户激活 page and reads it out; the expert sets a password with the
code, a second use of the code is refused, and the expert signs in to the expert workbench."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import LiveServer, build_world, login
from playwright.sync_api import expect

from zhicheng.accounts.passwords import NO_PASSWORD
from zhicheng.store.db import transaction
from zhicheng.store.models import User

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Expert#2026first"
NEW_PASSWORD_LABEL = re.compile(r"^新密码")  # not 确认新密码; the label ends in a required mark


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_imported_expert_activates_with_a_code(live: LiveServer, new_page: Any, password_hash: str) -> None:
    w = build_world(live.engine, password_hash)
    with transaction(live.engine) as s:  # as the Excel import leaves an expert: no password yet
        s.add(User(username="imp-expert-li", role="expert", display_name="李专家", password_hash=NO_PASSWORD))

    expert = new_page(390, 844)
    login(expert, "imp-expert-li", "whatever-I-guess")
    expect(expert.get_by_role("alert")).to_contain_text("账户尚未激活，请向评审服务机构领取激活码")
    expert.get_by_role("link", name="首次登录/激活账户").first.click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("首次登录/激活账户")

    agency = new_page()
    login(agency, w.username("agency"))
    agency.goto("/work/agency/accounts")
    row = agency.locator("tbody tr", has_text="imp-expert-li")
    expect(row).to_contain_text("李专家")
    row.get_by_role("button", name="为李专家签发激活码").click()
    issued = agency.locator("section", has=agency.get_by_role("heading", name="已签发激活码"))
    code = issued.locator(".code-big code").inner_text().strip()
    assert len(code.replace("-", "")) == 10, code

    expert.get_by_label("用户名或身份证号").fill("imp-expert-li")
    expert.get_by_label("激活码（或密码重置码）").fill(code.lower().replace("-", " "))  # typed loosely
    expert.get_by_label(NEW_PASSWORD_LABEL).fill(NEW_PASSWORD)
    expert.get_by_label("确认新密码").fill(NEW_PASSWORD)
    expert.get_by_role("button", name="首次登录/激活账户").click()
    expect(expert.locator("main")).to_contain_text("imp-expert-li")

    expert.goto("/activate")  # the code is spent
    expert.get_by_label("用户名或身份证号").fill("imp-expert-li")
    expert.get_by_label("激活码（或密码重置码）").fill(code)
    expert.get_by_label(NEW_PASSWORD_LABEL).fill("Another#2026pw")
    expert.get_by_label("确认新密码").fill("Another#2026pw")
    expert.get_by_role("button", name="首次登录/激活账户").click()
    expect(expert.locator("main")).to_contain_text("已使用")

    login(expert, "imp-expert-li", NEW_PASSWORD)
    expect(expert).to_have_url(f"{live.url}/work/expert")
    agency.goto("/work/agency/accounts")
    expect(agency.locator("tbody")).not_to_contain_text("imp-expert-li")
