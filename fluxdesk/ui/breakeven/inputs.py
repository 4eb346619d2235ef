"""The break-even calculator's inputs: the API side, the self-hosted side, and the user's usage.

What the user set is kept as ``BreakEvenSettings`` (``settings()``; ``None`` fields: not set); every field shown
is derived from it and the defaults (``choice.resolve``), so "Reset to defaults" is ``BreakEvenSettings()`` and a
default that moves (the user's last 30 days, read later) moves every field that follows it. Every change emits
``changed`` at once (there is no Apply button); the user's own changes emit ``settingsChanged`` too, for the
window to save. Spin boxes hold floats; the values go to the calculator as the ``Decimal`` of what the box
shows, so typed figures stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core import breakeven as be
from fluxdesk.core.catalog import MODELS, DimensionSize, display_name, get_model
from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.providers import BFL, ProviderTable, billing_words
from fluxdesk.core.selfhost import SelfHostTable, commercial_words
from fluxdesk.storage.settings import MAX_BREAKEVEN_VOLUME, MAX_SIDE, MAX_STEPS, BreakEvenSettings
from fluxdesk.storage.spend import ModelUsage
from fluxdesk.ui.breakeven.choice import CUSTOM, DEFAULT_VOLUME, Resolved, resolve
from fluxdesk.ui.kit.forms import Form, describe, make_label, row
from fluxdesk.ui.kit.money import US_LOCALE, MoneySpinBox, price
from fluxdesk.ui.kit.surfaces import TitledCard
from fluxdesk.ui.kit.theme import set_tone


def spin_decimal(spin: QDoubleSpinBox) -> Decimal:
    """The value as the box shows it: ``0.69``, not the float ``0.6899999…``."""
    return Decimal(str(round(spin.value(), spin.decimals())))


def number(value: Decimal) -> str:
    """``Decimal("11.00")`` → ``"11"``, ``Decimal("1234.5")`` → ``"1,234.5"``."""
    return f"{value.normalize():,f}"


def _money_spin(decimals: int, maximum: float, step: float, suffix: str, name: str) -> MoneySpinBox:
    spin = MoneySpinBox(decimals)
    spin.setObjectName(name)
    spin.setRange(0, maximum)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


def _int_spin(minimum: int, maximum: int, step: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setLocale(US_LOCALE)
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


def _group(title: str, name: str) -> tuple[TitledCard, Form]:
    """An input card: its labels as wide as they need (three cards share the width), fields not inset."""
    box = TitledCard(title, name)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    form = Form(label_width=0, pad=False)
    box.body.addLayout(form)
    box.body.addStretch(1)
    return box, form


def offer_text(provider: str, usd: Decimal) -> str:
    return f"{provider} · {price(usd)}"


class BreakEvenInputsPanel(QWidget):
    """The three input cards. ``resolved()`` reads them; ``changed`` says they moved; ``settingsChanged`` carries
    what the user set (``BreakEvenSettings``) after each of their changes; ``reset_action`` puts every input back
    to its default."""

    changed = Signal()
    settingsChanged = Signal(object)

    def __init__(self, price_table: PriceTable, providers: ProviderTable, self_host: SelfHostTable,
                 settings: BreakEvenSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prices = price_table
        self._providers = providers
        self._self_host = self_host
        self._chosen = settings or BreakEvenSettings()
        self._usage: list[ModelUsage] | None = None
        self._quiet = 0
        """Above 0 while the panel sets its own fields: those changes are not the user's."""
        self.reset_action = QAction("Reset to defaults", self)
        self.reset_action.setObjectName("resetBreakEven")
        self.reset_action.setToolTip("Every input back to its default: your last 30 days, BFL's price, the "
                                     "table's GPU and speed, $3,000 of overhead a month, on demand at 60%")
        self.reset_action.triggered.connect(lambda _checked=False: self.reset())
        cards = row(self._build_api(), self._build_gpu(), self._build_usage(), spacing=10)
        cards.layout().setAlignment(Qt.AlignmentFlag.AlignTop)  # type: ignore[union-attr]  # row() sets one
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(cards)
        for spin in (self.price_spin, self.hourly_spin, self.speed_spin, self.volume_spin, self.overhead_spin,
                     self.width_spin, self.height_spin, self.steps_spin, self.utilisation_spin):
            # Spin boxes refuse to shrink below their widest value by default: let the cards share the width.
            spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            spin.setMinimumWidth(0)
        self._fill_models()
        self._fill_gpus()
        self._resolved = self._resolve()
        self._show()

    # --- building ---------------------------------------------------------------------------------

    def _build_api(self) -> QWidget:
        box, form = _group("API", "apiInputs")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        describe(self.model_combo, "API model", "The model you use at the API: priced from the price table, and "
                 "compared with the open-weights model you would run instead", "modelCombo")
        self.width_spin = _int_spin(16, MAX_SIDE, 16, "")
        describe(self.width_spin, "Width", "Output width in pixels: FLUX.2 is priced by the megapixel, and "
                 "self-hosted time grows with the pixels", "widthSpin")
        self.height_spin = _int_spin(16, MAX_SIDE, 16, "")
        describe(self.height_spin, "Height", "Output height in pixels", "heightSpin")
        for spin in (self.width_spin, self.height_spin):
            spin.setKeyboardTracking(False)  # a size counts once typed, not at every digit
        times = make_label("×", wrap=False)
        times.setAccessibleName("by")
        self.provider_combo = QComboBox()
        self.provider_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        describe(self.provider_combo, "Provider", "Who sells the API side: BFL, or another provider of the same "
                 "model at its own price (FluxDesk still sends to BFL only)", "providerCombo")
        self.price_spin = _money_spin(4, 10.0, 0.005, "", "apiPrice")
        describe(self.price_spin, "API price per image", "US dollars per image at the API; typing a price makes "
                 "it a price of your own", "apiPrice")
        self.price_note = make_label(tone="muted", name="priceNote", small=True)
        form.add_row(None, self.model_combo)  # the card's heading names it; the whole width shows every model's name
        for spin in (self.width_spin, self.height_spin):
            spin.setMaximumWidth(spin.fontMetrics().horizontalAdvance("16,384") + 48)  # no wider on a wide window
        form.add_row("Size", row(self.width_spin, times, self.height_spin, 1, spacing=4))
        form.add_row("At", self.provider_combo)
        form.add_row("Per image", self.price_spin)
        form.add_row(None, self.price_note)
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        self.width_spin.valueChanged.connect(lambda _v: self._size_typed())
        self.height_spin.valueChanged.connect(lambda _v: self._size_typed())
        self.provider_combo.currentIndexChanged.connect(self._provider_chosen)
        self.price_spin.valueChanged.connect(self._price_typed)
        return box

    def _build_gpu(self) -> QWidget:
        box, form = _group("Self-hosted", "gpuInputs")
        self.gpu_card = box
        """Its title names the open-weights model that would run (the verdict card says why, and its licence)."""
        self.gpu_combo = QComboBox()
        self.gpu_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        describe(self.gpu_combo, "GPU", "A rented GPU's price and published speed, from the self-hosting table",
                 "gpuCombo")
        self.hourly_spin = _money_spin(3, 1000.0, 0.01, " an hour", "gpuHourly")
        describe(self.hourly_spin, "GPU price per hour", "What renting the GPU costs per hour", "gpuHourly")
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setObjectName("speedSpin")
        self.speed_spin.setLocale(US_LOCALE)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setRange(0, 3600)
        self.speed_spin.setSingleStep(0.1)
        self.speed_spin.setSuffix(" s")
        self.speed_spin.setSpecialValueText("enter a speed")
        self.speed_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        describe(self.speed_spin, "Seconds per image", "Seconds the GPU takes for one image at 1024 × 1024 and the "
                 "model's default steps; scaled to your size and steps", "speedSpin")
        self.speed_note = make_label(tone="muted", name="speedNote", small=True)
        self.formula_label = make_label(name="formulaLabel", small=True)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.add_row(None, self.gpu_combo)  # the card's heading names it; the whole width shows every GPU's price
        form.add_row("Price", self.hourly_spin)
        form.add_row("Speed", self.speed_spin)
        form.add_row(None, self.speed_note)
        form.add_row(None, self.formula_label)
        self.gpu_combo.currentIndexChanged.connect(self._gpu_chosen)
        self.hourly_spin.valueChanged.connect(self._hourly_typed)
        self.speed_spin.valueChanged.connect(self._speed_typed)
        return box

    def _build_usage(self) -> QWidget:
        box, form = _group("Your usage", "usageInputs")
        self.reset_button = QToolButton()
        self.reset_button.setDefaultAction(self.reset_action)
        self.reset_button.setAutoRaise(True)
        self.reset_button.setObjectName("resetButton")
        box.header.addStretch(1)
        box.header.addWidget(self.reset_button)
        self.volume_spin = _int_spin(0, MAX_BREAKEVEN_VOLUME, 100, " a month")
        self.volume_spin.setGroupSeparatorShown(True)
        describe(self.volume_spin, "Monthly volume", "Images a month: by default what you made with this model in "
                 "the last 30 days", "volumeSpin")
        self.use_mine_button = QPushButton("Use my usage")
        describe(self.use_mine_button, "Use my usage", "Go back to the volume, size and steps of your last 30 days",
                 "useMyUsage")
        self.volume_note = make_label(tone="muted", name="volumeNote", small=True)
        self.steps_spin = _int_spin(0, MAX_STEPS, 1, " steps")
        self.steps_spin.setKeyboardTracking(False)
        describe(self.steps_spin, "Steps", "Sampling steps of the self-hosted model (by default, the steps you sent "
                 "lately, else its own default): its time grows with them", "stepsSpin")
        self.overhead_spin = _money_spin(0, 10_000_000.0, 500, " a month", "overhead")
        describe(self.overhead_spin, "Engineering overhead", "Your time and everything else self-hosting costs a "
                 "month besides the GPU; the article's figure for a small team is $3,000-$10,000", "overhead")
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("On demand", be.Mode.ON_DEMAND.value)
        self.mode_combo.setItemData(0, "Pay for the GPU hours the images take, divided by the utilisation",
                                    Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.addItem("Always on", be.Mode.ALWAYS_ON.value)
        self.mode_combo.setItemData(1, "Rent whole GPUs for the month (730 hours each); a volume needs as many as "
                                    "its images take", Qt.ItemDataRole.ToolTipRole)
        describe(self.mode_combo, "GPUs", "On demand: pay for the GPU hours the images take, divided by the "
                 "utilisation. Always on: rent whole GPUs for the month", "modeCombo")
        self.utilisation_spin = _int_spin(1, 100, 5, "%")
        self.utilisation_spin.setPrefix("at ")
        describe(self.utilisation_spin, "Utilisation", "Of the GPU time you pay for on demand, the share that makes "
                 "images: idle time, cold starts and minimum billing take the rest", "utilisationSpin")
        form.add_row("Volume", self.volume_spin)
        form.add_row(None, row(self.volume_note, 1, self.use_mine_button))
        form.add_row("Steps", self.steps_spin)
        form.add_row("Overhead", self.overhead_spin)
        form.add_row("GPUs", row(self.mode_combo, self.utilisation_spin, spacing=6))
        self.volume_spin.valueChanged.connect(self._volume_typed)
        self.steps_spin.valueChanged.connect(self._steps_typed)
        self.use_mine_button.clicked.connect(self.use_my_usage)
        self.overhead_spin.valueChanged.connect(
            lambda _v: self._user_set(overhead=spin_decimal(self.overhead_spin)))
        self.mode_combo.currentIndexChanged.connect(self._mode_chosen)
        self.utilisation_spin.valueChanged.connect(
            lambda v: self._user_set(utilisation=Decimal(v) / 100))
        return box

    def _fill_models(self) -> None:
        self._quiet += 1
        try:
            self.model_combo.clear()
            for model in MODELS:
                self.model_combo.addItem(model.name, model.id)
                tip = (f"{model.name}: can be self-hosted" if self._self_host.self_hostable(model.id)
                       else f"{model.name}: cannot be self-hosted; compared with "
                            f"{self._self_host.substitute(model.id).name}")
                self.model_combo.setItemData(self.model_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        finally:
            self._quiet -= 1

    def _fill_gpus(self) -> None:
        self._quiet += 1
        try:
            self.gpu_combo.clear()
            for gpu in self._self_host.gpus:
                # The name only: its price is the field under it, and the closed box keeps to the card's width.
                self.gpu_combo.addItem(gpu.name, gpu.name)
                self.gpu_combo.setItemData(self.gpu_combo.count() - 1, f"{gpu.name}: {price(gpu.hourly_usd)} an "
                                           f"hour\n{gpu.source}", Qt.ItemDataRole.ToolTipRole)
            self.gpu_combo.addItem("Your own GPU", CUSTOM)
        finally:
            self._quiet -= 1

    # --- reading ----------------------------------------------------------------------------------

    def resolved(self) -> Resolved:
        """Every input as the calculator uses it, defaults filled in."""
        return self._resolved

    def settings(self) -> BreakEvenSettings:
        """What the user set (``None``: the default), to persist."""
        return self._chosen

    def usage(self) -> list[ModelUsage] | None:
        """The last 30 days per model, as the window last said (``None``: not read yet)."""
        return None if self._usage is None else list(self._usage)

    def mode(self) -> be.Mode:
        return self._resolved.mode

    # --- setting ----------------------------------------------------------------------------------

    def set_tables(self, prices: PriceTable | None = None, providers: ProviderTable | None = None,
                   self_host: SelfHostTable | None = None) -> None:
        """Price with newer tables (an import)."""
        self._prices = prices or self._prices
        self._providers = providers or self._providers
        if self_host is not None:
            self._self_host = self_host
            self._fill_models()
            self._fill_gpus()
        self._refresh()

    def set_usage(self, usage: Sequence[ModelUsage] | None) -> None:
        """The user's last 30 days per model (``None``: not known): the defaults follow it."""
        self._usage = None if usage is None else list(usage)
        self._refresh()

    def set_api_model(self, model_id: str) -> None:
        """Price the API at ``model_id`` (as if the user picked it)."""
        index = self.model_combo.findData(model_id)
        if index < 0:
            return
        if index == self.model_combo.currentIndex():
            self._model_chosen(index)  # shown as a default until now: the user's choice from here on
        else:
            self.model_combo.setCurrentIndex(index)

    def reset(self) -> None:
        """Every input back to its default (one click: ``reset_action``)."""
        self._chosen = BreakEvenSettings()
        self._refresh()
        self.settingsChanged.emit(self._chosen)

    def use_my_usage(self) -> None:
        """The volume, size and steps of the last 30 days again."""
        self._user_set(volume=None, width=None, height=None, steps=None)

    # --- reacting ---------------------------------------------------------------------------------

    def _resolve(self) -> Resolved:
        return resolve(self._chosen, self._usage, self._prices, self._providers, self._self_host)

    def _refresh(self) -> None:
        self._resolved = self._resolve()
        self._show()
        self.changed.emit()

    def _user_set(self, **changes: Any) -> None:
        if self._quiet:
            return
        self._chosen = replace(self._chosen, **changes)
        self._refresh()
        self.settingsChanged.emit(self._chosen)

    def _model_chosen(self, index: int) -> None:
        model_id = self.model_combo.itemData(index)
        if self._quiet or not isinstance(model_id, str):
            return
        # The speed was for the model before; a price of the user's own was too.
        custom_price = self._chosen.provider == CUSTOM
        self._user_set(api_model=model_id, seconds_per_image=None,
                       provider=None if custom_price else self._chosen.provider,
                       api_price=None)

    def _size_typed(self) -> None:
        if self._quiet:
            return
        self._user_set(width=self.width_spin.value(), height=self.height_spin.value())

    def _provider_chosen(self, index: int) -> None:
        provider = self.provider_combo.itemData(index)
        if self._quiet or not isinstance(provider, str):
            return
        if provider == CUSTOM:
            self._user_set(provider=CUSTOM, api_price=spin_decimal(self.price_spin))
        else:
            self._user_set(provider=provider, api_price=None)

    def _price_typed(self, _value: float) -> None:
        self._user_set(provider=CUSTOM, api_price=spin_decimal(self.price_spin))

    def _gpu_chosen(self, index: int) -> None:
        name = self.gpu_combo.itemData(index)
        if self._quiet or not isinstance(name, str):
            return
        if name == CUSTOM:  # your own GPU starts from the figures shown
            r = self._resolved
            self._user_set(gpu=CUSTOM, gpu_hourly=r.gpu_hourly, seconds_per_image=r.base_seconds)
        else:
            self._user_set(gpu=name, gpu_hourly=None, seconds_per_image=None)

    def _hourly_typed(self, _value: float) -> None:
        self._user_set(gpu_hourly=spin_decimal(self.hourly_spin))

    def _speed_typed(self, _value: float) -> None:
        seconds = spin_decimal(self.speed_spin)
        self._user_set(seconds_per_image=seconds if seconds > 0 else None)

    def _steps_typed(self, value: int) -> None:
        self._user_set(steps=value or None)

    def _volume_typed(self, value: int) -> None:
        self._user_set(volume=value)

    def _mode_chosen(self, index: int) -> None:
        mode = self.mode_combo.itemData(index)
        if isinstance(mode, str):
            self._user_set(mode=mode)

    # --- showing ----------------------------------------------------------------------------------

    def _set_quietly(self, setter: Callable[[], None]) -> None:
        self._quiet += 1
        try:
            setter()
        finally:
            self._quiet -= 1

    def _show(self) -> None:
        r = self._resolved
        self._set_quietly(lambda: self._show_fields(r))
        self._show_notes(r)

    def _show_fields(self, r: Resolved) -> None:
        self.model_combo.setCurrentIndex(self.model_combo.findData(r.api_model))
        model = get_model(r.api_model)
        step = model.size.step if isinstance(model.size, DimensionSize) else 16
        for spin, value in ((self.width_spin, r.width), (self.height_spin, r.height)):
            spin.setSingleStep(step)
            if not spin.hasFocus() or spin.value() != value:
                spin.setValue(value)
        self.provider_combo.clear()
        for offer in r.offers:
            self.provider_combo.addItem(offer_text(offer.provider, offer.usd_per_image), offer.provider)
            self.provider_combo.setItemData(
                self.provider_combo.count() - 1,
                f"{offer.provider}: {price(offer.usd_per_image)} an image, {billing_words(offer.billing)}, as of "
                f"{offer.as_of}\n{offer.source}", Qt.ItemDataRole.ToolTipRole)
        self.provider_combo.addItem("A price of your own", CUSTOM)
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(r.provider))
        self.price_spin.setValue(float(r.api_price))
        gpu_index = self.gpu_combo.findData(r.gpu.name if r.gpu is not None else CUSTOM)
        self.gpu_combo.setCurrentIndex(gpu_index)
        self.hourly_spin.setValue(float(r.gpu_hourly))
        self.speed_spin.setValue(float(r.base_seconds) if r.base_seconds is not None else 0)
        self.steps_spin.setSpecialValueText(f"default ({r.default_steps})")
        self.steps_spin.setValue(r.steps or 0)
        self.volume_spin.setValue(min(r.volume, MAX_BREAKEVEN_VOLUME))
        self.overhead_spin.setValue(float(r.overhead))
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(r.mode.value))
        self.utilisation_spin.setValue(round(r.utilisation * 100))
        self.utilisation_spin.setEnabled(r.mode is be.Mode.ON_DEMAND)

    def _show_notes(self, r: Resolved) -> None:
        sub = r.substitute
        self.gpu_card.set_title(f"Self-hosted: {sub.name}")
        self.gpu_card.title_label.setToolTip(f"{sub.name}: {sub.licence}, {commercial_words(sub)}\n{sub.source}")

        size = f"{r.width} × {r.height}"
        if r.provider == CUSTOM:
            self.price_note.setText("A price of your own")
        else:
            offer = next(o for o in r.offers if o.provider == r.provider)
            flat = billing_words(offer.billing) == "per image"
            whose = "BFL's price table" if r.provider == BFL else f"{r.provider}'s price"
            self.price_note.setText(f"{whose} of {offer.as_of}" + ("" if flat else f", at {size}"))
            self.price_note.setToolTip(offer.source)

        where = f"the {r.gpu.name}" if r.gpu is not None else "your GPU"
        base = f"at 1024 × 1024, {r.default_steps} steps"
        if r.base_seconds is None:
            self.speed_note.setText(f"None published: enter seconds per image {base}")
            set_tone(self.speed_note, "warning")
        else:
            self.speed_note.setText(("Your figure, " if r.speed_typed else "Published, ") + base)
            set_tone(self.speed_note, "muted")
        self.speed_note.setToolTip(f"Seconds per image on {where}" + (f"\n{r.gpu.source}" if r.gpu is not None else ""))

        mine = {"model": f"Your last 30 days with {display_name(r.api_model)}",
                "all": f"Your last 30 days, all models (none with {display_name(r.api_model)})",
                "default": f"No images in the last 30 days: showing {DEFAULT_VOLUME:,} a month",
                "unknown": "Your own volume is not known yet"}
        if r.volume_from == "user":
            self.volume_note.setText("Your own figure")
        else:
            self.volume_note.setText(mine[r.volume_from])
        chosen = self._chosen
        self.use_mine_button.setEnabled(any(v is not None for v in (chosen.volume, chosen.width, chosen.steps)))
        self.reset_action.setEnabled(self._chosen != BreakEvenSettings())

    def show_formula(self, text: str, tone: str | None = None) -> None:
        """The self-hosted cost of one image, worked out (the tab computes it)."""
        self.formula_label.setText(text)
        self.formula_label.setVisible(bool(text))
        set_tone(self.formula_label, tone)


def steps_text(r: Resolved) -> str:
    return f"{r.steps if r.steps is not None else r.default_steps} steps"

