"""The mask editor: paint over the part of a picture to remake, and choose how it is remade (Fill, or a FLUX.2
local edit whose crop box is outlined as the mask grows).

It knows nothing of models, prices or requests: the dialog that holds it asks what it needs (``mask_png``,
``crop_box``, ``send_blocker``), listens to ``maskChanged`` and ``modeChanged``, hands in the crop-box rule, and
puts its own price and Send button beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QUndoStack
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSpinBox, QToolBar, QToolButton, QVBoxLayout, QWidget

from fluxdesk.ui.kit.forms import describe, make_label
from fluxdesk.ui.kit.theme import set_tone
from fluxdesk.ui.mask.actions import MaskActions
from fluxdesk.ui.mask.brush import MAX_SIZE, MIN_SIZE, Dab, make_dab
from fluxdesk.ui.mask.canvas import ZOOM_STEP, MaskCanvas
from fluxdesk.ui.mask.layer import MaskLayer
from fluxdesk.ui.mask.loading import Picture, PictureSource

FILL, LOCAL_EDIT = "Fill", "FLUX.2 local edit"
MODES = (FILL, LOCAL_EDIT)
_MODE_TIPS = {
    FILL: "Send the whole image and the mask; the model repaints what is painted",
    LOCAL_EDIT: "Send only a crop around the paint to FLUX.2 and blend the result back through the mask",
}
Box = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in image pixels, right and bottom exclusive (as Pillow's boxes)."""
CropBoxRule = Callable[[Box, tuple[int, int]], Box]
DEFAULT_SIZE, DEFAULT_HARDNESS = 60, 0.7
_SIZE_STEP = 1.25
_HARDNESS_STEP = 0.1


class MaskEditor(QWidget):
    """The image, its mask and the tools to paint it."""

    modeChanged = Signal(str)
    maskChanged = Signal(bool)  # has paint; after each finished stroke, fill, invert, clear, undo and redo
    imageLoaded = Signal(int, int)  # width, height
    loadFailed = Signal(str)  # why, in words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskEditor")
        self._layer = MaskLayer(self)
        self._source = PictureSource(self)
        self._source.loaded.connect(self._show_picture)
        self._source.failed.connect(self._show_failure)
        self._mode = FILL
        self._rule: CropBoxRule | None = None
        self._crop: tuple[tuple[Box, tuple[int, int]], Box] | None = None  # (what the rule was asked, its answer)
        self._size, self._hardness = DEFAULT_SIZE, DEFAULT_HARDNESS
        self._last_paint_tool = "brush"

        self.canvas = MaskCanvas(self._layer)
        self.commands = MaskActions(self, self._layer.undo_stack)
        self._build()
        self._connect()
        self._apply_brush()
        self._set_picture(None, "No image yet")

    # --- building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.mode_combo = QComboBox()
        for mode in MODES:
            self.mode_combo.addItem(mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, _MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        describe(self.mode_combo, "How the painted part is remade", "How the painted part is remade: "
                 + "; ".join(f"{mode}: {tip.lower()}" for mode, tip in _MODE_TIPS.items()), "maskMode")
        mode_label = make_label("Remake with", wrap=False)
        mode_label.setBuddy(self.mode_combo)
        self.status_label = make_label(name="maskStatus", tone="muted", wrap=False)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(mode_label)
        header.addWidget(self.mode_combo)
        header.addStretch(1)
        header.addWidget(self.status_label)
        layout.addLayout(header)

        self.toolbar = QToolBar("Mask tools")
        self.toolbar.setObjectName("maskToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setIconSize(QSize(16, 16))
        c = self.commands
        for action in (c.brush, c.eraser, c.hand):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.size_box = QSpinBox()
        self.size_box.setRange(MIN_SIZE, MAX_SIZE)
        self.size_box.setSuffix(" px")
        describe(self.size_box, "Brush size", "Brush size in image pixels ([ smaller, ] larger)", "maskBrushSize")
        self.hardness_box = QSpinBox()
        self.hardness_box.setRange(0, 100)
        self.hardness_box.setSuffix(" %")
        describe(self.hardness_box, "Brush hardness", "Hardness of the brush's edge: 100 % is crisp, 0 % fades "
                 "from the centre ({ softer, } harder)", "maskBrushHardness")
        for text, box in (("Size", self.size_box), ("Hardness", self.hardness_box)):
            label = make_label(text, wrap=False)
            label.setBuddy(box)
            label.setContentsMargins(6, 0, 4, 0)
            self.toolbar.addWidget(label)
            self.toolbar.addWidget(box)
        self.toolbar.addSeparator()
        for action in (c.fill, c.invert, c.clear):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (c.undo, c.redo):
            self.toolbar.addAction(action)
        layout.addWidget(self.toolbar)

        layout.addWidget(self.canvas, 1)

        view = QHBoxLayout()
        view.setSpacing(4)
        hint = make_label("Space-drag or middle-drag pans · Ctrl+wheel zooms · X swaps brush and eraser",
                          tone="muted", small=True, wrap=False, name="maskHint")
        view.addWidget(hint)
        view.addStretch(1)
        self.zoom_label = make_label(name="maskZoom", wrap=False)
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("3200%") + 8)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for item in (c.zoom_out, self.zoom_label, c.zoom_in, c.fit, c.actual_size):
            if isinstance(item, QWidget):
                view.addWidget(item)
                continue
            button = QToolButton()
            button.setDefaultAction(item)
            button.setAutoRaise(True)
            button.setObjectName(f"mask{item.text().replace(' ', '').replace('%', 'Percent')}Button")
            view.addWidget(button)
        layout.addLayout(view)


    def _connect(self) -> None:
        c = self.commands
        c.brush.triggered.connect(lambda: self.set_tool("brush"))
        c.eraser.triggered.connect(lambda: self.set_tool("eraser"))
        c.hand.triggered.connect(self._toggle_hand)
        c.swap.triggered.connect(self._swap)
        c.smaller.triggered.connect(lambda: self.set_brush_size(min(self._size - 1, round(self._size / _SIZE_STEP))))
        c.larger.triggered.connect(lambda: self.set_brush_size(max(self._size + 1, round(self._size * _SIZE_STEP))))
        c.softer.triggered.connect(lambda: self.set_hardness(round(self._hardness - _HARDNESS_STEP, 2)))
        c.harder.triggered.connect(lambda: self.set_hardness(round(self._hardness + _HARDNESS_STEP, 2)))
        c.fill.triggered.connect(self._layer.fill)
        c.invert.triggered.connect(self._layer.invert)
        c.clear.triggered.connect(self._layer.clear)
        c.zoom_in.triggered.connect(lambda: self.canvas.zoom_by(ZOOM_STEP))
        c.zoom_out.triggered.connect(lambda: self.canvas.zoom_by(1 / ZOOM_STEP))
        c.fit.triggered.connect(self.canvas.fit)
        c.actual_size.triggered.connect(lambda: self.canvas.set_zoom(1.0))
        self.size_box.valueChanged.connect(self.set_brush_size)
        self.hardness_box.valueChanged.connect(lambda percent: self.set_hardness(percent / 100))
        self.mode_combo.currentTextChanged.connect(self.set_mode)
        self.canvas.zoomChanged.connect(self._show_zoom)
        self._layer.changed.connect(self._mask_moved)
        self._layer.settled.connect(self._mask_settled)
        self._layer.stroking.connect(self._refresh)

    # --- the image -------------------------------------------------------------------------------------

    def load_image(self, path: str | Path) -> None:
        """Read ``path`` off the GUI thread and show it with an empty mask; ``imageLoaded(w, h)`` follows, or
        ``loadFailed(reason)`` with the reason shown in the canvas (a missing, broken or foreign file)."""
        self._source.load(path)
        self._set_picture(None, f"Opening {Path(path).name}…")

    def set_image(self, image: QImage) -> None:
        """Show an image already in memory (decoded on this thread), with an empty mask."""
        self._source.use(image)

    def image_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the image shown (EXIF orientation applied), ``None`` without one."""
        return self._source.size()

    def loading(self) -> bool:
        return self._source.pending() is not None

    def message(self) -> str:
        """What the canvas says in place of an image (empty while one is shown)."""
        return self.canvas.message()

    def _show_picture(self, picture: Picture) -> None:
        self._set_picture(picture)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        size = picture.size()
        self.imageLoaded.emit(size.width(), size.height())

    def _show_failure(self, reason: str) -> None:
        self._set_picture(None, reason, error=True)
        self.loadFailed.emit(reason)

    def _set_picture(self, picture: Picture | None, message: str = "", *, error: bool = False) -> None:
        """Show ``picture`` (or ``message`` in its place) with an empty mask and no history."""
        self._crop = None
        self.canvas.set_picture(picture, message, error=error)
        self._layer.reset(picture.size() if picture is not None else QSize())  # settles: the editor refreshes

    # --- tools -----------------------------------------------------------------------------------------

    def tool(self) -> str:
        """``"brush"``, ``"eraser"`` or ``"hand"``."""
        return self.canvas.tool()

    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        if tool != "hand":
            self._last_paint_tool = tool
        c = self.commands
        {"brush": c.brush, "eraser": c.eraser, "hand": c.hand}[tool].setChecked(True)

    def _toggle_hand(self) -> None:
        self.set_tool(self._last_paint_tool if self.tool() == "hand" else "hand")

    def _swap(self) -> None:
        self.set_tool("eraser" if self._last_paint_tool == "brush" else "brush")

    def brush_size(self) -> int:
        """The brush's diameter in image pixels."""
        return self._size

    def set_brush_size(self, size: int) -> None:
        self._size = max(MIN_SIZE, min(MAX_SIZE, int(size)))
        self._apply_brush()

    def hardness(self) -> float:
        """0 (the edge fades from the centre) to 1 (a crisp edge)."""
        return self._hardness

    def set_hardness(self, hardness: float) -> None:
        self._hardness = max(0.0, min(1.0, float(hardness)))
        self._apply_brush()

    def _apply_brush(self) -> None:
        dab: Dab = make_dab(self._size, self._hardness)
        self.canvas.set_brush(dab)
        for box, value in ((self.size_box, self._size), (self.hardness_box, round(self._hardness * 100))):
            if box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)

    # --- mode and crop box -----------------------------------------------------------------------------

    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """``"Fill"`` or ``"FLUX.2 local edit"``."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if self.mode_combo.currentText() != mode:
            self.mode_combo.setCurrentText(mode)  # comes back here through currentTextChanged
            return
        if mode == self._mode:
            return
        self._mode = mode
        self._refresh()
        self.modeChanged.emit(mode)

    def set_crop_box_rule(self, rule: CropBoxRule | None) -> None:
        """How a local edit's crop follows the mask: ``rule(mask_bounds, (width, height)) -> box`` (boxes as
        ``(left, top, right, bottom)``, right and bottom exclusive). Asked again whenever the mask's bounds change."""
        self._rule = rule
        self._crop = None
        self._refresh()

    def crop_box(self) -> Box | None:
        """The crop a local edit sends, from the rule; ``None`` in Fill mode, without a rule or without paint."""
        if self._mode != LOCAL_EDIT or self._rule is None:
            return None
        bounds, size = self.mask_bounds(), self.image_size()
        if bounds is None or size is None:
            return None
        asked = (bounds, size)
        if self._crop is None or self._crop[0] != asked:
            box = tuple(int(v) for v in self._rule(bounds, size))
            if len(box) != 4:
                raise ValueError(f"the crop-box rule answered {box!r}, not (left, top, right, bottom)")
            self._crop = (asked, (box[0], box[1], box[2], box[3]))
        return self._crop[1]

    # --- the mask --------------------------------------------------------------------------------------

    def has_paint(self) -> bool:
        return self._layer.bounds() is not None

    def mask_bounds(self) -> Box | None:
        """``(left, top, right, bottom)`` of the painted pixels (right and bottom exclusive), ``None`` without paint."""
        bounds = self._layer.bounds()
        return None if bounds is None else _box(bounds)

    def mask_image(self) -> QImage:
        """A copy of the mask: Grayscale8, the image's size, white = repaint, black = keep (grey: a soft edge)."""
        return self._layer.image().copy()

    def mask_png(self) -> bytes:
        """The mask as PNG bytes (8-bit grey)."""
        if self._layer.image().isNull():
            raise ValueError("there is no mask without an image")
        return self._layer.png()

    def send_blocker(self) -> str | None:
        """Why the mask cannot be sent yet, in plain words; ``None`` when it can."""
        missing = self._source.missing("Open an image to paint on")
        if missing is not None:
            return missing
        if not self.has_paint():
            return "Paint over the part of the image to remake"
        return None

    def undo_stack(self) -> QUndoStack:
        """The strokes and edits, for a dialog's Edit menu (``commands.undo`` and ``commands.redo`` are its actions)."""
        return self._layer.undo_stack

    def _mask_moved(self, _rect: QRect) -> None:
        if self._layer.stamping():
            self._refresh()

    def _mask_settled(self) -> None:
        self._refresh()
        self.maskChanged.emit(self.has_paint())

    # --- what the editor says --------------------------------------------------------------------------

    def _refresh(self) -> None:
        box = self.crop_box()
        self.canvas.set_crop_box(None if box is None else _rect(box), self._mode == LOCAL_EDIT)
        self._show_status(box)
        c = self.commands
        has_image = self.canvas.picture() is not None
        for action in (*c.tools.actions(), c.swap, c.zoom_in, c.zoom_out, c.fit, c.actual_size):
            action.setEnabled(has_image)
        # While a stroke is painted nothing else may change the mask under it (a key pressed mid-drag)
        free = has_image and not self._layer.stamping()
        c.fill.setEnabled(free)
        c.invert.setEnabled(free)
        c.clear.setEnabled(free and self.has_paint())
        stack = self._layer.undo_stack
        c.undo.setEnabled(not self._layer.stamping() and stack.canUndo())
        c.redo.setEnabled(not self._layer.stamping() and stack.canRedo())
        self.size_box.setEnabled(has_image)
        self.hardness_box.setEnabled(has_image)
        self.zoom_label.setVisible(has_image)

    def _show_status(self, box: Box | None) -> None:
        size = self.image_size()
        blocker = self.send_blocker()
        if size is None or blocker is not None:
            text, tone = blocker or "", "muted"
        elif self._mode == LOCAL_EDIT and box is not None:
            text, tone = f"Sends a {box[2] - box[0]}×{box[3] - box[1]} crop of the {size[0]}×{size[1]} image", "info"
        else:
            left, top, right, bottom = self.mask_bounds() or (0, 0, 0, 0)
            text, tone = f"Repaints within {right - left}×{bottom - top} of the {size[0]}×{size[1]} image", "info"
        self.status_label.setText(text)
        set_tone(self.status_label, tone)

    def _show_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%" if scale >= 0.1 else f"{scale * 100:.1f}%")


def _box(rect: QRect) -> Box:
    return (rect.left(), rect.top(), rect.left() + rect.width(), rect.top() + rect.height())


def _rect(box: Box) -> QRect:
    left, top, right, bottom = box
    return QRect(left, top, right - left, bottom - top)
