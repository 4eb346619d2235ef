"""The three cards across the top of the Spend tab: the month's total, the budget (the team's in studio mode), the
credits at BFL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from fluxdesk.core.budgets import age_words
from fluxdesk.core.pricing import format_credits
from fluxdesk.core.wording import moment_text, plural
from fluxdesk.storage.spend import SpendSummary
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.forms import describe, make_label, row
from fluxdesk.ui.kit.money import percent, usd
from fluxdesk.ui.kit.surfaces import TitledCard
from fluxdesk.ui.kit.theme import set_tone
from fluxdesk.ui.spend.snapshot import MIN_PROJECTION_DAYS, Projection, ago, month_end, month_title

NEAR_BUDGET = Decimal("0.8")
"""From this share of the budget on, the bar warns."""
AGO_TICK_MS = 15_000
BAR_STEPS = 1000


def budget_state(spent: Decimal, budget: Decimal | None) -> str:
    """``none`` (no budget), ``ok``, ``near`` (≥ 80 %) or ``over`` (≥ 100 %)."""
    if not budget or budget <= 0:
        return "none"
    share = spent / budget
    if share >= 1:
        return "over"
    return "near" if share >= NEAR_BUDGET else "ok"


def _big_label(name: str, accessible: str) -> QLabel:
    label = make_label(name=name, wrap=False)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.9)
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Card(TitledCard):
    """A titled section card, as wide as its row allows; subclasses add their rows to ``self.body``."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(title, name, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)


class TotalCard(_Card):
    """The month's billed total in dollars and credits, the jobs behind it, and where the pace leads."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("This month", "totalCard", parent)
        layout = self.body
        self.total_label = _big_label("totalLabel", "Month's total")
        self.credits_label = make_label(tone="muted", name="totalCreditsLabel")
        self.jobs_label = make_label(tone="muted", name="jobsLabel", small=True)
        self.projection_label = make_label(name="projectionLabel", small=True)
        self.pending_label = make_label(tone="info", name="pendingLabel", small=True)
        for label in (self.total_label, self.credits_label, self.jobs_label, self.projection_label,
                      self.pending_label):
            layout.addWidget(label)
        layout.addStretch(1)
        self.pending_label.hide()
        self.show_summary(None)

    def show_summary(self, summary: SpendSummary | None, *, current: bool = True,
                     projected: Projection | None = None, over_budget_pace: bool = False) -> None:
        if summary is None:
            self.set_title("This month")
            self.total_label.setText("–")
            self.credits_label.setText("No library open")
            for label in (self.jobs_label, self.projection_label, self.pending_label):
                label.hide()
            return
        self.set_title("This month" if current else month_title(summary.month))
        self.title_label.setToolTip(f"{month_title(summary.month)}, counted in UTC like `fluxdesk spend`")
        self.total_label.setText(usd(summary.usd))
        self.credits_label.setText(f"{format_credits(summary.credits)} credits")
        jobs = plural(summary.jobs, "billed job")
        if summary.unbilled_jobs:
            jobs += f" · {plural(summary.unbilled_jobs, 'job')} not billed"
        self.jobs_label.setText(jobs)
        self.jobs_label.setToolTip("Moderated and failed jobs are not billed by BFL")
        self.jobs_label.show()
        if projected is not None:
            days = plural(projected.days, "day")
            if projected.total is None:
                self.projection_label.setText(f"Too early to project the month: {days} so far")
                self.projection_label.setToolTip(f"The month's end is projected from {MIN_PROJECTION_DAYS} days on")
                set_tone(self.projection_label, "muted")
            else:
                end = month_end(summary.month)
                self.projection_label.setText(f"Projected {usd(projected.total)} by {end:%b} {end.day} "
                                              f"at this pace (from {days})")
                self.projection_label.setToolTip(f"This month's total ÷ {days} so far (today included) "
                                                 "× days in the month")
                set_tone(self.projection_label, "warning" if over_budget_pace else "muted")
            self.projection_label.show()
        else:
            self.projection_label.hide()
        if summary.pending_jobs:
            pending = summary.usd_for(summary.pending_credits)
            self.pending_label.setText(f"{plural(summary.pending_jobs, 'job')} still running at BFL: "
                                       f"{format_credits(summary.pending_credits)} credits ({usd(pending)}), "
                                       "billed if finished")
            self.pending_label.show()
        else:
            self.pending_label.hide()


class BudgetCard(_Card):
    """The month against the monthly budget: a bar that warns near the budget and turns red over it. In studio mode
    (``show_team_budget``) the whole team's month against the team budget, and how fresh the team's figures are."""

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__("Budget", "budgetCard", parent)
        self._clock = clock or (lambda: datetime.now(UTC))
        layout = self.body
        self.bar = QProgressBar()
        self.bar.setObjectName("budgetBar")
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(12)
        self.amount_label = make_label(name="budgetAmountLabel")
        self.state_label = make_label(name="budgetStateLabel", small=True)
        self.source_label = make_label(tone="muted", name="budgetSourceLabel", small=True)
        """Studio mode only: how fresh the team's figures are, and whose budget they stand against."""
        layout.addSpacing(6)
        layout.addWidget(self.bar)
        layout.addWidget(self.amount_label)
        layout.addWidget(self.state_label)
        layout.addWidget(self.source_label)
        layout.addStretch(1)
        self._state = "none"
        self._team_read_at: datetime | None = None
        self._source_note = ""
        self._age_timer = QTimer(self, interval=AGO_TICK_MS)
        self._age_timer.timeout.connect(self._show_team_age)
        self.show_budget(Decimal(0), None)

    @property
    def state(self) -> str:
        """``none``, ``ok``, ``near`` or ``over``."""
        return self._state

    @property
    def team(self) -> bool:
        """Whether the card shows the team's month (studio mode) rather than this seat's."""
        return self._team_read_at is not None

    def show_budget(self, spent: Decimal, budget: Decimal | None, projected: Decimal | None = None) -> None:
        """This seat's month against its own monthly ``budget``."""
        self._team_read_at = None
        self._age_timer.stop()
        self.set_title("Budget")
        self.title_label.setToolTip("")
        self.bar.setAccessibleName("Month's spend against the budget")
        self.source_label.hide()
        self._show(spent, budget, projected, "No monthly budget set: set one in Settings")

    def show_team_budget(self, spent: Decimal, team_budget: Decimal | None, own_budget: Decimal | None,
                         read_at: datetime, projected: Decimal | None = None) -> None:
        """The team's month (``spent``, as read from the studio server at ``read_at``) against the ``team_budget``;
        when the studio set none, against this seat's ``own_budget``, saying so."""
        self._team_read_at = read_at
        self.set_title("Team budget")
        self.title_label.setToolTip("The whole team's billed spend this month, as read from the studio server")
        self.bar.setAccessibleName("Team's month against the team budget")
        budget = team_budget or own_budget
        if team_budget:
            self._source_note = ""
        elif own_budget:
            self._source_note = f"The studio set no team budget: shown against your own {usd(own_budget)}"
        else:
            self._source_note = "The studio set no team budget"
        self._show(spent, budget, projected, "No team budget, nor a monthly budget of yours: set one in Settings")
        self._show_team_age()
        self.source_label.show()
        self._age_timer.start()

    def _show(self, spent: Decimal, budget: Decimal | None, projected: Decimal | None, no_budget: str) -> None:
        self._state = budget_state(spent, budget)
        self.bar.setProperty("state", self._state)
        if self._state == "none":
            self.bar.setValue(0)
            self.bar.setEnabled(False)
            self.amount_label.setText(f"{usd(spent)} spent")
            self.state_label.setText(no_budget)
            set_tone(self.state_label, "muted")
        else:
            assert budget is not None
            share = spent / budget
            self.bar.setEnabled(True)
            self.bar.setValue(min(BAR_STEPS, int(share * BAR_STEPS)))
            self.amount_label.setText(f"{usd(spent)} of {usd(budget)} ({percent(share * 100, 0)})")
            if self._state == "over":
                self.state_label.setText(f"Over budget by {usd(spent - budget)}")
                set_tone(self.state_label, "error")
            elif self._state == "near":
                self.state_label.setText(f"Near the budget: {usd(budget - spent)} left")
                set_tone(self.state_label, "warning")
            elif projected is not None and projected > budget:
                self.state_label.setText(f"{usd(budget - spent)} left; at this pace the month ends over budget")
                set_tone(self.state_label, "warning")
            else:
                self.state_label.setText(f"{usd(budget - spent)} left")
                set_tone(self.state_label, "muted")
        self.bar.setToolTip(self.amount_label.text())
        self.restyle()

    def _show_team_age(self) -> None:
        if self._team_read_at is None:
            return
        age = age_words((self._clock() - self._team_read_at).total_seconds())
        self.source_label.setText(f"Team figures read {age}" + (f" · {self._source_note}" if self._source_note else ""))
        self.source_label.setToolTip(f"Read from the studio server at {moment_text(self._team_read_at)}; the Team "
                                     "view's Reload reads them again")

    def bar_color(self) -> str:
        """The colour of the state text's tone: red over, amber near or heading over, else green."""
        c = theme.colors()
        return {"error": c.error, "warning": c.warning}.get(self.state_label.property(theme.TONE_PROPERTY), c.success)

    def restyle(self) -> None:
        c = theme.colors()
        self.bar.setStyleSheet(
            f"QProgressBar {{ border: 1px solid {c.border}; border-radius: 5px; background: {c.base}; }}"
            f"QProgressBar::chunk {{ border-radius: 4px; background: {self.bar_color()}; }}")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.restyle()


class CreditsCard(_Card):
    """The credits balance BFL reported, how long ago, and a button to ask again."""

    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__("Credits at BFL", "creditsCard", parent)
        self._clock = clock or (lambda: datetime.now(UTC))
        layout = self.body
        self.credits_label = _big_label("balanceLabel", "Credits left")
        self.usd_label = make_label(tone="muted", name="balanceUsdLabel")
        self.read_label = make_label(tone="muted", name="readAtLabel", small=True)
        self.refresh_button = QPushButton("Refresh")
        describe(self.refresh_button, "Refresh credits", "Ask BFL for the credits balance now", "refreshCredits")
        self.refresh_button.clicked.connect(self._refresh_clicked)
        layout.addWidget(self.credits_label)
        layout.addWidget(self.usd_label)
        layout.addWidget(row(self.read_label, 1, self.refresh_button))
        layout.addStretch(1)
        self._credits: Decimal | None = None
        self._read_at: datetime | None = None
        self._usd_per_credit = Decimal("0.01")
        self._timer = QTimer(self)
        self._timer.setInterval(AGO_TICK_MS)
        self._timer.timeout.connect(self.update_ago)
        self._timer.start()
        # The button comes back if no answer arrives (the window may have nothing to ask with).
        self._unblock = QTimer(self, singleShot=True, interval=10_000)
        self._unblock.timeout.connect(lambda: self.refresh_button.setEnabled(True))
        self.show_credits(None, None)

    def set_usd_per_credit(self, rate: Decimal) -> None:
        self._usd_per_credit = rate
        self.show_credits(self._credits, self._read_at)

    def show_credits(self, credits: Decimal | None, read_at: datetime | None) -> None:
        self._credits, self._read_at = credits, read_at
        self._unblock.stop()
        self.refresh_button.setEnabled(True)
        if credits is None:
            self.credits_label.setText("–")
            self.usd_label.setText("Not read yet" if read_at is None else "Unknown: BFL could not be reached")
        else:
            self.credits_label.setText(f"{format_credits(credits)}")
            self.usd_label.setText(f"credits left ({usd(credits * self._usd_per_credit)})")
        self.update_ago()

    def update_ago(self) -> None:
        if self._read_at is None:
            self.read_label.setText("")
            return
        self.read_label.setText(f"read {ago(self._read_at, self._clock())}")
        self.read_label.setToolTip(f"Read at {moment_text(self._read_at)}")

    def _refresh_clicked(self) -> None:
        self.read_label.setText("Reading…")
        self.refresh_button.setEnabled(False)
        self._unblock.start()
        self.refreshRequested.emit()
