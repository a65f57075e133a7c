"""Evidence files (证明材料): upload to an application, list, download.

A thin router over ``service.attach_evidence`` (upload: only the applicant, only while filling in or
correcting, compare-and-set on the version; the type judged from the content, never the name; the size limit
a setting) and ``service.get_application`` (list and download: whoever may view the application).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Path, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import select

from zhicheng.api.deps import MAX_ID, ApplicationId, Call, IdempotencyKey, PagingDep, UserCall, fetch_page
from zhicheng.api.schemas import Page, errors
from zhicheng.errors import DomainError, not_found
from zhicheng.store.files import MEDIA_TYPES
from zhicheng.store.models import ApplicationEvidence, EvidenceFile
from zhicheng.workflow import service as svc

router = APIRouter(prefix="/api", tags=["证明材料 evidence"])

EvidenceId = Annotated[int, Path(ge=1, le=MAX_ID, description="证明材料编号")]


class EvidenceOut(BaseModel):
    id: int
    application_id: int
    filename: str
    sha256: str
    media_type: str
    size: int
    achievement_index: int | None
    uploaded_at: dt.datetime


class EvidencePage(Page):
    items: list[EvidenceOut]


clean_filename = svc.clean_filename  # the web pages and the Excel import name files the same way


def _out(ev: ApplicationEvidence, media_type: str, size: int) -> EvidenceOut:
    return EvidenceOut(
        id=ev.id,
        application_id=ev.application_id,
        filename=ev.filename,
        sha256=ev.sha256,
        media_type=media_type,
        size=size,
        achievement_index=ev.achievement_index,
        uploaded_at=ev.uploaded_at,
    )


def attach_evidence(
    call: Call, application_id: int, data: bytes, filename: str, achievement_index: int | None, version: int | None
) -> EvidenceOut:
    """``service.attach_evidence`` with the app's evidence store, as the response model."""
    done = svc.attach_evidence(
        call.ctx,
        application_id,
        store=call.runtime.evidence,
        data=data,
        filename=filename,
        achievement_index=achievement_index,
        expected_version=version,
    )
    return _out(done.evidence, done.media_type, done.size)


@router.post(
    "/applications/{application_id}/evidence",
    status_code=201,
    response_model=EvidenceOut,
    summary="上传证明材料（PDF、JPG、PNG，按内容判断类型）",
    description="multipart/form-data：file（文件），可选 achievement_index（对应第几项成果，从0起）、version。",
    responses=errors(401, 403, 404, 409, 413, 422),
)
def upload_evidence(
    application_id: ApplicationId,
    call: UserCall,
    file: Annotated[UploadFile, File(description="证明材料文件")],
    achievement_index: Annotated[int | None, Form(ge=0, le=999, description="对应的成果序号（从0起）")] = None,
    version: Annotated[int | None, Form(ge=1, le=MAX_ID, description="读取时的版本号")] = None,
    key: IdempotencyKey = None,
) -> Response:
    limit = call.runtime.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    filename = clean_filename(file.filename)
    if len(data) > limit:
        message = f"文件 {filename} 过大：上限 {limit / 1024 / 1024:g} MB"
        raise DomainError(413, "too_large", message, [("file", message)])
    fingerprint = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": filename,
        "achievement_index": achievement_index,
        "version": version,
    }
    return call.reply(
        lambda: attach_evidence(call, application_id, data, filename, achievement_index, version),
        status_code=201,
        key=key,
        request_body=fingerprint,
    )


@router.get(
    "/applications/{application_id}/evidence",
    response_model=EvidencePage,
    summary="证明材料列表",
    responses=errors(401, 404, 422),
)
def list_evidence(application_id: ApplicationId, call: UserCall, page: PagingDep) -> EvidencePage:
    app = svc.get_application(call.ctx, application_id)
    stmt = (
        select(ApplicationEvidence).where(ApplicationEvidence.application_id == app.id).order_by(ApplicationEvidence.id)
    )
    total, rows = fetch_page(call.session, stmt, page)
    files = {
        f.sha256: f
        for f in call.session.scalars(select(EvidenceFile).where(EvidenceFile.sha256.in_({r.sha256 for r in rows})))
    }
    items = [_out(r, files[r.sha256].media_type, files[r.sha256].size) for r in rows]
    return EvidencePage(total=total, offset=page.offset, limit=page.limit, items=items)


@router.get(
    "/applications/{application_id}/evidence/{evidence_id}",
    response_class=Response,
    summary="下载证明材料（仅限有权查看该申报的人）",
    responses={
        200: {
            "description": "文件内容",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
        },
        **errors(401, 404, 422),
    },
)
def download_evidence(application_id: ApplicationId, evidence_id: EvidenceId, call: UserCall) -> Response:
    app = svc.get_application(call.ctx, application_id)
    ev = call.session.scalar(
        select(ApplicationEvidence).where(
            ApplicationEvidence.id == evidence_id, ApplicationEvidence.application_id == app.id
        )
    )
    if ev is None:
        raise not_found("证明材料")
    info = call.session.get(EvidenceFile, ev.sha256)
    try:
        data = call.runtime.evidence.read(ev.sha256)
    except FileNotFoundError:
        raise DomainError(404, "file_missing", "证明材料文件缺失，请联系管理员") from None
    return Response(
        data,
        media_type=info.media_type if info else "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ev.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
