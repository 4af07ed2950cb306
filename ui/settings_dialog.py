"""设置 / Settings: edits ui.settings.Settings; nothing is stored until every value checks out."""

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

from core.access import Actor
from core.i18n import UserError, language, tr
from core.policy import DEFAULT_SKILLED_WEIGHT, PRIORITY_MAX, SKILLED_WEIGHT_MAX
from core.vocab import household_label
from db.engine import Database, data_dir, default_url
from ui.dialogs import show_error
from ui.permissions import gate, set_enabled
from ui.settings import (
    HOUSEHOLD_TYPES,
    Settings,
    SettingsValues,
    apply_backup_folder,
    default_list_columns,
    default_priority_weights,
    default_wage_floor,
    list_columns,
    sqlite_url,
)


def _browse_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555;")
    return label


class SettingsDialog(QDialog):
    """Tabs: general, data, matching, printing. OK validates and saves; Cancel changes nothing."""

    def __init__(self, settings: Settings | None = None, *, actor: Actor, database: Database | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.database = database
        self.actor = actor
        self.setWindowTitle(tr("设置", "Settings"))
        self.resize(640, 480)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_tab(), tr("常规", "General"))
        self.tabs.addTab(self._data_tab(), tr("数据", "Data"))
        self.tabs.addTab(self._matching_tab(), tr("匹配与预警", "Matching && alerts"))
        self.tabs.addTab(self._printing_tab(), tr("打印", "Printing"))
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
        self.load(SettingsValues.load(self.settings, database))

    # --- tabs -----------------------------------------------------------------------------------
    def _general_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.bureau_edit = QLineEdit()
        self.bureau_edit.setObjectName("bureau_name")
        self.bureau_edit.setMaxLength(60)
        self.bureau_edit.setPlaceholderText(tr("例如：互助县人力资源和社会保障局", "e.g. Huzhu County Human Resources Bureau"))
        form.addRow(tr("单位名称（打印在名册上）：", "Bureau name (printed on lists):"), self.bureau_edit)
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("language")
        self.language_combo.addItem("中文", "zh")
        self.language_combo.addItem("English", "en")
        form.addRow(tr("界面语言：", "Language:"), self.language_combo)
        form.addRow("", _note(tr("更改语言后，请重新启动本程序生效。",
                                 "A change of language takes effect when the program is started again.")))
        return tab

    def _data_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
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
        form.addRow(self.db_local)
        form.addRow(tr("文件：", "File:"), _browse_row(self.db_file_edit, browse_db))
        form.addRow(self.db_server)
        form.addRow(tr("服务器地址：", "Server URL:"), self.db_url_edit)
        form.addRow("", _note(tr("文件留空即使用默认位置。数据库的更改在下次启动时生效；"
                                 "命令行以 --db 或环境变量 LABORBRIDGE_DB 指定数据库。",
                                 "Leave the file empty for the default location. A change of database takes "
                                 "effect at the next start; the command line uses --db or LABORBRIDGE_DB.")))
        self.db_local.toggled.connect(self._sync_db_kind)
        self.backup_edit = QLineEdit()
        self.backup_edit.setObjectName("backup_folder")
        self.backup_edit.setPlaceholderText(str(data_dir() / "backups"))
        browse_backup = QPushButton(tr("浏览…", "Browse…"))
        browse_backup.clicked.connect(self._browse_backup)
        form.addRow(tr("备份文件夹：", "Backup folder:"), _browse_row(self.backup_edit, browse_backup))
        return tab

    def _matching_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        form.addRow(_note(tr("政策优先权重：监测户、脱贫户在排序和分配中获得的额外优先分，与预测的稳岗概率分开显示。"
                             "以下各项为全局设置，存放在数据库中，命令行与各办公室一致；仅管理员可修改。",
                             "Policy priority weight: the extra priority monitored and poverty-exited households get "
                             "in ranking and assignment, shown apart from the predicted probability. These are "
                             "bureau-wide settings kept in the database, the same for the command line and every "
                             "office; only an administrator changes them.")))
        bureau_ok = self.database is not None and self.actor.can("settings.write")
        self.weight_spins: dict[str, QDoubleSpinBox] = {}
        for household in HOUSEHOLD_TYPES:
            spin = QDoubleSpinBox()
            spin.setObjectName(f"priority_{household}")
            spin.setRange(0.0, PRIORITY_MAX)
            spin.setDecimals(2)
            spin.setSingleStep(0.01)
            spin.setEnabled(bureau_ok)
            self.weight_spins[household] = spin
            form.addRow(household_label(household) + tr("：", ":"), spin)
        self.skilled_spin = QDoubleSpinBox()
        self.skilled_spin.setObjectName("skilled_weight")
        self.skilled_spin.setRange(0.0, SKILLED_WEIGHT_MAX)
        self.skilled_spin.setDecimals(2)
        self.skilled_spin.setSingleStep(0.05)
        self.skilled_spin.setEnabled(bureau_ok)
        form.addRow(tr("转职业工概率权重：", "Weight of P(skilled):"), self.skilled_spin)
        self.wage_spin = QSpinBox()
        self.wage_spin.setObjectName("wage_floor")
        self.wage_spin.setRange(0, 100_000)
        self.wage_spin.setSingleStep(100)
        self.wage_spin.setSuffix(tr(" 元/月", " yuan/month"))
        form.addRow(tr("工资预警线：", "Wage floor for alerts:"), self.wage_spin)
        form.addRow("", _note(tr("在岗人员月收入低于此值时预警。此项存放在数据库中，共用同一数据库的各办公室一致。",
                                 "Workers on the job earning less than this a month are flagged. Stored in the "
                                 "database: the same for every office sharing it.")))
        # Only a role that may manage batches changes it; db.services.batches enforces that too.
        gate(self.actor, "batch.write", self.wage_spin)
        set_enabled(self.wage_spin, self.database is not None)
        if self.database is None:  # shows this text instead of a made-up 0
            self.wage_spin.setSpecialValueText(tr("（未打开数据库）", "(no database open)"))
        return tab

    def _printing_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(_note(tr("勾选名册上要打印的列（按名册的固定顺序打印）。",
                                  "Tick the columns printed lists show (printed in the list's fixed order).")))
        self.columns_list = QListWidget()
        self.columns_list.setObjectName("list_columns")
        layout.addWidget(self.columns_list, 1)
        return tab

    # --- values ---------------------------------------------------------------------------------
    def load(self, values: SettingsValues) -> None:
        self.bureau_edit.setText(values.bureau_name)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(values.language)))
        url = values.database_url
        server = bool(url) and not url.startswith("sqlite")
        self.db_server.setChecked(server)
        self.db_local.setChecked(not server)
        self.db_url_edit.setText(url if server else "")
        self.db_file_edit.setText(url.removeprefix("sqlite:///") if url.startswith("sqlite") else "")
        self._sync_db_kind()
        self.backup_edit.setText(values.backup_folder)
        weights = values.priority_weights if values.priority_weights is not None else default_priority_weights()
        for household, spin in self.weight_spins.items():
            spin.setValue(weights.get(household, 0.0))
        self.skilled_spin.setValue(values.skilled_weight if values.skilled_weight is not None
                                   else DEFAULT_SKILLED_WEIGHT)
        if values.wage_floor is not None:
            self.wage_spin.setValue(values.wage_floor)
        self.columns_list.clear()
        labels = {key: (zh, en) for key, zh, en in list_columns()}
        for key in labels:
            zh, en = labels[key]
            item = QListWidgetItem(zh if language() == "zh" else en)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in values.list_columns else Qt.CheckState.Unchecked)
            self.columns_list.addItem(item)

    def values(self) -> SettingsValues:
        if self.db_server.isChecked():
            url = self.db_url_edit.text().strip()
            if not url:
                raise UserError("请填写数据库服务器地址，或改选本机数据库文件。",
                                "Give the database server URL, or choose a database file on this computer.")
        else:
            path = self.db_file_edit.text().strip()
            url = sqlite_url(path) if path else ""
        columns = [self.columns_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.columns_list.count())
                   if self.columns_list.item(i).checkState() == Qt.CheckState.Checked]
        bureau_ok = self.skilled_spin.isEnabled()
        return SettingsValues(
            bureau_name=self.bureau_edit.text().strip(), database_url=url,
            backup_folder=self.backup_edit.text().strip(),
            list_columns=columns, language=str(self.language_combo.currentData()),
            wage_floor=self.wage_spin.value() if self.wage_spin.isEnabled() else None,
            priority_weights={h: round(s.value(), 4) for h, s in self.weight_spins.items()} if bureau_ok else None,
            skilled_weight=round(self.skilled_spin.value(), 4) if bureau_ok else None)

    def restore_defaults(self) -> None:
        """Put the defaults in the form; they are stored only on OK."""
        self.load(SettingsValues(bureau_name="", database_url="", backup_folder="",
                                 list_columns=default_list_columns(), language="zh",
                                 wage_floor=default_wage_floor() if self.database else None,
                                 priority_weights=default_priority_weights(), skilled_weight=DEFAULT_SKILLED_WEIGHT))

    def accept(self) -> None:
        try:
            values = self.values()
            if self.database is not None:  # first: a bureau-wide value may be refused by role
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

    def _browse_backup(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("选择备份文件夹", "Choose the backup folder"),
                                                  self.backup_edit.text() or str(Path.home()))
        if folder:
            self.backup_edit.setText(folder)
