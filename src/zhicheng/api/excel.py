"""Excel import and export (.xlsx): thin routes over zhicheng.exchange (docs/excel.md).

* ``POST /api/imports/{kind}`` (``applications`` | ``experts``), multipart ``file``: all rows or none.
  Success: 200 with the report.  Any row wrong: 422 in the one error shape, one field error per problem
  with ``path`` = ``工作表!行号!列名``; with ``?report=xlsx`` the answer is instead the uploaded workbook with
  an 错误说明 column and an 错误汇总 sheet (status 422 as well).  ``?dry_run=true`` checks without saving.
* ``GET /api/imports/{kind}/template.xlsx``: the template (headers, an example row, 填写说明).
* ``GET /api/exports/notices/{id}.xlsx``: a notice list, public like the notice itself.
* ``GET /api/exports/meetings/{id}/tally.xlsx``: a closed meeting's tallies (agency and bureau).
* ``GET /api/exports/certificates.xlsx``: the certificate list (agency and bureau; a holder gets their own).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Query, Response, UploadFile
from pydantic import BaseModel, Field

from zhicheng.api.deps import MAX_ID, PublicCall, Text64, UserCall
from zhicheng.api.evidence import clean_filename
from zhicheng.api.schemas import errors
from zhicheng.errors import DomainError, forbidden
from zhicheng.exchange import exports, imports, layout
from zhicheng.exchange.sheets import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/api", tags=["Excel 导入导出 excel"])

Kind = Annotated[Literal["applications", "experts"], Path(description="applications（申报）或 experts（评审专家）")]
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": ".xlsx 文件",
        "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


class RowOut(BaseModel):
    sheet: str
    row: int
    outcome: str = Field(description="created（新建）、updated（更新）或 skipped（此前已导入，未重复导入）")
    id: int | None = Field(description="申报编号或专家的用户编号（试导入时新建的为空）")
    name: str
    note: str


class ImportOut(BaseModel):
    kind: str
    filename: str | None
    sha256: str
    dry_run: bool
    imported: bool = Field(description="是否已保存（无错误且不是试导入）")
    message: str
    rows: int
    created: int
    updated: int
    skipped: int
    results: list[RowOut]


def xlsx(content: bytes, filename: str, status_code: int = 200) -> Response:
    return Response(
        content,
        status_code=status_code,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _out(report: imports.ImportReport) -> ImportOut:
    return ImportOut(
        kind=report.kind,
        filename=report.filename,
        sha256=report.sha256,
        dry_run=report.dry_run,
        imported=report.imported,
        message=report.summary,
        rows=report.rows,
        created=report.count("created"),
        updated=report.count("updated"),
        skipped=report.count("skipped"),
        results=[
            RowOut(sheet=r.sheet, row=r.row, outcome=r.outcome, id=r.entity_id, name=r.name, note=r.note)
            for r in report.results
        ],
    )


@router.post(
    "/imports/{kind}",
    response_model=ImportOut,
    summary="从 Excel 导入申报或评审专家（全部成功才保存；逐行报告错误）",
    description="multipart/form-data：file（.xlsx，格式见模板）。有任何一行出错时一行也不导入，返回 422，"
    "fields 的 path 为“工作表!行号!列名”；加 report=xlsx 则返回标注了错误的 Excel 文件。",
    responses={**errors(401, 403, 413, 422), **XLSX_RESPONSE},
)
def import_file(
    kind: Kind,
    call: UserCall,
    file: Annotated[UploadFile, File(description=".xlsx 文件")],
    dry_run: Annotated[bool, Query(description="只检查不保存")] = False,
    round_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="评审轮次（仅申报；表中“评审轮次”列优先）")
    ] = None,
    report: Annotated[Literal["json", "xlsx"], Query(description="出错时返回 JSON（默认）或标注错误的 Excel")] = "json",
) -> Response:
    call.require(call.ctx.rights.can_import(kind), f"无权导入{imports.IMPORT_KINDS[kind]}")
    limit = call.runtime.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    filename = clean_filename(file.filename)
    if len(data) > limit:
        message = f"文件 {filename} 过大：上限 {limit / 1024 / 1024:g} MB"
        raise DomainError(413, "too_large", message, [("file", message)])
    if kind == "applications":
        result = imports.import_applications(
            call.ctx, call.runtime.protector, data, filename=filename, round_id=round_id, dry_run=dry_run
        )
    else:
        result = imports.import_experts(call.ctx, call.runtime.protector, data, filename=filename, dry_run=dry_run)
    if not result.ok:
        if report == "xlsx":
            # the import's savepoint is already rolled back: nothing of it is committed with this answer
            return xlsx(imports.error_workbook(data, result), f"导入错误报告-{filename}", status_code=422)
        raise imports.rejection(result)
    return Response(_out(result).model_dump_json(), media_type="application/json")


@router.get(
    "/imports/{kind}/template.xlsx",
    response_class=Response,
    summary="导入模板（表头、示例行、填写说明）",
    responses={**errors(401, 403, 422), **XLSX_RESPONSE},
)
def import_template(kind: Kind, call: UserCall) -> Response:
    if not call.ctx.rights.can_import(kind):
        raise forbidden(f"无权导入{imports.IMPORT_KINDS[kind]}")
    name = "申报导入模板.xlsx" if kind == "applications" else "评审专家导入模板.xlsx"
    return xlsx(layout.template(kind), name)


@router.get(
    "/exports/notices/{notice_id}.xlsx",
    response_class=Response,
    summary="导出公示名单（公开，与公示页面内容相同）",
    tags=["公开 public"],
    responses={**errors(404, 422), **XLSX_RESPONSE},
)
def export_notice(
    notice_id: Annotated[int, Path(ge=1, le=MAX_ID, description="公示编号")], call: PublicCall
) -> Response:
    out = exports.notice_workbook(call.session, notice_id)
    return xlsx(out.content, out.filename)


@router.get(
    "/exports/meetings/{meeting_id}/tally.xlsx",
    response_class=Response,
    summary="导出评审会议表决结果统计表（评审服务机构、人社局；会议结束后）",
    responses={**errors(401, 403, 404, 409, 422), **XLSX_RESPONSE},
)
def export_tally(
    meeting_id: Annotated[int, Path(ge=1, le=MAX_ID, description="评审会议编号")], call: UserCall
) -> Response:
    out = exports.tally_workbook(call.ctx, meeting_id)
    return xlsx(out.content, out.filename)


@router.get(
    "/exports/certificates.xlsx",
    response_class=Response,
    summary="导出职称证书名单（评审服务机构、人社局；证书持有人只含本人的证书）",
    responses={**errors(401, 403, 422), **XLSX_RESPONSE},
)
def export_certificates(
    call: UserCall,
    status: Annotated[Literal["valid", "suspended", "revoked"] | None, Query(description="证书状态")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="发证年度")] = None,
    approval_number: Annotated[Text64 | None, Query(description="批准文号")] = None,
) -> Response:
    out = exports.certificate_workbook(call.ctx, status=status, year=year, approval_number=approval_number)
    return xlsx(out.content, out.filename)
