"""Drawn pixmaps kept by key: drawn once, the least recently used first out past the byte budget."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QPainter

from fluxdesk.ui.kit.tiles import PixmapCache, drawn_pixmap


def test_a_drawn_pixmap_has_its_size_at_the_screen_s_density_and_what_was_drawn(qapp) -> None:
    pixmap = drawn_pixmap(QSize(10, 6), 2.0, lambda p: p.fillRect(0, 0, 5, 6, QColor("red")))
    assert (pixmap.width(), pixmap.height(), pixmap.devicePixelRatio()) == (20, 12, 2.0)
    image = pixmap.toImage()
    assert image.pixelColor(2, 2) == QColor("red") and image.pixelColor(15, 2).alpha() == 0  # the rest transparent


def test_each_key_is_drawn_once_and_the_oldest_go_first_past_the_budget(qapp) -> None:
    drawn: list[str] = []

    def draw(name: str):
        def paint(_painter: QPainter) -> None:
            drawn.append(name)
        return paint

    cache = PixmapCache(max_bytes=3 * 10 * 10 * 4)  # room for three 10×10 pixmaps
    for name in ("a", "b", "c"):
        cache.get(name, QSize(10, 10), 1.0, draw(name))
    cache.get("a", QSize(10, 10), 1.0, draw("a again"))  # kept: not drawn again, and now the most recent
    assert drawn == ["a", "b", "c"] and len(cache) == 3
    cache.get("d", QSize(10, 10), 1.0, draw("d"))  # past the budget: "b", the least recently used, goes
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.size_in_bytes() == 3 * 400
    cache.clear()
    assert len(cache) == 0 and cache.size_in_bytes() == 0
