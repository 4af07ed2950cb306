"""用人单位与岗位 page: employers above, their vacancies (with seats left) below; both lazy SQL tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core import vocab
from core.access import Actor
from core.i18n import tr
from core.vocab import LEVEL_NAMES, SKILLS, skill_label
from db.changes import BATCH, EMPLOYER, PLACEMENT, VACANCY, Changes
from db.engine import Database
from db.queries.registry import (
    EMPLOYER_COLUMNS,
    VACANCY_COLUMNS,
    EmployerFilter,
    VacancyFilter,
    employer_query,
    provinces,
    vacancy_query,
)
from db.services.exchange.export import export_roster
from ui.pages.base import EmptyHint, Page
from ui.permissions import gate, set_enabled
from ui.sql_model import ModelColumn, SqlTableModel
from ui.tasks import run_task


def _table(model: SqlTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def employer_columns() -> list[ModelColumn]:
    right = {"open_vacancies", "remaining"}
    return [ModelColumn(c.key, tr(c.zh, c.en), None, c.sortable, c.key in right) for c in EMPLOYER_COLUMNS]


def vacancy_columns() -> list[ModelColumn]:
    fmt: dict[str, Any] = {
        "skill": skill_label,
        "min_level": lambda n: LEVEL_NAMES[n][0].split("/")[0] if n in LEVEL_NAMES else tr("不限", "any"),
        "status": vocab.vacancy_status_label,
        "wage": lambda w: "" if w is None else f"{w:,}+",
    }
    right = {"wage", "headcount", "remaining"}
    return [ModelColumn(c.key, tr(c.zh, c.en), fmt.get(c.key), c.sortable, c.key in right) for c in VACANCY_COLUMNS]


class VacancyModel(SqlTableModel):
    """Shows the wage as a range and marks full vacancies."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.DisplayRole and self.columns[index.column()].key == "wage":
            lo, hi = self.value(index.row(), "wage"), self.value(index.row(), "wage_max")
            if lo is None and hi is None:
                return ""
            return f"{lo or ''}–{hi or ''}"
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole and self.columns[index.column()].key == "remaining":
            remaining = self.value(index.row(), "remaining")
            if remaining is not None and remaining <= 0:
                return Qt.GlobalColor.darkRed
        return super().data(index, role)


class EmployersPage(Page):
    shows = frozenset({EMPLOYER, VACANCY, PLACEMENT, BATCH})  # seats left follow every confirmation

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.emp_filter = EmployerFilter()
        self.vac_filter = VacancyFilter()
        outer = QVBoxLayout(self)

        # employers
        bar = QHBoxLayout()
        self.emp_search = QLineEdit()
        self.emp_search.setObjectName("employer_search")
        self.emp_search.setClearButtonEnabled(True)
        self.emp_search.setPlaceholderText(tr("搜索单位名称、城市或信用代码", "Search employer, city or credit code"))
        bar.addWidget(self.emp_search, 2)
        self.province_box = QComboBox()
        self.province_box.setObjectName("filter_province")
        self.province_box.addItem(tr("全部省份", "All provinces"), None)
        self.province_box.currentIndexChanged.connect(lambda _i: self.apply_employer_filter())
        bar.addWidget(self.province_box)
        self.buttons: dict[str, QPushButton] = {}
        for key, zh, en, slot in (("add_employer", "新增单位", "Add employer", self.add_employer),
                                  ("edit_employer", "编辑单位", "Edit employer", self.edit_employer)):
            b = QPushButton(tr(zh, en))
            b.setObjectName(f"button_{key}")
            b.clicked.connect(slot)
            bar.addWidget(b)
            self.buttons[key] = b
        bar.addStretch(1)
        self.emp_count = QLabel()
        bar.addWidget(self.emp_count)
        outer.addLayout(bar)
        self.empty_hint = EmptyHint(actor, tr(
            "还没有用人单位。第一步：导入岗位需求表（Excel 或 CSV，用人单位随岗位一并建立），或新增一家用人单位。",
            "No employer yet. First import a vacancy sheet (Excel or CSV; employers are created with their "
            "vacancies), or add an employer."),
            [("empty_import", tr("导入岗位…", "Import vacancies…"), "employer.write", self.import_vacancies),
             ("empty_add", tr("新增单位…", "Add an employer…"), "employer.write", self.add_employer)])
        outer.addWidget(self.empty_hint)
        self.emp_model = SqlTableModel(database, employer_columns(), parent=self)
        self.emp_view = _table(self.emp_model, "employer_table")
        for key, width in (("name", 240), ("uscc", 170), ("province", 60), ("city", 70), ("contact", 80),
                           ("contact_phone", 120), ("open_vacancies", 70), ("remaining", 70)):
            self.emp_view.setColumnWidth([c.key for c in self.emp_model.columns].index(key), width)

        # vacancies
        vac = QWidget()
        vl = QVBoxLayout(vac)
        vl.setContentsMargins(0, 0, 0, 0)
        vbar = QHBoxLayout()
        self.vac_title = QLabel()
        self.vac_title.setWordWrap(True)  # a long explanation must not widen the window
        self.vac_title.setStyleSheet("font-weight: bold;")
        vbar.addWidget(self.vac_title)
        self.vac_search = QLineEdit()
        self.vac_search.setObjectName("vacancy_search")
        self.vac_search.setClearButtonEnabled(True)
        self.vac_search.setPlaceholderText(tr("搜索岗位编号、名称或单位", "Search code, title or employer"))
        vbar.addWidget(self.vac_search, 1)
        self.skill_box = QComboBox()
        self.skill_box.setObjectName("filter_skill")
        self.skill_box.addItem(tr("全部技能", "All skills"), None)
        for k, (zh, en) in SKILLS.items():
            self.skill_box.addItem(tr(zh, en), k)
        self.status_box = QComboBox()
        self.status_box.setObjectName("filter_status")
        self.status_box.addItem(tr("全部状态", "All statuses"), None)
        self.status_box.addItem(tr("在招且有名额", "Open with seats"), "seats")
        for k, v in vocab.VACANCY_STATUSES.items():
            self.status_box.addItem(tr(*v), k)
        self.only_selected = QCheckBox(tr("只看所选单位", "Selected employer only"))
        self.only_selected.setObjectName("only_selected")
        self.only_selected.setChecked(True)
        for w in (self.skill_box, self.status_box):
            w.currentIndexChanged.connect(lambda _i: self.apply_vacancy_filter())
            vbar.addWidget(w)
        self.only_selected.toggled.connect(lambda _c: self.apply_vacancy_filter())
        vbar.addWidget(self.only_selected)
        for key, zh, en, slot in (("add_vacancy", "新增岗位", "Add vacancy", self.add_vacancy),
                                  ("edit_vacancy", "编辑岗位", "Edit vacancy", self.edit_vacancy),
                                  ("import", "导入岗位…", "Import…", self.import_vacancies),
                                  ("export", "导出岗位…", "Export…", self.export)):
            b = QPushButton(tr(zh, en))
            b.setObjectName(f"button_{key}")
            b.clicked.connect(slot)
            vbar.addWidget(b)
            self.buttons[key] = b
        vl.addLayout(vbar)
        self.vac_model = VacancyModel(database, vacancy_columns(), parent=self)
        self.vac_view = _table(self.vac_model, "vacancy_table")
        for key, width in (("code", 110), ("title", 120), ("employer", 200), ("province", 50), ("city", 60),
                           ("skill", 80), ("min_level", 60), ("wage", 100), ("headcount", 64), ("remaining", 64),
                           ("start_date", 90), ("status", 50)):
            self.vac_view.setColumnWidth([c.key for c in self.vac_model.columns].index(key), width)
        self.vac_view.doubleClicked.connect(lambda _i: self.edit_vacancy())
        vl.addWidget(self.vac_view, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.emp_view)
        splitter.addWidget(vac)
        splitter.setSizes([330, 400])
        outer.addWidget(splitter, 1)

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.apply_searches)
        self.emp_search.textChanged.connect(lambda _t: self.debounce.start())
        self.vac_search.textChanged.connect(lambda _t: self.debounce.start())
        self.emp_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.apply_vacancy_filter())
        self.emp_view.doubleClicked.connect(lambda _i: self.edit_employer())
        gate(actor, "employer.write", *(self.buttons[k] for k in ("add_employer", "edit_employer", "add_vacancy",
                                                                  "edit_vacancy", "import")))
        gate(actor, "export", self.buttons["export"])
        self.refresh()


    def _fill_provinces(self) -> None:
        current = self.province_box.currentData()
        self.province_box.blockSignals(True)
        while self.province_box.count() > 1:
            self.province_box.removeItem(1)
        with self.database.engine.connect() as conn:
            for p in provinces(conn):
                self.province_box.addItem(p, p)
        if current is not None:
            self.province_box.setCurrentIndex(max(0, self.province_box.findData(current)))
        self.province_box.blockSignals(False)

    def refresh(self) -> None:
        self._fill_provinces()
        self.apply_employer_filter()

    def apply_searches(self) -> None:
        self.emp_filter.search = self.emp_search.text()
        self.vac_filter.search = self.vac_search.text()
        self.apply_employer_filter()

    def apply_employer_filter(self) -> None:
        self.emp_filter.province = self.province_box.currentData()
        flt = self.emp_filter
        self.emp_model.set_query(lambda key, desc: employer_query(flt, key, desc))
        self.emp_count.setText(tr(f"共 {self.emp_model.total():,} 家单位", f"{self.emp_model.total():,} employers"))
        self.empty_hint.setVisible(self.emp_model.total() == 0 and not self.emp_filter.search.strip()
                                   and self.emp_filter.province is None)
        self.apply_vacancy_filter()

    def selected_employer(self) -> int | None:
        index = self.emp_view.currentIndex()
        return self.emp_model.row_id(index.row()) if index.isValid() else None

    def selected_vacancy(self) -> int | None:
        index = self.vac_view.currentIndex()
        return self.vac_model.row_id(index.row()) if index.isValid() else None

    def apply_vacancy_filter(self) -> None:
        flt = self.vac_filter
        flt.search = self.vac_search.text()
        flt.skill = self.skill_box.currentData()
        status = self.status_box.currentData()
        flt.with_seats = status == "seats"
        flt.status = None if status == "seats" else status
        flt.province = self.province_box.currentData()
        employer = self.selected_employer()
        flt.employer_id = employer if self.only_selected.isChecked() else None
        if self.only_selected.isChecked() and employer is None:
            flt.employer_id = -1  # nothing selected: show nothing rather than everything
        self.vac_model.set_query(lambda key, desc: vacancy_query(flt, key, desc))
        name = self.emp_model.value(self.emp_view.currentIndex().row(), "name") if employer else None
        what = tr(f"{name} 的岗位", f"Vacancies of {name}") if flt.employer_id and flt.employer_id > 0 else tr("岗位", "Vacancies")
        if flt.employer_id == -1:  # say why the list is empty instead of "岗位（0）"
            self.vac_title.setText(tr("岗位（请先在上方选择一家单位，或取消“只看所选单位”）",
                                      "Vacancies (choose an employer above, or untick 'only the selected')"))
        else:
            self.vac_title.setText(f"{what}（{self.vac_model.total():,}）")
        set_enabled(self.buttons["add_vacancy"], employer is not None)
        set_enabled(self.buttons["edit_employer"], employer is not None)

    # --- actions --------------------------------------------------------------------------
    def add_employer(self) -> None:
        from ui.employer_dialogs import EmployerDialog

        dialog = EmployerDialog(self.database, self.actor, parent=self)
        if dialog.exec():
            self.after_change()

    def edit_employer(self) -> None:
        from ui.employer_dialogs import EmployerDialog

        eid = self.selected_employer()
        if eid is not None and EmployerDialog(self.database, self.actor, eid, parent=self).exec():
            self.after_change()

    def add_vacancy(self) -> None:
        from ui.employer_dialogs import VacancyDialog

        eid = self.selected_employer()
        if eid is not None and VacancyDialog(self.database, self.actor, eid, parent=self).exec():
            self.after_change()

    def edit_vacancy(self) -> None:
        from ui.employer_dialogs import VacancyDialog

        vid = self.selected_vacancy()
        if vid is None:
            return
        eid = self.vac_model.value(self.vac_view.currentIndex().row(), "employer_id")
        if VacancyDialog(self.database, self.actor, eid, vid, parent=self).exec():
            self.after_change()

    def after_change(self) -> None:
        self.announce(Changes.of(EMPLOYER, VACANCY))

    def redraw(self, changes: Changes, origin: object) -> None:
        """Read again (seats left included), keeping the employer on screen selected."""
        eid = self.selected_employer()
        self.refresh()
        row = self.emp_model.row_of_id(eid) if eid is not None else None
        if row is None and origin is self and self.only_selected.isChecked() and self.emp_model.rowCount():
            row = 0  # after an import into an empty page, show the first employer's vacancies at once
        if row is not None:
            self.emp_view.selectRow(row)

    def import_vacancies(self) -> None:
        from ui.import_wizard import ImportWizard

        # The wizard announces what its rows changed (ui/operations.py); this page redraws with the rest.
        ImportWizard(self.database, self.actor, "vacancies", parent=self).exec()

    def export(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, tr("导出岗位", "Export vacancies"), tr("岗位需求.xlsx", "vacancies.xlsx"),
                                               tr("Excel (*.xlsx);;CSV（UTF-8）(*.csv)", "Excel (*.xlsx);;CSV (UTF-8) (*.csv)"))
        if path:
            actor = self.actor
            run_task(self, lambda _ctx: export_roster(self.database, "vacancies", path, actor),
                     label=tr("正在导出…", "Exporting…"))

