"""The statistics page offscreen on a real demo database: figures, charts, breakdowns, xlsx export."""

from __future__ import annotations

import openpyxl
import pytest

from core.access import SYSTEM
from db.services import stats
from ui.pages.statistics import BarChart, StatisticsPage, SurvivalChart


@pytest.fixture
def page(qtbot, demo_db):  # type: ignore[no-untyped-def]
    widget = StatisticsPage(demo_db, SYSTEM)
    qtbot.addWidget(widget)
    widget.resize(1280, 820)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.result is not None, timeout=30_000)
    return widget


def test_figures_charts_and_breakdowns(qtbot, qtmodeltester, page: StatisticsPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    expected = stats.compute(demo_db, today=page.result.today, actor=SYSTEM)
    assert page.cards["registered"].text() == f"{expected.overview['registered']:,}"
    assert page.cards["retention_180"].text() == stats.format_metric("retention_180", expected.overview["retention_180"])
    assert page.cards["avg_wage"].text() != "—"
    assert "统计期：截至" in page.as_of.text()
    qtmodeltester.check(page.upward_model)
    up = page.upward_model.frame
    assert list(up["label"]) == ["省外", "省内县外", "县内", "合计"]
    assert int(up["on_job"].iloc[-1]) == expected.overview["on_job"]
    for dim, model in page.tables.items():
        qtmodeltester.check(model)
        assert model.rowCount() == len(expected.breakdowns[dim])
    # the bar chart follows the tab and the chosen metric
    page.tabs.setCurrentIndex(list(stats.DIMENSIONS).index("household_type"))
    page.metric_pick.setCurrentIndex(page.metric_pick.findData("retention_180"))
    bar = page.bars["household_type"]
    assert set(bar.labels) == {"一般户", "脱贫户", "监测户"} and bar.metric_key == "retention_180"
    assert all(0 < v < 1 for v in bar.values)
    chart = page.findChild(SurvivalChart, "survival_chart")
    assert chart.curve is not None and set(chart.marks) == set(stats.HORIZONS)
    image = chart.grab().toImage()
    # the curve is drawn in the accent colour somewhere in the plot
    assert any(image.pixelColor(x, y).name() == "#2f6db5" for x in range(60, image.width(), 3)
               for y in range(30, image.height() - 40, 3))
    page.tabs.setCurrentIndex(list(stats.DIMENSIONS).index("township"))
    page.metric_pick.setCurrentIndex(page.metric_pick.findData("on_job"))
    page.grab().save("/tmp/statistics.png")


def test_export_from_the_page(qtbot, page: StatisticsPage, tmp_path, monkeypatch, demo_db) -> None:  # type: ignore[no-untyped-def]
    """The year's statistics, sent upward: a period chosen on the page, the workbook formatted to send."""
    import datetime as dt

    from PySide6.QtCore import QDate, Qt
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from db.services import bureau

    bureau.set_bureau(demo_db, SYSTEM, "互助县人力资源和社会保障局", "互助县")
    today = dt.date.today()
    qtbot.mouseClick(page.from_all, Qt.MouseButton.LeftButton)
    assert page.from_edit.isEnabled()
    page.from_edit.setDate(QDate(today.year, 1, 1))
    page.result = None
    qtbot.mouseClick(page.findChild(QPushButton, "btn_stats_refresh"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None, timeout=30_000)
    period = f"{today.year}-01-01 至 {today:%Y-%m-%d}"
    assert page.as_of.text().startswith(f"统计期：{period}")
    expected = stats.compute(demo_db, actor=SYSTEM, start=dt.date(today.year, 1, 1), today=today)
    assert page.cards["placed"].text() == f"{expected.overview['placed']:,}"
    assert page.cards["on_job"].text() == f"{int(page.upward_model.frame['on_job'].iloc[-1]):,}"

    out = tmp_path / "统计报表.xlsx"
    offered: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda _p, _c, name, _f: (offered.append(name), (str(out), ""))[1])
    qtbot.mouseClick(page.export_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导出" in page.as_of.text(), timeout=30_000)
    assert offered == [f"互助县人力资源和社会保障局统计（{period.replace(' ', '')}）.xlsx"]
    book = openpyxl.load_workbook(out)
    assert "按户类型" in book.sheetnames and book.sheetnames[-1] == "口径说明"
    title = f"互助县人力资源和社会保障局劳务协作就业统计（{period}）"
    assert all(book[name]["A1"].value == title for name in book.sheetnames)
    up = book["上报指标"]
    assert [c.value for c in up[3]] == ["就业地", "目前在岗", "统计期内务工人数", "务工6个月以上", "6个月以上占比"]
    assert up["A4"].value == "省外" and up["E4"].number_format == "0.0%" and 0 < up["E4"].value < 1
    overview = {row[0].value: row[1] for row in book["总览"].iter_rows(min_row=4)}
    assert overview["6个月稳岗率"].number_format == "0.0%"
    assert overview["平均月薪"].value == round(expected.overview["avg_wage"]) and overview["平均月薪"].number_format == "#,##0"
    notes = {row[0].value: row[1].value for row in book["口径说明"].iter_rows(min_row=4)}
    assert notes["统计期"] == period and "Kaplan–Meier" in notes["3个月稳岗率"] and "四舍五入到元" in notes["平均月薪"]
    assert all(stats.metric_label(k) in notes for k in stats.METRICS)


def test_empty_database_shows_dashes(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    widget = StatisticsPage(database, SYSTEM)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.result is not None, timeout=30_000)
    assert widget.cards["registered"].text() == "0"
    assert widget.cards["retention_180"].text() == "—"
    empty = BarChart()
    qtbot.addWidget(empty)
    empty.grab()  # paints "no data" without failing


def test_upward_header_follows_the_period(qtbot, page: StatisticsPage) -> None:  # type: ignore[no-untyped-def]
    """The 上报指标 table names its employed column as the workbook does: the last year without a
    period, the period once one is typed in and computed — in both languages."""
    import datetime as dt

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    from core import i18n

    def header() -> str:
        return page.upward_view.model().headerData(2, Qt.Orientation.Horizontal)

    def compute() -> None:
        page.result = None
        qtbot.mouseClick(page.findChild(QPushButton, "btn_stats_refresh"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.result is not None, timeout=30_000)

    assert header() == "近一年务工人数"
    qtbot.mouseClick(page.from_all, Qt.MouseButton.LeftButton)
    start = dt.date(dt.date.today().year - 1, 3, 1)
    qtbot.mouseClick(page.from_edit, Qt.MouseButton.LeftButton)
    page.from_edit.selectAll()
    qtbot.keyClicks(page.from_edit, f"{start:%Y-%m-%d}")
    assert page.from_edit.date().toPython() == start
    compute()
    assert page.result.start == start
    assert header() == "统计期内务工人数" == stats.employed_label(start)
    i18n.set_language("en")
    compute()
    assert header() == "Employed (period)"
    qtbot.mouseClick(page.from_all, Qt.MouseButton.LeftButton)  # back to all history
    compute()
    assert page.result.start is None and header() == "Employed (last year)"
