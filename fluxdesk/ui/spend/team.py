"""The Spend tab's Team view (studio mode): the whole team's month from the studio's server, by seat, project, model or
day, against the team budget, as a chart beside a table, with the figures' age and a Reload. Read on a worker
thread; hidden when this home joined no studio."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from fluxdesk.core.budgets import age_words
from fluxdesk.core.pricing import format_credits
from fluxdesk.core.wording import plural
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import describe, make_label
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import percent, usd
from fluxdesk.ui.kit.surfaces import TitledCard, card_table
from fluxdesk.ui.spend.charts import CategoryBarChart, DayFigures, DaySpendChart, budget_words
from fluxdesk.ui.spend.snapshot import month_title

if TYPE_CHECKING:
    from fluxdesk.storage.studio.team import TeamGroup, TeamSpend

TeamReader = Callable[[str, str], "TeamSpend"]
"""``(month YYYY-MM, grouping) -> TeamSpend``, blocking: the studio server's answer."""
GROUPING_LABELS = {"seat": "By seat", "project": "By project", "model": "By model", "day": "By day"}
AGE_TICK_MS = 5_000
NO_PROJECT_KEY = "(no project)"
TEAM_ROW_HEIGHT = 290
"""The chart and the table beside it: tall enough for the chart's title, bars, day labels and legend, and for a
dozen rows; the table scrolls past that."""


def group_label(by: str, key: str | None) -> str:
    """A group's name as the Team view shows it: a model by its display name, the project ``None`` as "(no
    project)"."""
    if key is None:
        return NO_PROJECT_KEY
    if by == "model":
        from fluxdesk.core.catalog import display_name

        return display_name(key)
    return key


def group_tip(by: str, group: TeamGroup) -> str:
    """ "acme: $0.10 (10 credits, 4 billed jobs; 1 not billed), of its $0.50 budget" """
    unbilled = f"; {group.unbilled_jobs} not billed" if group.unbilled_jobs else ""
    budget = ""
    if by == "project":
        over = group.budget_usd is not None and group.usd > group.budget_usd
        budget = ", " + budget_words(group.budget_usd, over=over)
    return (f"{group_label(by, group.key)}: {usd(group.usd)} ({format_credits(group.credits)} credits, "
            f"{plural(group.jobs, 'billed job')}{unbilled}){budget}")


class TeamRoles(IntEnum):
    Key = Qt.ItemDataRole.UserRole + 1
    """The seat, project (``None``: no project), model id or day ``YYYY-MM-DD``."""
    Credits = Qt.ItemDataRole.UserRole + 2
    Usd = Qt.ItemDataRole.UserRole + 3
    Jobs = Qt.ItemDataRole.UserRole + 4
    """Billed jobs."""
    UnbilledJobs = Qt.ItemDataRole.UserRole + 5
    Budget = Qt.ItemDataRole.UserRole + 6
    """A project's budget on the studio's list (by project only), ``Decimal`` or ``None``."""


class TeamModel(ReadOnlyTableModel):
    """One row per seat, project, model or day of the team's month."""

    Roles = TeamRoles
    HEADERS = (Header("Seat"), Header("Credits", align=RIGHT), Header("Cost", align=RIGHT),
               Header("Billed jobs", align=RIGHT), Header("Budget", align=RIGHT))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TeamGroup] = []
        self._by = "seat"

    def set_spend(self, spend: TeamSpend | None) -> None:
        self.beginResetModel()
        self._rows = list(spend.groups) if spend is not None else []
        self._by = spend.by if spend is not None else "seat"
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    def row_count(self) -> int:
        return len(self._rows)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if section == 0 and orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._by.capitalize()
        return super().headerData(section, orientation, role)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        group = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            budget = usd(group.budget_usd) if group.budget_usd is not None else "—"
            return (group_label(self._by, group.key), format_credits(group.credits), usd(group.usd), str(group.jobs),
                    budget)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.HEADERS[column].align
        if role == Qt.ItemDataRole.ToolTipRole:
            return group_tip(self._by, group)
        values: dict[int, object] = {TeamRoles.Key: group.key, TeamRoles.Credits: group.credits,
                                     TeamRoles.Usd: group.usd, TeamRoles.Jobs: group.jobs,
                                     TeamRoles.UnbilledJobs: group.unbilled_jobs, TeamRoles.Budget: group.budget_usd}
        return values.get(role)


def team_total_text(spend: TeamSpend) -> str:
    """ "Team, 2026-12: $0.25 of the $0.26 team budget (96.2%) · 10 billed jobs" """
    if spend.budget_usd is None:
        budget = "(no team budget)"
    else:
        budget = f"of the {usd(spend.budget_usd)} team budget ({percent(spend.budget_used)})"
    unbilled = f", {spend.unbilled_jobs} not billed" if spend.unbilled_jobs else ""
    return f"Team, {spend.month}: {usd(spend.usd)} {budget} · {spend.jobs} billed jobs{unbilled}"


class TeamChart(QStackedWidget):
    """The team's month as bars: billed dollars per seat, project (beside each project's budget on the studio's list,
    a project over it in the error colour) or model; by day every day of the month, with a dashed line at the team
    budget's daily share. ``chart()`` is the one shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamChart")
        self.groups_chart = CategoryBarChart("teamGroupsChart", "Billed")
        self.day_chart = DaySpendChart(name="teamDayChart", title="Team by day", whose="the team's")
        self.addWidget(self.groups_chart)
        self.addWidget(self.day_chart)
        self.set_spend(None)

    def chart(self) -> CategoryBarChart | DaySpendChart:
        shown = self.currentWidget()
        assert isinstance(shown, CategoryBarChart | DaySpendChart)
        return shown

    def set_spend(self, spend: TeamSpend | None) -> None:
        """Show ``spend`` (``None``: no figures read: an empty chart saying so)."""
        if spend is None:
            self.groups_chart.set_bars("Team · no figures read yet", [], [], [])
            self.setCurrentWidget(self.groups_chart)
            return
        if spend.by == "day":
            self.day_chart.set_budget(spend.budget_usd)
            self.day_chart.set_days(spend.month, {g.key: DayFigures(g.credits, g.usd, g.jobs)
                                                  for g in spend.groups if g.key is not None})
            self.setCurrentWidget(self.day_chart)
            return
        title = f"Team by {spend.by} · {month_title(spend.month)}"
        groups = spend.groups
        self.groups_chart.set_bars(title if groups else f"{title}: nothing billed",
                                   [group_label(spend.by, g.key) for g in groups], [g.usd for g in groups],
                                   [group_tip(spend.by, g) for g in groups],
                                   [g.budget_usd for g in groups] if spend.by == "project" else ())
        self.setCurrentWidget(self.groups_chart)


class TeamCard(TitledCard):
    """The Team view: ``set_reader`` (``None`` hides it), ``reload(month)``; the figures' age moves on by itself.

    Signals: ``teamLoaded(object)``, the ``TeamSpend`` just read and shown; ``teamCleared()``, no team figures shown
    any more (the view hid, or the first read failed)."""

    teamLoaded = Signal(object)
    teamCleared = Signal()

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__("Team", "teamCard", parent)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._reader: TeamReader | None = None
        self._month: str | None = None
        self._generation = 0
        self.spend: TeamSpend | None = None
        """The figures shown, as last read."""
        self.grouping_combo = QComboBox()
        for by, label in GROUPING_LABELS.items():
            self.grouping_combo.addItem(label, by)
        describe(self.grouping_combo, "Team spend grouping", "Group the team's month by seat, project, model or day",
                 "teamGrouping")
        self.reload_button = QPushButton("Reload")
        describe(self.reload_button, "Reload team figures", "Read the team's month from the studio server again",
                 "reloadTeam")
        self.age_label = make_label(tone="muted", name="teamAge", wrap=False, small=True)
        self.header.addStretch(1)
        for widget in (self.age_label, self.grouping_combo, self.reload_button):
            self.header.addWidget(widget)
        self.total_label = make_label(name="teamTotal", accessible="Team total")
        self.body.addWidget(self.total_label)
        self.model = TeamModel(self)
        self.view = card_table(self.model, "teamView")
        self.view.setAccessibleName("Team spend")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setMinimumHeight(140)
        self.chart = TeamChart()
        figures = QWidget()
        figures.setObjectName("teamFigures")
        figures_layout = QHBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.setSpacing(10)
        figures_layout.addWidget(self.chart, 3)
        figures_layout.addWidget(self.view, 2)
        figures.setFixedHeight(TEAM_ROW_HEIGHT)
        self.body.addWidget(figures)
        self._age_timer = QTimer(self, interval=AGE_TICK_MS)
        self._age_timer.timeout.connect(self._show_age)
        self.grouping_combo.currentIndexChanged.connect(lambda _index: self.reload())
        self.reload_button.clicked.connect(lambda: self.reload())
        self.hide()

    def grouping(self) -> str:
        return str(self.grouping_combo.currentData())

    def set_reader(self, reader: TeamReader | None, month: str | None = None) -> None:
        """Read the team's figures with ``reader`` (``None``: not in a studio: the view hides)."""
        self._reader = reader
        self.setVisible(reader is not None)
        if reader is None:
            self._generation += 1
            self.spend = None
            self.model.set_spend(None)
            self.chart.set_spend(None)
            self._age_timer.stop()
            self.teamCleared.emit()
            return
        self.reload(month)

    def show_month(self, month: str) -> None:
        """Show ``month``: read from the server when it is not the month shown already."""
        if month != self._month:
            self.reload(month)

    def follow(self, latest: TeamSpend) -> None:
        """The studio link read the team's month (``latest``, grouped its own way): read it again here, in this
        view's grouping, only when the totals moved; an idle link's ticks cost this view nothing."""
        shown = self.spend
        if self._reader is None or latest.month != self._month:
            return
        if shown is None or (shown.usd, shown.jobs, shown.unbilled_jobs) != (latest.usd, latest.jobs,
                                                                            latest.unbilled_jobs) \
                or shown.budget_usd != latest.budget_usd:
            self.reload()

    def reload(self, month: str | None = None) -> None:
        """Read the team's ``month`` (default: the one shown) from the server, off the GUI thread."""
        if month is not None:
            self._month = month
        reader = self._reader
        if reader is None or self._month is None:
            return
        self._generation += 1
        generation, wanted, by = self._generation, self._month, self.grouping()
        self.age_label.setText("Reading the team's figures…")
        TaskManager.instance().run_in_background(
            lambda: reader(wanted, by), lambda spend: self._loaded(generation, spend),
            lambda error: self._failed(generation, error), parent=self)

    def _loaded(self, generation: int, spend: TeamSpend) -> None:
        if generation != self._generation:
            return
        self.spend = spend
        self.model.set_spend(spend)
        self.chart.set_spend(spend)
        self.total_label.setText(team_total_text(spend))
        self._show_age()
        self._age_timer.start()
        self.teamLoaded.emit(spend)

    def _failed(self, generation: int, error: BaseException) -> None:
        from fluxdesk.storage.studio.link import StudioError

        if generation != self._generation:
            return
        if not isinstance(error, StudioError):
            raise error
        self.age_label.setText("The team's figures cannot be read now" + (
            f"; shown: {self._age_text()}" if self.spend is not None else ""))
        self.age_label.setToolTip(str(error))
        if self.spend is None:
            self.teamCleared.emit()

    def _age_text(self) -> str:
        assert self.spend is not None
        return f"figures read {age_words((self._clock() - self.spend.fetched_at).total_seconds())}"

    def _show_age(self) -> None:
        if self.spend is not None:
            self.age_label.setText(self._age_text().capitalize())
            self.age_label.setToolTip("The team's figures come from the studio server; Reload reads them again")
