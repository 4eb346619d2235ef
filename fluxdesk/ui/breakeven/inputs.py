"""The break-even calculator's inputs: the API price, the GPU, and the user's usage.

Every change emits ``changed`` at once (there is no Apply button). Spin boxes hold floats; the values
go to the calculator as the ``Decimal`` of what the box shows, so typed figures stay exact.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core import breakeven as be
from fluxdesk.core.catalog import DEFAULT_MODEL_ID, MODELS, Pricing, get_model
from fluxdesk.core.pricing import PriceTable, PriceTableError, estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.ui.breakeven.presets import Preset, PresetLike, merged_presets, overrides_of
from fluxdesk.ui.kit.forms import Form, describe, make_label, row
from fluxdesk.ui.kit.money import US_LOCALE, MoneySpinBox, price, usd
from fluxdesk.ui.kit.surfaces import TitledCard

DEFAULT_VOLUME = 1_000
"""The volume shown when the user has made no images lately."""
MAX_VOLUME = 100_000_000
CUSTOM = "custom"


def model_prices(table: PriceTable) -> list[tuple[str, str, Decimal]]:
    """``(model id, name, dollars per image)`` for every model, FLUX.2 at 1 MP (1024 × 1024)."""
    out = []
    for model in MODELS:
        try:
            price = estimate(GenerationRequest(model.id, "x"), table).usd_per_image
        except (PriceTableError, ValueError):
            continue
        out.append((model.id, model.name, price))
    return out


def spin_decimal(spin: QDoubleSpinBox) -> Decimal:
    """The value as the box shows it: ``0.69``, not the float ``0.6899999…``."""
    return Decimal(str(round(spin.value(), spin.decimals())))


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _money_spin(decimals: int, maximum: float, step: float, suffix: str, name: str) -> MoneySpinBox:
    spin = MoneySpinBox(decimals)
    spin.setObjectName(name)
    spin.setRange(0, maximum)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


def _group(title: str, name: str) -> tuple[QFrame, Form]:
    """An input card: its labels as wide as they need (three cards share the width), fields not inset."""
    box = TitledCard(title, name)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    form = Form(label_width=0, pad=False)
    box.body.addLayout(form)
    box.body.addStretch(1)
    return box, form


class BreakEvenInputsPanel(QWidget):
    """The three input cards. ``inputs()`` and ``volume()`` read them; ``changed`` says they moved."""

    changed = Signal()
    presetsSaved = Signal(list)
    """Every editable preset, as ``GpuPresetOverride``s for ``Settings.gpu_presets``."""

    def __init__(self, price_table: PriceTable, gpu_presets: list[PresetLike] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._table = price_table
        self._presets: list[Preset] = merged_presets(gpu_presets)
        self._user_volume: int | None = None
        self._follow_user = True
        self._quiet = 0
        """Above 0 while the panel sets its own fields: those changes are not the user's."""
        layout_row = row(self._build_api(), self._build_gpu(), self._build_usage(), spacing=10)
        layout_row.layout().setAlignment(Qt.AlignmentFlag.AlignTop)  # type: ignore[union-attr]  # row() sets one
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(layout_row)
        for spin in (self.price_spin, self.hourly_spin, self.rate_spin, self.volume_spin, self.overhead_spin):
            # Spin boxes refuse to shrink below their widest value by default: let the cards share the width.
            spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._fill_models()
        self._fill_presets(1)  # the source article's RTX 4090, secure cloud
        self._show_volume_note()
        self._show_formula()

    # --- building ---------------------------------------------------------------------------------

    def _build_api(self) -> QWidget:
        box, form = _group("API price per image", "apiInputs")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        describe(self.model_combo, "Model", "Take the price of one image from the price table "
                 "(FLUX.2 models at 1 megapixel, 1024 × 1024)", "modelCombo")
        self.price_spin = _money_spin(4, 10.0, 0.005, "", "apiPrice")
        describe(self.price_spin, "API price per image", "US dollars per image at the API; typing a price "
                 "switches the model to Custom", "apiPrice")
        self.price_note = make_label(tone="muted", name="priceNote", small=True)
        form.add_row(None, self.model_combo)  # the card's heading names it; the whole width shows every model's name
        form.add_row("Per image", self.price_spin)
        form.add_row(None, self.price_note)
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        self.price_spin.valueChanged.connect(self._price_typed)
        return box

    def _build_gpu(self) -> QWidget:
        box, form = _group("Self-hosted GPU", "gpuInputs")
        self.preset_combo = QComboBox()
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        describe(self.preset_combo, "GPU preset", "Start from a rented GPU's price and speed. The RTX 4090 rows "
                 "are the source article's; A100 and H100 are yours to edit and save", "presetCombo")
        self.hourly_spin = _money_spin(3, 1000.0, 0.01, " an hour", "gpuHourly")
        describe(self.hourly_spin, "GPU price per hour", "What renting the GPU costs per hour", "gpuHourly")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setLocale(US_LOCALE)
        self.rate_spin.setDecimals(0)
        self.rate_spin.setRange(1, 1_000_000)
        self.rate_spin.setSingleStep(10)
        self.rate_spin.setSuffix(" images/h")
        self.rate_spin.setGroupSeparatorShown(True)
        self.rate_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        describe(self.rate_spin, "Images per hour", "How many images the GPU makes in an hour with your model "
                 "and settings", "gpuRate")
        self.save_preset_button = QPushButton("Save preset")
        describe(self.save_preset_button, "Save preset", "Keep these figures as the selected preset",
                 "savePreset")
        self.save_preset_button.setEnabled(False)
        self.formula_label = make_label(name="formulaLabel", small=True)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.add_row(None, self.preset_combo)  # the card's heading names it; the whole width shows every preset's price
        form.add_row("Price", self.hourly_spin)
        form.add_row("Speed", self.rate_spin)
        form.add_row(None, self.formula_label)
        form.add_row(None, row(1, self.save_preset_button))
        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        self.hourly_spin.valueChanged.connect(self._gpu_typed)
        self.rate_spin.valueChanged.connect(self._gpu_typed)
        self.save_preset_button.clicked.connect(self._save_preset)
        return box

    def _build_usage(self) -> QWidget:
        box, form = _group("Your usage", "usageInputs")
        self.volume_spin = QSpinBox()
        self.volume_spin.setLocale(US_LOCALE)
        self.volume_spin.setRange(0, MAX_VOLUME)
        self.volume_spin.setSingleStep(100)
        self.volume_spin.setGroupSeparatorShown(True)
        self.volume_spin.setSuffix(" a month")
        self.volume_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        describe(self.volume_spin, "Monthly volume", "Images a month: by default what you made in the last "
                 "30 days", "volumeSpin")
        self.use_mine_button = QPushButton("Use my volume")
        describe(self.use_mine_button, "Use my volume", "Go back to the images you made in the last 30 days",
                 "useMyVolume")
        self.volume_note = make_label(tone="muted", name="volumeNote", small=True)
        self.overhead_spin = _money_spin(2, 10_000_000.0, 100, " a month", "overhead")
        describe(self.overhead_spin, "Engineering overhead", "Your time and everything else self-hosting costs "
                 "a month besides the GPU", "overhead")
        self.on_demand_radio = QRadioButton("On demand")
        describe(self.on_demand_radio, "On demand", "Pay only for the GPU hours the images take (the source "
                 "article's assumption)", "onDemand")
        self.always_on_radio = QRadioButton("Always on")
        describe(self.always_on_radio, "Always on", "Rent whole GPUs for the month (730 hours each); a volume "
                 "needs as many as its images take", "alwaysOn")
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.on_demand_radio)
        self.mode_group.addButton(self.always_on_radio)
        self.on_demand_radio.setChecked(True)
        form.add_row("Volume", self.volume_spin)
        form.add_row(None, row(self.volume_note, 1, self.use_mine_button))
        form.add_row("Overhead", self.overhead_spin)
        modes = QWidget()
        modes_layout = QVBoxLayout(modes)
        modes_layout.setContentsMargins(0, 0, 0, 0)
        modes_layout.setSpacing(2)
        modes_layout.addWidget(self.on_demand_radio)
        modes_layout.addWidget(self.always_on_radio)
        form.add_row("GPUs", modes)
        self.volume_spin.setValue(DEFAULT_VOLUME)
        self.volume_spin.valueChanged.connect(self._volume_typed)
        self.use_mine_button.clicked.connect(self.use_my_volume)
        self.overhead_spin.valueChanged.connect(lambda _v: self._changed())
        self.mode_group.buttonToggled.connect(lambda _b, on: self._changed() if on else None)
        return box

    # --- reading ----------------------------------------------------------------------------------

    def inputs(self) -> be.BreakEvenInputs:
        mode = be.Mode.ALWAYS_ON if self.always_on_radio.isChecked() else be.Mode.ON_DEMAND
        return be.BreakEvenInputs(api_price=spin_decimal(self.price_spin), gpu_hourly=spin_decimal(self.hourly_spin),
                                  images_per_hour=spin_decimal(self.rate_spin),
                                  overhead_monthly=spin_decimal(self.overhead_spin), mode=mode)

    def volume(self) -> int:
        return self.volume_spin.value()

    def presets(self) -> list[Preset]:
        return list(self._presets)

    def user_volume(self) -> int | None:
        """Images the user made in the last 30 days, as the window last said (``None``: not known)."""
        return self._user_volume

    # --- setting ----------------------------------------------------------------------------------

    def set_price_table(self, table: PriceTable) -> None:
        self._table = table
        self._fill_models()
        self._changed()

    def set_api_model(self, model_id: str) -> None:
        """Price the API at ``model_id``'s catalog price."""
        index = self.model_combo.findData(model_id)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    def set_user_volume(self, images_per_month: int | None) -> None:
        self._user_volume = images_per_month
        if self._follow_user:
            self._apply_user_volume()
        self._show_volume_note()

    def use_my_volume(self) -> None:
        self._follow_user = True
        self._apply_user_volume()
        self._show_volume_note()

    def _apply_user_volume(self) -> None:
        wanted = self._user_volume if self._user_volume else DEFAULT_VOLUME
        self._quiet += 1
        try:
            self.volume_spin.setValue(min(wanted, MAX_VOLUME))
        finally:
            self._quiet -= 1
        self._changed()

    def _fill_models(self) -> None:
        chosen = self.model_combo.currentData() if self.model_combo.count() else DEFAULT_MODEL_ID
        self._quiet += 1
        try:
            self.model_combo.clear()
            for model_id, name, per_image in model_prices(self._table):
                self.model_combo.addItem(f"{name} · {price(per_image)}", model_id)
                index = self.model_combo.count() - 1
                self.model_combo.setItemData(index, per_image, Qt.ItemDataRole.UserRole + 1)
                flux2 = get_model(model_id).pricing is Pricing.MEGAPIXEL
                tip = f"{name}: {price(per_image)} per image" + (" at 1 MP (1024 × 1024)" if flux2 else "")
                self.model_combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
            self.model_combo.addItem("Custom price", CUSTOM)
            index = self.model_combo.findData(chosen)
            self.model_combo.setCurrentIndex(index if index >= 0 else 0)
        finally:
            self._quiet -= 1
        self._model_chosen(self.model_combo.currentIndex())

    def _fill_presets(self, select: int) -> None:
        self._quiet += 1
        try:
            self.preset_combo.clear()
            for preset in self._presets:
                self.preset_combo.addItem(f"{preset.name} · {price(preset.hourly_usd)}/h", preset.name)
                tip = (f"{preset.name}: {price(preset.hourly_usd)}/hour at {_number(preset.images_per_hour)} "
                       f"images/hour" + ("" if preset.editable else " (the source article's figures)"))
                self.preset_combo.setItemData(self.preset_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            self.preset_combo.addItem("Custom GPU", CUSTOM)
        finally:
            self._quiet -= 1
        self.preset_combo.setCurrentIndex(select)
        self._preset_chosen(select)

    # --- reacting ---------------------------------------------------------------------------------

    def _changed(self) -> None:
        if not self._quiet:
            self._show_formula()
            self.changed.emit()

    def _model_chosen(self, index: int) -> None:
        per_image = self.model_combo.itemData(index, Qt.ItemDataRole.UserRole + 1)
        if self._quiet or per_image is None:
            self._show_price_note()
            return
        self._quiet += 1
        try:
            self.price_spin.setValue(float(per_image))
        finally:
            self._quiet -= 1
        self._show_price_note()
        self._changed()

    def _price_typed(self, _value: float) -> None:
        if self._quiet:
            return
        self._quiet += 1
        try:
            self.model_combo.setCurrentIndex(self.model_combo.findData(CUSTOM))
        finally:
            self._quiet -= 1
        self._show_price_note()
        self._changed()

    def _show_price_note(self) -> None:
        model_id = self.model_combo.currentData()
        if model_id == CUSTOM:
            self.price_note.setText("A price of your own")
        else:
            per_megapixel = get_model(model_id).pricing is Pricing.MEGAPIXEL
            self.price_note.setText(f"From the price table of {self._table.as_of}"
                                    + (", at 1 MP" if per_megapixel else ""))

    def _selected_preset(self) -> Preset | None:
        index = self.preset_combo.currentIndex()
        return self._presets[index] if 0 <= index < len(self._presets) else None

    def _preset_chosen(self, _index: int) -> None:
        preset = self._selected_preset()
        if self._quiet or preset is None:
            self._sync_save_button()
            return
        self._quiet += 1
        try:
            self.hourly_spin.setValue(float(preset.hourly_usd))
            self.rate_spin.setValue(float(preset.images_per_hour))
        finally:
            self._quiet -= 1
        self._sync_save_button()
        self._changed()

    def _gpu_typed(self, _value: float) -> None:
        if self._quiet:
            return
        preset = self._selected_preset()
        if preset is not None and not preset.editable and not self._matches(preset):
            # The article's figures are not edited in place: the typed ones are a custom GPU.
            self._quiet += 1
            try:
                self.preset_combo.setCurrentIndex(self.preset_combo.findData(CUSTOM))
            finally:
                self._quiet -= 1
        self._sync_save_button()
        self._changed()

    def _matches(self, preset: Preset) -> bool:
        return (spin_decimal(self.hourly_spin) == preset.hourly_usd
                and spin_decimal(self.rate_spin) == preset.images_per_hour)

    def _sync_save_button(self) -> None:
        preset = self._selected_preset()
        if preset is not None and preset.editable:
            self.save_preset_button.setEnabled(not self._matches(preset))
            self.save_preset_button.setToolTip(f"Keep these figures as the {preset.name} preset")
        else:
            self.save_preset_button.setEnabled(False)
            self.save_preset_button.setToolTip("The RTX 4090 rows are the source article's; choose A100 or "
                                               "H100 to save your own figures")

    def _save_preset(self) -> None:
        index = self.preset_combo.currentIndex()
        preset = self._selected_preset()
        if preset is None or not preset.editable:
            return
        self._presets[index] = replace(preset, hourly_usd=spin_decimal(self.hourly_spin),
                                       images_per_hour=spin_decimal(self.rate_spin))
        self._fill_presets(index)
        self.presetsSaved.emit(overrides_of(self._presets))

    def _volume_typed(self, _value: int) -> None:
        if self._quiet:
            return
        self._follow_user = False
        self._show_volume_note()
        self._changed()

    def _show_volume_note(self) -> None:
        mine = self._user_volume
        if self._follow_user:
            if mine is None:
                text = "Your own volume is not known yet"
            elif mine == 0:
                text = f"No images in the last 30 days: showing {DEFAULT_VOLUME:,} a month"
            else:
                text = "Your last 30 days"
        else:
            text = "Your last 30 days: " + (f"{mine:,} images" if mine else "none")
        self.volume_note.setText(text)
        self.use_mine_button.setEnabled(not self._follow_user)

    def _show_formula(self) -> None:
        inputs = self.inputs()
        text = (f"{price(inputs.gpu_hourly)}/h ÷ {_number(inputs.images_per_hour)} images/h "
                f"= {price(inputs.gpu_cost_per_image)} per image")
        if inputs.mode is be.Mode.ALWAYS_ON:
            text += (f"\nAlways on: {usd(inputs.gpu_monthly)} a month per GPU (730 h), "
                     f"up to {_number(inputs.capacity_per_gpu)} images")
        self.formula_label.setText(text)
