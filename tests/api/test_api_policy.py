"""Public API over the engine: standards, explain, check — errors as JSON with field paths in Chinese."""

from __future__ import annotations

from fastapi.testclient import TestClient

from zhicheng.api.app import create_app

client = TestClient(create_app())

PROFILE = {
    "education": [{"level": "master", "graduation_date": "2016-07-01"}],
    "specialty_work_start": "2016-07-15",
    "titles": [{"grade": 3, "obtained": "2019-10-01"}],
    "directions": ["general_research_design"],
}


def test_standards_paginated():
    r = client.get("/api/standards", params={"as_of": "2024-03-01", "limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 1 and len(body["items"]) <= 2 and body["limit"] == 2


def test_explain_and_unknown():
    r = client.get("/api/standards/general_bj_2020/senior_engineer")
    assert r.status_code == 200 and any("破格" in line for line in r.json()["lines"])
    r = client.get("/api/standards/nope/engineer")
    assert r.status_code == 404 and "未知的标准编号" in r.json()["error"]["message"]


def test_check_returns_verdicts():
    r = client.post("/api/check", json={"profile": PROFILE, "document": "general_bj_2020",
                                        "level": "senior_engineer", "as_of": "2024-03-01"})
    assert r.status_code == 200, r.text
    v = r.json()[0]
    assert v["status"] == "ineligible" and v["missing"] and v["format"] == "zhicheng.verdict.v1"


def test_check_bad_profile_lists_every_field():
    bad = {**PROFILE, "education": [{"level": "phd", "graduation_date": "2099-01-01"}],
           "achievements": [{"kind": "paper", "rank": 0, "date": "2020-01-01"}]}
    r = client.post("/api/check", json={"profile": bad})
    assert r.status_code == 422
    fields = {f["path"]: f["message"] for f in r.json()["error"]["fields"]}
    assert "profile.education[0].level" in fields
    assert "晚于今天" in fields["profile.education[0].graduation_date"]
    assert fields["profile.achievements[0].rank"] == "不能小于 1"


def test_request_validation_in_chinese():
    r = client.post("/api/check", json={"as_of": "2024-13-01"})
    assert r.status_code == 422
    paths = {f["path"] for f in r.json()["error"]["fields"]}
    assert {"profile", "as_of"} <= paths
    assert client.get("/api/standards", params={"limit": 0}).status_code == 422


def test_openapi_served():
    assert client.get("/openapi.json").json()["info"]["title"].startswith("zhicheng")
    assert client.get("/docs").status_code == 200
