"""The audit log page (administrators): search by text, action, user and dates; newest first."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import tr
from db.audit import ChainReport
from db.changes import ALL_TABLES
from db.engine import Database
from db.services import audit_search
from db.services.audit_search import AuditFilter
from ui.forms import picked_date
from ui.pages.base import Page

_Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200


class AuditTableModel(QAbstractTableModel):
    """Audit entries fetched from SQL page by page (canFetchMore/fetchMore); filtering in SQL."""

    HEADERS = (("时间", "Time"), ("用户", "User"), ("操作", "Action"), ("对象", "Entity"), ("编号", "Record"),
               ("说明", "Detail"))

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor = database, actor
        self.filter = AuditFilter()
        self.rows: list[tuple] = []
        self.total = 0

    def set_filter(self, flt: AuditFilter) -> None:
        self.beginResetModel()
        self.filter = flt
        self.total = audit_search.count_entries(self.database, self.actor, flt)
        self.rows = audit_search.fetch_entries(self.database, self.actor, flt, 0, PAGE_SIZE)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid():
            return
        more = audit_search.fetch_entries(self.database, self.actor, self.filter, len(self.rows), PAGE_SIZE)
        if not more:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return tr(*self.HEADERS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        _id, at, username, action, entity, entity_id, before, after, detail = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(at, dt.datetime) else str(at or "")
            return [None, username or "", audit_search.action_label(action), audit_search.entity_label(entity),
                    entity_id or "",
                    audit_search.describe_entry(action, before, after, detail)[:200]][col]
        if role == Qt.ItemDataRole.ForegroundRole and action == "login_failed":
            from PySide6.QtGui import QColor
            return QColor("#b00020")
        return None

    def entry(self, row: int) -> tuple | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None


def _pretty(raw: str | None) -> str:
    if not raw:
        return "—"
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(data, dict):
        return "\n".join(f"  {k}: {v}" for k, v in data.items())
    return raw


class AuditPage(Page):
    shows = ALL_TABLES  # every write is audited: any announced change adds entries

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("audit_search")
        self.search.setPlaceholderText(tr("搜索用户、对象、编号或内容…", "Search user, entity, record or content…"))
        self.search.setClearButtonEnabled(True)
        self.action = QComboBox()
        self.action.setObjectName("audit_action")
        self.user = QLineEdit()
        self.user.setObjectName("audit_user")
        self.user.setPlaceholderText(tr("用户名", "User name"))
        self.user.setMaximumWidth(120)
        self.since = self._date_edit("audit_since")
        self.until = self._date_edit("audit_until")
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel(tr("操作：", "Action:")))
        bar.addWidget(self.action)
        bar.addWidget(self.user)
        bar.addWidget(QLabel(tr("从", "From")))
        bar.addWidget(self.since)
        bar.addWidget(QLabel(tr("到", "to")))
        bar.addWidget(self.until)
        refresh = QPushButton(tr("刷新", "Refresh"))
        refresh.clicked.connect(self.refresh)
        bar.addWidget(refresh)
        self.verify_button = QPushButton(tr("校验", "Verify"))
        self.verify_button.setObjectName("audit_verify")
        self.verify_button.setToolTip(tr("逐条校验审计日志的哈希链，找出被改动、删除或插入的记录",
                                         "Recompute the audit log's hash chain: finds altered, removed or "
                                         "inserted entries"))
        self.verify_button.clicked.connect(self.verify)
        bar.addWidget(self.verify_button)
        layout.addLayout(bar)
        self.verify_label = QLabel()
        self.verify_label.setObjectName("audit_verify_result")
        layout.addWidget(self.verify_label)
        self.count_label = QLabel()
        layout.addWidget(self.count_label)

        self.model = AuditTableModel(database, actor, self)
        self.view = QTableView()
        self.view.setObjectName("audit_table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        for col, width in enumerate((150, 90, 110, 90, 80)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("audit_detail")
        self.detail.setReadOnly(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.detail)
        splitter.setSizes([500, 160])
        layout.addWidget(splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._debounce.start)
        self.user.textChanged.connect(self._debounce.start)
        self.action.currentIndexChanged.connect(self.apply_filter)
        self.since.dateChanged.connect(self.apply_filter)
        self.until.dateChanged.connect(self.apply_filter)
        self.view.selectionModel().currentRowChanged.connect(self._show_detail)
        self.refresh()

    def verify(self) -> None:
        from ui.dialogs import show_error
        from ui.tasks import run_task

        def done(report: ChainReport) -> None:
            self.verify_button.setEnabled(True)
            self.verify_label.setStyleSheet("color: #1b5e20;" if report.intact else "color: #b00020;")
            self.verify_label.setWordWrap(True)
            self.verify_label.setText(report.message())

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            show_error(self, exc)

        self.verify_button.setEnabled(False)
        self.verify_label.setText(tr("正在校验…", "Verifying…"))
        run_task(self, lambda _ctx: audit_search.verify(self.database, self.actor), on_done=done, on_error=failed,
                 label=tr("正在校验审计日志…", "Verifying the audit log…"), cancellable=False)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setSpecialValueText(tr("不限", "any"))  # the minimum date means "no limit"
        edit.setDate(edit.minimumDate())
        return edit

    def _date(self, edit: QDateEdit) -> dt.date | None:
        if edit.date() == edit.minimumDate():
            return None
        return picked_date(edit)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(text=self.search.text(), action=self.action.currentData() or None,
                           username=self.user.text().strip() or None, since=self._date(self.since),
                           until=self._date(self.until))

    def apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())
        self.count_label.setText(tr(f"共 {self.model.total:,} 条记录", f"{self.model.total:,} entries"))
        self.detail.clear()

    def refresh(self) -> None:
        current = self.action.currentData()
        self.action.blockSignals(True)
        self.action.clear()
        self.action.addItem(tr("全部", "All"), None)
        for action in audit_search.known_actions(self.database, self.actor):
            self.action.addItem(audit_search.action_label(action), action)
        self.action.setCurrentIndex(max(0, self.action.findData(current)))
        self.action.blockSignals(False)
        self.apply_filter()

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.model.entry(current.row())
        if entry is None:
            self.detail.clear()
            return
        _id, at, username, action, entity, entity_id, before, after, detail = entry
        self.detail.setPlainText("\n".join([
            f"{tr('时间', 'Time')}: {at}    {tr('用户', 'User')}: {username or ''}    "
            f"{tr('操作', 'Action')}: {audit_search.action_label(action)}    {audit_search.entity_label(entity)} "
            f"{entity_id or ''}",
            f"{tr('说明', 'Detail')}: {audit_search.describe_entry(action, before, after, detail) or '—'}",
            f"{tr('修改前', 'Before')}:\n{_pretty(before)}",
            f"{tr('修改后', 'After')}:\n{_pretty(after)}",
        ]))
