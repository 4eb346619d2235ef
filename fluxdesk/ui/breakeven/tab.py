"""The Break-even tab: would our own GPU be cheaper than the API, at our volume?

All arithmetic is ``fluxdesk.core.breakeven``'s, the same as ``fluxdesk breakeven``; the tab only reads
the inputs, and redraws the verdict, the table and the chart on every change.

The user's own volume comes from the window: ``set_user_volume(library.spend_last_days(30).images)``,
read off the GUI thread (the tab does no I/O of its own).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core import breakeven as be
from fluxdesk.core.pricing import PriceTable
from fluxdesk.ui.breakeven.chart import BreakEvenChart
from fluxdesk.ui.breakeven.inputs import BreakEvenInputsPanel
from fluxdesk.ui.breakeven.model import BreakEvenModel, Column
from fluxdesk.ui.breakeven.presets import PresetLike
from fluxdesk.ui.kit.forms import make_label
from fluxdesk.ui.kit.scroll_page import fill_with, scroll_page
from fluxdesk.ui.kit.surfaces import Card
from fluxdesk.ui.kit.theme import set_tone


class BreakEvenTab(QWidget):
    """API against self-hosted cost. Public API: ``set_user_volume``, ``set_price_table``, ``set_api_model``,
    ``inputs``, ``volume``, ``break_even_volumes``; signal ``presetsChanged(list)`` with every editable GPU preset as a
    ``GpuPresetOverride`` (the window keeps them as ``Settings.gpu_presets``)."""

    presetsChanged = Signal(list)

    def __init__(self, price_table: PriceTable, gpu_presets: list[PresetLike] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakEvenTab")
        self.panel = BreakEvenInputsPanel(price_table, list(gpu_presets or ()))
        self.panel.setObjectName("breakEvenInputs")
        self.model = BreakEvenModel(self)
        self._break_even: tuple[int | None, int | None] = (None, None)
        self._build()
        self.panel.changed.connect(self.recompute)
        self.panel.presetsSaved.connect(self.presetsChanged)
        self.recompute()

    def _build(self) -> None:
        scroll, layout = scroll_page("breakEven")
        layout.addWidget(self.panel)

        verdict_box = Card()
        verdict_box.setObjectName("verdictCard")
        verdict_layout = QVBoxLayout(verdict_box)
        verdict_layout.setContentsMargins(14, 10, 14, 10)
        verdict_layout.setSpacing(4)
        self.verdict_label = make_label(name="verdictLabel")
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.verdict_label.setAccessibleName("Verdict")
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.break_even_label = make_label(tone="muted", name="breakEvenLabel")
        self.break_even_label.setToolTip("The smallest monthly volume at which self-hosting costs no more than "
                                         "the API")
        verdict_layout.addWidget(self.verdict_label)
        verdict_layout.addWidget(self.break_even_label)
        layout.addWidget(verdict_box)

        self.table_view = QTableView()
        self.table_view.setObjectName("breakEvenTable")
        self.table_view.setModel(self.model)
        self.table_view.verticalHeader().hide()
        self.table_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
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

        fill_with(self, scroll)

    # --- public API -------------------------------------------------------------------------------

    def set_user_volume(self, images_per_month: int | None) -> None:
        """The images the user made in the last 30 days (``None``: not known; 0: none)."""
        self.panel.set_user_volume(images_per_month)

    def set_price_table(self, table: PriceTable) -> None:
        self.panel.set_price_table(table)

    def set_api_model(self, model_id: str) -> None:
        """Price the API at ``model_id``'s catalog price (say, the model the user spends most on)."""
        self.panel.set_api_model(model_id)

    def inputs(self) -> be.BreakEvenInputs:
        return self.panel.inputs()

    def volume(self) -> int:
        return self.panel.volume()

    def break_even_volumes(self) -> tuple[int | None, int | None]:
        """The break-even volume with the overhead and without it (``None``: never)."""
        return self._break_even

    # --- computing --------------------------------------------------------------------------------

    def recompute(self) -> None:
        inputs, volume = self.panel.inputs(), self.panel.volume()
        with_overhead = be.break_even_volume(inputs)
        without_overhead = be.break_even_volume(inputs, with_overhead=False)
        self._break_even = (with_overhead, without_overhead)
        self.model.set_inputs(inputs, volume)
        self.table_view.setColumnHidden(Column.GPUS, inputs.mode is not be.Mode.ALWAYS_ON)
        self._fit_table_height()
        self.verdict_label.setText(be.verdict(inputs, volume))
        saving = be.row(inputs, volume).saving
        set_tone(self.verdict_label, "success" if saving > 0 else None)
        text = f"Break-even: {be.describe_break_even(with_overhead)}"
        if inputs.overhead_monthly:
            text += f" · without the overhead: {be.describe_break_even(without_overhead)}"
        else:
            text += " (no overhead entered)"
        self.break_even_label.setText(text)
        self.chart_view.set_inputs(inputs, volume, with_overhead)

    def _fit_table_height(self) -> None:
        view = self.table_view
        rows = self.model.rowCount()
        height = view.horizontalHeader().height() + rows * view.verticalHeader().defaultSectionSize()
        view.setFixedHeight(height + 2 * view.frameWidth() + 2)
        view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
