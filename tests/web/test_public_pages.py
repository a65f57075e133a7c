"""Public pages over HTTP: security headers, CSRF on forms, escaping, the self-check."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from zhicheng import web


@pytest.fixture
def client():
    app = FastAPI()
    web.install(app)
    app.state.clock = lambda: dt.date(2026, 11, 23)
    return TestClient(app)


def csrf_of(client, path="/check"):
    r = client.get(path)
    return re.search(r'name="_csrf" value="([^"]+)"', r.text).group(1)


def test_headers_and_language(client):
    r = client.get("/")
    assert r.status_code == 200 and "职称评审平台" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    r = client.get("/lang/en", headers={"referer": "http://testserver/standards"}, follow_redirects=True)
    assert "Standards" in r.text and 'lang="en"' in r.text


def test_standards_pages(client):
    r = client.get("/standards")
    assert "京人社事业发〔2020〕17号" in r.text and "不在有效期" in r.text  # Qingdao expired in 2025
    r = client.get("/standards/general_bj_2020/professorate_senior_engineer")
    assert "直通车" in r.text and "原文" in r.text
    assert client.get("/standards/nope/engineer").status_code == 404


def test_self_check_requires_csrf_and_explains(client):
    assert client.post("/check", data={"as_of": "2025-03-01"}).status_code == 403
    token = csrf_of(client)
    form = {"_csrf": token, "as_of": "2025-03-01", "edu_level_0": "master", "edu_date_0": "2017-07-01",
            "work_start": "2017-07-15", "title_grade_0": "3", "title_date_0": "2021-03-01",
            "dir_general_bj_2020": "general_research_design",
            "ach_kind_0": "paper", "ach_date_0": "2023-01-10", "ach_venue_0": "core_journal", "ach_rank_0": "1"}
    r = client.post("/check", data=form, headers={"hx-request": "true"})
    assert r.status_code == 200
    assert "高级工程师" in r.text and "还差2项成果" in r.text and "待人工判断" in r.text


def test_self_check_reports_field_errors_and_escapes(client):
    token = csrf_of(client)
    r = client.post("/check", data={"_csrf": token, "as_of": "2025-03-01", "edu_level_0": "master",
                                    "edu_date_0": "2030-01-01", "ach_kind_0": "<script>alert(1)</script>"})
    assert "晚于今天" in r.text and "education[0].graduation_date" in r.text
    assert "<script>alert(1)</script>" not in r.text
    assert 'aria-invalid="true"' in r.text
