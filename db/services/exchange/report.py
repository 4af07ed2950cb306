"""The import report and the blank templates (xlsx)."""

from __future__ import annotations

from pathlib import Path

from core.fields import (
    formula_like,
)
from core.files import write_file
from core.i18n import tr
from core.vocab import ANY_GENDER, CONTRACT_TYPES, FORM_LABELS, GENDERS, VACANCY_STATUSES
from db.services.exchange.columns import COLUMNS, KIND_LABELS
from db.services.exchange.results import ImportResult

# --- report and templates -----------------------------------------------------------------------

def write_report(result: ImportResult, path: str | Path) -> Path:
    """The row-level report as xlsx: a summary sheet and one row per problem."""
    return write_file(path, lambda tmp: _write_report(result, tmp))


def _write_report(result: ImportResult, path: Path) -> None:
    import xlsxwriter

    # Every text is a string cell: a file name or a header such as "=HYPERLINK(…)" is never a formula.
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    try:
        bold = wb.add_format({"bold": True})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        text = wb.add_format({"num_format": "@", "valign": "top"})
        red = wb.add_format({"font_color": "#B00020", "valign": "top"})
        summary = wb.add_worksheet(tr("导入结果", "Summary"))
        summary.set_column(0, 0, 22)
        summary.set_column(1, 1, 60)
        lines = [
            (tr("文件", "File"), Path(result.path).name),
            (tr("名册类型", "Roster"), tr(*KIND_LABELS[result.kind])),
            (tr("表头所在行", "Header row"), result.header_row),
            (tr("数据行", "Data rows"), result.data_rows),
            (tr("新增", "New"), result.inserted),
            (tr("更新", "Updated"), result.updated),
            (tr("未变", "Unchanged"), result.unchanged),
            (tr("重复行（只计一次）", "Duplicate rows (counted once)"), result.duplicate_rows),
            (tr("拒绝的行", "Rejected rows"), len(result.rejected_rows)),
            (tr("警告", "Warnings"), len(result.warnings)),
            (tr("未识别的列", "Unknown columns"), "、".join(result.unknown_columns)),
            (tr("说明", "Note"), tr("被拒绝的行没有导入，请按“问题明细”改正后重新导入整个文件（已导入的行不会重复）。",
                                  "Rejected rows were not imported; correct them as listed and import the "
                                  "whole file again (rows already in are not duplicated).")),
        ]
        quoted = wb.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
        for i, (k, v) in enumerate(lines):
            summary.write_string(i, 0, k, bold)
            if isinstance(v, str):
                summary.write_string(i, 1, v, quoted if formula_like(v) else wrap)
            else:
                summary.write_number(i, 1, v, wrap)
        detail = wb.add_worksheet(tr("问题明细", "Problems"))
        heads = [tr("行号", "Row"), tr("列", "Column"), tr("值", "Value"), tr("原因", "Reason"), tr("类型", "Type")]
        for c, h in enumerate(heads):
            detail.write(0, c, h, bold)
        detail.set_column(0, 0, 8)
        detail.set_column(1, 1, 14)
        detail.set_column(2, 2, 24)
        detail.set_column(3, 3, 70)
        detail.set_column(4, 4, 8)
        detail.freeze_panes(1, 0)
        for r, issue in enumerate(result.issues, start=1):
            fmt = red if issue.severity == "error" else wrap
            detail.write_number(r, 0, issue.row)
            detail.write_string(r, 1, issue.column, quoted if formula_like(issue.column) else text)
            detail.write_string(r, 2, issue.value, quoted if formula_like(issue.value) else text)
            detail.write_string(r, 3, issue.reason, fmt)
            detail.write_string(r, 4, tr("错误（未导入）", "error (not imported)") if issue.severity == "error"
                                else tr("警告", "warning"), fmt)
        detail.autofilter(0, 0, max(1, len(result.issues)), len(heads) - 1)
    finally:
        wb.close()


_RULES = {
    "name": ("必填；少数民族姓名用间隔号 ·", "required"),
    "id_number": ("必填；18位，请把本列设置为“文本”格式", "required; 18 characters, format the column as Text"),
    "gender": ("男/女；可不填，按身份证号确定", "M/F; derived from the ID if empty"),
    "phone": ("11位手机号", "11-digit mobile"),
    "household_type": ("一般户 / 脱贫户 / 监测户", "general / poverty-exited / monitored"),
    "skills": ("家政服务、养老护理、医疗护理、育婴，可填多项，用顿号分隔", "one or more of the four skills"),
    "skill_level": ("五级/初级工 … 一级/高级技师，或数字1–5；无证书可不填", "5 (junior) … 1, empty = none"),
    "mandarin": ("流利 / 一般 / 较差", "fluent / basic / poor"),
    "code": ("必填；唯一", "required; unique"),
    "employer": ("必填", "required"),
    "uscc": ("18位统一社会信用代码", "18-character credit code"),
    "skill": ("家政服务 / 养老护理 / 医疗护理 / 育婴", "one of the four skills"),
    "headcount": ("整数，≥1", "whole number ≥ 1"),
    "board_lodging": ("是 / 否 / 包吃 / 包住 / 包吃住", "yes / no / board / lodging / both"),
    "gender_requirement": (" / ".join([ANY_GENDER[0], *(zh for zh, _en in GENDERS.values())]), "any / M / F"),
    "contract_type": (" / ".join(zh for zh, _en in CONTRACT_TYPES.values()),
                      " / ".join(en.lower() for _zh, en in CONTRACT_TYPES.values())),
    "status": (f"{' / '.join(zh for zh, _en in VACANCY_STATUSES.values())}；可不填",
               f"{' / '.join(en.lower() for _zh, en in VACANCY_STATUSES.values())}; optional"),
    "vacancy_code": ("必填；须已在登记册中", "required; must exist"),
    "start_date": ("日期，如 2026-03-05", "date, e.g. 2026-03-05"),
    "employment_form": (" / ".join(zh for zh, _en in FORM_LABELS.values()),
                        " / ".join(en.lower() for _zh, en in FORM_LABELS.values())),
}


def write_template(kind: str, path: str | Path) -> Path:
    """An empty roster with the right headers (ID column formatted as text) and a sheet of rules."""
    return write_file(path, lambda tmp: _write_template(kind, tmp))


def _write_template(kind: str, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
        text = wb.add_format({"num_format": 49})  # built-in "@" (Text)
        ws = wb.add_worksheet(tr(*KIND_LABELS[kind]))
        for c, col in enumerate(COLUMNS[kind]):
            ws.write_string(0, c, col.zh, req if col.required else head)
            ws.set_column(c, c, 20 if col.field in ("id_number", "employer", "uscc", "school") else 12,
                          text if col.field in ("id_number", "phone", "uscc", "code", "vacancy_code",
                                                "contact_phone") else None)
        ws.freeze_panes(1, 0)
        rules = wb.add_worksheet(tr("填写说明", "Rules"))
        rules.set_column(0, 1, 18)
        rules.set_column(2, 2, 60)
        for c, h in enumerate((tr("列名", "Column"), tr("英文别名", "Alias"), tr("填写要求", "Rule"))):
            rules.write(0, c, h, head)
        for r, col in enumerate(COLUMNS[kind], start=1):
            zh, en = _RULES.get(col.field, ("必填" if col.required else "可不填", "required" if col.required else "optional"))
            rules.write(r, 0, col.zh)
            rules.write(r, 1, col.field)
            rules.write(r, 2, tr(zh, en))
    finally:
        wb.close()
