"""Lineage in the details pane: "Made from" (the references an image was made from, in the order its prompt
names them: image 1, image 2 …) and "Used in N images".

The references are a small list model painted by a delegate in a one-line strip; their thumbnails come from the
app's thumbnail loader like every other picture (the stored file of the bytes sent, or the gallery image it came
from when that file is gone). The section only asks: a click on a reference is ``referenceActivated``, a click on
"Used in" is ``usedInRequested``; the tab decides what opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPointF,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import megapixels_text
from fluxdesk.core.request import reference_name
from fluxdesk.core.wording import plural
from fluxdesk.storage.rows import ReferenceRow
from fluxdesk.ui.kit.item_models import ROOT, ModelIndex, ThumbnailRole, ThumbnailRows, with_role_names
from fluxdesk.ui.kit.lists import EmptyAwareList
from fluxdesk.ui.kit.theme import set_tone
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader, thumbnail_request_size
from fluxdesk.ui.kit.tiles import RING, PixmapCache, paint_tile, tile_look

TILE = 64
"""A reference's square thumbnail, in logical pixels."""
_CAPTION_GAP = 3
_MARGIN = 3
TILE_CACHE_BYTES = 2 * 1024 * 1024
"""Eight references' tiles in each of their looks, at a high pixel ratio."""


class ReferenceRoles(IntEnum):
    Name = Qt.ItemDataRole.UserRole + 1
    """``image 1``: how the prompt names it."""
    ThumbnailPath = Qt.ItemDataRole.UserRole + 2
    """The file its thumbnail is made from (``""`` when there is none left)."""
    ImageId = Qt.ItemDataRole.UserRole + 3
    """The gallery image it came from, while the gallery shows it; else ``None``."""
    Reference = Qt.ItemDataRole.UserRole + 4
    """The ``ReferenceRow`` itself."""


def shown_in_gallery(reference: ReferenceRow) -> bool:
    """It came from a gallery image that the gallery still shows (not deleted, not in the trash)."""
    return reference.from_image_id is not None and not reference.from_image_trashed


def thumbnail_path(reference: ReferenceRow) -> str:
    """The file to show for it: the bytes that were sent; the gallery image they came from when that file is gone."""
    path = reference.path or reference.from_image_path
    return str(path) if path is not None else ""


def reference_tooltip(reference: ReferenceRow) -> str:
    """What the reference is and what a click does, in words."""
    name = reference_name(reference.position).capitalize()
    lines = [name]
    if reference.width and reference.height:
        lines.append(f"Sent as {reference.width} × {reference.height} px "
                     f"({megapixels_text(reference.width, reference.height)})")
    if reference.from_image_id is not None:
        lines.append("From a gallery image" + (" now in the trash" if reference.from_image_trashed else ""))
    elif reference.source:
        lines.append("Pasted" if reference.source == "pasted" else f"From {Path(reference.source).name}")
    if shown_in_gallery(reference):
        lines.append("Click to show it in the gallery")
    elif reference.path is not None or reference.from_image_path is not None:
        lines.append("Click to view it")
    else:
        lines.append("Its file is no longer in the library")
    return "\n".join(lines)


class ReferencesModel(ThumbnailRows, QAbstractListModel):
    """The references of one image, in order."""

    Roles = ReferenceRoles

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReferenceRow] = []

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(super().roleNames(), ReferenceRoles)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or index.parent().isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._rows):
            return None
        reference = self._rows[index.row()]
        if role in (ReferenceRoles.Name, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return reference_name(reference.position)
        if role == ReferenceRoles.ThumbnailPath:
            return thumbnail_path(reference)
        if role == ReferenceRoles.ImageId:
            return reference.from_image_id if shown_in_gallery(reference) else None
        if role == ReferenceRoles.Reference:
            return reference
        if role == Qt.ItemDataRole.ToolTipRole:
            return reference_tooltip(reference)
        return None

    def set_references(self, references: Sequence[ReferenceRow]) -> None:
        if list(references) == self._rows:
            return  # read again, unchanged (an image arrived meanwhile): nothing to repaint
        self.beginResetModel()
        self._rows = list(references)
        self.endResetModel()

    def references(self) -> list[ReferenceRow]:
        return list(self._rows)

    def rows_with_path(self, path: str) -> list[int]:
        return [row for row, reference in enumerate(self._rows) if thumbnail_path(reference) == path]


class ReferenceDelegate(QStyledItemDelegate):
    """One reference: its thumbnail cropped into a rounded square, its name ("image 1") under it."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._tiles = PixmapCache(TILE_CACHE_BYTES)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(TILE + 2 * _MARGIN, TILE + _CAPTION_GAP + option.fontMetrics.height() + 2 * _MARGIN)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        rect = option.rect
        tile = QRectF(rect.left() + (rect.width() - TILE) / 2, rect.top() + _MARGIN, TILE, TILE)
        path = index.data(ReferenceRoles.ThumbnailPath) or ""
        pixmap = self._thumbnails.get(path, thumbnail_request_size(option.widget)) if path else None
        image = pixmap if pixmap is not None and not pixmap.isNull() else None
        missing = image is None and (not path or bool(self._thumbnails.error(path)))
        state = option.state
        look = tile_look(state)
        ratio = painter.device().devicePixelRatioF() or 1.0
        key = (path, image.cacheKey() if image is not None else missing, look, option.palette.cacheKey(), ratio)
        drawn = self._tiles.get(key, QSizeF(TILE + 2 * RING, TILE + 2 * RING), ratio,
                                lambda p: self._draw_tile(p, option, image, missing, look))
        painter.drawPixmap(QPointF(tile.left() - RING, tile.top() - RING), drawn)
        caption = QRectF(rect.left(), tile.bottom() + _CAPTION_GAP, rect.width(), option.fontMetrics.height())
        painter.setFont(option.font)
        painter.setPen(option.palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         index.data(ReferenceRoles.Name) or "")

    @staticmethod
    def _draw_tile(painter: QPainter, option: QStyleOptionViewItem, image: QPixmap | None, missing: bool,
                   look: str) -> None:
        paint_tile(painter, QRectF(RING, RING, TILE, TILE), image, option.palette, option.font, look,
                   "File\nmissing" if missing else None)


class _ReferenceStrip(EmptyAwareList):
    """The references in a row; a tile's picture is painted anew when its thumbnail arrives."""

    def __init__(self) -> None:
        super().__init__("")

    def dataChanged(self, top_left: ModelIndex, bottom_right: ModelIndex, roles: Sequence[int] = ()) -> None:
        super().dataChanged(top_left, bottom_right, roles)
        if ThumbnailRole in roles:
            self.viewport().update()


class LineageSection(QWidget):
    """"Made from" and "Used in N images" for the image the details pane shows; hidden while there is neither."""

    referenceActivated = Signal(object)
    """A ``ReferenceRow`` the user clicked (or chose with Enter)."""
    usedInRequested = Signal()
    """The user wants to see the images made from this one."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lineageSection")
        self._used_in: list[int] = []
        self.caption = QLabel("Made from")
        self.caption.setObjectName("madeFromCaption")
        set_tone(self.caption, "muted")
        self.model = ReferencesModel(self)
        self.strip = _ReferenceStrip()
        self.strip.setObjectName("madeFromStrip")
        self.strip.setAccessibleName("Made from")
        self.strip.setModel(self.model)
        self.strip.setItemDelegate(ReferenceDelegate(thumbnails, self.strip))
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setSpacing(2)
        self.strip.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.strip.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strip.setDragEnabled(False)
        self.strip.setMouseTracking(True)
        self.strip.setFrameShape(QFrame.Shape.NoFrame)
        self.strip.viewport().setBackgroundRole(QPalette.ColorRole.Window)  # part of the pane, not a box in it
        self.strip.setFixedHeight(TILE + _CAPTION_GAP + self.fontMetrics().height() + 2 * _MARGIN + 8
                                  + self.strip.horizontalScrollBar().sizeHint().height())
        # A link, in the theme's link colour: it shows other images, it changes nothing.
        self.used_in_link = QLabel()
        self.used_in_link.setObjectName("usedInLink")
        self.used_in_link.setTextFormat(Qt.TextFormat.RichText)
        self.used_in_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                                  | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.used_in_link.setToolTip("Show the images made with this one as a reference")
        self._used_in_text = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.caption)
        layout.addWidget(self.strip)
        layout.addWidget(self.used_in_link, 0, Qt.AlignmentFlag.AlignLeft)
        self.strip.clicked.connect(self._activate)
        self.strip.enterPressed.connect(self._activate)
        self.used_in_link.linkActivated.connect(lambda _target: self.usedInRequested.emit())
        self.model.follow_thumbnails(thumbnails)
        self.clear()

    def clear(self) -> None:
        """Nothing known (yet) about the image shown: the section is hidden."""
        self.show_lineage([], [])

    def show_lineage(self, references: Sequence[ReferenceRow], used_in: Sequence[int]) -> None:
        self.model.set_references(references)
        self._used_in = list(used_in)
        made = bool(references)
        self.caption.setVisible(made)
        self.strip.setVisible(made)
        self._used_in_text = f"Used in {plural(len(used_in), 'image')}" if used_in else ""
        self.used_in_link.setText(f'<a href="used-in">{self._used_in_text}</a>')
        self.used_in_link.setVisible(bool(used_in))
        self.setVisible(made or bool(used_in))

    def used_in_text(self) -> str:
        """"Used in 3 images" (the link's words), or "" while it is hidden."""
        return self._used_in_text

    def used_in(self) -> list[int]:
        """The gallery's images made from the one shown, newest first."""
        return list(self._used_in)

    def text(self) -> str:
        """What the section says, as plain text."""
        lines = []
        if self.strip.isVisibleTo(self):
            names = ", ".join(self.model.index(row).data(ReferenceRoles.Name) for row in range(self.model.rowCount()))
            lines.append(f"Made from: {names}")
        if self.used_in_link.isVisibleTo(self):
            lines.append(self._used_in_text)
        return "\n".join(lines)

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.referenceActivated.emit(index.data(ReferenceRoles.Reference))
