"""The model-dependent parameter controls: quality (steps, guidance, …) and output (count, format, safety).

Both remember what the user chose, not what a model defaulted to: switching models keeps a
choice wherever the new model accepts it, and otherwise shows the new model's default. A choice
survives a model that hides the control (steps kept across a detour through FLUX.2 [pro]).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import FloatRange, IntRange, Model
from fluxdesk.core.values import as_bool, as_float, as_int
from fluxdesk.ui.kit.forms import (
    ClampingDoubleSpinBox,
    ClampingSpinBox,
    FieldSlot,
    Form,
    WheelGuard,
    clamp_note,
    describe,
    make_label,
    row,
)

MAX_IMAGES = 24
"""BFL runs at most 24 tasks per account at once; more per submission would only queue."""

FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP"}
UPSAMPLING_NOTE = ("BFL rewrites the prompt; the same seed will not give the same image again, so Reproduce cannot "
                   "promise an identical result.")


def format_name(fmt: str) -> str:
    return FORMAT_NAMES.get(fmt, fmt.upper())


class _ChoiceMemory:
    """The values the user picked, per request field."""

    def __init__(self) -> None:
        self._chosen: dict[str, Any] = {}

    def note(self, field: str, value: Any, default: Any) -> None:
        if value == default:
            self._chosen.pop(field, None)
        else:
            self._chosen[field] = value

    def pick(self, field: str, default: Any, accepts: Callable[[Any], bool]) -> Any:
        value = self._chosen.get(field)
        return value if value is not None and accepts(value) else default


def _int_range_ok(rng: IntRange | None) -> Callable[[int], bool]:
    return lambda v: rng is not None and rng.minimum <= v <= rng.maximum


def _float_range_ok(rng: FloatRange | None) -> Callable[[float], bool]:
    return lambda v: rng is not None and rng.minimum <= v <= rng.maximum


class _ModelControls(QWidget):
    """A form of controls that follow the selected model, remembering what the user picked (``_memory``);
    ``_syncing`` is set while the model, not the user, changes them."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: Model | None = None
        self._memory = _ChoiceMemory()
        self._syncing = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._form = Form()
        layout.addLayout(self._form)


class QualityControls(_ModelControls):
    """Steps, guidance, interval, prompt upsampling and raw: each only where the model takes it.

    Prompt upsampling is off by default on every endpoint that can turn it off, whatever BFL's own default (FLUX.2
    [pro]/[max] and [flex] upsample unless told not to): Reproduce keeps its promise unless the user says otherwise.
    The request says so explicitly, in the endpoint's own field (``Model.upsampling_fields``).
    """

    def __init__(self, guard: WheelGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        self._steps = ClampingSpinBox()
        describe(self._steps, "Steps", "Denoising steps: more is slower and often finer", "stepsSpin")
        self._guidance = self._double_spin("Guidance", "How closely the image follows the prompt", "guidanceSpin")
        self._interval = self._double_spin("Interval", "FLUX.1 [pro] only: the guidance interval", "intervalSpin")
        self._slots: dict[str, FieldSlot] = {}
        for field, label, widget in (("steps", "Steps", self._steps), ("guidance", "Guidance", self._guidance),
                                     ("interval", "Interval", self._interval)):
            widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            guard.guard(widget)
            widget.valueChanged.connect(lambda _v, f=field: self._on_user_change(f))
            widget.editingFinished.connect(lambda f=field, w=widget, lb=label: self._say_if_clamped(f, w, lb))
            self._add_slot(field, label, widget, label)

        self._upsampling = QCheckBox("Prompt upsampling")
        describe(self._upsampling, "Prompt upsampling",
                 "Let BFL rewrite the prompt with more detail before generating. Off by default in FluxDesk: the "
                 "rewritten prompt comes back with the image, but the same seed will not give the same image again",
                 "upsamplingCheck")
        self._upsampling.toggled.connect(lambda _v: self._on_user_change("prompt_upsampling"))
        self._add_slot("prompt_upsampling", "Prompt upsampling", self._upsampling, None)
        self._slots["prompt_upsampling"].add_field("disable_pup", self._upsampling, "Prompt upsampling")
        self._upsampling_note = make_label(UPSAMPLING_NOTE, tone="warning", name="upsamplingWarning", small=True)
        self._upsampling_note_row = self._form.add_row(None, self._upsampling_note)

        self._raw = QCheckBox("Raw mode")
        describe(self._raw, "Raw mode", "Less processed, more natural-looking images (Ultra only)", "rawCheck")
        self._raw.toggled.connect(lambda _v: self._on_user_change("raw"))
        self._add_slot("raw", "Raw mode", self._raw, None)

    def _double_spin(self, name: str, tip: str, object_name: str) -> QDoubleSpinBox:
        spin = ClampingDoubleSpinBox()
        spin.setDecimals(1)
        spin.setSingleStep(0.1)
        describe(spin, name, tip, object_name)
        return spin

    def _add_slot(self, field: str, label: str, widget: QWidget, form_label: str | None) -> None:
        slot = FieldSlot(widget, field)
        slot.add_field(field, widget, label)
        self._slots[field] = slot
        self._form.add_row(form_label, slot)

    def slots(self) -> tuple[FieldSlot, ...]:
        return tuple(self._slots.values())

    def _say_if_clamped(self, field: str, spin: ClampingSpinBox | ClampingDoubleSpinBox, label: str) -> None:
        typed = spin.take_typed()
        if typed is not None and self._model is not None:
            self._slots[field].set_note(clamp_note(label, typed, spin.value(), self._model.name))

    @staticmethod
    def applies_to(model: Model) -> bool:
        return model.upsampling_switchable or any(x is not None for x in (model.steps, model.guidance,
                                                                           model.interval, model.raw))

    def set_model(self, model: Model) -> None:
        self._model = model
        self._syncing = True
        for slot in self._slots.values():
            slot.set_note("")
        try:
            self._setup_int(self._steps, "steps", model.steps)
            self._setup_float(self._guidance, "guidance", model.guidance)
            self._setup_float(self._interval, "interval", model.interval)
            for box, field, shown in ((self._upsampling, "prompt_upsampling", model.upsampling_switchable),
                                      (self._raw, "raw", model.raw is not None)):
                with QSignalBlocker(box):
                    # mypy cannot type a lambda whose parameter has a default (python/mypy#15459)
                    box.setChecked(bool(self._memory.pick(field, False, lambda _v, s=shown: s)))  # type: ignore[misc]
                self._form.setRowVisible(self._slots[field], shown)
        finally:
            self._syncing = False
        self._sync_note()

    def _setup_int(self, spin: QSpinBox, field: str, rng: IntRange | None) -> None:
        self._form.setRowVisible(self._slots[field], rng is not None)
        if rng is None:
            return
        with QSignalBlocker(spin):
            spin.setRange(rng.minimum, rng.maximum)
            spin.setValue(self._memory.pick(field, rng.default, _int_range_ok(rng)))
        spin.setToolTip(f"{spin.accessibleName()}: {rng.minimum} to {rng.maximum}, default {rng.default}")

    def _setup_float(self, spin: QDoubleSpinBox, field: str, rng: FloatRange | None) -> None:
        self._form.setRowVisible(self._slots[field], rng is not None)
        if rng is None:
            return
        with QSignalBlocker(spin):
            spin.setRange(rng.minimum, rng.maximum)
            spin.setValue(self._memory.pick(field, rng.default, _float_range_ok(rng)))
        spin.setToolTip(f"{spin.accessibleName()}: {rng.minimum:g} to {rng.maximum:g}, default {rng.default:g}")

    def values(self) -> dict[str, Any]:
        """Request fields for the model in use; fields it does not take are left out (``None``)."""
        m = self._model
        if m is None:
            return {}
        return {
            "steps": self._steps.value() if m.steps else None,
            "guidance": round(self._guidance.value(), 2) if m.guidance else None,
            "interval": round(self._interval.value(), 2) if m.interval else None,
            "prompt_upsampling": None,
            "disable_pup": None,
            **m.upsampling_fields(self._upsampling.isChecked()),
            "raw": self._raw.isChecked() if m.raw is not None else None,
        }

    def upsampling(self) -> bool:
        """Whether prompt upsampling is asked for (always ``False`` where the model has no switch)."""
        return self._model is not None and self._model.upsampling_switchable and self._upsampling.isChecked()

    def load(self, settings: Mapping[str, Any]) -> None:
        """Take whichever of the quality fields in ``settings`` the model accepts; ignore the rest."""
        m = self._model
        if m is None:
            return
        steps = as_int(settings.get("steps"), text=True)
        if steps is not None and _int_range_ok(m.steps)(steps):
            self._steps.setValue(steps)
        for spin, field, rng in ((self._guidance, "guidance", m.guidance), (self._interval, "interval", m.interval)):
            number = as_float(settings.get(field), text=True)
            if number is not None and _float_range_ok(rng)(number):
                spin.setValue(number)
        upsampling = as_bool(settings.get("prompt_upsampling"))
        disabled = as_bool(settings.get("disable_pup"))
        if disabled is not None:
            upsampling = not disabled
        if upsampling is not None and m.upsampling_switchable:
            self._upsampling.setChecked(upsampling)
        raw = as_bool(settings.get("raw"))
        if raw is not None and m.raw is not None:
            self._raw.setChecked(raw)

    def _on_user_change(self, field: str) -> None:
        if self._syncing or self._model is None:
            return
        self._slots[field].set_note("")
        m = self._model
        current = self.upsampling() if field == "prompt_upsampling" else self.values()[field]
        defaults = {"steps": m.steps.default if m.steps else None,
                    "guidance": m.guidance.default if m.guidance else None,
                    "interval": m.interval.default if m.interval else None,
                    "prompt_upsampling": False, "raw": m.raw}
        self._memory.note(field, current, defaults[field])
        self._sync_note()
        self.changed.emit()

    def _sync_note(self) -> None:
        self._form.setRowVisible(self._upsampling_note_row, self.upsampling())


class OutputControls(_ModelControls):
    """How many images, in which file format, at which safety tolerance."""

    def __init__(self, guard: WheelGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = self._form

        self._count = ClampingSpinBox()
        self._count.setRange(1, MAX_IMAGES)
        self._count.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        describe(self._count, "Number of images",
                 f"Images per submission, 1 to {MAX_IMAGES}. Each is a separate job, billed on its own",
                 "countSpin")
        guard.guard(self._count)
        self._count.valueChanged.connect(self._on_count_changed)
        self._count.editingFinished.connect(self._say_if_count_clamped)
        self._count_slot = FieldSlot(self._count, "count")
        form.add_row("Images", self._count_slot)

        self._format_choice: str | None = None
        self._format = QComboBox()
        self._format.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        describe(self._format, "Output format", "File format BFL delivers; FluxDesk keeps its pixels as sent",
                 "formatCombo")
        guard.guard(self._format)
        self._format.currentIndexChanged.connect(self._on_format_changed)
        self._format_slot = FieldSlot(self._format, "outputFormat")
        self._format_slot.add_field("output_format", self._format, "Output format")
        form.add_row("Format", self._format_slot)

        self._safety = QSlider(Qt.Orientation.Horizontal)
        self._safety.setTickPosition(QSlider.TickPosition.TicksBelow)
        self._safety.setPageStep(1)
        describe(self._safety, "Safety tolerance", "Moderation of input and output: 0 is the strictest",
                 "safetySlider")
        guard.guard(self._safety)
        self._safety.valueChanged.connect(self._on_safety_changed)
        self._safety_value = make_label(name="safetyValueLabel", wrap=False)
        self._safety_value.setMinimumWidth(96)
        self._safety_slot = FieldSlot(row(self._safety, self._safety_value), "safetyTolerance")
        self._safety_slot.add_field("safety_tolerance", self._safety, "Safety tolerance")
        # Rarely changed: it lives in the panel's folding "More options" card, not in this form.
        self.more = QWidget()
        more_form = Form()
        self.more.setLayout(more_form)
        more_form.add_row("Safety", self._safety_slot)

    def slots(self) -> tuple[FieldSlot, ...]:
        return self._format_slot, self._safety_slot

    def _on_count_changed(self, _count: int) -> None:
        self._count_slot.set_note("")
        self.changed.emit()

    def _say_if_count_clamped(self) -> None:
        typed = self._count.take_typed()
        if typed is not None:
            note = clamp_note("Images", typed, self._count.value(), "one submission")
            if typed > MAX_IMAGES:
                note += f" (BFL runs {MAX_IMAGES} tasks at once per account)"
            self._count_slot.set_note(note)

    def count(self) -> int:
        return self._count.value()

    def set_count(self, count: int) -> None:
        self._count.setValue(max(1, min(MAX_IMAGES, count)))

    def set_model(self, model: Model) -> None:
        self._model = model
        self._syncing = True
        try:
            with QSignalBlocker(self._format):
                # What the user sees is their choice even if they never touched it: a model that also
                # delivers it keeps it (JPEG stays JPEG on Kontext, whose own default is PNG).
                wanted = self._format_choice or self._format.currentData() or model.default_output_format
                self._format_choice = wanted
                self._format.clear()
                for fmt in model.output_formats:
                    self._format.addItem(format_name(fmt), fmt)
                chosen = wanted if wanted in model.output_formats else model.default_output_format
                self._format.setCurrentIndex(self._format.findData(chosen))
            self._format_slot.set_note(
                "" if chosen == wanted else f"{model.name} does not deliver {format_name(wanted)}: set to "
                                            f"{format_name(chosen)}, its default", "info")
            rng = model.safety_tolerance
            with QSignalBlocker(self._safety):
                self._safety.setRange(rng.minimum, rng.maximum)
                self._safety.setValue(self._memory.pick("safety_tolerance", rng.default, _int_range_ok(rng)))
            self._safety.setToolTip(f"Moderation of input and output: {rng.minimum} is the strictest, "
                                    f"{rng.maximum} the most permissive; default {rng.default}")
        finally:
            self._syncing = False
        self._sync_safety_label()

    def values(self) -> dict[str, Any]:
        if self._model is None:
            return {}
        return {"output_format": self._format.currentData(), "safety_tolerance": self._safety.value()}

    def load(self, settings: Mapping[str, Any]) -> None:
        m = self._model
        if m is None:
            return
        fmt = settings.get("output_format")
        if isinstance(fmt, str) and fmt.lower() in m.output_formats:
            self._format.setCurrentIndex(self._format.findData(fmt.lower()))
            self._format_choice = fmt.lower()
            self._format_slot.set_note("")
        safety = as_int(settings.get("safety_tolerance"), text=True)
        if safety is not None and _int_range_ok(m.safety_tolerance)(safety):
            self._safety.setValue(safety)

    def _on_format_changed(self, _index: int) -> None:
        if self._syncing or self._model is None:
            return
        self._format_choice = self._format.currentData()
        self._format_slot.set_note("")
        self.changed.emit()

    def _on_safety_changed(self, value: int) -> None:
        self._sync_safety_label()
        if self._syncing or self._model is None:
            return
        self._memory.note("safety_tolerance", value, self._model.safety_tolerance.default)
        self.changed.emit()

    def _sync_safety_label(self) -> None:
        if self._model is None:
            return
        rng = self._model.safety_tolerance
        value = self._safety.value()
        word = {rng.minimum: "strictest", rng.default: "default", rng.maximum: "most permissive"}.get(value, "")
        self._safety_value.setText(f"{value} · {word}" if word else str(value))

    def more_summary(self) -> str:
        """What the folded "More options" hold, for its closed heading."""
        return f"Safety {self._safety_value.text()}"
