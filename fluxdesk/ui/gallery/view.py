"""The gallery's grid: a list view in icon mode over ``GalleryModel`` and a delegate that paints each image
whole, in its own aspect ratio, centred in a square cell.

Qt lays out only geometry (uniform item sizes, in batches) and paints only the tiles on screen, so the
delegate is where the per-image work happens: one ``data()`` call for the row's ``GalleryItem`` and one
cache lookup in the ``ThumbnailLoader``, which decodes off the GUI thread and answers ``None`` meanwhile.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QRubberBand,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionRubberBand,
    QStyleOptionViewItem,
    QWidget,
)

from fluxdesk.storage.gallery_queries import GalleryItem
from fluxdesk.ui.gallery.model import GalleryModel, GalleryRoles
from fluxdesk.ui.kit.item_models import ModelIndex
from fluxdesk.ui.kit.lists import paint_items
from fluxdesk.ui.kit.thumbnails import DEFAULT_SIZE, ThumbnailLoader, draw_cropped
from fluxdesk.ui.kit.tiles import PixmapCache

MIN_TILE = 96
MAX_TILE = 320
DEFAULT_TILE = 160
GAP = 8
"""Room between tiles (and for the selection ring)."""
LAYOUT_BATCH = 2000
TILE_CACHE_BYTES = 32 * 1024 * 1024
"""Ready-drawn tiles kept (several screens' worth even at the largest size)."""
NEW_TILES_MS = 6.0
"""How long one paint may spend drawing tiles it has not drawn before. The tiles past it show blank and are drawn
by the next paints: a batch of arriving images fills in over a few frames instead of freezing the window for
one (24 new tiles took up to 50 ms in one paint while a batch downloaded)."""
DRAG_PIXMAP_SIZE = 96
DRAG_PATHS_DELAY_MS = 100
"""A selection settles this long before the paths of its files are looked up, for a drag out of the grid."""
MIN_SLIVER = 24



def request_size(tile: int, ratio: float) -> int:
    """The thumbnail size to ask the loader for: the size other views use while it is enough (so they share
    cached pixmaps), a larger one for big tiles on dense screens."""
    needed = tile * max(1.0, ratio)
    shared = round(DEFAULT_SIZE * max(1.0, ratio))
    return shared if needed <= shared else round(384 * max(1.0, ratio))


def fitted(side: int, width: int | None, height: int | None) -> QSize:
    """The tile for an image of ``width`` × ``height``: its aspect ratio, its longest side ``side``
    (square when the size is unknown; never thinner than a sliver that could still be seen)."""
    if not width or not height or width <= 0 or height <= 0:
        return QSize(side, side)
    if width >= height:
        return QSize(side, max(MIN_SLIVER, round(side * height / width)))
    return QSize(max(MIN_SLIVER, round(side * width / height)), side)


class GalleryDelegate(QStyledItemDelegate):
    """A tile: the whole image in its own aspect ratio (never cropped to a square), a favourite star, a demo
    badge, and plain words for a file that is missing or cannot be read.

    Tiles are drawn once into pixmaps of their exact size (rounded, bordered) and kept in a small cache:
    painting a screen is then a blit per tile, where cropping, scaling and clipping each time took
    most of a frame.
    """

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._tile = DEFAULT_TILE
        self._tiles = PixmapCache(TILE_CACHE_BYTES)
        self._decorations: dict[tuple, QPixmap] = {}
        self._requested = DEFAULT_SIZE
        """The thumbnail size the tiles being painted ask for (set per paint: it follows the screen's density)."""
        self._new_tiles_until = math.inf
        self._drew_new = False
        self._held_back = False

    def start_paint(self) -> None:
        """A paint of the view begins: new tiles may take ``NEW_TILES_MS`` of it (and one always gets drawn)."""
        self._new_tiles_until = time.perf_counter() + NEW_TILES_MS / 1000
        self._drew_new = self._held_back = False

    def held_back(self) -> bool:
        """The last paint left new tiles blank (over its time): paint again soon."""
        return self._held_back

    def set_tile_size(self, tile: int) -> None:
        self._tile = tile
        self._tiles.clear()

    def tile_size(self) -> int:
        return self._tile

    def thumbnail_size(self, widget: QWidget | None) -> int:
        return request_size(self._tile, widget.devicePixelRatioF() if widget is not None else 1.0)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        # The whole cell: the tile sits inside with room around it for the selection ring.
        return QSize(self._tile + GAP, self._tile + GAP)

    def tile_rect(self, cell: QRect, item: GalleryItem | None) -> QRect:
        """Where the tile of ``item`` is drawn in ``cell``: centred in the square the cell holds."""
        side = self._tile
        size = self._tile_shape(item)
        return QRect(cell.x() + (cell.width() - size.width()) // 2,
                     cell.y() + GAP // 2 + (side - size.height()) // 2, size.width(), size.height())

    def _tile_shape(self, item: GalleryItem | None) -> QSize:
        side = self._tile
        if item is None or item.missing or item.broken:
            return QSize(side, side)  # a square of words, whatever the image's shape
        if item.width and item.height:
            return fitted(side, item.width, item.height)
        source = self._thumbnails.get(item.path, self._requested)
        return fitted(side, source.width(), source.height()) if source is not None else QSize(side, side)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        item: GalleryItem | None = index.data(GalleryRoles.Item)
        self._requested = self.thumbnail_size(option.widget)
        rect = self.tile_rect(option.rect, item)
        ratio = painter.device().devicePixelRatioF() or 1.0
        painter.drawPixmap(rect.topLeft(), self._tile_pixmap(item, option, rect.size(), ratio))
        tile = QRectF(rect)
        if item is not None:
            if item.demo:
                badge = self._decoration("demo", option, ratio)
                painter.drawPixmap(QPointF(tile.left() + 6, tile.bottom() - 6 - badge.height() / ratio), badge)
            if item.favourite:
                star = self._decoration("star", option, ratio)
                painter.drawPixmap(QPointF(tile.right() - 6 - star.width() / ratio, tile.top() + 6), star)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            highlight = QColor(option.palette.color(QPalette.ColorRole.Highlight))
            if selected:
                painter.setPen(_pen(highlight, 3.0))
                painter.drawRoundedRect(tile.adjusted(-2, -2, 2, 2), 8, 8)
            else:
                highlight.setAlphaF(0.6)
                painter.setPen(_pen(highlight, 2.0))
                painter.drawRoundedRect(tile.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
            painter.restore()

    # --- tiles ---------------------------------------------------------------------------------------

    def _tile_pixmap(self, item: GalleryItem | None, option: QStyleOptionViewItem, size: QSize,
                     ratio: float) -> QPixmap:
        palette = option.palette
        colours = palette.cacheKey()  # a theme change makes new tiles; the old ones age out of the cache
        if item is None:
            return self._cached(("blank", size.width(), size.height(), ratio, colours), _nothing, size, ratio, palette)
        if item.missing:
            return self._cached(("missing", size.width(), ratio, colours),
                                lambda p, r: self._draw_problem(p, r, option, QStyle.StandardPixmap.SP_FileIcon,
                                                                "File missing"), size, ratio, palette)
        source = self._thumbnails.get(item.path, self._requested)
        if source is not None and not source.isNull():
            key = ("image", item.path, size.width(), size.height(), ratio, source.cacheKey(), colours)
            if key not in self._tiles:
                if self._drew_new and time.perf_counter() > self._new_tiles_until:
                    self._held_back = True
                    return self._cached(("blank", size.width(), size.height(), ratio, colours), _nothing, size,
                                        ratio, palette)
                self._drew_new = True
            return self._cached(key, lambda p, r: draw_cropped(p, r, source), size, ratio, palette)
        if item.broken or self._thumbnails.error(item.path):
            return self._cached(("broken", size.width(), ratio, colours),
                                lambda p, r: self._draw_problem(p, r, option,
                                                                QStyle.StandardPixmap.SP_MessageBoxWarning,
                                                                "Cannot read image"), size, ratio, palette)
        return self._cached(("blank", size.width(), size.height(), ratio, colours), _nothing, size, ratio, palette)

    def _cached(self, key: tuple, draw: Callable[[QPainter, QRectF], None], size: QSize, ratio: float,
                palette: QPalette) -> QPixmap:
        def tile(painter: QPainter) -> None:
            area = QRectF(0, 0, size.width(), size.height())
            outline = QPainterPath()
            outline.addRoundedRect(area.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
            painter.setClipPath(outline)
            painter.fillRect(area, palette.color(QPalette.ColorRole.AlternateBase))
            draw(painter, area)
            painter.setClipping(False)
            border = QColor(palette.color(QPalette.ColorRole.WindowText))
            border.setAlphaF(0.14)  # a hairline that shows on white and on black images alike
            painter.setPen(_pen(border, 1.0))
            painter.drawPath(outline)

        return self._tiles.get(key, size, ratio, tile)

    def _draw_problem(self, painter: QPainter, area: QRectF, option: QStyleOptionViewItem,
                      icon: QStyle.StandardPixmap, text: str) -> None:
        side = 24 if area.width() >= 120 else 16
        style = option.widget.style() if option.widget is not None else None
        metrics = QFontMetrics(option.font)
        text_height = metrics.height() * 2
        top = area.center().y() - (side + 4 + text_height) / 2
        if style is not None:
            pixmap = style.standardIcon(icon).pixmap(QSize(side, side), painter.device().devicePixelRatioF())
            painter.drawPixmap(QPointF(area.center().x() - side / 2, top), pixmap)
        painter.setFont(option.font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(QRectF(area.left() + 6, top + side + 4, area.width() - 12, text_height),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, text)

    def _decoration(self, kind: str, option: QStyleOptionViewItem, ratio: float) -> QPixmap:
        key = (kind, ratio, option.font.key())
        pixmap = self._decorations.get(key)
        if pixmap is None:
            pixmap = _demo_badge(option.font, ratio) if kind == "demo" else _star_badge(ratio)
            self._decorations[key] = pixmap
        return pixmap


def _demo_badge(base_font: QFont, ratio: float) -> QPixmap:
    font = QFont(base_font)
    font.setPointSizeF(max(7.0, base_font.pointSizeF() * 0.8))
    font.setBold(True)
    metrics = QFontMetrics(font)
    text = "DEMO"
    width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
    pixmap = QPixmap(round(width * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, width, height), 4, 4)
    painter.fillPath(path, QColor(20, 20, 24, 200))  # dark on any image, light text: readable in both themes
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def _star_badge(ratio: float) -> QPixmap:
    radius = 11.0
    pixmap = QPixmap(round(2 * radius * ratio), round(2 * radius * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(20, 20, 24, 180))
    center = QPointF(radius, radius)
    painter.drawEllipse(center, radius, radius)
    painter.setBrush(QColor("#f5c518"))
    painter.drawPolygon(_star(center.x(), center.y(), radius * 0.72, radius * 0.3))
    painter.end()
    return pixmap


def _nothing(_painter: QPainter, _area: QRectF) -> None:
    """A tile still waiting for its thumbnail: only its background and outline."""


def star_icon() -> QIcon:
    """Favourite's icon: a gold star when on, an outline that reads on light and dark themes when off."""
    icon = QIcon()
    for ratio in (1.0, 2.0):
        for on in (True, False):
            side = 20
            pixmap = QPixmap(round(side * ratio), round(side * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            star = _star(side / 2, side / 2 + 0.8, side * 0.47, side * 0.2)
            painter.setPen(_pen(QColor("#b8860b") if on else QColor(128, 128, 128), 1.4))
            painter.setBrush(QColor("#f5c518") if on else Qt.BrushStyle.NoBrush)
            painter.drawPolygon(star)
            painter.end()
            icon.addPixmap(pixmap, QIcon.Mode.Normal, QIcon.State.On if on else QIcon.State.Off)
    return icon


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color)
    pen.setWidthF(width)
    return pen


def _star(cx: float, cy: float, outer: float, inner: float) -> QPolygonF:
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = outer if i % 2 == 0 else inner
        points.append(QPointF(cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return QPolygonF(points)


class GalleryView(QListView):
    """The grid. Cells are square (uniform sizes keep 100,000 images fast); each image keeps its shape inside
    its cell; the columns share the width evenly."""

    typedText = Signal(str)
    """Letters typed on the grid (they belong in the search field)."""
    openRequested = Signal()
    """Enter on the current image (a double-click is ``doubleClicked``: the large view)."""

    def __init__(self, model: GalleryModel, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._delegate = GalleryDelegate(thumbnails, self)
        self.setObjectName("galleryGrid")
        self.setAccessibleName("Gallery")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setSpacing(0)
        self.setWrapping(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there, so the columns never depend on whether it is (which could flip back and forth).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setItemDelegate(self._delegate)
        self._model = model
        self._drag_waiting = False
        """A drag was started before its files' paths were known: it starts when they arrive."""
        self._band_from: QPoint | None = None
        """Where the mouse went down, in the content's coordinates: a rubber band's corner once it drags."""
        self._band_to = QPoint()
        self._drag_paths_timer = QTimer(self, singleShot=True, interval=DRAG_PATHS_DELAY_MS)
        self._drag_paths_timer.timeout.connect(self._prepare_drag_paths)
        self.setModel(model)
        model.dragPathsKnown.connect(self._drag_paths_known)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        model.follow_thumbnails(thumbnails)  # the model says which tile a thumbnail repaints
        self._apply_grid()

    def gallery_model(self) -> GalleryModel:
        return self._model

    # --- tile size and layout ---------------------------------------------------------------------

    def set_tile_size(self, tile: int) -> None:
        tile = max(MIN_TILE, min(MAX_TILE, int(tile)))
        if tile != self._delegate.tile_size():
            self._delegate.set_tile_size(tile)
            self._apply_grid()

    def tile_size(self) -> int:
        return self._delegate.tile_size()

    def thumbnail_size(self) -> int:
        return self._delegate.thumbnail_size(self)

    def viewportEvent(self, event: QEvent) -> bool:
        # The viewport's own resize (a scrollbar coming or going changes it too), not the view's.
        if event.type() == QEvent.Type.Resize:
            self._apply_grid()
        return super().viewportEvent(event)

    def _paint_held_back_tiles(self) -> None:
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        # Every tile from this one call (kit/lists.paint_items says why), then the rubber band QListView would draw.
        self._delegate.start_paint()
        painter = QPainter(self.viewport())
        paint_items(self, painter, event.region(), self.visible_rows())
        if self._delegate.held_back():
            QTimer.singleShot(0, self, self._paint_held_back_tiles)  # after the events waiting meanwhile
        band = self._rubber_band()
        if band is not None:
            band_option = QStyleOptionRubberBand()
            band_option.initFrom(self)
            band_option.shape = QRubberBand.Shape.Rectangle
            band_option.opaque = False
            band_option.rect = band
            self.style().drawControl(QStyle.ControlElement.CE_RubberBand, band_option, painter, self)
        painter.end()

    def _rubber_band(self) -> QRect | None:
        """The selection rectangle being dragged out, on the viewport (QListView keeps its own out of reach)."""
        if self._band_from is None or self.state() != QAbstractItemView.State.DragSelectingState:
            return None
        offset = QPoint(self.horizontalOffset(), self.verticalOffset())
        return QRect(self._band_from - offset, self._band_to).normalized().intersected(
            self.viewport().rect().adjusted(-16, -16, 16, 16))

    def _apply_grid(self) -> None:
        cell = self._delegate.tile_size() + GAP
        width = max(cell, self.viewport().width())
        columns = max(1, width // cell)
        grid = QSize(width // columns, cell)
        if grid != self.gridSize():
            self.setGridSize(grid)

    def columns(self) -> int:
        grid = self.gridSize()
        return max(1, self.viewport().width() // max(1, grid.width()))

    # --- dragging out -------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected images in grid order, from the selection's ranges (not one index per image)."""
        # QItemSelection is a list of ranges, iterable at runtime; its stubs lack __iter__
        return self._model.ids_in(
            (r.top(), r.bottom()) for r in self.selectionModel().selection())  # type: ignore[attr-defined]

    def selectionChanged(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        super().selectionChanged(selected, deselected)
        self._stop_waiting_drag()
        self._drag_paths_timer.start()

    def _prepare_drag_paths(self) -> None:
        # Off the GUI thread, while the user is still reaching for the images: what a drag of them needs.
        self._model.prepare_drag_paths(self.selected_ids())

    def startDrag(self, supported_actions: Qt.DropAction) -> None:
        # Qt's own would list every selected index (100,000 after a select-all) and render each on screen.
        ids = self.selected_ids()
        if not ids:
            return
        mime = self._model.mime_for_ids(ids)
        if mime is None:
            # Some paths are still being looked up (a drag right after a select-all): never a query here,
            # where it could wait for a worker's, and never a drag without every file. It starts when they
            # arrive, if the button is still down.
            self._drag_waiting = True
            self.viewport().setCursor(Qt.CursorShape.BusyCursor)
            self._drag_paths_timer.stop()
            self._model.prepare_drag_paths(ids)
            return
        self._stop_waiting_drag()
        drag = QDrag(self)
        drag.setMimeData(mime)
        pixmap = self._drag_pixmap(len(ids))
        if not pixmap.isNull():
            drag.setPixmap(pixmap)
            drag.setHotSpot(QPoint(DRAG_PIXMAP_SIZE // 2, DRAG_PIXMAP_SIZE // 2))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def drag_waiting(self) -> bool:
        """A drag waits for its files' paths."""
        return self._drag_waiting

    def _drag_paths_known(self) -> None:
        if self._drag_waiting:
            QTimer.singleShot(0, self, self._resume_drag)  # not inside the answer's delivery: a drag runs a loop

    def _resume_drag(self) -> None:
        if not self._drag_waiting:
            return
        if not QGuiApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            self._stop_waiting_drag()  # let go meanwhile: there is no drag to finish
            return
        self.startDrag(Qt.DropAction.CopyAction)

    def _stop_waiting_drag(self) -> None:
        if self._drag_waiting:
            self._drag_waiting = False
            self.viewport().unsetCursor()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        point = event.position().toPoint()
        self._band_from = point + QPoint(self.horizontalOffset(), self.verticalOffset())  # where a band would start
        self._band_to = point
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_waiting:
            event.accept()  # moving on with the button down would otherwise start a rubber-band selection
            return
        band_was = self._rubber_band()
        self._band_to = event.position().toPoint()
        super().mouseMoveEvent(event)
        band = self._rubber_band()
        if band is not None or band_was is not None:
            self.viewport().update((band or QRect()).united(band_was or QRect()).adjusted(-2, -2, 2, 2))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._stop_waiting_drag()
        band = self._rubber_band()
        self._band_from = None
        super().mouseReleaseEvent(event)
        if band is not None:
            self.viewport().update(band.adjusted(-2, -2, 2, 2))

    def _drag_pixmap(self, count: int) -> QPixmap:
        item = self._model.item(self.currentIndex().row()) if self.currentIndex().isValid() else None
        thumbnail = self._thumbnails.get(item.path, self.thumbnail_size()) if item is not None else None
        if thumbnail is None or thumbnail.isNull():
            return QPixmap()
        side = DRAG_PIXMAP_SIZE
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(side * ratio), round(side * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(0, 0, side, side), 6, 6)
        painter.setClipPath(clip)
        draw_cropped(painter, QRectF(0, 0, side, side), thumbnail)
        if count > 1:
            painter.setClipping(False)
            badge = QRectF(side - 34, 4, 30, 20)
            painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(badge, 10, 10)
            painter.setPen(self.palette().color(QPalette.ColorRole.HighlightedText))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"{count}" if count < 1000 else "999+")
        painter.end()
        return pixmap

    def visible_rows(self) -> range:
        """The rows on screen (a row partly shown counts), from the grid's geometry: no lookups."""
        count = self._model.rowCount()
        grid_height = max(1, self.gridSize().height())
        top = self.verticalScrollBar().value()
        columns = self.columns()
        first = (top // grid_height) * columns
        last = ((top + self.viewport().height() - 1) // grid_height + 1) * columns
        return range(min(first, count), min(last, count))

    # --- thumbnails ---------------------------------------------------------------------------------

    def _on_scrolled(self, _value: int) -> None:
        # Loads still queued for tiles that scrolled away are dropped, so the loader's threads (and the GIL)
        # work only for what is on screen; the tiles now shown ask again. Only while the grid is visible:
        # other views sharing the loader are hidden then, and ask again when they are shown.
        if not self.isVisible():
            return
        self._thumbnails.cancel_pending()
        size = self.thumbnail_size()
        for row in self.visible_rows():
            item = self._model.item(row)
            if item is not None and not item.missing:
                self._thumbnails.get(item.path, size)

    # --- keys ----------------------------------------------------------------------------------------

    def keyboardSearch(self, search: str) -> None:
        # Qt's type-to-find reads every row's text (fetching all 100,000); typing searches prompts instead.
        if search.strip():
            self.typedText.emit(search)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
