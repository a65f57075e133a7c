"""Public notice pages over HTTP on SQLite and PostgreSQL: running and ended notices with their entries and
dates, the objection form during the period (validated, CSRF-checked, nothing stored on bad input), a clear
message after it; no ID number on any public page; user text escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from page_world import SECRET, D, World, location, make_world
from sqlalchemy import Engine, select

from zhicheng.store.db import transaction
from zhicheng.store.models import Objection, User


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    yield make_world(engine, tmp_path, D(2026, 9, 1))


def notice_with(world: World, names: list[str]) -> tuple[int, list[int]]:
    """A unit internal notice started on 2026-09-02 (ends 2026-09-08) listing one application per name."""
    unit = world.unit("某<i>科技</i>有限公司")
    rid = world.round()
    unit_user = world.user("unit", unit_id=unit.id)
    ids = [world.submitted(world.user("applicant", unit_id=unit.id, display_name=n), rid) for n in names]
    world.at(D(2026, 9, 2))
    for app_id in ids:
        world.act(unit_user, app_id, "start_notice")
    public = world.browser()
    notice_id = int(re.search(r'href="/notices/(\d+)"', public.get("/notices").text).group(1))  # type: ignore[union-attr]
    return notice_id, ids


def test_notice_list_and_entries(world: World) -> None:
    notice_id, ids = notice_with(world, ["周一", "吴<script>alert(1)</script>"])
    with transaction(world.engine, readonly=True) as s:
        masked = [u.id_number_masked for u in s.scalars(select(User).where(User.role == "applicant"))]
    b = world.browser()
    world.at(D(2026, 9, 3))
    page = b.get("/notices").text
    assert "公示中" in page and "公示期 2026-09-02 至 <strong>2026-09-08</strong>" in page
    assert "周一" in page and "吴&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "某&lt;i&gt;科技&lt;/i&gt;有限公司" in page
    assert f"/notices/{notice_id}/objection?entry={ids[0]}" in page
    detail = b.get(f"/notices/{notice_id}").text
    assert "人工智能" in detail and "高级工程师" in detail and "正常申报" in detail
    for m in masked:
        assert m and m not in page and m not in detail

    world.at(D(2026, 9, 9))
    page = b.get("/notices").text
    assert "目前没有正在公示的名单" in page and f'href="/notices/{notice_id}"' in page
    detail = b.get(f"/notices/{notice_id}").text
    assert "公示期已于 2026-09-08 结束，不再受理异议" in detail and "/objection?entry=" not in detail
    assert b.get("/notices/99999").status_code == 404


def test_objection_form_validates_and_stores_once(world: World) -> None:
    notice_id, (app_id,) = notice_with(world, ["郑七"])
    world.at(D(2026, 9, 4))
    b = world.browser()
    form_url = f"/notices/{notice_id}/objection?entry={app_id}"
    page = b.get(form_url).text
    assert "郑七" in page and 'for="f-name"' in page and 'id="f-name"' in page and 'id="f-content"' in page
    post = f"/notices/{notice_id}/objection"
    r = b.post(post, {"application_id": str(app_id), "name": "", "contact": "", "content": "太短"})
    assert r.status_code == 422 and "姓名：请填写真实姓名" in r.text
    r = b.post(post, {"application_id": str(app_id), "name": "王八", "contact": "", "content": "太短"})
    assert r.status_code == 422
    assert "异议内容：请写明异议的具体事实（至少10个字）" in r.text and "联系方式：请留下联系方式" in r.text
    assert 'value="王八"' in r.text and ">太短</textarea>" in r.text
    r = b.post(post, {"application_id": str(app_id), "name": "王八", "contact": "x" * 141, "content": "1" * 20})
    assert r.status_code == 422 and "联系方式：过长" in r.text
    r = b.post(
        post, {"application_id": str(app_id), "name": "王八", "contact": "1380", "content": "c" * 20}, csrf=False
    )
    assert r.status_code == 403 and "页面已过期" in r.text
    assert world.count(Objection) == 0

    content = "申报人论文二并非第一作者，<script>alert('x')</script>请核查。"
    r = b.post(post, {"application_id": str(app_id), "name": "王八", "contact": "13900000000", "content": content})
    back = location(r)
    assert back.startswith(f"/notices/{notice_id}?received=")
    assert "已收到您的异议" in b.get(back).text
    with transaction(world.engine, readonly=True) as s:
        obj = s.scalars(select(Objection)).one()
        assert (obj.application_id, obj.name, obj.contact, obj.content) == (app_id, "王八", "13900000000", content)
    public_page = b.get(f"/notices/{notice_id}").text
    assert "13900000000" not in public_page and "王八" not in public_page  # the objector is never public

    r = b.post(post, {"application_id": "999999", "name": "王八", "contact": "139", "content": "c" * 20})
    assert r.status_code == 404 and world.count(Objection) == 1
    world.at(D(2026, 9, 9))
    page = b.get(form_url).text
    assert "公示期已于 2026-09-08 结束，不再受理异议" in page and 'name="content"' not in page
    r = b.post(post, {"application_id": str(app_id), "name": "王八", "contact": "139", "content": "c" * 20})
    assert r.status_code == 422 and "不在公示期内" in r.text and world.count(Objection) == 1
