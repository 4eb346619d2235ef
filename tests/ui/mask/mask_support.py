"""Pictures to paint on and strokes made the way a user makes them: QTest's mouse on the canvas."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from fluxdesk.ui.mask.canvas import MaskCanvas

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def picture(width: int = 400, height: int = 300, color: str = "#808080") -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    painter = QPainter(image)
    painter.fillRect(0, 0, width // 4, height // 4, QColor("#2a6f97"))
    painter.end()
    return image


def on_canvas(canvas: MaskCanvas, x: float, y: float) -> QPoint:
    """Where picture pixel (x, y) is on the canvas now (its centre)."""
    return canvas.to_canvas(QRectF(x, y, 1, 1)).center().toPoint()


def stroke(canvas: MaskCanvas, points: Sequence[tuple[float, float]], button: Qt.MouseButton = LEFT,
           modifier: Qt.KeyboardModifier = NONE) -> None:
    """Press at the first picture point, move through the others, release at the last."""
    where = [on_canvas(canvas, x, y) for x, y in points]
    drag(canvas, where, button, modifier)


def drag(widget: QWidget, where: Sequence[QPoint], button: Qt.MouseButton = LEFT,
         modifier: Qt.KeyboardModifier = NONE) -> None:
    QTest.mousePress(widget, button, modifier, where[0])
    for point in where[1:]:
        QTest.mouseMove(widget, point)
    QTest.mouseRelease(widget, button, modifier, where[-1])


def level(mask: QImage, x: int, y: int) -> int:
    return QColor(mask.pixel(x, y)).red()


def levels_along(mask: QImage, y: int, xs: range) -> list[int]:
    return [level(mask, x, y) for x in xs]


def painted_count(mask: QImage) -> int:
    """How many pixels are not black (a slow count: for small test masks)."""
    data = bytes(mask.constBits())
    stride, width = mask.bytesPerLine(), mask.width()
    return sum(width - data[y * stride:y * stride + width].count(0) for y in range(mask.height()))


def centre_of(canvas: MaskCanvas) -> QPointF:
    return QRectF(canvas.rect()).center()
