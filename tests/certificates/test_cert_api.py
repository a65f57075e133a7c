"""The REST API of acceptance, certificates and public verification, on SQLite and PostgreSQL:
issue → verify valid → revoke → verify revoked; downloads; rate limit shared by app instances;
the verification log visible to the holder only."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cert_world import ACCEPT_DAY, APPROVAL, ISSUE_DAY
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from zhicheng.certificates.pdf import verify_pdf
from zhicheng.certificates.signing import KeyRing
from zhicheng.certificates.verify import verify_certificate
from zhicheng.store.db import transaction
from zhicheng.store.testing import add_application, add_round

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_support import SECRET, Api, make_api, seed_unit, seed_user

D = dt.date


@dataclass
class Setup:
    api: Api
    apps: list[int]
    make: Any  # make(**settings) -> another Api on the same database (a second process)


@pytest.fixture
def setup(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", SECRET)
    monkeypatch.setenv("ZHICHENG_BASE_URL", "https://zc.example.gov.cn")
    monkeypatch.setenv("ZHICHENG_VERIFY_LIMIT", "6")
    monkeypatch.setenv("ZHICHENG_VERIFY_WINDOW_SECONDS", "600")
    unit = seed_unit(engine)
    users = {
        "agency": seed_user(engine, "agency", "x"),
        "bureau": seed_user(engine, "bureau", "x"),
        "holder": seed_user(engine, "applicant", "x", display_name="张伟", unit_id=unit.id),
        "other": seed_user(engine, "applicant", "x", display_name="李娜", unit_id=unit.id),
        "unit": seed_user(engine, "unit", "x", display_name="某科技有限公司人事处", unit_id=unit.id),
    }
    with transaction(engine) as s:
        rnd = add_round(s, year=2026, document_id="ai_bj_2020", levels=["senior_engineer"])
        apps = [
            add_application(s, rnd, users[who], level="senior_engineer", state="acceptance", unit_id=unit.id).id
            for who in ("holder", "other")
        ]
    clients: list[TestClient] = []

    def make() -> Api:
        app, clock = make_api(engine, tmp_path, ACCEPT_DAY)
        client = TestClient(app).__enter__()
        clients.append(client)
        api = Api(client, app, clock, engine)
        for name, user in users.items():
            api.issue(name, user.id)
        return api

    yield Setup(make(), apps, make)
    for client in clients:
        client.__exit__(None, None, None)


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def issue(s: Setup) -> dict[str, Any]:
    api = s.api
    accepted = ok(
        api.post("bureau", "/api/acceptances", json={"approval_number": APPROVAL, "application_ids": s.apps[:1]}), 201
    )
    assert accepted["application_ids"] == s.apps[:1]
    api.clock.set(ISSUE_DAY)
    items = ok(api.post("agency", "/api/certificates", json={"application_ids": s.apps[:1]}), 201)["items"]
    return dict(items[0])


def test_issue_verify_revoke_verify(setup: Setup) -> None:
    api = setup.api
    refused = api.post("agency", "/api/acceptances", json={"approval_number": APPROVAL, "application_ids": setup.apps})
    assert refused.status_code == 403 and "人社局" in refused.json()["error"]["message"]
    early = api.post("agency", "/api/certificates", json={"application_ids": setup.apps[:1]})
    assert early.status_code == 409  # still waiting for acceptance
    cert = issue(setup)
    number, token = cert["number"], cert["verification_url"].split("?t=")[1]
    assert cert["verification_url"] == f"https://zc.example.gov.cn/verify/{number}?t={token}"
    assert ok(api.get("holder", "/api/certificates"))["total"] == 1
    assert ok(api.get("other", "/api/certificates"))["total"] == 0
    assert api.get("other", f"/api/certificates/{number}").status_code == 404

    # public verification by the QR link and by number + name
    valid = ok(api.get(None, f"/api/verify/{number}", params={"t": token}))
    assert (valid["outcome"], valid["valid"]) == ("valid", True)
    assert valid["certificate"] == {
        "holder_name": "张伟",
        "id_number_masked": cert["id_number_masked"],
        "title_name": "高级工程师",
        "specialty": "人工智能",
        "qualification_date": ACCEPT_DAY.isoformat(),
        "certificate_number": number,
        "issuer": "北京市人力资源和社会保障局",
    }
    assert ok(api.post(None, "/api/verify", json={"number": number, "name": "张伟"}))["outcome"] == "valid"
    wrong = ok(api.post(None, "/api/verify", json={"number": number, "name": "张三"}))
    assert (wrong["outcome"], wrong["certificate"]) == ("not_found", None)
    assert ok(api.get(None, f"/api/verify/{number}", params={"t": "guessed"}))["outcome"] == "not_found"

    # offline: the downloaded JSON and PDF against the published keys and status list
    keys = KeyRing.from_json(api.get(None, "/api/verify/keys").content)
    status_url = f"/api/verify/status-lists/{cert['status_list_id']}"
    signed = api.get("holder", f"/api/certificates/{number}/signed.json")
    assert signed.headers["content-type"] == "application/json"
    pdf = api.get("holder", f"/api/certificates/{number}/certificate.pdf").content
    before = api.get(None, status_url).content
    assert verify_certificate(signed.content, keys, before).valid and verify_pdf(pdf, keys, before).valid

    # revoke: only the bureau; the status list changes; verification says revoked
    assert api.post("agency", f"/api/certificates/{number}/revoke", json={"reason": "弄虚作假取得"}).status_code == 403
    revoked = ok(api.post("bureau", f"/api/certificates/{number}/revoke", json={"reason": "经核查以弄虚作假取得"}))
    assert revoked["status"] == "revoked"
    after = api.get(None, status_url).content
    assert after != before
    assert verify_certificate(signed.content, keys, after).status == "revoked"
    assert verify_pdf(pdf, keys, after).status == "revoked"
    answer = ok(api.get(None, f"/api/verify/{number}", params={"t": token}))
    assert (answer["outcome"], answer["valid"]) == ("revoked", False) and "吊销" in answer["message"]
    again = api.post("bureau", f"/api/certificates/{number}/revoke", json={"reason": "再次撤销同一证书"})
    assert again.status_code == 409


def test_verification_log_is_the_holders_and_names_signed_in_verifiers(setup: Setup) -> None:
    api = setup.api
    number = issue(setup)["number"]
    ok(api.post(None, "/api/verify", json={"number": number, "name": "张伟"}))
    ok(api.post("unit", "/api/verify", json={"number": number, "name": "张伟"}))
    ok(api.post(None, "/api/verify", json={"number": number, "name": "张三"}))
    log = ok(api.get("holder", f"/api/certificates/{number}/verifications"))
    assert log["total"] == 3
    newest, middle, oldest = log["items"]
    assert (newest["outcome"], newest["verifier"]) == ("mismatch", "公众（未登录）")
    assert middle["verifier"] == "某科技有限公司人事处（用人单位）" and middle["outcome"] == "valid"
    assert oldest["method"] == "number_name" and oldest["client_ip_masked"] == "未知"  # the test client has no IP
    for who in ("other", "agency", "bureau", "unit"):
        assert api.get(who, f"/api/certificates/{number}/verifications").status_code == 404
    assert api.get(None, f"/api/certificates/{number}/verifications").status_code == 401


def test_rate_limit_is_shared_by_processes_and_ends_with_the_window(setup: Setup) -> None:
    api = setup.api
    number = issue(setup)["number"]
    second = setup.make()  # another app instance (process) on the same database
    second.clock.set(ISSUE_DAY)
    for i in range(6):  # the limit is 6 per 10 minutes, whichever process answers
        who = api if i % 2 else second
        assert who.post(None, "/api/verify", json={"number": number, "name": "张伟"}).status_code == 200
    refused = api.post(None, "/api/verify", json={"number": number, "name": "张伟"})
    assert refused.status_code == 429 and "查询过于频繁" in refused.json()["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert second.get(None, f"/api/verify/{number}", params={"t": "x"}).status_code == 429
    log = ok(api.get("holder", f"/api/certificates/{number}/verifications"))
    assert log["total"] == 6  # refused look-ups show nothing and are not counted twice
    api.clock.advance(dt.timedelta(minutes=11))
    assert api.post(None, "/api/verify", json={"number": number, "name": "张伟"}).status_code == 200


def test_client_address_behind_a_trusted_proxy_is_masked(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_TRUST_PROXY", "1")
    api = setup.api
    number = issue(setup)["number"]
    headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.42", "User-Agent": "HR-check/1.0"}
    ok(api.client.post("/api/verify", json={"number": number, "name": "张伟"}, headers=headers))
    (row,) = ok(api.get("holder", f"/api/certificates/{number}/verifications"))["items"]
    assert row["client_ip_masked"] == "203.0.*.*" and row["user_agent"] == "HR-check/1.0"
    assert "113.42" not in api.get("holder", f"/api/certificates/{number}/verifications").text


def test_unknown_status_list_and_bad_numbers(setup: Setup) -> None:
    api = setup.api
    assert api.get(None, "/api/verify/status-lists/zc-9999").status_code == 404
    assert api.get(None, "/api/verify/ZC..bad", params={"t": "x"}).status_code in (404, 422)
    unknown = ok(api.post(None, "/api/verify", json={"number": "ZC110000202640000019", "name": "张伟"}))
    assert unknown["outcome"] == "not_found"
    assert ok(api.get(None, "/api/verify/keys")) == {"keys": []}  # nothing published before the first issue
