"""The Spend tab: what a month cost, by day, by model and month by month, against the budget, and the ledger.

Every figure comes from the library's ledger, read on a worker thread, with the same queries as
``fluxdesk spend`` (months and days in UTC; demo jobs left out unless asked for), so the tab and the
command line always agree. The window feeds it the ledger's queries, the budget and the credits balance, and
calls ``refresh()`` after jobs finish.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolButton,
    QWidget,
)

from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.core.wording import plural
from fluxdesk.storage.spend import ALL_PROJECTS, LedgerRow, ProjectScope, SpendSummary
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.forms import describe, make_label, row
from fluxdesk.ui.kit.money import usd as money_text
from fluxdesk.ui.kit.scroll_page import fill_with, scroll_page
from fluxdesk.ui.kit.surfaces import Banner, TitledCard, card_table
from fluxdesk.ui.spend.by_model import ByModelModel
from fluxdesk.ui.spend.by_project import ByProjectModel
from fluxdesk.ui.spend.cards import BudgetCard, CreditsCard, TotalCard
from fluxdesk.ui.spend.charts import DaySpendChart, MonthsChart, ProjectsChart
from fluxdesk.ui.spend.export_project import ExportProjectDialog
from fluxdesk.ui.spend.ledger import (
    BillingFilter,
    Column,
    FigureDelegate,
    FigureHeader,
    LedgerFilterProxy,
    LedgerModel,
    Roles,
)
from fluxdesk.ui.spend.snapshot import (
    CHART_MONTHS,
    SpendSnapshot,
    current_month,
    export_invoice_csv,
    export_ledger_csv,
    load_snapshot,
    month_date,
    month_end,
    month_title,
    picker_months,
    projection,
    shift_month,
)
from fluxdesk.ui.spend.team import TeamCard, TeamReader

if TYPE_CHECKING:
    from fluxdesk.services.library_views import SpendQueries
    from fluxdesk.storage.studio.team import TeamSpend

CHARTS_MAX_HEIGHT = 320
DEMO_NOTE = "Demo spend — nothing was charged. These are the simulator's jobs at BFL's prices."
_COLUMN_SAMPLES = {Column.TIME: "2026-12-31 23:59", Column.MODEL: "FLUX1.1 [pro] Ultra", Column.SIZE: "1440 × 1440",
                   Column.CREDITS: "≈ 12.5", Column.USD: "not billed", Column.STATUS: "Cancelled — not billed",
                   Column.PROJECT: "Acme spring campaign"}
BY_PROJECT_TAB = 2
"""The chart tab of the month by project; beside it the by-project table takes the by-model one's place."""


class SpendTab(QWidget):
    """What the month cost. Public API: ``set_queries``, ``set_budget``, ``set_credits``, ``refresh``,
    ``set_price_table``, ``export_csv``, ``show_by_project``, ``set_project_filter``, ``set_team_reader``; signals
    ``refreshCreditsRequested``, ``showImageRequested(int)``, ``statusMessage(str)``, ``summaryChanged(object)`` (the
    ``SpendSummary`` just read) and ``projectBudgetChanged(int)`` (a project's budget was set or cleared here)."""

    projectBudgetChanged = Signal(int)
    refreshCreditsRequested = Signal()
    showImageRequested = Signal(int)
    statusMessage = Signal(str)
    summaryChanged = Signal(object)

    def __init__(self, price_table: PriceTable, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] | None = None, folders: FolderMemory | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spendTab")
        self._folders = folders or FolderMemory(parent=self)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._price_table = price_table
        self._queries: SpendQueries | None = None
        self._demo = False
        self._budget: Decimal | None = None
        self._month: str | None = None
        """The month shown; ``None`` follows the current month."""
        self._snapshot: SpendSnapshot | None = None
        self._team: TeamSpend | None = None
        """The Team view's figures as last read (studio mode), whatever month they are of."""
        self._generation = 0
        self._loading = False
        self._last_shown: tuple[int, float] | None = None
        self._build()
        self._connect()
        self._show_nothing()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        scroll, layout = scroll_page("spend")
        layout.addWidget(self._build_header())

        self.demo_banner = Banner("info")
        self.demo_banner.setObjectName("demoBanner")
        banner_layout = QHBoxLayout(self.demo_banner)
        banner_layout.setContentsMargins(10, 6, 10, 6)
        self.demo_label = make_label(DEMO_NOTE, name="demoLabel")
        banner_layout.addWidget(self.demo_label)
        self.demo_banner.hide()
        layout.addWidget(self.demo_banner)

        self.total_card = TotalCard()
        self.budget_card = BudgetCard(clock=self._clock)
        self.credits_card = CreditsCard()
        cards = row(self.total_card, self.budget_card, self.credits_card, spacing=10)
        layout.addWidget(cards)
        self.team_card = TeamCard(clock=self._clock)
        layout.addWidget(self.team_card)

        self.day_chart = DaySpendChart()
        self.months_chart = MonthsChart()
        self.chart_tabs = QTabWidget()
        self.chart_tabs.setObjectName("spendCharts")
        self.chart_tabs.setDocumentMode(True)
        self.chart_tabs.addTab(self.day_chart, "By day")
        self.chart_tabs.addTab(self.months_chart, "Month by month")
        self.projects_chart = ProjectsChart()
        self.chart_tabs.addTab(self.projects_chart, "By project")
        self.chart_tabs.setTabToolTip(0, "Billed dollars per UTC day of the month shown")
        self.chart_tabs.setTabToolTip(1, "Billed dollars of the last 12 months; click a bar to show that month")
        self.chart_tabs.setTabToolTip(BY_PROJECT_TAB, "Billed dollars per client project this month, beside each "
                                                      "project's budget; the table beside it sets the budgets")
        self.breakdown = QStackedWidget()
        self.breakdown.setObjectName("spendBreakdown")
        self.breakdown.addWidget(self._build_by_model())
        self.breakdown.addWidget(self._build_by_project())
        charts = QWidget()
        charts.setObjectName("spendChartsRow")
        charts_layout = self._charts_layout = QHBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.setSpacing(10)
        charts_layout.addWidget(self.chart_tabs, 3)
        charts_layout.addWidget(self.breakdown, 2)
        # The ledger takes whatever height is left; the charts stay a readable size.
        charts.setMinimumHeight(250)
        charts.setMaximumHeight(CHARTS_MAX_HEIGHT)
        layout.addWidget(charts)
        layout.addWidget(self._build_ledger(), 1)

        fill_with(self, scroll)

    def _build_header(self) -> QWidget:
        self.prev_button = QToolButton()
        self.prev_button.setArrowType(Qt.ArrowType.LeftArrow)
        describe(self.prev_button, "Previous month", "Show the month before", "prevMonth")
        self.next_button = QToolButton()
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        describe(self.next_button, "Next month", "Show the month after", "nextMonth")
        self.month_combo = QComboBox()
        self.month_combo.setMinimumContentsLength(14)
        describe(self.month_combo, "Month", "The month shown (UTC): this month and every month with spend",
                 "monthCombo")
        self.demo_check = QCheckBox("Include demo jobs")
        describe(self.demo_check, "Include demo jobs",
                 "Count the jobs made on the offline simulator too (nothing was charged for them)", "includeDemo")
        self.refresh_button = QPushButton("Reload")
        describe(self.refresh_button, "Reload", "Read the ledger again", "reloadSpend")
        self.export_button = QPushButton("Export CSV…")
        describe(self.export_button, "Export CSV",
                 "Save the month's ledger as CSV (only the jobs the filter shows, if it is filtered), with the same "
                 "columns as `fluxdesk spend --csv`", "exportCsv")
        self.export_project_button = QPushButton("Export project…")
        describe(self.export_project_button, "Export project",
                 "Save one project's billed jobs over a range of days as CSV, ready to attach to its invoice (the "
                 "same as `fluxdesk spend --project NAME --csv`)", "exportProject")
        self.loading_label = make_label(tone="muted", name="loadingLabel", wrap=False, small=True)
        return row(self.prev_button, self.month_combo, self.next_button, self.demo_check, self.loading_label, 1,
                   self.refresh_button, self.export_button, self.export_project_button, spacing=8)

    def _build_by_model(self) -> QWidget:
        box = TitledCard("By model", "byModelCard")
        layout = box.body
        self.by_model = ByModelModel(self)
        self.by_model_view = card_table(self.by_model, "byModelView")
        self.by_model_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.by_model_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.by_model_view, 1)
        self.by_model_empty = make_label("Nothing billed this month", tone="muted", name="byModelEmpty")
        layout.addWidget(self.by_model_empty)
        return box

    def _build_by_project(self) -> QWidget:
        box = TitledCard("By project", "byProjectCard")
        self.by_project = ByProjectModel(self)
        self.by_project_view = card_table(self.by_project, "byProjectView")
        self.by_project_view.setAccessibleName("Spend by project")
        self.by_project_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.by_project_view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                             | QAbstractItemView.EditTrigger.EditKeyPressed
                                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        box.body.addWidget(self.by_project_view, 1)
        self.by_project_hint = make_label("Double-click a Budget to set the project's own monthly budget; empty it "
                                          "to clear it", tone="muted", name="byProjectHint", small=True)
        box.body.addWidget(self.by_project_hint)
        return box

    def _build_ledger(self) -> QWidget:
        box = TitledCard("Ledger", "ledgerCard")
        layout = box.body
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: model, status, size, prompt…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(240)
        describe(self.filter_edit, "Filter the ledger", "Show only jobs whose model, status, size, prompt or id "
                 "contain every word typed here", "ledgerFilter")
        self.billing_combo = QComboBox()
        for choice in BillingFilter:
            self.billing_combo.addItem(choice.value, choice)
        describe(self.billing_combo, "Billing", "Show every job, or only the billed or the unbilled ones",
                 "billingFilter")
        self.project_filter = QComboBox()
        self.project_filter.setMinimumContentsLength(12)
        self.project_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        describe(self.project_filter, "Project", "Show every job, or only one project's (or those of no project)",
                 "projectFilter")
        self.count_label = make_label(tone="muted", name="ledgerCount", wrap=False, small=True)
        box.header.addWidget(self.count_label)
        box.header.addStretch(1)
        box.header.addWidget(self.filter_edit)
        box.header.addWidget(self.project_filter)
        box.header.addWidget(self.billing_combo)

        self.ledger = LedgerModel(self)
        self.proxy = LedgerFilterProxy(self)
        self.proxy.setSourceModel(self.ledger)
        self.ledger_view = QTableView()
        self.ledger_view.setObjectName("ledgerView")
        self.ledger_view.setHorizontalHeader(FigureHeader(self.ledger_view))
        self.ledger_view.setItemDelegate(FigureDelegate(self.ledger_view))
        self.ledger_view.setModel(self.proxy)
        self.ledger_view.setSortingEnabled(True)
        self.ledger_view.sortByColumn(Column.TIME, Qt.SortOrder.DescendingOrder)
        self.ledger_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.ledger_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.ledger_view.setAlternatingRowColors(True)
        self.ledger_view.setShowGrid(False)
        self.ledger_view.setWordWrap(False)
        self.ledger_view.verticalHeader().hide()
        self.ledger_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.ledger_view.setMinimumHeight(200)
        self.ledger_view.setAccessibleName("Spend ledger")
        header = self.ledger_view.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = self.ledger_view.fontMetrics()
        for column, sample in _COLUMN_SAMPLES.items():
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 28)
        layout.addWidget(self.ledger_view, 1)
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        return box

    def _connect(self) -> None:
        self.prev_button.clicked.connect(lambda: self._go(-1))
        self.next_button.clicked.connect(lambda: self._go(1))
        self.month_combo.activated.connect(self._month_chosen)
        self.months_chart.monthClicked.connect(self.show_month)
        self.demo_check.toggled.connect(lambda _on: self.refresh())
        self.refresh_button.clicked.connect(self.reload)
        self.export_button.clicked.connect(self._export_clicked)
        self.export_project_button.clicked.connect(self._export_project_clicked)
        self.chart_tabs.currentChanged.connect(self._chart_tab_changed)
        self.by_project.budgetEdited.connect(self._set_project_budget)
        self.by_project.budgetRefused.connect(self.statusMessage)
        self.project_filter.currentIndexChanged.connect(lambda _i: self._filter_changed_project())
        self.credits_card.refreshRequested.connect(self.refreshCreditsRequested)
        self.team_card.teamLoaded.connect(self._team_loaded)
        self.team_card.teamCleared.connect(self._team_cleared)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.billing_combo.currentIndexChanged.connect(
            lambda _i: self._filter_changed_billing(self.billing_combo.currentData()))
        self.ledger_view.clicked.connect(self._row_activated)
        self.ledger_view.activated.connect(self._row_activated)

    # --- public API -------------------------------------------------------------------------------

    def set_queries(self, queries: SpendQueries | None) -> None:
        """Show the spend ``queries`` read (``None``: nothing); a library of demo jobs only (``queries.demo``)
        counts them."""
        demo = queries is not None and queries.demo
        self._queries = queries
        self._demo = demo
        self.demo_banner.setVisible(demo)
        self.demo_check.setVisible(not demo)
        self.credits_card.set_title("Credits (simulator)" if demo else "Credits at BFL")
        self._snapshot = None
        self.refresh()

    def set_team_reader(self, reader: TeamReader | None) -> None:
        """Studio mode: read the team's month with ``reader`` into the Team view (``None``: not in a studio, the view
        hides)."""
        self.team_card.set_reader(reader, self.month())

    def set_budget(self, budget: Decimal | None) -> None:
        """The monthly budget in dollars; ``None`` or 0: no budget."""
        self._budget = budget if budget else None
        self.day_chart.set_budget(self._budget)
        self.months_chart.set_budget(self._budget)
        self._show_money()

    def set_credits(self, credits: Decimal | None, read_at: datetime | None) -> None:
        """The balance BFL reported and when (``None`` credits with a time: it could not be read)."""
        self.credits_card.show_credits(credits, read_at)

    def set_price_table(self, table: PriceTable) -> None:
        self._price_table = table
        self.credits_card.set_usd_per_credit(table.usd_per_credit)
        self.refresh()

    def reload(self) -> None:
        """Reload: the ledger, and the team's month from the studio server too."""
        self.team_card.reload(self.month())
        self.refresh()

    def follow_team(self, latest: TeamSpend) -> None:
        """The studio link has just read the team's month: the Team view reads it again when it moved."""
        self.team_card.follow(latest)

    def refresh(self) -> None:
        """Read the month's spend, ledger and months again, off the GUI thread."""
        self._generation += 1
        queries = self._queries
        if queries is None:
            self._loading = False
            self._show_nothing()
            return
        generation, month, include_demo = self._generation, self.month(), self.include_demo()
        rate = self._price_table.usd_per_credit
        self.team_card.show_month(month)  # the team's figures follow the studio link (follow_team), not each refresh
        self._set_loading(True)
        TaskManager.instance().run_in_background(
            lambda: load_snapshot(queries, month, include_demo=include_demo, usd_per_credit=rate),
            lambda snapshot: self._loaded(generation, snapshot),
            lambda error: self._failed(generation, error), parent=self)

    def show_month(self, month: str) -> None:
        """Show ``month`` (``YYYY-MM``, UTC)."""
        self._month = None if month == current_month() else month
        self.refresh()

    def month(self) -> str:
        return self._month or current_month()

    def include_demo(self) -> bool:
        return self._demo or self.demo_check.isChecked()

    def is_loading(self) -> bool:
        return self._loading

    def snapshot(self) -> SpendSnapshot | None:
        """What the tab shows now (``None`` until the first read ends)."""
        return self._snapshot

    def shown_rows(self) -> list[LedgerRow]:
        """The ledger rows the filter lets through, in time order (every row when nothing is filtered)."""
        entries = self.ledger.entries()
        shown = sorted(self.proxy.mapToSource(self.proxy.index(r, 0)).row() for r in range(self.proxy.rowCount()))
        return [entries[source].row for source in shown]

    def show_by_project(self) -> None:
        """Show the month by project: its chart, and beside it the table with the budgets."""
        self.chart_tabs.setCurrentIndex(BY_PROJECT_TAB)

    def set_project_filter(self, project: ProjectScope) -> None:
        """Show only one project's jobs in the ledger (``None``: those of no project), or all (``ALL_PROJECTS``)."""
        index = self.project_filter.findData(project)
        if index >= 0:
            self.project_filter.setCurrentIndex(index)

    def export_csv(self, path: Path | str) -> int:
        """Write the shown month's ledger to ``path`` as ``fluxdesk spend --csv`` does; answer the row count."""
        return export_ledger_csv(self.ledger.rows(), Path(path))

    # --- loading ----------------------------------------------------------------------------------

    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.loading_label.setText("Reading…" if loading else "")

    def _loaded(self, generation: int, snapshot: SpendSnapshot) -> None:
        if generation != self._generation:
            return  # an older read: a newer one is on its way
        self._set_loading(False)
        self._snapshot = snapshot
        self._fill_months(snapshot)
        summary = snapshot.summary
        self.day_chart.set_month(snapshot.month, summary.by_day, summary.usd_per_credit)
        self.months_chart.set_months(snapshot.months[-CHART_MONTHS:], snapshot.month)
        self.by_model.set_spend(summary.by_model, summary.usd_per_credit)
        self.by_model_empty.setVisible(not summary.by_model)
        self.by_model_empty.setText(f"Nothing billed in {month_title(snapshot.month)}")
        self.projects_chart.set_projects(snapshot.projects, snapshot.month)
        self.by_project.set_projects(snapshot.projects)
        self._fill_project_filter(snapshot)
        self.ledger.set_entries(snapshot.entries)
        self._update_count()
        self._show_money()
        self.summaryChanged.emit(summary)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        self.loading_label.setText("Could not read the ledger")
        self.statusMessage.emit(f"Could not read the spend ledger: {error}")

    def _show_nothing(self) -> None:
        self._snapshot = None
        self._set_loading(False)
        self.total_card.show_summary(None)
        self._show_budget(Decimal(0), None)
        self.by_model.set_spend({}, self._price_table.usd_per_credit)
        self.projects_chart.set_projects([], self.month())
        self.by_project.set_projects([])
        self._fill_project_filter(None)
        self.ledger.set_entries([])
        self.day_chart.set_month(self.month(), {}, self._price_table.usd_per_credit)
        self.months_chart.set_months([], None)
        self._fill_months(None)
        self._update_count()
        for widget in (self.export_button, self.export_project_button, self.refresh_button, self.demo_check,
                       self.month_combo, self.prev_button, self.next_button):
            widget.setEnabled(False)

    def _show_money(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            self._show_budget(Decimal(0), None)
            return
        summary: SpendSummary = snapshot.summary
        pace = projection(summary.usd, snapshot.month, self._clock())
        projected = pace.total if pace is not None else None
        over_pace = bool(self._budget and projected is not None and projected > self._budget)
        self.total_card.show_summary(summary, current=snapshot.month == current_month(), projected=pace,
                                     over_budget_pace=over_pace)
        self._show_budget(summary.usd, projected)

    def _show_budget(self, own_spent: Decimal, own_projected: Decimal | None) -> None:
        """The Budget card: the team's month against the team budget while the Team view has figures of the month
        shown, else this seat's month (``own_spent``, heading for ``own_projected``) against its own budget."""
        team = self._team
        teamed = team is not None and team.month == self.month()
        self.total_card.set_title("Your month" if teamed else "This month")  # beside the team's, it is this seat's
        if team is None or not teamed:
            self.budget_card.show_budget(own_spent, self._budget, own_projected)
            return
        pace = projection(team.usd, team.month, self._clock())
        self.budget_card.show_team_budget(team.usd, team.budget_usd, self._budget, team.fetched_at,
                                          pace.total if pace is not None else None)

    def _team_loaded(self, spend: TeamSpend) -> None:
        self._team = spend
        self._show_money()

    def _team_cleared(self) -> None:
        self._team = None
        self._show_money()

    def _fill_months(self, snapshot: SpendSnapshot | None) -> None:
        shown = self.month()
        months = picker_months(snapshot.months if snapshot else (), current_month(), shown)
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        for month in months:
            self.month_combo.addItem(month_title(month), month)
        self.month_combo.setCurrentIndex(max(0, self.month_combo.findData(shown)))
        self.month_combo.blockSignals(False)
        has_library = self._queries is not None
        for widget in (self.export_button, self.refresh_button, self.demo_check, self.month_combo,
                       self.prev_button):
            widget.setEnabled(has_library)
        self.next_button.setEnabled(has_library and shown < current_month())
        self.export_button.setEnabled(has_library and snapshot is not None and bool(snapshot.entries))
        self.export_project_button.setEnabled(has_library and snapshot is not None and bool(snapshot.projects))

    def _fill_project_filter(self, snapshot: SpendSnapshot | None) -> None:
        """"All projects", then the month's projects and those the ledger's rows name, then "No project"; the
        choice made stays while its project is still offered."""
        chosen = self.proxy.project()
        names: dict[int, str] = {}
        for project in snapshot.projects if snapshot is not None else ():
            if project.project_id is not None and project.name is not None:
                names[project.project_id] = project.name
        for entry in snapshot.entries if snapshot is not None else ():
            if entry.row.project_id is not None:
                names.setdefault(entry.row.project_id, entry.row.project_name or str(entry.row.project_id))
        self.project_filter.blockSignals(True)
        self.project_filter.clear()
        self.project_filter.addItem("All projects", ALL_PROJECTS)
        for project_id, name in sorted(names.items(), key=lambda item: item[1].casefold()):
            self.project_filter.addItem(name, project_id)
        self.project_filter.addItem(NO_PROJECT, None)
        index = self.project_filter.findData(chosen)
        self.project_filter.setCurrentIndex(max(0, index))
        self.project_filter.blockSignals(False)
        self.project_filter.setEnabled(snapshot is not None)
        if index < 0:
            self._filter_changed_project()

    # --- reacting ---------------------------------------------------------------------------------

    def _go(self, delta: int) -> None:
        target = shift_month(self.month(), delta)
        if target <= current_month():
            self.show_month(target)

    def _month_chosen(self, index: int) -> None:
        month = self.month_combo.itemData(index)
        if isinstance(month, str) and month != self.month():
            self.show_month(month)

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def _filter_changed_billing(self, billing: BillingFilter) -> None:
        self.proxy.set_billing(billing)
        self._update_count()

    def _chart_tab_changed(self, index: int) -> None:
        """Beside the by-project chart the table of projects and budgets, wider than the by-model one (it has more
        columns); beside the others the month by model."""
        by_project = index == BY_PROJECT_TAB
        self.breakdown.setCurrentIndex(1 if by_project else 0)
        self._charts_layout.setStretch(0, 1 if by_project else 3)
        self._charts_layout.setStretch(1, 1 if by_project else 2)

    def _filter_changed_project(self) -> None:
        data = self.project_filter.currentData()
        self.proxy.set_project(ALL_PROJECTS if self.project_filter.currentIndex() <= 0 else data)
        self._update_count()

    def _set_project_budget(self, project_id: int, budget: object) -> None:
        queries = self._queries
        if queries is None:
            return
        usd = budget if isinstance(budget, Decimal) else None
        name = next((p.name for p in self.by_project.projects() if p.project_id == project_id), "the")

        def done(_project: object) -> None:
            self.statusMessage.emit(f"The {name} project's budget is now {money_text(usd)} a month" if usd is not None
                                    else f"The {name} project has no budget of its own now")
            self.projectBudgetChanged.emit(project_id)
            self.refresh()

        def failed(error: BaseException) -> None:
            self.statusMessage.emit(f"The {name} project's budget was not changed: {error}")

        TaskManager.instance().run_in_background(lambda: queries.set_project_budget(project_id, usd), done, failed,
                                                 parent=self)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.ledger.rowCount()
        text = plural(total, "job") if shown == total else f"{shown:,} of {plural(total, 'job')}"
        self.count_label.setText(text)

    def _row_activated(self, index: QModelIndex) -> None:
        image_id = index.data(Roles.ImageId)
        if image_id is None:
            return
        now = time.monotonic()
        # A double click is a click and an activation: show the image once.
        if self._last_shown is not None and self._last_shown[0] == image_id and \
                now - self._last_shown[1] < QApplication.doubleClickInterval() / 1000:
            return
        self._last_shown = (image_id, now)
        self.showImageRequested.emit(int(image_id))

    def _export_clicked(self) -> None:
        month = self._snapshot.month if self._snapshot is not None else self.month()  # what the ledger holds
        rows = self.shown_rows()
        filtered = len(rows) < self.ledger.rowCount()
        title = (f"Export the {plural(len(rows), 'job')} the filter shows" if filtered else "Export the ledger")
        name = f"fluxdesk-spend-{month}{'-filtered' if filtered else ''}.csv"
        path, _filter = QFileDialog.getSaveFileName(self, title, self._folders.start_path("export-ledger", name),
                                                    "CSV files (*.csv);;All files (*)")
        if not path:
            return
        self._folders.remember("export-ledger", Path(path).parent)
        scope = f" (filtered: {len(rows):,} of {self.ledger.rowCount():,})" if filtered else ""

        def done(written: int) -> None:
            self.statusMessage.emit(f"Exported {plural(written, 'job')} of {month_title(month)}{scope} to {path}")

        def failed(error: BaseException) -> None:
            self.statusMessage.emit(f"Could not export the ledger to {path}: {error}")

        TaskManager.instance().run_in_background(lambda: export_ledger_csv(rows, Path(path)), done, failed, parent=self)

    def _export_project_clicked(self) -> None:
        snapshot = self._snapshot
        if snapshot is None or not snapshot.projects:
            return
        first = month_date(snapshot.month)
        last = min(month_end(snapshot.month), self._clock().astimezone(UTC).date())
        chosen = self.proxy.project()
        dialog = ExportProjectDialog(snapshot.projects, first, max(first, last),
                                     selected=None if chosen is ALL_PROJECTS else chosen, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._export_project(*dialog.choice()))
        self.export_project_dialog = dialog
        dialog.open()

    def _export_project(self, project_id: int | None, name: str, first: date, last: date) -> None:
        queries = self._queries
        if queries is None:
            return
        slug = re.sub(r"[^\w-]+", "-", name).strip("-").lower() or "project"
        suggested = f"fluxdesk-{slug}-{first.isoformat()}-to-{last.isoformat()}.csv"
        path, _filter = QFileDialog.getSaveFileName(self, f"Export the {name} jobs",
                                                    self._folders.start_path("export-ledger", suggested),
                                                    "CSV files (*.csv);;All files (*)")
        if not path:
            return
        self._folders.remember("export-ledger", Path(path).parent)
        include_demo, rate = self.include_demo(), self._price_table.usd_per_credit
        days = f"{first.isoformat()} to {last.isoformat()}"

        def done(written: int) -> None:
            self.statusMessage.emit(f"Exported {plural(written, 'billed job')} of {name} ({days}) to {path}")

        def failed(error: BaseException) -> None:
            self.statusMessage.emit(f"Could not export the {name} jobs to {path}: {error}")

        TaskManager.instance().run_in_background(
            lambda: export_invoice_csv(queries, project_id, first, last, Path(path), include_demo=include_demo,
                                       usd_per_credit=rate), done, failed, parent=self)
