"""The import wizard: pick a file → preview (counts and the rows that would be rejected) → write in
the background → report, downloadable as xlsx. Templates are downloadable from the first step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database
from db.services.exchange import (
    KIND_LABELS,
    ImportResult,
    import_roster,
    importable_kinds,
    write_report,
    write_template,
)
from ui.dialogs import show_error
from ui.frame_model import FrameTableModel
from ui.tasks import TaskContext, run_task

ISSUE_COLUMNS = [("row", tr("行号", "Row")), ("column", tr("列", "Column")), ("value", tr("值", "Value")),
                 ("reason", tr("原因", "Reason")), ("kind", tr("类型", "Type"))]


def issues_frame(result: ImportResult) -> pd.DataFrame:
    return pd.DataFrame([{"row": i.row, "column": i.column, "value": i.value, "reason": i.reason,
                          "kind": tr("错误（不导入）", "error (skipped)") if i.severity == "error" else tr("警告", "warning")}
                         for i in result.issues], columns=[c for c, _h in ISSUE_COLUMNS])


class ImportWizard(QDialog):
    """``kind`` preselects the roster type; ``cohort_id`` enrols every imported person in a cohort."""

    def __init__(self, database: Database, actor: Actor, kind: str = "trainees", cohort_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.cohort_id = database, actor, cohort_id
        self.import_result: ImportResult | None = None  # not `result`: QDialog.result() is the dialog code
        self.imported = False
        self.setWindowTitle(tr("导入名册", "Import a roster"))
        self.resize(980, 620)
        self.stack = QStackedWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.stack)

        # step 1: file
        pick = QWidget()
        p = QVBoxLayout(pick)
        intro = QLabel(tr("选择 Excel（.xlsx / .xls）或 CSV 文件。表头可在标题行下方；中文列名或英文别名均可。"
                          "导入前会先预览：哪些行将新增、更新，哪些行有问题以及原因。",
                          "Choose an Excel (.xlsx/.xls) or CSV file. The header may sit below title rows; Chinese "
                          "or English column names work. You will see a preview before anything is written."))
        intro.setWordWrap(True)
        p.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("名册类型：", "Roster type:")))
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("kind")
        # Only the rosters this role may write are offered; the service refuses the others anyway.
        for k in importable_kinds(actor):
            self.kind_box.addItem(tr(*KIND_LABELS[k]), k)
        # Every button that opens the wizard is gated by the same permission (ui.permissions.gate).
        assert self.kind_box.findData(kind) >= 0, f"{actor.role} may not import {kind}"
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
        self.kind_box.setEnabled(cohort_id is None and self.kind_box.count() > 1)
        row.addWidget(self.kind_box)
        self.template_button = QPushButton(tr("下载空白模板…", "Download template…"))
        self.template_button.clicked.connect(self.save_template)
        row.addWidget(self.template_button)
        row.addStretch(1)
        p.addLayout(row)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("path")
        self.path_edit.setPlaceholderText(tr("文件路径", "File path"))
        browse = QPushButton(tr("选择文件…", "Browse…"))
        browse.clicked.connect(self.browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        p.addLayout(row)
        p.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.preview_button = QPushButton(tr("下一步：预览", "Next: preview"))
        self.preview_button.setObjectName("preview")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.preview)
        cancel = QPushButton(tr("取消", "Cancel"))
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(cancel)
        p.addLayout(buttons)
        self.stack.addWidget(pick)

        # step 2 and 3: preview / result share one layout
        review = QWidget()
        r = QVBoxLayout(review)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setStyleSheet("font-size: 14px; padding: 6px;")
        r.addWidget(self.summary)
        self.issue_model = FrameTableModel(ISSUE_COLUMNS, self)
        self.issue_view = QTableView()
        self.issue_view.setObjectName("issues")
        self.issue_view.setModel(self.issue_model)
        self.issue_view.setWordWrap(True)
        self.issue_view.verticalHeader().hide()
        header = self.issue_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        r.addWidget(self.issue_view, 1)
        buttons = QHBoxLayout()
        self.report_button = QPushButton(tr("保存问题清单（xlsx）…", "Save report (xlsx)…"))
        self.report_button.setObjectName("save_report")
        self.report_button.clicked.connect(self.save_report)
        buttons.addWidget(self.report_button)
        buttons.addStretch(1)
        self.back_button = QPushButton(tr("上一步", "Back"))
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        self.import_button = QPushButton()
        self.import_button.setObjectName("do_import")
        self.import_button.clicked.connect(self.run_import)
        self.close_button = QPushButton(tr("关闭", "Close"))
        self.close_button.clicked.connect(self.finish)
        for b in (self.back_button, self.import_button, self.close_button):
            buttons.addWidget(b)
        r.addLayout(buttons)
        self.stack.addWidget(review)

    @property
    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def browse(self) -> None:
        path, _f = QFileDialog.getOpenFileName(self, tr("选择名册文件", "Choose a roster"), "",
                                               tr("名册 (*.xlsx *.xls *.csv);;所有文件 (*)", "Rosters (*.xlsx *.xls *.csv);;All files (*)"))
        if path:
            self.path_edit.setText(path)

    def save_template(self) -> None:
        name = tr(*KIND_LABELS[self.kind]) + tr("模板.xlsx", " template.xlsx")
        path, _f = QFileDialog.getSaveFileName(self, tr("保存模板", "Save template"), name, "Excel (*.xlsx)")
        if path:
            try:
                write_template(self.kind, path)
            except UserError as exc:  # one sentence naming the cause (disk full, read-only, no permission)
                show_error(self, str(exc))

    def preview(self) -> None:
        path = self.path_edit.text().strip()
        if not path:
            show_error(self, tr("请先选择文件。", "Choose a file first."))
            return
        kind = self.kind

        def work(ctx: TaskContext) -> ImportResult:
            return import_roster(self.database, kind, path, self.actor, dry_run=True, cohort_id=self.cohort_id,
                                 progress=ctx.progress)

        run_task(self, work, on_done=self.show_preview, on_error=lambda e: show_error(self, e),
                 label=tr("正在检查文件…", "Checking the file…"))

    def show_preview(self, result: ImportResult) -> None:
        self.import_result = result
        n = result.inserted + result.updated
        self.summary.setText(result.summary() + "\n" + tr(
            f"按“导入”将写入 {result.inserted} 条新记录、更新 {result.updated} 条；有问题的行不导入。",
            f"'Import' writes {result.inserted} new and updates {result.updated} records; rows with errors "
            "are skipped."))
        self.issue_model.set_frame(issues_frame(result))
        self._fit_columns()
        self.import_button.setText(tr(f"导入（{n} 条）", f"Import ({n})"))
        self.import_button.setEnabled(n > 0)
        self.import_button.setVisible(True)
        self.back_button.setVisible(True)
        self.close_button.setText(tr("取消", "Cancel"))
        self.stack.setCurrentIndex(1)

    def _fit_columns(self) -> None:
        for c, width in enumerate((60, 110, 170, 0, 110)):
            if width:
                self.issue_view.setColumnWidth(c, width)
        self.issue_view.resizeRowsToContents()

    def run_import(self) -> None:
        path, kind = self.path_edit.text().strip(), self.kind

        def work(ctx: TaskContext) -> ImportResult:
            return import_roster(self.database, kind, path, self.actor, cohort_id=self.cohort_id,
                                 progress=ctx.progress)

        self.import_button.setEnabled(False)
        run_task(self, work, on_done=self.show_result, on_error=self._import_failed,
                 label=tr("正在导入…", "Importing…"))

    def _import_failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        from ui.tasks import Cancelled
        if isinstance(exc, Cancelled):
            show_error(self, tr("已取消，登记册未作任何改动。", "Cancelled; the registry was not changed."))
        else:
            show_error(self, exc)

    def show_result(self, result: ImportResult) -> None:
        self.import_result = result
        self.imported = True
        # What the rows changed reaches every page at once, in the name of the page that opened the wizard.
        from ui.operations import announce
        announce(self.database, result.changes, self.parent() or self)
        self.summary.setText(result.summary())
        self.issue_model.set_frame(issues_frame(result))
        self._fit_columns()
        self.import_button.setVisible(False)
        self.back_button.setVisible(False)
        self.close_button.setText(tr("完成", "Done"))

    def save_report(self) -> None:
        if self.import_result is None:
            return
        default = Path(self.import_result.path).stem + tr("_导入报告.xlsx", "_import_report.xlsx")
        path, _f = QFileDialog.getSaveFileName(self, tr("保存报告", "Save report"), default, "Excel (*.xlsx)")
        if path:
            self.write_report_to(path)

    def write_report_to(self, path: str) -> Any:
        assert self.import_result is not None
        try:
            return write_report(self.import_result, path)
        except UserError as exc:  # one sentence naming the cause (disk full, read-only, no permission)
            show_error(self, str(exc))
            return None

    def finish(self) -> None:
        if self.imported:
            self.accept()
        else:
            self.reject()
