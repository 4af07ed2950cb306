"""The print-list dialog: choose a list, its columns and masking, then preview, print or save."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QTimer
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database
from db.queries.placements import batches_listed
from db.services.lists import (
    LIST_COLUMNS,
    ListSelection,
    PlacementList,
    batch_choices,
    build_list,
    employer_choices,
    needs_audit,
    record_output,
    township_choices,
    write_xlsx,
)
from ui.dialogs import error_text
from ui.forms import picked_date
from ui.permissions import gate, set_enabled
from ui.printing import default_columns
from ui.printing.renderer import ListRenderer, save_pdf
from ui.tasks import TaskContext, run_task

KINDS = ("batch", "employer", "area")


class PrintListDialog(QDialog):
    """Everything a list needs before it goes out; errors and results appear in the status line."""

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None, *,
                 batch_id: int | None = None, employer_id: int | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor
        self._cache: tuple[ListSelection, PlacementList] | None = None
        self.last_output: Path | None = None
        self.setWindowTitle(tr("打印名册", "Print a list"))
        self.resize(720, 560)

        # --- which list -----------------------------------------------------------------------
        self.kind_group = QButtonGroup(self)
        self.kind_batch = QRadioButton(tr("批次花名册", "Batch roster"))
        self.kind_employer = QRadioButton(tr("用人单位名单", "List per employer"))
        self.kind_area = QRadioButton(tr("乡镇 / 期间名单", "By township / period"))
        for i, button in enumerate((self.kind_batch, self.kind_employer, self.kind_area)):
            self.kind_group.addButton(button, i)
        self.batch_combo = QComboBox()
        self.employer_combo = QComboBox()
        self.employer_combo.setEditable(True)      # type to find among many employers
        self.employer_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.township_combo = QComboBox()
        self.township_combo.addItem(tr("全部乡镇", "All townships"), None)
        for choice in batch_choices(database):
            self.batch_combo.addItem(choice.label, choice.id)
        for choice in employer_choices(database):
            self.employer_combo.addItem(choice.label, choice.id)
        for name in township_choices(database):
            self.township_combo.addItem(name, name)
        self.employer_in_batch = QCheckBox(tr("仅限上面所选批次", "only the batch above"))
        self.period_check = QCheckBox(tr("限定出发日期", "Departure between"))
        today = QDate.currentDate()
        self.date_from = QDateEdit(QDate(today.year(), 1, 1))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")

        which = QGroupBox(tr("名册", "List"))
        grid = QGridLayout(which)
        grid.addWidget(self.kind_batch, 0, 0)
        grid.addWidget(self.batch_combo, 0, 1, 1, 3)
        grid.addWidget(self.kind_employer, 1, 0)
        grid.addWidget(self.employer_combo, 1, 1, 1, 2)
        grid.addWidget(self.employer_in_batch, 1, 3)
        grid.addWidget(self.kind_area, 2, 0)
        grid.addWidget(self.township_combo, 2, 1, 1, 3)
        grid.addWidget(self.period_check, 3, 0)
        grid.addWidget(self.date_from, 3, 1)
        grid.addWidget(QLabel(tr("至", "to")), 3, 2, alignment=Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.date_to, 3, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        # --- columns ---------------------------------------------------------------------------
        self.column_list = QListWidget()
        self.column_list.setObjectName("columns")
        chosen = set(default_columns())
        for key, spec in LIST_COLUMNS.items():
            item = QListWidgetItem(spec.header)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in chosen else Qt.CheckState.Unchecked)
            self.column_list.addItem(item)
        columns_box = QGroupBox(tr("列", "Columns"))
        QVBoxLayout(columns_box).addWidget(self.column_list)

        # --- privacy and heading ----------------------------------------------------------------
        self.masked_radio = QRadioButton(tr("身份证号、电话脱敏（推荐）", "Hide part of ID and phone numbers (recommended)"))
        self.full_radio = QRadioButton(tr("显示完整号码（将记入审计日志）", "Show full numbers (recorded in the audit log)"))
        self.masked_radio.setChecked(True)
        privacy = QGroupBox(tr("证件号码", "ID numbers"))
        pv = QVBoxLayout(privacy)
        pv.addWidget(self.masked_radio)
        pv.addWidget(self.full_radio)
        # Only roles allowed to print full numbers may choose them (db/services/lists.py checks again).
        gate(actor, "print.full_id", self.full_radio)
        # The bureau-wide name (asked once at first start, kept in the database) heads every list.
        from db.services.bureau import bureau_heading
        self.bureau_edit = QLineEdit(bureau_heading(database))
        self.bureau_edit.setMaxLength(60)
        heading = QGroupBox(tr("抬头", "Heading"))
        QFormLayout(heading).addRow(tr("单位名称：", "Bureau:"), self.bureau_edit)
        side = QVBoxLayout()
        side.addWidget(privacy)
        side.addWidget(heading)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(columns_box, 1)
        middle.addLayout(side, 1)

        # --- status and actions -----------------------------------------------------------------
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.preview_button = QPushButton(tr("预览…", "Preview…"))
        self.print_button = QPushButton(tr("打印…", "Print…"))
        self.pdf_button = QPushButton(tr("保存 PDF…", "Save PDF…"))
        self.xlsx_button = QPushButton(tr("保存 Excel…", "Save Excel…"))
        close_button = QPushButton(tr("关闭", "Close"))
        gate(actor, "export", self.xlsx_button)
        gate(actor, "print", self.preview_button, self.print_button, self.pdf_button)
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_paper)
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        self.xlsx_button.clicked.connect(lambda: self.save_xlsx())
        close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.xlsx_button)
        buttons.addStretch(1)
        buttons.addWidget(close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(which)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        # --- presets and live count ---------------------------------------------------------------
        self._batch_names = {i: name for i, name, _n in batches_listed(database)}
        if batch_id is None and employer_id is None:
            # open on the most recent batch with people on it, not on an empty new one
            batch_id = next((i for i, _name, n in batches_listed(database) if n > 0), None)
        if batch_id is not None:
            self._select(self.batch_combo, batch_id)
        if employer_id is not None:
            self.kind_employer.setChecked(True)
            self._select(self.employer_combo, employer_id)
            self.employer_in_batch.setChecked(batch_id is not None)
        elif batch_id is not None or self.batch_combo.count():
            self.kind_batch.setChecked(True)
        else:
            self.kind_area.setChecked(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.update_status)
        for signal in (self.kind_group.idToggled, self.batch_combo.currentIndexChanged,
                       self.employer_combo.currentIndexChanged, self.township_combo.currentIndexChanged,
                       self.period_check.toggled, self.date_from.dateChanged, self.date_to.dateChanged,
                       self.column_list.itemChanged, self.full_radio.toggled, self.employer_in_batch.toggled):
            signal.connect(lambda *_: self._timer.start())
        self.kind_group.idToggled.connect(lambda *_: self._enable())
        self.period_check.toggled.connect(lambda *_: self._enable())
        self.employer_in_batch.toggled.connect(lambda *_: self._enable())
        self._enable()
        self.update_status()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self._timer.stop()  # a closed dialog does not go back to the database
        super().hideEvent(event)

    # --- reading the form ---------------------------------------------------------------------
    @staticmethod
    def _select(combo: QComboBox, value: int) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def kind(self) -> str:
        return KINDS[max(0, self.kind_group.checkedId())]

    def _enable(self) -> None:
        kind = self.kind()
        self.employer_in_batch.setEnabled(kind == "employer" and self.batch_combo.count() > 0)
        self.batch_combo.setEnabled(kind == "batch" or (kind == "employer" and self.employer_in_batch.isChecked()))
        self.employer_combo.setEnabled(kind == "employer")
        self.township_combo.setEnabled(kind == "area")
        self.period_check.setEnabled(kind != "batch")
        on = kind != "batch" and self.period_check.isChecked()
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)

    def columns(self) -> tuple[str, ...]:
        return tuple(self.column_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.column_list.count())
                     if self.column_list.item(i).checkState() == Qt.CheckState.Checked)

    def set_columns(self, keys: list[str] | tuple[str, ...]) -> None:
        for i in range(self.column_list.count()):
            item = self.column_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in keys
                               else Qt.CheckState.Unchecked)

    def selection(self) -> ListSelection:
        """The form as a ListSelection; a UserError when something is missing."""
        kind = self.kind()
        columns = self.columns()
        if not columns:
            raise UserError("请至少选择一列。", "Choose at least one column.", code=2)
        batch_id = employer_id = None
        township = None
        if kind == "batch":
            batch_id = self.batch_combo.currentData()
            if batch_id is None:
                raise UserError("还没有派遣批次，请先在“派遣与跟踪”中建立批次。",
                                "There is no batch yet: create one under Batches & follow-up first.", code=2)
        elif kind == "employer":
            employer_id = self._employer_id()
            batch_id = self.batch_combo.currentData() if self.employer_in_batch.isChecked() else None
        else:
            township = self.township_combo.currentData()
        period = kind != "batch" and self.period_check.isChecked()
        if kind == "area" and not township and not period:
            raise UserError("请选择乡镇，或勾选“限定出发日期”并给出期间。",
                            "Choose a township, or tick the period and give its dates.", code=2)
        return ListSelection(batch_id=batch_id, employer_id=employer_id, township=township,
                             date_from=picked_date(self.date_from) if period else None,
                             date_to=picked_date(self.date_to) if period else None,
                             columns=columns, full_numbers=self.full_radio.isChecked() and self.actor.can("print.full_id"),
                             bureau=self.bureau_edit.text().strip())

    def _employer_id(self) -> int:
        text = self.employer_combo.currentText().strip()
        index = self.employer_combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index < 0:
            index = self.employer_combo.findText(text, Qt.MatchFlag.MatchContains)
        if index < 0 or not text:
            raise UserError(f"找不到用人单位“{text}”，请从列表中选择。",
                            f"No employer '{text}': choose one from the list.", code=2)
        return int(self.employer_combo.itemData(index))

    def build(self) -> PlacementList:
        """The list for the current form (cached while the form is unchanged)."""
        selection = self.selection()
        if self._cache is not None and self._cache[0] == selection:
            return self._cache[1]
        plist = build_list(self.database, self.actor, selection)
        self._cache = (selection, plist)
        return plist

    def update_status(self) -> None:
        try:
            plist = self.build()
        except UserError as exc:
            self._say(str(exc), error=True)
            self._set_ready(False)
            return
        extra = tr("，含完整身份证号（将记入审计日志）", "; full ID numbers (audited)") if plist.full_numbers else ""
        self._say(tr(f"{plist.title}：共 {len(plist.rows)} 人{extra}。",
                     f"{plist.title}: {len(plist.rows)} people{extra}."))
        self._set_ready(True)

    def _set_ready(self, ready: bool) -> None:
        for button in (self.preview_button, self.print_button, self.pdf_button, self.xlsx_button):
            set_enabled(button, ready)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    def _fail(self, exc: BaseException) -> None:
        from ui.tasks import Cancelled

        if isinstance(exc, Cancelled):
            self._say(tr("已取消，未保存任何文件。", "Cancelled; no file was saved."), error=True)
        else:
            self._say(error_text(exc), error=True)

    # --- outputs ------------------------------------------------------------------------------
    def _printer(self, plist: PlacementList) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(plist.title)
        printer.setPageLayout(ListRenderer(plist).page_layout())
        return printer

    def preview_dialog(self) -> QPrintPreviewDialog | None:
        """A preview of the list drawn by the same renderer as paper and PDF (not yet shown)."""
        try:
            plist = self.build()
            if plist.full_numbers:
                record_output(self.database, self.actor, plist, "preview")
        except UserError as exc:
            self._fail(exc)
            return None
        printer = self._printer(plist)
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(tr(f"打印预览 — {plist.title}", f"Print preview — {plist.title}"))
        dialog.resize(1100, 800)
        renderer = ListRenderer(plist)
        dialog.paintRequested.connect(lambda device: self._render_safely(renderer, device))
        dialog._printer = printer  # type: ignore[attr-defined]  # keep the printer alive with the dialog
        return dialog

    def _render_safely(self, renderer: ListRenderer, device: QPrinter) -> int:
        try:
            return renderer.render(device)
        except UserError as exc:
            self._fail(exc)
            return 0

    def preview(self) -> None:
        dialog = self.preview_dialog()
        if dialog is not None:
            dialog.exec()

    def print_paper(self) -> None:
        """Print on paper; a clear message when no printer is installed or the user cancels."""
        try:
            plist = self.build()
        except UserError as exc:
            self._fail(exc)
            return
        if not QPrinterInfo.availablePrinters():
            self._say(tr("没有找到可用的打印机。请先安装或连接打印机，或点击“保存 PDF…”后在其他电脑上打印。",
                         "No printer is available. Install or connect one, or use “Save PDF…” and print elsewhere."),
                      error=True)
            return
        printer = self._printer(plist)
        chooser = QPrintDialog(printer, self)
        chooser.setWindowTitle(tr("打印名册", "Print the list"))
        if chooser.exec() != QDialog.DialogCode.Accepted:
            self._say(tr("已取消打印，未输出任何内容。", "Printing cancelled; nothing was printed."))
            return
        self.print_to(printer, plist)

    def print_to(self, printer: QPrinter, plist: PlacementList | None = None) -> bool:
        """Render onto a chosen printer and audit when full numbers went out."""
        try:
            plist = plist or self.build()
            if not printer.isValid():
                raise UserError("所选打印机不可用，请检查打印机是否开机、联网。",
                                "The chosen printer is not available: check that it is on and connected.", code=2)
            pages = ListRenderer(plist).render(printer)
            if needs_audit(plist, "paper"):
                record_output(self.database, self.actor, plist, "paper", printer.printerName() or None)
        except UserError as exc:
            self._fail(exc)
            return False
        self._say(tr(f"已送往打印机：{plist.title}，共 {pages} 页。", f"Sent to the printer: {plist.title}, {pages} pages."))
        return True

    def file_stem(self, plist: PlacementList) -> str:
        """The list's title, led by the batch's name when it is a batch's list (e.g. “2026年第3批（江苏）_派遣人员花名册”)."""
        sel = self.selection()
        name = self._batch_names.get(sel.batch_id) if sel.batch_id is not None else None
        if not name:
            return plist.file_stem
        bad = '<>:"/\\|?*'
        return "".join("_" if c in bad else c for c in name).strip() + "_" + plist.file_stem

    def _ask_path(self, plist: PlacementList, suffix: str, label: str) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        stamp = dt.date.today().strftime("%Y%m%d")
        path, _ = QFileDialog.getSaveFileName(self, label, str(Path(folder) / f"{self.file_stem(plist)}_{stamp}{suffix}"),
                                              f"{label} (*{suffix})")
        if path and not path.lower().endswith(suffix):
            path += suffix
        return path

    def save_pdf(self, path: str | None = None, *, on_done=None) -> None:  # type: ignore[no-untyped-def]
        """Write the PDF in a worker thread (QPdfWriter needs no GUI thread)."""
        try:
            plist = self.build()
        except UserError as exc:
            self._fail(exc)
            return
        path = path or self._ask_path(plist, ".pdf", tr("PDF 文件", "PDF file"))
        if not path:
            return

        def work(ctx: TaskContext) -> Path:
            return save_pdf(self.database, self.actor, plist, path, progress=ctx.progress)

        self._run(work, tr("正在生成 PDF…", "Writing the PDF…"), on_done)

    def save_xlsx(self, path: str | None = None, *, on_done=None) -> None:  # type: ignore[no-untyped-def]
        try:
            plist = self.build()
        except UserError as exc:
            self._fail(exc)
            return
        path = path or self._ask_path(plist, ".xlsx", tr("Excel 文件", "Excel file"))
        if not path:
            return
        self._run(lambda _ctx: write_xlsx(self.database, self.actor, plist, path),
                  tr("正在生成 Excel…", "Writing the workbook…"), on_done)

    def _run(self, work, label: str, on_done) -> None:  # type: ignore[no-untyped-def]
        self._set_ready(False)
        self._say(label)

        def done(result: Path) -> None:
            self._set_ready(True)
            self.last_output = result
            self._say(tr(f"已保存：{result}", f"Saved: {result}"))
            if on_done:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self._set_ready(True)
            self._fail(exc)
            if on_done:
                on_done(exc)

        run_task(self, work, on_done=done, on_error=failed, label=label)
