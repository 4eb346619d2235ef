"""The mask itself: one Grayscale8 image the size of the picture (white = repaint, black = keep), changed in
place a dab at a time, with its edits on a ``QUndoStack``.

Nothing here scans the whole mask while the mouse moves: a brush stroke grows the painted bounds by each dab's
inked rectangle, and only the eraser (which can shrink them) and Invert read the mask again, once, when they
end. An undo step keeps the pixels of the rectangle it changed before and after, and the bounds on each side,
so undoing puts both back without reading anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QIODevice, QObject, QPoint, QPointF, QRect, QSize, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QUndoCommand, QUndoStack

from fluxdesk.ui.mask.brush import Dab, inked_rect

UNDO_LIMIT = 100
"""Steps kept; each keeps only the pixels it changed (a whole-mask step keeps the painted rectangle)."""


@dataclass(frozen=True)
class Patch:
    """What ``area`` of the mask holds: ``pixels`` at ``at`` (when there are any), ``fill`` everywhere else."""

    area: QRect
    pixels: QImage | None = None
    at: QPoint = field(default_factory=QPoint)
    fill: int = 0

    def put(self, mask: QImage) -> None:
        painter = QPainter(mask)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        pixels = self.pixels
        if pixels is None or QRect(self.at, pixels.size()) != self.area:
            painter.fillRect(self.area, _grey(self.fill))
        if pixels is not None:
            painter.drawImage(self.at, pixels)
        painter.end()

    def inverted(self) -> Patch:
        pixels = None
        if self.pixels is not None:
            pixels = self.pixels.copy()
            pixels.invertPixels()
        return Patch(self.area, pixels, self.at, 255 - self.fill)


def _grey(level: int) -> QColor:
    return QColor(level, level, level)


class MaskEdit(QUndoCommand):
    """One undo step: the mask's ``area`` before and after, and its painted bounds before and after."""

    def __init__(self, layer: MaskLayer, text: str, before: Patch, after: Patch,
                 bounds_before: QRect | None, bounds_after: QRect | None, *, done: bool) -> None:
        super().__init__(text)
        self._layer = layer
        self._before, self._after = before, after
        self._bounds_before, self._bounds_after = bounds_before, bounds_after
        self._skip_first_redo = done  # a stroke is already on the mask when it is pushed

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._layer.restore(self._after, self._bounds_after)

    def undo(self) -> None:
        self._layer.restore(self._before, self._bounds_before)


class MaskLayer(QObject):
    """The mask being painted, its painted bounds and its undo stack.

    ``changed(rect)`` says which rectangle of the mask changed (for the view to repaint it); ``settled()``
    follows every finished edit, undo and redo (not each dab of a stroke still being painted).
    """

    changed = Signal(QRect)
    settled = Signal()
    stroking = Signal(bool)  # a stroke began (True) or ended (False)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mask = QImage()
        self._bounds: QRect | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._stroke: _Stroke | None = None

    # --- the mask --------------------------------------------------------------------------------------

    def reset(self, size: QSize) -> None:
        """A black mask of ``size`` (nothing to repaint), and no history."""
        self._stroke = None
        self.undo_stack.clear()
        if size.isEmpty():
            self._mask = QImage()
        else:
            self._mask = QImage(size, QImage.Format.Format_Grayscale8)
            self._mask.fill(0)
        self._bounds = None
        self.changed.emit(self._mask.rect())
        self.settled.emit()

    def image(self) -> QImage:
        """The mask itself (not a copy: read it, do not paint on it)."""
        return self._mask

    def size(self) -> QSize:
        return self._mask.size()

    def bounds(self) -> QRect | None:
        """The smallest rectangle holding every painted (not black) pixel; ``None`` when nothing is painted."""
        return QRect(self._bounds) if self._bounds is not None else None

    def png(self) -> bytes:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide's stub says bytes, its binding takes only str (6.x)
        if not self._mask.save(buffer, "PNG"):  # type: ignore[call-overload]
            raise OSError("the mask could not be encoded as PNG")
        return bytes(buffer.data().data())

    # --- strokes ---------------------------------------------------------------------------------------

    def begin_stroke(self, dab: Dab, *, erase: bool) -> None:
        if self._mask.isNull():
            return
        self._stroke = _Stroke(dab, erase, QImage(self._mask), self._bounds)
        # ``before`` shares the mask's pixels until the first dab, which copies them once (4 MB at 4 MP).
        self.stroking.emit(True)

    def stamping(self) -> bool:
        return self._stroke is not None

    def stamp(self, centres: list[QPointF]) -> QRect:
        """Stamp the stroke's dab at ``centres``; answers the rectangle of the mask that changed."""
        stroke = self._stroke
        if stroke is None or not centres:
            return QRect()
        dab = stroke.dab
        image = stroke.stamp_image
        painter = QPainter(self._mask)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Darken if stroke.erase
                                   else QPainter.CompositionMode.CompositionMode_Lighten)
        changed = QRect()
        inked = QRect()
        for centre in centres:
            corner = QPoint(round(centre.x()) - dab.half, round(centre.y()) - dab.half)
            painter.drawImage(corner, image)
            changed = changed.united(QRect(corner, image.size()))
            inked = inked.united(dab.inked.translated(corner))
        painter.end()
        changed &= self._mask.rect()
        if changed.isEmpty():
            return QRect()
        stroke.area = stroke.area.united(changed)
        if not stroke.erase:
            inked &= self._mask.rect()
            if not inked.isEmpty():
                self._bounds = inked if self._bounds is None else self._bounds.united(inked)
        self.changed.emit(changed)
        return changed

    def end_stroke(self, text: str) -> bool:
        """Close the stroke as one undo step named ``text``; ``False`` when it changed nothing."""
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return False
        self.stroking.emit(False)
        if stroke.area.isEmpty() or (stroke.erase and stroke.bounds_before is None):  # nothing changed
            return False
        if stroke.erase:
            self._bounds = _shrunk(self._mask, stroke.bounds_before, stroke.area)
        area = stroke.area
        before = Patch(area, stroke.before.copy(area), area.topLeft())
        after = Patch(area, self._mask.copy(area), area.topLeft())
        self.undo_stack.push(MaskEdit(self, text, before, after, stroke.bounds_before, self.bounds(), done=True))
        self.settled.emit()
        return True

    # --- whole-mask edits ------------------------------------------------------------------------------

    def fill(self) -> None:
        """Everything white: repaint the whole image."""
        if self._mask.isNull():
            return
        self._push_whole("Fill", Patch(self._mask.rect(), fill=255), self._mask.rect())

    def clear(self) -> None:
        """Everything black: keep the whole image."""
        if self._mask.isNull() or self._bounds is None:
            return
        self._push_whole("Clear", Patch(self._mask.rect(), fill=0), None)

    def invert(self) -> None:
        """White becomes black and black white (grey levels too)."""
        if self._mask.isNull():
            return
        before = self._whole_patch()
        after = before.inverted()
        full = self._mask.rect()
        bounds: QRect | None = full  # outside the painted bounds everything was black, and is now white
        if self._bounds is not None and self._bounds.contains(full) and after.pixels is not None:
            bounds = inked_rect(after.pixels)
        self.undo_stack.push(MaskEdit(self, "Invert", before, after, self.bounds(), bounds, done=False))

    def _push_whole(self, text: str, after: Patch, bounds_after: QRect | None) -> None:
        before = self._whole_patch()
        self.undo_stack.push(MaskEdit(self, text, before, after, self.bounds(), bounds_after, done=False))

    def _whole_patch(self) -> Patch:
        """The whole mask as a patch: the pixels within the painted bounds, black elsewhere."""
        full = self._mask.rect()
        if self._bounds is None:
            return Patch(full, fill=0)
        return Patch(full, self._mask.copy(self._bounds), self._bounds.topLeft(), 0)

    def restore(self, patch: Patch, bounds: QRect | None) -> None:
        """Put ``patch`` on the mask and take ``bounds`` as its painted bounds (an undo step's way back)."""
        patch.put(self._mask)
        self._bounds = QRect(bounds) if bounds is not None else None
        self.changed.emit(patch.area)
        self.settled.emit()


@dataclass
class _Stroke:
    dab: Dab
    erase: bool
    before: QImage
    bounds_before: QRect | None
    area: QRect = field(default_factory=QRect)
    stamp_image: QImage = field(init=False)

    def __post_init__(self) -> None:
        self.stamp_image = self.dab.inverted() if self.erase else self.dab.image


def _shrunk(mask: QImage, bounds: QRect | None, erased: QRect) -> QRect | None:
    """The painted bounds after erasing inside ``erased``: only rows and columns the eraser touched can have
    emptied, but a bound moves only if the eraser reached it, so the mask is read within the old bounds."""
    if bounds is None:
        return None
    if not erased.intersects(bounds):
        return QRect(bounds)
    return inked_rect(mask, bounds)
