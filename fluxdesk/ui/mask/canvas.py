"""The canvas of the mask editor: the picture at any zoom, the mask over it as a tinted veil, the brush's outline,
the crop box of a local edit; strokes, pans and zooms from the mouse.

Repaints are kept to what changed: a dab repaints the screen rectangle over the mask pixels it touched; the
picture is drawn from the halved copy nearest the zoom (``Picture.levels``), so a zoomed-out 4 MP picture is
never scaled whole; the veil is made for the repainted rectangle only, from those pixels of the mask.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from fluxdesk.ui.kit import theme
from fluxdesk.ui.mask.brush import SPACING, Dab, StrokePath
from fluxdesk.ui.mask.layer import MaskLayer
from fluxdesk.ui.mask.loading import Picture

MIN_ZOOM, MAX_ZOOM = 1 / 32, 32.0
ZOOM_STEP = 1.25
TOOLS = ("brush", "eraser", "hand")
VEIL = QColor(255, 36, 84)
"""The mask's tint: a vivid rose, seen over photos light or dark (the theme does not touch the picture)."""
VEIL_OPACITY = 0.55
_FIT_MARGIN = 12
"""Room around a fitted picture, in screen pixels."""
_PAN_MARGIN = 48
"""How far past its edge a picture larger than the view can be panned."""
_MAX_PARTS = 64
"""A repaint of more rectangles than this draws their bounding rectangle once instead."""
_SHARP_FROM = 2.0
"""From this zoom up, pixels are drawn as squares (to see what is painted); below, smoothly."""


class MaskCanvas(QWidget):
    """Shows ``picture`` with the ``layer``'s mask; paints the mask with the mouse in the brush and eraser tools.

    Left drag paints (or pans with the hand tool, or while Space is held); middle drag pans; the wheel scrolls
    and, with Ctrl, zooms about the pointer. ``zoomChanged`` follows every change of zoom.
    """

    zoomChanged = Signal(float)

    def __init__(self, layer: MaskLayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskCanvas")
        self.setAccessibleName("Mask canvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(240, 180)
        self._layer = layer
        self._picture: Picture | None = None
        self._message = ""
        self._message_is_error = False
        self._scale = 1.0
        self._offset = QPointF()
        self._fitted = True
        self._tool = "brush"
        self._dab: Dab | None = None
        self._ring: tuple[tuple[float, str, float], QPixmap] | None = None
        """The brush outline as last drawn, by (radius, tool, device pixel ratio): a large antialiased ring costs to
        rasterise, and the pointer redraws on every mouse move."""
        self._path: StrokePath | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self._pointer: QPointF | None = None
        self._crop: QRect | None = None
        self._crop_shown = False
        self._checker = _checker_brush()
        layer.changed.connect(self._mask_changed)

    # --- what is shown ---------------------------------------------------------------------------------

    def set_picture(self, picture: Picture | None, message: str = "", *, error: bool = False) -> None:
        """Show ``picture`` fitted to the view; without one, ``message`` in its place."""
        self._cancel_gestures()
        self._picture = picture
        self._message, self._message_is_error = message, error
        self._crop = None
        self.fit()
        self._update_cursor()
        self.update()

    def picture(self) -> Picture | None:
        return self._picture

    def message(self) -> str:
        return self._message

    def set_brush(self, dab: Dab) -> None:
        self._update_pointer_area()
        self._dab = dab
        self._update_pointer_area()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; choose one of {', '.join(TOOLS)}")
        self._tool = tool
        self._update_cursor()
        self._update_pointer_area()

    def tool(self) -> str:
        return self._tool

    def set_crop_box(self, box: QRect | None, shown: bool) -> None:
        """Outline ``box`` (in picture pixels) when ``shown``; only the old and new outlines are repainted."""
        old = self._crop if self._crop_shown else None
        self._crop, self._crop_shown = (QRect(box) if box is not None else None), shown
        new = self._crop if shown else None
        if old != new:
            region = QRegion()
            for rect in (old, new):
                if rect is not None:
                    region += self._crop_region(rect)
            self.update(region)

    def crop_box_shown(self) -> QRect | None:
        """The box outlined now (``None``: none is)."""
        return QRect(self._crop) if self._crop_shown and self._crop is not None else None

    # --- zoom and pan ----------------------------------------------------------------------------------

    def zoom(self) -> float:
        """Screen pixels per picture pixel (1.0: 100%)."""
        return self._scale

    def is_fitted(self) -> bool:
        return self._fitted

    def fit(self) -> None:
        """The whole picture in view, as large as it fits; kept fitted as the view is resized."""
        self._fitted = True
        self._apply_fit()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` keeping the picture point under ``anchor`` (default: the view's centre) in place."""
        picture = self._picture
        if picture is None:
            return
        scale = min(MAX_ZOOM, max(MIN_ZOOM, scale))
        anchor = QPointF(anchor) if anchor is not None else QRectF(self.rect()).center()
        fixed = self.to_picture(anchor)
        self._fitted = False
        self._set_view(scale, anchor - fixed * scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom in (``factor`` > 1) or out; a step that crosses 100% stops there."""
        old = self._scale
        new = old * factor
        if min(old, new) < 1.0 < max(old, new):
            new = 1.0
        self.set_zoom(new, anchor)

    def pan_by(self, delta: QPointF) -> None:
        if self._picture is None:
            return
        self._fitted = False
        self._set_view(self._scale, self._offset + delta)

    def to_picture(self, point: QPointF) -> QPointF:
        """A point of the canvas in picture pixels."""
        return (QPointF(point) - self._offset) / self._scale

    def to_canvas(self, rect: QRectF) -> QRectF:
        """A rectangle of picture pixels on the canvas."""
        return QRectF(self._offset + rect.topLeft() * self._scale, rect.size() * self._scale)

    def _apply_fit(self) -> None:
        picture = self._picture
        if picture is None:
            self._scale, self._offset = 1.0, QPointF()
            self.zoomChanged.emit(self._scale)
            return
        size = picture.size()
        room = QSize(max(1, self.width() - 2 * _FIT_MARGIN), max(1, self.height() - 2 * _FIT_MARGIN))
        scale = min(MAX_ZOOM, max(MIN_ZOOM, min(room.width() / size.width(), room.height() / size.height())))
        self._set_view(scale, QPointF())

    def _set_view(self, scale: float, offset: QPointF) -> None:
        picture = self._picture
        if picture is None:
            return
        size = picture.size()
        x = _clamped(offset.x(), size.width() * scale, self.width())
        y = _clamped(offset.y(), size.height() * scale, self.height())
        changed_scale = scale != self._scale
        if changed_scale or QPointF(x, y) != self._offset:
            self._scale, self._offset = scale, QPointF(x, y)
            self.update()
        if changed_scale:
            self.zoomChanged.emit(scale)

    # --- painting --------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = event.rect()
        painter.fillRect(area, self.palette().color(QPalette.ColorRole.Dark if theme.is_dark()
                                                    else QPalette.ColorRole.Mid))
        picture = self._picture
        if picture is None:
            self._paint_message(painter)
            painter.end()
            return
        region = event.region()
        parts = _parts(region, area)
        picture_rect = self.to_canvas(QRectF(picture.image.rect())).toAlignedRect()
        for part in parts:
            shown = picture_rect & part
            if not shown.isEmpty():
                painter.fillRect(shown, self._checker)
                self._paint_picture(painter, shown, picture)
                self._paint_veil(painter, shown)
        # Outlines only where the repaint reaches them: rasterising a large antialiased ring costs, clipped or not
        if self._crop_shown and self._crop is not None and region.intersects(self._crop_region(self._crop)):
            self._paint_crop(painter, self._crop)
        if region.intersects(self._pointer_rect()):
            self._paint_pointer(painter)
        painter.end()

    def _paint_message(self, painter: QPainter) -> None:
        painter.setPen(theme.error_color() if self._message_is_error else theme.muted_color())
        painter.drawText(QRectF(self.rect()).adjusted(24, 24, -24, -24),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)

    def _paint_picture(self, painter: QPainter, target: QRect, picture: Picture) -> None:
        levels = picture.levels
        depth = 0 if self._scale >= 1 else min(len(levels) - 1, math.floor(math.log2(1 / self._scale)))
        level = levels[depth]
        full = picture.size()
        sx = self._scale * full.width() / level.width()
        sy = self._scale * full.height() / level.height()
        source = _source_rect(QRectF(target), self._offset, sx, sy, level.rect())
        if source.isEmpty():
            return
        painter.save()
        painter.setClipRect(target)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < _SHARP_FROM)
        painter.translate(self._offset)
        painter.scale(sx, sy)
        painter.drawImage(source.topLeft(), level, source)
        painter.restore()

    def _paint_veil(self, painter: QPainter, target: QRect) -> None:
        mask, painted = self._layer.image(), self._layer.bounds()
        if mask.isNull() or painted is None:
            return
        source = _source_rect(QRectF(target), self._offset, self._scale, self._scale, mask.rect()) & painted
        if source.isEmpty():
            return
        alpha = mask.copy(source)
        alpha.reinterpretAsFormat(QImage.Format.Format_Alpha8)
        placed = self.to_canvas(QRectF(source))
        veil_rect = placed.toAlignedRect()
        veil = QImage(veil_rect.size(), QImage.Format.Format_ARGB32_Premultiplied)
        veil.fill(Qt.GlobalColor.transparent)
        tint = QPainter(veil)
        tint.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < _SHARP_FROM)
        tint.translate(placed.topLeft() - QPointF(veil_rect.topLeft()))
        tint.scale(self._scale, self._scale)
        tint.drawImage(QPointF(0, 0), alpha)
        tint.resetTransform()
        tint.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        tint.fillRect(veil.rect(), VEIL)
        tint.end()
        painter.save()
        painter.setClipRect(target)
        painter.setOpacity(VEIL_OPACITY)
        painter.drawImage(veil_rect.topLeft(), veil)
        painter.restore()

    def _paint_crop(self, painter: QPainter, box: QRect) -> None:
        outline = self.to_canvas(QRectF(box)).adjusted(-0.5, -0.5, 0.5, 0.5)
        painter.save()
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(outline)
        dashes = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
        painter.setPen(dashes)
        painter.drawRect(outline)
        badge = self._crop_badge(box)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 190))
        painter.drawRect(badge)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, self._crop_text(box))
        painter.restore()

    def _crop_text(self, box: QRect) -> str:
        return f"Sent: {box.width()}×{box.height()}"

    def _crop_badge(self, box: QRect) -> QRect:
        corner = self.to_canvas(QRectF(box)).topLeft().toPoint()
        metrics = self.fontMetrics()
        badge = QRect(0, 0, metrics.horizontalAdvance(self._crop_text(box)) + 12, metrics.height() + 4)
        badge.moveTopLeft(QPoint(max(0, corner.x() + 2), max(0, corner.y() + 2)))
        return badge

    def _crop_region(self, box: QRect) -> QRegion:
        outline = self.to_canvas(QRectF(box)).toAlignedRect()
        region = QRegion()
        for edge in (QRect(outline.left() - 3, outline.top() - 3, outline.width() + 6, 6),
                     QRect(outline.left() - 3, outline.bottom() - 2, outline.width() + 6, 6),
                     QRect(outline.left() - 3, outline.top() - 3, 6, outline.height() + 6),
                     QRect(outline.right() - 2, outline.top() - 3, 6, outline.height() + 6)):
            region += edge
        return region + self._crop_badge(box).adjusted(-1, -1, 1, 1)

    def _pointer_rect(self) -> QRect:
        if self._pointer is None or self._dab is None:
            return QRect()
        radius = max(3.0, self._dab.size * self._scale / 2) + 3
        return QRectF(self._pointer.x() - radius, self._pointer.y() - radius, 2 * radius, 2 * radius).toAlignedRect()

    def _paint_pointer(self, painter: QPainter) -> None:
        if self._pointer is None or self._dab is None or self._picture is None or self._pans():
            return
        radius = max(1.5, self._dab.size * self._scale / 2)
        ring = self._ring_pixmap(radius)
        half = ring.deviceIndependentSize().width() / 2
        painter.drawPixmap(QPointF(self._pointer.x() - half, self._pointer.y() - half), ring)

    def _ring_pixmap(self, radius: float) -> QPixmap:
        """The brush outline of ``radius`` screen pixels: a dark ring under a light one (dashed for the eraser)."""
        ratio = self.devicePixelRatioF()
        key = (round(radius, 2), self._tool, ratio)
        if self._ring is not None and self._ring[0] == key:
            return self._ring[1]
        half = math.ceil(radius + 3)
        ring = QPixmap(QSize(2 * half, 2 * half) * ratio)
        ring.setDevicePixelRatio(ratio)
        ring.fill(Qt.GlobalColor.transparent)
        painter = QPainter(ring)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        centre = QPointF(half, half)
        painter.setPen(QPen(QColor(0, 0, 0, 180), 2.5))
        painter.drawEllipse(centre, radius, radius)
        painter.setPen(QPen(QColor(255, 255, 255), 1.0, Qt.PenStyle.DashLine if self._tool == "eraser"
                            else Qt.PenStyle.SolidLine))
        painter.drawEllipse(centre, radius, radius)
        painter.end()
        self._ring = (key, ring)
        return ring

    def _update_pointer_area(self) -> None:
        rect = self._pointer_rect()
        if not rect.isEmpty():
            self.update(rect)

    def _mask_changed(self, rect: QRect) -> None:
        if self._picture is not None and not rect.isEmpty():
            self.update(self.to_canvas(QRectF(rect)).toAlignedRect().adjusted(-2, -2, 2, 2))

    # --- the mouse and the keyboard --------------------------------------------------------------------

    def _pans(self) -> bool:
        return self._tool == "hand" or self._space or self._pan_from is not None

    def _update_cursor(self) -> None:
        if self._picture is None:
            self.unsetCursor()
        elif self._pan_from is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._pans():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._picture is None or self._path is not None or self._pan_from is not None:
            event.ignore()
            return
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._pans()):
            self._pan_from = event.position()
            self._update_cursor()
        elif button == Qt.MouseButton.LeftButton and self._dab is not None:
            self._layer.begin_stroke(self._dab, erase=self._tool == "eraser")
            self._path = StrokePath(self._dab.size * SPACING)
            self._layer.stamp(self._path.start(self.to_picture(event.position())))
        else:
            event.ignore()
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._update_pointer_area()
        self._pointer = event.position()
        self._update_pointer_area()
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta)
        elif self._path is not None:
            self._layer.stamp(self._path.extend(self.to_picture(event.position())))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._pan_from = None
            self._update_cursor()
        elif self._path is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_stroke()
        event.accept()

    def _finish_stroke(self) -> None:
        path, self._path = self._path, None
        if path is not None:
            self._layer.stamp(path.finish())
            self._layer.end_stroke("Eraser stroke" if self._tool == "eraser" else "Brush stroke")

    def _cancel_gestures(self) -> None:
        if self._path is not None:
            self._finish_stroke()
        self._pan_from = None

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._picture is None:
            event.ignore()
            return
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if steps:
                self.zoom_by(ZOOM_STEP ** steps, event.position())
        else:
            delta = QPointF(event.pixelDelta()) if not event.pixelDelta().isNull() else QPointF(
                event.angleDelta()) / 120 * 48
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                delta = QPointF(delta.y(), delta.x())
            self.pan_by(delta)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._space_key(event, held=True):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self._space_key(event, held=False):
            super().keyReleaseEvent(event)

    def _space_key(self, event: QKeyEvent, *, held: bool) -> bool:
        """Space held turns any tool into the hand; ``True`` when the key was Space (and taken)."""
        if event.key() != Qt.Key.Key_Space or (held and event.modifiers()):
            return False
        if not event.isAutoRepeat():
            self._space = held
            self._update_cursor()
            self._update_pointer_area()
        event.accept()
        return True

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._space = False  # Space let go elsewhere never reaches us
        self._update_cursor()
        super().focusOutEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._update_pointer_area()
            self._pointer = None
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self._apply_fit()
        else:
            self._set_view(self._scale, self._offset)

    def sizeHint(self) -> QSize:
        return QSize(720, 520)


def _clamped(offset: float, length: float, room: float) -> float:
    """Where a picture ``length`` long starts in a view ``room`` long: centred when it fits, else kept so that
    no more than a margin of empty view shows past either edge."""
    if length <= room:
        return (room - length) / 2
    return min(_PAN_MARGIN, max(room - length - _PAN_MARGIN, offset))


def _source_rect(target: QRectF, offset: QPointF, sx: float, sy: float, bounds: QRect) -> QRect:
    """The source pixels drawn into ``target`` (canvas) at ``offset`` and scale ``sx``, ``sy``, with a pixel's
    margin so smoothing at the edge reads the same neighbours as the rest of the picture."""
    left = math.floor((target.left() - offset.x()) / sx) - 2
    top = math.floor((target.top() - offset.y()) / sy) - 2
    right = math.ceil((target.right() - offset.x()) / sx) + 2
    bottom = math.ceil((target.bottom() - offset.y()) / sy) + 2
    return QRect(left, top, right - left, bottom - top) & bounds


def _parts(region: QRegion, bounding: QRect) -> list[QRect]:
    """The rectangles to draw for a repaint: each of the region's when they cover much less than their bounding
    rectangle (the crop box's old and new outlines are thin strips around a large box), else that rectangle."""
    if region.rectCount() > _MAX_PARTS:
        return [bounding]
    parts: list[QRect] = list(region)  # type: ignore[call-overload]  # iterable, though PySide's stub omits it
    covered = sum(part.width() * part.height() for part in parts)
    return parts if covered * 2 < bounding.width() * bounding.height() else [bounding]


def _checker_brush() -> QBrush:
    """Grey squares under a picture with transparent parts."""
    tile = QPixmap(16, 16)
    tile.fill(QColor(204, 204, 204))
    painter = QPainter(tile)
    painter.fillRect(0, 0, 8, 8, QColor(240, 240, 240))
    painter.fillRect(8, 8, 8, 8, QColor(240, 240, 240))
    painter.end()
    return QBrush(tile)
