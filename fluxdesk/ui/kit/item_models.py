"""What the app's item models share: role names from a role enum, and the plumbing of a read-only table
(counts, flags, headers) so each table model holds only its rows and what its cells say."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QByteArray, QModelIndex, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def with_role_names(names: dict[int, QByteArray], roles: Iterable[IntEnum]) -> dict[int, QByteArray]:
    """``names`` (Qt's own) plus each role under its camel-case name: ``Roles.ImageId`` → ``imageId``."""
    names.update({int(role): QByteArray((role.name[0].lower() + role.name[1:]).encode()) for role in roles})
    return names


@dataclass(frozen=True)
class Header:
    """A column's title, its tooltip, and how its cells line up."""

    title: str
    tip: str | None = None
    align: Qt.AlignmentFlag = LEFT


class ReadOnlyTableModel(QAbstractTableModel):
    """Rows to read and select, not to edit. Subclasses set ``HEADERS`` and ``Roles`` and give
    ``row_count()`` and ``data()``."""

    HEADERS: ClassVar[Sequence[Header]] = ()
    Roles: ClassVar[type[IntEnum]]

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(super().roleNames(), self.Roles)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        header = self.HEADERS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return header.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return header.tip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return header.align
        return None
