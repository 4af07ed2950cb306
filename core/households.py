"""Households under poverty monitoring (防止返贫动态监测): the kinds, the value aliases of the monitoring
system's exports, months as the exports write them, who counts as in work in a month, where a job
is (省外 / 省内县外 / 县内), and the household type a linked trainee's priority comes from.

The header aliases of the exports live with the other exchange columns (db/services/exchange/columns.py);
the values written in those columns are read here. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np

from core.fields import FieldError, clean_text, parse_date, parse_household
from core.i18n import tr
from core.vocab import PROVINCES

# 监测对象类别: the three monitored kinds. None = not a monitoring object.
MONITORING_KINDS: dict[str, tuple[str, str]] = {
    "unstable": ("脱贫不稳定户", "Unstable poverty-exited"),
    "marginal": ("边缘易致贫户", "Marginal, prone to poverty"),
    "sudden": ("突发严重困难户", "Sudden severe hardship"),
}
MONITORING_ALIASES: dict[str, str | None] = {
    "脱贫不稳定户": "unstable", "脱贫不稳定型": "unstable", "脱贫不稳定": "unstable",
    "边缘易致贫户": "marginal", "边缘易致贫型": "marginal", "边缘易致贫": "marginal",
    "突发严重困难户": "sudden", "突发严重困难型": "sudden", "突发严重困难": "sudden",
    "无": None, "否": None, "非监测对象": None, "-": None, "/": None,
}
for _k, (_zh, _en) in MONITORING_KINDS.items():
    MONITORING_ALIASES[_k] = _k
    MONITORING_ALIASES[_en.lower()] = _k

# 劳动技能: who is labour force (劳动力). 无劳动力 / 丧失劳动力 are not.
LABOUR: dict[str, tuple[str, str]] = {
    "skilled": ("技能劳动力", "Skilled labour"),
    "ordinary": ("普通劳动力", "Ordinary labour"),
    "weak": ("弱劳动力或半劳动力", "Weak or half labour"),
    "none": ("无劳动力", "No labour capacity"),
}
LABOUR_ALIASES: dict[str, str] = {
    "技能劳动力": "skilled", "普通劳动力": "ordinary", "弱劳动力": "weak", "半劳动力": "weak",
    "弱劳动力或半劳动力": "weak", "无劳动力": "none", "丧失劳动力": "none", "无劳动能力": "none",
}
for _k, (_zh, _en) in LABOUR.items():
    LABOUR_ALIASES[_k] = _k
LABOUR_FORCE = frozenset({"skilled", "ordinary", "weak"})

# 与户主关系 of the head of the household, as the exports write it.
HEAD_RELATION = "户主"
# The risk code that says the household's trouble is unstable work (致贫/返贫风险).
WORK_RISK = "因务工就业不稳"
MAX_RISKS = 5

# Alerts: a township's members in work this far below the same month last year (a bureau setting), and
# the years a monitoring line (元 per head and year, set per province and year) may be set for; 0 = not set.
DROP_ALERT_PERCENT = 10
MONITORING_LINE_YEARS = range(2021, 2031)
ALERT_KINDS: dict[str, tuple[str, str]] = {
    "monitored_idle": ("监测户无人务工", "Monitored household, nobody in work"),
    "placement_ended": ("监测户成员离岗", "A monitored household's member left a job"),
    "work_risk_idle": ("因务工就业不稳且无人务工", "Risk 'unstable work' and nobody in work"),
    "township_drop": ("乡镇务工规模同比下降", "Township's members in work below last year"),
    "above_line": ("工资收入已超监测线（供消除风险评议参考）", "Wages above the monitoring line (advisory)"),
}

# Where a job is, as counties report 务工规模 (the same three as the statistics page).
DESTINATIONS = ("outside_province", "in_province", "in_county")
DESTINATION_LABELS = {"outside_province": ("省外", "Outside the province"),
                      "in_province": ("省内县外", "In province, outside county"),
                      "in_county": ("县内", "In the county")}


def alert_kind_label(kind: str | None) -> str:
    return tr(*ALERT_KINDS[kind]) if kind in ALERT_KINDS else ""


def monitoring_label(kind: str | None) -> str:
    return tr(*MONITORING_KINDS[kind]) if kind in MONITORING_KINDS else tr("非监测对象", "Not monitored")


def labour_label(key: str | None) -> str:
    return tr(*LABOUR[key]) if key in LABOUR else ""


def destination_label(key: str | None) -> str:
    return tr(*DESTINATION_LABELS[key]) if key in DESTINATION_LABELS else ""


def parse_monitoring_kind(value: object) -> str:
    """'' for not monitored, else the kind's key; an unknown label is an error, never a guess."""
    text = clean_text(value).replace(" ", "")
    if not text:
        return ""
    if text in MONITORING_ALIASES:
        return MONITORING_ALIASES[text] or ""
    if text.lower() in MONITORING_ALIASES:
        return MONITORING_ALIASES[text.lower()] or ""
    raise FieldError(tr(f"监测对象类别无法识别：“{text}”（脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户，或留空）",
                        f"Unknown monitoring kind '{text}' (unstable / marginal / sudden, or empty)"))


def parse_labour(value: object) -> str:
    text = clean_text(value).replace(" ", "")
    key = LABOUR_ALIASES.get(text) or LABOUR_ALIASES.get(text.lower())
    if key is None:
        raise FieldError(tr(f"劳动技能无法识别：“{text}”（技能劳动力 / 普通劳动力 / 弱劳动力 / 无劳动力）",
                            f"Unknown labour capacity '{text}' (skilled / ordinary / weak / none)"))
    return key


def parse_household_kind(value: object) -> str:
    """户类型 of the export (脱贫户 / 一般户 …) as the registry's household type key."""
    return parse_household(value)


def parse_yes_no(value: object, what: str, what_en: str) -> bool:
    text = clean_text(value).replace(" ", "").lower()
    if text in {"是", "已消除", "yes", "y", "1", "true"}:
        return True
    if text in {"否", "未消除", "no", "n", "0", "false"}:
        return False
    raise FieldError(tr(f"{what}应为“是”或“否”：“{text}”", f"{what_en} must be yes or no: '{text}'"))


def parse_month(value: object, what: str = "月份", what_en: str = "month") -> dt.date:
    """A month as the exports write it (202311, 2023年11月, 2023-11, an Excel date or serial) → its first day."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and (math.isnan(value) or not value.is_integer()):
            value = int(value) if not math.isnan(value) else value
        if isinstance(value, (int, float)) and 190001 <= value <= 210012:
            value = str(int(value))
    if isinstance(value, str):
        text = clean_text(value).replace(" ", "")
        # "202311.0": a number column that went through a CSV writer
        m = re.fullmatch(r"(\d{4})(\d{2})(?:\.0+)?", text)
        if m:
            if 1 <= int(m[2]) <= 12 and 1950 <= int(m[1]) <= 2100:
                return dt.date(int(m[1]), int(m[2]), 1)
            raise FieldError(tr(f"{what}无法识别：“{text}”（可写作 202311、2023年11月 或 2023-11）",
                                f"Unrecognised {what_en}: '{text}' (write e.g. 202311 or 2023-11)"))
        value = text
    try:
        day = parse_date(value, what, what_en)
    except FieldError:
        raise FieldError(tr(f"{what}无法识别：“{clean_text(value)}”（可写作 202311、2023年11月 或 2023-11）",
                            f"Unrecognised {what_en}: '{clean_text(value)}' (write e.g. 202311 or 2023-11)")) from None
    if day is None or not (1950 <= day.year <= 2100):
        raise FieldError(tr(f"{what}超出合理范围", f"{what_en} out of range"))
    return day.replace(day=1)


def month_span(month: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month holding ``month``."""
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def shift_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def check_report_month(text: str) -> dt.date:
    """The --month of a command: YYYY-MM (also 202311 / 2023年11月)."""
    try:
        return parse_month(text.strip())
    except FieldError as exc:
        raise FieldError(tr(f"月份应写作 YYYY-MM，例如 2026-03：{exc}", f"Write the month as YYYY-MM, e.g. 2026-03: {exc}")) \
            from None


# --- in work in a month ------------------------------------------------------------------------

def in_work_in_month(start: dt.date | None, end: dt.date | None, month: dt.date) -> bool:
    """A job (a placement that really began, or an imported work record) counts for month M when it
    started on or before M's last day and did not end before M's first day."""
    first, last = month_span(month)
    return start is not None and start <= last and (end is None or end >= first)


def in_work_mask(starts: np.ndarray, ends: np.ndarray, first_n: int, last_n: int) -> np.ndarray:
    """The same rule over day numbers (NaN start: never; NaN end: still running)."""
    started = np.isfinite(starts) & (starts <= last_n)
    mask: np.ndarray = started & (~np.isfinite(ends) | (ends >= first_n))
    return mask


def months_on_job(start: dt.date, month: dt.date) -> int:
    """Whole calendar months from the start's month to M (a job begun in M has 0 behind it)."""
    return (month.year - start.year) * 12 + month.month - start.month


# --- the household type priority comes from -----------------------------------------------------

def effective_household_type(linked: bool, household_kind: str | None, monitoring_kind: str | None,
                             eliminated: bool, typed: str) -> str:
    """A trainee linked to a household member takes the household's: a monitoring kind whose risk is not
    eliminated → monitored; else 脱贫户 → poverty_exited; else general. Unlinked: the hand-typed value."""
    if not linked:
        return typed or "general"
    if monitoring_kind and not eliminated:
        return "monitored"
    if household_kind == "poverty_exited":
        return "poverty_exited"
    return "general"


# --- where a job is ------------------------------------------------------------------------------

COUNTY_SUFFIXES = ("土族自治县", "自治县", "自治旗", "县", "区", "市", "旗")


def _bare_county(name: str) -> str:
    name = clean_text(name).replace(" ", "")
    for suffix in COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def same_county(a: str | None, b: str | None) -> bool:
    """互助县 / 互助土族自治县 / 互助 are one county; empty never matches."""
    if not a or not b:
        return False
    x, y = _bare_county(a), _bare_county(b)
    return bool(x and y) and (x in y or y in x)


def province_of(place: str | None) -> str | None:
    text = clean_text(place).replace(" ", "")
    for name in PROVINCES:
        if text.startswith(name):
            return name
    return None


def destination(home_province: str | None, home_county: str | None, place: str | None) -> str:
    """Where a job written as text (务工所在县 / 务工所在地) is, seen from the household's county.

    A place naming another province is 省外; one naming the household's county is 县内; the rest
    (another county, or the province only) is 省内县外."""
    text = clean_text(place).replace(" ", "")
    province = province_of(text)
    if province and home_province and province != home_province:
        return "outside_province"
    if home_county and text and (same_county(home_county, text) or _bare_county(home_county) in text):
        return "in_county"
    return "in_province"


# --- subsidies tied to a placement -----------------------------------------------------------------

SUBSIDY_KINDS: dict[str, tuple[str, str]] = {
    "travel": ("跨省务工一次性交通补助", "One-off travel subsidy"),
    "absorption": ("吸纳就业奖补", "Employer absorption reward"),
    "training": ("培训补贴（就业后）", "Training subsidy (once employed)"),
}
SUBSIDY_SCOPES: dict[str, tuple[str, str]] = {
    "outside_province": ("省外", "Outside the province"),
    "in_province_outside_city": ("省内市外", "In province, outside the city"),
    "in_city_outside_county": ("市内县外", "In the city, outside the county"),
}
CLAIM_STATUSES: dict[str, tuple[str, str]] = {
    "eligible": ("符合条件", "Eligible"), "claimed": ("已申领", "Claimed"), "publicised": ("已公示", "Publicised"),
    "paid": ("已发放", "Paid"), "refused": ("不予发放", "Refused"),
}
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    "eligible": frozenset({"claimed", "refused"}), "claimed": frozenset({"publicised", "refused"}),
    "publicised": frozenset({"paid", "refused"}), "paid": frozenset(), "refused": frozenset(),
}
# What a claim needs in hand before it is publicised (claims are checked against the monitoring
# system's work records and by phone, then publicised).
EVIDENCE: dict[str, tuple[str, str]] = {
    "id_card": ("身份证明", "Proof of identity"),
    "contract": ("劳动合同或用工证明", "Contract or proof of employment"),
    "wages": ("工资流水", "Wage statements"),
    "phone_check": ("电话核实", "Checked by phone"),
    "monitoring_record": ("监测系统务工信息已比对", "Matched with the monitoring system's work record"),
}


def subsidy_scope(home_province: str | None, job_province: str | None, home_city: str | None,
                  job_city: str | None) -> str:
    """省外 / 省内市外 / 市内县外 of a job, as travel-subsidy rules are written."""
    if not home_province or not job_province or home_province != job_province:
        return "outside_province"
    if home_city and job_city and (home_city in job_city or job_city in home_city):
        return "in_city_outside_county"
    return "in_province_outside_city"


def check_claim_transition(current: str, new: str, evidence: set[str]) -> None:
    """A claim moves one step at a time; it is publicised only with every piece of evidence in hand."""
    if new not in CLAIM_TRANSITIONS.get(current, frozenset()):
        raise FieldError(tr(f"补贴申领不能从“{CLAIM_STATUSES[current][0]}”改为“{CLAIM_STATUSES.get(new, (new,))[0]}”",
                            f"A claim cannot go from {current} to {new}"))
    missing = [tr(*EVIDENCE[k]) for k in EVIDENCE if k not in evidence]
    if new == "publicised" and missing:
        raise FieldError(tr(f"公示前还缺少：{'、'.join(missing)}", f"Missing before publicity: {', '.join(missing)}"))
