"""The large view: one image at full size inside FluxDesk, fitted to the window or at 100%, with
next/previous through whatever list opened it (the gallery's grid)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.ui.engine.tasks import TaskManager, weak_callback
from fluxdesk.ui.gallery.operations import load_image
from fluxdesk.ui.kit.theme import set_tone


class _Canvas(QWidget):
    """Paints the image: scaled down to fit (never up), or pixel for pixel; a line of text while there is none.
    Dragging pans an image larger than the window; a double-click asks to switch between fit and 100%."""

    doubleClicked = Signal()

    def __init__(self, scroll: QScrollArea) -> None:
        super().__init__()
        self.setObjectName("viewerCanvas")
        self._scroll = scroll
        self._pixmap: QPixmap | None = None
        self._message = ""
        self._actual = False
        self._drag_from: QPoint | None = None
        self.setMinimumSize(120, 90)

    def set_pixmap(self, pixmap: QPixmap | None, message: str = "") -> None:
        self._pixmap, self._message = pixmap, message
        self._relayout()

    def message(self) -> str:
        return self._message

    def set_actual_size(self, actual: bool) -> None:
        self._actual = actual
        self._relayout()

    def _relayout(self) -> None:
        pixmap = self._pixmap
        if self._actual and pixmap is not None:
            self._scroll.setWidgetResizable(False)
            self.resize(self.image_size().toSize())
        else:
            self._scroll.setWidgetResizable(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._pans() else Qt.CursorShape.ArrowCursor)
        self.update()

    def image_size(self) -> QSizeF:
        """The image's size in device-independent pixels at 100% (one image pixel per screen pixel)."""
        pixmap = self._pixmap
        if pixmap is None:
            return QSizeF()
        ratio = self.devicePixelRatioF() or 1.0
        return QSizeF(pixmap.width() / ratio, pixmap.height() / ratio)

    def scale(self) -> float:
        """Image pixels to screen pixels: 1.0 at 100%, below when fitted to a smaller window."""
        size = self.image_size()
        if self._actual or size.isEmpty():
            return 1.0
        room = self._scroll.viewport().size()
        return min(1.0, room.width() / size.width(), room.height() / size.height())

    def target_rect(self) -> QRectF:
        """Where the image is painted, in the canvas's coordinates."""
        size = self.image_size() * self.scale()
        target = QRectF(QPointF(0, 0), size)
        target.moveCenter(QRectF(self.rect()).center())
        return target

    def _pans(self) -> bool:
        size = self.image_size()
        room = self._scroll.viewport().size()
        return self._actual and (size.width() > room.width() or size.height() > room.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        pixmap = self._pixmap
        if pixmap is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self._actual)
            painter.drawPixmap(self.target_rect(), pixmap, QRectF(pixmap.rect()))
        else:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(self.rect()).adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._pans() else Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._pans():
            self._drag_from = event.globalPosition().toPoint()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            now = event.globalPosition().toPoint()
            delta, self._drag_from = now - self._drag_from, now
            for bar, step in ((self._scroll.horizontalScrollBar(), delta.x()),
                              (self._scroll.verticalScrollBar(), delta.y())):
                bar.setValue(bar.value() - step)
        super().mouseMoveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.doubleClicked.emit()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self._drag_from = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)


class ImageViewer(QDialog):
    """A window over the gallery showing one image large. ``show_image`` says which; the arrows ask the
    gallery for the neighbours (``nextRequested`` / ``previousRequested``), which answers with ``show_image``."""

    nextRequested = Signal()
    previousRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self.setWindowTitle("FluxDesk — image")
        self.setModal(False)
        self._path: str | None = None
        self._image_size = QSize()

        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("viewerScroll")
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setBackgroundRole(QPalette.ColorRole.Dark)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrows are next/previous, not scrolling
        self.canvas = _Canvas(self.scroll_area)
        self.scroll_area.setWidget(self.canvas)
        self.scroll_area.setWidgetResizable(True)

        self.previous_action = self._action("Previous", ("Left", "Up"), "The image before this one (←)")
        self.next_action = self._action("Next", ("Right", "Down"), "The image after this one (→)")
        self.actual_size_action = self._action("100%", ("Z", "1"),
                                               "Show every pixel (Z); again to fit the image to the window")
        self.actual_size_action.setCheckable(True)
        self.close_action = self._action("Close", ("Space", "Escape"), "Back to the gallery (Space or Esc)")
        self.previous_action.triggered.connect(self.previousRequested)
        self.next_action.triggered.connect(self.nextRequested)
        self.actual_size_action.toggled.connect(self._set_actual_size)
        self.close_action.triggered.connect(self.close)
        self.canvas.doubleClicked.connect(self.actual_size_action.toggle)

        self.title = QLabel()
        self.title.setObjectName("viewerTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.position = QLabel()
        self.position.setObjectName("viewerPosition")
        set_tone(self.position, "muted")
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("viewerZoom")
        set_tone(self.zoom_label, "muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(12, 8, 12, 8)
        bar.setSpacing(8)
        for action in (self.previous_action, self.next_action):
            bar.addWidget(self._button(action))
        bar.addWidget(self.position)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.zoom_label)
        bar.addWidget(self._button(self.actual_size_action))
        bar.addWidget(self._button(self.close_action))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll_area, 1)
        self.resize(1000, 720)

    def _action(self, text: str, keys: tuple[str, ...], tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    # --- what is shown ------------------------------------------------------------------------------

    def show_image(self, path: str, title: str, position: str, *, has_previous: bool, has_next: bool,
                   missing: bool = False) -> None:
        """Show the file at ``path`` (decoded off the GUI thread; "Loading…" meanwhile)."""
        self._path = path
        self.title.setText(title)
        self.title.setToolTip(title)
        self.position.setText(position)
        self.setWindowTitle(f"{title[:80]} — FluxDesk" if title else "FluxDesk — image")
        self.previous_action.setEnabled(has_previous)
        self.next_action.setEnabled(has_next)
        self._image_size = QSize()
        if missing:
            self._set(None, f"The file is missing: {Path(path).name}")
            return
        self._set(None, "Loading…")
        TaskManager.instance().run_in_background(
            lambda: load_image(path), weak_callback(self._loaded, path),
            weak_callback(self._unreadable, path))

    def _loaded(self, path: str, image: QImage) -> None:
        if path == self._path:
            self._image_size = image.size()
            self._set(QPixmap.fromImage(image))

    def _unreadable(self, path: str, error: BaseException) -> None:
        if path == self._path:
            self._set(None, f"This image cannot be read: {error}")

    def _set(self, pixmap: QPixmap | None, message: str = "") -> None:
        self.canvas.set_pixmap(pixmap, message)
        self._show_zoom()

    def path(self) -> str | None:
        return self._path

    def has_image(self) -> bool:
        return not self._image_size.isEmpty()

    def message(self) -> str:
        return self.canvas.message()

    def is_actual_size(self) -> bool:
        return self.actual_size_action.isChecked()

    def _set_actual_size(self, actual: bool) -> None:
        self.canvas.set_actual_size(actual)
        self._show_zoom()

    def _show_zoom(self) -> None:
        if not self.has_image():
            self.zoom_label.setText("")
            return
        size = f"{self._image_size.width()} × {self._image_size.height()} px"
        if self.is_actual_size():
            self.zoom_label.setText(f"{size} · 100%")
        else:
            self.zoom_label.setText(f"{size} · fitted, {round(self.canvas.scale() * 100)}%")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_zoom()
