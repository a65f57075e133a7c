"""读写节假日安排文件（YAML/JSON），出错时一次列出全部问题。

An admin types these files by hand from the State Council notice, so one run
must report every mistake with its field path, in Chinese.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from .model import RULE_ERROR, RULES_ERROR, CalendarYear, Day, HolidayRange, Problem, year_problems

__all__ = [
    "CalendarDataError",
    "dump_calendar_file",
    "from_dict",
    "load_calendar_file",
    "parse_calendar_data",
    "to_dict",
]


class CalendarDataError(ValueError):
    """节假日数据不合格；`problems` 为全部 (字段路径, 原因)。"""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems
        lines = [f"- {path}：{reason}" if path else f"- {reason}" for path, reason in problems]
        super().__init__(f"{origin} 有 {len(problems)} 处错误：\n" + "\n".join(lines))


class _TextDatesLoader(yaml.SafeLoader):
    """Keep YAML dates as text so a bad date (2027-02-30) is reported with its field path."""


def _scalar_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


_TextDatesLoader.add_constructor("tag:yaml.org,2002:timestamp", _scalar_text)
_DAY: TypeAdapter[date] = TypeAdapter(Day)


def load_calendar_file(path: str | Path) -> list[CalendarYear]:
    """Read a YAML (.yaml/.yml) or JSON (.json) file holding one year or a list of years."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.load(text, Loader=_TextDatesLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if p.suffix.lower() == ".json" else "YAML"
        raise CalendarDataError(f"日历文件 {p}", [("", f"{kind} 格式错误：{exc}")]) from exc
    return parse_calendar_data(data, origin=f"日历文件 {p}")


def parse_calendar_data(data: object, origin: str = "日历数据") -> list[CalendarYear]:
    """Validate already-parsed data: a mapping (one year) or a list of mappings."""
    if isinstance(data, Mapping):
        items, prefix = [data], False
    elif isinstance(data, list) and data:
        items, prefix = data, True
    else:
        raise CalendarDataError(origin, [("", "内容应为一个年份（映射）或非空的年份列表")])
    years: list[CalendarYear] = []
    problems: list[Problem] = []
    first_index: dict[int, int] = {}
    for i, item in enumerate(items):
        base = f"[{i}]" if prefix else ""
        try:
            cy = CalendarYear.model_validate(item)
        except ValidationError as exc:
            item_problems = _translate(exc.errors())
            if any(err["type"] != RULES_ERROR for err in exc.errors()) and isinstance(item, Mapping):
                item_problems += _partial_year_problems(
                    item
                )  # year-level rules were skipped; check valid parts
            problems += [(_join(base, path), reason) for path, reason in item_problems]
            continue
        if cy.year in first_index:
            problems.append((_join(base, "year"), f"{cy.year} 年与 [{first_index[cy.year]}] 重复"))
        first_index.setdefault(cy.year, i)
        years.append(cy)
    if problems:
        raise CalendarDataError(origin, problems)
    return years


def to_dict(year: CalendarYear) -> dict[str, Any]:
    """JSON-ready dict of one year, for the store layer."""
    return year.to_dict()


def from_dict(data: Mapping[str, Any]) -> CalendarYear:
    """Rebuild a year persisted with `to_dict`; raises CalendarDataError if the stored data is bad."""
    return parse_calendar_data(data)[0]


def dump_calendar_file(years: Iterable[CalendarYear], path: str | Path) -> None:
    """Write years as a list, JSON for .json and YAML otherwise; `load_calendar_file` reads it back."""
    p = Path(path)
    data = [y.to_dict() for y in years]
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _join(base: str, path: str) -> str:
    if not base or not path:
        return base or path
    return base + path if path.startswith("[") else f"{base}.{path}"


def _loc_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


_REASONS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（请检查拼写）",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "list_type": "应为列表",
    "model_type": "应为映射（字段: 值）",
    "model_attributes_type": "应为映射（字段: 值）",
    "dict_type": "应为映射（字段: 值）",
}


def _translate(errors: list[ErrorDetails]) -> list[Problem]:
    problems: list[Problem] = []
    for err in errors:
        kind, path, ctx = err["type"], _loc_path(err["loc"]), err.get("ctx") or {}
        if kind == RULES_ERROR:
            problems += [(_join(path, p), r) for p, r in ctx["problems"]]
        elif kind == RULE_ERROR:
            problems.append((path, str(ctx["reason"])))
        elif kind.startswith("date"):
            problems.append((path, f"{err['input']!r} 不是有效日期，应写作 YYYY-MM-DD"))
        elif kind == "greater_than_equal":
            problems.append((path, f"应不小于 {ctx['ge']}"))
        elif kind == "less_than_equal":
            problems.append((path, f"应不大于 {ctx['le']}"))
        else:
            problems.append((path, _REASONS.get(kind, f"取值无效（{err['msg']}）")))
    return problems


def _partial_year_problems(item: Mapping[str, Any]) -> list[Problem]:
    """Run the year-level rules on the parts that did validate, so one pass reports everything."""
    year = item.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        return []
    holidays: list[tuple[int, HolidayRange]] = []
    raw_holidays = item.get("holidays")
    for i, raw in enumerate(raw_holidays if isinstance(raw_holidays, list) else []):
        with contextlib.suppress(ValidationError):
            holidays.append((i, HolidayRange.model_validate(raw)))
    makeups: list[tuple[int, date]] = []
    raw_makeups = item.get("makeup_workdays")
    for i, raw in enumerate(raw_makeups if isinstance(raw_makeups, list) else []):
        with contextlib.suppress(ValidationError):
            makeups.append((i, _DAY.validate_python(raw)))
    return year_problems(year, holidays, makeups)
