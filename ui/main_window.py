"""The main window: navigation on the left, pages on the right, counts in the status bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
    QStackedWidget, QWidget,
)

from db import queries, services
from db.engine import Database, display_url
from db.i18n import tr
from ui.dialogs import show_error
from ui.pages.base import Page, PlaceholderPage
from ui.tasks import TaskContext, run_task


def _placeholder(text_zh: str, text_en: str) -> Callable[[Database], Page]:
    return lambda db: PlaceholderPage(db, tr(text_zh, text_en))


def page_factories() -> list[tuple[str, str, Callable[[Database], Page]]]:
    """(key, title, factory) of every page, in navigation order."""
    return [
        ("trainees", tr("学员", "Trainees"),
         _placeholder("学员名册页面将在“登记与Excel交换”中提供。", "The trainee registry arrives with the registry issue.")),
        ("employers", tr("用人单位与岗位", "Employers & vacancies"),
         _placeholder("用人单位与岗位页面将在“登记与Excel交换”中提供。", "Employers and vacancies arrive with the registry issue.")),
        ("matching", tr("匹配", "Matching"),
         _placeholder("智能匹配将在“匹配模型”中提供。", "Matching arrives with the matcher issue.")),
        ("tracking", tr("派遣与跟踪", "Batches & follow-up"),
         _placeholder("派遣批次与跟踪将在“派遣与跟踪”中提供。", "Batches and follow-up arrive with their issue.")),
        ("statistics", tr("统计", "Statistics"),
         _placeholder("统计将在“派遣与跟踪”中提供。", "Statistics arrive with the batches issue.")),
    ]


class MainWindow(QMainWindow):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.setWindowTitle(tr("劳务协作桥 LaborBridge", "LaborBridge"))
        self.resize(1280, 800)
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setStyleSheet("QListWidget#navigation { font-size: 15px; } "
                               "QListWidget#navigation::item { padding: 10px 8px; }")
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        for key, title, factory in page_factories():
            page = factory(database)
            page.setObjectName(f"page_{key}")
            page.changed.connect(self.refresh_status)
            self.pages[key] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.db_label = QLabel()
        self.count_label = QLabel()
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.count_label)
        self._build_menu()
        self.refresh_status()

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(tr("文件(&F)", "&File"))
        demo_action = QAction(tr("载入演示数据…", "Load demo data…"), self)
        demo_action.triggered.connect(self.ask_demo)
        file_menu.addAction(demo_action)
        file_menu.addSeparator()
        quit_action = QAction(tr("退出(&X)", "E&xit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.file_menu = file_menu

    def show_page(self, key: str) -> Page:
        keys = list(self.pages)
        self.nav.setCurrentRow(keys.index(key))
        return self.pages[key]

    def refresh_status(self) -> None:
        self.db_label.setText(tr("数据库：", "Database: ") + display_url(self.database.url))
        try:
            with self.database.session() as session:
                c = queries.counts(session)
        except Exception as exc:  # noqa: BLE001 - a status bar must never crash the window
            self.count_label.setText(tr("无法读取统计：", "Cannot read counts: ") + str(exc).splitlines()[0])
            return
        self.count_label.setText(tr(f"学员 {c.trainees:,} 人 · 在招岗位 {c.open_vacancies:,} 个 · 在岗 {c.on_job:,} 人",
                                    f"{c.trainees:,} trainees · {c.open_vacancies:,} open vacancies · "
                                    f"{c.on_job:,} on the job"))

    def refresh_all(self) -> None:
        for page in self.pages.values():
            page.refresh()
        self.refresh_status()

    # --- demo data ------------------------------------------------------------------------
    def offer_demo_if_empty(self) -> None:
        with self.database.session() as session:
            empty = queries.is_empty(session)
        if not empty:
            return
        answer = QMessageBox.question(
            self, tr("欢迎使用劳务协作桥", "Welcome to LaborBridge"),
            tr("数据库还是空的。要载入一个演示县的数据（3000 名学员、用人单位、岗位和三年就业历史）来熟悉软件吗？\n"
               "正式使用时请另建数据库。",
               "The database is empty. Load a demo county (3,000 trainees, employers, vacancies and three "
               "years of placement history) to explore the program?\nUse a separate database for real work."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.load_demo(3000)

    def ask_demo(self) -> None:
        n, ok = QInputDialog.getInt(self, tr("载入演示数据", "Load demo data"),
                                    tr("学员人数：", "Number of trainees:"), 3000, 10, 500_000, 1000)
        if ok:
            self.load_demo(n)

    def load_demo(self, n: int) -> None:
        def work(ctx: TaskContext) -> dict[str, int]:
            return services.load_demo(self.database, trainees=n, progress=ctx.progress)

        def done(_counts: object) -> None:
            self.refresh_all()

        run_task(self, work, on_done=done, on_error=lambda e: show_error(self, e),
                 label=tr("正在生成演示数据…", "Generating demo data…"))
