"""The budget question before sending: which budgets (the month's, the project's) a submission would take past, and
the words that ask it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core.pricing import format_price, format_usd


def budget_used(spent_usd: Decimal, budget_usd: Decimal | None) -> Decimal | None:
    """Percent of the budget spent; ``None`` without a budget (a budget of 0 is used up by any spend)."""
    if budget_usd is None:
        return None
    if not budget_usd:
        return Decimal(100) if spent_usd else Decimal(0)
    return spent_usd / budget_usd * 100


@dataclass(frozen=True)
class BudgetCrossing:
    """A budget a submission would take past: what was spent of it this month, and the budget."""

    spent: Decimal
    budget: Decimal
    project: str | None = None
    """The project whose budget it is; ``None``: the monthly budget."""
    team_age_s: float | None = None
    """``spent`` is the studio team's (its month, or all it spent on the project) as read this many seconds ago, and
    a monthly budget the team's; ``None``: this seat's own figures."""


@dataclass(frozen=True)
class OverBudget:
    """What to ask before sending ``cost`` dollars: every budget it would cross, the monthly one first."""

    cost: Decimal
    crossings: tuple[BudgetCrossing, ...]

    def title(self) -> str:
        if len(self.crossings) > 1:
            return "Over two budgets"
        project = self.crossings[0].project
        if project is None and self.crossings[0].team_age_s is not None:
            return "Over the team's budget this month"
        return "Over this month's budget" if project is None else f"Over the {project} project's budget"

    def text(self) -> str:
        lines = []
        for crossing in self.crossings:
            total = format_usd(crossing.spent + self.cost)
            if crossing.project is None and crossing.team_age_s is not None:
                age = age_words(crossing.team_age_s)
                lines.append(f"This month the team has spent {format_usd(crossing.spent)} of its "
                             f"{format_usd(crossing.budget)} budget (team spend as of {age}). These images cost "
                             f"{format_price(self.cost)}, which takes the team to {total}.")
            elif crossing.project is None:
                lines.append(f"This month you have spent {format_usd(crossing.spent)} of your "
                             f"{format_usd(crossing.budget)} budget. These images cost {format_price(self.cost)}, "
                             f"which takes you to {total}.")
            elif crossing.team_age_s is not None:
                lines.append(f"This would take the {crossing.project} project past its {format_usd(crossing.budget)} "
                             f"budget: the team has spent {format_usd(crossing.spent)} on it this month (team spend "
                             f"as of {age_words(crossing.team_age_s)}), and these images cost "
                             f"{format_price(self.cost)} ({total} in all).")
            else:
                lines.append(f"This would take the {crossing.project} project past its {format_usd(crossing.budget)} "
                             f"budget: it has spent {format_usd(crossing.spent)} this month, and these images cost "
                             f"{format_price(self.cost)} ({total} in all).")
        return "\n\n".join(lines) + "\n\nGenerate anyway?"


def age_words(seconds: float) -> str:
    """How long ago, in words: "just now", "40 s ago", "3 min ago", "2 h ago"."""
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


def over_budget(cost: Decimal, *, month_spent: Decimal | None, monthly_budget: Decimal | None,
                project: str | None = None, project_spent: Decimal | None = None,
                project_budget: Decimal | None = None, team_age_s: float | None = None) -> OverBudget | None:
    """The question to ask before sending ``cost`` dollars, or ``None`` when it crosses no budget. A monthly budget of
    0 or ``None`` is none; a spend not known yet (``None``) asks nothing of its budget; a project's budget of 0 is
    crossed by any cost. With ``team_age_s``, the spends (and the monthly budget) are the studio team's, as read
    that many seconds ago (the question says so)."""
    crossings = []
    if monthly_budget and month_spent is not None and month_spent + cost > monthly_budget:
        crossings.append(BudgetCrossing(month_spent, monthly_budget, team_age_s=team_age_s))
    if (project is not None and project_budget is not None and project_spent is not None
            and project_spent + cost > project_budget):
        crossings.append(BudgetCrossing(project_spent, project_budget, project, team_age_s))
    return OverBudget(cost, tuple(crossings)) if crossings else None
