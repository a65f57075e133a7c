"""Profile input: every problem at once, with field path and a Chinese reason; nothing crashes."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.policy.profile import Profile, ProfileError, load_profile, parse_profile

TODAY = date(2026, 11, 23)


def problems(data):
    with pytest.raises(ProfileError) as exc:
        parse_profile(data, today=TODAY)
    return dict(exc.value.problems)


def test_all_errors_at_once_with_paths():
    got = problems({
        "education": [{"level": "phd", "graduation_date": "2030-01-01"}],
        "achievements": [{"kind": "poem", "rank": 0, "date": "2020-01-01"},
                         {"kind": "paper", "date": "2020-13-01"}],
        "sanctions": [{"kind": "integrity", "start": "2024-01-01", "end": "2023-01-01"}],
        "annual_assessments": [{"year": 2027, "result": "competent"}],
        "unknown_field": 1,
    })
    assert "取值无效" in got["education[0].level"]
    assert "晚于今天" in got["education[0].graduation_date"]
    assert "取值无效" in got["achievements[0].kind"]
    assert got["achievements[0].rank"] == "不能小于 1"
    assert "YYYY-MM-DD" in got["achievements[1].date"]
    assert got["sanctions[0]"] == "结束日期早于开始日期"
    assert got["unknown_field"] == "不认识的字段"


def test_an_empty_field_reads_as_missing_not_as_a_bad_format():
    """A form left blank sends null: the applicant is told to fill it in, not that the format is wrong."""
    got = problems({"education": [{"level": "master", "graduation_date": None}],
                    "achievements": [{"kind": "paper", "date": None, "rank": None}]})
    assert got["education[0].graduation_date"] == "缺少必填字段"
    assert got["achievements[0].date"] == "缺少必填字段"
    assert "YYYY-MM-DD" in problems({"education": [{"level": "master", "graduation_date": "2015"}]})[
        "education[0].graduation_date"]


def test_future_assessment_year_and_duplicate_years():
    assert "尚未到来" in problems({"annual_assessments": [{"year": 2027, "result": "competent"}]})[
        "annual_assessments[0].year"]
    got = problems({"annual_assessments": [{"year": 2024, "result": "competent"},
                                           {"year": 2024, "result": "excellent"}]})
    assert "同一年度" in got["(根)"]


def test_not_an_object():
    assert problems([1, 2]) == {"(根)": "档案应为对象（键值映射）"}


def test_files(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("education: [{level: master, graduation_date: 2015-07-01}]\n", encoding="utf-8")
    assert load_profile(p, today=TODAY).education[0].level == "master"
    j = tmp_path / "p.json"
    j.write_text("{bad json", encoding="utf-8")
    with pytest.raises(ProfileError, match="格式错误"):
        load_profile(j)
    with pytest.raises(ProfileError, match="无法读取"):
        load_profile(tmp_path / "missing.yaml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
        ["2020-01-01", "master", "paper", "competent", "integrity", "lead"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(
        st.sampled_from(["education", "level", "graduation_date", "achievements", "kind", "rank", "date",
                         "titles", "grade", "obtained", "sanctions", "start", "end", "x"]), kids, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_never_crashes_on_any_input(data):
    try:
        parse_profile(data, today=TODAY)
    except ProfileError as exc:
        assert exc.problems and all(isinstance(p, str) and m for p, m in exc.problems)


def test_json_schema_exported():
    schema = Profile.model_json_schema()
    assert "achievements" in schema["properties"]
    json.dumps(schema, ensure_ascii=False)
