"""The vocabularies of the domain — skills, levels, household types, Mandarin, provinces, genders,
vacancy statuses, contract types, placement statuses, employment forms, alert kinds, roles, list
columns — each written once with its Chinese and English label. Pages (ui/), printing and the exchange
files (db/services/exchange, which write the Chinese label) all read them here."""

from __future__ import annotations

from core.i18n import tr

# --- vocabularies -------------------------------------------------------------------------------

SKILLS: dict[str, tuple[str, str]] = {
    "domestic_service": ("家政服务", "Domestic service"),
    "elderly_care": ("养老护理", "Elderly care"),
    "medical_care": ("医疗护理", "Hospital care"),
    "infant_care": ("育婴", "Infant care"),
}
SKILL_ALIASES = {
    "家政服务": "domestic_service", "家政服务员": "domestic_service", "家政": "domestic_service",
    "母婴护理": "infant_care", "母婴护理员": "infant_care", "月嫂": "infant_care",
    "养老护理": "elderly_care", "养老护理员": "elderly_care", "养老": "elderly_care",
    "医疗护理": "medical_care", "医疗护理员": "medical_care", "护工": "medical_care",
    "育婴": "infant_care", "育婴员": "infant_care", "育婴师": "infant_care",
}
for _k, (_zh, _en) in SKILLS.items():
    SKILL_ALIASES[_k] = _k
    SKILL_ALIASES[_en.lower()] = _k

HOUSEHOLD_TYPES: dict[str, tuple[str, str]] = {
    "general": ("一般户", "General"),
    "poverty_exited": ("脱贫户", "Poverty-exited"),
    "monitored": ("监测户", "Monitored"),
}
HOUSEHOLD_ALIASES = {
    "一般户": "general", "一般": "general", "普通户": "general",
    "脱贫户": "poverty_exited", "脱贫": "poverty_exited", "脱贫人口": "poverty_exited",
    "监测户": "monitored", "监测对象": "monitored", "监测": "monitored", "防返贫监测户": "monitored",
}
for _k, (_zh, _en) in HOUSEHOLD_TYPES.items():
    HOUSEHOLD_ALIASES[_k] = _k
    HOUSEHOLD_ALIASES[_en.lower()] = _k

MANDARIN: dict[str, tuple[str, str]] = {
    "fluent": ("流利", "Fluent"),
    "basic": ("一般", "Basic"),
    "poor": ("较差", "Poor"),
}
MANDARIN_ALIASES = {"流利": "fluent", "熟练": "fluent", "良好": "fluent", "一般": "basic",
                     "较差": "poor", "差": "poor", "不会": "poor"}
for _k, (_zh, _en) in MANDARIN.items():
    MANDARIN_ALIASES[_k] = _k
    MANDARIN_ALIASES[_en.lower()] = _k

LEVEL_NAMES: dict[int, tuple[str, str]] = {
    5: ("五级/初级工", "Level 5 (junior)"),
    4: ("四级/中级工", "Level 4 (intermediate)"),
    3: ("三级/高级工", "Level 3 (senior)"),
    2: ("二级/技师", "Level 2 (technician)"),
    1: ("一级/高级技师", "Level 1 (senior technician)"),
}
LEVEL_ALIASES = {
    "五级": 5, "初级": 5, "初级工": 5, "5级": 5,
    "四级": 4, "中级": 4, "中级工": 4, "4级": 4,
    "三级": 3, "高级": 3, "高级工": 3, "3级": 3,
    "二级": 2, "技师": 2, "2级": 2,
    "一级": 1, "高级技师": 1, "1级": 1,
}

PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
             "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
             "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"]

# ID region codes this product knows; an unknown one is only a warning (codes are re-assigned).
KNOWN_REGIONS = {
    "632126": "青海省海东市互助土族自治县（2013年前）",
    "630223": "青海省海东市互助土族自治县",
    "653024": "新疆克孜勒苏柯尔克孜自治州乌恰县",
}


def skill_label(key: str | None) -> str:
    return _label(SKILLS, key)


def level_label(level: int | None) -> str:
    if level is None:
        return ""
    zh, en = LEVEL_NAMES.get(level, (str(level), str(level)))
    return tr(zh, en)


def household_label(key: str | None) -> str:
    return _label(HOUSEHOLD_TYPES, key)


GENDERS: dict[str, tuple[str, str]] = {"M": ("男", "Male"), "F": ("女", "Female")}
ANY_GENDER: tuple[str, str] = ("不限", "Any")  # a vacancy open to both


def gender_label(key: str | None) -> str:
    """Short, for tables and lists: 男 / 女, in English M / F."""
    return tr(GENDERS[key][0], key) if key in GENDERS else ""


def zh_label(table: dict[str, tuple[str, str]], key: object, default: str = "") -> str:
    """The Chinese label whatever the program's language (exchange files are written in Chinese)."""
    return table[key][0] if isinstance(key, str) and key in table else default


# --- vacancies ----------------------------------------------------------------------------------

VACANCY_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("在招", "Open"), "filled": ("已满", "Filled"), "closed": ("关闭", "Closed")}
CONTRACT_TYPES: dict[str, tuple[str, str]] = {"long_term": ("长期", "Long-term"), "temporary": ("临时", "Temporary")}


def vacancy_status_label(status: str | None) -> str:
    return _label(VACANCY_STATUSES, status)


def contract_label(kind: str | None) -> str:
    return _label(CONTRACT_TYPES, kind)


# Columns of printed lists (db.services.lists lays them out), in printing order.
LIST_COLUMNS: dict[str, tuple[str, str]] = {
    "seq": ("序号", "No."), "name": ("姓名", "Name"), "gender": ("性别", "Gender"),
    "id_number": ("身份证号", "ID number"), "household_type": ("户类型", "Household"),
    "skill_level": ("技能/等级", "Skill / level"), "employer": ("用人单位", "Employer"), "job": ("岗位", "Job"),
    "wage": ("月薪", "Monthly wage"), "departure": ("出发日期", "Departure"), "phone": ("联系电话", "Phone"),
}


# --- placements ---------------------------------------------------------------------------------

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "proposed": ("拟派", "Proposed"), "confirmed": ("已确认", "Confirmed"), "departed": ("已出发", "Departed"),
    "on_job": ("在岗", "On the job"), "ended": ("已离岗", "Ended"), "declined": ("已放弃", "Declined"),
}
FORM_LABELS: dict[str, tuple[str, str]] = {"temporary": ("临时工", "Temporary"), "skilled": ("职业工", "Skilled")}
ALERT_LABELS: dict[str, tuple[str, str]] = {
    "not_replaced": ("离岗未再就业", "Left, not re-placed"),
    "no_followup": ("超期未回访", "No follow-up"),
    "low_wage": ("工资低于下限", "Wage below floor"),
}
# Monitored households first wherever people are listed for action.
HOUSEHOLD_RANK: dict[str, int] = {"monitored": 0, "poverty_exited": 1, "general": 2}


def _label(table: dict[str, tuple[str, str]], key: object) -> str:
    if not isinstance(key, str) or not key:
        return ""
    zh, en = table.get(key, (key, key))
    return tr(zh, en)


def status_label(status: str | None) -> str:
    return _label(STATUS_LABELS, status)


def form_label(form: str | None) -> str:
    return _label(FORM_LABELS, form)


def alert_label(kind: str | None) -> str:
    return _label(ALERT_LABELS, kind)


# --- roles --------------------------------------------------------------------------------------

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("局管理员", "Bureau administrator"), "staff": ("局工作人员", "Bureau staff"),
    "school": ("培训学校", "School staff"), "officer": ("经办/审核", "Officer"),
}


def role_label(role: str | None) -> str:
    return _label(ROLE_LABELS, role)
