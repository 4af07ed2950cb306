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
    assert "统计日期" in page.as_of.text()
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


def test_export_from_the_page(qtbot, page: StatisticsPage, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "统计报表.xlsx"
    page.export(str(out))
    qtbot.waitUntil(lambda: "已导出" in page.as_of.text(), timeout=30_000)
    book = openpyxl.load_workbook(out, read_only=True)
    assert "按户类型" in book.sheetnames
    rows = list(book["上报指标"].iter_rows(values_only=True))
    assert rows[0][0] == "就业地" and rows[1][0] == "省外"


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
