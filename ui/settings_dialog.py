"""设置 / Settings: one tab per section of core.settings_schema, one control per declared setting (label,
range, unit and help from the declaration); nothing is stored until every value checks out.

This PC's settings are always editable; a bureau-wide one only with a database open and the permission
its declaration names (an administrator; the wage floor also whoever manages batches)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import settings_schema as schema
from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database, data_dir, default_url
from ui.dialogs import show_error
from ui.permissions import gate, set_enabled
from ui.settings import (
    BACKUP_FOLDER,
    DATABASE_URL,
    LANGUAGE,
    LIST_COLUMNS_KEY,
    Settings,
    SettingsValues,
    apply_backup_folder,
    sqlite_url,
)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if i == 0 else 0)
    return row


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555;")
    return label


class SettingsDialog(QDialog):
    """Tabs from core.settings_schema.SECTIONS. OK validates and saves; Cancel changes nothing."""

    def __init__(self, settings: Settings | None = None, *, actor: Actor, database: Database | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.database = database
        self.actor = actor
        self.setWindowTitle(tr("设置", "Settings"))
        self.resize(720, 560)
        self.editors: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        for section, zh, en in schema.SECTIONS:
            self.tabs.addTab(self._tab(section), tr(zh, en))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self.restore_defaults)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        # The controls other code and tests know by name.
        self.bureau_edit: QLineEdit = self.editors["bureau.name"]  # type: ignore[assignment]
        self.language_combo: QComboBox = self.editors[LANGUAGE]  # type: ignore[assignment]
        self.backup_edit: QLineEdit = self.editors[BACKUP_FOLDER]  # type: ignore[assignment]
        self.columns_list: QListWidget = self.editors[LIST_COLUMNS_KEY]  # type: ignore[assignment]
        self.wage_spin: QSpinBox = self.editors["alerts.wage_floor"]  # type: ignore[assignment]
        self.skilled_spin: QDoubleSpinBox = self.editors["policy.skilled_weight"]  # type: ignore[assignment]
        self.weight_spins: dict[str, QDoubleSpinBox] = {
            k.removeprefix("policy.priority."): w for k, w in self.editors.items()  # type: ignore[misc]
            if k.startswith("policy.priority.")}
        self.load(SettingsValues.defaults(with_bureau=True))  # what shows where no database is open
        self.load(SettingsValues.load(self.settings, database))

    # --- building -------------------------------------------------------------------------------
    def _tab(self, section: str) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        declared = [s for s in schema.SETTINGS if s.section == section]
        if any(s.scope == "bureau" for s in declared):
            form.addRow(_note(tr("标“◆”的为全局设置：存放在数据库中，各办公室和命令行一致，修改记入审计日志。",
                                 "◆ marks bureau-wide settings: kept in the database, the same for every office "
                                 "and the command line; changes are audited.")))
        noted: set[str] = set()
        for setting in declared:
            if setting.kind == "database_url":
                self._database_rows(form, setting)
                continue
            editor = self._editor(setting)
            editor.setObjectName(setting.key)
            self.editors[setting.key] = editor
            mark = "◆ " if setting.scope == "bureau" else ""
            shown: QWidget = editor
            if setting.kind == "folder":
                browse = QPushButton(tr("浏览…", "Browse…"))
                browse.clicked.connect(lambda _=False, e=editor: self._browse_folder(e))
                shown = _row(editor, browse)
            if setting.kind == "list":
                form.addRow(QLabel(mark + setting.label + tr("：", ":")))
                form.addRow(shown)
            else:
                form.addRow(mark + setting.label + tr("：", ":"), shown)
            if setting.help:
                editor.setToolTip(setting.help)
            if setting.help and setting.help not in noted:  # the same help for a family of keys: once
                noted.add(setting.help)
                form.addRow("", _note(setting.help + (tr("（下次启动时生效）", " (takes effect at the next start)")
                                                      if setting.restart else "")))
            if setting.scope == "bureau":
                gate(self.actor, setting.write, editor)
                set_enabled(editor, self.database is not None)
                if self.database is None:
                    editor.setToolTip(tr("未打开数据库", "No database is open"))
        return tab

    def _editor(self, setting: schema.Setting) -> QWidget:
        if setting.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(setting.minimum or 0), int(setting.maximum or 0))
            spin.setSingleStep(int(setting.step))
            if setting.unit:
                spin.setSuffix(" " + setting.unit)
            return spin
        if setting.kind == "float":
            dspin = QDoubleSpinBox()
            dspin.setRange(float(setting.minimum or 0), float(setting.maximum or 0))
            dspin.setDecimals(2)
            dspin.setSingleStep(setting.step)
            return dspin
        if setting.kind == "choice":
            combo = QComboBox()
            for key, zh, en in setting.choices:
                combo.addItem(tr(zh, en), key)
            return combo
        if setting.kind == "list":
            return QListWidget()
        edit = QLineEdit()  # text, folder, records (as JSON)
        if setting.kind == "text" and setting.maximum is not None:
            edit.setMaxLength(int(setting.maximum))
        if setting.key == "bureau.name":
            edit.setPlaceholderText(tr("例如：互助县人力资源和社会保障局", "e.g. Huzhu County Human Resources Bureau"))
        if setting.kind == "folder":
            edit.setPlaceholderText(str(data_dir() / "backups"))
        return edit

    def _database_rows(self, form: QFormLayout, setting: schema.Setting) -> None:
        self.db_local = QRadioButton(tr("本机数据库文件", "Database file on this computer"))
        self.db_server = QRadioButton(tr("数据库服务器（PostgreSQL，多个办公室共用）",
                                         "Database server (PostgreSQL, shared by several offices)"))
        self.db_local.setObjectName("db_local")
        self.db_server.setObjectName("db_server")
        group = QButtonGroup(self)
        group.addButton(self.db_local)
        group.addButton(self.db_server)
        self.db_file_edit = QLineEdit()
        self.db_file_edit.setObjectName("db_file")
        self.db_file_edit.setPlaceholderText(default_url().removeprefix("sqlite:///"))
        browse_db = QPushButton(tr("浏览…", "Browse…"))
        browse_db.clicked.connect(self._browse_db)
        self.db_url_edit = QLineEdit()
        self.db_url_edit.setObjectName("db_url")
        self.db_url_edit.setPlaceholderText("postgresql+psycopg://user@server/laborbridge")
        form.addRow(QLabel(setting.label + tr("：", ":")))
        form.addRow(self.db_local)
        form.addRow(tr("文件：", "File:"), _row(self.db_file_edit, browse_db))
        form.addRow(self.db_server)
        form.addRow(tr("服务器地址：", "Server URL:"), self.db_url_edit)
        form.addRow("", _note(setting.help + tr("（下次启动时生效）", " (takes effect at the next start)")))
        self.db_local.toggled.connect(self._sync_db_kind)

    # --- values ---------------------------------------------------------------------------------
    def _put(self, setting: schema.Setting, value: object) -> None:
        editor = self.editors[setting.key]
        if isinstance(editor, QSpinBox):
            editor.setValue(int(value))  # type: ignore[call-overload]
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value))  # type: ignore[arg-type]
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QListWidget):
            chosen = set(value) if isinstance(value, list) else set()
            editor.clear()
            for key, zh, en in setting.choices:
                item = QListWidgetItem(tr(zh, en))
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if key in chosen else Qt.CheckState.Unchecked)
                editor.addItem(item)
        elif isinstance(editor, QLineEdit):
            editor.setText(schema.stored_text(setting, value) if setting.kind == "records" else str(value))  # type: ignore[arg-type]

    def _take(self, setting: schema.Setting) -> object:
        editor = self.editors[setting.key]
        if isinstance(editor, QSpinBox):
            return editor.value()
        if isinstance(editor, QDoubleSpinBox):
            return round(editor.value(), 4)
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QListWidget):
            return [editor.item(i).data(Qt.ItemDataRole.UserRole) for i in range(editor.count())
                    if editor.item(i).checkState() == Qt.CheckState.Checked]
        return editor.text().strip() if isinstance(editor, QLineEdit) else None

    def load(self, values: SettingsValues) -> None:
        for key, value in {**values.pc, **values.bureau}.items():
            setting = schema.BY_KEY[key]
            if key == DATABASE_URL:
                url = str(value)
                server = bool(url) and not url.startswith("sqlite")
                self.db_server.setChecked(server)
                self.db_local.setChecked(not server)
                self.db_url_edit.setText(url if server else "")
                self.db_file_edit.setText(url.removeprefix("sqlite:///") if url.startswith("sqlite") else "")
                self._sync_db_kind()
            elif key in self.editors:
                self._put(setting, value)

    def values(self) -> SettingsValues:
        if self.db_server.isChecked():
            url = self.db_url_edit.text().strip()
            if not url:
                raise UserError("请填写数据库服务器地址，或改选本机数据库文件。",
                                "Give the database server URL, or choose a database file on this computer.")
        else:
            path = self.db_file_edit.text().strip()
            url = sqlite_url(path) if path else ""
        pc: dict[str, object] = {DATABASE_URL: url}
        bureau: dict[str, object] = {}
        for setting in schema.SETTINGS:
            if setting.key in self.editors:
                if setting.scope == "pc":
                    pc[setting.key] = self._take(setting)
                elif self.editors[setting.key].isEnabled():  # only what this user may change
                    bureau[setting.key] = self._take(setting)
        return SettingsValues(pc, bureau)

    def restore_defaults(self) -> None:
        """Put the defaults in the form; they are stored only on OK."""
        defaults = SettingsValues.defaults(with_bureau=True)
        editable = {k: v for k, v in defaults.bureau.items() if self.editors[k].isEnabled()}
        self.load(SettingsValues(defaults.pc, editable))

    def accept(self) -> None:
        try:
            values = self.values()
            values.validate()  # everything first: nothing is stored while one value is wrong
            if self.database is not None:
                values.save_bureau(self.database, self.actor)
                from db.changes import SETTING, Changes
                from ui.operations import announce
                announce(self.database, Changes.of(SETTING), self)  # e.g. the alerts' wage floor
            values.save(self.settings)
            apply_backup_folder(self.settings)  # the next automatic backup already goes there
        except UserError as exc:
            show_error(self, exc)
            return
        super().accept()

    # --- helpers --------------------------------------------------------------------------------
    def _sync_db_kind(self) -> None:
        local = self.db_local.isChecked()
        self.db_file_edit.setEnabled(local)
        self.db_url_edit.setEnabled(not local)

    def _browse_db(self) -> None:
        start = self.db_file_edit.text() or str(data_dir())
        path, _ = QFileDialog.getSaveFileName(
            self, tr("选择数据库文件", "Choose the database file"), start,
            tr("LaborBridge 数据库 (*.sqlite3);;所有文件 (*)", "LaborBridge database (*.sqlite3);;All files (*)"),
            options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.db_file_edit.setText(str(Path(path)))

    def _browse_folder(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("选择文件夹", "Choose the folder"),
                                                  edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)
