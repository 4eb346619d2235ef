"""Pixmaps drawn once and blitted after: a view that repaints with every image of a batch draws each look of a
tile (its image, size, colours, state) a single time, not in every paint."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtCore import QSize, QSizeF, Qt
from PySide6.QtGui import QPainter, QPixmap


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
