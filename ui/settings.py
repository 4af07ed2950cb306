"""This PC's settings (scope ``pc`` in core.settings_schema), kept in ``settings.ini`` in the user data
folder (``LABORBRIDGE_DATA_DIR`` moves it), so a copy of that folder carries the database and the
settings together, and tests never touch a real user's configuration.

Every setting — of this PC and bureau-wide — is declared once in core.settings_schema with its kind,
default, range and label; this module stores the PC ones through QSettings (a damaged value reads as
its default) and :class:`SettingsValues` carries what the settings dialog edits, checked by the
schema's one validation before anything is stored. Bureau-wide values (the bureau's name, policy
weights, alert and follow-up limits) live in the database (db.services.settings), the same for the
GUI and the command line.

An older LaborBridge kept the bureau's name in this file (``print/bureau_name``); it is moved once
into the database when an administrator signs in to a database without a name, and is otherwise
ignored (see :meth:`Settings.take_legacy_bureau_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from core import settings_schema as schema
from core.access import Actor
from core.i18n import UserError
from db.engine import Database, data_dir

LANGUAGE = "ui/language"
DATABASE_URL = "database/url"
BACKUP_FOLDER = "backup/folder"
LIST_COLUMNS_KEY = "print/columns"
LEGACY_BUREAU_NAME = "print/bureau_name"


def settings_path() -> Path:
    return data_dir() / "settings.ini"


def default_list_columns() -> list[str]:
    return list(schema.BY_KEY[LIST_COLUMNS_KEY].choice_keys)


class Settings:
    """Typed access to this PC's stored settings; a value that cannot be read falls back to its default."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # --- generic ------------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        return schema.read_stored(schema.spec(key, "pc"), self._qs.value(key))

    def set(self, key: str, value: object) -> None:
        """Store a value as it is (check it first: :meth:`SettingsValues.validate`)."""
        setting = schema.spec(key, "pc")
        self._qs.setValue(key, schema.stored_text(setting, value) if isinstance(value, list) else value)

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

    def take_legacy_bureau_name(self) -> str:
        """The bureau name an older version kept here, removed from the file (empty when none)."""
        raw = self._qs.value(LEGACY_BUREAU_NAME)
        if raw is None:
            return ""
        self._qs.remove(LEGACY_BUREAU_NAME)
        self.sync()
        text = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)  # QSettings splits at commas
        return " ".join(text.split())

    # --- typed accessors ------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        """Empty means the SQLite file in the user data folder."""
        return str(self.get(DATABASE_URL))

    @property
    def backup_folder(self) -> Path:
        folder = str(self.get(BACKUP_FOLDER))
        return Path(folder) if folder else data_dir() / "backups"

    @property
    def list_columns(self) -> list[str]:
        """Chosen columns in order; keys the list printer no longer knows are dropped."""
        return list(self.get(LIST_COLUMNS_KEY))

    @property
    def language(self) -> str:
        return str(self.get(LANGUAGE))


@dataclass
class SettingsValues:
    """Everything the settings dialog edits, by key: ``pc`` for this computer, ``bureau`` for the
    bureau-wide values the user may change (empty when no database is open)."""

    pc: dict[str, object]
    bureau: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, database: Database | None = None) -> SettingsValues:
        pc: dict[str, object] = {s.key: settings.get(s.key) for s in schema.of_scope("pc")}
        if database is None:
            return cls(pc)
        from db.services import settings as bureau

        return cls(pc, dict(bureau.read_all(database)))

    @classmethod
    def defaults(cls, with_bureau: bool) -> SettingsValues:
        return cls({s.key: schema.default(s) for s in schema.of_scope("pc")},
                   {s.key: schema.default(s) for s in schema.of_scope("bureau")} if with_bureau else {})

    def validate(self) -> dict[str, schema.Value]:
        """Every value checked by the schema; raises a UserError naming the first that cannot be used."""
        return schema.check_all({**self.pc, **self.bureau})

    def save_bureau(self, database: Database, actor: Actor) -> None:
        """Check everything, then store the bureau-wide values that changed (each refused by role)."""
        self.validate()
        if not self.bureau:
            return
        from db.services import settings as bureau

        checked = schema.check_all(self.bureau)
        current = bureau.read_all(database)
        changed: dict[str, object] = {k: v for k, v in checked.items() if current.get(k) != v}
        if changed:
            bureau.set_values(database, actor, changed)

    def save(self, settings: Settings) -> None:
        """Check everything, then store this computer's settings."""
        checked = self.validate()
        for key in self.pc:
            settings.set(key, checked[key])
        settings.sync()


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


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
    folder = str((settings or Settings()).get(BACKUP_FOLDER))
    if folder:
        os.environ["LABORBRIDGE_BACKUP_DIR"] = folder
        _backup_env_from_settings = True
    elif _backup_env_from_settings:
        os.environ.pop("LABORBRIDGE_BACKUP_DIR", None)
        _backup_env_from_settings = False
