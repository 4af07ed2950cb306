"""Every setting of LaborBridge, declared once: key, kind, default, range or choices, bilingual label and
help, scope, and who may change it. The settings dialog (ui/settings_dialog.py), the stored PC settings
(ui/settings.py), the bureau-wide settings in the database and the CLI ``settings`` command
(db/services/settings.py), and the README's settings table (tools/settings_table.py) all read
:data:`SETTINGS`; :func:`check` is the one validation.

Scope ``pc``: this computer only, kept in ``settings.ini`` in the user data folder (what the program
needs before a database is open). Scope ``bureau``: one value for every office sharing the database,
kept in ``app_setting`` and audited.

Adding a setting is one entry in :data:`SETTINGS` (then ``python tools/settings_table.py`` rewrites the
README table); the dialog shows it on its ``section``'s tab, the CLI lists and sets it (bureau scope).
A kind ``records`` holds a list of rows (e.g. rules per province and year), declared by ``fields``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core import households, policy, vocab
from core.i18n import UserError, tr

Kind = Literal["int", "float", "text", "choice", "list", "folder", "database_url", "records"]
Scope = Literal["pc", "bureau"]
Value = int | float | str | list[str] | list[dict[str, object]]

# Tabs of the settings dialog, in order (key, Chinese, English).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("general", "常规", "General"),
    ("data", "数据", "Data"),
    ("matching", "匹配", "Matching"),
    ("alerts", "预警与回访", "Alerts && follow-up"),
    ("households", "监测户", "Households"),
    ("printing", "打印", "Printing"),
)


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``minimum``/``maximum``: the range of a number, the length of a text.
    ``choices``: (value, Chinese, English) of a choice or list. ``write``: the permission that changes a
    bureau-wide value. ``restart``: takes effect at the next start."""

    key: str
    kind: Kind
    default: Value
    scope: Scope
    section: str
    zh: str
    en: str
    help_zh: str = ""
    help_en: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float = 1
    unit_zh: str = ""
    unit_en: str = ""
    choices: tuple[tuple[str, str, str], ...] = ()
    fields: tuple[Setting, ...] = ()
    write: str = "settings.write"
    restart: bool = False

    @property
    def label(self) -> str:
        return tr(self.zh, self.en)

    @property
    def help(self) -> str:
        return tr(self.help_zh, self.help_en)

    @property
    def unit(self) -> str:
        return tr(self.unit_zh, self.unit_en)

    @property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(value for value, _zh, _en in self.choices)


def _priority(household: str) -> Setting:
    zh, en = vocab.HOUSEHOLD_TYPES[household]
    return Setting(
        f"policy.priority.{household}", "float", policy.DEFAULT_PRIORITY_WEIGHTS[household], "bureau", "matching",
        f"政策优先系数：{zh}", f"Policy priority weight: {en.lower()} households",
        "排序和分配时给该类家庭的额外优先（0.15 即最多可胜过稳岗概率高 15% 的人），与预测概率分开显示。",
        "Extra priority in ranking and assignment (0.15 outranks someone up to 15 % likelier to stay), "
        "shown apart from the predicted probability.",
        minimum=0.0, maximum=policy.PRIORITY_MAX, step=0.01)


SETTINGS: tuple[Setting, ...] = (
    # --- bureau-wide (database) ---------------------------------------------------------------------
    Setting("bureau.name", "text", "", "bureau", "general", "单位名称", "Bureau name",
            "打印在每份名册和统计表的抬头；留空则打印“人力资源和社会保障局”。",
            "Heads every printed list and statistics workbook; empty prints a generic heading.",
            minimum=0, maximum=60),
    Setting("bureau.county", "text", "", "bureau", "general", "所在县", "County",
            "本单位所在的县。", "The county of the bureau.", minimum=0, maximum=40),
    *(_priority(h) for h in ("monitored", "poverty_exited", "general")),
    Setting("policy.skilled_weight", "float", policy.DEFAULT_SKILLED_WEIGHT, "bureau", "matching",
            "转职业工概率权重", "Weight of P(skilled)",
            "派遣方案中“12个月内转为职业工”概率的权重；0 表示只看稳岗概率。",
            "Weight of P(skilled within 12 months) in the plan's objective; 0 looks at retention only.",
            minimum=0.0, maximum=policy.SKILLED_WEIGHT_MAX, step=0.05),
    Setting("alerts.wage_floor", "int", policy.DEFAULT_WAGE_FLOOR, "bureau", "alerts", "工资预警线",
            "Wage floor for alerts", "在岗人员月收入低于此值时预警。",
            "Workers on the job earning less than this a month are flagged.",
            minimum=0, maximum=100_000, step=100, unit_zh="元/月", unit_en="yuan/month", write="batch.write"),
    Setting("alerts.replace_days", "int", policy.REPLACE_DAYS, "bureau", "alerts", "离岗未再就业预警天数",
            "Days after leaving before an alert", "离岗超过这么多天仍未再就业的人列入预警。",
            "Someone who left a job this many days ago and has no new one is flagged.",
            minimum=1, maximum=365, unit_zh="天", unit_en="days"),
    Setting("alerts.window_days", "int", policy.ALERT_WINDOW_DAYS, "bureau", "alerts", "预警回看天数",
            "Days alerts look back", "预警只看这么多天内离岗的人。", "Alerts consider only those who left within this many days.",
            minimum=30, maximum=3650, unit_zh="天", unit_en="days"),
    Setting("followup.every_days", "int", policy.FOLLOWUP_DAYS, "bureau", "alerts", "回访间隔天数",
            "Days between follow-up visits", "在岗人员至少每隔这么多天回访一次，超期即预警。",
            "A worker on the job is visited at least this often; longer is flagged.",
            minimum=7, maximum=365, unit_zh="天", unit_en="days"),
    Setting("followup.due_within_days", "int", policy.FOLLOWUP_DUE_WITHIN_DAYS, "bureau", "alerts",
            "待回访提前天数", "Days ahead the due list looks", "“待回访”列出这么多天内到期或已逾期的回访。",
            "The due list shows visits due within this many days, and overdue ones.",
            minimum=0, maximum=90, unit_zh="天", unit_en="days"),
    Setting("households.drop_percent", "int", households.DROP_ALERT_PERCENT, "bureau", "households",
            "乡镇务工规模同比下降预警线", "Township drop against last year that alerts",
            "某乡镇当月务工人数比去年同月下降超过这个百分比时预警。",
            "A township whose people in work this month fell by more than this share against the same "
            "month last year is flagged.", minimum=1, maximum=100, unit_zh="%", unit_en="%"),
    *(Setting(f"households.line.{y}", "int", 0, "bureau", "households", f"{y}年防返贫监测线",
              f"Monitoring line {y}", "本省当年的防止返贫监测线（人均纯收入，元/人·年）；0 表示未设置。",
              "The province's monitoring line for the year (net income per head); 0 means not set.",
              minimum=0, maximum=100_000, unit_zh="元/人·年", unit_en="yuan per head and year")
      for y in households.MONITORING_LINE_YEARS),
    # --- this PC (settings.ini) ---------------------------------------------------------------------
    Setting("ui/language", "choice", "zh", "pc", "general", "界面语言", "Language",
            "--lang 和 LABORBRIDGE_LANG 优先。", "--lang and LABORBRIDGE_LANG still win.",
            choices=(("zh", "中文", "中文"), ("en", "English", "English")), restart=True),
    Setting("database/url", "database_url", "", "pc", "data", "数据库", "Database",
            "留空即用户数据文件夹中的 laborbridge.sqlite3；--db 和 LABORBRIDGE_DB 优先。",
            "Empty: laborbridge.sqlite3 in the user data folder; --db and LABORBRIDGE_DB still win.", restart=True),
    Setting("backup/folder", "folder", "", "pc", "data", "备份文件夹", "Backup folder",
            "留空即用户数据文件夹中的 backups；LABORBRIDGE_BACKUP_DIR 优先。",
            "Empty: backups in the user data folder; LABORBRIDGE_BACKUP_DIR still wins."),
    Setting("print/columns", "list", list(vocab.LIST_COLUMNS), "pc", "printing", "名册默认列",
            "Columns of printed lists", "打印对话框和批次花名册默认打印的列（按名册的固定顺序）。",
            "The columns the print dialog and batch rosters start with (in the list's fixed order).",
            choices=tuple((k, zh, en) for k, (zh, en) in vocab.LIST_COLUMNS.items())),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def of_scope(scope: Scope) -> tuple[Setting, ...]:
    return tuple(s for s in SETTINGS if s.scope == scope)


def spec(key: str, scope: Scope | None = None) -> Setting:
    """The declared setting, or a UserError (code 2) naming the known keys."""
    found = BY_KEY.get(key)
    if found is None or (scope is not None and found.scope != scope):
        known = [s.key for s in SETTINGS if scope is None or s.scope == scope]
        raise UserError(f"没有名为“{key}”的设置项；可用：{'、'.join(known)}。",
                        f"There is no setting '{key}'; known keys: {', '.join(known)}.", code=2)
    return found


# --- validation (the only one) ------------------------------------------------------------------------

def _refuse(setting: Setting, zh: str, en: str) -> UserError:
    return UserError(f"“{setting.zh}”（{setting.key}）{zh}；未作任何改动。",
                     f"{setting.en} ({setting.key}) {en}; nothing was changed.", code=2)


def _number(setting: Setting, value: object) -> int | float:
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        raise _refuse(setting, f"必须是数字（收到“{value}”）", f"must be a number (got '{value}')")
    if setting.kind == "int" and number != int(number):
        raise _refuse(setting, f"必须是整数（收到“{value}”）", f"must be a whole number (got '{value}')")
    if setting.minimum is not None and number < setting.minimum:
        if number < 0:
            raise _refuse(setting, f"不能为负数（收到 {value}）", f"cannot be negative (got {value})")
        raise _refuse(setting, f"不能小于 {setting.minimum:g}（收到 {value}）",
                      f"cannot be below {setting.minimum:g} (got {value})")
    if setting.maximum is not None and number > setting.maximum:
        raise _refuse(setting, f"不能大于 {setting.maximum:g}（收到 {value}）",
                      f"cannot exceed {setting.maximum:g} (got {value})")
    return int(number) if setting.kind == "int" else number


def _text(setting: Setting, value: object) -> str:
    # Folded like any typed text (runs of spaces, line breaks); kept otherwise as typed.
    text = " ".join(str(value if value is not None else "").split())
    if setting.maximum is not None and len(text) > setting.maximum:
        raise _refuse(setting, f"过长（最多 {setting.maximum:g} 个字）",
                      f"is too long ({setting.maximum:g} characters at most)")
    if setting.minimum and len(text) < setting.minimum:
        raise _refuse(setting, "不能为空", "cannot be empty")
    return text


def _items(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value if value is not None else "").split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def _list(setting: Setting, value: object) -> list[str]:
    keys = _items(value)
    unknown = [k for k in keys if k not in setting.choice_keys]
    if unknown:
        raise _refuse(setting, f"含未知的项：{'、'.join(unknown)}（可选：{'、'.join(setting.choice_keys)}）",
                      f"has unknown items: {', '.join(unknown)} (known: {', '.join(setting.choice_keys)})")
    if not keys:
        raise _refuse(setting, "至少要选择一项", "needs at least one item")
    return list(dict.fromkeys(keys))


_URL = re.compile(r"^(?P<backend>[A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://(?P<rest>.*)$")


def _database_url(setting: Setting, value: object) -> str:
    url = str(value if value is not None else "").strip()
    if not url:
        return ""
    match = _URL.match(url)
    if match is None:
        raise UserError(f"数据库地址“{url}”格式无法识别（示例：postgresql+psycopg://用户@服务器/laborbridge）。",
                        f"The database URL '{url}' is not recognised "
                        "(example: postgresql+psycopg://user@server/laborbridge).", code=2)
    backend = match["backend"].lower()
    if backend not in ("sqlite", "postgresql"):
        raise UserError(f"不支持的数据库类型“{backend}”：请使用本机文件或 PostgreSQL 服务器。",
                        f"Unsupported database type '{backend}': use a local file or a PostgreSQL server.", code=2)
    if backend == "sqlite":
        database = match["rest"].removeprefix("/").split("?")[0]
        if not database or database == ":memory:":
            raise UserError("请指定数据库文件。", "Give a database file.", code=2)
        if not Path(database).parent.is_dir():
            raise UserError(f"数据库文件所在的文件夹 {Path(database).parent} 不存在。",
                            f"The folder of the database file, {Path(database).parent}, does not exist.", code=2)
    return url


def _folder(setting: Setting, value: object) -> str:
    folder = str(value if value is not None else "").strip()
    if folder and not Path(folder).is_dir():
        raise _refuse(setting, f"：文件夹 {folder} 不存在", f": the folder {folder} does not exist")
    return folder


def _records(setting: Setting, value: object) -> list[dict[str, object]]:
    rows: object = value
    if isinstance(value, str):
        try:
            rows = json.loads(value) if value.strip() else []
        except ValueError:
            raise _refuse(setting, "必须是 JSON 列表", "must be a JSON list") from None
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise _refuse(setting, "必须是由记录组成的列表", "must be a list of records")
    names = {f.key for f in setting.fields}
    out: list[dict[str, object]] = []
    for row in rows:
        extra = set(row) - names
        if extra:
            raise _refuse(setting, f"含未知的字段：{'、'.join(sorted(extra))}",
                          f"has unknown fields: {', '.join(sorted(extra))}")
        out.append({f.key: check_value(f, row.get(f.key, f.default)) for f in setting.fields})
    return out


def check_value(setting: Setting, value: object) -> Value:
    """The value in the setting's type, or a UserError (code 2) in one sentence naming what is wrong."""
    if setting.kind in ("int", "float"):
        return _number(setting, value)
    if setting.kind == "text":
        return _text(setting, value)
    if setting.kind == "choice":
        text = str(value if value is not None else "").strip()
        if text not in setting.choice_keys:
            raise _refuse(setting, f"只能是 {'、'.join(setting.choice_keys)}（收到“{value}”）",
                          f"must be one of {', '.join(setting.choice_keys)} (got '{value}')")
        return text
    if setting.kind == "list":
        return _list(setting, value)
    if setting.kind == "folder":
        return _folder(setting, value)
    if setting.kind == "database_url":
        return _database_url(setting, value)
    return _records(setting, value)


def check(key: str, value: object, scope: Scope | None = None) -> Value:
    return check_value(spec(key, scope), value)


def check_all(values: Mapping[str, object]) -> dict[str, Value]:
    """Every value checked (the first bad one raises); nothing is stored here."""
    return {key: check(key, value) for key, value in values.items()}


def read_stored(setting: Setting, raw: object) -> Value:
    """A stored value; a damaged or out-of-range one reads as the default (never stops the program).
    A list keeps the items still known (a column removed in a later version is dropped)."""
    if raw is None or raw == "":
        return default(setting)
    if setting.kind == "list":
        raw = [k for k in _items(raw) if k in setting.choice_keys]
    try:
        return check_value(setting, raw)
    except UserError:
        return default(setting)


def default(setting: Setting) -> Value:
    if isinstance(setting.default, list):
        return list(setting.default)  # type: ignore[return-value]  # a fresh copy of a list default
    return setting.default


def as_int(value: Value) -> int:
    """A checked int setting's value, typed (the union cannot say which kind a key has)."""
    return int(value)  # type: ignore[arg-type]


def as_float(value: Value) -> float:
    return float(value)  # type: ignore[arg-type]


def stored_text(setting: Setting, value: Value) -> str:
    """How a checked value is written (database text or ini value)."""
    if setting.kind == "list":
        return ",".join(str(v) for v in value)  # type: ignore[union-attr]
    if setting.kind == "records":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def shown(setting: Setting, value: object) -> str:
    """A value as a person reads it (the CLI's list, the README)."""
    if setting.kind == "float":
        return f"{float(value):g}"  # type: ignore[arg-type]  # a checked float setting
    if setting.kind == "choice":
        return next((tr(zh, en) for k, zh, en in setting.choices if k == value), str(value))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return stored_text(setting, list(value))
    return str(value)


def range_text(setting: Setting) -> str:
    if setting.kind in ("int", "float"):
        return f"{setting.minimum:g}–{setting.maximum:g}"
    if setting.kind in ("choice", "list"):
        return " ".join(setting.choice_keys)
    if setting.kind == "text" and setting.maximum is not None:
        return tr(f"最多 {setting.maximum:g} 字", f"≤ {setting.maximum:g} characters")
    return ""


__all__ = ["BY_KEY", "SECTIONS", "SETTINGS", "Setting", "as_float", "as_int", "check", "check_all", "check_value", "default",
           "of_scope", "range_text", "read_stored", "shown", "spec", "stored_text"]
