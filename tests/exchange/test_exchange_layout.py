"""The layout and cell readers without a database: the documented columns are the ones read, every
vocabulary value round-trips through its Chinese name, dates and codes are read as spreadsheets write them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zhicheng.exchange import layout
from zhicheng.exchange.sheets import CellError, cell_bool, cell_code, cell_date, cell_int, cell_text, split_list
from zhicheng.policy.profile import AchievementKind, EducationLevel

DOC = (Path(__file__).resolve().parents[2] / "docs" / "excel.md").read_text(encoding="utf-8")


def test_every_column_is_documented() -> None:
    for _, columns in (*layout.LAYOUTS["applications"], *layout.LAYOUTS["experts"]):
        for c in columns:
            assert c.header in DOC, c.header


@pytest.mark.parametrize(
    ("vocab", "values"),
    [
        (layout.KIND, [k.value for k in AchievementKind]),
        (layout.EDUCATION, [e.value for e in EducationLevel]),
        (
            layout.LEVEL,
            ["technician", "assistant_engineer", "engineer", "senior_engineer", "professorate_senior_engineer"],
        ),
    ],
)
def test_vocabularies_cover_the_profile(vocab: layout.Vocab, values: list[str]) -> None:
    assert sorted(vocab.names) == sorted(values)
    for value in values:
        assert vocab.parse(vocab.label(value)) == value and vocab.parse(value) == value


def test_cells() -> None:
    for text in ("2024-07-01", "2024/7/1", "2024.7.1", "2024年7月1日", "20240701", dt.datetime(2024, 7, 1, 0, 0)):
        assert cell_date(text) == dt.date(2024, 7, 1)
    for bad, reason in (
        ("2024-02-30", "不存在"),
        ("2024年7月", "只写到月"),
        (45474, "不能是数字"),
        ("七月一日", "无法识别"),
    ):
        with pytest.raises(CellError, match=reason):
            cell_date(bad)
    assert cell_int(3.0) == 3 and cell_int(" 12 ") == 12 and cell_int(None) is None
    with pytest.raises(CellError, match="不能小于 1"):
        cell_int(0, low=1)
    with pytest.raises(CellError, match="应为整数"):
        cell_int(2.5)
    assert (cell_bool("是"), cell_bool("否"), cell_bool(True), cell_bool(None)) == (True, False, True, None)
    with pytest.raises(CellError, match="应填“是”或“否”"):
        cell_bool("也许")
    assert cell_text("  张　三 ") == "张 三" and cell_text(7.0) == "7" and cell_text("") is None
    assert cell_code(" 11010519491231002x ", "身份证号") == "11010519491231002X"
    with pytest.raises(CellError, match="数字格式"):
        cell_code(110105194912310021, "身份证号")
    assert split_list("甲、乙，丙;丁 / 戊") == ["甲", "乙", "丙", "丁", "戊"]
