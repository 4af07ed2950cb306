"""Bureau-wide settings (全局设置): one value for every office sharing the database, audited.

The keys are declared once in core.settings_schema (scope ``bureau``) with kind, default, range, label
and the permission that changes them; this module stores and reads them in ``app_setting``. The GUI
(设置 dialog), the CLI (``main.py settings``) and the services (ranking, plan, alerts, list headings)
read the same rows, so the same ``plan`` and the same heading come out everywhere.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import settings_schema as schema
from core.access import Actor, require
from db import audit
from db.engine import Database
from db.models import AppSetting

Value = schema.Value
SettingKey = schema.Setting

PRIORITY_PREFIX = "policy.priority."
SKILLED_WEIGHT = "policy.skilled_weight"
WAGE_FLOOR = "alerts.wage_floor"
REPLACE_DAYS = "alerts.replace_days"
ALERT_WINDOW_DAYS = "alerts.window_days"
FOLLOWUP_DAYS = "followup.every_days"
FOLLOWUP_DUE_WITHIN_DAYS = "followup.due_within_days"
HOUSEHOLD_DROP_PERCENT = "households.drop_percent"
MONITORING_LINE_PREFIX = "households.line."
BUREAU_NAME = "bureau.name"
BUREAU_COUNTY = "bureau.county"

KEYS: dict[str, schema.Setting] = {s.key: s for s in schema.of_scope("bureau")}
_HOUSEHOLDS = tuple(k.removeprefix(PRIORITY_PREFIX) for k in KEYS if k.startswith(PRIORITY_PREFIX))


def monitoring_line(database: Database, year: int) -> int:
    """The province's monitoring line for a year as the bureau set it; 0 when not set (or out of range)."""
    key = f"{MONITORING_LINE_PREFIX}{year}"
    return schema.as_int(get(database, key)) if key in KEYS else 0


def check(key: str, value: object) -> Value:
    """The value as the key's type, or a UserError (code 2) naming what is wrong."""
    return schema.check(key, value, "bureau")


def read_all(database: Database) -> dict[str, Value]:
    """Every declared key with its current value (default where nothing is stored)."""
    with database.session() as session:
        stored = dict(session.execute(select(AppSetting.key, AppSetting.value)
                                      .where(AppSetting.key.in_(list(KEYS)))).all())
    return {key: schema.read_stored(spec, stored.get(key)) for key, spec in KEYS.items()}


def get(database: Database, key: str) -> Value:
    spec = schema.spec(key, "bureau")
    with database.session() as session:
        row = session.get(AppSetting, key)
        return schema.read_stored(spec, row.value if row is not None else None)


def priority_weights(database: Database) -> dict[str, float]:
    """The bureau's priority weights by household type (what ranking and plans use)."""
    values = read_all(database)
    return {h: schema.as_float(values[f"{PRIORITY_PREFIX}{h}"]) for h in _HOUSEHOLDS}


def skilled_weight(database: Database) -> float:
    return schema.as_float(get(database, SKILLED_WEIGHT))


def describe(database: Database) -> list[dict[str, object]]:
    """Rows for display: key, kind, label, value, default, minimum, maximum, choices, unit, help."""
    values = read_all(database)
    return [{"key": k, "kind": s.kind, "label": s.label, "value": values[k], "default": schema.default(s),
             "minimum": s.minimum, "maximum": s.maximum, "choices": list(s.choice_keys) or None,
             "unit": s.unit, "help": s.help} for k, s in KEYS.items()]


def write(session: Session, actor: Actor, key: str, value: object) -> Value:
    """Store one checked value and audit the change (the caller has checked the permission)."""
    checked = check(key, value)
    text = schema.stored_text(KEYS[key], checked)
    row = session.get(AppSetting, key)
    before = row.value if row is not None else None
    if row is None:
        session.add(AppSetting(key=key, value=text))
    else:
        row.value = text
    audit.record(session, actor, "setting.update", "setting", key, before={"value": before},
                 after={"value": checked})
    return checked


def set_values(database: Database, actor: Actor, values: dict[str, object]) -> dict[str, Value]:
    """Change several settings at once: all are checked first (each value, then the permission its key needs),
    then all are stored in one transaction; an unknown key, a bad value or a missing right changes nothing."""
    checked = {key: check(key, value) for key, value in values.items()}
    for key in checked:
        require(actor, KEYS[key].write)
    current = read_all(database)
    with database.session() as session:
        for key, value in checked.items():
            if value != current[key]:
                write(session, actor, key, value)
    return checked


def set_value(database: Database, actor: Actor, key: str, value: object) -> Value:
    """``main.py settings set KEY VALUE``."""
    return set_values(database, actor, {key: value})[key]
