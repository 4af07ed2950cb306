"""The main window: navigation on the left, pages on the right, counts in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from core.access import Actor
from core.i18n import tr
from db import queries
from db.changes import Changes
from db.engine import Database, database_name, display_url
from db.services import demo
from ui.dialogs import show_error
from ui.operations import announce, changes_of, hub
from ui.pages.base import Page
from ui.permissions import gate
from ui.tasks import TaskContext, run_task


def _trainees_page(database: Database, actor: Actor) -> Page:
    from ui.pages.trainees import TraineesPage
    return TraineesPage(database, actor)


def _employers_page(database: Database, actor: Actor) -> Page:
    from ui.pages.employers import EmployersPage
    return EmployersPage(database, actor)


def _matching_page(database: Database, actor: Actor) -> Page:
    from ui.pages.matching import MatchingPage
    return MatchingPage(database, actor)


def _tracking_page(database: Database, actor: Actor) -> Page:
    from ui.pages.tracking import TrackingPage
    return TrackingPage(database, actor)


def _statistics_page(database: Database, actor: Actor) -> Page:
    from ui.pages.statistics import StatisticsPage
    return StatisticsPage(database, actor)


def page_factories() -> list[tuple[str, str, Callable[[Database, Actor], Page]]]:
    """(key, title, factory) of every page, in navigation order."""
    return [
        ("trainees", tr("学员", "Trainees"), _trainees_page),
        ("employers", tr("用人单位与岗位", "Employers & vacancies"), _employers_page),
        ("matching", tr("匹配", "Matching"), _matching_page),
        ("tracking", tr("派遣与跟踪", "Batches & follow-up"), _tracking_page),
        ("statistics", tr("统计", "Statistics"), _statistics_page),
    ]


class MainWindow(QMainWindow):
    session_ended = Signal(str)  # the account was disabled or demoted (emitted from any thread)

    def __init__(self, database: Database, actor: Actor) -> None:
        super().__init__()
        self.database = database
        self.actor = actor  # who signed in (ui/login_dialog.py decides, SYSTEM only for a database with no user)
        # Set when the session ended because the account lost its rights: ui/app.py then signs in again.
        self.ended_message: str | None = None
        self.session_ended.connect(self._end_session)
        from db import rights
        self._stop_listening = rights.on_signed_out(
            lambda exc: self.session_ended.emit(str(exc)) if exc.actor == actor else None)
        self.destroyed.connect(lambda *_: self._stop_listening())
        self.setWindowTitle(tr("劳务协作桥 LaborBridge", "LaborBridge"))
        self.resize(1280, 800)
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setStyleSheet("QListWidget#navigation { font-size: 15px; } "
                               "QListWidget#navigation::item { padding: 10px 8px; }")
        self.stack = QStackedWidget()
        # Pages are built when first shown: the matcher page alone imports scikit-learn, and a
        # bureau PC should show its window in well under the 3 s start-up bar.
        self.pages: dict[str, Page] = {}
        self._factories: dict[str, Callable[[], Page]] = {}
        factories: list[tuple[str, str, Callable[[], Page]]] = [
            (key, title, partial(factory, database, actor)) for key, title, factory in page_factories()]
        if actor.can("households.read"):  # school accounts see no household data
            def households_page() -> Page:
                from ui.pages.households import HouseholdsPage
                return HouseholdsPage(database, actor)
            factories.append(("households", tr("户（监测户）", "Households"), households_page))
        if actor.can("audit.read"):
            def audit_page() -> Page:
                from ui.pages.audit import AuditPage
                return AuditPage(database, actor)
            factories.append(("audit", tr("审计日志", "Audit log"), audit_page))
        for key, title, build in factories:
            self._factories[key] = build
            self.stack.addWidget(QWidget())  # stands in until the page is built
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._switch_to)
        self.nav.setCurrentRow(0)
        # Wide enough for the longest entry in the chosen language ("Employers & vacancies"), never a scrollbar.
        self.nav.setFixedWidth(max(170, self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() + 12))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
        # Every announced write updates the counts, whichever page (or dialog) made it.
        hub().changed.connect(self._on_changes)
        self.refresh_status()

    def _on_changes(self, database: object, _changes: Changes, _origin: object) -> None:
        if database is self.database:
            self.refresh_status()

    def _end_session(self, message: str) -> None:
        if self.ended_message is None:
            self.ended_message = message
            self._stop_listening()
            self.close()

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(tr("文件(&F)", "&File"))
        demo_action = QAction(tr("载入演示数据…", "Load demo data…"), self)
        demo_action.setObjectName("action_demo")
        demo_action.triggered.connect(self.ask_demo)
        gate(self.actor, "demo.load", demo_action)
        file_menu.addAction(demo_action)
        print_action = QAction(tr("打印名册(&P)…", "&Print a list…"), self)
        print_action.setObjectName("action_print_list")
        print_action.setShortcut(QKeySequence.StandardKey.Print)
        print_action.triggered.connect(self.open_print_list)
        gate(self.actor, "print", print_action)
        file_menu.addAction(print_action)
        settings_action = QAction(tr("设置(&S)…", "&Settings…"), self)
        settings_action.setObjectName("action_settings")
        settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(settings_action)
        file_menu.addSeparator()
        quit_action = QAction(tr("退出(&X)", "E&xit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        file_menu.setToolTipsVisible(True)  # a disabled entry says which roles may use it
        self.file_menu = file_menu
        from ui.admin_menu import build_admin_menu
        build_admin_menu(self)
        self.help_menu = self.menuBar().addMenu(tr("帮助(&H)", "&Help"))
        about_action = QAction(tr("关于(&A)", "&About"), self)
        about_action.setObjectName("action_about")
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self.open_about)
        self.help_menu.addAction(about_action)

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        SettingsDialog(database=self.database, actor=self.actor, parent=self).exec()

    def open_about(self) -> None:
        from ui.about_dialog import AboutDialog

        AboutDialog(self).exec()

    def open_print_list(self) -> None:
        from ui.printing import open_print_dialog

        try:
            open_print_dialog(self, self.database, self.actor)
        except Exception as exc:  # noqa: BLE001 - a menu action must show a message, not crash
            show_error(self, exc)

    def page_keys(self) -> list[str]:
        """Keys of the pages in the navigation (those this user may see)."""
        return list(self._factories)

    def page(self, key: str) -> Page:
        """The page ``key``, built on first use."""
        if key not in self.pages:
            index = list(self._factories).index(key)
            page = self._factories[key]()
            page.setObjectName(f"page_{key}")
            stand_in = self.stack.widget(index)
            assert stand_in is not None  # __init__ put one at every page's index
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            self.pages[key] = page
        return self.pages[key]

    def _switch_to(self, row: int) -> None:
        if row < 0:
            return
        self.page(list(self._factories)[row])
        self.stack.setCurrentIndex(row)

    def show_page(self, key: str) -> Page:
        page = self.page(key)
        self.nav.setCurrentRow(list(self._factories).index(key))
        return page

    def refresh_status(self) -> None:
        self.db_label.setText(tr("数据库：", "Database: ") + database_name(self.database.url))
        self.db_label.setToolTip(display_url(self.database.url))  # the full location, password hidden
        try:
            with self.database.session() as session:
                c = queries.counts(session, self.actor)
        except Exception as exc:  # noqa: BLE001 - a status bar must never crash the window
            self.count_label.setText(tr("无法读取统计：", "Cannot read counts: ") + str(exc).splitlines()[0])
            return
        self.count_label.setText(tr(f"学员 {c.trainees:,} 人 · 在招岗位 {c.open_vacancies:,} 个 · 在岗 {c.on_job:,} 人",
                                    f"{c.trainees:,} trainees · {c.open_vacancies:,} open vacancies · "
                                    f"{c.on_job:,} on the job"))

    def refresh_all(self) -> None:
        """After a restore or a demo load: every page reads again (a hidden one when next shown)."""
        announce(self.database, Changes.all(), self)
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
            counts = demo.load_demo(self.database, trainees=n, progress=ctx.progress)
            demo.train_on_demo(self.database, self.actor)  # the matching page then shows the learned model
            return counts

        def done(counts: object) -> None:
            announce(self.database, changes_of(counts), self)

        run_task(self, work, on_done=done, on_error=lambda e: show_error(self, e),
                 label=tr("正在生成演示数据…", "Generating demo data…"))
