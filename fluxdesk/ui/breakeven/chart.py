"""Both monthly cost lines against volume, on logarithmic axes, with the break-even point and the user's volume,
and the band the self-hosted cost spans with the article's $3,000–$10,000 of engineering overhead a month.

The volume axis spans 10 to 1,000,000 images a month (wider when the break-even point or the user's
volume lies outside). Costs span decades too, so the dollar axis is logarithmic as well: a straight
API line, and the always-on GPU line's steps (one more GPU each time capacity runs out) stay visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from PySide6.QtCharts import QAreaSeries, QLineSeries, QLogValueAxis, QScatterSeries
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QWidget

from fluxdesk.core import breakeven as be
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.money import ChartView, chart_font, style_chart

X_MIN, X_MAX = 10, 1_000_000
SAMPLES = 240
"""Points per line on the log scale; the always-on steps get their own points on top."""
CHART_MIN_HEIGHT = 230
Y_FLOOR = 0.001
"""A log axis cannot show $0: anything cheaper sits on the floor of the chart."""


def _decade_below(value: float) -> float:
    return 10 ** math.floor(math.log10(value))


def _decade_above(value: float) -> float:
    return 10 ** math.ceil(math.log10(value))


def sample_volumes(inputs: be.BreakEvenInputs, lo: int, hi: int, extra: Iterable[int] = ()) -> list[int]:
    """Whole volumes from ``lo`` to ``hi``: evenly spaced on a log scale, plus both sides of every
    always-on step (so each step is drawn upright) and the ``extra`` volumes."""
    points = {lo, hi}
    span = math.log10(hi / lo)
    points.update(round(lo * 10 ** (span * i / SAMPLES)) for i in range(SAMPLES + 1))
    if inputs.mode is be.Mode.ALWAYS_ON:
        capacity = float(inputs.capacity_per_gpu)
        steps = min(int(hi / capacity) + 1, 2000)
        for k in range(1, steps + 1):
            edge = math.floor(k * capacity)
            points.update((edge, edge + 1))
    points.update(extra)
    return sorted(v for v in points if lo <= v <= hi)


class BreakEvenChart(ChartView):
    """``set_inputs`` redraws everything; the series and axes are kept, only their points change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.api_series = QLineSeries()
        self.api_series.setName("API")
        self.self_series = QLineSeries()
        self.self_series.setName("Self-hosted")
        self.break_even_series = QScatterSeries()
        self.break_even_series.setName("Break-even")
        self.user_series = QLineSeries()
        self.user_series.setName("Your volume")
        self.band_low = QLineSeries()
        self.band_high = QLineSeries()
        self.band_series = QAreaSeries(self.band_high, self.band_low)
        self.band_series.setName(f"Overhead {be.band_text()} a month")
        super().__init__(self.restyle, parent)
        self.setObjectName("breakEvenChart")
        # Low enough that the whole chart, legend and all, fits under the inputs and the table at 1280 × 800;
        # the tab gives it every pixel left over.
        self.setMinimumHeight(CHART_MIN_HEIGHT)
        chart = self.chart()
        for series in (self.band_series, self.api_series, self.self_series, self.user_series,
                       self.break_even_series):
            chart.addSeries(series)
        self.x_axis = QLogValueAxis()
        self.x_axis.setBase(10)
        self.x_axis.setLabelFormat("%.0f")
        self.x_axis.setMinorTickCount(8)
        self.x_axis.setTitleText("Images a month")
        self.y_axis = QLogValueAxis()
        self.y_axis.setBase(10)
        self.y_axis.setTitleText("Cost a month")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.band_series, self.api_series, self.self_series, self.user_series,
                       self.break_even_series):
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.break_even_series.setMarkerSize(11)
        self.break_even_series.setPointLabelsVisible(True)
        self.break_even_series.setPointLabelsClipping(False)
        self.break_even_series.setPointLabelsFont(chart_font(0.9, bold=True))
        self.restyle()

    def sizeHint(self) -> QSize:
        # The page scrolls at the height its word-wrapped labels prefer, counting this hint: ask for no more
        # than the minimum, and take the rest through the layout's stretch.
        return QSize(super().sizeHint().width(), CHART_MIN_HEIGHT)

    def clear(self) -> None:
        """Nothing to draw (the self-hosted side cannot be priced yet)."""
        for series in (self.api_series, self.self_series, self.user_series, self.break_even_series,
                       self.band_low, self.band_high):
            series.clear()

    def set_inputs(self, inputs: be.BreakEvenInputs, user_volume: int | None, break_even: int | None,
                   band: tuple[int | None, int | None] = (None, None)) -> None:
        """Redraw for ``inputs``: ``break_even`` is the volume with the inputs' overhead; ``band`` the volumes with
        $3,000 and $10,000 (marked on the band's edges)."""
        # Break-even at one image ("cheaper from the very first image") is said in words, not marked.
        if break_even is not None and break_even <= 1:
            break_even_mark = None
        else:
            break_even_mark = break_even
        marks = [v for v in (user_volume, break_even_mark, *band) if v and v > 1]
        lo = min([X_MIN, *marks])
        lo = 1 if lo < X_MIN else X_MIN
        hi = max([X_MAX, *marks])
        hi = int(_decade_above(hi)) if hi > X_MAX else X_MAX
        volumes = sample_volumes(inputs, lo, hi, marks)
        api = [(v, float(be.api_cost(inputs, v))) for v in volumes]
        own = [(v, float(be.self_hosted_cost(inputs, v))) for v in volumes]
        low = replace(inputs, overhead_monthly=be.OVERHEAD_LOW)
        high = replace(inputs, overhead_monthly=be.OVERHEAD_HIGH)
        band_low = [(v, float(be.self_hosted_cost(low, v))) for v in volumes]
        band_high = [(v, float(be.self_hosted_cost(high, v))) for v in volumes]
        positive = [y for _, y in api + own + band_high if y > 0]
        y_lo = max(Y_FLOOR, _decade_below(min(positive))) if positive else Y_FLOOR
        y_hi = _decade_above(max(positive)) if positive else 1.0
        y_hi = max(y_hi, y_lo * 10)
        self.api_series.replace([QPointF(v, max(y, y_lo)) for v, y in api])
        self.self_series.replace([QPointF(v, max(y, y_lo)) for v, y in own])
        self.band_low.replace([QPointF(v, min(max(y, y_lo), y_hi)) for v, y in band_low])
        self.band_high.replace([QPointF(v, min(max(y, y_lo), y_hi)) for v, y in band_high])
        self.self_series.setName("Self-hosted (always on)" if inputs.mode is be.Mode.ALWAYS_ON
                                 else "Self-hosted (on demand)")
        self.x_axis.setRange(lo, hi)
        # Qt takes the first tick from log(min) / log(base), which can land a hair above a whole decade and
        # drop that decade's label: start the axis a hair lower.
        self.y_axis.setRange(y_lo * (1 - 1e-9), y_hi)
        self.y_axis.setLabelFormat("$%.7g")  # $0.01, $1, $10,000: each decade with the digits it needs
        self.y_axis.setMinorTickCount(-1 if y_hi / y_lo > 1e6 else 8)

        if break_even_mark is not None:
            cost = max(float(be.api_cost(inputs, break_even_mark)), y_lo)
            self.break_even_series.replace([QPointF(break_even_mark, cost)])
            self.break_even_series.setName(f"Break-even ({break_even_mark:,})")
            self.break_even_series.setPointLabelsFormat(f"{break_even_mark:,}")
        else:
            self.break_even_series.clear()
            self.break_even_series.setName("Break-even (never)" if break_even is None
                                           else "Break-even (from the first image)")
        if user_volume:
            self.user_series.replace([QPointF(user_volume, y_lo), QPointF(user_volume, y_hi)])
            self.user_series.setName(f"Your volume ({user_volume:,})")
        else:
            self.user_series.clear()
            self.user_series.setName("Your volume (none)")

    def restyle(self) -> None:
        c = theme.colors()
        style_chart(self.chart())
        self.api_series.setPen(QPen(QColor(c.accent), 2.5))
        self.self_series.setPen(QPen(QColor(c.success), 2.5))
        user_pen = QPen(QColor(c.info), 1.5, Qt.PenStyle.DashLine)
        self.user_series.setPen(user_pen)
        band = QColor(c.warning)
        band.setAlpha(70 if theme.is_dark() else 55)
        self.band_series.setBrush(band)
        edge = QColor(c.warning)
        edge.setAlpha(140)
        self.band_series.setPen(QPen(edge, 1))
        self.break_even_series.setColor(QColor(c.warning))
        self.break_even_series.setBorderColor(QColor(c.text))
        self.break_even_series.setPointLabelsColor(QColor(c.text))
