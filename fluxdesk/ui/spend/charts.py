"""The Spend tab's charts: dollars by day of the month, the last twelve months and by category (project, and in the
Team view seat or model), each against the budget: one bar chart (``_MoneyBarChart``) they all are.

The budget is drawn in each chart's own unit, so a bar and the line compare directly: the month-by-month
chart has a line at the monthly budget (a bar above it is a month over budget), and the by-day chart a line
at the budget's daily share, the budget divided by the days of the month (a bar above it is a day that spent
faster than the budget allows). How the month as a whole stands against the budget is the Budget card's, in
words and a bar, right above the chart. A cumulative line against the whole budget on the by-day chart would
need an axis up to the budget, and squash the days' bars flat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QCategoryAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from fluxdesk.core.pricing import format_credits
from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.core.wording import plural
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
    them while a budget is set: what every chart here is. With ``budget_bars`` (a legend name) a second, muted
    set of bars stands beside them, each bar's own budget, and a bar over its budget turns the theme's error
    colour. The legend, under the plot, names them all; hovering a bar shows its tooltip."""

    def __init__(self, name: str, bars_label: str, bar_width: float, x_axis: QCategoryAxis | QBarCategoryAxis,
                 parent: QWidget | None, *, budget_bars: str | None = None) -> None:
        self._bars = QBarSet(bars_label)
        self._budget_bars = QBarSet(budget_bars or "")
        self._budget_bars_label = budget_bars
        self._series = QBarSeries()
        self.budget_line = QLineSeries()
        self._budget: Decimal | None = None
        self._line_value: Decimal | None = None
        self._line_tip = ""
        self._tips: list[str] = []
        super().__init__(self.restyle, parent)
        self.setObjectName(name)
        chart = self.chart()
        # The chart's card colour to the view's edges: no band of the view's own colour around it.
        chart.layout().setContentsMargins(0, 0, 0, 0)
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

    def budgets(self) -> list[float]:
        """The dollars the budget bars show, in order (empty while none are shown)."""
        shown = self._budget_bars in self._series.barSets()
        return [self._budget_bars.at(i) for i in range(self._budget_bars.count())] if shown else []

    def over_budget(self) -> list[bool]:
        """Which bars are marked over their own budget."""
        if self._budget_bars_label is None:
            return [False] * self._bars.count()
        return [self._bars.isBarSelected(i) for i in range(self._bars.count())]

    def tooltip(self, index: int) -> str:
        """What hovering bar ``index`` shows."""
        return self._tips[index]

    def budget_value(self) -> Decimal | None:
        """The dollars the budget line stands at (``None``: no budget, no line)."""
        return self._line_value

    def set_budget(self, budget: Decimal | None) -> None:
        """The monthly budget in dollars; ``None`` or 0 takes the line away."""
        self._budget = budget if budget else None
        self._show_values(self.values(), self._tips, self.budgets() or None, self.over_budget())

    def restyle(self) -> None:
        style_chart(self.chart())
        _bar_colors(self._bars)
        self.budget_line.setPen(_budget_pen())
        if self._budget_bars_label is not None:
            self._bars.setSelectedColor(QColor(theme.colors().error))
        muted = QColor(theme.colors().muted)
        muted.setAlpha(140)
        self._budget_bars.setColor(muted)
        self._budget_bars.setBorderColor(muted)
        self._budget_bars.setPen(QPen(Qt.PenStyle.NoPen))

    def _line_for(self, budget: Decimal) -> tuple[Decimal, str, str]:
        """Where the line stands for a monthly ``budget``, its name in the legend and its tooltip."""
        raise NotImplementedError

    def _show_values(self, values: list[float], tips: Sequence[str], budgets: Sequence[float] | None = None,
                     over: Sequence[bool] = ()) -> None:
        """Bars of ``values`` dollars with their tooltips; beside them the ``budgets`` bars (``None``: none; a chart
        made without ``budget_bars`` has none), the bars ``over`` their budget marked."""
        self._bars.remove(0, self._bars.count())
        self._bars.append(values)
        self._tips = list(tips)
        top = max(values, default=0.0)
        self._budget_bars.remove(0, self._budget_bars.count())
        with_budgets = self._budget_bars_label is not None and budgets is not None
        if with_budgets and self._budget_bars not in self._series.barSets():
            self._series.append(self._budget_bars)
        elif not with_budgets and self._budget_bars in self._series.barSets():
            self._series.take(self._budget_bars)
        if with_budgets:
            assert budgets is not None
            self._budget_bars.append(list(budgets))
            top = max([top, *budgets])
        if self._budget_bars_label is not None:  # the selection marks bars over budget (a month chart's: its month)
            self._bars.deselectAllBars()
            for i, is_over in enumerate(over):
                if is_over:
                    self._bars.selectBar(i)
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
        if not status or not 0 <= index < len(self._tips):
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), self._tips[index], self)


@dataclass(frozen=True)
class DayFigures:
    """A day's billed credits and dollars, and its billed jobs when they are known."""

    credits: Decimal
    usd: Decimal
    jobs: int | None = None


class DaySpendChart(_MoneyBarChart):
    """One bar per day of the month: the billed dollars of that UTC day. ``whose`` names the budget the line shares
    out ("the team's": the team budget)."""

    _x: QCategoryAxis

    def __init__(self, parent: QWidget | None = None, *, name: str = "dayChart", title: str = "By day",
                 whose: str = "the") -> None:
        self._days: list[str] = []
        self._title = title
        self._whose = whose
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        super().__init__(name, "Billed per day", 0.75, x_axis, parent)
        self.set_month("2000-01", {}, Decimal("0.01"))

    def _line_for(self, budget: Decimal) -> tuple[Decimal, str, str]:
        days = len(self._days)
        share = budget / days
        whose = self._whose.capitalize()
        budget_name = "team budget" if self._whose != "the" else "budget"
        return (share, f"Daily share of the {budget_name} ({usd(share)})",
                f"{whose} monthly budget of {usd(budget)} over {days} days: {usd(share)} a day.\n"
                "A bar above the line is a day that spent faster than the budget allows")

    def days(self) -> list[str]:
        """The days the bars stand for, ``YYYY-MM-DD``, in order."""
        return list(self._days)

    def set_month(self, month: str, by_day: Mapping[str, Decimal], usd_per_credit: Decimal) -> None:
        """``by_day``: billed credits per UTC day ``YYYY-MM-DD`` (``SpendSummary.by_day``)."""
        self.set_days(month, {day: DayFigures(credits, credits * usd_per_credit) for day, credits in by_day.items()})

    def set_days(self, month: str, by_day: Mapping[str, DayFigures]) -> None:
        """Every day of ``month``, those missing from ``by_day`` at nothing billed."""
        first = month_date(month)
        count = days_in_month(month)
        self._days = [first.replace(day=day).isoformat() for day in range(1, count + 1)]
        figures = [by_day.get(day, DayFigures(Decimal(0), Decimal(0), 0)) for day in self._days]
        tips = []
        for day, f in zip(self._days, figures, strict=True):
            jobs = "" if f.jobs is None else f", {plural(f.jobs, 'billed job')}"
            tips.append(f"{day}: {usd(f.usd)} ({format_credits(f.credits)} credits{jobs})")
        self._show_values([float(f.usd) for f in figures], tips)
        for label in list(self._x.categoriesLabels()):
            self._x.remove(label)
        for number in range(1, count + 1):
            if number == 1 or number % DAY_LABEL_EVERY == 0:
                self._x.append(str(number), number - 1)
        self._x.setRange(-0.5, count - 0.5)
        self.chart().setTitle(f"{self._title} · {month_title(month)} (UTC)")


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
        self._show_values([float(m.usd) for m in self._months],
                          [f"{month_title(m.month)}: {usd(m.usd)} ({format_credits(m.credits)} credits, "
                           f"{m.jobs:,} billed jobs)\nClick to show this month" for m in self._months])
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

    def _clicked(self, index: int, _bars: QBarSet) -> None:
        if 0 <= index < len(self._months):
            self.monthClicked.emit(self._months[index].month)


PROJECT_LABEL_CHARS = 16


def short_label(name: str) -> str:
    """A category's name cut to fit under its bar."""
    return name if len(name) <= PROJECT_LABEL_CHARS else name[:PROJECT_LABEL_CHARS - 1] + "…"


def axis_labels(names: Sequence[str]) -> list[str]:
    """Each name cut to fit under its bar, and told apart where two come out the same ("Acme spring cam… (2)"): a
    category axis keeps one of equal labels, which would shift every later label off its bar."""
    used: set[str] = set()
    out = []
    for name in names:
        label, n = short_label(name), 1
        while label in used:
            n += 1
            label = f"{short_label(name)} ({n})"
        used.add(label)
        out.append(label)
    return out


def budget_words(budget: Decimal | None, *, over: bool) -> str:
    """A project's bar's tooltip's end: "no budget of its own", "of its $5.00 budget", "over its $5.00 budget"."""
    if budget is None:
        return "no budget of its own"
    return f"over its {usd(budget)} budget" if over else f"of its {usd(budget)} budget"


class CategoryBarChart(_MoneyBarChart):
    """Billed dollars per named category (a project, a seat, a model) under a category axis; beside each bar, while
    any has one, its own budget (``set_bars``)."""

    _x: QBarCategoryAxis

    def __init__(self, name: str, bars_label: str, parent: QWidget | None = None) -> None:
        super().__init__(name, bars_label, 0.8, QBarCategoryAxis(), parent, budget_bars="Project's budget")

    def labels(self) -> list[str]:
        """The names under the bars, in order."""
        return list(self._x.categories())

    def title(self) -> str:
        return self.chart().title()

    def set_bars(self, title: str, labels: Sequence[str], values: Sequence[Decimal], tips: Sequence[str],
                 budgets: Sequence[Decimal | None] = ()) -> None:
        """One bar per label; ``budgets`` (one per label, ``None``: none) draws the budget bars when any is set and
        marks the bars over theirs."""
        with_budgets = any(b is not None for b in budgets)
        self._show_values([float(v) for v in values], tips,
                          [float(b or 0) for b in budgets] if with_budgets else None,
                          [b is not None and v > b for v, b in zip(values, budgets, strict=True)] if with_budgets
                          else ())
        self._x.clear()
        self._x.append(axis_labels(labels) or [""])
        self.chart().setTitle(title)


class ProjectsChart(CategoryBarChart):
    """The month's billed dollars per project beside each project's own budget; a project over its budget has its
    bar in the theme's error colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._projects: list[ProjectSpend] = []
        super().__init__("projectsChart", "Billed this month", parent)
        self.set_projects([], "2000-01")

    def set_projects(self, projects: Sequence[ProjectSpend], month: str) -> None:
        self._projects = list(projects)
        self.set_bars(f"By project · {month_title(month)}", [p.name or NO_PROJECT for p in self._projects],
                      [p.usd for p in self._projects],
                      [f"{p.name or NO_PROJECT}: {usd(p.usd)} ({format_credits(p.credits)} credits, "
                       f"{p.jobs:,} billed jobs), {budget_words(p.budget_usd, over=p.over_budget)}"
                       for p in self._projects],
                      [p.budget_usd for p in self._projects])
