"""What the app's item models share: role names from a role enum, the plumbing of a read-only table
(counts, flags, headers) so each table model holds only its rows and what its cells say, and the news that
a row's thumbnail arrived, which the model tells its views as ``dataChanged`` (``ThumbnailRows``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

if TYPE_CHECKING:
    from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

ModelIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ThumbnailRole = Qt.ItemDataRole.DecorationRole
"""The role named in ``dataChanged`` when a row's thumbnail arrived (or failed): its picture is to be painted anew."""


def with_role_names(names: dict[int, QByteArray], roles: Iterable[IntEnum]) -> dict[int, QByteArray]:
    """``names`` (Qt's own) plus each role under its camel-case name: ``Roles.ImageId`` → ``imageId``."""
    names.update({int(role): QByteArray((role.name[0].lower() + role.name[1:]).encode()) for role in roles})
    return names


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Ascending rows as inclusive ``(first, last)`` runs: ``[1, 2, 5]`` → ``[(1, 2), (5, 5)]``."""
    found: list[tuple[int, int]] = []
    for row in rows:
        if found and found[-1][1] == row - 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


class ThumbnailRows:
    """For an item model whose rows show image files: ``follow_thumbnails(loader)``, and each thumbnail that
    arrives (or fails) becomes ``dataChanged(first, last, [ThumbnailRole])`` for exactly the rows showing that
    file, so views repaint what the model says instead of scanning rows themselves. Put it before the Qt
    model in the bases; the model answers ``rows_with_path``."""

    def rows_with_path(self, path: str) -> list[int]:
        """The rows showing the file at ``path``, ascending."""
        raise NotImplementedError

    def follow_thumbnails(self, loader: ThumbnailLoader) -> None:
        # Bound methods, not lambdas: Qt drops the connections when the model is destroyed.
        loader.thumbnailReady.connect(self._thumbnail_changed)
        loader.failed.connect(self._thumbnail_changed)

    def _thumbnail_changed(self, path: str, _detail: object) -> None:
        model = cast(QAbstractItemModel, self)
        for first, last in runs(self.rows_with_path(path)):
            model.dataChanged.emit(model.index(first, 0), model.index(last, 0), [int(ThumbnailRole)])


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
