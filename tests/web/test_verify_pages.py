"""Public certificate verification pages on SQLite and PostgreSQL: by number and name (POST, CSRF), by the
QR link; valid, suspended and revoked; a wrong name reads as not found; every look-up logged; minimal
fields only; escaping; the rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from staff_world import (
    APPROVAL,
    ISSUE_DAY,
    TODAY,
    World,
    assigned_meeting,
    certified,
    make_world,
    review_world,
    run,
)

from zhicheng.certificates import service as csvc
from zhicheng.certificates.config import TrustSettings
from zhicheng.store.db import transaction
from zhicheng.store.models import Certificate, VerificationLogEntry


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    w = make_world(engine, tmp_path, TODAY)
    yield w
    w.close()


@pytest.fixture
def issued(world: World) -> tuple[World, str, str]:
    r = review_world(world, experts=3, apps=1)
    assigned_meeting(r, size=3)
    (number,) = certified(world, r)
    return world, number, r.applicants[0].display_name


def _token(world: World, number: str) -> str:
    with transaction(world.engine, readonly=True) as s:
        return s.scalars(select(Certificate.token).where(Certificate.number == number)).one()


def test_verify_by_number_and_name(issued: tuple[World, str, str]) -> None:
    world, number, name = issued
    visitor = world.browser()
    text = visitor.get("/verify").text
    assert 'name="number"' in text and 'for="f-number"' in text and 'for="f-name"' in text
    assert visitor.post("/verify", {"number": number, "name": name}, csrf=False).status_code == 403
    r = visitor.post("/verify", {"number": number, "name": name})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "证书有效" in r.text and number in r.text and "高级工程师" in r.text
    assert "***" in r.text  # the ID number masked
    assert APPROVAL not in r.text and "评审委员会" not in r.text  # the minimum of fields, nothing internal
    r = visitor.post("/verify", {"number": number, "name": "别人"})
    assert r.status_code == 200 and "未找到相符的证书" in r.text and number not in r.text.split("查验结果", 1)[1]
    r = visitor.post("/verify", {"number": "", "name": ""})
    assert r.status_code == 422 and "请填写证书编号" in r.text and "请填写姓名" in r.text
    r = visitor.post("/verify", {"number": "<b>X</b>", "name": "<script>alert(1)</script>"})
    assert "未找到相符的证书" in r.text and "<script>alert(1)" not in r.text and "<b>X" not in r.text
    r = visitor.post("/verify", {"number": "", "name": "<script>alert(1)</script>"})  # typed text shown again
    assert r.status_code == 422 and "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text
    with transaction(world.engine, readonly=True) as s:
        outcomes = sorted(s.scalars(select(VerificationLogEntry.outcome)))
    assert outcomes == ["mismatch", "not_found", "valid"]  # refusals for empty fields are not look-ups


def test_verify_by_qr_link_and_status_changes(issued: tuple[World, str, str]) -> None:
    world, number, _ = issued
    visitor = world.browser()
    token = _token(world, number)
    r = visitor.get(f"/verify/{number}?t={token}")
    assert r.status_code == 200 and "证书有效" in r.text
    r = visitor.get(f"/verify/{number}?t=wrong-token")
    assert "未找到相符的证书" in r.text
    r = visitor.get(f"/verify/{number}")
    assert r.status_code == 200 and f'value="{number}"' in r.text  # no token: the name form, prefilled
    bureau = world.user("bureau")
    trust = TrustSettings.from_env(world.app.state.runtime.data_dir)
    run(world, bureau, csvc.suspend_certificate, trust, number, reason="诚信核查期间暂停", today=ISSUE_DAY)
    assert "证书已暂停" in visitor.get(f"/verify/{number}?t={token}").text
    run(world, bureau, csvc.revoke_certificate, trust, number, reason="以欺骗手段取得，依法撤销", today=ISSUE_DAY)
    r = visitor.get(f"/verify/{number}?t={token}")
    assert "证书已撤销" in r.text and "✘" in r.text
    with transaction(world.engine, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(VerificationLogEntry)) == 4


def test_lookups_are_rate_limited(issued: tuple[World, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    world, number, name = issued
    monkeypatch.setenv("ZHICHENG_VERIFY_LIMIT", "2")
    visitor = world.browser()
    for _ in range(2):
        assert visitor.post("/verify", {"number": number, "name": name}).status_code == 200
    r = visitor.post("/verify", {"number": number, "name": name})
    assert r.status_code == 429 and "查询过于频繁" in r.text and int(r.headers["retry-after"]) > 0
    assert f'value="{number}"' in r.text  # the form again, with what was typed
