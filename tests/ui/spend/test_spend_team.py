"""The Spend tab's Team view (studio mode) on a real library, its reader a plain function answering ``TeamSpend`` as the
studio server does: the chart beside the table shows the team's month per grouping chosen in the combo (by project
beside each project's budget, those over it marked; by day every day, under the team budget's daily share), and the
Budget card shows the team's month against the team budget while the Team view has figures of the month shown, and
this seat's own month again when the view hides, another month is shown, or the first read fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from test_spend_projects import add_image

from fluxdesk.core.catalog import display_name
from fluxdesk.core.pricing import format_usd
from fluxdesk.services.library_views import SpendQueries
from fluxdesk.storage.library import Library
from fluxdesk.storage.price_table import load_price_table
from fluxdesk.storage.spend import current_month
from fluxdesk.storage.studio.link import StudioError
from fluxdesk.storage.studio.team import TeamGroup, TeamSpend
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit import theme
from fluxdesk.ui.spend.snapshot import days_in_month, month_title, shift_month
from fluxdesk.ui.spend.tab import SpendTab

WAIT_MS = 10_000
NOW = datetime.now(UTC).replace(day=10, hour=12, minute=0, second=0, microsecond=0)
MONTH = current_month()
TEAM_BUDGET = Decimal("10.00")


def group(key: str | None, usd: str, jobs: int, budget: str | None = None, unbilled: int = 0) -> TeamGroup:
    return TeamGroup(key, Decimal(usd) * 100, Decimal(usd), jobs, unbilled, None if budget is None else Decimal(budget))


GROUPS = {
    "seat": [group("anna", "4.20", 40, unbilled=2), group("bob", "2.80", 22)],
    "project": [group("Acme", "4.00", 30, "3.50"), group("Globex", "2.00", 20, "5.00"), group(None, "1.00", 12)],
    "model": [group("flux-2-pro", "5.00", 40), group("flux-dev", "2.00", 22)],
    "day": [group(f"{MONTH}-02", "3.00", 30), group(f"{MONTH}-05", "4.00", 32)],
}


class FakeStudio:
    """What the studio server answers: a month's groups as set here, read 2 minutes before ``NOW``; a month in
    ``failing`` raises the ``StudioError`` an unreachable server does."""

    def __init__(self) -> None:
        self.budget: Decimal | None = TEAM_BUDGET
        self.groups: dict[str, list[TeamGroup]] = dict(GROUPS)
        self.failing: set[str] = set()
        self.reads: list[tuple[str, str]] = []

    def read(self, month: str, by: str) -> TeamSpend:
        self.reads.append((month, by))
        if month in self.failing:
            raise StudioError("The studio server at db.example:5432 cannot be reached")
        groups = self.groups[by] if month == MONTH else []
        return TeamSpend(month, by, groups, sum((g.credits for g in groups), Decimal(0)),
                         sum((g.usd for g in groups), Decimal(0)), sum(g.jobs for g in groups),
                         sum(g.unbilled_jobs for g in groups), self.budget, NOW - timedelta(minutes=2))


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path)
    add_image(lib, "acme poster", "300", "Acme", 1)  # this seat's own month: $5.00
    add_image(lib, "a personal sketch", "200", None, 2)
    yield lib
    TaskManager.instance().wait()
    lib.close()


@pytest.fixture
def studio() -> FakeStudio:
    return FakeStudio()


@pytest.fixture
def tab(qtbot, tmp_path: Path, library: Library, studio: FakeStudio) -> SpendTab:
    widget = SpendTab(load_price_table(tmp_path), clock=lambda: NOW)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    widget.set_budget(Decimal(50))
    widget.set_queries(SpendQueries(library))
    qtbot.waitUntil(lambda: widget.snapshot() is not None and not widget.is_loading(), timeout=WAIT_MS)
    widget.set_team_reader(studio.read)
    team_read(qtbot, widget, "seat")
    return widget


def team_read(qtbot, tab: SpendTab, by: str, month: str = MONTH) -> None:
    card = tab.team_card
    qtbot.waitUntil(lambda: card.spend is not None and (card.spend.month, card.spend.by) == (month, by)
                    and card.age_label.text().startswith("Figures read"), timeout=WAIT_MS)


def choose(qtbot, tab: SpendTab, by: str) -> None:
    """Pick ``by`` in the grouping combo with the keyboard, as a user does."""
    combo = tab.team_card.grouping_combo
    combo.setFocus()
    while combo.currentData() != by:
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    team_read(qtbot, tab, by)


def legend(chart) -> list[str]:
    return [marker.label() for marker in chart.chart().legend().markers() if marker.isVisible()]


def test_the_chart_shows_each_grouping(qtbot, tab: SpendTab, studio: FakeStudio) -> None:
    team = tab.team_card.chart
    chart = team.chart()
    assert chart is team.groups_chart and chart.isVisible() and tab.team_card.view.isVisible()
    assert chart.title() == f"Team by seat · {month_title(MONTH)}"
    assert (chart.labels(), chart.values()) == (["anna", "bob"], [4.2, 2.8])
    assert chart.budgets() == [] and legend(chart) == ["Billed"]
    assert chart.tooltip(0) == "anna: $4.20 (420 credits, 40 billed jobs; 2 not billed)"

    choose(qtbot, tab, "project")
    assert chart.title() == f"Team by project · {month_title(MONTH)}"
    assert chart.labels() == ["Acme", "Globex", "(no project)"]
    assert (chart.values(), chart.budgets()) == ([4.0, 2.0, 1.0], [3.5, 5.0, 0.0])
    assert chart.over_budget() == [True, False, False]  # Acme's $4.00 is past its $3.50
    assert legend(chart) == ["Billed", "Project's budget"]
    assert chart.tooltip(0) == "Acme: $4.00 (400 credits, 30 billed jobs), over its $3.50 budget"
    assert chart.tooltip(2).endswith("no budget of its own")

    choose(qtbot, tab, "model")
    assert chart.labels() == [display_name("flux-2-pro"), display_name("flux-dev")]
    assert chart.budgets() == [] and chart.over_budget() == [False, False]

    choose(qtbot, tab, "day")
    day_chart = team.chart()
    assert day_chart is team.day_chart and day_chart.isVisible() and not chart.isVisible()
    days = days_in_month(MONTH)
    values = day_chart.values()
    assert len(values) == days and (values[1], values[4]) == (3.0, 4.0) and sum(values) == 7.0
    assert day_chart.days()[0] == f"{MONTH}-01" and day_chart.days()[-1] == f"{MONTH}-{days:02d}"
    share = TEAM_BUDGET / days
    assert day_chart.budget_value() == share
    assert legend(day_chart) == ["Billed per day", f"Daily share of the team budget ({format_usd(share)})"]
    assert day_chart.chart().title() == f"Team by day · {month_title(MONTH)} (UTC)"
    assert day_chart.tooltip(1) == f"{MONTH}-02: $3.00 (300 credits, 30 billed jobs)"
    assert day_chart.tooltip(0) == f"{MONTH}-01: $0.00 (0 credits, 0 billed jobs)"

    studio.budget = None  # the studio drops its budget: Reload, and the line goes
    tab.team_card.reload_button.click()
    qtbot.waitUntil(lambda: tab.team_card.spend.budget_usd is None, timeout=WAIT_MS)
    assert day_chart.budget_value() is None and legend(day_chart) == ["Billed per day"]
    assert studio.reads == [(MONTH, by) for by in ("seat", "project", "model", "day", "day")]


def test_an_empty_month_draws_no_bars(qtbot, tab: SpendTab, studio: FakeStudio) -> None:
    studio.groups = {by: [] for by in GROUPS}
    tab.team_card.reload_button.click()
    qtbot.waitUntil(lambda: tab.team_card.spend.groups == [], timeout=WAIT_MS)
    chart = tab.team_card.chart.chart()
    assert chart.values() == [] and chart.budget_value() is None
    assert chart.title() == f"Team by seat · {month_title(MONTH)}: nothing billed"
    choose(qtbot, tab, "project")
    assert chart.values() == [] and chart.budgets() == []
    choose(qtbot, tab, "day")
    assert set(tab.team_card.chart.day_chart.values()) == {0.0}


def test_the_chart_follows_the_theme(tab: SpendTab, restore_theme) -> None:
    chart = tab.team_card.chart.groups_chart
    theme.apply_theme(restore_theme, "dark")
    assert chart.chart().backgroundBrush().color() == QColor(theme.DARK.card)
    theme.apply_theme(restore_theme, "light")
    assert chart.chart().backgroundBrush().color() == QColor(theme.LIGHT.card)
    assert tab.team_card.chart.day_chart.chart().backgroundBrush().color() == QColor(theme.LIGHT.card)


def own_mode(tab: SpendTab) -> bool:
    card = tab.budget_card
    return (not card.team and card.title_label.text() == "Budget" and card.source_label.isHidden()
            and tab.total_card.title_label.text() == "This month")


def test_the_budget_card_shows_the_team_month(qtbot, tab: SpendTab, studio: FakeStudio) -> None:
    card = tab.budget_card
    assert card.team and card.title_label.text() == "Team budget"
    assert tab.total_card.title_label.text() == "Your month"  # beside the team's budget, this seat's own
    assert card.amount_label.text() == "$7.00 of $10.00 (70%)"  # the team's $7.00, not this seat's $5.00
    assert card.state_label.text() == "$3.00 left; at this pace the month ends over budget"
    assert card.source_label.isVisible() and card.source_label.text() == "Team figures read 2 min ago"

    studio.groups["seat"] = [group("anna", "8.20", 50), group("bob", "2.80", 22)]
    tab.team_card.reload_button.click()
    qtbot.waitUntil(lambda: card.amount_label.text() == "$11.00 of $10.00 (110%)", timeout=WAIT_MS)
    assert (card.state, card.state_label.text()) == ("over", "Over budget by $1.00")

    studio.budget = None  # no team budget: against this seat's own $50, saying so
    tab.team_card.reload_button.click()
    qtbot.waitUntil(lambda: card.amount_label.text() == "$11.00 of $50.00 (22%)", timeout=WAIT_MS)
    assert card.title_label.text() == "Team budget"
    assert card.source_label.text() == ("Team figures read 2 min ago · The studio set no team budget: shown against "
                                        "your own $50.00")
    tab.set_budget(None)
    assert (card.state, card.amount_label.text()) == ("none", "$11.00 spent")
    assert card.state_label.text() == "No team budget, nor a monthly budget of yours: set one in Settings"
    tab.set_budget(Decimal(50))

    tab.set_team_reader(None)  # the home left the studio: the seat's own month, as without a studio
    assert own_mode(tab) and not tab.team_card.isVisible()
    assert card.amount_label.text() == "$5.00 of $50.00 (10%)"
    assert card.state_label.text() == "$45.00 left"


def test_another_month_or_a_failed_first_read_shows_the_own_month(qtbot, tab: SpendTab, studio: FakeStudio) -> None:
    card = tab.budget_card
    before = shift_month(MONTH, -1)
    studio.failing.add(before)  # the server cannot answer for last month: this month's team figures stay
    tab.prev_button.click()
    qtbot.waitUntil(lambda: tab.snapshot().month == before and not tab.is_loading(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.team_card.age_label.text().startswith("The team's figures cannot be read now"),
                    timeout=WAIT_MS)
    assert tab.team_card.spend.month == MONTH and own_mode(tab)
    assert card.amount_label.text() == "$0.00 of $50.00 (0%)"  # this seat spent nothing last month

    tab.next_button.click()  # back to this month: the team's figures of it again
    team_read(qtbot, tab, "seat")
    qtbot.waitUntil(lambda: card.team, timeout=WAIT_MS)
    assert card.amount_label.text() == "$7.00 of $10.00 (70%)"

    studio.failing.add(MONTH)  # a failed Reload keeps the figures shown, and says how old they are
    tab.team_card.reload_button.click()
    qtbot.waitUntil(lambda: tab.team_card.age_label.text().startswith("The team's figures cannot be read now; "
                                                                      "shown: figures read 2 min ago"),
                    timeout=WAIT_MS)
    assert card.team and card.amount_label.text() == "$7.00 of $10.00 (70%)"

    tab.set_team_reader(None)
    tab.set_team_reader(studio.read)  # joined again, the server down: nothing to show, the own month
    qtbot.waitUntil(lambda: tab.team_card.age_label.text() == "The team's figures cannot be read now",
                    timeout=WAIT_MS)
    assert tab.team_card.spend is None and own_mode(tab)
    assert tab.team_card.chart.chart().title() == "Team · no figures read yet"
    assert card.amount_label.text() == "$5.00 of $50.00 (10%)"


def test_projects_whose_shortened_names_agree_keep_one_label_under_each_bar(qtbot, tab: SpendTab,
                                                                            studio: FakeStudio) -> None:
    studio.groups["project"] = [group("Acme spring campaign 2026", "3.00", 3),
                                group("Acme spring campaign 2027", "2.00", 2), group("Globex", "1.00", 1)]
    choose(qtbot, tab, "project")
    chart = tab.team_card.chart.chart()
    assert chart.labels() == ["Acme spring cam…", "Acme spring cam… (2)", "Globex"]  # three bars, three labels
    assert chart.values() == [3.0, 2.0, 1.0]


def test_the_team_view_reads_the_server_when_the_links_figures_moved_or_on_reload_not_on_each_refresh(
        qtbot, tab: SpendTab, studio: FakeStudio) -> None:
    reads = len(studio.reads)
    tab.refresh()  # after a job, a move, a budget edit: the ledger is read again, the server is not
    qtbot.waitUntil(lambda: not tab.is_loading(), timeout=WAIT_MS)
    tab.follow_team(studio.read(MONTH, "project"))  # the link's read: the same totals as shown
    assert len(studio.reads) == reads + 1  # only the link's own read
    studio.groups["seat"] = [group("anna", "5.20", 41), group("bob", "2.80", 22)]
    studio.groups["project"] = [group("Acme", "5.00", 31, "3.50"), group("Globex", "2.00", 20, "5.00"),
                                group(None, "1.00", 12)]
    tab.follow_team(studio.read(MONTH, "project"))  # a job since: the view reads its grouping again
    qtbot.waitUntil(lambda: tab.team_card.spend.usd == Decimal("8.00"), timeout=WAIT_MS)
    assert studio.reads[-1] == (MONTH, "seat")
    reads = len(studio.reads)
    tab.refresh_button.click()  # the tab's Reload reads the team's month too
    qtbot.waitUntil(lambda: len(studio.reads) == reads + 1, timeout=WAIT_MS)
