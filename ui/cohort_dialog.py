"""A training school's flow: create a cohort, add or import its trainees, mark graduation and
record certificates in bulk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.fields import mask_id
from core.i18n import UserError, tr
from core.vocab import LEVEL_NAMES, SKILLS, skill_label
from db.engine import Database
from db.services import registry
from db.services.registry import CERT_TYPES, CertificateInput, FormErrors
from ui.dialogs import show_error
from ui.forms import ERROR_STYLE, FieldForm, date_hint
from ui.permissions import gate, set_enabled


def _d(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if isinstance(value, dt.date) else ("" if value is None else str(value))


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class CohortDialog(QDialog):
    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor = database, actor
        self.setWindowTitle(tr("培训班与结业", "Cohorts and graduation"))
        self.resize(1100, 640)
        self.cohort_rows: list[dict[str, Any]] = []
        self.member_rows: list[dict[str, Any]] = []

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(QLabel(tr("培训班", "Cohorts")))
        self.cohort_table = _table([tr("培训学校", "School"), tr("班级", "Cohort"), tr("技能", "Skill"),
                                    tr("开班", "Start"), tr("结业", "End"), tr("课时", "Hours"), tr("人数", "People")])
        self.cohort_table.setObjectName("cohorts")
        self.cohort_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cohort_table.itemSelectionChanged.connect(self.load_members)
        lv.addWidget(self.cohort_table, 1)
        box = QGroupBox(tr("新建培训班", "New cohort"))
        bv = QVBoxLayout(box)
        f = self.form = FieldForm()
        f.combo("school", tr("培训学校", "School"), [n for _i, n in registry.schools(database)], editable=True,
                required=True)
        f.line("name", tr("班级名称", "Cohort name"), True, tr("如 2026年春季养老护理班", "e.g. Spring 2026 elderly care"))
        f.combo("skill", tr("技能", "Skill"), [zh for zh, _e in SKILLS.values()], required=True)
        f.line("start_date", tr("开班日期", "Start date"), placeholder=date_hint())
        f.line("end_date", tr("结业日期", "End date"), placeholder=date_hint())
        f.line("hours", tr("课时", "Hours"), placeholder="120")
        bv.addWidget(f)
        create = QPushButton(tr("新建培训班", "Create cohort"))
        create.setObjectName("create_cohort")
        create.clicked.connect(self.create_cohort)
        bv.addWidget(create)
        lv.addWidget(box)

        right = QWidget()
        rv = QVBoxLayout(right)
        self.members_label = QLabel(tr("学员", "Trainees"))
        rv.addWidget(self.members_label)
        self.member_table = _table([tr("姓名", "Name"), tr("身份证号", "ID number"), tr("结业日期", "Graduated"),
                                    tr("证书编号", "Certificate")])
        self.member_table.setObjectName("members")
        self.member_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        rv.addWidget(self.member_table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(tr("按身份证号添加…", "Add by ID number…"))
        self.add_button.clicked.connect(self.add_by_ids)
        self.import_button = QPushButton(tr("导入本班名册…", "Import class roster…"))
        self.import_button.clicked.connect(self.import_roster)
        self.graduate_button = QPushButton(tr("结业并登记证书…", "Graduate and certify…"))
        self.graduate_button.setObjectName("graduate")
        self.graduate_button.clicked.connect(self.graduate)
        for b in (self.add_button, self.import_button, self.graduate_button):
            row.addWidget(b)
        row.addStretch(1)
        rv.addLayout(row)
        gate(actor, "registry.write", create, self.add_button, self.import_button, self.graduate_button)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([560, 540])
        lay = QVBoxLayout(self)
        lay.addWidget(splitter, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText(tr("关闭", "Close"))
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        self.load_cohorts()

    # --- cohorts --------------------------------------------------------------------------
    def load_cohorts(self, select_id: int | None = None) -> None:
        self.cohort_rows = registry.cohorts(self.database, self.actor)
        t = self.cohort_table
        t.setRowCount(len(self.cohort_rows))
        for r, c in enumerate(self.cohort_rows):
            for col, value in enumerate((c["school"], c["name"], skill_label(c["skill"]), _d(c["start_date"]),
                                         _d(c["end_date"]), _d(c["hours"]), str(c["members"]))):
                t.setItem(r, col, QTableWidgetItem(value))
            if c["id"] == select_id:
                t.selectRow(r)
        if select_id is None and self.cohort_rows and not t.selectedItems():
            t.selectRow(0)
        self.load_members()

    def current_cohort(self) -> dict[str, Any] | None:
        rows = {i.row() for i in self.cohort_table.selectedIndexes()}
        return self.cohort_rows[min(rows)] if rows else None

    def create_cohort(self) -> None:
        v = self.form.values()
        ok, cid = self.form.submit(lambda: registry.create_cohort(
            self.database, self.actor, school=v["school"], name=v["name"], skill=v["skill"],
            start_date=v["start_date"], end_date=v["end_date"], hours=v["hours"]))
        if not ok:
            return
        self.form.set_value("name", "")
        self.load_cohorts(cid)

    # --- members --------------------------------------------------------------------------
    def load_members(self) -> None:
        cohort = self.current_cohort()
        for b in (self.add_button, self.import_button, self.graduate_button):
            set_enabled(b, cohort is not None)
        if cohort is None:
            self.member_rows = []
            self.member_table.setRowCount(0)
            self.members_label.setText(tr("先新建或选择一个培训班。", "Create or choose a cohort first."))
            return
        self.member_rows = registry.cohort_members(self.database, self.actor, cohort["id"])
        self.members_label.setText(tr(f"{cohort['name']}：{len(self.member_rows)} 名学员",
                                      f"{cohort['name']}: {len(self.member_rows)} trainees"))
        t = self.member_table
        t.setRowCount(len(self.member_rows))
        for r, m in enumerate(self.member_rows):
            for col, value in enumerate((m["name"], mask_id(m["id_number"]), _d(m["graduated_on"]), m["certificate"])):
                t.setItem(r, col, QTableWidgetItem(value))

    def add_by_ids(self) -> None:
        cohort = self.current_cohort()
        if cohort is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, tr("添加学员", "Add trainees"),
                                                 tr("每行一个身份证号（可从 Excel 粘贴一列）：", "One ID number per line:"))
        if not ok:
            return
        ids, missing = registry.find_by_id_numbers(self.database, self.actor, text.split())
        n = registry.enrol(self.database, self.actor, cohort["id"], ids) if ids else 0
        self.load_cohorts(cohort["id"])
        if missing:
            show_error(self, tr(f"已添加 {n} 人。以下身份证号未在登记册中找到（请先登记或导入）：\n" + "\n".join(missing),
                                f"Added {n}. Not found in the registry:\n" + "\n".join(missing)))

    def import_roster(self) -> None:
        from ui.import_wizard import ImportWizard

        cohort = self.current_cohort()
        if cohort is None:
            return
        wizard = ImportWizard(self.database, self.actor, "trainees", cohort_id=cohort["id"], parent=self)
        wizard.exec()
        self.load_cohorts(cohort["id"])

    def graduate(self) -> None:
        cohort = self.current_cohort()
        if cohort is None:
            return
        rows = sorted({i.row() for i in self.member_table.selectedIndexes()}) or list(range(len(self.member_rows)))
        members = [self.member_rows[r] for r in rows if not self.member_rows[r]["graduated_on"]]
        if not members:
            show_error(self, tr("所选学员都已结业。", "The selected trainees have already graduated."))
            return
        dialog = GraduationDialog(self.database, self.actor, cohort, members, self)
        if dialog.exec():
            self.load_cohorts(cohort["id"])


class GraduationDialog(QDialog):
    """Graduation date and certificates for many trainees at once; numbers can be auto-filled."""

    def __init__(self, database: Database, actor: Actor, cohort: dict[str, Any], members: list[dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.cohort, self.members = database, actor, cohort, members
        self.setWindowTitle(tr(f"结业并登记证书：{cohort['name']}", f"Graduation: {cohort['name']}"))
        self.resize(760, 560)
        f = self.form = FieldForm()
        f.line("graduation_date", tr("结业日期", "Graduation date"), True, "2026-04-15")
        f.set_value("graduation_date", _d(cohort.get("end_date")) or _d(dt.date.today()))
        self.type_box = f.combo("cert_type", tr("证书类型", "Certificate type"),
                                [tr(*v) for v in CERT_TYPES.values()] + [tr("不登记证书", "No certificate")])
        self.level_box = f.combo("level", tr("等级", "Level"), [LEVEL_NAMES[n][0] for n in (5, 4, 3, 2, 1)])
        f.line("issuer", tr("发证机构", "Issued by"))
        prefix_row = QWidget()
        pr = QHBoxLayout(prefix_row)
        pr.setContentsMargins(0, 0, 0, 0)
        self.prefix = QLineEdit()
        self.prefix.setPlaceholderText(tr("编号前缀，如 S2026630", "number prefix, e.g. S2026630"))
        self.start = QLineEdit("1")
        self.start.setFixedWidth(60)
        fill = QPushButton(tr("自动编号", "Number automatically"))
        fill.clicked.connect(self.auto_number)
        pr.addWidget(self.prefix, 1)
        pr.addWidget(QLabel(tr("起始", "from")))
        pr.addWidget(self.start)
        pr.addWidget(fill)
        f.layout_.addRow(tr("证书编号", "Numbers"), prefix_row)
        self.type_box.currentIndexChanged.connect(lambda i: self.level_box.setEnabled(i == 0))
        self.table = QTableWidget(len(members), 4)
        self.table.setObjectName("certificates")
        self.table.setHorizontalHeaderLabels([tr("姓名", "Name"), tr("身份证号", "ID number"),
                                              tr("证书编号（可编辑）", "Certificate number (editable)"), tr("问题", "Problem")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        # The editable number and the problem of each row, kept at hand: the table owns them for its whole
        # life, where QTableWidget.item() could only promise "or None".
        self.numbers: list[QTableWidgetItem] = []
        self.problems: list[QTableWidgetItem] = []
        for r, m in enumerate(members):
            for c, value in enumerate((m["name"], mask_id(m["id_number"]))):
                item = QTableWidgetItem(value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
            number = QTableWidgetItem("")
            self.table.setItem(r, 2, number)
            self.numbers.append(number)
            problem = QTableWidgetItem("")
            problem.setFlags(problem.flags() & ~Qt.ItemFlag.ItemIsEditable)
            problem.setForeground(Qt.GlobalColor.darkRed)
            self.table.setItem(r, 3, problem)
            self.problems.append(problem)
        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr(f"确认结业（{len(members)} 人）", f"Graduate ({len(members)})"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(f)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

    def auto_number(self) -> None:
        try:
            n = int(self.start.text() or "1")
        except ValueError:
            n = 1
        width = max(4, len(str(n + len(self.members))))
        for r, number in enumerate(self.numbers):
            number.setText(f"{self.prefix.text().strip()}{n + r:0{width}d}")

    def certificates(self) -> list[CertificateInput]:
        kinds = list(CERT_TYPES)
        index = self.type_box.currentIndex()
        if index >= len(kinds):
            return []
        level = (5, 4, 3, 2, 1)[self.level_box.currentIndex()] if kinds[index] == "graded" else None
        issuer = self.form.value("issuer").strip() or None
        return [CertificateInput(m["trainee_id"], number.text(), kinds[index], level, None, issuer)
                for m, number in zip(self.members, self.numbers)]

    def save(self) -> None:
        for problem in self.problems:
            problem.setText("")
        try:
            counts = registry.graduate(self.database, self.actor, self.cohort["id"],
                                       [m["trainee_id"] for m in self.members],
                                       self.form.value("graduation_date"), self.certificates())
        except FormErrors as exc:
            self.form.show_errors({k: v for k, v in exc.errors.items() if not k.startswith("cert:")})
            rows = {m["trainee_id"]: r for r, m in enumerate(self.members)}
            for key, message in exc.errors.items():
                if key.startswith("cert:"):
                    self.problems[rows[int(key[5:])]].setText(message)
            self.message.setText(str(exc))
            return
        except UserError as exc:
            show_error(self, exc)
            return
        self.counts = counts
        self.accept()
