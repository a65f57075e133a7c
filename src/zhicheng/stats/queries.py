"""Counts and pass rates computed by the database (GROUP BY), never by loading applications into Python.

Definitions (docs/statistics.md):

* an **application** (申报) counts once it was submitted (``submitted_at`` set) — drafts are not
  applications yet; it belongs to the **year of its round** (``rounds.year``);
* **passed** (通过): the committee passed it and it is at acceptance, results notice or certified
  (``PASSED_STATES``); **failed** (未通过): state ``failed`` (a committee's no, or a pass cancelled after an
  upheld objection);
* **decided** (评审数) = passed + failed; **pass rate** (通过率) = passed / decided, undefined (``None``)
  when nothing was decided.  Applications still under way, withdrawn, rejected at qualification review or
  vetoed are counted as applications but are neither passed nor failed.

The query groups ``applications ⋈ rounds`` by (round year, one dimension); the join is on the primary key of
``rounds`` and the year filter uses the (year, kind) index of ``rounds``; what Python sees is one row per
(year, group) — a few hundred rows at most, however many applications there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhicheng.errors import forbidden, invalid
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import LEVEL_NAMES
from zhicheng.store.models import Application, Round, Unit
from zhicheng.workflow.service import Context

__all__ = [
    "DIMENSIONS",
    "FAILED_STATES",
    "METRICS",
    "PASSED_STATES",
    "Cell",
    "Stats",
    "application_stats",
]

PASSED_STATES = ("acceptance", "results_notice", "certified")
FAILED_STATES = ("failed",)
DIMENSIONS = {"document": "标准文件", "level": "申报级别", "unit": "用人单位", "route": "申报途径", "year": "年度"}
METRICS = {
    "applications": "申报数",
    "decided": "评审数",
    "passed": "通过数",
    "failed": "未通过数",
    "pass_rate": "通过率",
}
ROUTE_NAMES = {"regular": "正常申报", "exceptional": "破格申报", "direct_track": "直通车"}
NO_UNIT = "未填写单位"
ALL = "all"


@dataclass(frozen=True, slots=True)
class Cell:
    """The numbers of one (group, year)."""

    applications: int = 0
    passed: int = 0
    failed: int = 0

    @property
    def decided(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.decided if self.decided else None

    def value(self, metric: str) -> float | None:
        if metric == "pass_rate":
            return self.pass_rate
        number: int = getattr(self, metric)
        return float(number)

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.applications + other.applications, self.passed + other.passed, self.failed + other.failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "decided": self.decided,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": None if self.pass_rate is None else round(self.pass_rate, 4),
        }


@dataclass
class Stats:
    """Numbers by (group, year): ``groups`` are (key, Chinese label) in display order, ``years`` ascending."""

    by: str
    years: list[int]
    groups: list[tuple[str, str]]
    cells: dict[tuple[str, int], Cell] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)

    def cell(self, key: str, year: int) -> Cell:
        return self.cells.get((key, year), Cell())

    def total(self, year: int) -> Cell:
        out = Cell()
        for key, _ in self.groups:
            out = out + self.cell(key, year)
        return out

    def group_total(self, key: str) -> Cell:
        out = Cell()
        for year in self.years:
            out = out + self.cell(key, year)
        return out

    @property
    def title(self) -> str:
        span = (
            f"{self.years[0]}–{self.years[-1]}年"
            if len(self.years) > 1
            else (f"{self.years[0]}年" if self.years else "")
        )
        return f"按{DIMENSIONS[self.by]}统计的申报与通过情况（{span}）" if span else f"按{DIMENSIONS[self.by]}统计"

    def to_dict(self) -> dict[str, Any]:
        """JSON: the groups with each year's numbers and the change against the year before (同比)."""
        groups = []
        for key, label in self.groups:
            years = []
            previous: Cell | None = None
            for year in self.years:
                c = self.cell(key, year)
                entry = {"year": year, **c.to_dict()}
                entry["applications_change"] = None if previous is None else c.applications - previous.applications
                years.append(entry)
                previous = c
            groups.append({"key": key, "label": label, "total": self.group_total(key).to_dict(), "years": years})
        return {
            "by": self.by,
            "by_label": DIMENSIONS[self.by],
            "title": self.title,
            "filters": self.filters,
            "years": self.years,
            "groups": groups,
            "totals": [{"year": y, **self.total(y).to_dict()} for y in self.years],
        }


def application_stats(
    ctx: Context,
    by: str = "document",
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    document: str | None = None,
    level: str | None = None,
) -> Stats:
    """Applications, passed and failed by round year and one dimension (``DIMENSIONS``), optionally filtered."""
    if not ctx.rights.can_view_statistics():
        raise forbidden("只有人社局和评审服务机构可以查看评审统计")
    return compute_stats(ctx.session, by, year_from=year_from, year_to=year_to, document=document, level=level)


def compute_stats(
    session: Session,
    by: str,
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    document: str | None = None,
    level: str | None = None,
) -> Stats:
    """The aggregate itself, without the permission question (benchmarks and the service above call it)."""
    if by not in DIMENSIONS:
        raise invalid("by", f"应为 {'、'.join(f'{k}（{v}）' for k, v in DIMENSIONS.items())}")
    if year_from is not None and year_to is not None and year_to < year_from:
        raise invalid("year_to", "结束年度早于开始年度")
    catalog = default_catalog()
    if document is not None and document not in catalog.documents:
        raise invalid("document", f"未知的标准文件 {document}")
    if level is not None and level not in LEVEL_NAMES:
        raise invalid("level", f"未知的层级 {level}（可选：{'、'.join(LEVEL_NAMES)}）")
    key_column: Any = {
        "document": Application.document_id,
        "level": Application.level,
        "unit": Application.unit_id,
        "route": Application.route,
        "year": None,
    }[by]
    passed = func.sum(case((Application.state.in_(PASSED_STATES), 1), else_=0))
    failed = func.sum(case((Application.state.in_(FAILED_STATES), 1), else_=0))
    columns: list[Any] = [Round.year, func.count(Application.id), passed, failed]
    if key_column is not None:
        columns.append(key_column)
    stmt = (
        select(*columns)
        .select_from(Application)
        .join(Round, Round.id == Application.round_id)
        .where(Application.submitted_at.is_not(None))
    )
    if year_from is not None:
        stmt = stmt.where(Round.year >= year_from)
    if year_to is not None:
        stmt = stmt.where(Round.year <= year_to)
    if document is not None:
        stmt = stmt.where(Application.document_id == document)
    if level is not None:
        stmt = stmt.where(Application.level == level)
    stmt = stmt.group_by(Round.year, *([key_column] if key_column is not None else []))
    cells: dict[tuple[str, int], Cell] = {}
    for row in session.execute(stmt):
        year, count, n_passed, n_failed = int(row[0]), int(row[1]), int(row[2] or 0), int(row[3] or 0)
        key = ALL if key_column is None else ("" if row[4] is None else str(row[4]))
        cells[(key, year)] = Cell(count, n_passed, n_failed)
    found_years = {y for _, y in cells}
    low = year_from if year_from is not None else min(found_years, default=None)
    high = year_to if year_to is not None else max(found_years, default=None)
    years = list(range(low, high + 1)) if low is not None and high is not None else []
    keys = {k for k, _ in cells}
    groups = _groups(session, by, keys, cells)
    filters = {
        k: v
        for k, v in (("year_from", year_from), ("year_to", year_to), ("document", document), ("level", level))
        if v is not None
    }
    return Stats(by, years, groups, cells, filters)


def _groups(session: Session, by: str, keys: set[str], cells: dict[tuple[str, int], Cell]) -> list[tuple[str, str]]:
    """Display order and labels: catalog order for documents, grade order for levels, volume for units."""
    if by == "year":
        return [(ALL, "全部")] if keys else []
    if by == "document":
        catalog = default_catalog()
        order = list(catalog.documents)
        known = [(k, catalog.document(k).short_title) for k in order if k in keys]
        return known + [(k, k) for k in sorted(keys - set(order))]
    if by == "level":
        return [(k, LEVEL_NAMES[k]) for k in LEVEL_NAMES if k in keys] + [
            (k, k) for k in sorted(keys - set(LEVEL_NAMES))
        ]
    if by == "route":
        return [(k, ROUTE_NAMES[k]) for k in ROUTE_NAMES if k in keys] + [
            (k, k) for k in sorted(keys - set(ROUTE_NAMES))
        ]
    ids = [int(k) for k in keys if k]
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    volume = {k: sum(c.applications for (key, _), c in cells.items() if key == k) for k in keys}
    ordered = sorted(keys, key=lambda k: (-volume[k], names.get(int(k), "") if k else "\uffff", k))
    return [(k, names.get(int(k), f"单位 {k}") if k else NO_UNIT) for k in ordered]
