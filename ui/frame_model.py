"""A read-only table model over a pandas frame; sorting with numpy (argsort), not lessThan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


class FrameTableModel(QAbstractTableModel):
    """Shows selected columns of a frame; ``formatters`` turn a value into display text."""

    def __init__(self, columns: Sequence[tuple[str, str]], parent: Any = None,
                 formatters: dict[str, Callable[[Any], str]] | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)  # (frame column, header)
        self._frame = pd.DataFrame(columns=[c for c, _h in self._columns])
        self._order = np.arange(0)
        self._formatters = formatters or {}

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self._order = np.arange(len(self._frame))
        self.endResetModel()

    def set_header(self, column: str, header: str) -> None:
        """Rename the header of ``column`` (a frame column shown by this model)."""
        for i, (name, old) in enumerate(self._columns):
            if name == column and old != header:
                self._columns[i] = (name, header)
                self.headerDataChanged.emit(Qt.Orientation.Horizontal, i, i)

    def row(self, view_row: int) -> pd.Series:
        return self._frame.iloc[int(self._order[view_row])]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._order):
            return None
        column = self._columns[index.column()][0]
        value = self._frame[column].iat[int(self._order[index.row()])]
        if role == Qt.ItemDataRole.DisplayRole:
            if column in self._formatters:
                return self._formatters[column](value)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                return ""
            if isinstance(value, (list, tuple)):
                return "；".join(map(str, value))
            return f"{value:.3f}" if isinstance(value, float) else str(value)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, (list, tuple)):
            return "\n".join(map(str, value))
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float, np.number)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section][1] if 0 <= section < len(self._columns) else None
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self._columns)) or self._frame.empty:
            return
        self.layoutAboutToBeChanged.emit()
        values = self._frame[self._columns[column][0]]
        if values.map(lambda v: isinstance(v, (list, tuple))).any():
            values = values.map(len)
        keys = values.to_numpy()
        try:
            order_idx = np.argsort(keys, kind="stable")
        except TypeError:
            order_idx = np.argsort(values.astype(str).to_numpy(), kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            order_idx = order_idx[::-1]
        self._order = order_idx
        self.layoutChanged.emit()
