"""Output size: W×H with presets for dimension-sized models, an aspect-ratio picker for the others.

With reference images, the size can follow image 1: "Match image 1" takes its aspect ratio at the chosen
megapixels, and is the choice while the user has not picked a size. A model sized by ratio that follows its input
(Kontext) is sent no ratio at all, and says what to expect instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Signal
from PySide6.QtGui import QRegularExpressionValidator, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from fluxdesk.core.catalog import (
    ASPECT_PRESETS,
    MEGAPIXEL,
    AspectRatioSize,
    DimensionSize,
    Model,
    Pricing,
    megapixels,
    megapixels_text,
    parse_aspect_ratio,
    started_megapixels,
)
from fluxdesk.core.request import output_size_following
from fluxdesk.ui.generate.drops import HandOnImageDrags
from fluxdesk.ui.kit.forms import (
    ClampingSpinBox,
    FieldSlot,
    Form,
    IconButton,
    WheelGuard,
    describe,
    make_label,
    paint_swap,
    row,
)

RATIO_TOLERANCE = 0.025
"""A snapped size still counts as 16:9 when its ratio is within 2.5 % of it."""

TIER_TOLERANCE = 0.12
CUSTOM = "Custom"
MATCH = "match"
"""The preset that takes image 1's aspect ratio."""
MATCH_TEXT = "Match image 1"


@dataclass(frozen=True)
class SizeTier:
    label: str
    megapixels: float | None
    """``None``: the largest size the model allows at the chosen ratio."""


def tiers_for(size: DimensionSize) -> tuple[SizeTier, ...]:
    """Size presets: by megapixels up to the pixel cap (FLUX.2), or up to the side limit (FLUX.1)."""
    if size.max_pixels is not None:
        cap = size.max_pixels / MEGAPIXEL
        return tuple(SizeTier(f"~{mp:g} MP", float(mp)) for mp in (1, 2, 4) if mp <= cap)
    return SizeTier("~0.5 MP", 0.5), SizeTier("~1 MP", 1.0), SizeTier("Largest", None)


def max_side(size: DimensionSize) -> int:
    """The largest side a spin box should offer: the per-side limit, or what the pixel cap allows."""
    if size.maximum is not None:
        return size.maximum - size.maximum % size.step
    assert size.max_pixels is not None
    longest = size.max_pixels // size.minimum
    return longest - longest % size.step


def size_for(ratio: Fraction, megapixels: float | None, size: DimensionSize) -> tuple[int, int]:
    """The accepted size closest to ``ratio`` at about ``megapixels``, never above it.

    Staying at or under the tier matters for FLUX.2: every started megapixel is billed, so a
    "2 MP" preset that came out at 2.01 MP would cost a third megapixel.
    """
    r = float(ratio)
    area: float | None
    if megapixels is None:
        limit = max_side(size)
        width, height = (limit, limit / r) if r >= 1 else (limit * r, limit)
        area = size.max_pixels
    else:
        area = megapixels * MEGAPIXEL
        if size.max_pixels is not None:
            area = min(area, size.max_pixels)
        width, height = math.sqrt(area * r), math.sqrt(area / r)
    longest = max(width, height)
    if size.maximum is not None and longest > size.maximum:
        width, height = width * size.maximum / longest, height * size.maximum / longest
    w, h = size.snap_size(round(width), round(height))
    while area is not None and w * h > area:
        if w / h >= r and w - size.step >= size.minimum:
            w -= size.step
        elif h - size.step >= size.minimum:
            h -= size.step
        else:
            break
    return w, h


def size_ok(width: int, height: int, size: DimensionSize) -> bool:
    if not (size.side_ok(width) and size.side_ok(height)):
        return False
    return size.max_pixels is None or width * height <= size.max_pixels


def fit_size(width: int, height: int, size: DimensionSize) -> tuple[int, int]:
    """``width`` × ``height`` if the model takes it, else the nearest it takes at the same ratio."""
    if size_ok(width, height, size):
        return width, height
    w, h = float(max(width, 1)), float(max(height, 1))
    if size.maximum is not None and max(w, h) > size.maximum:
        scale = size.maximum / max(w, h)
        w, h = w * scale, h * scale
    if size.max_pixels is not None and w * h > size.max_pixels:
        scale = math.sqrt(size.max_pixels / (w * h))
        w, h = w * scale, h * scale
    return size.snap_size(round(w), round(h))


def matching_ratio(width: int, height: int, presets: tuple[str, ...] = ASPECT_PRESETS) -> str | None:
    """The preset that ``width`` × ``height`` is (after snapping) closest to, if any is close."""
    actual = width / height
    for preset in presets:
        ratio = parse_aspect_ratio(preset)
        if ratio is not None and abs(actual / float(ratio) - 1) <= RATIO_TOLERANCE:
            return preset
    return None


def ratio_words(width: int, height: int) -> str:
    """``"4:3"`` for a size close to a common ratio, else the nearest small ratio (``"7:5"``)."""
    preset = matching_ratio(width, height)
    if preset is not None:
        return preset
    ratio = Fraction(width, height).limit_denominator(12)
    return f"{ratio.numerator}:{ratio.denominator}"


def follows_input(model: Model) -> bool:
    """A model sized by ratio whose output takes its input image's ratio when sent none (Kontext)."""
    return not model.takes_dimensions and model.takes_references and not model.image_prompt


class SizePicker(QWidget):
    """Width, height and presets, or an aspect ratio, following the model in use."""

    changed = Signal()

    def __init__(self, guard: WheelGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: Model | None = None
        self._syncing = False
        self._match_source: tuple[int, int] | None = None
        """Image 1's size, while references are sent."""
        self._matching = False
        """The size follows image 1 ("Match image 1")."""
        self._user_sized = False
        """The user picked a size: references do not change it on their own."""
        self._following = False
        """A model sized by ratio follows its input: no ratio is sent."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Two boxes rather than rows hidden in one form: a form still counts hidden rows in its size hint.
        self._dims_box = self._build_dimension_rows(guard)
        self._aspect_box = self._build_aspect_rows(guard)
        layout.addWidget(self._dims_box)
        layout.addWidget(self._aspect_box)

    # -- construction -------------------------------------------------------------------------------

    def _build_dimension_rows(self, guard: WheelGuard) -> QWidget:
        self._preset_combo = QComboBox()
        describe(self._preset_combo, "Aspect ratio preset",
                 "Fill width and height for this aspect ratio at the chosen size", "aspectPresetCombo")
        self._tier_combo = QComboBox()
        describe(self._tier_combo, "Size preset",
                 "Fill width and height for about this many megapixels at the chosen aspect ratio",
                 "sizeTierCombo")
        for combo in (self._preset_combo, self._tier_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            guard.guard(combo)
        self._preset_combo.activated.connect(self._on_preset_chosen)
        self._tier_combo.activated.connect(self._on_tier_chosen)
        box = QWidget()
        form = Form()
        box.setLayout(form)
        form.add_row("Preset", row(self._preset_combo, self._tier_combo))

        self._width = self._dimension_spin("Width", "widthSpin", guard)
        self._height = self._dimension_spin("Height", "heightSpin", guard)
        self._swap = IconButton(paint_swap)
        describe(self._swap, "Swap width and height", "Swap width and height (portrait ⇄ landscape)",
                 "swapButton")
        self._swap.clicked.connect(self.swap)
        times = make_label("×", wrap=False)
        times.setAccessibleName("by")
        self._dims_slot = FieldSlot(row(self._width, times, self._height, self._swap), "size")
        self._dims_slot.add_field("width", self._width, "Width")
        self._dims_slot.add_field("height", self._height, "Height")
        form.add_row("Pixels", self._dims_slot)
        self._width.editingFinished.connect(lambda: self._finish_side(self._width, self._height))
        self._height.editingFinished.connect(lambda: self._finish_side(self._height, self._width))

        self._mp_label = make_label(tone="muted", name="megapixelsLabel", small=True)
        self._mp_label.setAccessibleName("Megapixels")
        form.add_row("", self._mp_label)
        return box

    def _dimension_spin(self, name: str, object_name: str, guard: WheelGuard) -> ClampingSpinBox:
        spin = ClampingSpinBox()
        spin.setSuffix(" px")
        spin.setAccelerated(True)
        spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        spin.setMinimumWidth(78)
        describe(spin, name, f"{name} in pixels; snapped to what the model accepts when you leave the field",
                 object_name)
        spin.valueChanged.connect(self._on_dimensions_changed)
        guard.guard(spin)
        return spin

    def _build_aspect_rows(self, guard: WheelGuard) -> QWidget:
        self._aspect_combo = QComboBox()
        self._aspect_combo.setEditable(True)
        self._aspect_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._aspect_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        validator = QRegularExpressionValidator(QRegularExpression(r"\s*\d{1,4}\s*:\s*\d{1,4}\s*"), self)
        self._aspect_combo.setValidator(validator)
        describe(self._aspect_combo, "Aspect ratio",
                 "Width:height of the image; pick one or type your own, e.g. 5:4", "aspectRatioCombo")
        self._aspect_combo.currentTextChanged.connect(self._on_aspect_text_changed)
        line = self._aspect_combo.lineEdit()
        assert line is not None  # the combo is editable
        line.setAccessibleName("Aspect ratio")
        line.editingFinished.connect(self._tidy_aspect_text)
        line.installEventFilter(HandOnImageDrags(line))
        guard.guard(self._aspect_combo)
        self._aspect_slot = FieldSlot(self._aspect_combo, "aspectRatio")
        self._aspect_slot.add_field("aspect_ratio", self._aspect_combo, "Aspect ratio")
        box = QWidget()
        form = Form()
        box.setLayout(form)
        self._aspect_row = form.add_row("Aspect", self._aspect_slot)
        self._approx_label = make_label(tone="muted", name="approxMegapixelsLabel", small=True)
        self._approx_row = form.add_row("", self._approx_label)
        self._follow_label = make_label(tone="info", name="followsInputLabel")
        self._follow_label.setAccessibleName("Output size")
        self._follow_row = form.add_row("Aspect", self._follow_label)
        form.setRowVisible(self._follow_row, False)
        self._aspect_form = form
        return box

    # -- model --------------------------------------------------------------------------------------

    def slots(self) -> tuple[FieldSlot, ...]:
        return self._dims_slot, self._aspect_slot

    def set_model(self, model: Model) -> None:
        """Follow ``model``, keeping the user's size (or its ratio) where the new model can take it."""
        old = self._model
        self._syncing = True
        note = ""
        try:
            if isinstance(model.size, DimensionSize):
                target = self._carry_dimensions(old, model.size)
                if old is not None and isinstance(old.size, DimensionSize) and not self._matching:
                    current = (self._width.value(), self._height.value())
                    if current != (old.size.default_width, old.size.default_height) and current != target:
                        note = (f"{model.name} does not take {current[0]} × {current[1]} px: set to "
                                f"{target[0]} × {target[1]}, the nearest it takes at this ratio")
                self._model = model
                self._setup_dimensions(model.size)
                self._set_spins(*target)
                if self._matching and self._match_source is not None:
                    self._set_spins(*self._match_size(self._nearest_tier()))
            elif isinstance(model.size, AspectRatioSize):  # an editing tool (sized by its image) is never picked here
                ratio = self._carry_ratio(old, model.size)
                self._model = model
                self._setup_aspect(model.size)
                self._aspect_combo.setEditText(ratio)
            self._show_mode(model)
            self._show_following(model)
        finally:
            self._syncing = False
        self._dims_slot.set_note(note, "info")
        self._sync_labels()
        self.changed.emit()

    def _carry_dimensions(self, old: Model | None, size: DimensionSize) -> tuple[int, int]:
        default = (size.default_width, size.default_height)
        if old is None:
            return default
        if isinstance(old.size, DimensionSize):
            current = (self._width.value(), self._height.value())
            if current == (old.size.default_width, old.size.default_height):
                return default
            return fit_size(*current, size)
        if not isinstance(old.size, AspectRatioSize):
            return default
        text = self.aspect_ratio()
        ratio = parse_aspect_ratio(text) if text else None
        if ratio is None or text == old.size.default:
            return default
        return size_for(ratio, 1.0, size)

    def _carry_ratio(self, old: Model | None, size: AspectRatioSize) -> str:
        if old is None:
            return size.default
        if isinstance(old.size, AspectRatioSize):
            text = self.aspect_ratio()
            ratio = parse_aspect_ratio(text) if text else None
            if text != old.size.default and ratio is not None and size.accepts(ratio):
                return text or size.default
            return size.default
        current = (self._width.value(), self._height.value())
        if not isinstance(old.size, DimensionSize) or current == (old.size.default_width, old.size.default_height):
            return size.default
        return matching_ratio(*current, self._accepted_presets(size)) or size.default

    @staticmethod
    def _accepted_presets(size: AspectRatioSize) -> tuple[str, ...]:
        return tuple(p for p in size.presets if (r := parse_aspect_ratio(p)) is not None and size.accepts(r))

    def _setup_dimensions(self, size: DimensionSize) -> None:
        top = max_side(size)
        for spin in (self._width, self._height):
            with QSignalBlocker(spin):
                spin.setRange(size.minimum, top)
                spin.setSingleStep(size.step)
        rule = (f"multiples of {size.step} from {size.minimum} to {top} px"
                if size.max_pixels is None
                else f"multiples of {size.step}, at least {size.minimum} px, at most "
                     f"{size.max_pixels / MEGAPIXEL:g} MP in all")
        self._dims_slot.setToolTip(f"Width × height: {rule}")
        with QSignalBlocker(self._preset_combo):
            self._preset_combo.clear()
            if self._match_source is not None:
                self._preset_combo.addItem(MATCH_TEXT, MATCH)
            for preset in ASPECT_PRESETS:
                self._preset_combo.addItem(preset, preset)
            self._add_custom_item(self._preset_combo)
        with QSignalBlocker(self._tier_combo):
            self._tier_combo.clear()
            for tier in tiers_for(size):
                self._tier_combo.addItem(tier.label, tier.megapixels)
            self._add_custom_item(self._tier_combo)

    @staticmethod
    def _add_custom_item(combo: QComboBox) -> None:
        # Shown when the size matches no preset; it cannot be picked, it only says so.
        combo.addItem(CUSTOM, None)
        model = combo.model()
        if isinstance(model, QStandardItemModel):
            model.item(combo.count() - 1).setEnabled(False)

    def _setup_aspect(self, size: AspectRatioSize) -> None:
        with QSignalBlocker(self._aspect_combo):
            self._aspect_combo.clear()
            self._aspect_combo.addItems(list(self._accepted_presets(size)))
        widest, tallest = "{}:{}".format(*size.widest), "{}:{}".format(*size.tallest)
        self._aspect_slot.setToolTip(f"Any W:H from {widest} (wide) to {tallest} (tall)")
        self._approx_label.setText(f"≈{size.approx_megapixels:g} MP output; the model picks the exact "
                                   "pixel size for the ratio")

    def _show_mode(self, model: Model) -> None:
        self._dims_box.setVisible(model.takes_dimensions)
        self._aspect_box.setVisible(not model.takes_dimensions)

    # -- values -------------------------------------------------------------------------------------

    def dimensions(self) -> tuple[int, int] | None:
        if self._model is None or not self._model.takes_dimensions:
            return None
        return self._width.value(), self._height.value()

    def aspect_ratio(self) -> str | None:
        if self._model is None or self._model.takes_dimensions or self._following:
            return None
        return "".join(self._aspect_combo.currentText().split())

    def set_dimensions(self, width: int, height: int) -> None:
        """Set W×H, snapped to what the model takes; ignored for aspect-ratio models. A size other than the model's
        default is the user's: references no longer change it on their own."""
        if self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        size = self._model.size
        if (width, height) != (size.default_width, size.default_height):
            self._picked()
        self._set_spins(*size.snap_size(width, height))

    # -- following image 1 --------------------------------------------------------------------------

    def set_reference(self, size: tuple[int, int] | None) -> None:
        """Image 1's size (``None``: no reference is sent). While the user has not picked a size, the output takes
        its ratio ("Match image 1"); a model that follows its input is sent no ratio. Emits nothing: the panel asks
        this while it builds the request."""
        if size == self._match_source:
            return
        self._match_source = size
        model = self._model
        if model is None:
            return
        self._syncing = True
        try:
            if isinstance(model.size, DimensionSize):
                self._follow_dimensions(model.size)
            self._show_following(model)
        finally:
            self._syncing = False

    def _follow_dimensions(self, size: DimensionSize) -> None:
        has_item = self._preset_combo.findData(MATCH) >= 0
        if self._match_source is not None and not has_item:
            with QSignalBlocker(self._preset_combo):
                self._preset_combo.insertItem(0, MATCH_TEXT, MATCH)
        elif self._match_source is None and has_item:
            with QSignalBlocker(self._preset_combo):
                self._preset_combo.removeItem(self._preset_combo.findData(MATCH))
        if self._match_source is None:
            if self._matching:
                self._matching = False
                if not self._user_sized:
                    self._set_spins(size.default_width, size.default_height)
        else:
            if not self._user_sized:
                self._matching = True
            if self._matching:
                self._set_spins(*self._match_size(self._current_tier()))
        self._sync_labels()

    def matching(self) -> bool:
        """The output takes image 1's ratio."""
        return self._matching and self._match_source is not None

    def following_input(self) -> bool:
        """No ratio is sent: the model follows image 1's."""
        return self._following

    def _match_size(self, tier: SizeTier) -> tuple[int, int]:
        assert self._model is not None and isinstance(self._model.size, DimensionSize)
        assert self._match_source is not None
        size, (w, h) = self._model.size, self._match_source
        if tier.megapixels is None:
            return size_for(Fraction(w, h), None, size)
        pixels = int(tier.megapixels * MEGAPIXEL)
        if size.max_pixels is not None:
            pixels = min(pixels, size.max_pixels)
        return output_size_following(self._model, w, h, pixels)

    def _show_following(self, model: Model) -> None:
        self._following = follows_input(model) and self._match_source is not None
        form = self._aspect_form
        form.setRowVisible(self._aspect_row, not self._following)
        form.setRowVisible(self._approx_row, not self._following)
        form.setRowVisible(self._follow_row, self._following)
        if self._following and self._match_source is not None and isinstance(model.size, AspectRatioSize):
            self._follow_label.setText(f"The output follows image 1's ratio (about "
                                       f"{ratio_words(*self._match_source)}, ~{model.size.approx_megapixels:g} MP)")

    def _picked(self) -> None:
        """The user chose a size of their own."""
        self._user_sized = True
        self._matching = False

    def set_ratio(self, text: str) -> bool:
        """Set the aspect ratio (aspect models) or fill W×H at that ratio (dimension models)."""
        ratio = parse_aspect_ratio(text) if isinstance(text, str) else None
        if ratio is None or self._model is None:
            return False
        size = self._model.size
        if isinstance(size, AspectRatioSize):
            if not size.accepts(ratio):
                return False
            self._aspect_combo.setEditText("".join(text.split()))
            return True
        if not isinstance(size, DimensionSize):
            return False
        self._picked()
        self._set_spins(*size_for(ratio, self._current_tier().megapixels, size))
        return True

    def swap(self) -> None:
        if self.dimensions() is None:
            return
        self._picked()
        self._set_spins(self._height.value(), self._width.value())

    # -- reactions ----------------------------------------------------------------------------------

    def _set_spins(self, width: int, height: int) -> None:
        with QSignalBlocker(self._width), QSignalBlocker(self._height):
            self._width.setValue(width)
            self._height.setValue(height)
        self._on_dimensions_changed(typed=False)

    def _finish_side(self, spin: ClampingSpinBox, other: QSpinBox) -> None:
        """Snap the side the user typed to what the model takes, and say so under the field if it changed."""
        if self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        typed = spin.take_typed()
        typed_side = round(typed) if typed is not None else spin.value()
        self._snap_side(spin, other)
        if typed_side != spin.value():
            self._dims_slot.set_note(self._side_note(spin, typed_side, other))

    def _side_note(self, spin: QSpinBox, typed: int, other: QSpinBox) -> str:
        assert self._model is not None and isinstance(self._model.size, DimensionSize)
        size, name, final = self._model.size, self._model.name, spin.value()
        label, other_label = spin.accessibleName(), other.accessibleName().lower()
        if typed < size.minimum:
            return f"{label} {typed} is less than {name} takes: set to {final}, the minimum"
        if size.maximum is not None and typed > size.maximum:
            return f"{label} {typed} is more than {name} takes: set to {final}, the maximum"
        if size.max_pixels is not None and typed * other.value() > size.max_pixels:
            return (f"{label} {typed} with {other_label} {other.value()} is "
                    f"{megapixels_text(typed, other.value())}, more than the {size.max_pixels / MEGAPIXEL:g} MP "
                    f"{name} takes: set to {final}")
        return f"{label} {typed} is not a multiple of {size.step}, which {name} needs: set to {final}"

    def _snap_side(self, spin: QSpinBox, other: QSpinBox) -> None:
        if self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        size = self._model.size
        value = size.snap(spin.value())
        if size.max_pixels is not None and value * other.value() > size.max_pixels:
            limit = size.max_pixels // other.value()
            value = max(size.minimum, limit - limit % size.step)
        if value != spin.value():
            spin.setValue(value)

    def _on_dimensions_changed(self, _value: int = 0, *, typed: bool = True) -> None:
        if self._syncing:
            return
        if typed:  # the user changed a side: the size is theirs now
            self._picked()
        self._dims_slot.set_note("")
        self._sync_labels()
        self.changed.emit()

    def _on_aspect_text_changed(self, _text: str) -> None:
        if not self._syncing:
            self.changed.emit()

    def _tidy_aspect_text(self) -> None:
        text = self._aspect_combo.currentText()
        tidy = "".join(text.split())
        if tidy != text:
            self._aspect_combo.setEditText(tidy)

    def _current_tier(self) -> SizeTier:
        index = self._tier_combo.currentIndex()
        data = self._tier_combo.itemData(index)
        if index >= 0 and self._tier_combo.itemText(index) != CUSTOM:
            return SizeTier(self._tier_combo.itemText(index), data)
        return self._nearest_tier()

    def _nearest_tier(self) -> SizeTier:
        assert self._model is not None and isinstance(self._model.size, DimensionSize)
        tiers = tiers_for(self._model.size)
        mp = megapixels(self._width.value(), self._height.value())
        sized = [t for t in tiers if t.megapixels is not None]  # mypy does not carry this into the lambda
        return min(sized, key=lambda t: abs(math.log(mp / t.megapixels))) if sized else tiers[0]  # type: ignore[operator]

    def _on_preset_chosen(self, index: int) -> None:
        preset = self._preset_combo.itemData(index)
        if preset == MATCH:
            if self._match_source is not None and self._model is not None:
                self._matching = True
                self._set_spins(*self._match_size(self._current_tier()))
            return
        ratio = parse_aspect_ratio(preset) if isinstance(preset, str) else None
        if ratio is None or self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        self._picked()
        self._set_spins(*size_for(ratio, self._current_tier().megapixels, self._model.size))

    def _on_tier_chosen(self, index: int) -> None:
        if self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        if self._tier_combo.itemText(index) == CUSTOM:
            return
        if self.matching():
            self._set_spins(*self._match_size(SizeTier(self._tier_combo.itemText(index),
                                                       self._tier_combo.itemData(index))))
            return
        self._picked()
        preset = self._preset_combo.currentData()
        ratio = parse_aspect_ratio(preset) if isinstance(preset, str) else None
        if ratio is None:
            ratio = Fraction(self._width.value(), self._height.value())
        self._set_spins(*size_for(ratio, self._tier_combo.itemData(index), self._model.size))

    def _sync_labels(self) -> None:
        """Point the preset combos at what W×H now is, and update the megapixels line."""
        if self._model is None or not isinstance(self._model.size, DimensionSize):
            return
        size = self._model.size
        w, h = self._width.value(), self._height.value()
        preset = MATCH if self.matching() else matching_ratio(w, h)
        with QSignalBlocker(self._preset_combo):
            index = self._preset_combo.findData(preset) if preset else -1
            self._preset_combo.setCurrentIndex(index if index >= 0 else self._preset_combo.count() - 1)
        with QSignalBlocker(self._tier_combo):
            self._tier_combo.setCurrentIndex(self._matching_tier_index(w, h, size))
        text = f"{w} × {h} px · {megapixels_text(w, h)}"
        if self._model.pricing is Pricing.MEGAPIXEL:
            billed = started_megapixels(w * h)
            text += f" · billed as {billed} MP"
        self._mp_label.setText(text)

    def _matching_tier_index(self, w: int, h: int, size: DimensionSize) -> int:
        mp = megapixels(w, h)
        for index, tier in enumerate(tiers_for(size)):
            if tier.megapixels is None:
                if max(w, h) >= max_side(size) - size.step:
                    return index
            elif abs(mp / tier.megapixels - 1) <= TIER_TOLERANCE:
                return index
        return self._tier_combo.count() - 1

