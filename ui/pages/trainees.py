"""学员 page: the whole registry as a lazy SQL table with search, filters and a detail panel."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.fields import age_on, mask_id, mask_phone
from core.i18n import UserError, tr
from core.vocab import (
    HOUSEHOLD_TYPES,
    LEVEL_NAMES,
    MANDARIN,
    SKILLS,
    gender_label,
    household_label,
    skill_label,
    status_label,
)
from db.changes import PLACEMENT, TRAINEE, Changes
from db.engine import Database
from db.queries.registry import TRAINEE_COLUMNS, TraineeFilter, townships, trainee_query
from db.services import registry
from db.services.exchange.export import export_roster
from ui.dialogs import confirm, show_error
from ui.pages.base import EmptyHint, Page
from ui.permissions import gate, set_enabled
from ui.sql_model import ModelColumn, SqlTableModel
from ui.tasks import run_task

STATUS_LABELS = {"available": ("待岗", "Available"), "placed": ("已派遣/在岗", "Placed"), "deleted": ("已删除", "Deleted")}
SHORT_CERT = {"graded": ("等级证书", "Graded"), "special": ("专项能力", "Special"), "training": ("培训合格", "Training")}


def _skills_text(value: str | None) -> str:
    return "、".join(skill_label(k) for k in (value or "").split(",") if k)


def _level_text(value: int | None) -> str:
    return LEVEL_NAMES[value][0].split("/")[0] if value in LEVEL_NAMES else ""


def trainee_columns(today: dt.date | None = None) -> list[ModelColumn]:
    day = today or dt.date.today()
    fmt: dict[str, Any] = {
        "id_number": mask_id, "phone": mask_phone, "gender": gender_label,
        "birth_date": lambda b: str(age_on(b, day)) if b else "", "household_type": household_label,
        "skills": _skills_text, "skill_level": _level_text,
        "status": lambda s: tr(*STATUS_LABELS.get(s, (s or "", s or ""))),
        "expected_wage": lambda w: "" if w is None else f"{w:,}",
    }
    right = {"birth_date", "expected_wage", "skill_level"}
    return [ModelColumn(c.key, tr(c.zh, c.en), fmt.get(c.key), c.sortable, c.key in right) for c in TRAINEE_COLUMNS]


class TraineesPage(Page):
    shows = frozenset({TRAINEE, PLACEMENT})

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.filter = TraineeFilter()
        outer = QVBoxLayout(self)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(tr("搜索：姓名、拼音或首字母（如 zsy）、身份证或手机尾号",
                                          "Search: name, pinyin or initials (e.g. zsy), last digits of ID or phone"))
        self.search.setMinimumWidth(340)
        bar.addWidget(self.search, 2)
        self.township_box = self._combo("township", tr("全部乡镇", "All townships"), [])
        self.skill_box = self._combo("skill", tr("全部技能", "All skills"), [(zh, k) for k, (zh, _e) in SKILLS.items()])
        self.level_box = self._combo("level", tr("全部等级", "All levels"),
                                     [(tr("无等级证书", "No graded certificate"), 0)]
                                     + [(LEVEL_NAMES[n][0], n) for n in (5, 4, 3, 2, 1)])
        self.household_box = self._combo("household", tr("全部户类型", "All households"),
                                         [(zh, k) for k, (zh, _e) in HOUSEHOLD_TYPES.items()])
        self.status_box = self._combo("status", tr("全部状态", "All statuses"),
                                      [(tr(*v), k) for k, v in STATUS_LABELS.items()])
        for box in (self.township_box, self.skill_box, self.level_box, self.household_box, self.status_box):
            bar.addWidget(box)
        outer.addLayout(bar)

        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, zh, en, slot in (
                ("add", "新增学员", "Add", self.add),
                ("edit", "编辑", "Edit", self.edit),
                ("delete", "删除", "Delete", self.delete),
                ("restore", "恢复", "Restore", self.restore),
                ("import", "导入名册…", "Import…", self.import_roster),
                ("export", "导出…", "Export…", self.export),
                ("recommend", "推荐岗位", "Rank vacancies", self.recommend),
                # "&&": a single & in button text marks a shortcut key and vanishes ("Cohorts _graduation")
                ("cohorts", "培训班与结业…", "Cohorts && graduation…", self.cohorts)):
            b = QPushButton(tr(zh, en))
            b.setObjectName(f"button_{key}")
            b.clicked.connect(slot)
            actions.addWidget(b)
            self.buttons[key] = b
        gate(actor, "registry.write", *(self.buttons[k] for k in ("add", "edit", "delete", "restore", "import")))
        gate(actor, "export", self.buttons["export"])
        gate(actor, "matching.run", self.buttons["recommend"])
        actions.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        actions.addWidget(self.count_label)
        outer.addLayout(actions)
        self.empty_hint = EmptyHint(actor, tr(
            "还没有学员。第一步：导入培训学校的学员名册（Excel 或 CSV，可先在导入向导里下载空白模板），或逐个新增学员。",
            "No trainee yet. First import a school's roster (Excel or CSV; the import wizard offers a blank "
            "template), or add trainees one by one."),
            [("empty_import", tr("导入名册…", "Import roster…"), "registry.write", self.import_roster),
             ("empty_add", tr("新增学员…", "Add a trainee…"), "registry.write", self.add)])
        outer.addWidget(self.empty_hint)

        self.model = SqlTableModel(database, trainee_columns(), parent=self)
        self.view = QTableView()
        self.view.setObjectName("trainee_table")
        self.view.setModel(self.model)
        # No indicator before enabling sorting, or Qt would sort 200,000 rows by the first column at once.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for key, width in (("name", 130), ("id_number", 160), ("gender", 44), ("birth_date", 44), ("phone", 110),
                           ("township", 90), ("household_type", 64), ("skills", 150), ("skill_level", 48),
                           ("school", 200), ("graduation_date", 90), ("expected_wage", 70),
                           ("available_from", 90), ("status", 84)):
            self.view.setColumnWidth([c.key for c in self.model.columns].index(key), width)
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.detail = QTextBrowser()
        self.detail.setObjectName("detail")
        self.detail.setMinimumWidth(340)
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([860, 420])
        outer.addWidget(splitter, 1)

        # Debounce: a query per pause in typing, not per keystroke.
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(lambda: self.apply_search(self.search.text()))
        self.search.textChanged.connect(lambda _t: self.debounce.start())
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.show_detail())
        self.model.modelReset.connect(self.show_detail)
        self._fill_townships()
        self.reload()

    def _combo(self, name: str, all_text: str, items: list[tuple[str, Any]]) -> QComboBox:
        box = QComboBox()
        box.setObjectName(f"filter_{name}")
        box.addItem(all_text, None)
        for text, data in items:
            box.addItem(text, data)
        box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        return box

    def _fill_townships(self) -> None:
        current = self.township_box.currentData()
        self.township_box.blockSignals(True)
        while self.township_box.count() > 1:
            self.township_box.removeItem(1)
        with self.database.engine.connect() as conn:
            for name in townships(conn):
                self.township_box.addItem(name, name)
        if current is not None:
            self.township_box.setCurrentIndex(max(0, self.township_box.findData(current)))
        self.township_box.blockSignals(False)

    # --- querying -------------------------------------------------------------------------

    def reload(self) -> None:
        actor = self.actor
        flt = self.filter
        self.model.set_query(lambda key, desc: trainee_query(actor, flt, key, desc))
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.total()
        if n == 0 and (self.filter.search.strip() or any((self.filter.township, self.filter.skill,
                                                          self.filter.level is not None, self.filter.household_type,
                                                          self.filter.status))):
            self.count_label.setText(tr("没有符合条件的学员（可清除搜索或筛选）", "No trainee matches (clear the search or filters)"))
        else:
            self.count_label.setText(tr(f"共 {n:,} 人", f"{n:,} people"))
        filtered = bool(self.filter.search.strip()) or any((
            self.filter.township, self.filter.skill, self.filter.level is not None, self.filter.household_type,
            self.filter.status))
        self.empty_hint.setVisible(n == 0 and not filtered)

    def apply_search(self, text: str) -> None:
        self.filter.search = text
        self.reload()

    def apply_filters(self) -> None:
        self.filter.township = self.township_box.currentData()
        self.filter.skill = self.skill_box.currentData()
        self.filter.level = self.level_box.currentData()
        self.filter.household_type = self.household_box.currentData()
        self.filter.status = self.status_box.currentData()
        self.reload()

    def refresh(self) -> None:
        self._fill_townships()
        self.reload()

    def selected_id(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.row_id(index.row()) if index.isValid() else None

    # --- detail ---------------------------------------------------------------------------
    def show_detail(self) -> None:
        tid = self.selected_id()
        deleted = tid is not None and self.model.value(self.view.currentIndex().row(), "status") == "deleted"
        set_enabled(self.buttons["restore"], deleted)
        set_enabled(self.buttons["delete"], tid is not None and not deleted)
        set_enabled(self.buttons["edit"], tid is not None and not deleted)
        if tid is None:
            self.detail.setHtml(f"<p style='color:#666'>{tr('选择一名学员查看详情。', 'Select a trainee to see details.')}</p>")
            return
        try:
            d = registry.trainee_detail(self.database, self.actor, tid)
        except UserError as exc:
            self.detail.setPlainText(str(exc))
            return
        self.detail.setHtml(detail_html(d))

    # --- actions --------------------------------------------------------------------------
    def recommend(self) -> None:
        """The selected trainee's best vacancies, on the matching page's 按学员推荐岗位 tab."""
        tid = self.selected_id()
        if tid is None:
            show_error(self, tr("请先在表中选择一位学员。", "Select a trainee first."))
            return
        window = self.window()
        if not hasattr(window, "show_page"):
            show_error(self, tr("请在主窗口中使用“推荐岗位”。", "Use 'Rank vacancies' from the main window."))
            return
        window.show_page("matching").show_trainee(tid)

    def add(self) -> None:
        from ui.trainee_dialog import TraineeDialog

        dialog = TraineeDialog(self.database, self.actor, parent=self)
        if dialog.exec():
            self.after_change()

    def edit(self) -> None:
        from ui.trainee_dialog import TraineeDialog

        tid = self.selected_id()
        if tid is None:
            return
        dialog = TraineeDialog(self.database, self.actor, tid, parent=self)
        if dialog.exec():
            self.after_change()

    def delete(self) -> None:
        tid = self.selected_id()
        if tid is None:
            return
        name = self.model.value(self.view.currentIndex().row(), "name")
        if not confirm(self, tr(f"删除学员“{name}”？删除后可在“已删除”中恢复。",
                                f"Delete '{name}'? You can restore them from 'Deleted'.")):
            return
        try:
            registry.delete_trainee(self.database, self.actor, tid)
        except UserError as exc:
            show_error(self, exc)
            return
        self.after_change()

    def restore(self) -> None:
        tid = self.selected_id()
        if tid is None:
            return
        try:
            registry.restore_trainee(self.database, self.actor, tid)
        except UserError as exc:
            show_error(self, exc)
            return
        self.after_change()

    def after_change(self) -> None:
        self.announce(Changes.of(TRAINEE, PLACEMENT))

    def redraw(self, changes: Changes, origin: object) -> None:
        """Read again, keeping the trainee on screen selected."""
        tid = self.selected_id()
        self.refresh()
        row = self.model.row_of_id(tid) if tid is not None else None
        if row is not None:
            self.view.selectRow(row)

    def import_roster(self) -> None:
        from ui.import_wizard import ImportWizard

        # The wizard announces what its rows changed (ui/operations.py); this page redraws with the rest.
        ImportWizard(self.database, self.actor, "trainees", parent=self).exec()

    def export(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, tr("导出学员名册", "Export trainees"), tr("学员名册.xlsx", "trainees.xlsx"),
                                               tr("Excel (*.xlsx);;CSV（UTF-8）(*.csv)", "Excel (*.xlsx);;CSV (UTF-8) (*.csv)"))
        if not path:
            return
        actor = self.actor
        run_task(self, lambda _ctx: export_roster(self.database, "trainees", path, actor),
                 on_done=lambda n: self.count_label.setText(tr(f"已导出 {n:,} 人到 {path}", f"Exported {n:,} to {path}")),
                 label=tr("正在导出…", "Exporting…"))

    def cohorts(self) -> None:
        from ui.cohort_dialog import CohortDialog

        CohortDialog(self.database, self.actor, parent=self).exec()
        self.after_change()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> str:
    if not rows:
        return f"<p style='color:#777'>{html.escape(empty)}</p>"
    head = "".join(f"<th align='left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table cellspacing='0' cellpadding='3' border='1' style='border-collapse:collapse'>" \
           f"<tr style='background:#eef3f8'>{head}</tr>{body}</table>"


def detail_html(d: registry.TraineeDetail) -> str:
    v = d.values
    pairs = [
        (tr("身份证号", "ID"), mask_id(v["id_number"])), (tr("性别", "Gender"), gender_label(v["gender"])),
        (tr("出生日期", "Born"), v["birth_date"]), (tr("民族", "Ethnicity"), v.get("ethnicity")),
        (tr("手机号", "Mobile"), mask_phone(v.get("phone"))),
        (tr("住址", "Address"), " ".join(x for x in (v.get("township"), v.get("village")) if x)),
        (tr("户类型", "Household"), household_label(v["household_type"])),
        (tr("技能", "Skills"), _skills_text(v.get("skills"))), (tr("等级", "Level"), _level_text(v.get("skill_level"))),
        (tr("培训学校", "School"), d.school), (tr("培训课时", "Hours"), v.get("training_hours")),
        (tr("普通话", "Mandarin"), tr(*MANDARIN[v["mandarin"]]) if v.get("mandarin") in MANDARIN else ""),
        (tr("意向地区", "Regions"), "、".join(p for p in (v.get("preferred_regions") or "").split(",") if p)),
        (tr("期望月薪", "Expected wage"), v.get("expected_wage")), (tr("可出发", "Available"), v.get("available_from")),
        (tr("健康证有效期", "Health cert."), v.get("health_cert_expiry")), (tr("备注", "Notes"), v.get("notes")),
    ]
    info = "".join(f"<tr><td style='color:#555'>{html.escape(k)}</td><td>{_cell(val)}</td></tr>" for k, val in pairs)
    deleted = f"<p style='color:#b00020'>{tr('已删除（可恢复）', 'Deleted (can be restored)')}</p>" if d.deleted else ""
    training = _table([tr("学校 / 培训班", "School / cohort"), tr("技能", "Skill"), tr("课时", "Hours"),
                       tr("结业", "Graduated")],
                      [[" / ".join(x for x in (t["school"], t["cohort"]) if x), skill_label(t["skill"]), t["hours"],
                        t["graduated_on"]] for t in d.training], tr("无培训记录", "No training records"))
    certs = _table([tr("证书", "Certificate"), tr("等级", "Level"), tr("编号", "Number"), tr("发证", "Issued")],
                   [[f"{tr(*SHORT_CERT.get(c['cert_type'], (c['cert_type'], c['cert_type'])))}·{skill_label(c['skill'])}",
                     _level_text(c["level"]), c["number"], c["issue_date"]] for c in d.certificates],
                   tr("无证书", "No certificates"))
    placements = _table([tr("岗位", "Vacancy"), tr("单位", "Employer"), tr("状态", "Status"), tr("上岗", "Start"),
                         tr("离岗", "End")],
                        [[p["vacancy"], p["employer"], status_label(p["status"]), p["start_date"],
                          p["end_date"]] for p in d.placements], tr("无就业记录", "No placements"))
    return (f"<h3>{html.escape(v['name'])}</h3>{deleted}<table cellpadding='2'>{info}</table>"
            f"<h4>{tr('培训记录', 'Training')}</h4>{training}<h4>{tr('证书', 'Certificates')}</h4>{certs}"
            f"<h4>{tr('就业记录', 'Placements')}</h4>{placements}")
