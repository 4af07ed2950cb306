"""The bureau's name and county, asked once at first start and kept in the database for every office
(AppSetting), so every printed list and statistics workbook carries the same heading."""

from __future__ import annotations

from core.access import Actor, require
from core.fields import short_text
from core.i18n import UserError, tr
from db import audit
from db.engine import Database
from db.models import AppSetting

BUREAU_KEY = "bureau.name"
COUNTY_KEY = "bureau.county"


def bureau(database: Database) -> tuple[str, str]:
    """(name, county) as set; empty strings when nobody has said yet."""
    with database.session() as session:
        rows = {r.key: r.value for r in session.query(AppSetting).filter(AppSetting.key.in_((BUREAU_KEY, COUNTY_KEY)))}
    return rows.get(BUREAU_KEY, ""), rows.get(COUNTY_KEY, "")


def is_set(database: Database) -> bool:
    return bool(bureau(database)[0])


def bureau_heading(database: Database) -> str:
    """What heads every list: the bureau's name, else the generic one."""
    name, _county = bureau(database)
    return name or tr("人力资源和社会保障局", "Human Resources and Social Security Bureau")


def set_bureau(database: Database, actor: Actor, name: str, county: str = "") -> None:
    """Set the bureau's name (printed on every list) and county; kept as typed."""
    require(actor, "settings.write")
    name, county = short_text(name, 60), short_text(county, 40)
    if not name:
        raise UserError("请填写单位名称，例如“互助县人力资源和社会保障局”。",
                        "Give the bureau's name, e.g. 'Huzhu County Human Resources and Social Security Bureau'.")
    with database.session() as session:
        before = {}
        for key, value in ((BUREAU_KEY, name), (COUNTY_KEY, county)):
            row = session.get(AppSetting, key)
            before[key] = row.value if row else None
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value
        audit.record(session, actor, "setting.update", "setting", BUREAU_KEY, before=before,
                     after={BUREAU_KEY: name, COUNTY_KEY: county})
