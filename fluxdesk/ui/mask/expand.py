"""Expand: choose how much canvas to add around an image (pixels per side, or a target size or aspect ratio with
the image placed on it) and see the new canvas outlined around the image before anything is sent.

Like the mask editor it decides nothing about money: the dialog asks ``sides()`` and ``problem()``, listens to
``sidesChanged``, and puts its own price and Send button beside it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.forms import WIDE_LABEL_WIDTH, ClampingSpinBox, Form, clamp_note, describe, make_label
from fluxdesk.ui.mask.canvas_growth import (
    ANCHORS,
    ASPECTS,
    MAX_SIDE,
    SIDE_NAMES,
    Sides,
    canvas_for_aspect,
    expand_problem,
    grown,
    sides_for_target,
)
from fluxdesk.ui.mask.loading import Picture, PictureSource

PER_SIDE, TARGET = "Pixels per side", "Target size"
MAX_TARGET = 20000
_SIDE_STEP = 64
_PREVIEW_MARGIN = 16


class ExpandPreview(QWidget):
    """The new canvas, hatched where pixels are added and outlined, with the image placed on it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expandPreview")
        self.setAccessibleName("Preview of the new canvas")
        self.setMinimumSize(260, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._picture: Picture | None = None
        self._size: tuple[int, int] | None = None
        self._sides: Sides = (0, 0, 0, 0)
        self._wrong = False
        self._message = "No image yet"
        self._message_is_error = False

    def show_state(self, picture: Picture | None, size: tuple[int, int] | None, sides: Sides, wrong: bool) -> None:
        self._picture, self._size, self._sides, self._wrong = picture, size, sides, wrong
        self.update()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self._message, self._message_is_error = text, error
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn (empty without one)."""
        return self._layout()[1]

    def canvas_rect(self) -> QRectF:
        """Where the new canvas is outlined (empty without an image)."""
        return self._layout()[0]

    def _layout(self) -> tuple[QRectF, QRectF, float]:
        if self._size is None:
            return QRectF(), QRectF(), 1.0
        top, right, bottom, left = self._sides
        width, height = self._size
        canvas = QRectF(0, 0, width + left + right, height + top + bottom)
        image = QRectF(left, top, width, height)
        both = canvas.united(image)
        room = QRectF(self.rect()).adjusted(_PREVIEW_MARGIN, _PREVIEW_MARGIN, -_PREVIEW_MARGIN, -_PREVIEW_MARGIN)
        scale = min(room.width() / both.width(), room.height() / both.height())
        shift = room.center() - both.center() * scale

        def placed(rect: QRectF) -> QRectF:
            return QRectF(rect.topLeft() * scale + shift, rect.size() * scale)

        return placed(canvas), placed(image), scale

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colors = theme.colors()
        if self._size is None:
            painter.setPen(theme.error_color() if self._message_is_error else theme.muted_color())
            painter.drawText(QRectF(self.rect()).adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            painter.end()
            return
        canvas, image, scale = self._layout()
        edge = theme.error_color() if self._wrong else theme.accent_color()
        added = QColor(edge)
        added.setAlpha(40)
        painter.fillRect(canvas, QColor(colors.base))
        painter.fillRect(canvas, added)
        hatch = QColor(edge)
        hatch.setAlpha(90)
        painter.fillRect(canvas, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        self._paint_image(painter, image, scale)
        painter.setPen(QPen(QColor(colors.muted), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(image)
        painter.setPen(QPen(edge, 2, Qt.PenStyle.DashLine))
        painter.drawRect(canvas)
        self._paint_side_labels(painter, canvas, image)
        painter.end()

    def _paint_image(self, painter: QPainter, target: QRectF, scale: float) -> None:
        picture = self._picture
        if picture is None:
            painter.fillRect(target, QColor(theme.colors().alternate))
            return
        level = picture.levels[0]
        for candidate in picture.levels:  # the smallest copy still at least as large as what is drawn
            if candidate.width() >= target.width():
                level = candidate
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, level, QRectF(level.rect()))
        painter.restore()

    def _paint_side_labels(self, painter: QPainter, canvas: QRectF, image: QRectF) -> None:
        top, right, bottom, left = self._sides
        metrics = self.fontMetrics()
        strips = (
            (top, QRectF(canvas.left(), canvas.top(), canvas.width(), image.top() - canvas.top())),
            (right, QRectF(image.right(), canvas.top(), canvas.right() - image.right(), canvas.height())),
            (bottom, QRectF(canvas.left(), image.bottom(), canvas.width(), canvas.bottom() - image.bottom())),
            (left, QRectF(canvas.left(), canvas.top(), image.left() - canvas.left(), canvas.height())),
        )
        for side, strip in strips:
            text = f"+{side} px"
            too_small = strip.width() < metrics.horizontalAdvance(text) + 8 or strip.height() < metrics.height() + 4
            if side <= 0 or too_small:
                continue
            badge = QRectF(0, 0, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
            badge.moveCenter(strip.center())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.colors().card))
            painter.drawRoundedRect(badge, 3, 3)
            painter.setPen(QColor(theme.colors().text))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)


class ExpandChooser(QWidget):
    """Pixels to add on each side of an image for ``flux-pro-1.0-expand``, chosen per side or as a target
    canvas."""

    sidesChanged = Signal(int, int, int, int)  # top, right, bottom, left
    imageLoaded = Signal(int, int)
    loadFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expandChooser")
        self._emitted: Sides | None = None
        self._source = PictureSource(self)
        self._source.loaded.connect(self._show_picture)
        self._source.failed.connect(self._show_failure)
        self._build()
        self._changed()

    # --- building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        body = QHBoxLayout()
        body.setSpacing(12)
        self.preview = ExpandPreview()
        body.addWidget(self.preview, 1)

        controls = QVBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(make_label("Grow the canvas by", heading=True, wrap=False))
        controls.addWidget(make_label(f"The model paints the hatched band to continue the image: up to {MAX_SIDE} px "
                                      "on a side.", tone="muted", small=True, name="expandExplain"))
        self.per_side_radio = QRadioButton(PER_SIDE)
        self.target_radio = QRadioButton(TARGET)
        describe(self.per_side_radio, PER_SIDE, "Say how many pixels to add on each side", "expandPerSide")
        describe(self.target_radio, TARGET, "Say the size of the new canvas (or its aspect ratio) and where the "
                 "image sits on it", "expandTarget")
        self._ways = QButtonGroup(self)
        self._ways.addButton(self.per_side_radio)
        self._ways.addButton(self.target_radio)
        self.per_side_radio.setChecked(True)
        controls.addWidget(self.per_side_radio)
        controls.addWidget(self.target_radio)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._sides_page())
        self.pages.addWidget(self._target_page())
        controls.addWidget(self.pages)

        self.size_label = make_label(name="expandSize", wrap=True, scale=1.15)
        self.size_label.setAccessibleName("Size before and after")
        font = self.size_label.font()
        font.setBold(True)
        self.size_label.setFont(font)
        controls.addWidget(self.size_label)
        self.note_label = make_label(name="expandNote", tone="muted", small=True)
        self.note_label.hide()
        controls.addWidget(self.note_label)
        self.problem_label = make_label(name="expandProblem", tone="error")
        self.problem_label.setAccessibleName("What stops Expand")
        controls.addWidget(self.problem_label)
        controls.addStretch(1)
        side = QWidget()
        side.setObjectName("expandControls")
        side.setLayout(controls)
        side.setFixedWidth(max(300, side.sizeHint().width()))
        body.addWidget(side)
        outer.addLayout(body, 1)


        self._ways.buttonToggled.connect(self._way_chosen)

    def _sides_page(self) -> QWidget:
        page = QWidget()
        form = Form(WIDE_LABEL_WIDTH - 30)
        page.setLayout(form)
        self.side_boxes: dict[str, ClampingSpinBox] = {}
        for name in SIDE_NAMES:
            box = ClampingSpinBox()
            box.setRange(0, MAX_SIDE)
            box.setSingleStep(_SIDE_STEP)
            box.setSuffix(" px")
            describe(box, f"Pixels added on the {name}", f"Pixels added on the {name} (0–{MAX_SIDE})",
                     f"expand{name.capitalize()}")
            box.valueChanged.connect(self._changed)
            box.editingFinished.connect(lambda box=box, name=name: self._note_clamp(box, name))
            form.add_row(name.capitalize(), box)
            self.side_boxes[name] = box
        return page

    def _target_page(self) -> QWidget:
        page = QWidget()
        form = Form(WIDE_LABEL_WIDTH - 30)
        page.setLayout(form)
        self.aspect_combo = QComboBox()
        self.aspect_combo.addItems(list(ASPECTS))
        describe(self.aspect_combo, "Aspect ratio", "The new canvas's shape: the smallest canvas of this ratio that "
                 "holds the image (Free: type the size)", "expandAspect")
        self.width_box = ClampingSpinBox()
        self.height_box = ClampingSpinBox()
        for box, name in ((self.width_box, "Width"), (self.height_box, "Height")):
            box.setRange(1, MAX_TARGET)
            box.setSuffix(" px")
            box.setSingleStep(_SIDE_STEP)
            describe(box, f"Canvas {name.lower()}", f"{name} of the new canvas in pixels", f"expand{name}")
        self.anchor_combo = QComboBox()
        self.anchor_combo.addItems(list(ANCHORS))
        describe(self.anchor_combo, "Image placed at", "Where the image sits on the new canvas", "expandAnchor")
        form.add_row("Aspect", self.aspect_combo)
        form.add_row("Width", self.width_box)
        form.add_row("Height", self.height_box)
        form.add_row("Image at", self.anchor_combo)
        self.aspect_combo.currentTextChanged.connect(self._aspect_chosen)
        self.width_box.valueChanged.connect(lambda _v: self._target_typed(self.width_box))
        self.height_box.valueChanged.connect(lambda _v: self._target_typed(self.height_box))
        self.anchor_combo.currentTextChanged.connect(self._changed)
        return page

    # --- the image -------------------------------------------------------------------------------------

    def load_image(self, path: str | Path) -> None:
        """Read ``path`` off the GUI thread; ``imageLoaded(w, h)`` or ``loadFailed(reason)`` follows."""
        self._source.load(path)
        self.preview.show_message(f"Opening {Path(path).name}…")
        self._changed()

    def set_image(self, image: QImage) -> None:
        """Use an image already in memory."""
        self._source.use(image)

    def image_size(self) -> tuple[int, int] | None:
        return self._source.size()

    def _show_picture(self, picture: Picture) -> None:
        width, height = picture.size().width(), picture.size().height()
        if self.target_radio.isChecked():
            if ASPECTS.get(self.aspect_combo.currentText()) is not None:
                self._aspect_chosen(self.aspect_combo.currentText())
            elif self.width_box.value() < width or self.height_box.value() < height:  # a target for another image
                self._set_target_boxes(*grown((width, height), self._box_sides()))
        self._changed()
        self.imageLoaded.emit(width, height)

    def _show_failure(self, reason: str) -> None:
        self.preview.show_message(reason, error=True)
        self._changed()
        self.loadFailed.emit(reason)

    # --- the choice ------------------------------------------------------------------------------------

    def sides(self) -> Sides:
        """``(top, right, bottom, left)`` in pixels. From a target smaller than the image a side is negative
        (``problem()`` says so)."""
        return self._box_sides() if self.per_side_radio.isChecked() else self._target_sides()

    def _box_sides(self) -> Sides:
        top, right, bottom, left = (self.side_boxes[name].value() for name in SIDE_NAMES)
        return (top, right, bottom, left)

    def _target_sides(self) -> Sides:
        size = self.image_size()
        if size is None:
            return (0, 0, 0, 0)
        return sides_for_target(size, (self.width_box.value(), self.height_box.value()),
                                self.anchor_combo.currentText())

    def set_sides(self, top: int, right: int, bottom: int, left: int) -> None:
        """Choose the pixels per side (0–2048 each); switches to “Pixels per side”."""
        values = (top, right, bottom, left)
        for name, value in zip(SIDE_NAMES, values, strict=True):
            if not 0 <= value <= MAX_SIDE:
                raise ValueError(f"{name} must be 0–{MAX_SIDE} px, not {value}")
        self.per_side_radio.setChecked(True)
        for name, value in zip(SIDE_NAMES, values, strict=True):
            box = self.side_boxes[name]
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._changed()

    def set_target(self, width: int, height: int, anchor: str = "Centre") -> None:
        """Choose the new canvas's size and where the image sits on it; switches to “Target size”."""
        if anchor not in ANCHORS:
            raise ValueError(f"unknown anchor {anchor!r}; choose one of {', '.join(ANCHORS)}")
        self.target_radio.setChecked(True)
        self.aspect_combo.setCurrentText("Free")
        self._set_target_boxes(width, height)
        self.anchor_combo.setCurrentText(anchor)
        self._changed()

    def canvas_size(self) -> tuple[int, int] | None:
        """The new canvas's ``(width, height)``; ``None`` without an image."""
        size = self.image_size()
        return None if size is None else grown(size, self.sides())

    def problem(self) -> str | None:
        """What stops Expand from being sent, in plain words; ``None`` when nothing does."""
        size = self.image_size()
        missing = self._source.missing("Open an image to expand")
        if missing is not None or size is None:
            return missing
        return expand_problem(size, self.sides())

    def size_text(self) -> str:
        """``"1024×768 → 1536×768"``; empty without an image."""
        size, canvas = self.image_size(), self.canvas_size()
        if size is None or canvas is None:
            return ""
        return f"{size[0]}×{size[1]} → {canvas[0]}×{canvas[1]}"

    # --- keeping it in step ----------------------------------------------------------------------------

    def _way_chosen(self, _button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        size = self.image_size()
        if self.target_radio.isChecked():
            self.pages.setCurrentIndex(1)
            if size is not None:  # start from the canvas the sides made
                per_side = self._box_sides()
                self.aspect_combo.blockSignals(True)
                self.aspect_combo.setCurrentText("Free")
                self.aspect_combo.blockSignals(False)
                self._set_target_boxes(*grown(size, per_side))
                self.anchor_combo.setCurrentText(_anchor_of(per_side))
        else:
            self.pages.setCurrentIndex(0)
            if size is not None:  # keep the canvas the target made, as far as sides can say it
                for name, value in zip(SIDE_NAMES, self._target_sides(), strict=True):
                    box = self.side_boxes[name]
                    box.blockSignals(True)
                    box.setValue(max(0, min(MAX_SIDE, value)))
                    box.blockSignals(False)
        self._changed()

    def _aspect_chosen(self, aspect: str) -> None:
        ratio = ASPECTS.get(aspect)
        size = self.image_size()
        if ratio is not None and size is not None:
            self._set_target_boxes(*canvas_for_aspect(size, ratio))
        self._changed()

    def _target_typed(self, box: ClampingSpinBox) -> None:
        ratio = ASPECTS.get(self.aspect_combo.currentText())
        if ratio is not None:  # the ratio holds: the other side follows
            a, b = ratio
            if box is self.width_box:
                self._set_box(self.height_box, round(self.width_box.value() * b / a))
            else:
                self._set_box(self.width_box, round(self.height_box.value() * a / b))
        self._changed()

    def _set_target_boxes(self, width: int, height: int) -> None:
        self._set_box(self.width_box, width)
        self._set_box(self.height_box, height)

    @staticmethod
    def _set_box(box: ClampingSpinBox, value: int) -> None:
        box.blockSignals(True)
        box.setValue(max(box.minimum(), min(box.maximum(), value)))
        box.blockSignals(False)

    def _note_clamp(self, box: ClampingSpinBox, name: str) -> None:
        typed = box.take_typed()
        if typed is not None:
            self.note_label.setText(clamp_note(name.capitalize(), typed, box.value(), "Expand"))
            self.note_label.show()

    def _changed(self) -> None:
        if self.sender() in self.side_boxes.values():
            self.note_label.hide()
        sides = self.sides()
        problem = self.problem()
        size = self.image_size()
        self.size_label.setText(self.size_text())
        self.size_label.setVisible(bool(self.size_text()))
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(problem is not None)
        if size is not None:
            self.preview.show_state(self._source.picture(), size, sides, wrong=problem is not None)
        elif self._source.failure() is None and self._source.pending() is None:
            self.preview.show_state(None, None, sides, wrong=False)
            self.preview.show_message("No image yet")
        else:
            self.preview.show_state(None, None, sides, wrong=False)
        if sides != self._emitted:
            self._emitted = sides
            self.sidesChanged.emit(*sides)


def _anchor_of(sides: Sides) -> str:
    """The anchor that best says where sides put the image (even split: the centre)."""
    top, right, bottom, left = sides
    across = "left" if right > 0 and left == 0 else "right" if left > 0 and right == 0 else ""
    down = "top" if bottom > 0 and top == 0 else "bottom" if top > 0 and bottom == 0 else ""
    name = f"{down} {across}".strip().capitalize()
    return name if name in ANCHORS else "Centre"
