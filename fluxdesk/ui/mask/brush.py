"""The brush: the dab it stamps (size and hardness) and the smoothed path of dabs between mouse events.

A stroke is a row of dabs. The mouse reports points some pixels apart (many, when it moves fast), so the path
between them is a curve through the midpoints of the reported points (each reported point the control of a
quadratic Bézier), and dabs are laid along it at a fixed spacing: a fast flick paints a smooth arc, never a
polyline of dots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QRadialGradient

MIN_SIZE, MAX_SIZE = 1, 1000
"""The brush's diameter in image pixels."""
SPACING = 0.12
"""Room between two dabs, as a share of the diameter: close enough that a soft edge shows no scallops."""
_FALLOFF_STOPS = 8


@dataclass(frozen=True)
class Dab:
    """One stamp of the brush: white where it paints (a soft edge falls off to black), and the rectangle of its
    pixels that are not black, relative to its top-left corner."""

    image: QImage  # Grayscale8, size × size
    inked: QRect
    size: int
    hardness: float

    @property
    def half(self) -> int:
        return self.size // 2

    def inverted(self) -> QImage:
        """The eraser's stamp: black where it erases, white (leaves the mask alone under Darken) around it."""
        image = self.image.copy()
        image.invertPixels()
        return image


def make_dab(size: int, hardness: float) -> Dab:
    """A round dab ``size`` pixels across; ``hardness`` 1 is a crisp edge, 0 falls off from the centre."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"the brush is {MIN_SIZE} to {MAX_SIZE} px across, not {size}")
    if not 0.0 <= hardness <= 1.0:
        raise ValueError(f"hardness is between 0 and 1, not {hardness}")
    image = QImage(size, size, QImage.Format.Format_Grayscale8)
    image.fill(0)
    if size <= 2:  # a circle this small is a square of pixels; antialiasing would only make them grey
        image.fill(255)
        return Dab(image, QRect(0, 0, size, size), size, hardness)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    centre, radius = QPointF(size / 2, size / 2), size / 2
    if hardness >= 0.999:
        painter.setBrush(QColor(255, 255, 255))
    else:
        gradient = QRadialGradient(centre, radius)
        gradient.setColorAt(0.0, QColor(255, 255, 255))
        for step in range(_FALLOFF_STOPS + 1):  # a smoothstep from full at `hardness` to none at the rim
            at = hardness + (1.0 - hardness) * step / _FALLOFF_STOPS
            t = step / _FALLOFF_STOPS
            level = round(255 * (1.0 - t * t * (3 - 2 * t)))
            gradient.setColorAt(at, QColor(level, level, level))
        painter.setBrush(QBrush(gradient))
    painter.drawEllipse(QRectF(0, 0, size, size))
    painter.end()
    inked = inked_rect(image)
    return Dab(image, inked if inked is not None else QRect(), size, hardness)


def inked_rect(image: QImage, within: QRect | None = None) -> QRect | None:
    """The smallest rectangle holding every pixel of a Grayscale8 ``image`` that is not black (``None``: all
    black), looked for inside ``within`` (default: the whole image).

    Reads the pixels as bytes (C loops, a row at a time): about 5 ms for 4 MP.
    """
    area = image.rect() if within is None else within.intersected(image.rect())
    if area.isEmpty():
        return None
    data = image.constBits()
    stride = image.bytesPerLine()
    left, right = area.left(), area.left() + area.width()
    top = bottom = -1
    first, last = right, left - 1
    for y in range(area.top(), area.top() + area.height()):
        start = y * stride
        row = bytes(data[start + left:start + right])
        kept = row.lstrip(b"\0")
        if not kept:
            continue
        if top < 0:
            top = y
        bottom = y
        first = min(first, left + len(row) - len(kept))
        last = max(last, left + len(row.rstrip(b"\0")) - 1)
    if top < 0:
        return None
    return QRect(first, top, last - first + 1, bottom - top + 1)


class StrokePath:
    """Where to stamp dabs as the mouse reports points: call ``start``, then ``extend`` with each point, then
    ``finish``; each answers the centres of the dabs to stamp now, ``spacing`` pixels apart along the curve."""

    def __init__(self, spacing: float) -> None:
        self._spacing = max(1.0, spacing)
        self._points: list[QPointF] = []
        self._travelled = 0.0  # along the path since the last dab
        self._end = QPointF()  # where the path drawn so far ends

    def start(self, point: QPointF) -> list[QPointF]:
        self._points = [QPointF(point)]
        self._end = QPointF(point)
        self._travelled = 0.0
        return [QPointF(point)]

    def extend(self, point: QPointF) -> list[QPointF]:
        if not self._points:
            return self.start(point)
        last = self._points[-1]
        if abs(point.x() - last.x()) < 0.01 and abs(point.y() - last.y()) < 0.01:
            return []
        self._points = [*self._points[-1:], QPointF(point)]
        control = self._points[0]
        middle = (control + point) / 2
        return self._lay(self._end, control, middle)

    def finish(self) -> list[QPointF]:
        """The last piece: from the last midpoint to the last point reported."""
        if not self._points:
            return []
        last = self._points[-1]
        dabs = self._lay(self._end, (self._end + last) / 2, last)
        self._points = []
        return dabs

    def _lay(self, start: QPointF, control: QPointF, end: QPointF) -> list[QPointF]:
        """Dabs along the quadratic curve start → end (pulled towards ``control``), carrying the distance
        travelled since the last dab over from the piece before."""
        chord = math.dist((start.x(), start.y()), (end.x(), end.y()))
        net = (math.dist((start.x(), start.y()), (control.x(), control.y()))
               + math.dist((control.x(), control.y()), (end.x(), end.y())))
        pieces = max(1, math.ceil((chord + net) / 2))  # about a pixel each
        dabs: list[QPointF] = []
        previous = start
        for i in range(1, pieces + 1):
            t = i / pieces
            u = 1 - t
            here = start * (u * u) + control * (2 * u * t) + end * (t * t)
            length = math.dist((previous.x(), previous.y()), (here.x(), here.y()))
            while self._travelled + length >= self._spacing:
                step = self._spacing - self._travelled
                previous = previous + (here - previous) * (step / length)
                length -= step
                self._travelled = 0.0
                dabs.append(QPointF(previous))
            self._travelled += length
            previous = here
        self._end = QPointF(end)
        return dabs
