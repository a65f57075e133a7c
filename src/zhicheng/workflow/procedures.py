"""The review procedure as data: one definition per document family (DESIGN.md, workflow/).

A procedure is a set of steps (application states). Each step names the role whose turn it is, the
actions that role may take and where each leads, and an optional deadline in working days. The
state machine (workflow/service.py) only moves applications along these edges; nothing else in the
code decides who may do what next.

Beijing (京人社事业发〔2020〕30号 五, 京人社事业发〔2020〕17号): 个人申报 → 单位推荐（单位内部公示 ≥5 个工作日）
→ 评审机构审核（一次性告知补正）→ 专业评议组评议 → 评委会表决 → 市人社局验收 → 结果公示（≥5 个工作日）→ 发证.
Qingdao (青西新管发〔2023〕13号 三（三）): 个人申报 → 单位审核与公示（≥5 个工作日）→ 主管部门审核 → 组建单位审核
（一次性告知，逾期视为放弃）→ 评委会评审 → 结果公示（山东省专业技术人员管理服务平台，≥5 个工作日）→ 核准备案、电子证书.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["applicant", "unit", "department", "agency", "expert", "bureau", "admin", "system"]


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    label: str
    to: str
    needs_reason: bool = False
    # a guard the service checks before the move (named, implemented once in service.py)
    guard: str | None = None
    # taken by another service as the outcome of its own procedure (the committee's ballot), never offered as
    # a button: a person cannot take it by hand
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    state: str
    label: str
    role: Role
    actions: tuple[Action, ...] = ()
    deadline_workdays: int | None = None
    final: bool = False


@dataclass(frozen=True, slots=True)
class Procedure:
    id: str
    label: str
    source: str
    steps: dict[str, Step] = field(default_factory=dict)
    notice_workdays: int = 5

    def step(self, state: str) -> Step:
        return self.steps[state]

    def action(self, state: str, name: str) -> Action | None:
        return next((a for a in self.steps[state].actions if a.name == name), None)


def _steps(*steps: Step) -> dict[str, Step]:
    return {s.state: s for s in steps}


_FINAL = (
    Step("rejected", "未通过资格审核", "system", final=True),
    Step("not_recommended", "单位不予推荐", "system", final=True),
    Step("withdrawn", "已撤回或视为放弃申报", "system", final=True),
    Step("failed", "评审未通过", "system", final=True),
    Step("vetoed", "一票否决", "system", final=True),
    Step("certified", "已取得职称证书", "system", final=True),
)

_HEAD = (
    Step(
        "draft",
        "填写申报材料",
        "applicant",
        (
            Action("submit", "提交申报（含诚信承诺）", "unit_review", guard="can_submit"),
            Action("withdraw", "撤回申报", "withdrawn"),
        ),
    ),
    Step(
        "unit_review",
        "用人单位审核",
        "unit",
        (
            Action("start_notice", "通过审核并开始单位内部公示", "unit_notice", guard="notice_started"),
            Action("return", "退回申报人修改", "draft", needs_reason=True),
            Action("decline", "不予推荐", "not_recommended", needs_reason=True),
        ),
    ),
)

_TAIL = (
    Step(
        "agency_review",
        "评审机构资格审核",
        "agency",
        (
            Action("accept", "资格审核通过", "committee", guard="verdict_recorded"),
            Action("request_correction", "一次性告知补正", "correction", guard="correction_issued"),
            Action("reject", "不符合申报条件", "rejected", needs_reason=True),
        ),
    ),
    Step(
        "correction",
        "申报人补正材料",
        "applicant",
        (
            Action("resubmit", "提交补正材料", "agency_review", guard="correction_answered"),
            Action("expire", "逾期未补正，视为放弃申报", "withdrawn", guard="correction_expired"),
        ),
    ),
    Step(
        "committee",
        "专业评议组评议与评委会表决",
        "agency",
        (
            # the result of the sealed secret ballot (review.service.close_ballot), never a bare click
            Action("record_pass", "评委会表决通过", "acceptance", guard="committee_passed", automatic=True),
            Action("record_fail", "评委会表决未通过", "failed", guard="committee_failed", automatic=True),
        ),
    ),
)


BEIJING = Procedure(
    id="beijing",
    label="北京市工程技术系列职称评审程序",
    source="京人社事业发〔2020〕30号 五；京人社事业发〔2020〕17号 三（四）4",
    steps=_steps(
        *_HEAD,
        Step(
            "unit_notice",
            "单位内部公示（不少于5个工作日）",
            "unit",
            (
                Action("recommend", "公示期满无异议，出具推荐意见", "agency_review", guard="notice_over_no_objection"),
                Action("decline", "不予推荐", "not_recommended", needs_reason=True),
            ),
        ),
        *_TAIL,
        Step(
            "acceptance",
            "市人社局验收",
            "bureau",
            (Action("accept_results", "验收通过（登记批准文号）", "results_notice", guard="results_accepted"),),
        ),
        Step(
            "results_notice",
            "评审结果公示（不少于5个工作日）",
            "agency",
            (
                # taken by 发证 (certificates.service.issue_certificates), which signs the certificate with it
                Action(
                    "certify", "公示期满无异议，颁发证书", "certified", guard="notice_over_no_objection", automatic=True
                ),
                Action("record_fail", "异议属实，取消通过", "failed", needs_reason=True, guard="objection_upheld"),
            ),
        ),
        *_FINAL,
    ),
)

QINGDAO = Procedure(
    id="qingdao",
    label="青岛西海岸新区工业互联网职称评审程序",
    source="青西新管发〔2023〕13号 三（三）1–7",
    steps=_steps(
        *_HEAD,
        Step(
            "unit_notice",
            "单位内部公示（不少于5个工作日）",
            "unit",
            (
                Action("recommend", "公示无异议，报主管部门", "department_review", guard="notice_over_no_objection"),
                Action("decline", "不予推荐", "not_recommended", needs_reason=True),
            ),
        ),
        Step(
            "department_review",
            "主管部门审核",
            "department",
            (
                Action("forward", "审核通过，报组建单位", "agency_review"),
                Action("return", "退回用人单位", "unit_review", needs_reason=True),
            ),
        ),
        *_TAIL,
        Step(
            "acceptance",
            "核准备案",
            "bureau",
            (
                Action(
                    "accept_results",
                    "核准备案并在山东省专业技术人员管理服务平台公示",
                    "results_notice",
                    guard="results_accepted",
                ),
            ),
        ),
        Step(
            "results_notice",
            "评审结果公示（不少于5个工作日）",
            "agency",
            (
                # taken by 发证 (certificates.service.issue_certificates), which signs the certificate with it
                Action(
                    "certify", "公示无异议，发放电子证书", "certified", guard="notice_over_no_objection", automatic=True
                ),
                Action("record_fail", "异议属实，取消通过", "failed", needs_reason=True, guard="objection_upheld"),
            ),
        ),
        *_FINAL,
    ),
)

PROCEDURES: dict[str, Procedure] = {p.id: p for p in (BEIJING, QINGDAO)}

# The one-vote veto (一票否决, 京人社事业发〔2020〕17号 三（二）1) may end any non-final step.
VETO = Action("veto", "弄虚作假，一票否决", "vetoed", needs_reason=True)


def reachable(proc: Procedure) -> set[str]:
    """States reachable from draft (a test checks every step is reachable and every edge lands on a step)."""
    seen, todo = {"draft"}, ["draft"]
    while todo:
        for a in proc.steps[todo.pop()].actions:
            if a.to not in seen:
                seen.add(a.to)
                todo.append(a.to)
    return seen
