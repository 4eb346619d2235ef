"""The Break-even tab: would running a model on our own GPU be cheaper than the API, at our volume?

It answers for a real model: an API model that cannot be self-hosted is compared with the open-weights model one
would run instead (its licence, its different images), at the size and steps of the user's own images, with the
GPU's published speed, the utilisation of on-demand GPUs and the engineering overhead ($3,000 a month by default;
the chart shades the article's $3,000–$10,000 band and the verdict names the break-even across it).

All arithmetic is ``fluxdesk.core.breakeven``'s, the same as ``fluxdesk breakeven --model``; the tab reads the
inputs, and redraws the verdict, the table and the chart on every change. The user's last 30 days per model come
from the library's ledger (``set_queries``), read off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core import breakeven as be
from fluxdesk.core.catalog import display_name, model_ids
from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.providers import ProviderTable
from fluxdesk.core.selfhost import SelfHostTable, substitute_note
from fluxdesk.services.library_views import SpendQueries
from fluxdesk.storage.settings import BreakEvenSettings
from fluxdesk.storage.spend import ModelUsage
from fluxdesk.ui.breakeven.chart import BreakEvenChart
from fluxdesk.ui.breakeven.choice import CUSTOM, USAGE_DAYS, Resolved, SpeedUnknown, compute
from fluxdesk.ui.breakeven.inputs import BreakEvenInputsPanel, number, steps_text
from fluxdesk.ui.breakeven.model import BreakEvenModel, Column
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import make_label
from fluxdesk.ui.kit.money import price, usd
from fluxdesk.ui.kit.scroll_page import fill_with, scroll_page
from fluxdesk.ui.kit.surfaces import Card
from fluxdesk.ui.kit.theme import set_tone

SAVE_AFTER_MS = 600
"""The inputs are saved this long after the user's last change (a held spin arrow is one save, not fifty)."""


def small_price(amount: Decimal) -> str:
    """A price under a cent to three significant digits (``$0.000383``, as ``fluxdesk breakeven`` prints it), else
    as every price is shown."""
    if amount == 0 or abs(amount) >= Decimal("0.01"):
        return price(amount)
    return f"${amount.quantize(Decimal(1).scaleb(amount.adjusted() - 2)):f}"


def verdict_text(result: be.ModelBreakEven, volume: int, seller: str) -> str:
    """The verdict of ``core.breakeven`` under the line that says what can be self-hosted (``substitute_note``), so
    without its own first sentence on that; and at the provider that prices the API side (``seller``)."""
    return be.verdict(result.inputs, volume, api_model=result.api_model, self_hosted=result.self_hosted_model,
                      provider=seller)


class BreakEvenTab(QWidget):
    """API against self-hosted cost for one model. Public API: ``set_queries``, ``set_usage``, ``refresh_usage``,
    ``set_price_table``, ``set_tables``, ``set_api_model``, ``result``, ``inputs``, ``volume``, ``settings``,
    ``break_even_volumes``, ``band``, ``reset_action``; signal ``settingsChanged(BreakEvenSettings)`` a moment after
    the user's changes (the window saves it)."""

    settingsChanged = Signal(object)
    statusMessage = Signal(str)

    def __init__(self, price_table: PriceTable, providers: ProviderTable, self_host: SelfHostTable,
                 settings: BreakEvenSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakEvenTab")
        self._prices = price_table
        self._self_host = self_host
        self._queries: SpendQueries | None = None
        self._generation = 0
        self._loading = False
        self.panel = BreakEvenInputsPanel(price_table, providers, self_host, settings)
        self.panel.setObjectName("breakEvenInputs")
        self.reset_action = self.panel.reset_action
        self.addAction(self.reset_action)
        self.model = BreakEvenModel(self)
        self._result: be.ModelBreakEven | None = None
        self._break_even: tuple[int | None, int | None] = (None, None)
        self._band: tuple[int | None, int | None] = (None, None)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_AFTER_MS)
        self._save_timer.timeout.connect(lambda: self.settingsChanged.emit(self.panel.settings()))
        self._build()
        self.panel.changed.connect(self.recompute)
        self.panel.settingsChanged.connect(lambda _s: self._save_timer.start())
        self.recompute()

    def _build(self) -> None:
        scroll, layout = scroll_page("breakEven")
        # The chart takes what is left over; while it is hidden (no speed yet), nothing grows.
        self.panel.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.panel)

        verdict_box = Card()
        verdict_box.setObjectName("verdictCard")
        verdict_layout = QVBoxLayout(verdict_box)
        verdict_layout.setContentsMargins(14, 10, 14, 10)
        verdict_layout.setSpacing(4)
        self.substitute_label = make_label(name="substituteNote")
        self.substitute_label.setAccessibleName("What can be self-hosted")
        self.verdict_label = make_label(name="verdictLabel")
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.verdict_label.setAccessibleName("Verdict")
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.break_even_label = make_label(tone="muted", name="breakEvenLabel", small=True)
        self.break_even_label.setToolTip("The smallest monthly volume at which self-hosting costs no more than "
                                         "the API")
        verdict_layout.addWidget(self.substitute_label)
        verdict_layout.addWidget(self.verdict_label)
        verdict_layout.addWidget(self.break_even_label)
        # With no published speed for the stand-in, an open model that has one is a click away.
        self.instead_button = QPushButton()
        self.instead_button.setObjectName("compareInstead")
        self.instead_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.instead_button.clicked.connect(lambda: self.set_api_model(self.instead_button.property("modelId")))
        self.instead_button.hide()
        verdict_layout.addWidget(self.instead_button)
        verdict_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(verdict_box)

        self.table_view = QTableView()
        self.table_view.setObjectName("breakEvenTable")
        self.table_view.setModel(self.model)
        self.table_view.verticalHeader().hide()
        self.table_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table_view.setShowGrid(False)
        self.table_view.setWordWrap(False)
        self.table_view.setAccessibleName("Break-even table")
        self.table_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("$000,000.00") + 12)
        self.chart_view = BreakEvenChart()

        layout.addWidget(self.table_view)
        layout.addWidget(self.chart_view, 1)
        layout.addStretch(0)

        fill_with(self, scroll)

    # --- public API -------------------------------------------------------------------------------

    def set_queries(self, queries: SpendQueries | None) -> None:
        """The open library's ledger (``None``: none open): the defaults follow its last 30 days."""
        self._queries = queries
        self.refresh_usage()

    def refresh_usage(self) -> None:
        """Read the last 30 days per model again, off the GUI thread."""
        self._generation += 1
        queries = self._queries
        if queries is None:
            self._loading = False
            self.panel.set_usage(None)
            return
        generation, demo = self._generation, queries.demo
        self._loading = True
        TaskManager.instance().run_in_background(
            lambda: queries.usage_by_model(USAGE_DAYS, include_demo=demo),
            lambda usage: self._usage_read(generation, usage),
            lambda error: self._usage_failed(generation, error), parent=self)

    def _usage_read(self, generation: int, usage: list[ModelUsage]) -> None:
        if generation == self._generation:
            self._loading = False
            self.panel.set_usage(usage)

    def _usage_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self.statusMessage.emit(f"Could not read your last {USAGE_DAYS} days from the ledger: {error}")

    def is_loading(self) -> bool:
        return self._loading

    def set_usage(self, usage: Sequence[ModelUsage] | None) -> None:
        """The images made in the last 30 days per model (``None``: not known)."""
        self.panel.set_usage(usage)

    def set_price_table(self, table: PriceTable) -> None:
        self._prices = table
        self.panel.set_tables(prices=table)

    def set_tables(self, providers: ProviderTable | None = None, self_host: SelfHostTable | None = None) -> None:
        if self_host is not None:
            self._self_host = self_host
        self.panel.set_tables(providers=providers, self_host=self_host)

    def set_api_model(self, model_id: str) -> None:
        self.panel.set_api_model(model_id)

    def resolved(self) -> Resolved:
        return self.panel.resolved()

    def result(self) -> be.ModelBreakEven | None:
        """Both sides priced; ``None`` while the GPU's speed is not known."""
        return self._result

    def inputs(self) -> be.BreakEvenInputs | None:
        return None if self._result is None else self._result.inputs

    def volume(self) -> int:
        return self.panel.resolved().volume

    def settings(self) -> BreakEvenSettings:
        """What the user set, to persist."""
        return self.panel.settings()

    def break_even_volumes(self) -> tuple[int | None, int | None]:
        """The break-even volume with the overhead and without it (``None``: never)."""
        return self._break_even

    def band(self) -> tuple[int | None, int | None]:
        """The break-even volume with $3,000 and with $10,000 of overhead a month."""
        return self._band

    def flush_settings(self) -> BreakEvenSettings:
        """What the user set, now (a save waiting for its moment is not sent again)."""
        self._save_timer.stop()
        return self.panel.settings()

    # --- computing --------------------------------------------------------------------------------

    def recompute(self) -> None:
        r = self.panel.resolved()
        self.substitute_label.setText(substitute_note(r.api_model, self._self_host))
        set_tone(self.substitute_label, None if r.self_hostable else "warning")
        try:
            result = compute(r, self._prices, self._self_host)
        except ValueError as exc:
            self._show_nothing(str(exc), asking=isinstance(exc, SpeedUnknown))
            self._offer_instead(r.api_model if isinstance(exc, SpeedUnknown) and not r.speed_typed else None)
            return
        self._offer_instead(None)
        self._result = result
        self.table_view.show()
        self.chart_view.show()
        inputs, volume = result.inputs, r.volume
        self._break_even = (be.break_even_volume(inputs), be.break_even_volume(inputs, with_overhead=False))
        self._band = be.break_even_band(inputs)
        self.model.set_inputs(inputs, volume, self._api_name(r))
        self.table_view.setColumnHidden(Column.GPUS, inputs.mode is not be.Mode.ALWAYS_ON)
        self._fit_table_height()
        self.verdict_label.setText(verdict_text(result, volume, self._api_name(r)))
        set_tone(self.verdict_label, "success" if be.row(inputs, volume).saving > 0 else None)
        self.break_even_label.setText(self._break_even_text(inputs))
        self.panel.show_formula(self._formula(r, result))
        self.chart_view.set_inputs(inputs, volume, self._break_even[0], self._band)

    @staticmethod
    def _api_name(r: Resolved) -> str:
        return "your own price" if r.provider == CUSTOM else r.provider

    def _break_even_text(self, inputs: be.BreakEvenInputs) -> str:
        """The break-even with the user's overhead and on GPU time alone (the verdict names the band's)."""
        with_overhead, without = self._break_even
        alone = "on GPU time alone: " + ("from the first image" if without == 1 else be.describe_break_even(without))
        if not inputs.overhead_monthly:
            return f"Break-even {alone} (no overhead entered)"
        return (f"Break-even with {be.dollars(inputs.overhead_monthly)} of overhead a month: "
                f"{be.describe_break_even(with_overhead)} · {alone}")

    @staticmethod
    def _formula(r: Resolved, result: be.ModelBreakEven) -> str:
        seconds = result.seconds_per_image.quantize(Decimal("0.01"))
        inputs = result.inputs
        text = (f"{number(seconds)} s an image at {result.width} × {result.height}, {steps_text(r)}\n"
                f"{price(inputs.gpu_hourly)}/h × {number(seconds)} s")
        if inputs.mode is be.Mode.ON_DEMAND:
            if inputs.utilisation != 1:
                text += f" ÷ {number(inputs.utilisation * 100)}%"
            text += f" = {small_price(result.self_hosted_per_image)} an image"
        else:
            text += (f" = {small_price(inputs.gpu_hourly / inputs.images_per_hour)} an image\n"
                     f"Always on: {usd(inputs.gpu_monthly)} a month per GPU (730 h), up to "
                     f"{number(inputs.capacity_per_gpu.quantize(Decimal(1)))} images")
        return text

    def _show_nothing(self, why: str, *, asking: bool) -> None:
        """Nothing can be priced yet (``asking``: the GPU's speed is not known): say so, hide the table and chart."""
        self._result = None
        self._break_even = self._band = (None, None)
        self.model.clear()
        self.verdict_label.setText(why)
        set_tone(self.verdict_label, "warning")
        self.break_even_label.setText("The table and the chart follow once the speed is known" if asking else "")
        self.panel.show_formula("")
        self.chart_view.clear()
        self.table_view.hide()
        self.chart_view.hide()

    def _offer_instead(self, api_model: str | None) -> None:
        """Offer to price an open model with a published speed instead of ``api_model`` (``None``: no offer)."""
        instead = None if api_model is None else self._self_host.runnable_instead(api_model, model_ids())
        if instead is None:
            self.instead_button.hide()
            return
        model = self._self_host.models[instead]
        self.instead_button.setText(f"Compare {model.name} instead ({model.licence}, published speeds)")
        self.instead_button.setToolTip(f"Price {display_name(instead)} at the API against running it yourself: "
                                       f"its weights are open and its speed is published. Its images will differ "
                                       f"from {display_name(api_model or instead)}'s.")
        self.instead_button.setProperty("modelId", instead)
        self.instead_button.show()

    def _fit_table_height(self) -> None:
        view = self.table_view
        rows = self.model.rowCount()
        height = view.horizontalHeader().height() + rows * view.verticalHeader().defaultSectionSize()
        view.setFixedHeight(height + 2 * view.frameWidth() + 2)
        view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
