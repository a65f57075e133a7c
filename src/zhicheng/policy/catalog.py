"""Loading the catalog: one YAML file per regulation in policy/catalog/, validated by schema.Document.

The only I/O in `policy/` is reading these files (and the seed texts for citation checks).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zhicheng.policy.messages import translate_errors
from zhicheng.policy.schema import Cite, Document, Item, LevelRule, Node, Route

CATALOG_DIR = Path(__file__).parent / "catalog"
SEEDS_DIR = Path(__file__).parent / "seeds"
_WS = re.compile(r"\s+")


class CatalogError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Extension:
    """An agency-registered continuation of an expiring document (OPEN-QUESTIONS 16)."""

    until: date  # exclusive
    basis: str  # the notice that continues it, quoted by the agency


@dataclass(slots=True)
class Validity:
    doc: Document
    extension: Extension | None = None

    @property
    def effective_to(self) -> date | None:
        return self.extension.until if self.extension else self.doc.effective_to

    def in_force(self, on: date) -> bool:
        to = self.effective_to
        return self.doc.effective_from <= on and (to is None or on < to)

    def explain(self, on: date) -> str:
        d = self.doc
        if on < d.effective_from:
            return f"《{d.short_title}》自{d.effective_from.isoformat()}起施行，{on.isoformat()}尚未施行"
        to = self.effective_to
        if to is not None and on >= to:
            last = (to - timedelta(days=1)).isoformat()
            return (f"《{d.short_title}》有效期至{last}，{on.isoformat()}已失效；"
                    "未登记延续或替代文件，系统不作推测（解释 I-16）")
        return f"《{d.short_title}》{on.isoformat()}在有效期内"

    def notes(self) -> list[str]:
        if self.extension:
            until = self.extension.until.isoformat()
            return [f"本标准有效期已由评审机构登记延续至{until}（依据：{self.extension.basis}）"]
        return []


@dataclass(slots=True)
class Catalog:
    documents: dict[str, Document]
    version: str
    interpretations: dict[str, str]
    extensions: dict[str, Extension] = field(default_factory=dict)

    def document(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            known = "、".join(self.documents)
            raise KeyError(f"未知的标准编号 {doc_id}（现有：{known}）") from None

    def level(self, doc_id: str, level: str) -> LevelRule:
        doc = self.document(doc_id)
        for lv in doc.levels:
            if lv.id == level:
                return lv
        known = "、".join(lv.id for lv in doc.levels)
        raise KeyError(f"《{doc.short_title}》未设 {level} 层级（现有：{known}）")

    def validity(self, doc_id: str) -> Validity:
        return Validity(self.document(doc_id), self.extensions.get(doc_id))

    def with_extensions(self, extensions: dict[str, Extension]) -> Catalog:
        for doc_id, ext in extensions.items():
            doc = self.document(doc_id)
            if ext.until <= doc.effective_from:
                raise ValueError(f"延续日期应晚于《{doc.short_title}》施行日期")
        return Catalog(self.documents, self.version, self.interpretations, dict(extensions))

    def in_force(self, on: date) -> list[Document]:
        return [d for d in self.documents.values() if self.validity(d.id).in_force(on)]


def normalise(text: str) -> str:
    """Whitespace-free text: the seeds are PDF extractions with breaks inside sentences."""
    return _WS.sub("", text.replace("\u3000", ""))


def iter_nodes(nodes: list[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        if n.kind in ("all_of", "any_of"):
            yield from iter_nodes(n.children)


def iter_level_nodes(level: LevelRule) -> Iterator[Node | Item | Route]:
    for n in iter_nodes(level.conditions):
        yield n
        if n.kind == "achievements":
            yield from n.items
    for r in level.routes:
        yield r
        for n in iter_nodes([r.trigger, *r.adds]):
            yield n
            if n.kind == "achievements":
                yield from n.items


def iter_cites(doc: Document) -> Iterator[tuple[str, Cite]]:
    yield "validity_cite", doc.validity_cite
    for name, c in doc.param_cites.items():
        if isinstance(c, Cite):
            yield f"params.{name}", c
    for lv in doc.levels:
        yield f"{lv.id}", lv.cite
        for n in iter_level_nodes(lv):
            if n.cite is not None:
                yield f"{lv.id}.{getattr(n, 'id', getattr(n, 'kind', ''))}", n.cite


def lint(doc: Document) -> list[str]:
    """Rules beyond the schema: unique ids, citations present, waived ids exist, directions known."""
    problems: list[str] = []
    directions = {d.id for d in doc.directions}
    for lv in doc.levels:
        ids: set[str] = set()
        for n in iter_level_nodes(lv):
            nid = getattr(n, "id", None)
            if nid is None:
                continue
            if nid in ids:
                problems.append(f"{doc.id}.{lv.id}: 条件编号 {nid} 重复")
            ids.add(nid)
            if n.cite is None and getattr(n, "kind", "") not in ("all_of", "any_of"):
                problems.append(f"{doc.id}.{lv.id}.{nid}: 缺少出处 cite")
            if getattr(n, "kind", "") == "direction_in":
                for v in n.values:  # type: ignore[union-attr]
                    if v not in directions:
                        problems.append(f"{doc.id}.{lv.id}.{nid}: 未定义的专业方向 {v}")
        for r in lv.routes:
            for n in iter_nodes([r.trigger]):
                if n.kind == "judgement":  # would make every applicant "needs_review" through this route
                    problems.append(f"{doc.id}.{lv.id}.{n.id}: 破格/直通车条件不能是纯人工判断，须以成果声明触发")
        top = {n.id for n in lv.conditions}
        for r in lv.routes:
            for w in r.waives:
                if w not in top:
                    problems.append(f"{doc.id}.{lv.id}: {r.kind} 豁免了不存在的条件 {w}")
    return problems


def check_quotes(doc: Document, seeds: dict[str, str]) -> list[str]:
    """Every quote must occur (whitespace-normalised) in the seed text of the document it cites."""
    problems = []
    for where, c in iter_cites(doc):
        text = seeds.get(c.doc)
        if text is None:
            problems.append(f"{doc.id}.{where}: 引用了未知文件 {c.doc}")
        elif normalise(c.quote) not in text:
            problems.append(f"{doc.id}.{where}: 原文中找不到“{c.quote}”")
    return problems


def load_document(path: Path) -> Document:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Document.model_validate(data)
    except ValidationError as exc:
        raise CatalogError([f"{path.name}: {p}：{m}" for p, m in translate_errors(exc)]) from None
    except yaml.YAMLError as exc:
        raise CatalogError([f"{path.name}: YAML 格式错误：{exc}"]) from None


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    files = sorted(p for p in directory.glob("*.yaml") if not p.name.endswith("_cases.yaml")
                   and not p.name.startswith("_"))
    only = os.environ.get("ZHICHENG_CATALOG_ONLY")  # authoring aid: load a subset of documents
    if only:
        files = [p for p in files if p.stem in only.split(",")]
    docs: dict[str, Document] = {}
    problems: list[str] = []
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
        try:
            doc = load_document(path)
        except CatalogError as exc:
            problems += exc.problems
            continue
        docs[doc.id] = doc
        problems += lint(doc)
    all_dirs = [d.id for doc in docs.values() for d in doc.directions]
    dupes = {d for d in all_dirs if all_dirs.count(d) > 1}
    if dupes:
        problems.append("专业方向编号须全局唯一，重复：" + "、".join(sorted(dupes)))
    if problems:
        raise CatalogError(problems)
    interp_path = directory / "_interpretations.yaml"
    interps = yaml.safe_load(interp_path.read_text(encoding="utf-8")) if interp_path.exists() else {}
    return Catalog(docs, digest.hexdigest()[:12], dict(interps or {}))


@cache
def default_catalog() -> Catalog:
    return load_catalog()


def seed_texts(catalog: Catalog) -> dict[str, str]:
    """Normalised seed text per document id (for the citation test and `explain`)."""
    return {d.id: normalise((SEEDS_DIR / d.source.file).read_text(encoding="utf-8"))
            for d in catalog.documents.values()}


def seed_sha256(file: str) -> str:
    return hashlib.sha256((SEEDS_DIR / file).read_bytes()).hexdigest()


def export_schema() -> str:
    return json.dumps(Document.model_json_schema(), ensure_ascii=False, indent=2)
