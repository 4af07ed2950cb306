"""The bureau's name and county (bureau-wide settings ``bureau.name`` / ``bureau.county``), asked once at
first start and kept in the database for every office, so every printed list and statistics workbook —
from the GUI or the command line — carries the same heading."""

from __future__ import annotations

from core.access import Actor
from core.i18n import UserError
from db.engine import Database
from db.services import settings
from db.services.lists import default_bureau

BUREAU_KEY = settings.BUREAU_NAME
COUNTY_KEY = settings.BUREAU_COUNTY


def bureau(database: Database) -> tuple[str, str]:
    """(name, county) as set; empty strings when nobody has said yet."""
    values = settings.read_all(database)
    return str(values[BUREAU_KEY]), str(values[COUNTY_KEY])


def is_set(database: Database) -> bool:
    return bool(bureau(database)[0])


def bureau_heading(database: Database) -> str:
    """What heads every list and workbook: the bureau's name, else the generic one."""
    return bureau(database)[0] or default_bureau()


def set_bureau(database: Database, actor: Actor, name: str, county: str = "") -> None:
    """Set the bureau's name and county (the first-start question, which wants a name)."""
    if not " ".join(str(name).split()):
        raise UserError("请填写单位名称，例如“互助县人力资源和社会保障局”。",
                        "Give the bureau's name, e.g. 'Huzhu County Human Resources and Social Security Bureau'.")
    settings.set_values(database, actor, {BUREAU_KEY: name, COUNTY_KEY: county})
