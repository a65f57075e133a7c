"""Readable Chinese text for verdicts and standards (used by the CLI and the web pages)."""

from __future__ import annotations

from zhicheng.policy.catalog import Catalog
from zhicheng.policy.schema import Cite, Item, LevelRule, Node, Route
from zhicheng.policy.verdict import ROUTE_NAMES, ConditionResult, Verdict

MARKS = {"pass": "✔", "fail": "✘", "review": "？", "not_applicable": "－"}


def cite_text(c: Cite | None, catalog: Catalog) -> str:
    if c is None:
        return ""
    doc = catalog.documents.get(c.doc)
    no = doc.doc_no if doc else c.doc
    return f"【{no} {c.section}】"


def condition_lines(r: ConditionResult, catalog: Catalog, depth: int = 0) -> list[str]:
    pad = "  " * depth
    line = f"{pad}{MARKS[r.outcome]} {r.message}"
    if r.observed and r.kind not in ("all_of", "any_of"):
        line += f"（{r.observed}）" if r.observed not in r.message else ""
    line += cite_text(r.cite, catalog)
    out = [line]
    for k in r.children:
        out += condition_lines(k, catalog, depth + 1)
    return out


def verdict_lines(v: Verdict, catalog: Catalog, full: bool = True) -> list[str]:
    out = [v.summary, f"评审基准日：{v.as_of.isoformat()}　标准目录版本：{v.catalog_version}"]
    if v.status == "not_in_force":
        return out
    if v.eligible_from and v.status == "ineligible":
        out.append(f"预计最早可申报日期：{v.eligible_from.isoformat()}（如无其他变化）")
    if v.missing:
        out.append("还需要：")
        out += [f"  · {g.message}" for g in v.missing]
    if v.review_items:
        out.append("需评审人员判断：")
        out += [f"  · {r.label}：{r.threshold or r.message}{cite_text(r.cite, catalog)}" for r in v.review_items]
    if full:
        for route in v.routes:
            head = f"〔{ROUTE_NAMES[route.route]}〕{route.label} — {MARKS[route.outcome]}"
            if route.waived:
                head += "（豁免：" + "、".join(route.waived) + "）"
            out.append(head + cite_text(route.cite, catalog))
            for c in route.conditions:
                out += condition_lines(c, catalog, 1)
    if v.interpretations:
        out.append("依据解释：" + "；".join(f"{i} {catalog.interpretations.get(i, '')}" for i in v.interpretations))
    out += [f"注：{n}" for n in v.notes]
    return out


def _node_lines(n: Node | Item, catalog: Catalog, depth: int) -> list[str]:
    pad = "  " * depth
    kind = getattr(n, "kind", "item")
    text = n.label
    if kind == "judgement":
        text += f"：{n.prompt}（评审判断）"  # type: ignore[union-attr]
    if kind == "item" and getattr(n, "unit", 1) > 1:
        text += f"（{n.unit}个计1项）"  # type: ignore[union-attr]
    if getattr(n, "judgement", None):
        text += f"（需判断：{n.judgement}）"  # type: ignore[union-attr]
    out = [f"{pad}· {text}{cite_text(n.cite, catalog)}"]
    for c in getattr(n, "children", []):
        out += _node_lines(c, catalog, depth + 1)
    for it in getattr(n, "items", []):
        out += _node_lines(it, catalog, depth + 1)
    if n.cite is not None and depth <= 1:
        out.append(f"{pad}  原文：“{n.cite.quote}”")
    return out


def _route_lines(r: Route, catalog: Catalog) -> list[str]:
    out = [f"〔{ROUTE_NAMES[r.kind]}〕{r.label}{cite_text(r.cite, catalog)}",
           f"  豁免：{'、'.join(r.waives) or '无'}" + ("；须面试答辩" if r.interview_required else "")]
    out += _node_lines(r.trigger, catalog, 1)
    for n in r.adds:
        out += _node_lines(n, catalog, 1)
    return out


def standard_lines(doc_id: str, level: LevelRule, catalog: Catalog) -> list[str]:
    doc = catalog.document(doc_id)
    v = catalog.validity(doc_id)
    until = v.effective_to.isoformat() + "（不含）" if v.effective_to else "长期"
    out = [f"《{doc.title}》{doc.doc_no}", f"{level.title}　施行：{doc.effective_from.isoformat()} 至 {until}",
           "须同时满足（正常申报）："]
    for n in level.conditions:
        out += _node_lines(n, catalog, 1)
    for r in level.routes:
        out += _route_lines(r, catalog)
    return out
