"""The strip of the latest results, newest on the left: a list view in icon mode over a small model."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.ui.kit.item_models import ROOT, ModelIndex, ThumbnailRole, ThumbnailRows, with_role_names
from fluxdesk.ui.kit.lists import EmptyAwareList
from fluxdesk.ui.kit.text import prompt_html, rich_tooltip
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader, thumbnail_request_size
from fluxdesk.ui.kit.tiles import RING, PixmapCache, paint_tile, tile_look

TILE_HEIGHT = 120
MIN_TILE_WIDTH = 68
MAX_TILE_WIDTH = 260
MAX_ITEMS = 50
_MARGIN = 3
"""Room around a tile for the selection ring."""
"""How far the selection ring reaches outside a tile (a drawn tile is this much larger all round)."""
TILE_CACHE_BYTES = 16 * 1024 * 1024
_SPACING = 6
EMPTY_TEXT = "New images appear here the moment they arrive."


class RecentRoles(IntEnum):
    ImageId = Qt.ItemDataRole.UserRole + 1
    Path = Qt.ItemDataRole.UserRole + 2
    Prompt = Qt.ItemDataRole.UserRole + 3
    Seed = Qt.ItemDataRole.UserRole + 4


class RecentImagesModel(ThumbnailRows, QAbstractListModel):
    """The latest images, newest first, at most ``max_items`` of them."""

    Roles = RecentRoles

    def __init__(self, parent: QObject | None = None, *, max_items: int = MAX_ITEMS) -> None:
        super().__init__(parent)
        if max_items < 1:
            raise ValueError("the strip needs room for at least one image")
        self._max_items = max_items
        self._items: list[tuple[int, str, str, int | None]] = []

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(super().roleNames(), RecentRoles)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or index.parent().isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._items):
            return None
        image_id, path, prompt, seed = self._items[index.row()]
        values: dict[int, Any] = {
            RecentRoles.ImageId: image_id,
            RecentRoles.Path: path,
            RecentRoles.Prompt: prompt,
            RecentRoles.Seed: seed,
            Qt.ItemDataRole.DisplayRole: prompt,
            Qt.ItemDataRole.ToolTipRole: _tooltip(prompt, seed),
            Qt.ItemDataRole.AccessibleTextRole: prompt or "Image",
        }
        return values.get(role)

    def add(self, image_id: int, path: str, prompt: str, seed: int | None) -> None:
        """Put an image first; the same image again moves to the front; the oldest fall off the end."""
        self.remove(image_id)
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._items.insert(0, (image_id, path, prompt, seed))
        self.endInsertRows()
        if len(self._items) > self._max_items:
            self.beginRemoveRows(QModelIndex(), self._max_items, len(self._items) - 1)
            del self._items[self._max_items:]
            self.endRemoveRows()

    def remove(self, image_id: int) -> bool:
        """Drop an image (deleted from the library, say)."""
        for row, item in enumerate(self._items):
            if item[0] == image_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._items[row]
                self.endRemoveRows()
                return True
        return False

    def clear(self) -> None:
        self.beginResetModel()
        self._items.clear()
        self.endResetModel()

    def rows_with_path(self, path: str) -> list[int]:
        return [row for row, item in enumerate(self._items) if item[1] == path]

    def image_ids(self) -> list[int]:
        return [item[0] for item in self._items]


def _tooltip(prompt: str, seed: int | None) -> str:
    return rich_tooltip(prompt_html(prompt), f"<b>Seed {seed}</b>" if seed is not None else "<b>Seed unknown</b>")


class RecentDelegate(QStyledItemDelegate):
    """One tile: the thumbnail at ``TILE_HEIGHT`` keeping its aspect ratio, a subtle border."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._tiles = PixmapCache(TILE_CACHE_BYTES)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(self._tile_width(option, index) + 2 * _MARGIN, TILE_HEIGHT + 2 * _MARGIN)

    def _tile_width(self, option: QStyleOptionViewItem, index: ModelIndex) -> int:
        path = index.data(RecentRoles.Path) or ""
        pixmap = self._thumbnails.get(path, thumbnail_request_size(option.widget)) if path else None
        if pixmap is None or pixmap.isNull() or pixmap.height() == 0:
            return TILE_HEIGHT  # square until the image is known
        width = round(TILE_HEIGHT * pixmap.width() / pixmap.height())
        return max(MIN_TILE_WIDTH, min(MAX_TILE_WIDTH, width))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        # Each tile is drawn once per look (image, size, colours, plain/hover/selected) and blitted after: the
        # strip repaints with every image of a batch, and scaling and clipping each time was most of it.
        tile = option.rect.adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
        path = index.data(RecentRoles.Path) or ""
        pixmap = self._thumbnails.get(path, thumbnail_request_size(option.widget)) if path else None
        image = pixmap if pixmap is not None and not pixmap.isNull() else None
        broken = image is None and bool(path and self._thumbnails.error(path))
        state = option.state
        look = tile_look(state)
        ratio = painter.device().devicePixelRatioF() or 1.0
        key = (path, image.cacheKey() if image is not None else broken, tile.width(), tile.height(), look,
               option.palette.cacheKey(), option.font.key(), ratio)
        size = QSizeF(tile.width() + 2 * RING, tile.height() + 2 * RING)
        drawn = self._tiles.get(key, size, ratio,
                                lambda p: self._draw_tile(p, option, QSizeF(tile.size()), image, broken, look))
        painter.drawPixmap(QPointF(tile.left() - RING, tile.top() - RING), drawn)

    @staticmethod
    def _draw_tile(painter: QPainter, option: QStyleOptionViewItem, size: QSizeF, image: QPixmap | None,
                   broken: bool, look: str) -> None:
        # The tile follows the image's aspect ratio; only very wide or tall images lose their edges.
        paint_tile(painter, QRectF(QPointF(RING, RING), size), image, option.palette, option.font, look,
                   "Image\nmissing" if broken else None)


class _StripList(EmptyAwareList):
    """The strip's list: the empty state, Enter to open, and a relayout when a thumbnail gives a tile its width."""

    def __init__(self) -> None:
        super().__init__(EMPTY_TEXT)

    def dataChanged(self, top_left: ModelIndex, bottom_right: ModelIndex, roles: Sequence[int] = ()) -> None:
        super().dataChanged(top_left, bottom_right, roles)
        if ThumbnailRole in roles:
            self.scheduleDelayedItemsLayout()  # the tile's width follows the image's aspect ratio


class RecentStrip(QWidget):
    """The most recent results in a row, newest first."""

    imageActivated = Signal(int, str)
    """``(image_id, path)``: double-click or Enter (or Open image in its menu)."""
    referenceRequested = Signal(str, object)
    """``(file, library image id)``: the image, wanted as a reference in the prompt panel (its menu)."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None, *,
                 max_items: int = MAX_ITEMS) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self.model = RecentImagesModel(self, max_items=max_items)
        self.list_view = _StripList()
        self.list_view.setObjectName("recentStrip")
        self.list_view.setAccessibleName("Recent images")
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(RecentDelegate(thumbnails, self.list_view))
        self._configure_list()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list_view)
        self.list_view.doubleClicked.connect(self._activate)
        self.list_view.enterPressed.connect(self._activate)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._show_context_menu)
        self.model.follow_thumbnails(thumbnails)

    def _configure_list(self) -> None:
        view = self.list_view
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setFlow(QListView.Flow.LeftToRight)
        view.setWrapping(False)
        view.setMovement(QListView.Movement.Static)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setSpacing(_SPACING // 2)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setDragEnabled(False)
        view.setMouseTracking(True)
        view.setFrameShape(QFrame.Shape.NoFrame)
        scrollbar = view.horizontalScrollBar().sizeHint().height()
        view.setFixedHeight(TILE_HEIGHT + 2 * _MARGIN + _SPACING + scrollbar + 2)

    def add_image(self, image_id: int, path: str, prompt: str, seed: int | None) -> None:
        """Show a new image first and scroll back to it."""
        self.model.add(image_id, path, prompt, seed)
        self.list_view.scrollToTop()
        self.list_view.horizontalScrollBar().setValue(0)

    def remove_image(self, image_id: int) -> bool:
        return self.model.remove(image_id)

    def count(self) -> int:
        return self.model.rowCount()

    def index_of(self, image_id: int) -> QModelIndex:
        rows = [row for row, other in enumerate(self.model.image_ids()) if other == image_id]
        return self.model.index(rows[0]) if rows else QModelIndex()

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.imageActivated.emit(index.data(RecentRoles.ImageId), index.data(RecentRoles.Path))

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        """The menu for the tile at ``index``: open the image, or use it as a reference."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        # The image's id and file now, not its index: the strip may move on while the menu is open.
        image_id, path = index.data(RecentRoles.ImageId), index.data(RecentRoles.Path) or ""
        menu.addAction("Open image", lambda: self.imageActivated.emit(image_id, path))
        use = menu.addAction("Use as reference", lambda: self.referenceRequested.emit(path, image_id))
        use.setToolTip("Add the image to the prompt panel's references, to make a new image from it")
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.list_view.indexAt(pos)
        if not index.isValid():
            return
        self.list_view.setCurrentIndex(index)
        menu = self.build_context_menu(index)
        menu.exec(self.list_view.viewport().mapToGlobal(pos))
        menu.deleteLater()

