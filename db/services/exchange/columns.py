"""The exchange format: kinds of roster, their columns and the parser of every field (docs/DESIGN.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.fields import (
    FieldError,
    check_contact_phone,
    check_id_number,
    check_mobile,
    check_name,
    check_not_future,
    check_uscc,
    clean_text,
    free_text,
    parse_board_lodging,
    parse_contract_type,
    parse_date,
    parse_employment_form,
    parse_gender,
    parse_gender_requirement,
    parse_household,
    parse_level,
    parse_mandarin,
    parse_number,
    parse_skill,
    parse_skills,
    split_list,
)
from core.households import parse_labour, parse_monitoring_kind, parse_month, parse_yes_no
from core.i18n import tr
from core.vocab import PROVINCES, VACANCY_STATUSES

KINDS = ("trainees", "vacancies", "placements")
KIND_LABELS = {"trainees": ("学员名册", "Trainee roster"), "vacancies": ("岗位需求", "Vacancies"),
               "placements": ("就业台账", "Placements"),
               # the monitoring system's exports (db/services/households), read by the same machinery
               "household_members": ("监测系统家庭成员导出表", "Monitoring system member export"),
               "household_work": ("已外出务工信息表", "Monthly work table")}

# A roster of 300,000 people is larger than any county; a file over 50 MB is not a roster (a
# 50,000-row xlsx is about 4 MB). Both are refused before parsing, with a message saying so.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DATA_ROWS = 300_000
# A workbook is measured from its zip before calamine reads it: calamine allocates the whole
# rectangle from A1 to the last cell (one cell at XFD1048576 is 549 GB). These bounds keep any
# file under MAX_FILE_BYTES well under 1 GB of memory.
MAX_SHEET_ROWS = MAX_DATA_ROWS + 10_000  # title, blank and totals rows around the data
MAX_SHEET_COLS = 200
MAX_SHEET_CELLS = 6_500_000
MAX_UNZIPPED_BYTES = 600 * 1024 * 1024
MAX_ZIP_RATIO = 250  # per member over 1 MB; real sheets compress 5–30×, a zip bomb thousands×
HEADER_SCAN_ROWS = 30
_CHUNK = 500  # keys per IN (...) lookup: well below every backend's parameter limit

Progress = Callable[[int, str], None]



# --- column specifications ----------------------------------------------------------------------

@dataclass(frozen=True)
class Col:
    field: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return tr(self.zh, self.en)


TRAINEE_COLUMNS: tuple[Col, ...] = (
    Col("name", "姓名", "Name", True, ("学员姓名",)),
    Col("id_number", "身份证号", "ID number", True, ("身份证号码", "公民身份号码", "身份证", "证件号码", "idnumber")),
    Col("gender", "性别", "Gender"),
    Col("ethnicity", "民族", "Ethnicity"),
    Col("phone", "手机号", "Mobile", aliases=("手机号码", "手机", "联系电话", "电话")),
    Col("township", "乡镇", "Township", aliases=("乡镇(街道)", "乡(镇)")),
    Col("village", "村", "Village", aliases=("村(社区)", "行政村", "村社区")),
    Col("household_type", "户类型", "Household type", aliases=("家庭类型", "户别", "household")),
    Col("skills", "技能", "Skills", aliases=("培训工种", "工种", "培训专业", "skill")),
    Col("skill_level", "技能等级", "Skill level", aliases=("等级", "证书等级", "level")),
    Col("school", "培训学校", "School", aliases=("培训机构",)),
    Col("graduation_date", "结业日期", "Graduation date", aliases=("结业时间",)),
    Col("training_hours", "培训课时", "Training hours", aliases=("课时", "学时", "hours")),
    Col("mandarin", "普通话", "Mandarin", aliases=("普通话水平",)),
    Col("preferred_regions", "意向地区", "Preferred regions", aliases=("意向就业地区", "意向地")),
    Col("expected_wage", "期望月薪", "Expected wage", aliases=("期望工资", "期望薪资")),
    Col("available_from", "可出发日期", "Available from", aliases=("可出发时间",)),
    Col("health_cert_expiry", "健康证有效期", "Health certificate expiry", aliases=("健康证到期日期", "健康证到期")),
    Col("notes", "备注", "Notes"),
)

VACANCY_COLUMNS: tuple[Col, ...] = (
    Col("code", "岗位编号", "Code", True, ("vacancy_code",)),
    Col("employer", "用人单位", "Employer", True, ("单位名称", "企业名称", "用工单位")),
    Col("uscc", "统一社会信用代码", "USCC", aliases=("信用代码", "社会信用代码")),
    Col("province", "省份", "Province", True, ("省",)),
    Col("city", "城市", "City", True, ("市", "地市")),
    Col("district", "区县", "District", aliases=("区",)),
    Col("partner_city", "对口城市", "Partner city"),
    Col("title", "岗位名称", "Title", True, ("岗位",)),
    Col("skill", "技能要求", "Skill", True, ("工种", "技能")),
    Col("min_level", "最低等级", "Minimum level", aliases=("等级要求",)),
    Col("headcount", "招聘人数", "Headcount", aliases=("需求人数", "人数")),
    Col("wage_min", "月薪下限", "Wage min", aliases=("最低月薪",)),
    Col("wage_max", "月薪上限", "Wage max", aliases=("最高月薪",)),
    Col("board_lodging", "包吃住", "Board and lodging", aliases=("食宿",)),
    Col("age_min", "年龄下限", "Age min", aliases=("最低年龄",)),
    Col("age_max", "年龄上限", "Age max", aliases=("最高年龄",)),
    Col("gender_requirement", "性别要求", "Gender requirement"),
    Col("contract_type", "用工类型", "Contract type"),
    Col("start_date", "到岗日期", "Start date", aliases=("上岗日期",)),
    Col("contact", "联系人", "Contact"),
    Col("contact_phone", "联系电话", "Contact phone"),
    Col("needs_health_cert", "需要健康证", "Needs health certificate", aliases=("健康证要求",)),
    Col("status", "状态", "Status", aliases=("岗位状态",)),
)

PLACEMENT_COLUMNS: tuple[Col, ...] = (
    Col("id_number", "身份证号", "ID number", True, ("身份证号码", "公民身份号码", "身份证")),
    Col("name", "姓名", "Name"),
    Col("vacancy_code", "岗位编号", "Vacancy code", True, ("code",)),
    Col("start_date", "上岗日期", "Start date", True, ("到岗日期",)),
    Col("end_date", "离岗日期", "End date"),
    Col("employment_form", "用工形式", "Employment form"),
    Col("skilled_since", "转为职业工日期", "Skilled since"),
    Col("monthly_wage", "月收入", "Monthly wage", aliases=("月工资", "月薪")),
    Col("leave_reason", "离岗原因", "Leave reason"),
)

# The poverty-monitoring system's member export: one row per member, headers spelt several ways.
# Headers are compared without a parenthesised note, so 县(市、区、旗) is 县 and 乡(镇) is 乡.
HOUSEHOLD_MEMBER_COLUMNS: tuple[Col, ...] = (
    Col("county", "县", "County", aliases=("县(市、区、旗)", "县市区", "县区", "区县")),
    Col("township", "乡", "Township", aliases=("乡(镇)", "乡镇", "乡镇(街道)")),
    Col("village", "村", "Village", aliases=("行政村", "村(社区)")),
    Col("natural_village", "自然村", "Natural village", aliases=("组", "自然村(组)")),
    Col("household_code", "户编号", "Household code", True, ("户码", "household_code")),
    Col("person_code", "人编号", "Person code", aliases=("人员编号",)),
    Col("name", "姓名", "Name", True),
    Col("id_type", "证件类型", "ID type"),
    Col("id_number", "证件号码", "ID number", True, ("身份证号", "身份证号码", "公民身份号码")),
    Col("relation", "与户主关系", "Relation to head", aliases=("与户主的关系",)),
    Col("gender", "性别", "Gender"),
    Col("size", "人数", "Household size", aliases=("家庭人口数", "户人数", "家庭人数")),
    Col("household_kind", "户类型", "Household type", aliases=("户别",)),
    Col("monitoring_kind", "监测对象类别", "Monitoring kind", aliases=("检测对象类别", "监测类型", "监测对象类型")),
    *(Col(f"risk{i}", f"致贫/返贫风险{i}", f"Risk {i}", aliases=(f"返贫致贫风险{i}", f"致贫返贫风险{i}", f"风险{i}"))
      for i in range(1, 6)),
    Col("identified_month", "识别监测时间", "Identified", aliases=("纳入监测时间", "识别时间")),
    Col("eliminated", "风险是否已消除", "Risk eliminated", aliases=("是否消除风险", "风险是否消除")),
    Col("elimination_method", "风险消除方式", "Elimination method", aliases=("消除方式",)),
    Col("eliminated_month", "消除监测时间", "Eliminated", aliases=("风险消除时间", "消除时间")),
    Col("labour", "劳动技能", "Labour capacity", aliases=("劳动能力",)),
    Col("work_place", "务工所在地", "Place of work", aliases=("务工地点",)),
    Col("income_per_capita", "人均纯收入", "Net income per head", aliases=("人均纯收入(元)", "家庭人均纯收入")),
    Col("wage_income", "工资性收入", "Wage income", aliases=("工资性收入(元)",)),
    Col("income_year", "收入年度", "Income year", aliases=("年度",)),
)

# （务工月监测）已外出务工信息: one row per job of a member.
HOUSEHOLD_WORK_COLUMNS: tuple[Col, ...] = (
    Col("county", "县", "County", aliases=("县(市、区、旗)", "县市区", "县区")),
    Col("township", "乡", "Township", aliases=("乡(镇)", "乡镇")),
    Col("village", "行政村", "Village", aliases=("村",)),
    Col("household_code", "户编号", "Household code"),
    Col("name", "姓名", "Name"),
    Col("id_number", "证件号码", "ID number", True, ("身份证号", "身份证号码", "公民身份号码")),
    Col("household_kind", "户类型", "Household type"),
    Col("monitoring_kind", "监测对象类别", "Monitoring kind", aliases=("检测对象类别",)),
    Col("working", "是否已务工", "Working", aliases=("是否务工",)),
    Col("place", "务工所在县", "County of work", aliases=("务工所在地", "务工地点", "务工地")),
    Col("start_month", "开始时间", "Start", True, ("务工开始时间", "外出务工开始时间")),
    Col("end_month", "结束时间", "End", aliases=("务工结束时间",)),
    Col("monthly_income", "务工月收入", "Monthly income", aliases=("月收入", "务工月收入(元)")),
    Col("employer", "务工企业名称", "Employer", aliases=("务工单位", "企业名称", "就业单位")),
    Col("industry", "所属行业", "Industry", aliases=("行业",)),
    Col("channel", "就业渠道", "Channel", aliases=("就业方式", "务工渠道")),
    Col("point_to_point", "是否点对点输送", "Point-to-point transport", aliases=("点对点输送",)),
    Col("travel_subsidy", "年度交通费补助", "Travel subsidy", aliases=("交通费补助", "交通补助")),
)

COLUMNS: dict[str, tuple[Col, ...]] = {"trainees": TRAINEE_COLUMNS, "vacancies": VACANCY_COLUMNS,
                                       "placements": PLACEMENT_COLUMNS,
                                       "household_members": HOUSEHOLD_MEMBER_COLUMNS,
                                       "household_work": HOUSEHOLD_WORK_COLUMNS}
# A member listed in two households is not a key conflict here: the households service reports it.
KEY_FIELDS = {"trainees": ("id_number",), "vacancies": ("code",),
              "placements": ("id_number", "vacancy_code", "start_date"),
              "household_members": ("id_number", "household_code"),
              "household_work": ("id_number", "start_month", "employer")}


def _norm_header(value: object) -> str:
    text = clean_text(value)
    text = re.sub(r"[（(][^）)]*[）)]", "", text)  # "身份证号（18位）" is 身份证号
    return re.sub(r"[\s*＊:：]", "", text).lower()


def _header_lookup(kind: str) -> dict[str, Col]:
    lookup: dict[str, Col] = {}
    for col in COLUMNS[kind]:
        for name in (col.zh, col.field, col.en, *col.aliases):
            lookup.setdefault(_norm_header(name), col)
            lookup.setdefault(_norm_header(re.sub(r"[（(][^）)]*[）)]", "", name)), col)
    return lookup


# --- field parsers ------------------------------------------------------------------------------

def _text(max_len: int, zh: str, en: str, *, free: bool = False) -> Callable[[Any], str]:
    """A text cell; ``free`` text a person wrote (notes, titles, reasons) keeps its punctuation as typed."""
    def parse(value: Any) -> str:
        text = free_text(value) if free else clean_text(value)
        if len(text) > max_len:
            raise FieldError(tr(f"{zh}过长（{len(text)} 个字，最多 {max_len} 个）",
                                f"{en} too long ({len(text)} characters, at most {max_len})"))
        return text
    return parse


def _date(zh: str, en: str, *, past: bool = False) -> Callable[[Any], dt.date]:
    """``past``: a date of something that has happened (graduation), so not later than today."""
    def parse(value: Any) -> dt.date:
        day = parse_date(value, zh, en)
        assert day is not None
        if not (dt.date(1950, 1, 1) <= day <= dt.date(2100, 12, 31)):
            raise FieldError(tr(f"{zh}超出合理范围：{day:%Y-%m-%d}", f"{en} out of range: {day:%Y-%m-%d}"))
        if past:
            check_not_future(day, zh, en)
        return day
    return parse


def _int(zh: str, en: str, lo: float, hi: float) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = parse_number(value, zh, en, minimum=lo, maximum=hi)
        assert number is not None
        return int(round(number))
    return parse


def _strict_int(zh: str, en: str, lo: float, hi: float) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = parse_number(value, zh, en, minimum=lo, maximum=hi, integer=True)
        assert number is not None
        return int(number)
    return parse


def _regions(value: Any) -> str:
    parts: list[str] = []
    for part in split_list(value):
        part = _province(part) if _province_or_none(part) else part.removesuffix("市")
        if part not in parts:
            parts.append(part)
    text = ",".join(parts)
    if len(text) > 200:
        raise FieldError(tr("意向地区过长（最多 200 个字）", "Preferred regions too long (at most 200 characters)"))
    return text


def _province_or_none(text: str) -> str | None:
    for name in PROVINCES:
        if text.startswith(name):
            return name
    return None


def _province(value: Any) -> str:
    text = clean_text(value).replace(" ", "")
    name = _province_or_none(text)
    if name is None:
        raise FieldError(tr(f"省份无法识别：“{text}”（如 江苏、上海、广东）",
                            f"Unrecognised province '{text}' (e.g. Jiangsu, Shanghai, Guangdong)"))
    return name


def _yes_no(zh: str, en: str) -> Callable[[Any], bool]:
    def parse(value: Any) -> bool:
        text = clean_text(value).replace(" ", "").lower()
        if text in {"是", "需要", "要", "yes", "y", "true", "1"}:
            return True
        if text in {"否", "不需要", "不要", "no", "n", "false", "0"}:
            return False
        raise FieldError(tr(f"{zh}应为“是”或“否”：“{text}”", f"{en} must be yes or no: '{text}'"))
    return parse


_STATUS_ALIASES = {**{zh: k for k, (zh, _en) in VACANCY_STATUSES.items()}, **{k: k for k in VACANCY_STATUSES},
                   "招聘中": "open", "已招满": "filled", "已关闭": "closed", "停招": "closed"}
_STATUS_NAMES = (" / ".join(zh for zh, _en in VACANCY_STATUSES.values()),
                 " / ".join(en.lower() for _zh, en in VACANCY_STATUSES.values()))


def _vacancy_status(value: Any) -> str:
    text = clean_text(value).replace(" ", "").lower()
    if text not in _STATUS_ALIASES:
        raise FieldError(tr(f"岗位状态无法识别：“{text}”（{_STATUS_NAMES[0]}）",
                            f"Unrecognised status '{text}' ({_STATUS_NAMES[1]})"))
    return _STATUS_ALIASES[text]


def _compact(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Codes: no spaces inside."""
    return lambda v: parse(clean_text(v).replace(" ", ""))


# field -> (parser, cacheable): cacheable parsers see few distinct values, so a dict per import
# turns 50,000 calls into a few hundred.
PARSERS: dict[str, dict[str, tuple[Callable[[Any], Any], bool]]] = {
    "trainees": {
        "name": (check_name, False),
        "id_number": (check_id_number, False),
        "gender": (parse_gender, True),
        "ethnicity": (_text(20, "民族", "Ethnicity"), True),
        "phone": (check_mobile, False),
        "township": (_text(40, "乡镇", "Township"), True),
        "village": (_text(40, "村", "Village"), True),
        "household_type": (parse_household, True),
        "skills": (lambda v: ",".join(parse_skills(v, "技能", "Skill")), True),
        "skill_level": (parse_level, True),
        "school": (_text(100, "培训学校", "School"), True),
        "graduation_date": (_date("结业日期", "Graduation date", past=True), True),
        "training_hours": (_strict_int("培训课时", "Training hours", 0, 5000), True),
        "mandarin": (parse_mandarin, True),
        "preferred_regions": (_regions, True),
        "expected_wage": (_int("期望月薪", "Expected wage", 0, 100000), True),
        "available_from": (_date("可出发日期", "Available from"), True),
        "health_cert_expiry": (_date("健康证有效期", "Health certificate expiry"), True),
        "notes": (_text(2000, "备注", "Notes", free=True), False),
    },
    "vacancies": {
        "code": (_compact(_text(40, "岗位编号", "Code")), False),
        "employer": (_text(100, "用人单位", "Employer"), True),
        "uscc": (check_uscc, True),
        "province": (_province, True),
        "city": (lambda v: _text(30, "城市", "City")(v).replace(" ", "").removesuffix("市") or clean_text(v), True),
        "district": (_text(30, "区县", "District"), True),
        "partner_city": (_text(30, "对口城市", "Partner city"), True),
        "title": (_text(60, "岗位名称", "Title", free=True), True),
        "skill": (lambda v: parse_skill(v, "技能要求", "Skill"), True),
        "min_level": (parse_level, True),
        "headcount": (_strict_int("招聘人数", "Headcount", 1, 10000), True),
        "wage_min": (_int("月薪下限", "Wage min", 0, 200000), True),
        "wage_max": (_int("月薪上限", "Wage max", 0, 200000), True),
        "board_lodging": (parse_board_lodging, True),
        "age_min": (_strict_int("年龄下限", "Age min", 14, 80), True),
        "age_max": (_strict_int("年龄上限", "Age max", 14, 80), True),
        "gender_requirement": (parse_gender_requirement, True),
        "contract_type": (parse_contract_type, True),
        "start_date": (_date("到岗日期", "Start date"), True),
        "contact": (_text(40, "联系人", "Contact"), True),
        "contact_phone": (check_contact_phone, True),
        "needs_health_cert": (_yes_no("需要健康证", "Needs health certificate"), True),
        "status": (_vacancy_status, True),
    },
    "placements": {
        "id_number": (check_id_number, False),
        "name": (check_name, False),
        "vacancy_code": (_compact(_text(40, "岗位编号", "Vacancy code")), True),
        "start_date": (_date("上岗日期", "Start date"), True),
        "end_date": (_date("离岗日期", "End date"), True),
        "employment_form": (parse_employment_form, True),
        "skilled_since": (_date("转为职业工日期", "Skilled since"), True),
        "monthly_wage": (_int("月收入", "Monthly wage", 0, 200000), True),
        "leave_reason": (_text(200, "离岗原因", "Leave reason", free=True), True),
    },
}


def _month(zh: str, en: str) -> Callable[[Any], dt.date]:
    return lambda v: parse_month(v, zh, en)


def _code(zh: str, en: str) -> Callable[[Any], str]:
    """户编号 / 人编号: long digit strings; one Excel stored as a number has lost its digits."""
    def parse(value: Any) -> str:
        if isinstance(value, float) and value >= 1e15:
            raise FieldError(tr(f"{zh}被Excel当作数字，末尾几位已丢失：请把该列设置为“文本”格式后重新导出",
                                f"The {en} was stored by Excel as a number and lost digits: format the column "
                                "as Text and export again"))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(_compact(_text(40, zh, en))(value))
    return parse


def _risk(value: Any) -> str:
    text = _text(40, "致贫/返贫风险", "Risk")(value).replace(" ", "")
    return "" if text in {"无", "-", "/"} else text


def _whole(zh: str, en: str, hi: float) -> Callable[[Any], int]:
    return _int(zh, en, 0, hi)


PARSERS["household_members"] = {
    "county": (_text(40, "县", "County"), True),
    "township": (_text(40, "乡", "Township"), True),
    "village": (_text(40, "村", "Village"), True),
    "natural_village": (_text(40, "自然村", "Natural village"), True),
    # every member's row repeats the 户编号; a family's names repeat across an export's many households
    "household_code": (_code("户编号", "household code"), True),
    "person_code": (_code("人编号", "person code"), False),
    "name": (check_name, True),
    "id_type": (_text(20, "证件类型", "ID type"), True),
    "id_number": (check_id_number, False),
    "relation": (_text(20, "与户主关系", "Relation to head"), True),
    "gender": (parse_gender, True),
    "size": (_strict_int("人数", "Household size", 1, 30), True),
    "household_kind": (parse_household, True),
    "monitoring_kind": (parse_monitoring_kind, True),
    **{f"risk{i}": (_risk, True) for i in range(1, 6)},
    "identified_month": (_month("识别监测时间", "Identified"), True),
    "eliminated": (lambda v: parse_yes_no(v, "风险是否已消除", "Risk eliminated"), True),
    "elimination_method": (_text(20, "风险消除方式", "Elimination method"), True),
    "eliminated_month": (_month("消除监测时间", "Eliminated"), True),
    "labour": (parse_labour, True),
    "work_place": (_text(100, "务工所在地", "Place of work"), True),
    "income_per_capita": (_whole("人均纯收入", "Net income per head", 10_000_000), True),
    "wage_income": (_whole("工资性收入", "Wage income", 10_000_000), True),
    "income_year": (_strict_int("收入年度", "Income year", 2000, 2100), True),
}

PARSERS["household_work"] = {
    "county": (_text(40, "县", "County"), True),
    "township": (_text(40, "乡", "Township"), True),
    "village": (_text(40, "行政村", "Village"), True),
    "household_code": (_code("户编号", "household code"), False),
    "name": (check_name, False),
    "id_number": (check_id_number, False),
    "household_kind": (parse_household, True),
    "monitoring_kind": (parse_monitoring_kind, True),
    "working": (lambda v: parse_yes_no(v, "是否已务工", "Working"), True),
    "place": (_text(100, "务工所在县", "County of work"), True),
    "start_month": (_month("开始时间", "Start"), True),
    "end_month": (_month("结束时间", "End"), True),
    "monthly_income": (_whole("务工月收入", "Monthly income", 200_000), True),
    "employer": (_text(100, "务工企业名称", "Employer", free=True), True),
    "industry": (_text(40, "所属行业", "Industry"), True),
    "channel": (_text(40, "就业渠道", "Channel"), True),
    "point_to_point": (lambda v: parse_yes_no(v, "是否点对点输送", "Point-to-point transport"), True),
    "travel_subsidy": (_whole("年度交通费补助", "Travel subsidy", 100_000), True),
}
