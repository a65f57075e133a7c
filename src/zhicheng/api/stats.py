"""Season statistics (bureau and agency): the numbers as JSON, the charts as SVG, the table as .xlsx.

Thin routes over zhicheng.stats (docs/statistics.md); the same query parameters on all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from zhicheng.api.deps import Call, Text64, UserCall
from zhicheng.api.excel import XLSX_RESPONSE, xlsx
from zhicheng.api.schemas import errors
from zhicheng.stats.charts import stats_chart
from zhicheng.stats.export import stats_workbook
from zhicheng.stats.queries import Stats, application_stats

router = APIRouter(prefix="/api/stats", tags=["统计 statistics"])

By = Literal["document", "level", "unit", "route", "year"]
Metric = Literal["applications", "decided", "passed", "failed", "pass_rate"]


@dataclass(frozen=True)
class StatsQuery:
    by: By
    year_from: int | None
    year_to: int | None
    document: str | None
    level: str | None


def stats_query(
    by: Annotated[
        By, Query(description="分组：document 标准文件、level 级别、unit 单位、route 途径、year 仅按年度")
    ] = ("document"),
    year_from: Annotated[int | None, Query(ge=1990, le=2100, description="起始年度（评审轮次年度）")] = None,
    year_to: Annotated[int | None, Query(ge=1990, le=2100, description="截止年度")] = None,
    document: Annotated[Text64 | None, Query(description="只统计某标准文件")] = None,
    level: Annotated[Text64 | None, Query(description="只统计某级别")] = None,
) -> StatsQuery:
    return StatsQuery(by, year_from, year_to, document, level)


SVG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "SVG 图", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}
}
QueryDep = Annotated[StatsQuery, Depends(stats_query)]


def _stats(call: Call, q: StatsQuery) -> Stats:
    return application_stats(
        call.ctx, q.by, year_from=q.year_from, year_to=q.year_to, document=q.document, level=q.level
    )


class CellOut(BaseModel):
    applications: int
    decided: int = Field(description="评审数 = 通过 + 未通过")
    passed: int
    failed: int
    pass_rate: float | None = Field(description="通过率 = 通过 ÷ 评审数；无评审时为空")


class YearCell(CellOut):
    year: int
    applications_change: int | None = Field(description="申报数同比变化（与上一年度相比）")


class GroupOut(BaseModel):
    key: str
    label: str
    total: CellOut
    years: list[YearCell]


class TotalOut(CellOut):
    year: int


class StatsOut(BaseModel):
    by: str
    by_label: str
    title: str
    filters: dict[str, Any]
    years: list[int]
    groups: list[GroupOut]
    totals: list[TotalOut]


@router.get("", response_model=StatsOut, summary="申报数与通过率（按年度和分组）", responses=errors(401, 403, 422))
def get_stats(call: UserCall, q: QueryDep) -> StatsOut:
    return StatsOut.model_validate(_stats(call, q).to_dict())


@router.get(
    "/chart.svg",
    response_class=Response,
    summary="统计图（SVG）：bar 为各分组按年度对比，line 为各分组的逐年趋势",
    responses={**errors(401, 403, 422), **SVG_RESPONSE},
)
def get_chart(
    call: UserCall,
    q: QueryDep,
    metric: Annotated[Metric, Query(description="指标")] = "applications",
    kind: Annotated[Literal["bar", "line"], Query(description="bar 柱状图或 line 折线图")] = "bar",
    download: Annotated[bool, Query(description="作为文件下载")] = False,
) -> Response:
    svg = stats_chart(_stats(call, q), metric, kind)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="stats-{q.by}-{metric}-{kind}.svg"'
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get(
    "/export.xlsx",
    response_class=Response,
    summary="统计表（.xlsx：同比表与明细）",
    responses={**errors(401, 403, 422), **XLSX_RESPONSE},
)
def export_stats(call: UserCall, q: QueryDep) -> Response:
    return xlsx(stats_workbook(_stats(call, q)), f"评审统计-{q.by}.xlsx")
