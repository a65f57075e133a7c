"""Chinese labels for the enumerations the forms offer (the values themselves come from policy.profile)."""

from __future__ import annotations

from zhicheng.policy.catalog import default_catalog
from zhicheng.policy.profile import EDUCATION_NAMES, GRADE_NAMES

EDUCATION = {k.value: v for k, v in EDUCATION_NAMES.items()}
GRADES = {str(k): v for k, v in GRADE_NAMES.items()}
ACHIEVEMENT_KINDS = {
    "paper": "论文",
    "invention_patent": "发明专利",
    "utility_patent": "实用新型/外观设计专利",
    "patent_award": "中国专利奖",
    "design_award": "中国外观设计奖",
    "standard": "标准",
    "book": "专著、编著",
    "research_project": "攻关项目、科研课题",
    "tech_report": "技术报告、研究报告",
    "design_document": "设计文件",
    "construction_method": "行业工法",
    "new_product": "新技术、新产品、新工艺",
    "first_set_equipment": "首台套装备",
    "tech_transfer": "成果转移转化",
    "transfer_contract": "技术转移转化服务合同",
    "science_award": "科技奖励",
    "industry_award": "行业奖项",
    "competition_award": "大赛获奖",
    "security_finding": "发现风险隐患",
    "incident_response": "处置安全事件",
    "vulnerability": "重要漏洞（CNVD/CNNVD认可）",
    "event_security": "重大活动网络安全保障",
    "policy_advice": "政策建议被采纳",
    "planning": "规划、政策、规范制定",
    "talent_award": "人才表彰奖励",
    "innovation_product": "创新产品、首创产品",
    "key_org_tech_lead": "重点单位技术负责人",
}
ROLES = {
    "": "—",
    "lead": "主持/主要负责人",
    "main": "主要完成人/起草人",
    "participant": "参与人",
    "corresponding": "通讯作者",
}
LEVELS = {"": "—", "1": "单位", "2": "县（区）级", "3": "市级", "4": "省部级", "5": "国家级", "6": "国际"}
AWARD_GRADES = {"": "—", "1": "一等奖/金奖", "2": "二等奖/银奖", "3": "三等奖/优秀奖"}
VENUES = {
    "": "—",
    "public_journal": "公开发行学术刊物",
    "core_journal": "核心期刊",
    "national_forum": "国家级论坛报告",
    "international_forum": "国际论坛报告",
    "indexed": "SCI/EI 收录",
}
STANDARD_LEVELS = {
    "": "—",
    "1": "企业标准",
    "2": "团体标准",
    "3": "地方标准",
    "4": "行业标准",
    "5": "国家标准",
    "6": "国际标准",
}
ASSESSMENTS = {
    "": "未填写",
    "excellent": "优秀",
    "competent": "合格",
    "basically_competent": "基本合格",
    "incompetent": "不合格",
}
STATUS = {"eligible": "符合", "ineligible": "不符合", "needs_review": "待人工判断", "not_in_force": "无在施标准"}
ROUTES = {"regular": "正常申报", "exceptional": "破格", "direct_track": "直通车"}
# 专业方向 of every document (ids are unique across the catalog: each names its specialty)
DIRECTIONS = {d.id: d.name for doc in default_catalog().documents.values() for d in doc.directions}
