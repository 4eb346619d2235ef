"""Settings → Projects: the library's projects with their jobs and state; Rename (a name another project has, whatever
its case, is refused in words), Archive / Unarchive, Delete (only an empty project; otherwise the button is disabled
and its tooltip says why). Driven through the buttons over a real library; in the window, the prompt panel's picker
and the remembered current project follow a rename, an archive and a delete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring_support import MemoryKeyring
from PySide6.QtCore import Qt
from window_support import WAIT_MS, open_settings_at, picker, ready, type_project

from fluxdesk.core.request import GenerationRequest, validate
from fluxdesk.services.library_views import ProjectAdmin
from fluxdesk.storage.library import Library
from fluxdesk.storage.settings import Settings
from fluxdesk.ui.dialogs.projects_page import ProjectRoles, ProjectsPage
from fluxdesk.ui.dialogs.settings import SECTIONS, SettingsDialog
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.main_window import MainWindow


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library")
    yield lib
    TaskManager.instance().wait()
    lib.close()


def add_jobs(library: Library, project_id: int, count: int) -> None:
    request = GenerationRequest(model="flux-dev", prompt="a poster", seed=1, width=512, height=512)
    body = validate(request).body
    assert body is not None
    for _ in range(count):
        library.create_job(request, body, demo=True, project_id=project_id)


def open_page(qtbot, make_dialog, library: Library, settings: Settings | None = None
              ) -> tuple[SettingsDialog, ProjectsPage]:
    dialog = make_dialog(settings, projects=ProjectAdmin(library))
    dialog.select_section("Projects")
    page = dialog.projects_page
    qtbot.waitUntil(lambda: not page.is_busy() and page.model.rowCount() > 0, timeout=WAIT_MS)
    return dialog, page


def rows(page: ProjectsPage) -> list[tuple[str, int, bool]]:
    model = page.model
    return [(model.index(r, 0).data(ProjectRoles.Name), model.index(r, 0).data(ProjectRoles.Jobs),
             model.index(r, 0).data(ProjectRoles.Archived)) for r in range(model.rowCount())]


def click(qtbot, page: ProjectsPage, button) -> None:
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)


def test_the_page_lists_projects_with_their_jobs_and_renames_through_the_button(qtbot, make_dialog,
                                                                                 library: Library) -> None:
    acme, globex = library.ensure_project("Acme"), library.ensure_project("Globex")
    add_jobs(library, acme.id, 3)
    dialog, page = open_page(qtbot, make_dialog, library, Settings(current_project="acme"))
    assert "Projects" in SECTIONS and dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Projects"
    assert rows(page) == [("Acme", 3, False), ("Globex", 0, False)]  # the one used last first
    assert page.model.index(0, 1).data() == "3" and page.model.index(0, 2).data() == "Active"
    assert not page.rename_button.isEnabled() and page.delete_button.toolTip() == "Select a project first"

    page.select_project("acme")
    qtbot.keyClicks(page.name_edit, "GLOBEX")
    with qtbot.assertNotEmitted(page.projectRenamed):
        click(qtbot, page, page.rename_button)
    assert page.result_label.text() == "Not renamed: there is already a project called Globex."
    assert library.project(acme.id).name == "Acme"

    page.name_edit.clear()
    qtbot.keyClicks(page.name_edit, "Acme Corp")
    with (qtbot.waitSignal(page.projectsChanged, timeout=WAIT_MS),
          qtbot.waitSignal(page.projectRenamed, timeout=WAIT_MS) as renamed):
        click(qtbot, page, page.rename_button)
    assert renamed.args == ["Acme", "Acme Corp"]
    qtbot.waitUntil(lambda: rows(page)[0][0] == "Acme Corp", timeout=WAIT_MS)
    assert library.project(acme.id).name == "Acme Corp" and page.name_edit.text() == ""
    assert page.result_label.text() == "Renamed Acme to Acme Corp. Its images and spend follow."
    assert page.selected() is not None and page.selected().project.id == acme.id  # still selected
    assert dialog.current_settings().current_project == "Acme Corp"  # Save keeps the current project, renamed
    assert globex.id == library.project_named("globex").id


def test_archive_and_unarchive_and_delete_only_an_empty_project(qtbot, make_dialog, library: Library) -> None:
    acme, empty = library.ensure_project("Acme"), library.ensure_project("Spare")
    add_jobs(library, acme.id, 2)
    dialog, page = open_page(qtbot, make_dialog, library, Settings(current_project="Acme"))

    page.select_project("Acme")
    assert not page.delete_button.isEnabled()
    assert page.delete_button.toolTip() == ("Acme has 2 jobs: only an empty project can be deleted. Archive it to "
                                            "hide it, or move its images to another project in the gallery first")
    assert page.archive_button.text() == "Archive"
    with qtbot.waitSignal(page.projectRemoved, timeout=WAIT_MS) as removed:
        click(qtbot, page, page.archive_button)
    assert removed.args == ["Acme"] and library.project(acme.id).archived
    qtbot.waitUntil(lambda: ("Acme", 2, True) in rows(page), timeout=WAIT_MS)
    assert page.archive_button.text() == "Unarchive" and page.model.index(page.model.row_of(acme.id), 2).data() \
        == "Archived"
    assert dialog.current_settings().current_project is None  # archived: not for new images
    assert [p.name for p in library.projects()] == ["Spare"]  # hidden from the picker's list

    with qtbot.assertNotEmitted(page.projectRemoved):
        click(qtbot, page, page.archive_button)
    assert not library.project(acme.id).archived and page.archive_button.text() == "Archive"
    assert page.result_label.text() == "Acme is back in the prompt panel's picker."

    page.select_project("Spare")
    assert page.delete_button.isEnabled() and page.delete_button.toolTip() == "Delete this project (it has no jobs)"
    with qtbot.waitSignal(page.projectRemoved, timeout=WAIT_MS):
        click(qtbot, page, page.delete_button)
    assert library.project(empty.id) is None and page.result_label.text() == "Deleted Spare."
    qtbot.waitUntil(lambda: rows(page) == [("Acme", 2, False)], timeout=WAIT_MS)


def test_without_a_library_the_page_says_so(qtbot, make_dialog) -> None:
    dialog = make_dialog()
    page = dialog.projects_page
    assert page.empty_label.text().startswith("No library is open yet")
    assert not page.name_edit.isEnabled() and not page.archive_button.isEnabled()


# --- through the window: the prompt panel's picker follows ----------------------------------------------------

def open_projects(qtbot, window: MainWindow) -> ProjectsPage:
    page = open_settings_at(qtbot, window, "Projects").projects_page
    qtbot.waitUntil(lambda: not page.is_busy() and page.model.rowCount() > 0, timeout=WAIT_MS)
    return page


def test_the_prompt_panels_picker_follows_a_rename_an_archive_and_a_delete(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    qtbot.waitUntil(lambda: window.panel.project_picker().busy() is None, timeout=WAIT_MS)
    type_project(qtbot, window, "Acme")
    qtbot.waitUntil(lambda: window.panel.project_id() is not None, timeout=WAIT_MS)
    library = window.session.library
    library.ensure_project("Spare")

    page = open_projects(qtbot, window)
    page.select_project("Acme")
    qtbot.keyClicks(page.name_edit, "Acme Studio")
    click(qtbot, page, page.rename_button)
    qtbot.waitUntil(lambda: picker(window).currentText() == "Acme Studio", timeout=WAIT_MS)
    assert window.controller.settings.current_project == "Acme Studio"
    assert window.panel.project_id() == library.project_named("Acme Studio").id

    page.select_project("Acme Studio")
    click(qtbot, page, page.archive_button)
    qtbot.waitUntil(lambda: picker(window).currentText() == "No project", timeout=WAIT_MS)
    combo = picker(window)
    qtbot.waitUntil(lambda: [combo.itemText(i) for i in range(combo.count())] == ["No project", "Spare"],
                    timeout=WAIT_MS)
    assert window.controller.settings.current_project is None and window.panel.project_id() is None

    type_project(qtbot, window, "Spare")
    qtbot.waitUntil(lambda: window.controller.settings.current_project == "Spare", timeout=WAIT_MS)
    page.select_project("Spare")
    click(qtbot, page, page.delete_button)
    qtbot.waitUntil(lambda: [combo.itemText(i) for i in range(combo.count())] == ["No project"], timeout=WAIT_MS)
    assert window.controller.settings.current_project is None and combo.currentText() == "No project"
    window._settings_dialog.reject()
