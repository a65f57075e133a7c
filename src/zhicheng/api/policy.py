"""Public endpoints over the eligibility engine: the standards and the self-check (no login needed)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field, ValidationError

from zhicheng.api.errors import ApiError, errors
from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.engine import evaluate, evaluate_all
from zhicheng.policy.messages import translate_errors
from zhicheng.policy.profile import LEVEL_NAMES, Profile
from zhicheng.policy.render import standard_lines
from zhicheng.policy.verdict import Verdict

router = APIRouter(prefix="/api", tags=["标准与自查 standards"])


class LevelInfo(BaseModel):
    id: str
    title: str


class DocumentInfo(BaseModel):
    id: str
    title: str
    short_title: str
    doc_no: str
    issuer: str
    effective_from: date
    effective_to: date | None
    in_force: bool
    levels: list[LevelInfo]


class Page(BaseModel):
    total: int
    offset: int
    limit: int


class DocumentList(Page):
    items: list[DocumentInfo]


class StandardText(BaseModel):
    document: str
    level: str
    lines: list[str]


class CheckRequest(BaseModel):
    profile: dict[str, Any] = Field(description="申报人档案，见 zhicheng schema profile")
    document: str | None = None
    level: str | None = None
    as_of: date | None = None


def parse_profile_or_422(data: dict[str, Any], today: date) -> Profile:
    try:
        return Profile.model_validate(data, context={"today": today})
    except ValidationError as exc:
        fields = [(f"profile.{p}", m) for p, m in translate_errors(exc)]
        raise ApiError(422, "invalid_profile", f"档案有 {len(fields)} 处错误", fields) from None


@router.get("/standards", response_model=DocumentList, summary="标准目录")
def list_standards(
    as_of: date | None = None, offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> DocumentList:
    on = as_of or date.today()
    cat = default_catalog()
    docs = [
        DocumentInfo(
            id=d.id,
            title=d.title,
            short_title=d.short_title,
            doc_no=d.doc_no,
            issuer=d.issuer,
            effective_from=d.effective_from,
            effective_to=cat.validity(d.id).effective_to,
            in_force=cat.validity(d.id).in_force(on),
            levels=[LevelInfo(id=lv.id, title=lv.title) for lv in d.levels],
        )
        for d in cat.documents.values()
    ]
    return DocumentList(total=len(docs), offset=offset, limit=limit, items=docs[offset : offset + limit])


@router.get(
    "/standards/{document}/{level}",
    response_model=StandardText,
    summary="某层级的全部条件及原文出处",
    responses=errors(404),
)
def explain_standard(document: str, level: str) -> StandardText:
    cat = default_catalog()
    try:
        rule = cat.level(document, level)
    except KeyError as exc:
        raise ApiError(404, "unknown_standard", str(exc.args[0])) from None
    return StandardText(document=document, level=level, lines=standard_lines(document, rule, cat))


@router.post("/check", response_model=list[Verdict], summary="申报资格自查（不保存任何数据）")
def check(req: Annotated[CheckRequest, Body()]) -> list[Verdict]:
    on = req.as_of or date.today()
    profile = parse_profile_or_422(req.profile, max(on, date.today()))
    cat = default_catalog()
    if req.level is not None and req.level not in LEVEL_NAMES:
        raise ApiError(422, "invalid_input", f"未知层级 {req.level}", [("level", f"可选：{'、'.join(LEVEL_NAMES)}")])
    try:
        if req.document and req.level:
            return [evaluate(profile, req.document, req.level, on, cat)]
        if req.document:
            return [evaluate(profile, req.document, lv.id, on, cat) for lv in cat.document(req.document).levels]
    except KeyError as exc:
        raise ApiError(422, "invalid_input", str(exc.args[0]), [("document", str(exc.args[0]))]) from None
    return [v for v in evaluate_all(profile, on, cat) if req.level is None or v.level == req.level]
