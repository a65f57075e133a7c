"""The command line as a user runs it: exit 0 whatever the verdict, 2 on bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zhicheng.cli import app

runner = CliRunner()

PROFILE = """
name: 李四
education: [{level: master, graduation_date: 2016-07-01}]
specialty_work_start: 2016-07-15
titles: [{grade: 3, series: engineering, obtained: 2019-10-01, name: 工程师}]
directions: [general_research_design]
achievements:
  - {kind: paper, venue: core_journal, rank: 1, date: 2021-05-01, title: 论文甲}
"""


def write(tmp_path, text=PROFILE, name="p.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_check_readable_and_json(tmp_path):
    path = write(tmp_path)
    r = runner.invoke(app, ["check", path, "--doc", "general_bj_2020", "--level", "senior_engineer",
                            "--as-of", "2024-03-01"])
    assert r.exit_code == 0, r.output
    assert "不符合申报条件" in r.output and "还差2项成果" in r.output
    r = runner.invoke(app, ["check", path, "--doc", "general_bj_2020", "--level", "senior_engineer",
                            "--as-of", "2024-03-01", "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data[0]["status"] == "ineligible" and data[0]["format"] == "zhicheng.verdict.v1"


def test_bad_input_exits_2(tmp_path):
    bad = write(tmp_path, "education: [{level: phd, graduation_date: 2015-07-01}]\n", "bad.yaml")
    r = runner.invoke(app, ["check", bad])
    assert r.exit_code == 2 and "education[0].level" in r.output
    r = runner.invoke(app, ["check", write(tmp_path), "--as-of", "2024/03/01"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    r = runner.invoke(app, ["check", write(tmp_path), "--doc", "nope", "--level", "engineer"])
    assert r.exit_code == 2 and "未知的标准编号" in r.output


def test_standards_explain_forecast_schema(tmp_path):
    r = runner.invoke(app, ["standards", "--as-of", "2024-03-01"])
    assert r.exit_code == 0 and "general_bj_2020" in r.output
    r = runner.invoke(app, ["explain", "general_bj_2020", "professorate_senior_engineer"])
    assert r.exit_code == 0 and "直通车" in r.output and "原文" in r.output
    r = runner.invoke(app, ["forecast", write(tmp_path), "--as-of", "2024-03-01"])
    assert r.exit_code == 0 and "高级工程师" in r.output
    for what in ("profile", "verdict", "catalog"):
        r = runner.invoke(app, ["schema", what])
        assert r.exit_code == 0 and json.loads(r.stdout)
    assert runner.invoke(app, ["schema", "nope"]).exit_code == 2
