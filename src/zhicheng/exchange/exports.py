"""Exports in the layout agencies publish: notice lists (公示名单), ballot tallies (表决结果统计表) and certificate
lists (证书名单), each an .xlsx with a title row, Chinese headers, fitted widths and a frozen header.

The data comes through the same doors as the screens: a notice list is the public list (name, unit, what
was applied for — never an ID number or a profile); a tally is the archived minutes of
``review.service.minutes`` (staff only, refused if the minutes were altered, recusal as recorded); the
certificate list goes through ``Rights.certificate_scope``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.errors import forbidden, invalid, not_found
from zhicheng.exchange.layout import LEVEL, ROUTE
from zhicheng.exchange.sheets import Table, workbook_bytes
from zhicheng.policy.catalog import default_catalog
from zhicheng.review import service as review
from zhicheng.store.audit import canonical_json
from zhicheng.store.models import Application, NoticeEntry, PublicNotice, Unit, User
from zhicheng.workflow.service import Context

__all__ = [
    "CERTIFICATE_HEADERS",
    "NOTICE_HEADERS",
    "TALLY_HEADERS",
    "Export",
    "certificate_table",
    "certificate_workbook",
    "notice_table",
    "notice_workbook",
    "tally_table",
    "tally_workbook",
]

NOTICE_KINDS = {"unit": "单位内部公示", "results": "评审结果公示"}
THRESHOLDS = {
    "inclusive": "同意票达到出席评委的三分之二以上（含本数）为通过",
    "exclusive": "同意票超过出席评委的三分之二（不含本数）为通过",
}
NOTICE_HEADERS = ["序号", "姓名", "工作单位", "申报专业", "申报级别", "申报途径"]
TALLY_HEADERS = [
    "序号",
    "姓名",
    "工作单位",
    "申报级别",
    "申报途径",
    "评议组",
    "评议组平均分",
    "评委会组成人数",
    "出席人数",
    "回避人数",
    "表决基数",
    "同意",
    "不同意",
    "弃权",
    "未投票",
    "通过所需同意票",
    "表决结果",
    "回避专家",
]


@dataclass(frozen=True, slots=True)
class Export:
    """A finished export: the file name to offer and the .xlsx bytes."""

    filename: str
    content: bytes


# ---------------------------------------------------------------- notice lists (public)
def notice_table(session: Session, notice_id: int) -> Table:
    """The 公示名单 of a notice: what the public list shows, in the same order (by application)."""
    notice = session.get(PublicNotice, notice_id)
    if notice is None:
        raise not_found("公示")
    rows = session.execute(
        select(Application, User.display_name, Unit.name)
        .join(NoticeEntry, NoticeEntry.application_id == Application.id)
        .join(User, User.id == Application.applicant_id)
        .outerjoin(Unit, Unit.id == Application.unit_id)
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(Application.id)
    ).all()
    catalog = default_catalog()
    body = [
        [
            i,
            name,
            unit or "",
            catalog.document(app.document_id).specialty,
            LEVEL.label(app.level),
            ROUTE.label(app.route),
        ]
        for i, (app, name, unit) in enumerate(rows, start=1)
    ]
    unit = session.get(Unit, notice.unit_id) if notice.unit_id is not None else None
    unit_name = unit.name if unit is not None else None
    subtitle = [
        f"{NOTICE_KINDS.get(notice.kind, notice.kind)}"
        + (f"（{unit_name}）" if unit_name else "")
        + f"    公示期：{notice.start_date.isoformat()} 至 {notice.end_date.isoformat()}    共 {len(body)} 人"
    ]
    return Table(
        "公示名单",
        notice.title,
        list(NOTICE_HEADERS),
        body,
        subtitle=subtitle,
        notes=["公示期内对公示对象有异议的，可在平台“公示”页面提出，请写明具体事实并留下联系方式，以便核查反馈。"],
    )


def notice_workbook(session: Session, notice_id: int) -> Export:
    table = notice_table(session, notice_id)
    return Export(f"公示名单-{notice_id}.xlsx", workbook_bytes([table]))


# ---------------------------------------------------------------- ballot tallies (staff)
def _tally_row(i: int, item: dict[str, Any]) -> list[Any]:
    tally = item.get("tally") or {}
    panel = item.get("panel") or {}
    average = panel.get("average")
    passed = tally.get("passed")
    return [
        i,
        item.get("applicant", ""),
        item.get("unit") or "",
        item.get("level_name") or LEVEL.label(item.get("level", "")),
        ROUTE.label(item.get("route", "regular")),
        panel.get("name") or "",
        float(average) if average is not None else None,
        tally.get("members"),
        tally.get("attending"),
        tally.get("recused"),
        tally.get("present"),
        tally.get("yes"),
        tally.get("no"),
        tally.get("abstain"),
        tally.get("not_cast"),
        tally.get("min_yes"),
        "通过" if passed else ("未通过" if passed is False else "未表决"),
        "、".join(item.get("recused_experts") or []),
    ]


def tally_table(ctx: Context, meeting_id: int) -> Table:
    """The 表决结果统计表 of a closed meeting, from its archived minutes (``review.service.minutes``: staff
    only, checked against the recorded hash; recusal as it was applied at each ballot)."""
    minutes = review.minutes(ctx, meeting_id)
    meeting, committee = minutes["meeting"], minutes["committee"]
    filing = minutes.get("filing") or {}
    digest = hashlib.sha256(canonical_json(minutes)).hexdigest()
    body = [_tally_row(i, item) for i, item in enumerate(minutes["items"], start=1)]
    passed = sum(1 for item in minutes["items"] if (item.get("tally") or {}).get("passed"))
    subtitle = [
        f"评审委员会：{committee['name']}" + (f"（备案：{filing['reference']}）" if filing.get("reference") else ""),
        f"会议日期：{meeting['held_on']}    评委 {len(minutes['members'])} 人，出席 {minutes['attending']} 人    "
        f"表决 {len(body)} 人，通过 {passed} 人",
        f"通过标准：{THRESHOLDS.get(committee.get('threshold', ''), committee.get('threshold', ''))}；"
        + ("回避评委计入表决基数" if committee.get("recused_count_as_present") else "回避评委不计入表决基数"),
    ]
    return Table(
        "表决结果",
        f"{meeting['title']}表决结果统计表",
        list(TALLY_HEADERS),
        body,
        subtitle=subtitle,
        formats={"评议组平均分": "0.00"},
        notes=[f"本表依据归档的会议记录生成；会议记录 SHA-256：{digest}"],
    )


def tally_workbook(ctx: Context, meeting_id: int) -> Export:
    table = tally_table(ctx, meeting_id)
    return Export(f"表决结果-{meeting_id}.xlsx", workbook_bytes([table]))


# ---------------------------------------------------------------- certificate lists (agency, bureau)
CERTIFICATE_HEADERS = [
    "序号",
    "证书编号",
    "姓名",
    "身份证号（脱敏）",
    "工作单位",
    "专业",
    "资格名称",
    "级别",
    "取得资格时间",
    "评审委员会",
    "批准文号",
    "发证日期",
    "证书状态",
]
CERTIFICATE_PAGE = 500


def certificate_table(
    ctx: Context, *, status: str | None = None, year: int | None = None, approval_number: str | None = None
) -> Table:
    """The 证书名单: the certificates the actor may see (``certificates.service.list_certificates``, filtered by
    ``Rights.certificate_scope``), optionally of one status, issue year or approval number; by number."""
    from zhicheng.certificates import service as certificates  # lazy: certificates builds on the workflow

    if ctx.rights.certificate_scope()[0] == "none":
        raise forbidden("只有评审服务机构、人社局和证书持有人可以导出证书名单")
    if year is not None and not 1990 <= year <= 2100:
        raise invalid("year", "年度应在1990至2100之间")
    views: list[Any] = []
    while True:
        total, page = certificates.list_certificates(ctx, status=status, offset=len(views), limit=CERTIFICATE_PAGE)
        views += page
        if not page or len(views) >= total:
            break
    views = [
        v
        for v in views
        if (year is None or v.issue_date.year == year)
        and (approval_number is None or v.approval_number == approval_number)
    ]
    views.sort(key=lambda v: v.number)
    # unit names of exactly these (already permitted) applications
    ids = [v.application_id for v in views]
    units = (
        dict(
            ctx.session.execute(
                select(Application.id, Unit.name)
                .join(Unit, Unit.id == Application.unit_id)
                .where(Application.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    body = [
        [
            i,
            v.number,
            v.holder_name,
            v.id_number_masked,
            units.get(v.application_id, ""),
            v.specialty,
            v.title_name,
            v.level_grade,
            v.qualification_date,
            v.committee_name,
            v.approval_number,
            v.issue_date,
            v.status_label,
        ]
        for i, v in enumerate(views, start=1)
    ]
    filters = [
        text
        for text in (
            f"{year}年发证" if year is not None else "",
            f"批准文号：{approval_number}" if approval_number else "",
            f"状态：{certificates.STATUS_LABELS.get(status, status)}" if status else "",
        )
        if text
    ]
    title = "职称证书名单" + (f"（{year}年）" if year is not None else "")
    subtitle = [f"共 {len(body)} 人" + (f"    {'；'.join(filters)}" if filters else "")]
    return Table(
        "证书名单",
        title,
        list(CERTIFICATE_HEADERS),
        body,
        subtitle=subtitle,
        notes=["证书真伪以平台核验结果为准：扫描证书二维码，或在“证书核验”页面输入证书编号和姓名。"],
    )


def certificate_workbook(
    ctx: Context, *, status: str | None = None, year: int | None = None, approval_number: str | None = None
) -> Export:
    table = certificate_table(ctx, status=status, year=year, approval_number=approval_number)
    suffix = f"-{year}" if year is not None else ""
    return Export(f"证书名单{suffix}.xlsx", workbook_bytes([table]))
