"""The one declared source of configuration: a typed wrapper over QSettings with defaults.

Settings live in ``settings.ini`` in the user data folder (``LABORBRIDGE_DATA_DIR`` moves it), so a
copy of that folder — or a backup of it — carries the database and the settings together, and tests
never touch a real user's configuration. Every key is declared once below with its type and default;
the rest of the UI reads and writes through :class:`Settings`, never through raw QSettings keys.

Other engineers' code reads these keys:
- ``print/bureau_name`` and ``print/columns`` — the printed lists (ui/printing, db/services/lists.py);
- ``policy/priority_<household>`` — the matcher's policy priority weights;

Bureau-wide settings are not per computer and live in the database (``app_setting``, audited), read
and written through db.services.settings: the policy priority weights, the weight of P(skilled) in
plans (administrators only) and the wage floor for alerts (db.services.followup.set_wage_floor). The
GUI and the command line read the same values, so the same plan comes out of both; the dialog edits
them beside the per-computer ones so the user finds every setting in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings

from core import vocab
from core.access import Actor
from core.i18n import UserError
from db.engine import Database, data_dir
from db.services.lists import LIST_COLUMNS

T = TypeVar("T")

HOUSEHOLD_TYPES = tuple(vocab.HOUSEHOLD_TYPES)
LANGUAGES = ("zh", "en")


def settings_path() -> Path:
    return data_dir() / "settings.ini"


def default_priority_weights() -> dict[str, float]:
    from core.policy import DEFAULT_PRIORITY_WEIGHTS

    return {h: float(DEFAULT_PRIORITY_WEIGHTS[h]) for h in HOUSEHOLD_TYPES}


def list_columns() -> list[tuple[str, str, str]]:
    """(key, Chinese label, English label) of every column a printed list can show, in print order."""
    return [(c.key, c.zh, c.en) for c in LIST_COLUMNS.values()]


def default_list_columns() -> list[str]:
    return [key for key, _zh, _en in list_columns()]


@dataclass(frozen=True)
class Key(Generic[T]):
    """One declared setting: its QSettings name, how to read a stored value, and its default."""

    name: str
    parse: Callable[[Any], T]
    default: Callable[[], T]


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _float(value: Any) -> float:
    number = float(str(value))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _language(value: Any) -> str:
    lang = str(value).strip().lower()
    if lang not in LANGUAGES:
        raise ValueError(value)
    return lang


def _columns(value: Any) -> list[str]:
    # QSettings returns a list for several values and a bare string for one; both are accepted.
    items = value if isinstance(value, list) else str(value).split(",")
    keys = [str(v).strip() for v in items if str(v).strip()]
    if not keys:
        raise ValueError(value)
    return keys


BUREAU_NAME = Key("print/bureau_name", _text, lambda: "")
DATABASE_URL = Key("database/url", _text, lambda: "")
BACKUP_FOLDER = Key("backup/folder", _text, lambda: "")
LIST_COLUMNS_KEY = Key("print/columns", _columns, default_list_columns)
LANGUAGE = Key("ui/language", _language, lambda: "zh")


ALL_KEYS: tuple[Key[Any], ...] = (BUREAU_NAME, DATABASE_URL, BACKUP_FOLDER, LIST_COLUMNS_KEY, LANGUAGE)


class Settings:
    """Typed access to the stored settings; a value that cannot be read falls back to its default."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # --- generic ------------------------------------------------------------------------------
    def get(self, key: Key[T]) -> T:
        raw = self._qs.value(key.name)
        if raw is None or raw == "":
            return key.default()
        try:
            return key.parse(raw)
        except (TypeError, ValueError):  # a hand-edited or damaged file must not stop the program
            return key.default()

    def set(self, key: Key[T], value: T) -> None:
        stored: Any = ",".join(value) if isinstance(value, list) else value
        self._qs.setValue(key.name, stored)

    def reset(self) -> None:
        """Forget every stored value: all settings return to their defaults."""
        self._qs.clear()
        self.sync()

    def sync(self) -> None:
        """Write to disk now; raises a UserError when the file cannot be written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qs.sync()
        if self._qs.status() != QSettings.Status.NoError:
            raise UserError(f"无法保存设置到 {self.path}（文件无法写入）。",
                            f"Cannot save the settings to {self.path} (the file cannot be written).")

    # --- typed accessors ------------------------------------------------------------------------
    @property
    def bureau_name(self) -> str:
        return self.get(BUREAU_NAME)

    @property
    def database_url(self) -> str:
        """Empty means the SQLite file in the user data folder."""
        return self.get(DATABASE_URL)

    @property
    def backup_folder(self) -> Path:
        folder = self.get(BACKUP_FOLDER)
        return Path(folder) if folder else data_dir() / "backups"

    @property
    def list_columns(self) -> list[str]:
        """Chosen columns in order; keys the list printer no longer knows are dropped."""
        known = set(default_list_columns())
        chosen = [c for c in self.get(LIST_COLUMNS_KEY) if c in known]
        return chosen or default_list_columns()

    @property
    def language(self) -> str:
        return self.get(LANGUAGE)


@dataclass
class SettingsValues:
    """Everything the settings dialog edits, checked before anything is stored. The bureau-wide
    values are None when no database is open or the user may not change them."""

    bureau_name: str
    database_url: str
    backup_folder: str
    list_columns: list[str]
    language: str
    wage_floor: int | None = None                      # bureau-wide (database)
    priority_weights: dict[str, float] | None = None   # bureau-wide (database), administrators
    skilled_weight: float | None = None                # bureau-wide (database), administrators

    @classmethod
    def load(cls, settings: Settings, database: Database | None = None) -> SettingsValues:
        values = cls(settings.bureau_name, settings.database_url, settings.get(BACKUP_FOLDER), settings.list_columns,
                     settings.language)
        if database is not None:
            from db.services import settings as bureau

            values.wage_floor = stored_wage_floor(database)
            values.priority_weights = bureau.priority_weights(database)
            values.skilled_weight = bureau.skilled_weight(database)
        return values

    def validate(self) -> None:
        """Raise a UserError naming the first value that cannot be used."""
        from core.policy import PRIORITY_MAX, SKILLED_WEIGHT_MAX

        if len(self.bureau_name) > 60:
            raise UserError("单位名称过长（最多 60 个字）。", "The bureau name is too long (60 characters at most).")
        if self.database_url:
            check_database_url(self.database_url)
        if self.backup_folder and not Path(self.backup_folder).is_dir():
            raise UserError(f"备份文件夹 {self.backup_folder} 不存在。",
                            f"The backup folder {self.backup_folder} does not exist.")
        for household, weight in (self.priority_weights or {}).items():
            if not (0.0 <= weight <= PRIORITY_MAX):
                raise UserError(f"优先权重必须在 0 到 {PRIORITY_MAX:g} 之间（{household}：{weight:g}）。",
                                f"Priority weights must be between 0 and {PRIORITY_MAX:g} ({household}: {weight:g}).")
        if self.skilled_weight is not None and not (0.0 <= self.skilled_weight <= SKILLED_WEIGHT_MAX):
            raise UserError(f"转职业工概率的权重必须在 0 到 {SKILLED_WEIGHT_MAX:g} 之间。",
                            f"The weight of P(skilled) must be between 0 and {SKILLED_WEIGHT_MAX:g}.")
        if self.wage_floor is not None and not (0 <= self.wage_floor <= 100_000):
            raise UserError("工资预警线必须在 0 到 100000 元之间。", "The wage floor must be between 0 and 100,000 yuan.")
        if not self.list_columns:
            raise UserError("打印名册至少要选择一列。", "Choose at least one column for printed lists.")
        if self.language not in LANGUAGES:
            raise UserError("界面语言只能是中文或英文。", "The language must be Chinese or English.")

    def save_bureau(self, database: Database, actor: Actor) -> None:
        """Check everything, then store the bureau-wide values that changed (each refused by role)."""
        self.validate()
        if self.wage_floor is not None and self.wage_floor != stored_wage_floor(database):
            from db.services.followup import set_wage_floor

            set_wage_floor(database, actor, self.wage_floor)
        if database is not None and (self.priority_weights is not None or self.skilled_weight is not None):
            from db.services import settings as bureau

            changes: dict[str, object] = {f"{bureau.PRIORITY_PREFIX}{h}": w
                                          for h, w in (self.priority_weights or {}).items()}
            if self.skilled_weight is not None:
                changes[bureau.SKILLED_WEIGHT] = self.skilled_weight
            current = bureau.read_all(database)
            changed = {k: v for k, v in changes.items() if current.get(k) != v}
            if changed:
                bureau.set_values(database, actor, changed)

    def save(self, settings: Settings) -> None:
        """Check everything, then store this computer's settings."""
        self.validate()
        settings.set(BUREAU_NAME, self.bureau_name.strip())
        settings.set(DATABASE_URL, self.database_url.strip())
        settings.set(BACKUP_FOLDER, self.backup_folder.strip())
        settings.set(LIST_COLUMNS_KEY, list(self.list_columns))
        settings.set(LANGUAGE, self.language)
        settings.sync()


def stored_wage_floor(database: Database) -> int:
    from db.services.followup import wage_floor

    return wage_floor(database)


def default_wage_floor() -> int:
    from core.policy import DEFAULT_WAGE_FLOOR

    return int(DEFAULT_WAGE_FLOOR)


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def check_database_url(url: str) -> None:
    """A URL the program can open later: parseable, a known backend, a SQLite file whose folder exists."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"数据库地址“{url}”格式无法识别（示例：postgresql+psycopg://用户@服务器/laborbridge）。",
                        f"The database URL '{url}' is not recognised "
                        "(example: postgresql+psycopg://user@server/laborbridge).") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UserError(f"不支持的数据库类型“{backend}”：请使用本机文件或 PostgreSQL 服务器。",
                        f"Unsupported database type '{backend}': use a local file or a PostgreSQL server.")
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise UserError("请指定数据库文件。", "Give a database file.")
        if not Path(database).parent.is_dir():
            raise UserError(f"数据库文件所在的文件夹 {Path(database).parent} 不存在。",
                            f"The folder of the database file, {Path(database).parent}, does not exist.")


def startup_language(explicit: str | None) -> str:
    """--lang wins, then LABORBRIDGE_LANG, then the stored setting."""
    import os

    if explicit:
        return explicit
    env = os.environ.get("LABORBRIDGE_LANG")
    if env:
        return "en" if env.lower().startswith("en") else "zh"
    return Settings().language


def startup_database_url(explicit: str | None) -> str | None:
    """--db wins, then LABORBRIDGE_DB, then the stored setting, then the default file (None).

    Also applies the stored backup folder, which the GUI's automatic backups use from the start."""
    import os

    settings = Settings()
    apply_backup_folder(settings)
    return explicit or os.environ.get("LABORBRIDGE_DB") or settings.database_url or None


_backup_env_from_settings = False


def apply_backup_folder(settings: Settings | None = None) -> None:
    """Point db.services.backup at the chosen backup folder (its LABORBRIDGE_BACKUP_DIR override).

    An override the user set in the environment wins; a folder chosen here replaces one chosen earlier.
    """
    import os

    global _backup_env_from_settings
    if os.environ.get("LABORBRIDGE_BACKUP_DIR") and not _backup_env_from_settings:
        return
    folder = (settings or Settings()).get(BACKUP_FOLDER)
    if folder:
        os.environ["LABORBRIDGE_BACKUP_DIR"] = folder
        _backup_env_from_settings = True
    elif _backup_env_from_settings:
        os.environ.pop("LABORBRIDGE_BACKUP_DIR", None)
        _backup_env_from_settings = False
