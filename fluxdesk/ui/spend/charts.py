"""The Spend tab's charts: dollars by day of the month, and the last twelve months, each against the budget.

The budget is drawn in each chart's own unit, so a bar and the line compare directly: the month-by-month
chart has a line at the monthly budget (a bar above it is a month over budget), and the by-day chart a line
at the budget's daily share, the budget divided by the days of the month (a bar above it is a day that spent
faster than the budget allows). How the month as a whole stands against the budget is the Budget card's, in
words and a bar, right above the chart. A cumulative line against the whole budget on the by-day chart would
need an axis up to the budget, and squash the days' bars flat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QCategoryAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from fluxdesk.core.pricing import format_credits
from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.storage.spend import MonthSpend
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.money import ChartView, money_label_format, nice_range, style_chart, usd
from fluxdesk.ui.spend.snapshot import days_in_month, month_date, month_short, month_title

DAY_LABEL_EVERY = 5


def _money_axis() -> QValueAxis:
    axis = QValueAxis()
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0)
    return axis


def _fit_money_axis(axis: QValueAxis, top: float) -> None:
    maximum, step = nice_range(top * 1.05)
    axis.setRange(0, maximum)
    axis.setTickInterval(step)
    axis.setLabelFormat(money_label_format(step))


def _bar_colors(bars: QBarSet) -> None:
    c = theme.colors()
    bars.setColor(QColor(c.accent))
    bars.setBorderColor(QColor(c.accent))
    bars.setSelectedColor(QColor(c.warning))
    bars.setPen(QPen(Qt.PenStyle.NoPen))
    bars.setBrush(QBrush(QColor(c.accent)))


def _budget_pen() -> QPen:
    pen = QPen(QColor(theme.colors().error), 2, Qt.PenStyle.DashLine)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


class _MoneyBarChart(ChartView):
    """Bars of billed dollars over a category axis, in the theme's accent, and a dashed budget line across
    them while a budget is set: what both charts are. The legend, under the plot, names both."""

    def __init__(self, name: str, bars_label: str, bar_width: float, x_axis: QCategoryAxis | QBarCategoryAxis,
                 parent: QWidget | None) -> None:
        self._bars = QBarSet(bars_label)
        self._series = QBarSeries()
        self.budget_line = QLineSeries()
        self._budget: Decimal | None = None
        self._line_value: Decimal | None = None
        self._line_tip = ""
        super().__init__(self.restyle, parent)
        self.setObjectName(name)
        chart = self.chart()
        self._series.append(self._bars)
        self._series.setBarWidth(bar_width)
        chart.addSeries(self._series)
        chart.addSeries(self.budget_line)
        self._x = x_axis
        self._x.setGridLineVisible(False)
        self._y = _money_axis()
        chart.addAxis(self._x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._y, Qt.AlignmentFlag.AlignLeft)
        for series in (self._series, self.budget_line):
            series.attachAxis(self._x)
            series.attachAxis(self._y)
        self.budget_line.setVisible(False)
        self._series.hovered.connect(self._hovered)
        self.budget_line.hovered.connect(self._line_hovered)
        self.restyle()

    def values(self) -> list[float]:
        """The dollars the bars show, in order."""
        return [self._bars.at(i) for i in range(self._bars.count())]

    def budget_value(self) -> Decimal | None:
        """The dollars the budget line stands at (``None``: no budget, no line)."""
        return self._line_value

    def set_budget(self, budget: Decimal | None) -> None:
        """The monthly budget in dollars; ``None`` or 0 takes the line away."""
        self._budget = budget if budget else None
        self._show_values(self.values())

    def restyle(self) -> None:
        style_chart(self.chart())
        _bar_colors(self._bars)
        self.budget_line.setPen(_budget_pen())

    def _line_for(self, budget: Decimal) -> tuple[Decimal, str, str]:
        """Where the line stands for a monthly ``budget``, its name in the legend and its tooltip."""
        raise NotImplementedError

    def _show_values(self, values: list[float]) -> None:
        self._bars.remove(0, self._bars.count())
        self._bars.append(values)
        top = max(values, default=0.0)
        if self._budget is None or not values:
            self._line_value = None
            self.budget_line.clear()
            self.budget_line.setVisible(False)
        else:
            self._line_value, name, self._line_tip = self._line_for(self._budget)
            # Across the whole plot: from the left edge of the first bar to the right edge of the last.
            self.budget_line.replace([QPointF(-0.5, float(self._line_value)),
                                      QPointF(len(values) - 0.5, float(self._line_value))])
            self.budget_line.setName(name)
            self.budget_line.setVisible(True)
            top = max(top, float(self._line_value))
        _fit_money_axis(self._y, top)

    def _line_hovered(self, _point: QPointF, state: bool) -> None:
        if not state or self._line_value is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), self._line_tip, self)

    def _hovered(self, status: bool, index: int, _bars: QBarSet) -> None:
        raise NotImplementedError


class DaySpendChart(_MoneyBarChart):
    """One bar per day of the month: the billed dollars of that UTC day."""

    _x: QCategoryAxis

    def __init__(self, parent: QWidget | None = None) -> None:
        self._days: list[tuple[str, Decimal, Decimal]] = []
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        super().__init__("dayChart", "Billed per day", 0.75, x_axis, parent)
        self.set_month("2000-01", {}, Decimal("0.01"))

    def _line_for(self, budget: Decimal) -> tuple[Decimal, str, str]:
        days = len(self._days)
        share = budget / days
        return (share, f"Daily share of the budget ({usd(share)})",
                f"The monthly budget of {usd(budget)} over {days} days: {usd(share)} a day.\n"
                "A bar above the line is a day that spent faster than the budget allows")

    def set_month(self, month: str, by_day: Mapping[str, Decimal], usd_per_credit: Decimal) -> None:
        """``by_day``: billed credits per UTC day ``YYYY-MM-DD`` (``SpendSummary.by_day``)."""
        first = month_date(month)
        days = days_in_month(month)
        self._days = []
        values = []
        for day in range(1, days + 1):
            key = first.replace(day=day).isoformat()
            credits = by_day.get(key, Decimal(0))
            self._days.append((key, credits, credits * usd_per_credit))
            values.append(float(credits * usd_per_credit))
        self._show_values(values)
        for label in list(self._x.categoriesLabels()):
            self._x.remove(label)
        for day in range(1, days + 1):
            if day == 1 or day % DAY_LABEL_EVERY == 0:
                self._x.append(str(day), day - 1)
        self._x.setRange(-0.5, days - 0.5)
        self.chart().setTitle(f"By day · {month_title(month)} (UTC)")

    def _hovered(self, status: bool, index: int, _bars: QBarSet) -> None:
        if not status or not 0 <= index < len(self._days):
            QToolTip.hideText()
            return
        day, credits, dollars = self._days[index]
        QToolTip.showText(QCursor.pos(), f"{day}: {usd(dollars)} ({format_credits(credits)} credits)", self)


class MonthsChart(_MoneyBarChart):
    """Billed dollars of the last months, the shown month's bar picked out; clicking a bar picks a month."""

    monthClicked = Signal(str)
    _x: QBarCategoryAxis

    def __init__(self, parent: QWidget | None = None) -> None:
        self._months: list[MonthSpend] = []
        super().__init__("monthsChart", "Billed per month", 0.7, QBarCategoryAxis(), parent)
        self.chart().setTitle("Month by month")
        self._series.clicked.connect(self._clicked)

    def _line_for(self, budget: Decimal) -> tuple[Decimal, str, str]:
        return (budget, f"Monthly budget ({usd(budget)})",
                f"The monthly budget: {usd(budget)}. A bar above the line is a month over budget")

    def set_months(self, months: Sequence[MonthSpend], selected: str | None) -> None:
        self._months = list(months)
        self._show_values([float(m.usd) for m in self._months])
        self._x.clear()
        self._x.append([month_short(m.month) for m in self._months])
        if self._months:
            first, last = self._months[0].month, self._months[-1].month
            self.chart().setTitle(f"Month by month · {month_short(first, with_year=True)} – "
                                  f"{month_short(last, with_year=True)}")
        self.select(selected)

    def select(self, month: str | None) -> None:
        self._bars.deselectAllBars()
        for i, m in enumerate(self._months):
            if m.month == month:
                self._bars.selectBar(i)

    def _hovered(self, status: bool, index: int, _bars: QBarSet) -> None:
        if not status or not 0 <= index < len(self._months):
            QToolTip.hideText()
            return
        m = self._months[index]
        QToolTip.showText(QCursor.pos(), f"{month_title(m.month)}: {usd(m.usd)} "
                                         f"({format_credits(m.credits)} credits, {m.jobs:,} billed jobs)"
                                         "\nClick to show this month", self)

    def _clicked(self, index: int, _bars: QBarSet) -> None:
        if 0 <= index < len(self._months):
            self.monthClicked.emit(self._months[index].month)



PROJECT_LABEL_CHARS = 16


def _short(name: str) -> str:
    return name if len(name) <= PROJECT_LABEL_CHARS else name[:PROJECT_LABEL_CHARS - 1] + "…"


class ProjectsChart(ChartView):
    """The month's billed dollars per project beside each project's own budget; a project over its budget has its
    bar in the theme's error colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._projects: list[ProjectSpend] = []
        self._spent = QBarSet("Billed this month")
        self._budgets = QBarSet("Project's budget")
        self._series = QBarSeries()
        super().__init__(self.restyle, parent)
        self.setObjectName("projectsChart")
        chart = self.chart()
        self._series.append(self._spent)
        self._series.append(self._budgets)
        self._series.setBarWidth(0.8)
        chart.addSeries(self._series)
        self._x = QBarCategoryAxis()
        self._x.setGridLineVisible(False)
        self._y = _money_axis()
        chart.addAxis(self._x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._y, Qt.AlignmentFlag.AlignLeft)
        self._series.attachAxis(self._x)
        self._series.attachAxis(self._y)
        self._series.hovered.connect(self._hovered)
        self.restyle()
        self.set_projects([], "2000-01")

    def restyle(self) -> None:
        style_chart(self.chart())
        _bar_colors(self._spent)
        self._spent.setSelectedColor(QColor(theme.colors().error))
        muted = QColor(theme.colors().muted)
        muted.setAlpha(140)
        self._budgets.setColor(muted)
        self._budgets.setBorderColor(muted)
        self._budgets.setPen(QPen(Qt.PenStyle.NoPen))

    def values(self) -> list[float]:
        """The billed dollars the bars show, in order."""
        return [self._spent.at(i) for i in range(self._spent.count())]

    def over_budget(self) -> list[bool]:
        """Which bars are marked over budget."""
        return [self._spent.isBarSelected(i) for i in range(self._spent.count())]

    def set_projects(self, projects: Sequence[ProjectSpend], month: str) -> None:
        self._projects = list(projects)
        for bars in (self._spent, self._budgets):
            bars.remove(0, bars.count())
        self._spent.append([float(p.usd) for p in self._projects])
        self._budgets.append([float(p.budget_usd or 0) for p in self._projects])
        self._spent.deselectAllBars()
        for i, project in enumerate(self._projects):
            if project.over_budget:
                self._spent.selectBar(i)
        self._budgets.setLabel("Project's budget" if any(p.budget_usd is not None for p in self._projects) else "")
        self._x.clear()
        self._x.append([_short(p.name or NO_PROJECT) for p in self._projects] or [""])
        top = max([float(p.usd) for p in self._projects] + [float(p.budget_usd or 0) for p in self._projects],
                  default=0.0)
        _fit_money_axis(self._y, top)
        self.chart().setTitle(f"By project · {month_title(month)}")

    def _hovered(self, status: bool, index: int, _bars: QBarSet) -> None:
        if not status or not 0 <= index < len(self._projects):
            QToolTip.hideText()
            return
        p = self._projects[index]
        budget = "no budget of its own" if p.budget_usd is None else (
            f"over its {usd(p.budget_usd)} budget" if p.over_budget else f"of its {usd(p.budget_usd)} budget")
        QToolTip.showText(QCursor.pos(), f"{p.name or NO_PROJECT}: {usd(p.usd)} ({format_credits(p.credits)} credits, "
                                         f"{p.jobs:,} billed jobs), {budget}", self)
