"""Importing applications from the agency's spreadsheet, on SQLite and PostgreSQL: the happy path checked
against the database field by field, idempotent re-import, every kind of row error reported with its sheet,
row and column, nothing half-imported, the error workbook, the template, round resolution, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from exchange_world import (
    PROTECTOR,
    REGISTERED_ID,
    USCC_AI,
    USCC_QD,
    USCC_UNKNOWN,
    World,
    applicant,
    book,
    person,
    read_book,
)
from sqlalchemy import select

from zhicheng.accounts.identity import resident_id_index
from zhicheng.accounts.passwords import verify_password
from zhicheng.errors import DomainError
from zhicheng.exchange import imports, layout
from zhicheng.exchange.imports import NO_PASSWORD, ImportReport, error_workbook, import_applications
from zhicheng.store import audit
from zhicheng.store.db import transaction
from zhicheng.store.models import Application, AuditEntry, User
from zhicheng.store.testing import add_round
from zhicheng.workflow.rights import Actor


def run_import(world: World, data: bytes, actor: Actor | None = None, **kw: object) -> ImportReport:
    report: ImportReport = world.run(
        actor or world.agency, import_applications, PROTECTOR, data, filename="申报.xlsx", **kw
    )
    return report


def good_book() -> bytes:
    return book(
        [
            applicant(
                "1",
                "张三",
                person(1),
                学历="硕士",
                毕业时间=dt.date(2012, 7, 1),
                毕业院校="北京某大学",
                参加本专业工作时间="2012-07-15",
                现职称="工程师",
                现职称取得时间="2018/12/1",
                专业方向="人工智能研究",
                年度考核="2023合格、2024优秀",
            ),
            applicant("2", "李四", person(2), 申报级别="engineer", 申报途径="破格", 单位统一社会信用代码=USCC_QD),
            applicant("3", "王芳", REGISTERED_ID, 标准文件="北京市工程技术人才（通用）", 申报级别="工程师"),
        ],
        [
            {
                "序号": "1",
                "成果类型": "论文",
                "成果名称": "论文甲",
                "日期": dt.date(2021, 3, 1),
                "本人排名": 1,
                "刊物类别": "核心期刊",
            },
            {
                "序号": "1",
                "成果类型": "发明专利",
                "日期": "2022年5月6日",
                "本人排名": "2",
                "已授权": "是",
                "合作者": "赵六、钱七",
            },
        ],
    )


def test_happy_path_creates_drafts_in_the_applicants_names(world: World) -> None:
    before = world.counts()
    report = run_import(world, good_book())
    assert report.ok and report.imported, report.problems
    assert (report.rows, report.count("created"), report.count("skipped")) == (3, 3, 0)
    assert report.summary == "已导入申报 3 条"
    after = world.counts()
    assert after["applications"] == before["applications"] + 3
    assert after["users"] == before["users"] + 2  # 王芳 was registered already
    ids = {r.name: r.entity_id for r in report.results}
    with transaction(world.engine) as s:  # not read-only: audit.verify locks the chain head
        zhang = s.get(Application, ids["张三"])
        assert zhang is not None
        assert (zhang.round_id, zhang.level, zhang.route, zhang.state, zhang.unit_id, zhang.document_id) == (
            world.round_ai,
            "senior_engineer",
            "regular",
            "draft",
            world.unit_ai,
            "ai_bj_2020",
        )
        p = zhang.profile
        assert p["name"] == "张三"
        assert p["education"] == [
            {
                "level": "master",
                "graduation_date": "2012-07-01",
                "diploma": True,
                "degree": True,
                "engineering_professional_degree": False,
                "school": "北京某大学",
                "major": None,
            }
        ]
        assert p["specialty_work_start"] == "2012-07-15"
        assert [(t["grade"], t["name"], t["obtained"]) for t in p["titles"]] == [(3, "工程师", "2018-12-01")]
        assert p["directions"] == ["ai_research"]
        assert p["annual_assessments"] == [
            {"year": 2023, "result": "competent"},
            {"year": 2024, "result": "excellent"},
        ]
        paper, patent = p["achievements"]
        assert (paper["kind"], paper["title"], paper["date"], paper["rank"], paper["venue"]) == (
            "paper",
            "论文甲",
            "2021-03-01",
            1,
            "core_journal",
        )
        assert (patent["kind"], patent["date"], patent["rank"], patent["granted"], patent["coauthors"]) == (
            "invention_patent",
            "2022-05-06",
            2,
            True,
            ["赵六", "钱七"],
        )
        li = s.get(Application, ids["李四"])
        assert li is not None and (li.level, li.route, li.unit_id) == ("engineer", "exceptional", world.unit_qd)
        assert li.profile["achievements"] == []
        wang = s.get(Application, ids["王芳"])
        assert wang is not None
        assert (wang.applicant_id, wang.round_id) == (world.registered.user_id, world.round_general)
        zhang_user = s.get(User, zhang.applicant_id)
        assert zhang_user is not None
        assert zhang_user.role == "applicant" and zhang_user.display_name == "张三"
        assert zhang_user.id_number_index == resident_id_index(PROTECTOR, person(1))
        assert zhang_user.id_number_masked is not None and person(1) not in zhang_user.id_number_masked
        assert zhang_user.password_hash == NO_PASSWORD and not verify_password(zhang_user.password_hash, "")
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.seq > before["audit"]).order_by(AuditEntry.seq)))
        assert [e.action for e in entries].count("create_user") == 2
        assert all(e.actor_id == world.agency.user_id for e in entries if e.action == "create_user")
        assert [e.action for e in entries].count("create") == 3
        last = entries[-1]
        assert (last.action, last.actor_id, last.entity_id) == (
            "import_applications",
            world.agency.user_id,
            report.sha256,
        )
        assert sorted(last.payload["created"]) == sorted(ids.values())
        assert audit.verify(s).ok


def test_reimporting_the_same_file_creates_nothing(world: World) -> None:
    data = good_book()
    first = run_import(world, data)
    before = world.counts()
    again = run_import(world, data)
    assert again.ok and again.imported
    assert (again.count("created"), again.count("skipped")) == (0, 3)
    assert {r.entity_id for r in again.results} == {r.entity_id for r in first.results}
    assert all("此前已导入" in r.note for r in again.results)
    assert world.counts() == before  # not a user, not an application, not even an audit line


def test_dry_run_checks_and_keeps_nothing(world: World) -> None:
    before = world.counts()
    report = run_import(world, good_book(), dry_run=True)
    assert report.ok and not report.imported and report.count("created") == 3
    assert all(r.entity_id is None for r in report.results)
    assert "试导入" in report.summary
    assert world.counts() == before


BAD_CASES: list[tuple[dict[str, object], str, str, str]] = [
    # (row fields, sheet, column, reason fragment)
    ({"姓名": None}, "申报人", "姓名", "必填"),
    ({"身份证号": person(3)[:-1] + ("0" if person(3)[-1] != "0" else "1")}, "申报人", "身份证号", "校验"),
    ({"身份证号": 110105198601011234}, "申报人", "身份证号", "数字格式"),
    (
        {"单位统一社会信用代码": USCC_AI[:-1] + ("0" if USCC_AI[-1] != "0" else "1")},
        "申报人",
        "单位统一社会信用代码",
        "校验",
    ),
    ({"单位统一社会信用代码": USCC_UNKNOWN}, "申报人", "单位统一社会信用代码", "没有统一社会信用代码为"),
    ({"标准文件": "不存在的文件"}, "申报人", "标准文件", "无法识别的标准文件"),
    ({"申报级别": "总工程师"}, "申报人", "申报级别", "无法识别的申报级别"),
    ({"申报级别": "助理工程师"}, "申报人", "申报级别", "本轮次只受理"),
    ({"申报途径": "走后门"}, "申报人", "申报途径", "无法识别的申报途径"),
    ({"学历": "本科", "毕业时间": "2012年7月"}, "申报人", "毕业时间", "只写到月"),
    ({"学历": "本科", "毕业时间": "2030-07-01"}, "申报人", "毕业时间", "晚于今天"),
    ({"学历": "小学", "毕业时间": "2010-07-01"}, "申报人", "学历", "无法识别的学历"),
    ({"毕业时间": "2010-07-01"}, "申报人", "学历", "须填写学历"),
    ({"现职称": "总监", "现职称取得时间": "2019-01-01"}, "申报人", "现职称等级", "看不出等级"),
    ({"现职称": "工程师"}, "申报人", "现职称取得时间", "须填写取得时间"),
    ({"专业方向": "量子计算"}, "申报人", "专业方向", "不是《北京市工程技术系列（人工智能）》的专业方向"),
    ({"年度考核": "2023年很好"}, "申报人", "年度考核", "无法识别的年度考核等次"),
    ({"年度考核": "优秀"}, "申报人", "年度考核", "年份+等次"),
    ({"标准文件": "quantum_bj_2024"}, "申报人", "评审轮次", "没有开放申报的评审轮次"),
    ({"评审轮次": 999}, "申报人", "评审轮次", "不存在"),
    ({"评审轮次": "第一轮"}, "申报人", "评审轮次", "应为整数"),
]


@pytest.mark.parametrize(("fields", "sheet", "column", "reason"), BAD_CASES, ids=[c[3] for c in BAD_CASES])
def test_each_kind_of_row_error_is_reported_and_nothing_is_imported(
    world: World, fields: dict[str, object], sheet: str, column: str, reason: str
) -> None:
    rows = [applicant("1", "张三", person(1)), applicant("2", "李四", person(2), **fields)]
    before = world.counts()
    report = run_import(world, book(rows))
    assert not report.ok and not report.imported
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [(sheet, 3, column)], report.problems
    assert reason in report.problems[0].message
    assert report.problems[0].path == f"{sheet}!3!{column}"
    assert world.counts() == before  # the good first row was not kept either
    assert "1 行有误" in report.summary and "未导入任何申报" in report.summary


def test_all_problems_of_a_file_are_reported_at_once(world: World) -> None:
    """Several rows, several problems per row, both sheets, file-level duplicates: one report lists them all."""
    rows = [
        applicant("1", "张三", person(1)),
        applicant("2", "", "123", 单位统一社会信用代码=USCC_UNKNOWN, 申报级别="总工程师"),
        applicant("2", "李四", person(2)),  # duplicate 序号
        applicant("4", "张三", person(1)),  # same person, round and level as row 2 of the sheet
        applicant("5", "冒名", REGISTERED_ID, 标准文件="general_bj_2020", 申报级别="工程师"),
    ]
    achievements = [
        {"序号": "1", "成果类型": "论文", "日期": "2021-03-01", "本人排名": 0},
        {"序号": "1", "成果类型": "奇思妙想", "日期": "2021-03-01"},
        {"序号": "9", "成果类型": "论文", "日期": "2021-03-01"},
    ]
    before = world.counts()
    report = run_import(world, book(rows, achievements))
    found = {(p.sheet, p.row, p.column) for p in report.problems}
    assert found == {
        ("成果", 2, "本人排名"),
        ("成果", 3, "成果类型"),
        ("成果", 4, "序号"),
        ("申报人", 3, "姓名"),
        ("申报人", 3, "身份证号"),
        ("申报人", 3, "申报级别"),
        ("申报人", 4, "序号"),
        ("申报人", 5, "身份证号"),
        ("申报人", 6, "姓名"),
    }, report.problems
    messages = {(p.sheet, p.row, p.column): p.message for p in report.problems}
    assert messages[("成果", 2, "本人排名")] == "不能小于 1"
    assert "申报人表中没有序号为“9”" in messages[("成果", 4, "序号")]
    assert "与第 3 行的序号重复" in messages[("申报人", 4, "序号")]
    assert "与第 2 行是同一人同一轮次同一级别" in messages[("申报人", 5, "身份证号")]
    assert "王芳" in messages[("申报人", 6, "姓名")]
    assert world.counts() == before


def test_header_problems_and_foreign_files(world: World) -> None:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "申报人"
    ws.append(["2026年度申报汇总表"])  # a title row above the header is fine
    ws.append(["序号", "姓名", "身份证号", "标准文件", "申报级别", "联系电话"])
    ws.append(["1", "张三", person(1), "ai_bj_2020", "工程师", "13800000000"])
    out = io.BytesIO()
    wb.save(out)
    report = run_import(world, out.getvalue())
    assert {(p.row, p.column, p.message) for p in report.problems} == {
        (2, "联系电话", "不认识的列；请删除该列或改用模板中的列名"),
        (2, "单位统一社会信用代码", "缺少必填列"),
    }
    for data, reason in ((b"", "文件为空"), (b"name,id\n1,2\n", "不是 .xlsx 文件"), (b"PK\x03\x04broken", "无法读取")):
        problems = run_import(world, data).problems
        assert len(problems) == 1 and problems[0].sheet == "(文件)" and reason in problems[0].message
    empty = book([applicant("示例", "张三", person(1))])
    assert "没有要导入的申报人" in run_import(world, empty).problems[0].message


def test_error_workbook_marks_rows_and_lists_every_problem(world: World) -> None:
    rows = [applicant("1", "张三", person(1)), applicant("2", "李四", "123", 申报级别="总工程师")]
    data = book(rows)
    report = run_import(world, data)
    wb = read_book(error_workbook(data, report))
    assert wb.sheetnames[0] == "错误汇总"
    summary = wb["错误汇总"]
    assert summary["A1"].value == f"导入错误报告：{report.summary}"
    listed = [tuple(c.value for c in row) for row in summary.iter_rows(min_row=4, max_col=4)]
    assert listed == [(p.sheet, p.row, p.column, p.message) for p in report.problems]
    assert summary.freeze_panes == "A4"
    sheet = wb["申报人"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "错误说明"
    column = len(header)
    assert sheet.cell(2, column).value is None  # the good row
    note = sheet.cell(3, column).value
    assert "身份证号：" in note and "申报级别：无法识别的申报级别" in note
    bad = sheet.cell(3, header.index("身份证号") + 1)
    assert bad.comment is not None and bad.fill.fgColor.rgb.endswith("F4B6B0")
    assert sheet.cell(3, 1).value == "2" and sheet.cell(3, 2).value == "李四"  # the agency's data untouched


def test_the_template_reads_back_and_its_example_row_is_ignored(world: World) -> None:
    data = layout.template("applications")
    wb = read_book(data)
    assert wb.sheetnames == ["申报人", "成果", "填写说明"]
    main = wb["申报人"]
    assert [c.value for c in main[1]] == [c.header + ("*" if c.required else "") for c in layout.APPLICATION_COLUMNS]
    assert main.cell(2, 1).value == "示例"
    assert main.freeze_panes == "A2"
    assert run_import(world, data).problems[0].message == "表中没有要导入的申报人"
    example = [c.value for c in main[2]]
    for j, value in enumerate(["7", "赵六", person(7), *example[3:]], start=1):
        main.cell(3, j, value)
    ach = wb["成果"]
    for j, value in enumerate(["7", *[c.value for c in ach[2]][1:]], start=1):
        ach.cell(3, j, value)
    import io

    out = io.BytesIO()
    wb.save(out)
    report = run_import(world, out.getvalue())
    assert report.ok and report.count("created") == 1, report.problems
    with transaction(world.engine, readonly=True) as s:
        app = s.get(Application, report.results[0].entity_id)
        assert app is not None and app.profile["achievements"][0]["venue"] == "core_journal"
    guide = wb["填写说明"]
    assert guide["A1"].value.startswith("导入模板填写说明")
    assert {row[1] for row in guide.iter_rows(min_row=3, max_col=2, values_only=True) if row[1]} >= {
        c.header for c in layout.APPLICATION_COLUMNS
    }


def test_two_open_rounds_need_the_round_column_or_parameter(world: World) -> None:
    with transaction(world.engine) as s:
        special = add_round(
            s,
            kind="special",
            year=2026,
            document_id="ai_bj_2020",
            levels=["senior_engineer"],
            window_start=dt.date(2026, 9, 1),
            window_end=dt.date(2026, 10, 31),
        ).id
    report = run_import(world, book([applicant("1", "张三", person(1))]))
    assert [(p.column, p.message) for p in report.problems] == [
        (
            "评审轮次",
            f"《北京市工程技术系列（人工智能）》有 2 个开放的评审轮次（编号 {world.round_ai}、{special}），"
            "请在“评审轮次”列填写编号",
        )
    ]
    by_param = run_import(world, book([applicant("1", "张三", person(1))]), round_id=special)
    by_column = run_import(world, book([applicant("2", "李四", person(2), 评审轮次=world.round_ai)]))
    with transaction(world.engine, readonly=True) as s:
        assert s.get(Application, by_param.results[0].entity_id).round_id == special  # type: ignore[union-attr]
        assert s.get(Application, by_column.results[0].entity_id).round_id == world.round_ai  # type: ignore[union-attr]
    wrong = run_import(world, book([applicant("3", "王五", person(5), 评审轮次=world.round_general)]))
    assert wrong.problems[0].column == "标准文件" and "与本行的标准文件不符" in wrong.problems[0].message


def test_an_existing_account_of_another_unit_or_role_is_refused(world: World) -> None:
    other_unit = applicant("1", "王芳", REGISTERED_ID, 单位统一社会信用代码=USCC_QD)
    report = run_import(world, book([other_unit]))
    assert (
        report.problems[0].column == "单位统一社会信用代码" and "北京智算未来科技有限公司" in report.problems[0].message
    )
    from zhicheng.accounts.identity import protect_resident_id

    ident = protect_resident_id(PROTECTOR, person(8))
    with transaction(world.engine) as s:
        staff = s.get(User, world.expert.user_id)
        assert staff is not None
        staff.id_number_token, staff.id_number_index, staff.id_number_masked = ident.token, ident.index, ident.masked
    report = run_import(world, book([applicant("1", "钱七", person(8))]))
    assert report.problems[0].column == "身份证号" and "评审专家账号" in report.problems[0].message


@pytest.mark.parametrize("role", ["bureau", "unit", "expert", "registered"])
def test_only_the_agency_and_admin_may_import_applications(world: World, role: str) -> None:
    before = world.counts()
    with pytest.raises(DomainError) as exc:
        run_import(world, good_book(), getattr(world, role))
    assert exc.value.status == 403 and "只有评审服务机构或系统管理员可以导入申报" in exc.value.message
    assert world.counts() == before


def test_an_admin_may_import_applications(world: World) -> None:
    report = run_import(world, good_book(), world.admin)
    assert report.imported and report.count("created") == 3


def test_rejection_is_the_api_error_shape(world: World) -> None:
    report = run_import(world, book([applicant("1", "张三", "123")]))
    err = imports.rejection(report)
    assert (err.status, err.code) == (422, "import_rejected")
    assert err.fields == [("申报人!2!身份证号", report.problems[0].message)]
