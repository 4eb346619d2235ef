"""Money as the Spend and Break-even tabs show it, and the charts' shared look.

One rule, from ``fluxdesk.core.pricing``: amounts billed or budgeted in whole cents (``usd``), the price
of an image with up to four decimals where it has fractions of a cent (``price``), percentages bounded
(``percent``). Chart axes localise their numbers in US English, so an axis reads ``$10,000`` like the rest
of the app.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCharts import QAbstractAxis, QChart, QChartView
from PySide6.QtCore import QEvent, QLocale, QMargins, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from fluxdesk.core.pricing import format_percent, format_price, format_usd
from fluxdesk.ui.kit import theme

US_LOCALE = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
DASH = "–"


def usd(amount: Decimal | None) -> str:
    """An amount billed or budgeted, in whole cents; a dash when unknown."""
    return DASH if amount is None else format_usd(amount)


def price(amount: Decimal | None) -> str:
    """The price of an image or a job: ``$0.045``, ``$0.0028``; a dash when unknown."""
    return DASH if amount is None else format_price(amount)


def percent(value: Decimal | None, decimals: int = 1) -> str:
    """``Decimal("93.1")`` → ``"93.1%"``, bounded to ±999 %; a dash when there is nothing to divide by."""
    return DASH if value is None else format_percent(value, decimals)


def nice_range(top: float, ticks: int = 4) -> tuple[float, float]:
    """A rounded axis maximum at or above ``top`` and its tick step (1, 2, 2.5 or 5 × 10ⁿ)."""
    if not math.isfinite(top) or top <= 0:
        return 1.0, 0.25
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(top / step - 1e-9), step


def money_label_format(step: float) -> str:
    """An axis label format with cents only where the ticks need them."""
    return "$%.0f" if step >= 1 and float(step).is_integer() else "$%.2f"


# --- charts ------------------------------------------------------------------------------------------


def chart_font(scale: float = 1.0, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(max(7.0, font.pointSizeF() * scale))
    font.setBold(bold)
    return font


def style_chart(chart: QChart) -> None:
    """Colour ``chart`` from the theme in use: background, title, legend, axes and grid.

    The series' own colours are the caller's: ``QChart.setTheme`` would reset them, so it is not used.
    """
    c = theme.colors()
    chart.setBackgroundBrush(QBrush(QColor(c.card)))
    chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
    chart.setBackgroundRoundness(0)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setTitleBrush(QBrush(QColor(c.text)))
    chart.setTitleFont(chart_font(1.0, bold=True))
    legend = chart.legend()
    legend.setLabelColor(QColor(c.text))
    legend.setFont(chart_font(0.9))
    for axis in chart.axes():
        style_axis(axis)


def style_axis(axis: QAbstractAxis) -> None:
    c = theme.colors()
    axis.setLabelsBrush(QBrush(QColor(c.muted)))
    axis.setLabelsFont(chart_font(0.85))
    axis.setTitleBrush(QBrush(QColor(c.muted)))
    axis.setTitleFont(chart_font(0.85))
    axis.setLinePen(QPen(QColor(c.border), 1))
    grid = QColor(c.border)
    grid.setAlpha(150)
    axis.setGridLinePen(QPen(grid, 1))
    minor = QColor(c.border)
    minor.setAlpha(70)
    axis.setMinorGridLinePen(QPen(minor, 1, Qt.PenStyle.DotLine))


def new_chart() -> QChart:
    chart = QChart()
    chart.setLocalizeNumbers(True)
    chart.setLocale(US_LOCALE)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


class ChartView(QChartView):
    """A chart view that re-colours its chart whenever the app's palette (the theme) changes."""

    def __init__(self, restyle: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(new_chart(), parent)
        self._restyle = restyle
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFrameShape(QChartView.Shape.NoFrame)
        self.setMinimumHeight(200)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()


class MoneySpinBox(QDoubleSpinBox):
    """A dollar amount that shows the digits it has: ``$0.69``, ``$0.345``, ``$1,200.00``, never ``$0.6900``.

    It reads and writes US numbers whatever the system's locale, like every amount in the app.
    """

    def __init__(self, decimals: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLocale(US_LOCALE)
        self.setDecimals(decimals)
        self.setPrefix("$")
        self.setGroupSeparatorShown(True)

    def textFromValue(self, value: float) -> str:
        text = self.locale().toString(value, "f", self.decimals())
        if not self.isGroupSeparatorShown():
            text = text.replace(self.locale().groupSeparator(), "")
        whole, point, frac = text.partition(".")
        return f"{whole}.{frac.rstrip('0').ljust(2, '0')}" if point else text
