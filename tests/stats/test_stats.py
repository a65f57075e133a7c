"""Statistics on a seeded season (stats_world.TABLE), on SQLite and PostgreSQL: every number checked against
values counted by hand; the SVG charts parsed as XML (right number of bars and points, accessible names, bar
heights in proportion); the .xlsx re-read cell by cell; the endpoints and who may use them."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from api_support import Api, make_api
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from stats_world import Season

from zhicheng.errors import DomainError
from zhicheng.stats.charts import bar_chart, line_chart, stats_chart
from zhicheng.stats.export import stats_workbook
from zhicheng.stats.queries import Stats, application_stats
from zhicheng.store.db import transaction
from zhicheng.store.models import Unit
from zhicheng.workflow import service as wsvc
from zhicheng.workflow.rights import Actor

SVG = "{http://www.w3.org/2000/svg}"
TODAY = dt.date(2026, 12, 1)


def stats(season: Season, by: str, actor: Actor | None = None, **kw: object) -> Stats:
    with transaction(season.engine, readonly=True) as s:
        result: Stats = application_stats(wsvc.Context(s, actor or season.bureau, TODAY), by, **kw)  # type: ignore[arg-type]
    return result


def numbers(st: Stats) -> dict[str, list[tuple[int, int, int, float | None]]]:
    """label -> per year (applications, passed, failed, pass rate rounded to 4 places)."""
    out = {}
    for key, label in st.groups:
        out[label] = [
            (c.applications, c.passed, c.failed, None if c.pass_rate is None else round(c.pass_rate, 4))
            for y in st.years
            for c in [st.cell(key, y)]
        ]
    return out


def test_by_document_year_over_year(season: Season) -> None:
    st = stats(season, "document")
    assert st.years == [2024, 2025, 2026]
    assert numbers(st) == {
        "北京市工程技术系列（人工智能）": [(4, 2, 1, 0.6667), (4, 2, 1, 0.6667), (2, 1, 0, 1.0)],
        "北京市工程技术人才（通用）": [(0, 0, 0, None), (3, 1, 1, 0.5), (2, 0, 1, 0.0)],
    }
    assert [(c.applications, c.passed, c.failed) for c in map(st.total, st.years)] == [(4, 2, 1), (7, 3, 2), (4, 1, 1)]
    data = st.to_dict()
    ai = data["groups"][0]
    assert ai["key"] == "ai_bj_2020" and ai["total"] == {
        "applications": 10,
        "decided": 7,
        "passed": 5,
        "failed": 2,
        "pass_rate": 0.7143,
    }
    assert [y["applications_change"] for y in ai["years"]] == [None, 0, -2]
    assert data["totals"][1] == {
        "year": 2025,
        "applications": 7,
        "decided": 5,
        "passed": 3,
        "failed": 2,
        "pass_rate": 0.6,
    }


def test_by_level_route_unit_and_year(season: Season) -> None:
    assert numbers(stats(season, "level")) == {
        "工程师": [(2, 1, 0, 1.0), (4, 1, 1, 0.5), (2, 1, 1, 0.5)],
        "高级工程师": [(2, 1, 1, 0.5), (3, 2, 1, 0.6667), (2, 0, 0, None)],
    }
    assert numbers(stats(season, "route")) == {
        "正常申报": [(3, 2, 1, 0.6667), (5, 3, 0, 1.0), (3, 1, 1, 0.5)],
        "破格申报": [(1, 0, 0, None), (1, 0, 1, 0.0), (1, 0, 0, None)],
        "直通车": [(0, 0, 0, None), (1, 0, 1, 0.0), (0, 0, 0, None)],
    }
    by_unit = stats(season, "unit")
    assert numbers(by_unit) == {
        "A公司": [(2, 1, 1, 0.5), (3, 1, 1, 0.5), (2, 1, 0, 1.0)],
        "B公司": [(2, 1, 0, 1.0), (3, 2, 1, 0.6667), (2, 0, 1, 0.0)],
        "未填写单位": [(0, 0, 0, None), (1, 0, 0, None), (0, 0, 0, None)],
    }
    assert [k for k, _ in by_unit.groups] == [str(season.units["A"]), str(season.units["B"]), ""]
    assert numbers(stats(season, "year")) == {"全部": [(4, 2, 1, 0.6667), (7, 3, 2, 0.6), (4, 1, 1, 0.5)]}


def test_filters(season: Season) -> None:
    st = stats(season, "level", year_from=2025, document="general_bj_2020")
    assert st.years == [2025, 2026]
    assert numbers(st) == {"工程师": [(2, 0, 1, 0.0), (1, 0, 1, 0.0)], "高级工程师": [(1, 1, 0, 1.0), (1, 0, 0, None)]}
    assert st.filters == {"year_from": 2025, "document": "general_bj_2020"}
    assert numbers(stats(season, "route", level="engineer", year_to=2024)) == {
        "正常申报": [(1, 1, 0, 1.0)],
        "破格申报": [(1, 0, 0, None)],
    }
    empty = stats(season, "document", year_from=2030, year_to=2031)
    assert (empty.years, empty.groups) == ([2030, 2031], [])
    for kw, field in (
        ({"by": "colour"}, "by"),
        ({"year_from": 2026, "year_to": 2025}, "year_to"),
        ({"document": "nope"}, "document"),
        ({"level": "boss"}, "level"),
    ):
        by = str(kw.pop("by", "document"))
        with pytest.raises(DomainError) as exc:
            stats(season, by, **kw)
        assert exc.value.status == 422 and exc.value.fields[0][0] == field


@pytest.mark.parametrize("role", ["unit", "admin"])
def test_only_bureau_and_agency_see_statistics(season: Season, role: str) -> None:
    with pytest.raises(DomainError) as exc:
        stats(season, "document", getattr(season, role))
    assert exc.value.status == 403
    assert numbers(stats(season, "document", season.agency)) == numbers(stats(season, "document"))


# ---------------------------------------------------------------- charts
def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert not any(el.get("style") for el in root.iter()) and root.find(f".//{SVG}script") is None
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_bar_chart_of_a_season(season: Season) -> None:
    st = stats(season, "document")
    root = parse(stats_chart(st, "applications", "bar"))
    assert root.find(f"{SVG}title").text == "按标准文件统计的申报数（2024–2026年）"  # type: ignore[union-attr]
    found = bars(root)
    assert len(found) == 2 * 3  # two documents × three years (a zero is a bar of height 0)
    tips = [b.find(f"{SVG}title").text for b in found]  # type: ignore[union-attr]
    assert tips[:3] == [
        "北京市工程技术系列（人工智能） · 2024年：4",
        "北京市工程技术人才（通用） · 2024年：0",
        "北京市工程技术系列（人工智能） · 2025年：4",
    ]
    heights = {t: float(b.get("height", "0")) for t, b in zip(tips, found, strict=True)}
    ai_2024 = heights["北京市工程技术系列（人工智能） · 2024年：4"]
    assert ai_2024 > 0 and heights["北京市工程技术人才（通用） · 2025年：3"] == pytest.approx(ai_2024 * 3 / 4, abs=0.2)
    assert heights["北京市工程技术人才（通用） · 2024年：0"] == 0
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert "2024年：北京市工程技术系列（人工智能） 4、北京市工程技术人才（通用） 0" in desc  # type: ignore[operator]
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert len(series) == 3 and len({g.get("fill") for g in series}) == 3
    rates = parse(stats_chart(st, "pass_rate", "bar"))
    assert len(bars(rates)) == 5  # general 2024 decided nothing: no rate, no bar
    assert "通过率" in rates.find(f"{SVG}title").text  # type: ignore[union-attr,operator]
    assert any(t.text == "100%" for t in rates.iter(f"{SVG}text"))


def test_line_chart_of_a_season(season: Season) -> None:
    root = parse(stats_chart(stats(season, "level"), "pass_rate", "line"))
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    assert len(points) == 5  # senior 2026 has no rate
    assert [p.find(f"{SVG}title").text for p in points][:3] == [  # type: ignore[union-attr]
        "2024年 · 工程师：100.0%",
        "2025年 · 工程师：50.0%",
        "2026年 · 工程师：50.0%",
    ]
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points", "").split()) for line in lines] == [3, 2]  # the missing rate breaks the line
    assert float(points[0].get("cy", "0")) < float(points[1].get("cy", "0"))  # 100% drawn above 50%


def test_chart_edge_cases_and_escaping() -> None:
    root = parse(bar_chart("<空>&", [], []))
    assert root.find(f"{SVG}title").text == "<空>&" and not bars(root)  # type: ignore[union-attr]
    long = ["北京市某某某某某某某某某某某某某某某某科技有限公司", "乙", "丙", "丁", "戊"]
    root = parse(bar_chart("单位", long, [("", [3, 1, 1, 1, 1])]))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("transform", "").startswith("rotate(-35")]
    assert len(labels) == 5 and labels[0].find(f"{SVG}title").text == long[0]  # type: ignore[union-attr]
    assert "".join(labels[0].itertext()).endswith("…")
    root = parse(line_chart("趋势", ["2025年"], [("甲", [None])]))
    assert not list(root.iter(f"{SVG}polyline")) and not list(root.iter(f"{SVG}circle"))
    a, b = bar_chart("同一", ["x"], [("", [1])]), bar_chart("同一", ["x"], [("", [2])])
    assert ET.fromstring(a).find(f"{SVG}title").get("id") != ET.fromstring(b).find(f"{SVG}title").get("id")  # type: ignore[union-attr]


# ---------------------------------------------------------------- the workbook
def test_stats_workbook_cell_by_cell(season: Season) -> None:
    st = stats(season, "document")
    wb = openpyxl.load_workbook(io.BytesIO(stats_workbook(st)))
    ws = wb["同比"]
    assert ws["A1"].value == "按标准文件统计的申报与通过情况（2024–2026年）"
    header = [c.value for c in ws[3]]
    assert header[:5] == ["标准文件", "2024年申报数", "2024年评审数", "2024年通过数", "2024年通过率"]
    assert header[-4:] == ["合计申报数", "合计评审数", "合计通过数", "合计通过率"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=6)]
    assert rows[0] == ["北京市工程技术系列（人工智能）", 4, 3, 2, 2 / 3, 4, 3, 2, 2 / 3, 2, 1, 1, 1.0, 10, 7, 5, 5 / 7]
    assert rows[1] == ["北京市工程技术人才（通用）", 0, 0, 0, None, 3, 2, 1, 0.5, 2, 1, 0, 0.0, 5, 3, 1, 1 / 3]
    assert rows[2] == ["合计", 4, 3, 2, 2 / 3, 7, 5, 3, 0.6, 4, 2, 1, 0.5, 15, 10, 6, 0.6]
    assert ws.cell(4, 5).number_format == "0.0%" and ws.freeze_panes == "A4"
    detail = wb["明细"]
    assert [c.value for c in detail[2]] == ["年度", "标准文件", "申报数", "评审数", "通过数", "未通过数", "通过率"]
    assert [c.value for c in detail[3]] == [2024, "北京市工程技术系列（人工智能）", 4, 3, 2, 1, 2 / 3]
    assert detail.max_row == 2 + 6


# ---------------------------------------------------------------- endpoints
@pytest.fixture
def api(season: Season, tmp_path: Path) -> Iterator[Api]:
    app, clock = make_api(season.engine, tmp_path, TODAY)
    with TestClient(app) as client:
        a = Api(client, app, clock, season.engine)
        for role in ("agency", "bureau", "unit"):
            a.issue(role, getattr(season, role).user_id)
        yield a


def test_endpoints(api: Api, season: Season, engine: Engine) -> None:
    r = api.get("bureau", "/api/stats?by=unit&year_from=2025")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["years"] == [2025, 2026] and [g["label"] for g in body["groups"]] == ["A公司", "B公司", "未填写单位"]
    assert body["groups"][1]["years"][0] == {
        "year": 2025,
        "applications": 3,
        "decided": 3,
        "passed": 2,
        "failed": 1,
        "pass_rate": 0.6667,
        "applications_change": None,
    }
    svg = api.get("agency", "/api/stats/chart.svg?by=route&metric=passed&kind=line&download=true")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in svg.headers["content-disposition"]
    root = parse(svg.text)
    assert len([c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]) == 3 * 3
    x = api.get("bureau", "/api/stats/export.xlsx?by=level")
    assert x.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(x.content))["同比"]
    assert [c.value for c in ws[4]][:5] == ["工程师", 2, 1, 1, 1.0]
    for path in ("/api/stats", "/api/stats/chart.svg", "/api/stats/export.xlsx"):
        assert api.get("unit", path).status_code == 403
        assert api.get(None, path).status_code == 401
    assert api.get("bureau", "/api/stats?by=colour").status_code == 422
    assert api.get("bureau", "/api/stats?document=nope").status_code == 422
    with transaction(engine, readonly=True) as s:
        assert s.scalar(select(Unit.name).where(Unit.id == season.units["A"])) == "A公司"
