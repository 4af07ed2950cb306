"""Field rules of the domain: resident IDs, credit codes, phones, names, dates and coded values.

Every checker returns the normalised value or raises :class:`FieldError` whose message says, in the
user's language, what is wrong and what to do. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError as _StdnumError

from core.i18n import tr
from core.vocab import HOUSEHOLD_ALIASES, KNOWN_REGIONS, LEVEL_ALIASES, MANDARIN_ALIASES, SKILL_ALIASES

_SEPARATORS = re.compile(r"[、，,;；/／|\s]+")
_MIDDLE_DOT_LOOKALIKES = re.compile(r"\s*[·•∙・●･‧⋅․﹒．\.。\u2027\u30fb\uff65\u00b7]\s*")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_FORM = re.compile(r"\d{17}[\dX]")


class FieldError(ValueError):
    """A value that breaks a field rule; the message is for the user."""


# --- text ---------------------------------------------------------------------------------------

def clean_text(value: object) -> str:
    """A code-like cell (ID, phone, code, coded value, a name to be searched): full-width forms folded
    to half-width (NFKC) and stray whitespace removed. Free text a person typed goes through
    :func:`free_text` instead, which keeps its punctuation."""
    return _cell_text(value, nfkc=True)


# Invisible formatting characters: bidi embeddings, overrides and isolates (U+202E turns "Li" into "iL"
# on screen and on paper), zero-width spaces and joiners, the word joiner family, the BOM, the soft
# hyphen. Never part of a name, an ID or anything an office types; removed from every input.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _cell_text(value: object, *, nfkc: bool) -> str:
    """A cell as text: empty for None/NaN, 12.0 as "12", line breaks, tabs and runs of spaces folded,
    invisible formatting characters (bidi controls, zero-width characters) removed."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            value = int(value)
    text = unicodedata.normalize("NFKC", str(value)) if nfkc else str(value)
    if "  " not in text and text.isprintable():  # fast path: no line breaks, tabs or odd spaces
        return text.strip()
    text = strip_invisible(text)
    if nfkc:
        text = text.replace("\u3000", " ")
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return re.sub(r" {2,}", " ", text).strip()


# A spreadsheet runs a text cell that starts with one of these as a formula (=HYPERLINK, +cmd|…,
# @SUM, and a tab or line break before them); full-width forms count too, since our import folds them.
_FORMULA_START = frozenset("=+-@\t\r\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def formula_like(value: object) -> bool:
    """Whether a spreadsheet could take this text cell for a formula (a plain signed number cannot harm)."""
    if not isinstance(value, str) or not value or value in ("-", "+"):
        return False
    first = unicodedata.normalize("NFKC", value[:2])[:1]
    if first not in _FORMULA_START:
        if first != " " and first != "\u3000":
            return False
        stripped = unicodedata.normalize("NFKC", value).lstrip(" ")
        return bool(stripped) and stripped[0] in _FORMULA_START
    return not _PLAIN_NUMBER.fullmatch(unicodedata.normalize("NFKC", value))


def safe_cell(value: object) -> object:
    """A value for a cell of a file we write: formula-like text gets a leading apostrophe, as Excel
    itself does for text typed as ``'=…``; numbers, dates, IDs and phone numbers are left as they are."""
    return "'" + value if formula_like(value) else value  # type: ignore[operator]


def unquote_cell(value: object) -> object:
    """The inverse of :func:`safe_cell` for a cell read back from a file (so a round trip is exact)."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def normalize_name(value: object) -> str:
    """A person's name: look-alike dots become U+00B7, no spaces inside Han names."""
    text = clean_text(value)
    text = _MIDDLE_DOT_LOOKALIKES.sub("·", text).strip("·")
    if re.fullmatch(r"[\u4e00-\u9fff·\s]+", text):
        text = re.sub(r"\s+", "", text)
    return text


def check_name(value: object) -> str:
    name = normalize_name(value)
    if not name:
        raise FieldError(tr("姓名为空", "Name is empty"))
    if len(name) > 64:
        raise FieldError(tr(f"姓名过长（{len(name)} 个字符，最多 64 个）",
                            f"Name too long ({len(name)} characters, at most 64)"))
    if re.search(r"\d", name):
        raise FieldError(tr("姓名中不应含有数字", "A name should not contain digits"))
    return name


def split_list(value: object) -> list[str]:
    """Items of a cell separated by 、，,;/ or spaces."""
    text = clean_text(value)
    return [p for p in _SEPARATORS.split(text) if p]


# --- resident ID (GB 11643-1999) ----------------------------------------------------------------

@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    warnings: tuple[str, ...] = field(default=())


def id_check_char(first17: str) -> str:
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _mangled_message() -> str:
    return tr("身份证号被Excel当作数字，后三位已丢失：请把该列设置为“文本”格式后重新填写身份证号",
              "The ID number was stored by Excel as a number and its last three digits are lost: "
              "format the column as Text and type the ID numbers again")


def check_id_number(value: object) -> ResidentId:
    """Validate an 18-character resident ID; never 'repairs' a number Excel has mangled."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        # A number cell cannot hold 18 digits exactly (Excel keeps 15 significant digits).
        raise FieldError(_mangled_message())
    text = clean_text(value).replace(" ", "").upper()
    if not text:
        raise FieldError(tr("身份证号为空", "ID number is empty"))
    well_formed = _ID_FORM.fullmatch(text)  # nearly every cell: the two checks below cannot match it
    if not well_formed and re.fullmatch(r"\d(\.\d+)?E\+?\d+", text):
        raise FieldError(_mangled_message())
    if not well_formed and re.fullmatch(r"\d{15}", text):
        raise FieldError(tr("这是15位旧身份证号，请填写18位身份证号",
                            "This is an old 15-digit ID; enter the 18-character ID number"))
    if not well_formed:
        raise FieldError(tr(f"身份证号应为18位（17位数字加校验位），实际为“{text}”",
                            f"An ID number has 18 characters (17 digits and a check character), got '{text}'"))
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))  # strptime is 20x slower
    except ValueError:
        raise FieldError(tr(f"身份证号出生日期或校验位无效：出生日期 {text[6:14]} 不存在",
                            f"Invalid birth date or check character in ID: {text[6:14]} is not a date")) from None
    if not (dt.date(1900, 1, 1) <= birth <= dt.date.today()):
        raise FieldError(tr(f"身份证号出生日期或校验位无效：出生日期 {birth:%Y-%m-%d} 不合理",
                            f"Invalid birth date or check character in ID: {birth:%Y-%m-%d} is implausible"))
    expected = id_check_char(text[:17])
    if text[17] != expected:
        if text.endswith("000"):
            raise FieldError(_mangled_message())
        raise FieldError(tr(f"身份证号校验位错误（按前17位应为 {expected}），请核对号码",
                            f"Wrong check character in ID number (should be {expected}); check the number"))
    warnings: list[str] = []
    if text[:6] not in KNOWN_REGIONS and not re.fullmatch(r"[1-8]\d{5}", text[:6]):
        warnings.append(tr(f"身份证号地区码 {text[:6]} 未知，请核对",
                           f"Unknown region code {text[:6]} in ID; please check"))
    gender = "M" if int(text[16]) % 2 == 1 else "F"
    return ResidentId(text, birth, gender, tuple(warnings))


def place_name(province: object, city: object) -> str:
    """Where a job is, as written on screen and paper: "江苏苏州"; a municipality once ("上海", not "上海上海")."""
    p, c = clean_text(province), clean_text(city)
    if not p or not c:
        return p or c
    if c.startswith(p):  # 上海 / 上海市
        return c
    return p if p.startswith(c) else p + c


def mask_id(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- other codes --------------------------------------------------------------------------------

def check_uscc(value: object) -> str:
    text = clean_text(value).replace(" ", "").upper()
    try:
        return str(_uscc.validate(text))
    except _StdnumError:
        raise FieldError(tr(f"统一社会信用代码无效：“{text}”（应为18位，校验位正确，且不含 I O Z S V）",
                            f"Invalid unified social credit code '{text}' (18 characters, valid check "
                            "character, no I O Z S V)")) from None


def check_mobile(value: object) -> str:
    text = clean_text(value).replace(" ", "").replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    if not text.isdigit():
        raise FieldError(tr(f"手机号应为数字：“{text}”", f"A mobile number has digits only: '{text}'"))
    if len(text) != 11:
        raise FieldError(tr(f"手机号位数错误：应为11位，实际 {len(text)} 位",
                            f"Wrong number of digits in mobile number: 11 expected, {len(text)} given"))
    if not _MOBILE.fullmatch(text):
        raise FieldError(tr(f"手机号格式错误：“{text}”", f"Not a mobile number: '{text}'"))
    return text


def check_contact_phone(value: object) -> str:
    """Landline or mobile, loosely: digits, dashes, at most 20 characters."""
    text = clean_text(value).replace(" ", "")
    if text and not re.fullmatch(r"[\d\-+()（）转]{5,20}", text):
        raise FieldError(tr(f"联系电话格式错误：“{text}”", f"Invalid phone number: '{text}'"))
    return text


# --- dates and numbers --------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object, what: str = "日期", what_en: str = "date") -> dt.date | None:
    """A date in any form offices use; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        if 20000000 <= value <= 21001231:  # 20240305 typed as a number
            return parse_date(str(int(value)), what, what_en)
        if 1 <= value <= 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise FieldError(tr(f"{what}无法识别：{value}", f"Unrecognised {what_en}: {value}"))
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    text = re.sub(r"(00:00:00(\.0+)?|T00:00(:00)?)$", "", text)
    m = (re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
         or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    elif re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    else:
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", text)
        if m and 1 <= int(m[2]) <= 12:
            return dt.date(int(m[1]), int(m[2]), 1)
    raise FieldError(tr(f"{what}无法识别：“{text}”（可写作 2024-03-05、2024/3/5、2024.3.5、20240305 或 2024年3月5日）",
                        f"Unrecognised {what_en}: '{text}' (write e.g. 2024-03-05)"))


def check_not_future(day: dt.date | None, what: str, what_en: str, today: dt.date | None = None) -> dt.date | None:
    """A date that must already have passed (graduation, a certificate's issue): later than today is an
    error, not a typing slip to keep (2099 for 2009)."""
    today = today or dt.date.today()
    if day is not None and day > today:
        raise FieldError(tr(f"{what} {day:%Y-%m-%d} 晚于今天（{today:%Y-%m-%d}），应为已经过去的日期",
                            f"The {what_en} {day:%Y-%m-%d} is later than today ({today:%Y-%m-%d}); it must be a past date"))
    return day


def parse_number(value: object, what: str, what_en: str, *, minimum: float | None = None,
                 maximum: float | None = None, integer: bool = False) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise FieldError(tr(f"{what}不是数字", f"{what_en} is not a number"))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        number = float(value)
    else:
        text = clean_text(value).replace(",", "").replace(" ", "").rstrip("元")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise FieldError(tr(f"{what}不是数字：“{text}”", f"{what_en} is not a number: '{text}'")) from None
    if not math.isfinite(number):
        raise FieldError(tr(f"{what}不是数字", f"{what_en} is not a number"))
    if integer and not number.is_integer():
        raise FieldError(tr(f"{what}应为整数：{value}", f"{what_en} must be a whole number: {value}"))
    if minimum is not None and number < minimum:
        raise FieldError(tr(f"{what}必须≥{minimum:g}（实际 {number:g}）",
                            f"{what_en} must be ≥ {minimum:g} (got {number:g})"))
    if maximum is not None and number > maximum:
        raise FieldError(tr(f"{what}必须≤{maximum:g}（实际 {number:g}）",
                            f"{what_en} must be ≤ {maximum:g} (got {number:g})"))
    return int(number) if integer or number.is_integer() else number


# --- coded values -------------------------------------------------------------------------------

def parse_skill(value: object, what: str = "技能", what_en: str = "Skill") -> str:
    text = clean_text(value).replace(" ", "")
    key = SKILL_ALIASES.get(text) or SKILL_ALIASES.get(text.lower())
    if key is None:
        # The column name leads the message so an import report reads "技能要求不在四类之内：…".
        raise FieldError(tr(f"{what}不在四类之内：“{text}”（家政服务、养老护理、医疗护理、育婴）",
                            f"{what_en} '{text}' is not one of the four (domestic service, elderly care, "
                            "hospital care, infant care)"))
    return key


def parse_skills(value: object, what: str = "技能", what_en: str = "Skill") -> list[str]:
    keys: list[str] = []
    for part in split_list(value):
        key = parse_skill(part, what, what_en)
        if key not in keys:
            keys.append(key)
    return keys


def parse_level(value: object) -> int | None:
    """五级/初级(工)=5 … 一级/高级技师=1, or the digit; empty means none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= int(value) <= 5:
            return int(value)
    text = clean_text(value).replace(" ", "")
    if not text or text in {"无", "-", "—"}:
        return None
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    text = text.removeprefix("职业技能等级").removesuffix("证书")
    if text in LEVEL_ALIASES:
        return LEVEL_ALIASES[text]
    raise FieldError(tr(f"技能等级无法识别：“{text}”（可写五级/初级工 … 一级/高级技师，或数字1–5）",
                        f"Unrecognised skill level '{text}' (use 5 = junior … 1 = senior technician)"))


def parse_household(value: object) -> str:
    text = clean_text(value).replace(" ", "")
    if not text:
        return "general"
    key = HOUSEHOLD_ALIASES.get(text) or HOUSEHOLD_ALIASES.get(text.lower())
    if key is None:
        raise FieldError(tr(f"户类型无法识别：“{text}”（一般户 / 脱贫户 / 监测户）",
                            f"Unrecognised household type '{text}' (general / poverty-exited / monitored)"))
    return key


def parse_mandarin(value: object) -> str | None:
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    key = MANDARIN_ALIASES.get(text) or MANDARIN_ALIASES.get(text.lower())
    if key is None:
        raise FieldError(tr(f"普通话水平无法识别：“{text}”（流利 / 一般 / 较差）",
                            f"Unrecognised Mandarin level '{text}' (fluent / basic / poor)"))
    return key


def parse_gender(value: object) -> str | None:
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    if text in {"男", "M", "m", "male", "Male"}:
        return "M"
    if text in {"女", "F", "f", "female", "Female"}:
        return "F"
    raise FieldError(tr(f"性别应为“男”或“女”：“{text}”", f"Gender must be M or F: '{text}'"))


def parse_gender_requirement(value: object) -> str:
    text = clean_text(value).replace(" ", "")
    if text in {"", "不限", "无", "any", "Any"}:
        return "any"
    gender = parse_gender(text)
    assert gender is not None
    return gender


def parse_board_lodging(value: object) -> tuple[bool, bool]:
    """(board, lodging) from 是/否, 包吃, 包住, 包吃住."""
    text = clean_text(value).replace(" ", "")
    if text in {"", "否", "不包", "无", "no", "No"}:
        return (False, False)
    if text in {"是", "包吃住", "包食宿", "yes", "Yes"}:
        return (True, True)
    if text in {"包吃", "包餐", "管吃"}:
        return (True, False)
    if text in {"包住", "管住", "包宿"}:
        return (False, True)
    raise FieldError(tr(f"包吃住无法识别：“{text}”（是 / 否 / 包吃 / 包住 / 包吃住）",
                        f"Unrecognised board/lodging '{text}' (yes / no / board / lodging / both)"))


def parse_contract_type(value: object) -> str:
    text = clean_text(value).replace(" ", "")
    if text in {"临时", "临时工", "短期", "temporary"}:
        return "temporary"
    if text in {"", "长期", "长期合同", "long_term", "long-term"}:
        return "long_term"
    raise FieldError(tr(f"用工类型无法识别：“{text}”（临时 / 长期）",
                        f"Unrecognised contract type '{text}' (temporary / long-term)"))


def parse_employment_form(value: object) -> str:
    text = clean_text(value).replace(" ", "")
    if text in {"", "临时工", "临时", "temporary"}:
        return "temporary"
    if text in {"职业工", "职业", "技能工", "skilled"}:
        return "skilled"
    raise FieldError(tr(f"用工形式无法识别：“{text}”（临时工 / 职业工）",
                        f"Unrecognised employment form '{text}' (temporary / skilled)"))


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def date_field(value: object, what: str, what_en: str, *, required: bool = True,
               not_after: dt.date | None = None) -> dt.date | None:
    """A date typed by a user, as a one-sentence UserError when it cannot be read, is missing or is
    later than ``not_after`` (events that already happened cannot be dated in the future)."""
    from core.i18n import UserError
    try:
        day = parse_date(value, what, what_en)
    except FieldError as exc:
        raise UserError(str(exc), str(exc)) from None
    if day is None and required:
        raise UserError(f"请填写{what}。", f"Please give the {what_en}.")
    if day is not None and not_after is not None and day > not_after:
        raise UserError(f"{what} {day:%Y-%m-%d} 晚于今天（{not_after:%Y-%m-%d}），只能登记已经发生的事；未作任何改动。",
                        f"The {what_en} {day:%Y-%m-%d} is later than today ({not_after:%Y-%m-%d}); only what has "
                        "already happened can be recorded. Nothing was changed.")
    return day


def free_text(value: object) -> str:
    """Text a person typed (a note, a reason, a batch name, a title) stored as typed: full-width
    punctuation such as ，（） kept; only line breaks, tabs and runs of spaces folded, ends trimmed."""
    return _cell_text(value, nfkc=False)


def short_text(value: object, limit: int = 200) -> str:
    """Free text of at most ``limit`` characters, as typed (see :func:`free_text`)."""
    return free_text(value)[:limit]
