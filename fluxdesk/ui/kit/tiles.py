"""Pixmaps drawn once and blitted after: a view that repaints with every image of a batch draws each look of a
tile (its image, size, colours, state) a single time, not in every paint."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtCore import QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle

from fluxdesk.ui.kit.thumbnails import draw_cropped

RING = 2
"""Room a tile's pixmap keeps around it for the selection ring."""


def drawn_pixmap(size: QSize | QSizeF, ratio: float, draw: Callable[[QPainter], None]) -> QPixmap:
    """A transparent pixmap of ``size`` (logical pixels, at device pixel ratio ``ratio``) with ``draw(painter)``
    painted on it, antialiased and with smooth scaling."""
    pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    draw(painter)
    painter.end()
    return pixmap


class PixmapCache:
    """Drawn pixmaps by key, the least recently used going first once they pass ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._pixmaps: OrderedDict[Hashable, QPixmap] = OrderedDict()
        self._bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._pixmaps

    def __len__(self) -> int:
        return len(self._pixmaps)

    def size_in_bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable, size: QSize | QSizeF, ratio: float, draw: Callable[[QPainter], None]) -> QPixmap:
        """The pixmap kept for ``key``, drawn now (``drawn_pixmap``) if there is none."""
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        pixmap = self._pixmaps[key] = drawn_pixmap(size, ratio, draw)
        self._bytes += _bytes(pixmap)
        while self._bytes > self._max_bytes and len(self._pixmaps) > 1:
            _key, old = self._pixmaps.popitem(last=False)
            self._bytes -= _bytes(old)
        return pixmap

    def clear(self) -> None:
        self._pixmaps.clear()
        self._bytes = 0


def _bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


def tile_look(state: QStyle.StateFlag) -> str:
    """``"selected"``, ``"hover"`` or ``"plain"``: the part of an item's state a tile's picture depends on."""
    if state & QStyle.StateFlag.State_Selected:
        return "selected"
    return "hover" if state & QStyle.StateFlag.State_MouseOver else "plain"


def paint_tile(painter: QPainter, tile: QRectF, image: QPixmap | None, palette: QPalette, font: QFont, look: str,
               missing_text: str | None = None) -> None:
    """A thumbnail cropped into a rounded ``tile`` (or a placeholder, saying ``missing_text`` when the file is
    gone), framed as its look says: a hairline, a highlight on hover, a ring when selected. ``tile`` leaves
    ``RING`` pixels around it for the ring."""
    clip = QPainterPath()
    clip.addRoundedRect(tile, 5, 5)
    if image is not None:
        painter.save()
        painter.setClipPath(clip)
        draw_cropped(painter, tile, image)
        painter.restore()
    else:
        painter.fillPath(clip, palette.color(QPalette.ColorRole.AlternateBase))
        if missing_text:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.setFont(font)
            painter.drawText(tile, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, missing_text)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if look == "selected":
        ring = QPainterPath()
        ring.addRoundedRect(tile.adjusted(-1.5, -1.5, 1.5, 1.5), 6, 6)
        painter.setPen(_pen(palette.color(QPalette.ColorRole.Highlight), 2.5))
        painter.drawPath(ring)
        return
    border = QColor(palette.color(QPalette.ColorRole.WindowText))
    border.setAlphaF(0.14)  # a hairline that shows on white and on black images alike
    painter.setPen(_pen(border, 1.0))
    painter.drawPath(clip)
    if look == "hover":
        hover = QColor(palette.color(QPalette.ColorRole.Highlight))
        hover.setAlphaF(0.55)
        painter.setPen(_pen(hover, 1.5))
        painter.drawPath(clip)


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color)
    pen.setWidthF(width)
    return pen
