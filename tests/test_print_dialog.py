"""The print-list dialog driven offscreen: presets, roles, preview, printer errors, PDF/xlsx saved."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from core.access import SYSTEM, Actor
from db.models import Employer, Placement, Vacancy
from tests.test_print_lists import BATCH_ID, OFFICER, STAFF, audit_entries, fill_batch, new_batch, pdf_pages_text
from ui.printing import open_print_dialog
from ui.printing.dialog import PrintListDialog


@pytest.fixture
def batch_db(demo_db):  # type: ignore[no-untyped-def]
    fill_batch(demo_db, 120)
    return demo_db


def make_dialog(qtbot, database, actor: Actor = SYSTEM, **preset) -> PrintListDialog:  # type: ignore[no-untyped-def]
    dialog = open_print_dialog(None, database, actor, **preset)
    qtbot.addWidget(dialog)
    return dialog


def test_opens_on_the_batch_and_counts(qtbot, batch_db, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, batch_db, batch_id=BATCH_ID)
    assert dialog.kind() == "batch"
    assert dialog.batch_combo.currentData() == BATCH_ID
    assert "派遣人员花名册：共 120 人" in dialog.status.text()
    assert dialog.pdf_button.isEnabled()
    dialog.resize(760, 580)
    dialog.grab().save(str(tmp_path / "print_dialog.png"))
    # unticking columns changes the list; no column at all is refused clearly
    dialog.set_columns(("seq", "name"))
    assert dialog.build().columns == ("seq", "name")
    dialog.set_columns(())
    dialog.update_status()
    assert "请至少选择一列" in dialog.status.text() and not dialog.pdf_button.isEnabled()


def test_full_numbers_offered_only_to_allowed_roles(qtbot, batch_db) -> None:
    staff = make_dialog(qtbot, batch_db, STAFF, batch_id=BATCH_ID)
    assert not staff.full_radio.isEnabled()
    assert staff.full_radio.toolTip() == "仅局管理员、经办/审核可以操作"
    staff.full_radio.setChecked(True)  # even if forced, the selection stays masked
    assert staff.selection().full_numbers is False
    officer = make_dialog(qtbot, batch_db, OFFICER, batch_id=BATCH_ID)
    assert officer.full_radio.isEnabled()
    qtbot.waitUntil(lambda: officer.pdf_button.isEnabled())
    assert not officer.xlsx_button.isEnabled()  # officers print; they do not export workbooks
    assert officer.xlsx_button.toolTip() == "仅局管理员、局工作人员、培训学校可以操作"
    officer.full_radio.setChecked(True)
    assert officer.selection().full_numbers is True


def test_save_pdf_in_the_background(qtbot, batch_db, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, batch_db, batch_id=BATCH_ID)
    results: list[object] = []
    out = tmp_path / "批次花名册.pdf"
    dialog.save_pdf(str(out), on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert results[0] == out.absolute()
    assert "已保存" in dialog.status.text()
    pages = pdf_pages_text(out)
    assert all("身份证号" in p for p in pages) and "经办人" in pages[-1]
    assert json.loads(audit_entries(batch_db, "export")[-1].detail)["output"] == "pdf"

    xlsx = tmp_path / "批次花名册.xlsx"
    results.clear()
    dialog.save_xlsx(str(xlsx), on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert xlsx.exists() and results[0] == xlsx.absolute()


def test_unwritable_pdf_path_shows_message_and_leaves_nothing(qtbot, batch_db, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, batch_db, batch_id=BATCH_ID)
    results: list[object] = []
    dialog.save_pdf(str(tmp_path / "nope" / "x.pdf"), on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert "不存在" in dialog.status.text()
    assert not (tmp_path / "nope").exists()
    assert dialog.pdf_button.isEnabled()


def test_empty_batch_is_explained(qtbot, demo_db) -> None:
    empty = new_batch(demo_db, "2027年第1批", 9101)
    dialog = make_dialog(qtbot, demo_db, batch_id=empty)
    assert "没有可打印的人员" in dialog.status.text()
    assert not dialog.preview_button.isEnabled() and not dialog.print_button.isEnabled()


def test_employer_preset_and_batch_filter(qtbot, batch_db) -> None:
    with batch_db.session() as s:
        employer_id = s.scalar(select(Vacancy.employer_id).join(Placement)
                               .where(Placement.batch_id == BATCH_ID).limit(1))
        name = s.get(Employer, employer_id).name
    dialog = make_dialog(qtbot, batch_db, batch_id=BATCH_ID, employer_id=employer_id)
    assert dialog.kind() == "employer" and dialog.employer_in_batch.isChecked()
    plist = dialog.build()
    assert plist.title == "用人单位派遣人员名单"
    assert "批次：" in plist.info[0] and name in plist.info[0]
    assert {r[plist.columns.index("employer")] for r in plist.rows} == {name}
    # typing part of a name that matches nothing is a clear message
    dialog.employer_combo.setEditText("没有这家单位")
    dialog.update_status()
    assert "找不到用人单位" in dialog.status.text()


def test_township_needs_a_township_or_period(qtbot, batch_db) -> None:
    dialog = make_dialog(qtbot, batch_db)
    dialog.kind_area.setChecked(True)
    dialog.township_combo.setCurrentIndex(0)  # 全部乡镇
    dialog.period_check.setChecked(False)
    dialog.update_status()
    assert "请选择乡镇" in dialog.status.text()
    dialog.township_combo.setCurrentIndex(1)
    dialog.update_status()
    assert "转移就业人员名单：共" in dialog.status.text()


def test_preview_draws_with_the_same_renderer(qtbot, batch_db, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, batch_db, OFFICER, batch_id=BATCH_ID)
    dialog.full_radio.setChecked(True)
    preview = dialog.preview_dialog()
    assert preview is not None
    qtbot.addWidget(preview)
    preview.resize(1000, 700)
    preview.show()
    widget = preview.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: widget.pageCount() > 1, timeout=20000)
    preview.grab().save(str(tmp_path / "preview.png"))
    # the same list through the PDF path has the same number of pages
    from ui.printing.renderer import write_pdf
    out = tmp_path / "same.pdf"
    assert write_pdf(dialog.build(), out) == widget.pageCount() == len(pypdf.PdfReader(str(out)).pages)
    # showing full numbers on screen is audited
    assert json.loads(audit_entries(batch_db, "print_full_id")[-1].detail)["output"] == "preview"
    preview.close()


def test_paper_print_to_a_file_printer_with_full_ids_is_audited(qtbot, batch_db, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, batch_db, OFFICER, batch_id=BATCH_ID)
    dialog.full_radio.setChecked(True)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "paper.pdf"))
    assert dialog.print_to(printer)
    assert "已送往打印机" in dialog.status.text()
    assert "第 1 页" in pdf_pages_text(tmp_path / "paper.pdf")[0]
    entry = audit_entries(batch_db, "print_full_id")[-1]
    assert json.loads(entry.detail)["output"] == "paper" and entry.username == "officer1"


def test_no_printer_or_cancelled_print(qtbot, batch_db) -> None:
    dialog = make_dialog(qtbot, batch_db, batch_id=BATCH_ID)
    if not QPrinterInfo.availablePrinters():
        dialog.print_paper()
        assert "没有找到可用的打印机" in dialog.status.text()
        assert "保存 PDF" in dialog.status.text()
    else:  # a machine with printers: the user closes the print dialog
        QTimer.singleShot(300, lambda: QApplication.activeModalWidget().reject())
        dialog.print_paper()
        assert "已取消打印" in dialog.status.text()
    assert audit_entries(batch_db, "print") == []


def test_main_window_file_menu_opens_the_dialog(qtbot, batch_db) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(batch_db, SYSTEM)
    qtbot.addWidget(window)
    action = window.findChild(type(window.file_menu.actions()[0]), "action_print_list")
    assert action is not None and action.text().startswith("打印名册")
    action.trigger()
    dialog = window.findChild(PrintListDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() != Qt.WindowModality.NonModal or dialog.isModal()
    dialog.close()


def test_opens_on_the_latest_batch_with_people_under_the_bureaus_name(qtbot, demo_db, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No preset (the officer's 文件 → 打印名册): the most recent batch with people, not the empty new one;
    the heading is the bureau asked at first start; the offered file name leads with the batch's name."""
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from db.queries.placements import batches_listed
    from db.services import bureau

    new_batch(demo_db, "2027年第1批（江苏浙江）", 9102)  # newest, nobody on it yet
    bureau.set_bureau(demo_db, SYSTEM, "互助县人力资源和社会保障局", "互助县")
    latest = next((i, name, n) for i, name, n in batches_listed(demo_db) if n > 0)
    dialog = make_dialog(qtbot, demo_db, OFFICER)
    assert dialog.kind() == "batch" and dialog.batch_combo.currentData() == latest[0]
    assert f"共 {latest[2]} 人" in dialog.status.text()
    assert dialog.bureau_edit.text() == "互助县人力资源和社会保障局"
    offered: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda _p, _c, name, _f: (offered.append(name), ("", ""))[1])
    qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    assert Path(offered[0]).name.startswith(f"{latest[1]}_派遣人员花名册_")
    assert isinstance(dialog.pdf_button, QPushButton)


def test_bureau_asked_once_at_first_start(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget

    from db.services import bureau
    from ui.bureau_dialog import BureauDialog, ask_bureau_once

    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer(name: str) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()
            QTimer.singleShot(30, lambda: answer("互助县人力资源和社会保障局"))
            return
        if name.strip() == "" and seen:
            return
        if not isinstance(box, BureauDialog):
            QTimer.singleShot(30, lambda: answer(name))
            return
        box.name_edit.setText(name)
        box.county_edit.setText("互助县")
        if not name.strip():  # the refusal pops up while the click is still being handled
            QTimer.singleShot(30, lambda: answer(name))
        qtbot.mouseClick(box.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
    QTimer.singleShot(0, lambda: answer("  "))  # an empty name is refused in one sentence, then given
    assert ask_bureau_once(parent, demo_db, SYSTEM) is True
    assert seen == ["请填写单位名称，例如“互助县人力资源和社会保障局”。"]
    assert bureau.bureau(demo_db) == ("互助县人力资源和社会保障局", "互助县")
    assert ask_bureau_once(parent, demo_db, SYSTEM) is True  # asked once: no dialog the second time
    assert ask_bureau_once(parent, demo_db, STAFF) is True
