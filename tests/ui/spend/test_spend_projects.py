"""The Spend tab's projects, on a real library: the By project chart and table show what `fluxdesk spend --by project`
says, a budget is set (and cleared, and an edit cancelled with Escape) in the table, the ledger shows and filters by
project, and Export project… writes the invoice CSV that `fluxdesk spend --project NAME --csv` prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit

from fluxdesk.cli import main as cli_main
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.library_views import SpendQueries
from fluxdesk.storage.library import Library
from fluxdesk.storage.price_table import load_price_table
from fluxdesk.storage.spend import ALL_PROJECTS, current_month
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.spend.by_project import Column as ProjectColumn
from fluxdesk.ui.spend.by_project import Roles as ProjectRoles
from fluxdesk.ui.spend.export_project import ExportProjectDialog
from fluxdesk.ui.spend.ledger import Column, Roles
from fluxdesk.ui.spend.tab import BY_PROJECT_TAB, SpendTab

WAIT_MS = 10_000


def make_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 90, 40)).save(out, "PNG")
    return out.getvalue()


def add_image(library: Library, prompt: str, cost: str, project: str | None, day: int) -> str:
    project_id = None if project is None else library.ensure_project(project).id
    request = GenerationRequest(model="flux-dev", prompt=prompt)
    job = library.create_job(request, {}, demo=False, project_id=project_id)
    library.mark_submitting(job)
    library.record_submission(job, f"task-{job}", "https://api.bfl.ai/x", Decimal(cost),
                              submitted_at=datetime.now(UTC).replace(day=day, hour=12))
    library.store_image(job, make_png(), "png", ImageRecord(model="flux-dev", prompt=prompt))
    return job


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The library's folder, also the command line's (FLUXDESK_HOME)."""
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    lib = Library.open(home)
    add_image(lib, "acme poster", "300", "Acme", 1)
    add_image(lib, "acme banner", "200", "Acme", 2)
    add_image(lib, "globex logo", "150", "Globex", 2)
    add_image(lib, "a personal sketch", "100", None, 3)
    yield lib
    TaskManager.instance().wait()
    lib.close()


@pytest.fixture
def tab(qtbot, home: Path, library: Library) -> SpendTab:
    widget = SpendTab(load_price_table(home), clock=lambda: datetime.now(UTC).replace(day=10))
    qtbot.addWidget(widget)
    widget.resize(1100, 760)
    widget.show()
    widget.set_queries(SpendQueries(library))
    loaded(qtbot, widget)
    return widget


def loaded(qtbot, tab: SpendTab) -> None:
    qtbot.waitUntil(lambda: tab.snapshot() is not None and not tab.is_loading(), timeout=WAIT_MS)


def project_rows(tab: SpendTab) -> dict[str | None, tuple]:
    model = tab.by_project
    return {model.index(r, 0).data(ProjectRoles.Name): tuple(
        model.index(r, 0).data(role) for role in (ProjectRoles.Jobs, ProjectRoles.Credits, ProjectRoles.Usd,
                                                  ProjectRoles.Budget, ProjectRoles.OverBudget))
        for r in range(model.rowCount())}


def row_of(tab: SpendTab, name: str | None) -> int:
    model = tab.by_project
    return next(r for r in range(model.rowCount()) if model.index(r, 0).data(ProjectRoles.Name) == name)


def type_budget(qtbot, tab: SpendTab, name: str, text: str, key: Qt.Key = Qt.Key.Key_Return) -> None:
    view = tab.by_project_view
    view.setFocus()
    view.setCurrentIndex(tab.by_project.index(row_of(tab, name), ProjectColumn.BUDGET))
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor is not view
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, key)


def test_the_by_project_view_says_what_the_command_line_says(qtbot, tab: SpendTab, capsys) -> None:
    tab.chart_tabs.tabBar().setCurrentIndex(BY_PROJECT_TAB)  # the tab a user clicks
    assert tab.breakdown.currentWidget().objectName() == "byProjectCard"
    assert cli_main(["spend", "--by", "project", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    shown = project_rows(tab)
    assert {p["name"]: (p["jobs"], p["credits"], p["usd"]) for p in cli["projects"]} == {
        name: (jobs, int(credits), float(usd)) for name, (jobs, credits, usd, _b, _o) in shown.items()}
    assert list(shown) == ["Acme", "Globex", None]  # most spent first, no project last
    assert tab.projects_chart.values() == [5.0, 1.5, 1.0]
    assert tab.by_project.index(row_of(tab, None), 0).data() == "No project"
    tab.chart_tabs.tabBar().setCurrentIndex(0)
    assert tab.breakdown.currentWidget().objectName() == "byModelCard"


def test_a_budget_is_set_marked_when_crossed_cleared_and_escape_cancels(qtbot, tab: SpendTab,
                                                                         library: Library) -> None:
    tab.show_by_project()
    changed: list[int] = []
    tab.projectBudgetChanged.connect(changed.append)
    acme = library.project_named("Acme")

    type_budget(qtbot, tab, "Acme", "$4.50")
    qtbot.waitUntil(lambda: project_rows(tab)["Acme"][3] == Decimal("4.50"), timeout=WAIT_MS)
    assert changed == [acme.id] and library.project(acme.id).budget_usd == Decimal("4.50")
    over = tab.by_project.index(row_of(tab, "Acme"), ProjectColumn.USED)
    assert project_rows(tab)["Acme"][4] is True and over.data() == "111% · over"
    assert tab.projects_chart.over_budget() == [True, False, False]

    messages: list[str] = []
    tab.statusMessage.connect(messages.append)
    type_budget(qtbot, tab, "Globex", "lots")
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)  # the view commits an edit after the key's event
    assert "is a number of dollars" in messages[-1] and library.project_named("Globex").budget_usd is None
    type_budget(qtbot, tab, "Globex", "20", Qt.Key.Key_Escape)  # cancelled: nothing asked, nothing changed
    qtbot.wait(200)
    assert changed == [acme.id] and library.project_named("Globex").budget_usd is None

    type_budget(qtbot, tab, "Acme", "")  # emptied: cleared
    qtbot.waitUntil(lambda: project_rows(tab)["Acme"][3] is None, timeout=WAIT_MS)
    assert library.project(acme.id).budget_usd is None and tab.projects_chart.over_budget() == [False] * 3
    no_project = tab.by_project.index(row_of(tab, None), ProjectColumn.BUDGET)
    assert not tab.by_project.flags(no_project) & Qt.ItemFlag.ItemIsEditable


def test_the_ledger_shows_and_filters_by_project(qtbot, tab: SpendTab) -> None:
    combo = tab.project_filter
    assert [combo.itemText(i) for i in range(combo.count())] == ["All projects", "Acme", "Globex", "No project"]
    projects = {tab.proxy.index(r, Column.PROJECT).data() for r in range(tab.proxy.rowCount())}
    assert projects == {"Acme", "Globex", "–"}
    combo.setCurrentIndex(combo.findText("Acme"))
    assert sorted(tab.proxy.index(r, Column.PROMPT).data() for r in range(tab.proxy.rowCount())) == [
        "acme banner", "acme poster"]
    assert tab.count_label.text() == "2 of 4 jobs"
    combo.setCurrentIndex(combo.findText("No project"))
    assert [tab.proxy.index(r, 0).data(Roles.ProjectId) for r in range(tab.proxy.rowCount())] == [None]
    tab.refresh()  # a new read keeps the choice
    loaded(qtbot, tab)
    assert combo.currentText() == "No project" and tab.proxy.rowCount() == 1
    tab.set_project_filter(ALL_PROJECTS)
    assert tab.proxy.rowCount() == 4


def test_export_project_writes_the_invoice_csv(qtbot, tab: SpendTab, tmp_path: Path, monkeypatch, capsys) -> None:
    target = tmp_path / "invoices" / "acme.csv"
    target.parent.mkdir()
    asked: list[str] = []

    def save_as(_parent, _title, start, _filter):
        asked.append(start)
        return str(target), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    messages: list[str] = []
    tab.statusMessage.connect(messages.append)
    tab.export_project_button.click()
    dialog = tab.findChild(ExportProjectDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.project_combo.setCurrentIndex(dialog.project_combo.findText("Acme"))
    first = datetime.now(UTC).date().replace(day=1)
    assert dialog.from_edit.date().toString("yyyy-MM-dd") == first.isoformat()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    assert messages[-1].startswith("Exported 2 billed jobs of Acme") and asked[0].endswith(".csv")
    with open(target, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["prompt"] for r in rows] == ["acme poster", "acme banner"]
    assert [r["credits"] for r in rows] == ["300", "200"] and sum(Decimal(r["usd"]) for r in rows) == Decimal(5)
    assert all(r["project"] == "Acme" and r["file_name"].endswith(".png") for r in rows)
    month = current_month()
    assert cli_main(["spend", "--project", "Acme", "--month", month, "--csv"]) == 0
    assert target.read_text(encoding="utf-8") == capsys.readouterr().out


def test_a_range_that_ends_before_it_starts_cannot_be_exported(qtbot, tab: SpendTab) -> None:
    tab.export_project_button.click()
    dialog = tab.findChild(ExportProjectDialog)
    dialog.to_edit.setDate(dialog.from_edit.date().addDays(-1))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "after it ends" in dialog.problem.text()
    dialog.reject()
