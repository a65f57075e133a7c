"""Import applications and experts from the agency's spreadsheet (layouts: exchange/layout.py, docs/excel.md).

The rules are the services' own: every row goes through the same validators and domain services as the
API (``accounts.identity``/``idnumbers`` for ID numbers and credit codes, ``workflow.service.create_application``
and its ``parse_profile`` for applications, ``review.service.register_expert``/``add_to_pool`` for experts).

* **Row-by-row report.** Every problem is a :class:`~zhicheng.exchange.sheets.Problem` naming the sheet, the
  Excel row, the column header and the reason in Chinese; :func:`error_workbook` returns the uploaded file
  with an error column and a summary sheet, for download.
* **All or nothing.** The whole import runs in a savepoint of the caller's transaction (and each row in a
  savepoint of its own, so one bad row does not hide the next one's problems); if any row fails, or on a
  dry run, the savepoint is rolled back and nothing is kept — not a user, not an audit line.
* **Idempotent.** People are found by the blind index of their ID number (or an expert's username), an
  application by (round, applicant, level): importing the same file again creates nothing and reports each
  row as already imported; no audit line is written when nothing changed.

Who may import is asked of :class:`~zhicheng.workflow.rights.Rights` (``can_import``).  Accounts made by an
import have no password (``NO_PASSWORD`` never verifies): the agency hands out activation codes
(zhicheng.accounts.activation, docs/accounts.md) and the person sets a password at /activate.  An imported
application is a *draft in the applicant's name*; the applicant checks it and submits it with the integrity
pledge, which nobody can give for them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from sqlalchemy import select

from zhicheng.accounts.identity import StoredIdentity, protect_resident_id
from zhicheng.accounts.idnumbers import IdNumberError, validate_resident_id, validate_uscc
from zhicheng.accounts.passwords import NO_PASSWORD  # never verifies: the person activates the account
from zhicheng.accounts.protect import PersonalDataProtector
from zhicheng.errors import DomainError, forbidden
from zhicheng.exchange import layout as L
from zhicheng.exchange.sheets import (
    CellError,
    Problem,
    SheetRows,
    Table,
    cell_bool,
    cell_code,
    cell_date,
    cell_int,
    cell_text,
    open_workbook,
    read_rows,
    save,
    split_list,
    write_table,
)
from zhicheng.policy.catalog import Catalog
from zhicheng.policy.schema import Document
from zhicheng.review import service as review
from zhicheng.store.models import Application, Committee, Expert, Round, Unit, User
from zhicheng.workflow import service as workflow
from zhicheng.workflow.rights import ROLE_NAMES, Actor
from zhicheng.workflow.service import Context

__all__ = [
    "IMPORT_KINDS",
    "NO_PASSWORD",
    "ImportReport",
    "RowResult",
    "error_workbook",
    "import_applications",
    "import_experts",
    "rejection",
]

IMPORT_KINDS = {"applications": "申报", "experts": "评审专家"}
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,64}")  # the rule of api.accounts (USERNAME_RULE)
FILE_SHEET = "(文件)"


@dataclass(frozen=True, slots=True)
class RowResult:
    """What happened to one row: ``created``, ``updated`` or ``skipped`` (already imported)."""

    sheet: str
    row: int
    outcome: str
    entity_id: int | None
    name: str
    note: str = ""


@dataclass
class ImportReport:
    """The outcome of one import.  ``imported`` is true only when the rows were kept (no problem, not a dry run)."""

    kind: str
    filename: str | None
    sha256: str
    dry_run: bool
    rows: int = 0
    results: list[RowResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header_rows: dict[str, int] = field(default_factory=dict)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def summary(self) -> str:
        what = IMPORT_KINDS[self.kind]
        if self.problems:
            bad_rows = len({(p.sheet, p.row) for p in self.problems})
            return f"{bad_rows} 行有误（共 {len(self.problems)} 处），未导入任何{what}"
        verb = "可导入" if self.dry_run else "已导入"
        text = f"{verb}{what} {self.count('created')} 条"
        if self.count("updated"):
            text += f"，更新 {self.count('updated')} 条"
        if self.count("skipped"):
            text += f"，{self.count('skipped')} 条此前已导入（未重复导入）"
        return text + ("（试导入，未保存）" if self.dry_run else "")


def rejection(report: ImportReport) -> DomainError:
    """The API's 422 for a rejected import: one field error per problem, path ``sheet!row!column``."""
    return DomainError(422, "import_rejected", report.summary, [(p.path, p.message) for p in report.problems])


class RowFailed(Exception):
    """Problems of one row (the row's savepoint is rolled back)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


# ---------------------------------------------------------------- shared plumbing
def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_right(ctx: Context, kind: str) -> None:
    if not ctx.rights.can_import(kind):
        who = "评审服务机构或系统管理员" if kind == "applications" else "评审服务机构"
        raise forbidden(f"只有{who}可以导入{IMPORT_KINDS[kind]}")


def _read(
    report: ImportReport, data: bytes, layouts: Sequence[tuple[str, tuple[L.Column, ...]]]
) -> dict[str, SheetRows]:
    """The sheets of the layout (the first is required; it may be the workbook's first sheet by another name)."""
    try:
        wb = open_workbook(data)
    except CellError as exc:
        report.problems.append(Problem(FILE_SHEET, 0, "", str(exc)))
        return {}
    out: dict[str, SheetRows] = {}
    try:
        for i, (sheet, columns) in enumerate(layouts):
            if sheet in wb.sheetnames:
                ws = wb[sheet]
            elif i == 0:
                ws = wb.worksheets[0]
            else:
                continue
            rows, problems = read_rows(
                ws, sheet, [c.header for c in columns], [c.header for c in columns if c.required], L.aliases(columns)
            )
            report.problems += problems
            if rows is not None:
                out[sheet] = rows
                report.header_rows[sheet] = rows.header_row
                report.columns[sheet] = rows.columns
    finally:
        wb.close()
    return out


class _Row:
    """One data row being converted: reads cells by header, collecting every problem instead of stopping."""

    def __init__(self, sheet: str, number: int, values: dict[str, Any]) -> None:
        self.sheet, self.number, self.values = sheet, number, values
        self.problems: list[Problem] = []

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.sheet, self.number, column, message))

    def get(self, column: str, read: Callable[[Any], Any] = cell_text, *, required: bool = False) -> Any:
        raw = self.values.get(column)
        try:
            value = read(raw)
        except (CellError, IdNumberError) as exc:
            self.problem(column, str(exc))
            return None
        if value is None and required:
            self.problem(column, "必填，不能为空")
        return value

    def filled(self, column: str) -> bool:
        """Something is written in the cell (even if it could not be read)."""
        return cell_text(self.values.get(column)) is not None

    def vocab(self, column: str, vocab: L.Vocab, *, required: bool = False) -> str | None:
        text = self.get(column, required=required)
        if text is None:
            return None
        try:
            return vocab.parse(text)
        except CellError as exc:
            self.problem(column, str(exc))
            return None


def _is_example(values: dict[str, Any]) -> bool:
    return cell_text(values.get("序号")) == L.EXAMPLE_MARK


def _run_rows(
    ctx: Context,
    report: ImportReport,
    items: Sequence[Any],
    handle: Callable[[Any], RowResult],
    audit_action: str,
) -> ImportReport:
    """Run ``handle`` for each converted row, each in its own savepoint, all inside one savepoint that is kept
    only when every row succeeded and this is not a dry run."""
    outer = ctx.session.begin_nested()
    try:
        for item in items:
            inner = ctx.session.begin_nested()
            try:
                result = handle(item)
            except RowFailed as exc:
                inner.rollback()
                report.problems += exc.problems
                continue
            except DomainError as exc:
                inner.rollback()
                if exc.status == 403:  # a refusal of the whole import, not of the row
                    raise
                report.problems += _domain_problems(item, exc)
                continue
            inner.commit()
            report.results.append(result)
        changed = [r for r in report.results if r.outcome != "skipped"]
        if report.problems or report.dry_run:
            outer.rollback()
            order = {FILE_SHEET: -1, **{sheet: i for i, sheet in enumerate(report.header_rows)}}
            report.problems.sort(key=lambda p: (order.get(p.sheet, len(order)), p.row))
            report.results = [
                RowResult(r.sheet, r.row, r.outcome, r.entity_id if r.outcome == "skipped" else None, r.name, r.note)
                for r in report.results
            ]
            return report
        if changed:
            ctx.audit(
                audit_action,
                "import",
                report.sha256,
                payload={
                    "filename": report.filename,
                    "rows": report.rows,
                    "created": [r.entity_id for r in changed if r.outcome == "created"],
                    "updated": [r.entity_id for r in changed if r.outcome == "updated"],
                    "skipped": report.count("skipped"),
                },
            )
        outer.commit()
        report.imported = True
        return report
    except BaseException:
        if outer.is_active:
            outer.rollback()
        raise


def _domain_problems(item: Any, exc: DomainError) -> list[Problem]:
    locate: Callable[[str], tuple[str, int, str]] = item.locate
    if not exc.fields:
        sheet, row, column = locate("")
        return [Problem(sheet, row, column, exc.message)]
    out = []
    for path, message in exc.fields:
        sheet, row, column = locate(path)
        out.append(Problem(sheet, row, column, message))
    return out


def _new_account(
    ctx: Context, *, username: str, name: str, role: str, identity: StoredIdentity, unit_id: int | None = None
) -> User:
    user = User(
        username=username,
        display_name=name,
        role=role,
        password_hash=NO_PASSWORD,
        id_number_token=identity.token,
        id_number_index=identity.index,
        id_number_masked=identity.masked,
        unit_id=unit_id,
    )
    ctx.session.add(user)
    ctx.session.flush()
    ctx.audit(
        "create_user",
        "user",
        user.id,
        payload={"role": role, "source": "import", "id_number_masked": identity.masked, "unit_id": unit_id},
    )
    return user


# ---------------------------------------------------------------- applications
@dataclass
class _ApplicationRow:
    sheet: str
    row: int
    seq: str
    name: str
    id_number: str
    uscc: str
    document: str
    level: str
    route: str
    round_id: int | None
    profile: dict[str, Any]
    # profile path (without "profile.") -> (sheet, row, column), to place the services' field errors
    places: dict[str, tuple[str, int, str]]

    def locate(self, path: str) -> tuple[str, int, str]:
        fields = {"level": "申报级别", "route": "申报途径", "round_id": "评审轮次"}
        if path in fields:
            return self.sheet, self.row, fields[path]
        path = path.removeprefix("profile.").removeprefix("profile")
        while path:
            if path in self.places:
                return self.places[path]
            path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
        return self.sheet, self.row, ""


def _document(catalog: Catalog, text: str) -> Document:
    for doc in catalog.documents.values():
        if text in (doc.id, doc.short_title, doc.title, doc.specialty):
            return doc
    names = "、".join(f"{d.id}（{d.short_title}）" for d in catalog.documents.values())
    raise CellError(f"无法识别的标准文件“{text}”，应为：{names}")


_ASSESSMENT_ITEM = re.compile(r"^(\d{4})\s*年?度?\s*[:：]?\s*(.+)$")


def _assessments(text: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for part in split_list(text):
        m = _ASSESSMENT_ITEM.match(part)
        if not m:
            raise CellError(f"“{part}”应写成“年份+等次”，如“2023优秀、2024合格”")
        year = int(m[1])
        if year in seen:
            raise CellError(f"{year} 年度出现两次")
        seen.add(year)
        out.append({"year": year, "result": L.ASSESSMENT.parse(m[2])})
    return out


def _achievement(r: _Row, places: dict[str, tuple[str, int, str]]) -> dict[str, Any]:
    """One row of the 成果 sheet as a profile achievement; ``places`` learns where each field came from, under
    ``achievements[#]`` (the ``#`` becomes the achievement's index in its applicant's profile)."""
    a: dict[str, Any] = {}
    columns: dict[str, tuple[str, Callable[[], Any]]] = {
        "kind": ("成果类型", lambda: r.vocab("成果类型", L.KIND, required=True)),
        "title": ("成果名称", lambda: r.get("成果名称")),
        "date": ("日期", lambda: r.get("日期", cell_date, required=True)),
        "rank": ("本人排名", lambda: r.get("本人排名", cell_int)),
        "role": ("本人角色", lambda: r.vocab("本人角色", L.ROLE)),
        "level": ("级别", lambda: _int(r.vocab("级别", L.AWARD_LEVEL))),
        "grade": ("奖项等级", lambda: _int(r.vocab("奖项等级", L.AWARD_GRADE))),
        "venue": ("刊物类别", lambda: r.vocab("刊物类别", L.VENUE)),
        "standard_level": ("标准级别", lambda: _int(r.vocab("标准级别", L.STANDARD_LEVEL))),
        "granted": ("已授权", lambda: r.get("已授权", cell_bool)),
        "accepted": ("通过验收", lambda: r.get("通过验收", cell_bool)),
        "in_production": ("已投产", lambda: r.get("已投产", cell_bool)),
        "annual_output_wan": ("年增产值（万元）", lambda: r.get("年增产值（万元）", cell_int)),
        "count": ("数量", lambda: r.get("数量", cell_int)),
        "used_before": ("以往评审已使用", lambda: r.get("以往评审已使用", cell_bool)),
        "coauthors": ("合作者", lambda: split_list(r.values.get("合作者")) or None),
    }
    places["achievements[#]"] = (r.sheet, r.number, "")
    for key, (column, read) in columns.items():
        value = read()
        places[f"achievements[#].{key}"] = (r.sheet, r.number, column)
        if value is not None:
            a[key] = value
    return a


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _convert_application(
    r: _Row, catalog: Catalog, today: dt.date, achievements: list[tuple[dict[str, Any], dict[str, Any]]]
) -> _ApplicationRow | None:
    """Read one 申报人 row (and its 成果 rows) into the arguments of ``create_application``; None on problems."""
    places: dict[str, tuple[str, int, str]] = {}
    here = (r.sheet, r.number)

    def place(path: str, column: str) -> None:
        places[path] = (*here, column)

    seq = r.get("序号", required=True)
    name = r.get("姓名", required=True)
    number = r.get("身份证号", lambda v: cell_code(v, "身份证号"), required=True)
    if number is not None:
        try:
            validate_resident_id(number, today)
        except IdNumberError as exc:
            r.problem("身份证号", str(exc))
    uscc = r.get("单位统一社会信用代码", lambda v: cell_code(v, "统一社会信用代码"), required=True)
    if uscc is not None:
        try:
            uscc = validate_uscc(uscc)
        except IdNumberError as exc:
            r.problem("单位统一社会信用代码", str(exc))
    doc: Document | None = None
    doc_text = r.get("标准文件", required=True)
    if doc_text is not None:
        try:
            doc = _document(catalog, doc_text)
        except CellError as exc:
            r.problem("标准文件", str(exc))
    level = r.vocab("申报级别", L.LEVEL, required=True)
    route = r.vocab("申报途径", L.ROUTE) or "regular"
    round_id = r.get("评审轮次", lambda v: cell_int(v, low=1))

    profile: dict[str, Any] = {"name": name}
    place("name", "姓名")
    edu_level = r.vocab("学历", L.EDUCATION)
    graduated = r.get("毕业时间", cell_date)
    degree = r.get("取得学位", cell_bool)
    school, major = r.get("毕业院校"), r.get("所学专业")
    if edu_level is not None:
        if not r.filled("毕业时间"):
            r.problem("毕业时间", "填写学历时须填写毕业时间")
        education: dict[str, Any] = {"level": edu_level, "graduation_date": graduated}
        if degree is not None:
            education["degree"] = degree
        education |= {k: v for k, v in (("school", school), ("major", major)) if v is not None}
        profile["education"] = [education]
        for key, column in (
            ("", "学历"),
            (".level", "学历"),
            (".graduation_date", "毕业时间"),
            (".degree", "取得学位"),
            (".diploma", "学历"),
            (".school", "毕业院校"),
            (".major", "所学专业"),
        ):
            place(f"education[0]{key}", column)
    elif not r.filled("学历") and (r.filled("毕业时间") or school is not None or major is not None):
        r.problem("学历", "填写了毕业时间或院校时须填写学历")
    start = r.get("参加本专业工作时间", cell_date)
    if start is not None:
        profile["specialty_work_start"] = start
        place("specialty_work_start", "参加本专业工作时间")
    title_name, title_grade = r.get("现职称"), r.vocab("现职称等级", L.TITLE_GRADE)
    title_specialty, obtained = r.get("现职称专业"), r.get("现职称取得时间", cell_date)
    if any(r.filled(c) for c in ("现职称", "现职称等级", "现职称取得时间", "现职称专业")):
        if title_grade is None and title_name is not None and not r.filled("现职称等级"):
            try:
                title_grade = L.TITLE_GRADE.parse(title_name)
            except CellError:
                r.problem("现职称等级", f"从职称名称“{title_name}”看不出等级，请填写现职称等级")
        elif title_grade is None and not r.filled("现职称等级"):
            r.problem("现职称", "填写现职称信息时须填写职称名称或等级")
        if not r.filled("现职称取得时间"):
            r.problem("现职称取得时间", "填写现职称时须填写取得时间")
        title: dict[str, Any] = {"grade": int(title_grade) if title_grade else None, "obtained": obtained}
        title |= {k: v for k, v in (("name", title_name), ("specialty", title_specialty)) if v is not None}
        profile["titles"] = [title]
        for key, column in (
            ("", "现职称"),
            (".grade", "现职称等级"),
            (".name", "现职称"),
            (".specialty", "现职称专业"),
            (".obtained", "现职称取得时间"),
            (".series", "现职称"),
        ):
            place(f"titles[0]{key}", column)
    assessments = r.get("年度考核", _assessments)
    if assessments:
        profile["annual_assessments"] = assessments
        place("annual_assessments", "年度考核")
    directions = split_list(r.values.get("专业方向"))
    if directions and doc is not None:
        known = {d.id: d.id for d in doc.directions} | {d.name: d.id for d in doc.directions}
        chosen = []
        for text in directions:
            if text in known:
                chosen.append(known[text])
            else:
                names = "、".join(d.name for d in doc.directions) or "（本标准不分方向）"
                r.problem("专业方向", f"“{text}”不是《{doc.short_title}》的专业方向，应为：{names}")
        profile["directions"] = chosen
        place("directions", "专业方向")
    items = []
    for i, (ach, ach_places) in enumerate(achievements):
        items.append(ach)
        for path, where in ach_places.items():
            places[path.replace("[#]", f"[{i}]", 1)] = where
    if items:
        profile["achievements"] = items
    if r.problems:
        return None
    assert seq and name and number and uscc and doc and level
    return _ApplicationRow(r.sheet, r.number, seq, name, number, uscc, doc.id, level, route, round_id, profile, places)


def import_applications(
    ctx: Context,
    protector: PersonalDataProtector,
    data: bytes,
    *,
    filename: str | None = None,
    round_id: int | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the 申报人 sheet (and its 成果 sheet) as draft applications in the applicants' names."""
    _check_right(ctx, "applications")
    report = ImportReport("applications", filename, _digest(data), dry_run)
    sheets = _read(report, data, L.LAYOUTS["applications"])
    main = sheets.get(L.APPLICATION_SHEET)
    if main is None or report.problems:
        return report
    catalog = ctx.catalog
    # the 成果 sheet first: its rows are grouped under the applicant's 序号
    by_seq: dict[str, list[tuple[_Row, dict[str, Any], dict[str, Any]]]] = {}  # 序号 -> (row, item, places)
    ach_rows = sheets.get(L.ACHIEVEMENT_SHEET)
    bad_achievements: list[_Row] = []
    if ach_rows is not None:
        for number, values in ach_rows.rows:
            if _is_example(values):
                continue
            r = _Row(L.ACHIEVEMENT_SHEET, number, values)
            seq = r.get("序号", required=True)
            places: dict[str, tuple[str, int, str]] = {}
            ach = _achievement(r, places)
            if r.problems:
                bad_achievements.append(r)
            if seq is not None:
                by_seq.setdefault(seq, []).append((r, ach, places))
    converted: list[_ApplicationRow] = []
    seqs: dict[str, int] = {}
    for number, values in main.rows:
        if _is_example(values):
            continue
        report.rows += 1
        r = _Row(L.APPLICATION_SHEET, number, values)
        seq = cell_text(values.get("序号"))
        if seq is not None and seq in seqs:
            r.problem("序号", f"与第 {seqs[seq]} 行的序号重复")
        elif seq is not None:
            seqs[seq] = number
        achievements = [(ach, places) for _, ach, places in by_seq.get(seq or "", [])]
        item = _convert_application(r, catalog, ctx.today, achievements)
        report.problems += r.problems
        if item is not None and not r.problems:
            converted.append(item)
    for r in bad_achievements:
        report.problems += r.problems
    for seq, rows in by_seq.items():
        if seq not in seqs:
            for r, _, _ in rows:
                report.problems.append(Problem(r.sheet, r.number, "序号", f"申报人表中没有序号为“{seq}”的申报人"))
    if not converted and not report.problems:
        report.problems.append(Problem(L.APPLICATION_SHEET, main.header_row, "", "表中没有要导入的申报人"))

    units: dict[str, Unit | None] = {}
    open_rounds: dict[str, list[Round]] = {}
    seen: dict[tuple[str, int, str], int] = {}

    def handle(item: _ApplicationRow) -> RowResult:
        here = (item.sheet, item.row)
        if item.uscc not in units:
            units[item.uscc] = ctx.session.scalar(select(Unit).where(Unit.uscc == item.uscc))
        unit = units[item.uscc]
        if unit is None:
            raise RowFailed(
                [
                    Problem(
                        *here,
                        "单位统一社会信用代码",
                        f"平台上没有统一社会信用代码为 {item.uscc} 的用人单位，请先由系统管理员登记该单位",
                    )
                ]
            )
        rnd_id = item.round_id or round_id
        if rnd_id is None:
            if item.document not in open_rounds:
                open_rounds[item.document] = list(
                    ctx.session.scalars(
                        select(Round)
                        .where(Round.document_id == item.document, Round.status == "open")
                        .order_by(Round.id)
                    )
                )
            found = open_rounds[item.document]
            if len(found) != 1:
                title = catalog.document(item.document).short_title
                message = (
                    f"《{title}》没有开放申报的评审轮次"
                    if not found
                    else f"《{title}》有 {len(found)} 个开放的评审轮次（编号 {'、'.join(str(x.id) for x in found)}），"
                    "请在“评审轮次”列填写编号"
                )
                raise RowFailed([Problem(*here, "评审轮次", message)])
            rnd_id = found[0].id
        rnd = ctx.session.get(Round, rnd_id)
        if rnd is None:
            raise RowFailed([Problem(*here, "评审轮次", f"评审轮次 {rnd_id} 不存在")])
        if rnd.document_id != item.document:
            title = catalog.document(rnd.document_id).short_title
            raise RowFailed(
                [Problem(*here, "标准文件", f"评审轮次 {rnd.id} 评审的是《{title}》，与本行的标准文件不符")]
            )
        identity = protect_resident_id(protector, item.id_number, ctx.today)
        key = (identity.index, rnd.id, item.level)
        if key in seen:
            raise RowFailed([Problem(*here, "身份证号", f"与第 {seen[key]} 行是同一人同一轮次同一级别的申报")])
        seen[key] = item.row
        user = ctx.session.scalar(select(User).where(User.id_number_index == identity.index))
        if user is None:
            user = _new_account(
                ctx,
                username=f"imp-{identity.index[:16]}",
                name=item.name,
                role="applicant",
                identity=identity,
                unit_id=unit.id,
            )
        elif user.role != "applicant":
            role = ROLE_NAMES.get(user.role, user.role)
            raise RowFailed([Problem(*here, "身份证号", f"该身份证号已登记为{role}账号，不能作为申报人导入")])
        elif user.display_name != item.name:
            raise RowFailed([Problem(*here, "姓名", f"与该身份证号在平台登记的姓名“{user.display_name}”不一致")])
        elif user.unit_id is not None and user.unit_id != unit.id:
            registered = ctx.session.get(Unit, user.unit_id)
            where = registered.name if registered else str(user.unit_id)
            raise RowFailed(
                [Problem(*here, "单位统一社会信用代码", f"该申报人在平台登记的单位是“{where}”，与本行的单位不一致")]
            )
        existing = ctx.session.scalar(
            select(Application).where(
                Application.round_id == rnd.id, Application.applicant_id == user.id, Application.level == item.level
            )
        )
        if existing is not None:
            return RowResult(*here, "skipped", existing.id, item.name, f"此前已导入（申报编号 {existing.id}）")
        as_applicant = Context(
            ctx.session, Actor(user_id=user.id, role="applicant", unit_id=unit.id), ctx.today, now=ctx.now
        )
        as_applicant.__dict__["catalog"] = catalog  # the cached_property, loaded once per import, not per row
        app = workflow.create_application(
            as_applicant, round_id=rnd.id, level=item.level, route=item.route, profile=item.profile
        )
        return RowResult(*here, "created", app.id, item.name)

    # with conversion problems the good rows still run (and are rolled back), so the report is complete
    return _run_rows(ctx, report, converted, handle, "import_applications")


# ---------------------------------------------------------------- experts
@dataclass
class _ExpertRow:
    sheet: str
    row: int
    name: str
    id_number: str
    username: str | None
    title: str
    title_grade: int
    specialty: str
    unit_name: str
    unit_uscc: str | None
    term_start: dt.date
    term_end: dt.date
    committee: str | None

    def locate(self, path: str) -> tuple[str, int, str]:
        fields = {
            "title": "职称",
            "title_grade": "职称等级",
            "specialty": "专业",
            "unit_name": "工作单位",
            "unit_uscc": "单位统一社会信用代码",
            "term_start": "聘期开始",
            "term_end": "聘期结束",
            "user_id": "姓名",
        }
        column = "评审委员会" if path.startswith("expert_ids") else fields.get(path, "")
        return self.sheet, self.row, column


def _convert_expert(r: _Row, today: dt.date) -> _ExpertRow | None:
    name = r.get("姓名", required=True)
    number = r.get("身份证号", lambda v: cell_code(v, "身份证号"), required=True)
    if number is not None:
        try:
            validate_resident_id(number, today)
        except IdNumberError as exc:
            r.problem("身份证号", str(exc))
    username = r.get("用户名")
    if username is not None and not USERNAME_RE.fullmatch(username):
        r.problem("用户名", "用户名应为3–64个字母、数字、下划线、点或连字符")
    title = r.get("职称", required=True)
    grade = r.vocab("职称等级", L.TITLE_GRADE)
    if grade is None and title is not None and "职称等级" not in {p.column for p in r.problems}:
        try:
            grade = L.TITLE_GRADE.parse(title)
        except CellError:
            r.problem("职称等级", f"从职称“{title}”看不出等级，请填写职称等级")
    specialty = r.get("专业", required=True)
    unit_name = r.get("工作单位", required=True)
    uscc = r.get("单位统一社会信用代码", lambda v: cell_code(v, "统一社会信用代码"))
    if uscc is not None:
        try:
            uscc = validate_uscc(uscc)
        except IdNumberError as exc:
            r.problem("单位统一社会信用代码", str(exc))
    start = r.get("聘期开始", cell_date, required=True)
    end = r.get("聘期结束", cell_date, required=True)
    committee = r.get("评审委员会")
    if r.problems:
        return None
    assert name and number and title and grade and specialty and unit_name and start and end
    return _ExpertRow(
        r.sheet, r.number, name, number, username, title, int(grade), specialty, unit_name, uscc, start, end, committee
    )


def import_experts(
    ctx: Context, protector: PersonalDataProtector, data: bytes, *, filename: str | None = None, dry_run: bool = False
) -> ImportReport:
    """Import the 评审专家 sheet: accounts (found or made), registration for the term, optionally the pool."""
    _check_right(ctx, "experts")
    report = ImportReport("experts", filename, _digest(data), dry_run)
    sheets = _read(report, data, L.LAYOUTS["experts"])
    main = sheets.get(L.EXPERT_SHEET)
    if main is None or report.problems:
        return report
    converted: list[_ExpertRow] = []
    for number, values in main.rows:
        if _is_example(values):
            continue
        report.rows += 1
        r = _Row(L.EXPERT_SHEET, number, values)
        item = _convert_expert(r, ctx.today)
        report.problems += r.problems
        if item is not None:
            converted.append(item)
    if not converted and not report.problems:
        report.problems.append(Problem(L.EXPERT_SHEET, main.header_row, "", "表中没有要导入的专家"))
    committees: dict[str, int | None] = {}
    seen: dict[str, int] = {}

    def handle(item: _ExpertRow) -> RowResult:
        here = (item.sheet, item.row)
        identity = protect_resident_id(protector, item.id_number, ctx.today)
        if identity.index in seen:
            raise RowFailed([Problem(*here, "身份证号", f"与第 {seen[identity.index]} 行是同一位专家")])
        seen[identity.index] = item.row
        if item.username is not None:
            user = ctx.session.scalar(select(User).where(User.username == item.username))
            if user is not None and user.id_number_index not in (None, identity.index):
                raise RowFailed([Problem(*here, "身份证号", f"与账号 {item.username} 登记的身份证号不一致")])
        else:
            user = ctx.session.scalar(select(User).where(User.id_number_index == identity.index))
        if user is not None and user.role != "expert":
            role = ROLE_NAMES.get(user.role, user.role)
            column = "用户名" if item.username else "身份证号"
            raise RowFailed([Problem(*here, column, f"该{column}已登记为{role}账号，不能作为评审专家导入")])
        if user is not None and user.display_name != item.name:
            raise RowFailed([Problem(*here, "姓名", f"与该专家在平台登记的姓名“{user.display_name}”不一致")])
        outcome = "skipped"
        if user is None:
            if item.username is not None:
                taken = ctx.session.scalar(select(User.id).where(User.id_number_index == identity.index))
                if taken is not None:
                    raise RowFailed([Problem(*here, "身份证号", "该身份证号已用于平台上的另一个账号")])
            user = _new_account(
                ctx,
                username=item.username or f"exp-{identity.index[:16]}",
                name=item.name,
                role="expert",
                identity=identity,
            )
            outcome = "created"
        expert = ctx.session.get(Expert, user.id)
        wanted = (
            item.title,
            item.title_grade,
            item.specialty,
            item.unit_name,
            item.unit_uscc,
            item.term_start,
            item.term_end,
        )
        current = (
            None
            if expert is None
            else (
                expert.title,
                expert.title_grade,
                expert.specialty,
                expert.unit_name,
                expert.unit_uscc,
                expert.term_start,
                expert.term_end,
            )
        )
        if current != wanted or (expert is not None and not expert.is_active):
            review.register_expert(
                ctx,
                user_id=user.id,
                title=item.title,
                title_grade=item.title_grade,
                specialty=item.specialty,
                unit_name=item.unit_name,
                unit_uscc=item.unit_uscc,
                term_start=item.term_start,
                term_end=item.term_end,
            )
            outcome = "created" if expert is None or outcome == "created" else "updated"
        if item.committee is not None:
            if item.committee not in committees:
                committees[item.committee] = ctx.session.scalar(
                    select(Committee.id).where(Committee.name == item.committee)
                )
            committee_id = committees[item.committee]
            if committee_id is None:
                raise RowFailed([Problem(*here, "评审委员会", f"平台上没有名为“{item.committee}”的评审委员会")])
            if review.add_to_pool(ctx, committee_id, [user.id]) and outcome == "skipped":
                outcome = "updated"
        note = "此前已导入，信息无变化" if outcome == "skipped" else ""
        return RowResult(*here, outcome, user.id, item.name, note)

    return _run_rows(ctx, report, converted, handle, "import_experts")


# ---------------------------------------------------------------- the downloadable error report
_BAD_ROW = PatternFill("solid", fgColor="FDE9E7")
_BAD_CELL = PatternFill("solid", fgColor="F4B6B0")
ERROR_COLUMN = "错误说明"
SUMMARY_SHEET = "错误汇总"


def error_workbook(data: bytes, report: ImportReport) -> bytes:
    """The uploaded workbook with an 错误说明 column on every sheet with problems (bad rows and cells
    highlighted, each bad cell commented) and an 错误汇总 sheet listing every problem first."""
    try:
        wb = open_workbook(data, read_only=False)
    except CellError:
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
    by_sheet: dict[str, dict[int, list[Problem]]] = {}
    for p in report.problems:
        by_sheet.setdefault(p.sheet, {}).setdefault(p.row, []).append(p)
    for sheet, rows in by_sheet.items():
        header_row = report.header_rows.get(sheet)
        if header_row is None:
            continue
        ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
        error_col = ws.max_column + 1
        head = ws.cell(header_row, error_col, ERROR_COLUMN)
        head.font = Font(bold=True, color="C00000")
        ws.column_dimensions[head.column_letter].width = 60
        columns = report.columns.get(sheet, {})
        for row, problems in rows.items():
            if row < 1:
                continue
            text = "；".join(f"{p.column}：{p.message}" if p.column else p.message for p in problems)
            ws.cell(row, error_col, text).font = Font(color="C00000")
            if row != header_row:
                for c in range(1, error_col):
                    ws.cell(row, c).fill = _BAD_ROW
            for p in problems:
                if p.column in columns:
                    cell = ws.cell(row, columns[p.column])
                    cell.fill = _BAD_CELL
                    cell.comment = Comment(p.message, "zhicheng")
    summary = wb.create_sheet(SUMMARY_SHEET, 0)
    write_table(
        summary,
        Table(
            SUMMARY_SHEET,
            f"导入错误报告：{report.summary}",
            ["工作表", "行号", "列", "原因"],
            [[p.sheet, p.row or None, p.column, p.message] for p in report.problems],
            subtitle=[f"文件：{report.filename or '（未命名）'}    SHA-256：{report.sha256}"],
        ),
    )
    wb.active = 0
    return save(wb)
