"""Settings (QSettings wrapper + dialog), the about dialog, menu entries and the start-up language."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from core import i18n
from core.access import SYSTEM, Actor
from core.i18n import UserError
from core.policy import DEFAULT_PRIORITY_WEIGHTS, DEFAULT_WAGE_FLOOR
from db.engine import data_dir
from db.services import settings as bureau
from db.services.followup import wage_floor
from db.services.lists import LIST_COLUMNS
from ui import settings as st
from ui.about_dialog import VERSION, AboutDialog
from ui.settings import Settings, SettingsValues
from ui.settings_dialog import SettingsDialog

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _restore_backup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving settings points backups at the chosen folder; other tests must not see that."""
    monkeypatch.delenv("LABORBRIDGE_BACKUP_DIR", raising=False)
    monkeypatch.setattr(st, "_backup_env_from_settings", False)


# --- the typed store ------------------------------------------------------------------------------

def test_defaults_come_from_the_matcher_and_the_list_printer() -> None:
    s = Settings()
    assert s.path == data_dir() / "settings.ini"
    assert s.database_url == ""
    assert s.backup_folder == data_dir() / "backups"
    assert s.language == "zh"
    assert s.list_columns == list(LIST_COLUMNS)
    assert st.default_list_columns() == list(LIST_COLUMNS)
    assert LIST_COLUMNS["id_number"].header == "身份证号"
    assert {k: v for k, v in SettingsValues.defaults(with_bureau=True).bureau.items()
            if k.startswith("policy.priority.")} == {f"policy.priority.{k}": v for k, v in DEFAULT_PRIORITY_WEIGHTS.items()}


def test_values_survive_a_new_settings_object_and_a_reset(tmp_path: Path) -> None:
    s = Settings()
    values = SettingsValues({st.DATABASE_URL: st.sqlite_url(tmp_path / "x.sqlite3"), st.BACKUP_FOLDER: str(tmp_path),
                             st.LIST_COLUMNS_KEY: ["seq", "name", "id_number"], st.LANGUAGE: "en"})
    values.save(s)
    assert (data_dir() / "settings.ini").is_file()
    again = Settings()
    assert again.database_url == f"sqlite:///{(tmp_path / 'x.sqlite3').resolve()}"
    assert again.backup_folder == tmp_path
    text = (data_dir() / "settings.ini").read_text(encoding="utf-8")
    assert "priority" not in text and "bureau" not in text  # bureau-wide, not per PC
    assert again.list_columns == ["seq", "name", "id_number"]
    assert again.language == "en"
    again.reset()
    assert Settings().language == "zh" and Settings().database_url == ""


def test_a_single_column_and_unknown_columns(tmp_path: Path) -> None:
    s = Settings()
    s.set(st.LIST_COLUMNS_KEY, ["name"])
    s.sync()
    assert Settings().list_columns == ["name"]  # QSettings gives back a bare string for one value
    s.set(st.LIST_COLUMNS_KEY, ["name", "no_such_column"])
    s.sync()
    assert Settings().list_columns == ["name"]  # a column a later version dropped is ignored
    s.set(st.LIST_COLUMNS_KEY, ["no_such_column"])
    s.sync()
    assert Settings().list_columns == list(LIST_COLUMNS)  # nothing usable left: every column


def test_a_damaged_settings_file_falls_back_to_defaults() -> None:
    path = data_dir() / "settings.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[policy]\npriority_monitored=lots\npriority_general=nan\n[ui]\nlanguage=klingon\n"
                    "[print]\ncolumns=\n[database]\nurl=mysql://x@y/z\n", encoding="utf-8")
    s = Settings()
    assert s.language == "zh"
    assert s.list_columns == list(LIST_COLUMNS)
    assert s.database_url == ""


@pytest.mark.parametrize(("key", "value", "message"), [
    (st.DATABASE_URL, "not a url", "格式无法识别"),
    (st.DATABASE_URL, "mysql://u@h/db", "不支持的数据库类型"),
    (st.DATABASE_URL, "sqlite:////no/such/folder/x.sqlite3", "不存在"),
    (st.BACKUP_FOLDER, "/no/such/folder", "备份文件夹"),
    ("policy.priority.monitored", 1.5, "不能大于 1"),
    (st.LIST_COLUMNS_KEY, [], "至少要选择一项"),
    (st.LIST_COLUMNS_KEY, ["name", "salary"], "未知的项：salary"),
    (st.LANGUAGE, "fr", "只能是 zh、en"),
    ("bureau.name", "局" * 61, "过长"),
    ("alerts.wage_floor", -1, "工资预警线"),
    ("alerts.replace_days", 0, "不能小于 1"),
    ("followup.every_days", 3.5, "必须是整数"),
])
def test_bad_values_are_refused_and_nothing_is_stored(key: str, value: object, message: str) -> None:
    s = Settings()
    s.set(st.LANGUAGE, "en")
    s.sync()
    before = (data_dir() / "settings.ini").read_bytes()
    values = SettingsValues.load(s)
    values.bureau = dict(SettingsValues.defaults(with_bureau=True).bureau)
    (values.pc if key in values.pc else values.bureau)[key] = value
    with pytest.raises(UserError, match=message):
        values.save(s)
    assert (data_dir() / "settings.ini").read_bytes() == before
    assert Settings().language == "en"


def test_the_error_reads_in_english_too() -> None:
    i18n.set_language("en")
    values = SettingsValues.load(Settings())
    values.pc[st.LIST_COLUMNS_KEY] = []
    with pytest.raises(UserError) as err:
        values.validate()
    assert str(err.value) == "Columns of printed lists (print/columns) needs at least one item; nothing was changed."


def test_start_up_language_and_database_follow_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = Settings()
    s.set(st.LANGUAGE, "en")
    s.set(st.DATABASE_URL, st.sqlite_url(tmp_path / "office.sqlite3"))
    s.sync()
    monkeypatch.delenv("LABORBRIDGE_LANG", raising=False)
    assert st.startup_language(None) == "en"
    assert st.startup_language("zh") == "zh"  # --lang wins
    monkeypatch.setenv("LABORBRIDGE_LANG", "zh")
    assert st.startup_language(None) == "zh"  # then the environment
    assert st.startup_database_url(None) == st.sqlite_url(tmp_path / "office.sqlite3")
    assert st.startup_database_url("sqlite:///other.sqlite3") == "sqlite:///other.sqlite3"
    monkeypatch.setenv("LABORBRIDGE_DB", "sqlite:///env.sqlite3")
    assert st.startup_database_url(None) == "sqlite:///env.sqlite3"


def test_backups_go_to_the_chosen_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from db.services.backup import backup_dir

    assert backup_dir() == data_dir() / "backups"
    s = Settings()
    s.set(st.BACKUP_FOLDER, str(tmp_path))
    s.sync()
    st.startup_database_url(None)
    assert backup_dir() == tmp_path
    s.set(st.BACKUP_FOLDER, "")
    st.apply_backup_folder(s)
    assert backup_dir() == data_dir() / "backups"
    monkeypatch.setenv("LABORBRIDGE_BACKUP_DIR", "/srv/backups")  # the administrator's override wins
    s.set(st.BACKUP_FOLDER, str(tmp_path))
    st.apply_backup_folder(s)
    assert backup_dir() == Path("/srv/backups")


def test_cli_subcommands_do_not_import_qt(tmp_path: Path) -> None:
    """The stored language applies to the GUI only; a CLI subcommand starts without Qt."""
    import subprocess
    import sys

    code = ("import sys, main; rc = main.main(['--db', 'sqlite:///" + str(tmp_path / "c.sqlite3").replace("\\", "/")
            + "', 'demo', '--trainees', '10']); assert rc == 0, rc; "
            "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={"LABORBRIDGE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr


# --- the dialog -----------------------------------------------------------------------------------

def _ok(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_dialog_saves_what_the_user_typed(qtbot, demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(database=demo_db, actor=SYSTEM)
    qtbot.addWidget(dialog)
    assert dialog.wage_spin.isEnabled() and dialog.wage_spin.value() == DEFAULT_WAGE_FLOOR
    assert dialog.weight_spins["monitored"].value() == pytest.approx(DEFAULT_PRIORITY_WEIGHTS["monitored"])
    dialog.bureau_edit.setText("互助县就业服务中心")
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.db_file_edit.setText(str(tmp_path / "county.sqlite3"))
    dialog.backup_edit.setText(str(tmp_path))
    dialog.weight_spins["monitored"].setValue(0.25)
    dialog.wage_spin.setValue(3200)
    phone = next(i for i in range(dialog.columns_list.count())
                 if dialog.columns_list.item(i).data(Qt.ItemDataRole.UserRole) == "phone")
    dialog.columns_list.item(phone).setCheckState(Qt.CheckState.Unchecked)
    _ok(dialog)
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    s = Settings()
    assert bureau.get(demo_db, "bureau.name") == "互助县就业服务中心"  # bureau-wide: in the database
    assert s.language == "en"
    assert s.database_url == st.sqlite_url(tmp_path / "county.sqlite3")
    assert s.backup_folder == tmp_path
    assert bureau.priority_weights(demo_db)["monitored"] == pytest.approx(0.25)  # bureau-wide: in the database
    assert s.list_columns == [k for k in LIST_COLUMNS if k != "phone"]
    assert wage_floor(demo_db) == 3200  # bureau-wide: in the database


def test_dialog_server_url_and_restore_defaults(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(actor=SYSTEM)
    qtbot.addWidget(dialog)
    # no database open: the bureau-wide values are not offered (their defaults show, greyed)
    assert not dialog.wage_spin.isEnabled() and not dialog.bureau_edit.isEnabled()
    assert dialog.wage_spin.value() == DEFAULT_WAGE_FLOOR
    dialog.db_server.setChecked(True)
    assert dialog.db_url_edit.isEnabled() and not dialog.db_file_edit.isEnabled()
    dialog.db_url_edit.setText("postgresql+psycopg://staff@10.0.0.5/laborbridge")
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    _ok(dialog)
    assert Settings().database_url == "postgresql+psycopg://staff@10.0.0.5/laborbridge"
    dialog = SettingsDialog(actor=SYSTEM)
    qtbot.addWidget(dialog)
    assert dialog.db_server.isChecked()
    dialog.restore_defaults()
    assert dialog.language_combo.currentData() == "zh" and dialog.db_local.isChecked()
    _ok(dialog)
    assert Settings().database_url == "" and Settings().language == "zh"


def test_dialog_shows_a_clear_message_and_keeps_the_old_values(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr("ui.settings_dialog.show_error", lambda _parent, exc: shown.append(str(exc)))
    s = Settings()
    s.set(st.LANGUAGE, "en")
    s.sync()
    dialog = SettingsDialog(actor=SYSTEM)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh"))
    dialog.db_server.setChecked(True)
    dialog.db_url_edit.setText("")
    _ok(dialog)
    assert shown == ["请填写数据库服务器地址，或改选本机数据库文件。"]
    assert dialog.isVisible()  # still open for the user to correct
    dialog.db_url_edit.setText("oracle://x@y/z")
    _ok(dialog)
    assert "不支持的数据库类型" in shown[-1]
    assert Settings().language == "en"
    dialog.reject()
    assert Settings().language == "en"


def test_wage_floor_is_refused_for_a_role_without_the_right(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    viewer = Actor(None, "viewer", "viewer")
    dialog = SettingsDialog(database=demo_db, actor=viewer)
    qtbot.addWidget(dialog)
    assert not dialog.wage_spin.isEnabled() and not dialog.bureau_edit.isEnabled()
    assert dialog.wage_spin.toolTip() == "仅局管理员、局工作人员可以操作"
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    _ok(dialog)
    assert Settings().language == "en"  # this PC's settings: anyone
    assert wage_floor(demo_db) == DEFAULT_WAGE_FLOOR and bureau.get(demo_db, "bureau.name") == ""


def test_dialog_in_english(qtbot) -> None:  # type: ignore[no-untyped-def]
    i18n.set_language("en")
    dialog = SettingsDialog(actor=SYSTEM)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Settings"
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "General", "Data", "Matching", "Alerts && follow-up", "Households", "Printing"]  # && shows one & (not a mnemonic)
    assert dialog.columns_list.item(0).text() == "No."


# --- about, menus ---------------------------------------------------------------------------------

def test_version_is_the_one_in_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == VERSION


def test_about_dialog_lists_licences_and_the_font_licence(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.components.toPlainText()
    assert f"版本 {VERSION}" in dialog.findChild(QLabel, "about_title").text()
    for expected in ("Qt 6", "LGPL-3.0", "PySide6", "WenQuanYi", "scikit-learn", "BSD-3-Clause", "SQLAlchemy"):
        assert expected in text
    assert re.search(r"scikit-learn\s+\d+\.\d+", text)  # real installed versions, not blanks
    assert "Apache-2.0 or GPL-3+ with Font exception" in dialog.font_licence.toPlainText()


def test_menu_opens_settings_and_about(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    window = MainWindow(demo_db, SYSTEM)
    qtbot.addWidget(window)
    titles: list[str] = []

    def close_modal() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, close_modal)
            return
        titles.append(modal.windowTitle())
        modal.reject()

    for name in ("action_settings", "action_about"):
        action = window.findChild(QAction, name)
        assert action is not None, name
        QTimer.singleShot(0, close_modal)
        action.trigger()
    assert titles == ["设置", "关于劳务协作桥"]
    assert any(a.text() == "帮助(&H)" for a in window.menuBar().actions())
