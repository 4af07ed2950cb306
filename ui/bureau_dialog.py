"""First start: the bureau's name and county, asked once and kept in the database for every office."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database
from db.services import bureau
from ui.dialogs import show_error


class BureauDialog(QDialog):
    """单位名称 and 所在县, printed at the head of every list and statistics workbook."""

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor = database, actor
        self.setObjectName("bureau_dialog")
        self.setWindowTitle(tr("本单位信息", "Your bureau"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(tr("请填写本单位名称和所在县。它们打印在每一份名册和统计表的抬头，所有办公室共用，"
                          "以后可在“设置”中修改。",
                          "Give your bureau's name and county. They head every printed list and statistics "
                          "workbook, are shared by every office, and can be changed later in Settings."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        name, county = bureau.bureau(database)
        self.name_edit = QLineEdit(name)
        self.name_edit.setObjectName("bureau_name_edit")
        self.name_edit.setMaxLength(60)
        self.name_edit.setPlaceholderText(tr("例如：互助县人力资源和社会保障局", "e.g. Huzhu County Human Resources Bureau"))
        self.county_edit = QLineEdit(county)
        self.county_edit.setObjectName("bureau_county_edit")
        self.county_edit.setMaxLength(40)
        self.county_edit.setPlaceholderText(tr("例如：互助县", "e.g. Huzhu County"))
        form.addRow(tr("单位名称：", "Bureau:"), self.name_edit)
        form.addRow(tr("所在县：", "County:"), self.county_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("保存", "Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("以后再说", "Later"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            bureau.set_bureau(self.database, self.actor, self.name_edit.text(), self.county_edit.text())
        except UserError as exc:
            show_error(self, exc)
            return
        self.accept()


def ask_bureau_once(parent: QWidget, database: Database, actor: Actor) -> bool:
    """At start-up: ask an administrator for the bureau's name while the database has none. True when set.

    A name an older version kept in this PC's settings.ini is moved once into a database without one
    when an administrator signs in (audited as that administrator), and dropped from the file when the
    database already has a name; it never heads a list by itself."""
    if not bureau.is_set(database) and actor.can("settings.write"):
        from ui.settings import Settings

        legacy = Settings().take_legacy_bureau_name()
        if legacy:
            try:
                bureau.set_bureau(database, actor, legacy)
            except UserError:
                pass  # a leftover too long or empty: asked below like on any first start
    elif bureau.is_set(database):
        from ui.settings import Settings

        Settings().take_legacy_bureau_name()
    if bureau.is_set(database) or not actor.can("settings.write"):
        return bureau.is_set(database)
    dialog = BureauDialog(database, actor, parent)
    parent.bureau_dialog = dialog  # type: ignore[attr-defined]
    return dialog.exec() == QDialog.DialogCode.Accepted
