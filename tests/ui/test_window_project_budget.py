"""A project's budget in the real window on the demo simulator: set in the Spend tab's By project table, it is asked
about before Ctrl+Enter sends images that would take the project past it, named in the question; the monthly budget
too, and both when both are crossed. A No sends nothing."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit
from window_support import WAIT_MS, ctrl_enter, ready

from fluxdesk.core.budgets import BudgetCrossing
from fluxdesk.ui.spend.by_project import Column as ProjectColumn
from fluxdesk.ui.spend.by_project import Roles as ProjectRoles


def set_budget_in_spend_tab(qtbot, window, name: str, text: str) -> None:
    window.tabs.setCurrentWidget(window.spend_tab)
    qtbot.waitUntil(lambda: window.spend_tab.widget is not None, timeout=WAIT_MS)
    tab = window.spend_tab.widget
    tab.refresh()
    qtbot.waitUntil(lambda: not tab.is_loading() and any(
        p.name == name for p in tab.by_project.projects()), timeout=WAIT_MS)
    tab.show_by_project()
    row = next(r for r, p in enumerate(tab.by_project.projects()) if p.name == name)
    view = tab.by_project_view
    view.setFocus()
    view.setCurrentIndex(tab.by_project.index(row, ProjectColumn.BUDGET))
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.by_project.index(row, 0).data(ProjectRoles.Budget) == Decimal(text), timeout=WAIT_MS)
    window.tabs.setCurrentIndex(0)


def test_the_budget_question_names_the_projects_budget(qtbot, make_window) -> None:
    asked: list = []
    answer = [False]
    window = ready(qtbot, make_window(confirm_over_budget=lambda question: asked.append(question) or answer[0]))
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"width": 1024, "height": 1024})  # $0.03 an image
    qtbot.waitUntil(lambda: window.panel.project_picker().busy() is None, timeout=WAIT_MS)
    line = window.panel.findChild(QComboBox, "projectPicker").lineEdit()  # typing a new name makes the project
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "Acme")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panel.project_id() is not None, timeout=WAIT_MS)
    acme = window.panel.project_id()
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        ctrl_enter(qtbot, window, "a first poster for Acme")
    assert asked == []

    set_budget_in_spend_tab(qtbot, window, "Acme", "0.05")
    qtbot.waitUntil(lambda: acme in window.controller.project_spend
                    and window.controller.project_spend[acme].budget_usd == Decimal("0.05")
                    and window.controller.project_spend[acme].usd == Decimal("0.03"), timeout=WAIT_MS)
    posts = window.engine.simulator.counters.post_requests
    ctrl_enter(qtbot, window, "a second poster for Acme")  # $0.03 + $0.03 > $0.05
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    question = asked[0]
    assert question.cost == Decimal("0.03")
    assert question.crossings == (BudgetCrossing(Decimal("0.03"), Decimal("0.05"), "Acme"),)
    assert question.title() == "Over the Acme project's budget"
    assert question.text().startswith("This would take the Acme project past its $0.05 budget: it has spent $0.03 "
                                      "this month, and these images cost $0.03 ($0.06 in all).")
    qtbot.wait(300)
    assert window.engine.simulator.counters.post_requests == posts  # a No sends nothing

    window.controller.update_settings(monthly_budget_usd=Decimal("0.04"))
    answer[0] = True
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        ctrl_enter(qtbot, window, "a third poster for Acme")
    both = asked[1]
    assert [c.project for c in both.crossings] == [None, "Acme"] and both.title() == "Over two budgets"
    assert "This month you have spent $0.03 of your $0.04 budget." in both.text()

    window.panel.set_project(None)  # no project: only the monthly budget is asked about
    qtbot.waitUntil(lambda: window.panel.project_id() is None, timeout=WAIT_MS)
    answer[0] = False
    ctrl_enter(qtbot, window, "a sketch of my own")
    qtbot.waitUntil(lambda: len(asked) == 3, timeout=WAIT_MS)
    assert [c.project for c in asked[2].crossings] == [None]
