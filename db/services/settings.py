"""Bureau-wide settings (全局设置): one value for every office sharing the database, audited.

Every key is declared once below with its type, default (from core.policy), allowed range and label.
The GUI (设置 dialog), the CLI (``main.py settings``) and the services (ranking, plan, alerts) read the
same rows of ``app_setting``, so the same ``plan`` gives the same result everywhere. Only an
administrator changes them (``settings.write``); the wage floor may also be set from the tracking
page by whoever manages batches (db.services.followup.set_wage_floor), through the same writer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import households, policy
from core.access import Actor, require
from core.i18n import UserError, tr
from db import audit
from db.engine import Database
from db.models import AppSetting

Value = float | int


@dataclass(frozen=True)
class SettingKey:
    """One declared bureau-wide setting."""

    key: str
    kind: type[float] | type[int]
    default: Value
    minimum: Value
    maximum: Value
    zh: str
    en: str
    unit_zh: str = ""
    unit_en: str = ""

    @property
    def label(self) -> str:
        return tr(self.zh, self.en)


PRIORITY_PREFIX = "policy.priority."
SKILLED_WEIGHT = "policy.skilled_weight"
WAGE_FLOOR = "alerts.wage_floor"
REPLACE_DAYS = "alerts.replace_days"
ALERT_WINDOW_DAYS = "alerts.window_days"
FOLLOWUP_DAYS = "followup.every_days"
FOLLOWUP_DUE_WITHIN_DAYS = "followup.due_within_days"
HOUSEHOLD_DROP_PERCENT = "households.drop_percent"
MONITORING_LINE_PREFIX = "households.line."

_HOUSEHOLD_NAMES = {"monitored": ("监测户", "monitored households"),
                    "poverty_exited": ("脱贫户", "poverty-exited households"),
                    "general": ("一般户", "general households")}

KEYS: dict[str, SettingKey] = {
    **{f"{PRIORITY_PREFIX}{h}": SettingKey(
        f"{PRIORITY_PREFIX}{h}", float, policy.DEFAULT_PRIORITY_WEIGHTS[h], 0.0, policy.PRIORITY_MAX,
        f"政策优先系数：{zh}", f"Policy priority weight: {en}")
       for h, (zh, en) in _HOUSEHOLD_NAMES.items()},
    SKILLED_WEIGHT: SettingKey(SKILLED_WEIGHT, float, policy.DEFAULT_SKILLED_WEIGHT, 0.0, policy.SKILLED_WEIGHT_MAX,
                               "方案中“12个月内转为职业工”概率的权重",
                               "Weight of P(skilled within 12 months) in the plan's objective"),
    WAGE_FLOOR: SettingKey(WAGE_FLOOR, int, policy.DEFAULT_WAGE_FLOOR, 0, 100_000, "工资预警线",
                           "Wage floor for alerts", "元/月", "yuan/month"),
    REPLACE_DAYS: SettingKey(REPLACE_DAYS, int, policy.REPLACE_DAYS, 1, 365, "离岗未再就业预警天数",
                             "Days after leaving without a new job before an alert", "天", "days"),
    ALERT_WINDOW_DAYS: SettingKey(ALERT_WINDOW_DAYS, int, policy.ALERT_WINDOW_DAYS, 30, 3650, "预警回看天数",
                                  "Days alerts look back", "天", "days"),
    FOLLOWUP_DAYS: SettingKey(FOLLOWUP_DAYS, int, policy.FOLLOWUP_DAYS, 7, 365, "回访间隔天数",
                              "Days between follow-up visits", "天", "days"),
    FOLLOWUP_DUE_WITHIN_DAYS: SettingKey(FOLLOWUP_DUE_WITHIN_DAYS, int, policy.FOLLOWUP_DUE_WITHIN_DAYS, 0, 90,
                                         "待回访提前天数", "Days ahead the due list looks", "天", "days"),
    HOUSEHOLD_DROP_PERCENT: SettingKey(HOUSEHOLD_DROP_PERCENT, int, households.DROP_ALERT_PERCENT, 1, 100,
                                       "乡镇务工规模同比下降预警线", "Township drop against last year that alerts",
                                       "%", "%"),
    **{f"{MONITORING_LINE_PREFIX}{y}": SettingKey(
        f"{MONITORING_LINE_PREFIX}{y}", int, 0, 0, 100_000, f"{y}年防返贫监测线（0 = 未设置）",
        f"Monitoring line {y} (0 = not set)", "元/人·年", "yuan per head and year")
       for y in households.MONITORING_LINE_YEARS},
}


def monitoring_line(database: Database, year: int) -> int:
    """The province's monitoring line for a year as the bureau set it; 0 when not set (or out of range)."""
    key = f"{MONITORING_LINE_PREFIX}{year}"
    return int(get(database, key)) if key in KEYS else 0


def _spec(key: str) -> SettingKey:
    spec = KEYS.get(key)
    if spec is None:
        raise UserError(f"没有名为“{key}”的设置项；可用：{'、'.join(KEYS)}。",
                        f"There is no setting '{key}'; known keys: {', '.join(KEYS)}.", code=2)
    return spec


def check(key: str, value: object) -> Value:
    """The value as the key's type, or a UserError (code 2) naming what is wrong."""
    spec = _spec(key)
    text = str(value).strip() if not isinstance(value, (int, float)) or isinstance(value, bool) else value
    try:
        number = float(text)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise UserError(f"设置“{key}”的值必须是数字（收到“{value}”）；未作任何改动。",
                        f"The value of '{key}' must be a number (got '{value}'); nothing was changed.", code=2)
    if spec.kind is int and number != int(number):
        raise UserError(f"设置“{key}”的值必须是整数（收到“{value}”）；未作任何改动。",
                        f"The value of '{key}' must be a whole number (got '{value}'); nothing was changed.", code=2)
    if number < spec.minimum:
        what_zh = "不能为负数" if number < 0 else f"不能小于 {spec.minimum:g}"
        what_en = "cannot be negative" if number < 0 else f"cannot be below {spec.minimum:g}"
        raise UserError(f"设置“{key}”{what_zh}（收到 {value}）；未作任何改动。",
                        f"The setting '{key}' {what_en} (got {value}); nothing was changed.", code=2)
    if number > spec.maximum:
        raise UserError(f"设置“{key}”不能大于 {spec.maximum:g}（收到 {value}）；未作任何改动。",
                        f"The setting '{key}' cannot exceed {spec.maximum:g} (got {value}); nothing was changed.", code=2)
    return int(number) if spec.kind is int else float(number)


def _parse_stored(spec: SettingKey, raw: str | None) -> Value:
    """A stored value; a damaged or out-of-range one reads as the default (never stops the program)."""
    if raw is None:
        return spec.default
    try:
        return check(spec.key, raw)
    except UserError:
        return spec.default


def read_all(database: Database) -> dict[str, Value]:
    """Every declared key with its current value (default where nothing is stored)."""
    with database.session() as session:
        stored = dict(session.execute(select(AppSetting.key, AppSetting.value)
                                      .where(AppSetting.key.in_(list(KEYS)))).all())
    return {key: _parse_stored(spec, stored.get(key)) for key, spec in KEYS.items()}


def get(database: Database, key: str) -> Value:
    spec = _spec(key)
    with database.session() as session:
        row = session.get(AppSetting, key)
        return _parse_stored(spec, row.value if row is not None else None)


def priority_weights(database: Database) -> dict[str, float]:
    """The bureau's priority weights by household type (what ranking and plans use)."""
    values = read_all(database)
    return {h: float(values[f"{PRIORITY_PREFIX}{h}"]) for h in _HOUSEHOLD_NAMES}


def skilled_weight(database: Database) -> float:
    return float(get(database, SKILLED_WEIGHT))


def describe(database: Database) -> list[dict[str, object]]:
    """Rows for display: key, label, value, default, minimum, maximum, unit."""
    values = read_all(database)
    return [{"key": k, "label": s.label, "value": values[k], "default": s.default, "minimum": s.minimum,
             "maximum": s.maximum, "unit": tr(s.unit_zh, s.unit_en)} for k, s in KEYS.items()]


def write(session: Session, actor: Actor, key: str, value: object) -> Value:
    """Store one checked value and audit the change (the caller has checked the permission)."""
    checked = check(key, value)
    row = session.get(AppSetting, key)
    before = row.value if row is not None else None
    if row is None:
        session.add(AppSetting(key=key, value=str(checked)))
    else:
        row.value = str(checked)
    audit.record(session, actor, "setting.update", "setting", key, before={"value": before},
                 after={"value": checked})
    return checked


def set_values(database: Database, actor: Actor, values: dict[str, object]) -> dict[str, Value]:
    """Change several settings at once (administrators only): all are checked first, then all are
    stored in one transaction; an unknown key or a bad value changes nothing."""
    require(actor, "settings.write")
    checked = {key: check(key, value) for key, value in values.items()}
    current = read_all(database)
    with database.session() as session:
        for key, value in checked.items():
            if value != current[key]:
                write(session, actor, key, value)
    return checked


def set_value(database: Database, actor: Actor, key: str, value: object) -> Value:
    """``main.py settings set KEY VALUE``."""
    return set_values(database, actor, {key: value})[key]
