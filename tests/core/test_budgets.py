"""The budget question's words: the seat's own month and project, and in a studio the team's, with their age."""

from __future__ import annotations

from decimal import Decimal

from fluxdesk.core.budgets import over_budget


def test_nothing_is_asked_below_every_budget_and_an_unknown_spend_asks_nothing() -> None:
    assert over_budget(Decimal("1"), month_spent=Decimal("5"), monthly_budget=Decimal("10")) is None
    assert over_budget(Decimal("100"), month_spent=None, monthly_budget=Decimal("10")) is None
    assert over_budget(Decimal("1"), month_spent=Decimal("5"), monthly_budget=None, project="Acme",
                       project_spent=None, project_budget=Decimal("0")) is None


def test_the_seats_own_project_question() -> None:
    question = over_budget(Decimal("0.03"), month_spent=Decimal("1"), monthly_budget=None, project="Acme",
                           project_spent=Decimal("0.05"), project_budget=Decimal("0.05"))
    assert question is not None and question.title() == "Over the Acme project's budget"
    assert question.text().startswith("This would take the Acme project past its $0.05 budget: it has spent $0.05 "
                                      "this month")


def test_in_a_studio_both_crossings_say_they_are_the_teams_and_how_fresh() -> None:
    question = over_budget(Decimal("0.03"), month_spent=Decimal("0.25"), monthly_budget=Decimal("0.26"),
                           project="Initech", project_spent=Decimal("0.05"), project_budget=Decimal("0.05"),
                           team_age_s=130)
    assert question is not None and question.title() == "Over two budgets"
    month, project = question.text().split("\n\n")[:2]
    assert month.startswith("This month the team has spent $0.25 of its $0.26 budget (team spend as of 2 min ago)")
    assert project == ("This would take the Initech project past its $0.05 budget: the team has spent $0.05 on it "
                       "this month (team spend as of 2 min ago), and these images cost $0.03 ($0.08 in all).")
    assert question.text().endswith("Generate anyway?")
