"""Shared UI pieces: the frame table model (numpy sort) and background tasks with cancel."""

from __future__ import annotations

import time

import pandas as pd
from PySide6.QtCore import Qt

from core.i18n import UserError
from ui.frame_model import FrameTableModel
from ui.tasks import Cancelled, TaskContext, run_task


def test_frame_model_passes_the_model_tester_and_sorts(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = FrameTableModel([("name", "姓名"), ("score", "概率"), ("reasons", "理由")])
    model.set_frame(pd.DataFrame({"name": ["乙", "甲", "丙"], "score": [0.5, 0.9, 0.1],
                                  "reasons": [["a"], ["b", "c"], []]}))
    qtmodeltester.check(model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.row(i)["name"] for i in range(3)] == ["甲", "乙", "丙"]
    assert model.data(model.index(0, 1)) == "0.900"
    assert model.data(model.index(0, 2)) == "b；c"
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert model.row(0)["name"] == "丙"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "姓名"


def test_task_reports_result_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    results: list[object] = []

    def work(ctx: TaskContext) -> int:
        for i in range(5):
            ctx.progress(i * 20, "step")
        return 42

    run_task(None, work, on_done=results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)


def test_task_can_be_cancelled(qtbot) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def work(ctx: TaskContext) -> None:
        for _ in range(1000):
            time.sleep(0.01)
            ctx.progress(1)

    ctx = run_task(None, work, on_error=errors.append)
    ctx.cancel()
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert isinstance(errors[0], Cancelled)


def test_task_failure_reaches_the_error_callback(qtbot) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def work(_ctx: TaskContext) -> None:
        raise UserError("文件无法读取", "File cannot be read")

    run_task(None, work, on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert str(errors[0]) == "文件无法读取"


def test_errors_escaping_a_slot_reach_the_user_as_one_sentence(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    from PySide6.QtWidgets import QMessageBox

    from ui.dialogs import install_error_hook

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_error_hook()
    try:
        raise UserError("该学员不存在或无权查看", "No such trainee")
    except UserError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    try:
        raise KeyError("vacancy")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert shown[0] == "该学员不存在或无权查看"
    assert shown[1].startswith("操作失败") and "Traceback" not in shown[1]
