"""Chinese first, English second: interface labels. Rule texts and citations stay Chinese (they are law)."""

from __future__ import annotations

from fastapi import Request

LANGS = ("zh", "en")
TEXT: dict[str, tuple[str, str]] = {
    "site": ("职称评审平台（工程技术系列）", "Professional Title Evaluation (Engineering)"),
    "home": ("首页", "Home"),
    "standards": ("评价标准", "Standards"),
    "selfcheck": ("申报资格自查", "Eligibility self-check"),
    "notices": ("公示", "Public notices"),
    "verify": ("证书查验", "Verify a certificate"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "workbench": ("工作台", "Workbench"),
    "switch": ("English", "中文"),
    "skip": ("跳到正文", "Skip to content"),
    "in_force": ("在施", "In force"),
    "not_in_force": ("不在有效期", "Not in force"),
    "effective": ("施行", "Effective"),
    "expires": ("失效", "Expires"),
    "levels": ("层级", "Levels"),
    "document": ("文件", "Document"),
    "doc_no": ("文号", "Number"),
    "check": ("检查", "Check"),
    "as_of": ("评审基准日", "Reference date"),
    "education": ("学历", "Education"),
    "graduation": ("毕业日期", "Graduation date"),
    "work_start": ("开始从事本专业技术工作", "Started work in the specialty"),
    "titles": ("已取得职称", "Titles held"),
    "grade": ("等级", "Grade"),
    "series": ("系列", "Series"),
    "obtained": ("取得日期", "Date obtained"),
    "direction": ("专业方向 / 工作类型", "Direction / work type"),
    "assessments": ("年度考核", "Annual assessments"),
    "achievements": ("成果", "Achievements"),
    "kind": ("类型", "Kind"),
    "date": ("日期", "Date"),
    "rank": ("排名", "Rank"),
    "role": ("角色", "Role"),
    "result": ("结论", "Result"),
    "route": ("路线", "Route"),
    "eligible_from": ("最早可申报", "Eligible from"),
    "missing": ("还需要", "Still needed"),
    "details": ("详情", "Details"),
    "none": ("无", "None"),
    "add_row": ("再加一行", "Add a row"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_hint": (
        "连续5次密码错误账号将锁定15分钟。申报人请先实名注册；工作人员账号由管理员开通。",
        "Five wrong passwords lock the account for 15 minutes. Staff accounts are created by the administrator.",
    ),
    "privacy": ("自查不保存任何数据。", "The self-check stores nothing."),
    # applicant, unit and department pages, public notices (web/applicant.py, unit.py, notices.py)
    "register": ("实名注册", "Register"),
    "my_applications": ("我的申报", "My applications"),
    "new_application": ("新建申报", "New application"),
    "progress": ("办理进度", "Progress"),
    "evidence": ("证明材料", "Evidence"),
    "save": ("保存", "Save"),
    "queue": ("待办申报", "Applications to review"),
    "all_applications": ("全部申报", "All applications"),
    "unit_work": ("用人单位审核", "Employer review"),
    "department_work": ("主管部门审核", "Department review"),
    "objections": ("异议", "Objections"),
    "file_objection": ("提出异议", "Raise an objection"),
    "running": ("公示中", "Running"),
    "ended": ("已结束", "Ended"),
    # agency, expert and bureau workbenches, certificate verification (web/agency.py, expert.py, bureau.py)
    "ws_nav": ("工作台导航", "Workbench navigation"),
    "ws_overview": ("概览", "Overview"),
    "ws_rounds": ("评审轮次", "Rounds"),
    "ws_review": ("资格审核", "Qualification review"),
    "ws_committees": ("评委会", "Committees"),
    "ws_experts": ("评审专家", "Experts"),
    "ws_meetings": ("评审会议", "Meetings"),
    "ws_results": ("结果公示", "Results notices"),
    "ws_objections": ("异议处理", "Objections"),
    "ws_issue": ("发证", "Issue certificates"),
    "ws_accounts": ("账户激活", "Account activation"),
    "activate": ("首次登录/激活账户", "First login / activate account"),
    "forgot_password": ("忘记密码", "Forgot password"),
    "ws_my_meetings": ("我的评审会议", "My review meetings"),
    "ws_acceptance": ("验收", "Acceptance"),
    "ws_integrity": ("诚信档案", "Integrity archive"),
    "ws_certificates": ("证书", "Certificates"),
    "ws_audit": ("审计记录", "Audit trail"),
    "ws_stats": ("统计", "Statistics"),
    "verify_result": ("查验结果", "Verification result"),
}


def lang_of(request: Request) -> str:
    lang = request.cookies.get("zc_lang", "zh")
    return lang if lang in LANGS else "zh"


def translator(request: Request):  # type: ignore[no-untyped-def]
    i = LANGS.index(lang_of(request))

    def t(key: str) -> str:
        pair = TEXT.get(key)
        return pair[i] if pair else key

    return t
