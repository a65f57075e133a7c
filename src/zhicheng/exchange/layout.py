"""The documented column layouts of the import workbooks (docs/excel.md) and their templates.

Values are written the way title offices write them — Chinese names (“硕士研究生”“高级工程师”“核心期刊”
“一等奖”) — and read into the identifiers of the profile (policy/profile.py).  Identifiers themselves
(``master``, ``senior_engineer``) are accepted too, so a file exported by another system can be read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from zhicheng.accounts.idnumbers import make_resident_id, make_uscc
from zhicheng.exchange.sheets import FONT_NAME, CellError, Table, display_width, save, write_table
from zhicheng.policy.profile import EDUCATION_NAMES, GRADE_NAMES, LEVEL_NAMES, AchievementKind

__all__ = [
    "ACHIEVEMENT_COLUMNS",
    "ACHIEVEMENT_SHEET",
    "APPLICATION_COLUMNS",
    "APPLICATION_SHEET",
    "EXAMPLE_MARK",
    "EXPERT_COLUMNS",
    "EXPERT_SHEET",
    "Column",
    "Vocab",
    "template",
]

EXAMPLE_MARK = "示例"  # a row whose 序号 is 示例 is the template's example and is never imported
APPLICATION_SHEET = "申报人"
ACHIEVEMENT_SHEET = "成果"
EXPERT_SHEET = "评审专家"


class Vocab:
    """A closed list of values, each with its Chinese names; ``parse`` reads a cell, ``label`` names a value."""

    def __init__(self, what: str, names: dict[str, Iterable[str]]) -> None:
        self.what = what
        self.names = {value: list(labels) for value, labels in names.items()}
        self._lookup: dict[str, str] = {}
        for value, labels in self.names.items():
            for key in (value, *labels):
                self._lookup[key.lower()] = value

    def label(self, value: str) -> str:
        labels = self.names.get(value)
        return labels[0] if labels else value

    def choices(self) -> str:
        return "、".join(labels[0] for labels in self.names.values())

    def parse(self, text: str) -> str:
        value = self._lookup.get(text.strip().lower())
        if value is None:
            raise CellError(f"无法识别的{self.what}“{text}”，应为：{self.choices()}")
        return value


EDUCATION = Vocab(
    "学历",
    {
        e.value: [name, *extra]
        for e, name in EDUCATION_NAMES.items()
        for extra in [
            {
                "secondary_vocational": ["中专", "中等专业学校", "中职"],
                "junior_college": ["大专", "专科", "高职"],
                "bachelor": ["本科", "大学"],
                "second_bachelor": ["双学位"],
                "master": ["硕士", "研究生"],
                "doctor": ["博士"],
            }.get(e.value, [])
        ]
    },
)
LEVEL = Vocab("申报级别", {lv: [name] for lv, name in LEVEL_NAMES.items()})
ROUTE = Vocab(
    "申报途径",
    {
        "regular": ["正常申报", "正常", "常规"],
        "exceptional": ["破格申报", "破格"],
        "direct_track": ["直通车", "直通车申报"],
    },
)
TITLE_GRADE = Vocab(
    "职称等级",
    {
        str(g): [GRADE_NAMES[g], *names]
        for g, names in {
            1: ["员级", "技术员"],
            2: ["助理级", "初级", "助理工程师"],
            3: ["中级", "工程师"],
            4: ["副高级", "副高", "高级", "高级工程师"],
            5: ["正高级", "正高", "正高级工程师"],
        }.items()
    },
)
ASSESSMENT = Vocab(
    "年度考核等次",
    {
        "excellent": ["优秀"],
        "competent": ["合格", "称职"],
        "basically_competent": ["基本合格", "基本称职"],
        "incompetent": ["不合格", "不称职"],
    },
)
KIND = Vocab(
    "成果类型",
    {
        "paper": ["论文"],
        "invention_patent": ["发明专利"],
        "utility_patent": ["实用新型/外观设计专利", "实用新型专利", "外观设计专利", "其他专利"],
        "patent_award": ["中国专利奖"],
        "design_award": ["中国外观设计奖"],
        "standard": ["标准"],
        "book": ["专著、编著", "专著", "编著"],
        "research_project": ["攻关项目、科研课题", "科研项目", "攻关项目", "研究课题", "科技项目"],
        "tech_report": ["技术报告、研究报告", "技术报告", "研究报告", "咨询报告"],
        "design_document": ["设计文件"],
        "construction_method": ["行业工法", "工法"],
        "new_product": ["新技术、新产品、新工艺", "新技术", "新产品", "新工艺"],
        "first_set_equipment": ["首台套装备", "首台套"],
        "tech_transfer": ["成果转移转化", "成果转化"],
        "transfer_contract": ["技术转移转化服务合同", "技术合同"],
        "science_award": ["科技奖励", "科技奖"],
        "industry_award": ["行业奖项", "行业奖"],
        "competition_award": ["大赛获奖"],
        "security_finding": ["发现风险隐患"],
        "incident_response": ["处置安全事件"],
        "vulnerability": ["重要漏洞（CNVD/CNNVD认可）", "重要漏洞", "漏洞"],
        "event_security": ["重大活动网络安全保障"],
        "policy_advice": ["政策建议被采纳", "政策建议"],
        "planning": ["规划、政策、规范制定", "规划制定"],
        "talent_award": ["人才表彰奖励", "人才奖励"],
        "innovation_product": ["创新产品、首创产品", "创新产品", "首创产品"],
        "key_org_tech_lead": ["重点单位技术负责人"],
    },
)
assert set(KIND.names) == {k.value for k in AchievementKind}, "every achievement kind has a spreadsheet name"
ROLE = Vocab(
    "本人角色",
    {
        "lead": ["主持/主要负责人", "主持", "主持人", "负责人", "主要负责人", "第一完成人"],
        "main": ["主要完成人/起草人", "主要完成人", "主要起草人", "主要参与人"],
        "participant": ["参与人", "参与", "参加"],
        "corresponding": ["通讯作者"],
    },
)
AWARD_LEVEL = Vocab(
    "级别",
    {
        "1": ["单位", "单位级", "单位内"],
        "2": ["县（区）级", "县级", "区级"],
        "3": ["市级", "地市级"],
        "4": ["省部级", "省级", "部级"],
        "5": ["国家级"],
        "6": ["国际", "国际级"],
    },
)
AWARD_GRADE = Vocab(
    "奖项等级",
    {"1": ["一等奖", "金奖", "特等奖"], "2": ["二等奖", "银奖"], "3": ["三等奖", "优秀奖", "铜奖"]},
)
VENUE = Vocab(
    "刊物类别",
    {
        "public_journal": ["公开发行学术刊物", "公开刊物", "普通期刊"],
        "core_journal": ["核心期刊", "中文核心"],
        "national_forum": ["国家级论坛报告", "国家级会议"],
        "international_forum": ["国际论坛报告", "国际会议"],
        "indexed": ["SCI/EI 收录", "SCI", "EI", "SCI/EI", "SCI收录", "EI收录"],
    },
)
STANDARD_LEVEL = Vocab(
    "标准级别",
    {
        "1": ["企业标准"],
        "2": ["团体标准"],
        "3": ["地方标准"],
        "4": ["行业标准"],
        "5": ["国家标准"],
        "6": ["国际标准"],
    },
)


@dataclass(frozen=True)
class Column:
    """One column of a layout: header, whether required, what to write, an example, other accepted headers."""

    header: str
    required: bool = False
    help: str = ""
    example: object = None
    aliases: tuple[str, ...] = field(default=())


_EXAMPLE_ID = make_resident_id("110105", dt.date(1986, 5, 12), 123)
_EXAMPLE_USCC = make_uscc("91110108MA01AB2C3")

APPLICATION_COLUMNS: tuple[Column, ...] = (
    Column("序号", True, "本表内唯一，成果表用它对应申报人；写“示例”的行不导入", EXAMPLE_MARK, ("编号",)),
    Column("姓名", True, "与身份证一致", "张三"),
    Column("身份证号", True, "18位居民身份证号码，单元格设为文本格式", _EXAMPLE_ID, ("身份证号码", "公民身份号码")),
    Column(
        "单位统一社会信用代码",
        True,
        "用人单位的18位统一社会信用代码（须已在平台登记）",
        _EXAMPLE_USCC,
        ("统一社会信用代码", "单位信用代码"),
    ),
    Column("标准文件", True, "标准编号或名称，如 ai_bj_2020 或“北京市工程技术系列（人工智能）”", "ai_bj_2020"),
    Column("申报级别", True, f"{LEVEL.choices()}", "高级工程师", ("申报层级", "申报职称")),
    Column("申报途径", False, f"{ROUTE.choices()}；不填为正常申报", "正常申报", ("申报类型",)),
    Column("评审轮次", False, "评审轮次编号；不填则用该标准文件唯一开放的轮次", None, ("评审轮次编号",)),
    Column("专业方向", False, "方向名称或编号，多个用“、”分隔", "人工智能研究", ("申报专业方向",)),
    Column("学历", False, EDUCATION.choices(), "硕士研究生", ("最高学历",)),
    Column("毕业时间", False, "YYYY-MM-DD", dt.date(2012, 7, 1), ("毕业日期",)),
    Column("取得学位", False, "是/否；不填为是", "是"),
    Column("毕业院校", False, "", "北京某大学"),
    Column("所学专业", False, "", "计算机科学与技术"),
    Column("参加本专业工作时间", False, "YYYY-MM-DD", dt.date(2012, 7, 15), ("从事本专业工作时间",)),
    Column("现职称", False, "现有职称名称，如 工程师", "工程师", ("现职称名称",)),
    Column("现职称等级", False, f"{TITLE_GRADE.choices()}；职称名称能看出等级时可不填", "中级"),
    Column("现职称专业", False, "", "人工智能"),
    Column("现职称取得时间", False, "YYYY-MM-DD", dt.date(2018, 12, 1)),
    Column("年度考核", False, "如“2023优秀、2024合格”", "2023合格、2024优秀"),
)

ACHIEVEMENT_COLUMNS: tuple[Column, ...] = (
    Column("序号", True, "对应申报人表的序号", EXAMPLE_MARK, ("申报人序号",)),
    Column("成果类型", True, KIND.choices(), "论文"),
    Column("成果名称", False, "", "一种深度学习模型压缩方法", ("名称",)),
    Column("日期", True, "发表、授权、获奖或验收日期，YYYY-MM-DD", dt.date(2021, 3, 1), ("取得时间",)),
    Column("本人排名", False, "1 为第一", 1, ("排名",)),
    Column("本人角色", False, ROLE.choices(), None, ("角色",)),
    Column("级别", False, AWARD_LEVEL.choices(), None),
    Column("奖项等级", False, AWARD_GRADE.choices(), None),
    Column("刊物类别", False, VENUE.choices(), "核心期刊"),
    Column("标准级别", False, STANDARD_LEVEL.choices(), None),
    Column("已授权", False, "专利：是/否", None),
    Column("通过验收", False, "是/否（鉴定、验收、结题）", None),
    Column("已投产", False, "是/否（投入生产或应用）", None),
    Column("年增产值（万元）", False, "整数", None, ("年增产值",)),
    Column("数量", False, "同一条目包含的数量，不填为1", None),
    Column("以往评审已使用", False, "是/否", None),
    Column("合作者", False, "姓名，多个用“、”分隔（用于回避检测）", "李四、王五"),
)

EXPERT_COLUMNS: tuple[Column, ...] = (
    Column("序号", False, "写“示例”的行不导入", EXAMPLE_MARK, ("编号",)),
    Column("姓名", True, "与身份证一致", "赵六"),
    Column(
        "身份证号", True, "18位居民身份证号码，单元格设为文本格式", make_resident_id("110108", dt.date(1968, 3, 2), 45)
    ),
    Column("用户名", False, "已有专家账号的用户名；不填则按身份证号查找或新建账号", None, ("账号",)),
    Column("职称", True, "如 正高级工程师", "正高级工程师", ("职称名称",)),
    Column("职称等级", False, f"{TITLE_GRADE.choices()}；职称名称能看出等级时可不填", "正高级"),
    Column("专业", True, "", "人工智能", ("从事专业",)),
    Column("工作单位", True, "", "北京某研究院", ("单位", "单位名称")),
    Column("单位统一社会信用代码", False, "用于同单位回避检测", make_uscc("12110000MB1234567"), ("统一社会信用代码",)),
    Column("聘期开始", True, "YYYY-MM-DD", dt.date(2026, 1, 1), ("任期开始",)),
    Column("聘期结束", True, "YYYY-MM-DD，每届不超过3年", dt.date(2028, 12, 31), ("任期结束",)),
    Column("评审委员会", False, "评委会名称；填写则同时加入该评委会专家库", None, ("评委会",)),
)

LAYOUTS = {
    "applications": ((APPLICATION_SHEET, APPLICATION_COLUMNS), (ACHIEVEMENT_SHEET, ACHIEVEMENT_COLUMNS)),
    "experts": ((EXPERT_SHEET, EXPERT_COLUMNS),),
}


def aliases(columns: Iterable[Column]) -> dict[str, str]:
    return {a: c.header for c in columns for a in c.aliases}


def template(kind: str) -> bytes:
    """The import template: one sheet per layout sheet (header and an example row marked 示例), and 填写说明."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    guide: list[list[object]] = []
    for i, (sheet, columns) in enumerate(LAYOUTS[kind]):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = sheet
        ws.append([c.header + ("*" if c.required else "") for c in columns])
        ws.append([c.example for c in columns])
        for j, c in enumerate(columns, start=1):
            head = ws.cell(1, j)
            head.font = Font(name=FONT_NAME, bold=True, color="C00000" if c.required else "000000")
            head.fill = PatternFill("solid", fgColor="DDE5F0")
            head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if c.help:
                head.comment = Comment(c.help, "zhicheng")
            example = ws.cell(2, j)
            example.font = Font(name=FONT_NAME, color="808080", italic=True)
            example.number_format = "@" if not isinstance(c.example, dt.date) else "yyyy-mm-dd"
            width = max(display_width(c.header) + 3, display_width(c.example) + 2, 8)
            ws.column_dimensions[head.column_letter].width = min(width, 40)
            # ID numbers and credit codes must stay text: preformat the column so typing keeps every digit
            if c.header in ("身份证号", "单位统一社会信用代码"):
                for r in range(3, 503):
                    ws.cell(r, j).number_format = "@"
            guide.append([sheet, c.header, "是" if c.required else "否", c.help, ", ".join(c.aliases)])
        ws.freeze_panes = "A2"
    write_table(
        wb.create_sheet(),
        Table(
            "填写说明",
            "导入模板填写说明（列名带 * 的为必填列）",
            ["工作表", "列名", "必填", "填写要求", "也可用的列名"],
            guide,
            notes=[
                "整份文件要么全部导入，要么（有任何一行出错时）一行也不导入；出错的行、列和原因会逐条列出。",
                "同一文件重复导入不会产生重复数据：已导入的申报或专家会跳过。",
                "写“示例”的行（序号为“示例”）不导入，可以保留或删除。",
            ],
        ),
    )
    return save(wb)
