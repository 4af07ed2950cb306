"""A lazy, read-only table model over a SQL query: rows arrive in pages as the view scrolls
(canFetchMore/fetchMore), and sorting or filtering re-runs the query with a new ORDER BY / WHERE.

Reusable by any page: give it the columns to show and a *query factory*
``factory(sort_key, descending) -> Select`` (the Select's first column must be the row id) or a
:class:`db.queries.registry.PagedQuery` (pages picked by id first, then decorated); call
:meth:`set_query` when the filter changes. Never wrap it in a QSortFilterProxyModel — the rows it
holds are only the pages fetched so far.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from sqlalchemy import Select

from db.engine import Database
from db.queries.registry import PagedQuery, count_of

Index = QModelIndex | QPersistentModelIndex
QueryFactory = Callable[[str | None, bool], Select | PagedQuery]


@dataclass(frozen=True)
class ModelColumn:
    key: str                                         # label of the column in the Select
    header: str
    format: Callable[[Any], str] | None = None      # display text of a value
    sortable: bool = True
    align_right: bool = False


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class SqlTableModel(QAbstractTableModel):
    """Pages of ``page_size`` rows; ``total`` is counted once per query (for the status line)."""

    queryChanged = Signal()

    def __init__(self, database: Database, columns: Sequence[ModelColumn], factory: QueryFactory | None = None,
                 parent: Any = None, page_size: int = 200) -> None:
        super().__init__(parent)
        self.database = database
        self.columns = list(columns)
        self.page_size = page_size
        self._factory = factory
        self._stmt: Select | PagedQuery | None = None
        self._rows: list[Sequence[Any]] = []
        self._key_index: dict[str, int] = {}
        self._exhausted = True
        self._total: int | None = None
        self.sort_key: str | None = None
        self.descending = False
        self._resetting = False

    # --- query ----------------------------------------------------------------------------
    def set_query(self, factory: QueryFactory) -> None:
        self._factory = factory
        self.refresh()

    def refresh(self) -> None:
        """Re-run the query from the first page (after a filter, sort or data change)."""
        self.beginResetModel()
        self._resetting = True
        try:
            self._rows = []
            self._total = None
            self._exhausted = self._factory is None
            self._stmt = self._factory(self.sort_key, self.descending) if self._factory else None
            if self._stmt is not None:
                self._fetch_page()
            self.endResetModel()
        finally:
            # Views react to modelReset by asking for more rows; inserting rows while the reset
            # signal is still being delivered breaks the model contract, so those requests wait.
            self._resetting = False
        self.queryChanged.emit()

    def _fetch_page(self) -> list[Sequence[Any]]:
        assert self._stmt is not None
        with self.database.engine.connect() as conn:
            result = conn.execute(self._page_stmt(len(self._rows)))
            if not self._key_index:
                self._key_index = {k: i for i, k in enumerate(result.keys())}
            rows: list[Sequence[Any]] = [tuple(r) for r in result]
        self._exhausted = len(rows) < self.page_size
        self._rows.extend(rows)
        return rows

    def _page_stmt(self, offset: int) -> Select:
        assert self._stmt is not None
        if isinstance(self._stmt, PagedQuery):
            return self._stmt.page(offset, self.page_size)
        return self._stmt.offset(offset).limit(self.page_size)

    def total(self) -> int:
        """Rows matching the query (one COUNT, cached until the next refresh)."""
        if self._total is None:
            if self._stmt is None:
                return 0
            if self._exhausted:
                self._total = len(self._rows)
            else:
                with self.database.engine.connect() as conn:
                    self._total = int(conn.execute(count_of(self._stmt)).scalar_one())
        return self._total

    # --- access ---------------------------------------------------------------------------
    def row_id(self, row: int) -> int | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def value(self, row: int, key: str) -> Any:
        if not (0 <= row < len(self._rows)) or key not in self._key_index:
            return None
        return self._rows[row][self._key_index[key]]

    def row_of_id(self, row_id: int) -> int | None:
        for i, r in enumerate(self._rows):
            if r[0] == row_id:
                return i
        return None

    # --- Qt model -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._resetting

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._stmt is None or self._resetting:
            return
        with self.database.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(self._page_stmt(len(self._rows)))]
        self._exhausted = len(rows) < self.page_size
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) or index.column() >= len(self.columns):
            return None
        col = self.columns[index.column()]
        pos = self._key_index.get(col.key)
        value = None if pos is None else self._rows[index.row()][pos]
        if role == Qt.ItemDataRole.DisplayRole:
            return (col.format or _default_text)(value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Re-query with ORDER BY the column (in SQL, over all rows, not just the fetched pages)."""
        if not (0 <= column < len(self.columns)) or not self.columns[column].sortable:
            return
        self.sort_key = self.columns[column].key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.refresh()
