"""Field rules: resident IDs (GB 11643), credit codes, phones, names, dates, coded values."""

from __future__ import annotations

import datetime as dt

import pytest

from core import i18n
from core.fields import (
    FieldError,
    check_id_number,
    check_mobile,
    check_name,
    check_uscc,
    clean_text,
    id_check_char,
    mask_id,
    mask_phone,
    normalize_name,
    parse_board_lodging,
    parse_date,
    parse_household,
    parse_level,
    parse_number,
    parse_skills,
)


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_check_character_follows_the_standard() -> None:
    # The worked example of GB 11643-1999.
    assert id_check_char("11010519491231002") == "X"
    assert check_id_number("11010519491231002X").number == "11010519491231002X"


def test_birth_date_and_gender_are_derived() -> None:
    rid = check_id_number(make_id("63212619900315123"))
    assert rid.birth_date == dt.date(1990, 3, 15)
    assert rid.gender == "M"  # 17th digit 3 is odd
    assert check_id_number(make_id("63022320010704002")).gender == "F"


def test_both_huzhu_codes_are_valid_without_warning() -> None:
    before = check_id_number(make_id("63212619851101004"))   # before the 2013 re-coding
    after = check_id_number(make_id("63022320000101004"))    # after
    wuqia = check_id_number(make_id("65302419920101004"))
    assert before.warnings == after.warnings == wuqia.warnings == ()


def test_unknown_region_code_is_only_a_warning() -> None:
    rid = check_id_number(make_id("99999919900101004"))
    assert rid.number.startswith("999999")
    assert any("地区码" in w for w in rid.warnings)


def test_lowercase_x_and_full_width_digits_are_normalised() -> None:
    assert check_id_number("11010519491231002x").number.endswith("X")
    full = "６５３０２４１９７９０９１８０７０９"
    assert check_id_number(full).number == "653024197909180709"


def test_wrong_check_character_is_rejected() -> None:
    good = make_id("63212619900315123")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(FieldError, match="校验位错误"):
        check_id_number(bad)


def test_impossible_birth_date_is_rejected() -> None:
    with pytest.raises(FieldError, match="出生日期或校验位无效"):
        check_id_number("632126197713023307")


@pytest.mark.parametrize("mangled", [6.22126199003151e17, 622126199003151234, "6.22126E+17", "622126199003151000"])
def test_ids_mangled_by_excel_are_rejected_with_advice(mangled: object) -> None:
    with pytest.raises(FieldError, match="被Excel当作数字") as info:
        check_id_number(mangled)
    assert "文本" in str(info.value)


def test_old_fifteen_digit_ids_are_refused_clearly() -> None:
    with pytest.raises(FieldError, match="15位"):
        check_id_number("632126900315123")


def test_english_messages_when_ui_is_english() -> None:
    i18n.set_language("en")
    try:
        with pytest.raises(FieldError, match="check character"):
            check_id_number("11010519491231002Y")
    finally:
        i18n.set_language("zh")


def test_uscc_uses_stdnum() -> None:
    assert check_uscc("91310115GD057MH4LN") == "91310115GD057MH4LN"
    with pytest.raises(FieldError, match="统一社会信用代码无效"):
        check_uscc("91310115GD057MH4LX")


def test_mobile_numbers() -> None:
    assert check_mobile("138 1234 5678") == "13812345678"
    with pytest.raises(FieldError, match="手机号位数错误"):
        check_mobile("1381234567")
    with pytest.raises(FieldError):
        check_mobile("12812345678")


@pytest.mark.parametrize("raw", ["阿依古丽•买买提", "阿依古丽∙买买提", "阿依古丽・买买提", "阿依古丽●买买提",
                                 "阿依古丽．买买提", "阿依古丽 · 买买提"])
def test_lookalike_middle_dots_become_u00b7(raw: str) -> None:
    assert normalize_name(raw) == "阿依古丽·买买提"


def test_long_minority_names_are_allowed_and_han_names_lose_spaces() -> None:
    long_name = "阿卜杜克热木·买买提艾力·阿不都热合曼·吐尔洪江·玉素甫·库尔班·托合提·艾买提江"
    assert len(long_name) >= 40
    assert check_name(long_name) == long_name
    assert check_name(" 张 三 ") == "张三"
    with pytest.raises(FieldError, match="姓名为空"):
        check_name("  ")


def test_clean_text_folds_full_width_and_line_breaks() -> None:
    assert clean_text("ＡＢＣ１２３\n 乡") == "ABC123 乡"


@pytest.mark.parametrize("raw", [45356, 45356.0, "2024-03-05", "2024/3/5", "2024.3.5", "20240305",
                                 "2024年3月5日", dt.datetime(2024, 3, 5), "2024-03-05 00:00:00"])
def test_every_date_form_offices_use(raw: object) -> None:
    assert parse_date(raw) == dt.date(2024, 3, 5)


def test_unreadable_date_is_an_error() -> None:
    with pytest.raises(FieldError, match="无法识别"):
        parse_date("下个月")
    assert parse_date("") is None


@pytest.mark.parametrize("raw,level", [("五级", 5), ("初级工", 5), ("初级", 5), (5, 5), ("5", 5), ("中级工", 4),
                                       ("三级", 3), ("技师", 2), ("高级技师", 1), ("", None), (None, None)])
def test_skill_levels(raw: object, level: int | None) -> None:
    assert parse_level(raw) == level


def test_skills_split_on_every_separator() -> None:
    assert parse_skills("家政服务、养老护理") == ["domestic_service", "elderly_care"]
    assert parse_skills("医疗护理，育婴") == ["medical_care", "infant_care"]
    assert parse_skills("养老护理 家政服务") == ["elderly_care", "domestic_service"]
    assert parse_skills("养老护理/育婴") == ["elderly_care", "infant_care"]
    with pytest.raises(FieldError, match="四类"):
        parse_skills("厨师")


def test_coded_values() -> None:
    assert parse_household("监测对象") == "monitored"
    assert parse_household("脱贫户") == "poverty_exited"
    assert parse_board_lodging("包吃住") == (True, True)
    assert parse_board_lodging("包住") == (False, True)
    with pytest.raises(FieldError, match="不是数字"):
        parse_number("面议", "期望月薪", "Expected wage")
    with pytest.raises(FieldError, match="≥1"):
        parse_number(0, "招聘人数", "Headcount", minimum=1, integer=True)


def test_masks() -> None:
    assert mask_id("622126199003151234") == "622126********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_free_text_keeps_full_width_punctuation_codes_are_folded() -> None:
    from core.fields import free_text, short_text

    assert short_text("电话回访，本人满意") == "电话回访，本人满意"
    assert short_text("（江苏浙江）") == "（江苏浙江）"
    assert free_text("  第一行\n第二行\t备注  ") == "第一行 第二行 备注"
    assert short_text("回访" * 300, 10) == "回访" * 5
    assert clean_text("（江苏）１２３") == "(江苏)123"  # codes and coded cells still fold
    assert check_mobile("１３８００１３８０００") == "13800138000"
