"""The whole Beijing procedure over HTTP for one application, on SQLite and PostgreSQL: the flow of
tests/workflow/test_procedure_e2e.py, with the app's clock moved forward for every step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from api_support import AI_SENIOR, PASSWORD, PDF, PNG, Api, D, make_api, new_id_number, seed_user
from fastapi.testclient import TestClient
from review_support import http_committee, http_meeting_ready
from sqlalchemy import Engine


@pytest.fixture
def http(engine: Engine, tmp_path: Path, password_hash: str) -> Any:
    app, clock = make_api(engine, tmp_path, D(2026, 8, 1), token_lifetime=dt.timedelta(days=400))
    with TestClient(app) as client:
        api = Api(client, app, clock, engine)
        admin = seed_user(engine, "admin", password_hash, username="root")
        api.tokens["admin"] = api.login(admin.username)
        yield api


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def refused(r: Any, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]["message"], r.text


def test_beijing_procedure_over_http(http: Api) -> None:
    api = http
    # ---- the admin registers the unit and the staff; the applicants register themselves
    unit = ok(api.post("admin", "/api/units", json={"name": "某科技有限公司", "uscc": "91350100M000100Y43"}), 201)
    for username, role, extra in (
        ("unit_hr", "unit", {"unit_uscc": unit["uscc"]}),
        ("agency", "agency", {}),
        ("bureau", "bureau", {}),
    ):
        body = {"username": username, "password": PASSWORD, "display_name": f"{role} 工作人员", "role": role, **extra}
        ok(api.post("admin", "/api/users", json=body), 201)
    number = new_id_number()
    me = ok(
        api.post(
            None,
            "/api/auth/register",
            json={
                "username": "wangwu",
                "password": PASSWORD,
                "display_name": "王五",
                "id_number": number,
                "unit_uscc": unit["uscc"],
            },
        ),
        201,
    )
    assert me["unit"]["name"] == "某科技有限公司" and me["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]
    other = {"username": "zhaoliu", "password": PASSWORD, "display_name": "赵六", "id_number": new_id_number()}
    ok(api.post(None, "/api/auth/register", json={**other, "unit_uscc": unit["uscc"]}), 201)
    for name, username in (("unit", "unit_hr"), ("agency", "agency"), ("bureau", "bureau"), ("a", "wangwu")):
        api.tokens[name] = api.login(username)
    api.tokens["b"] = api.login("zhaoliu")

    def at(day: dt.date) -> None:
        api.clock.set(day)

    def act(who: str, action: str, version: int, **body: Any) -> Any:
        return api.post(who, f"/api/applications/{app_id}/actions/{action}", json={"version": version, **body})

    # ---- the agency opens the round; the public sees it
    at(D(2026, 8, 20))
    rnd = ok(
        api.post(
            "agency",
            "/api/rounds",
            json={
                "document_id": "ai_bj_2020",
                "levels": ["senior_engineer"],
                "kind": "annual",
                "year": 2026,
                "title": "2026年度评审",
                "window_start": "2026-09-01",
                "window_end": "2026-09-30",
            },
        ),
        201,
    )
    assert rnd["id"] in [r["id"] for r in ok(api.get(None, "/api/public/rounds"))["items"]]

    # ---- the applicant fills in, uploads evidence, submits
    at(D(2026, 9, 1))
    app = ok(
        api.post(
            "a", "/api/applications", json={"round_id": rnd["id"], "level": "senior_engineer", "profile": AI_SENIOR}
        ),
        201,
    )
    app_id, v = app["id"], app["version"]
    assert app["state"] == "draft" and {a["name"] for a in app["allowed_actions"]} == {"submit", "withdraw"}
    ev = ok(
        api.post(
            "a",
            f"/api/applications/{app_id}/evidence",
            files={"file": ("论文1.pdf", PDF, "text/plain")},
            data={"achievement_index": "0", "version": str(v)},
        ),
        201,
    )
    assert ev["media_type"] == "application/pdf" and ev["filename"] == "论文1.pdf"
    v += 1
    at(D(2026, 10, 8))
    refused(act("a", "submit", v, data={"pledge": True}), 422, "2026-09-01至2026-09-30")
    at(D(2026, 9, 1))
    refused(act("a", "submit", v, data={}), 422, "诚信承诺")
    app = ok(act("a", "submit", v, data={"pledge": True}))
    assert app["state"] == "unit_review" and app["verdict_at_submission"]["status"] in ("needs_review", "eligible")
    refused(api.get("b", f"/api/applications/{app_id}"), 404, "不存在或无权查看")

    # ---- the unit's internal notice of 5 working days, then the recommendation
    at(D(2026, 9, 2))
    app = ok(act("unit", "start_notice", app["version"]))
    assert app["state"] == "unit_notice"
    notices = ok(api.get(None, "/api/notices", params={"kind": "unit", "running": True}))["items"]
    assert [(n["start_date"], n["end_date"]) for n in notices] == [("2026-09-02", "2026-09-08")]
    entries = api.get(None, f"/api/notices/{notices[0]['id']}/entries")
    assert ok(entries)["items"][0]["name"] == "王五" and number not in entries.text and number[-4:] not in entries.text
    at(D(2026, 9, 8))
    refused(act("unit", "recommend", app["version"]), 422, "公示期至2026-09-08")
    at(D(2026, 9, 9))
    app = ok(act("unit", "recommend", app["version"]))
    assert app["state"] == "agency_review"

    # ---- one-time correction notice, answered in time with another file
    at(D(2026, 9, 11))
    items = ["补充论文检索证明", "补充职称证书扫描件"]
    app = ok(act("agency", "request_correction", app["version"], data={"items": items, "workdays": 5}))
    assert app["state"] == "correction"
    mine = ok(api.get("a", f"/api/applications/{app_id}"))
    assert mine["corrections"][0]["items"] == items and mine["corrections"][0]["status"] == "open"
    assert {a["name"] for a in mine["allowed_actions"]} == {"resubmit", "expire"}
    at(D(2026, 9, 14))
    ok(api.post("a", f"/api/applications/{app_id}/evidence", files={"file": ("证书.png", PNG, "image/png")}), 201)
    app = ok(api.get("a", f"/api/applications/{app_id}"))
    app = ok(act("a", "resubmit", app["version"]))
    assert app["state"] == "agency_review" and app["corrections"][0]["status"] == "answered"

    # ---- qualification review: every qualitative item judged
    at(D(2026, 9, 15))
    refused(act("agency", "accept", app["version"], data={"judgements": []}), 422, "尚需人工判断")
    verdict = ok(api.get("agency", f"/api/applications/{app_id}/verdict"))
    judgements = [{"condition": r["id"], "passed": True, "note": "材料核实"} for r in verdict["review_items"]]
    assert judgements
    app = ok(act("agency", "accept", app["version"], data={"judgements": judgements}))
    assert app["state"] == "committee" and app["verdict_at_review"]["status"] == "eligible"
    # ---- the committee: a bare record_pass is refused; a real meeting and secret ballot decide
    at(D(2026, 11, 10))
    refused(act("agency", "record_pass", app["version"]), 409, "尚无评委会表决结果")
    experts = {}
    for i in range(3):
        body = {"username": f"expert{i}", "password": PASSWORD, "display_name": f"专家{i}", "role": "expert"}
        experts[f"x{i}"] = ok(api.post("admin", "/api/users", json=body), 201)["id"]
        api.tokens[f"x{i}"] = api.login(f"expert{i}")
    committee = http_committee(api, "agency", list(experts.values()))
    meeting, members = http_meeting_ready(api, "agency", experts, committee, [app_id], D(2026, 11, 10))
    ballot = f"/api/meetings/{meeting}/applications/{app_id}/ballot"
    ok(api.post("agency", f"{ballot}/open"))
    for name in members:
        assert api.post(name, f"{ballot}/votes", json={"choice": "yes"}).status_code == 204
    tally = ok(api.post("agency", f"{ballot}/close"))
    assert (tally["yes"], tally["present"], tally["passed"], tally["state"]) == (3, 3, True, "acceptance")
    minutes = ok(api.post("agency", f"/api/meetings/{meeting}/close"))
    assert minutes["items"][0]["tally"]["passed"]
    assert ok(api.get("bureau", f"/api/meetings/{meeting}/minutes")) == minutes
    app = ok(api.get("agency", f"/api/applications/{app_id}"))
    assert app["state"] == "acceptance"
    at(D(2026, 12, 1))
    app = ok(act("bureau", "accept_results", app["version"], data={"approval_number": "京人社职字〔2026〕18号"}))
    assert app["state"] == "results_notice"

    # ---- the results notice, a public objection, its decision, the certificate
    at(D(2026, 12, 2))
    results = ok(api.get(None, "/api/notices", params={"kind": "results"}))["items"][0]
    receipt = ok(
        api.post(
            None,
            f"/api/notices/{results['id']}/objections",
            json={
                "application_id": app_id,
                "content": "申报人提交的论文三并非第一作者，请核查。",
                "name": "李明",
                "contact": "13800000000",
            },
        ),
        201,
    )
    at(D(2026, 12, 9))
    refused(act("agency", "certify", app["version"]), 422, "异议尚未处理")
    seen_by_applicant = ok(api.get("a", f"/api/applications/{app_id}/objections"))["items"][0]
    assert seen_by_applicant["contact"] is None and seen_by_applicant["name"] is None
    assert seen_by_applicant["status"] == "open"
    seen_by_agency = ok(api.get("agency", f"/api/applications/{app_id}/objections"))["items"][0]
    assert (seen_by_agency["name"], seen_by_agency["contact"]) == ("李明", "13800000000")
    decided = ok(
        api.post(
            "agency",
            f"/api/objections/{receipt['id']}/decision",
            json={"upheld": False, "decision": "经核查期刊署名，申报人为第一作者，异议不成立。"},
        )
    )
    assert decided["status"] == "dismissed"
    app = ok(act("agency", "certify", app["version"]))
    assert app["state"] == "certified" and app["allowed_actions"] == []

    # ---- the record: timeline, evidence, audit chain
    steps = [(e["action"], e["to_state"]) for e in app["timeline"] if e["to_state"]]
    assert steps == [
        ("create", "draft"),
        ("submit", "unit_review"),
        ("start_notice", "unit_notice"),
        ("recommend", "agency_review"),
        ("request_correction", "correction"),
        ("resubmit", "agency_review"),
        ("accept", "committee"),
        ("record_pass", "acceptance"),
        ("accept_results", "results_notice"),
        ("certify", "certified"),
    ]
    files = ok(api.get("agency", f"/api/applications/{app_id}/evidence"))
    assert files["total"] == 2 and [f["media_type"] for f in files["items"]] == ["application/pdf", "image/png"]
    download = api.get("agency", f"/api/applications/{app_id}/evidence/{ev['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    refused(api.get("b", f"/api/applications/{app_id}/evidence/{ev['id']}"), 404, "不存在或无权查看")
    report = ok(api.get("bureau", "/api/audit/verify"))
    assert report["ok"] and report["entries"] >= 15, report
    trail = ok(
        api.get("bureau", "/api/audit", params={"entity": "application", "entity_id": str(app_id), "limit": 100})
    )
    assert trail["total"] == len(app["timeline"])
