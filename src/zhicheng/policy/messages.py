"""Chinese messages for pydantic validation errors (shared by profile, catalog and API input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

_TEMPLATES: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段",
    "enum": "取值无效，应为：{expected}",
    "literal_error": "取值无效，应为：{expected}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",  # "2015" reads as a timestamp
    "date_type": "日期格式应为 YYYY-MM-DD",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "string_too_short": "不能为空" ,
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不符",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(根)"


def translate_errors(exc: ValidationError | Sequence[Any], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(field path, Chinese reason) for every error pydantic found; `skip` drops location prefixes."""
    problems: list[tuple[str, str]] = []
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc
    for err in errors:
        loc = tuple(p for p in err["loc"]
                    if not (isinstance(p, str) and (p.startswith("function-") or p in skip)))
        template = _TEMPLATES.get(err["type"])
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        if err["type"].endswith("_type") and "input" in err and err["input"] is None:
            message = _TEMPLATES["missing"]  # an explicit null (an empty form field) is a missing value
        elif err["type"] == "value_error":
            message = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
        elif template is not None:
            try:
                message = template.format(**ctx)
            except KeyError:
                message = template
        else:
            message = err["msg"]
        problems.append((_path(loc), message))
    return problems
