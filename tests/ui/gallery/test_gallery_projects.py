"""The gallery and client projects: the project filter (each project, "No project", archived ones marked) with the
other filters and the search; the details pane names the image's project; Move to project… from the context menu
and from Ctrl+Shift+P moves the images' jobs (and so the ledger's spend), says so in an undo bar, and Ctrl+Z moves
each image back to the project it was in."""

from __future__ import annotations

import pytest
from gallery_support import (  # noqa: F401 - fixtures
    WAIT_MS,
    Gallery,
    gallery,
    library,
    loader,
    make_gallery,
)
from menu_support import pick_from_popup, right_click
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from window_support import choose_project

from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.storage.gallery_queries import NO_PROJECT_FILTER
from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.filters import ALL_PROJECTS, ARCHIVED_MARK
from fluxdesk.ui.gallery.project_chooser import MoveToProjectDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # the popup menu


def in_projects(g: Gallery) -> dict[str, int]:
    """Acme holds the fox and the whale, Globex (archived) the lighthouse at dawn; the rest are in no project."""
    lib = g.library
    acme, globex = lib.ensure_project("Acme"), lib.ensure_project("Globex")
    lib.move_images_to_project([g.ids[0], g.ids[2]], acme.id)
    lib.move_images_to_project([g.ids[1]], globex.id)
    lib.archive_project(globex.id)
    g.tab.reload_projects()
    combo = project_filter(g)
    g.qtbot.waitUntil(lambda: combo.findText("Globex" + ARCHIVED_MARK) >= 0, timeout=WAIT_MS)
    return {"Acme": acme.id, "Globex": globex.id}


def project_filter(g: Gallery) -> QComboBox:
    combo = g.tab.filters.findChild(QComboBox, "galleryProjectFilter")
    assert combo is not None
    return combo


def pick_project(g: Gallery, text: str) -> None:
    """Pick an entry of the project filter by the words it shows, as the user does in its list."""
    combo = project_filter(g)
    index = combo.findText(text)
    assert index >= 0, f"{text} is not offered"
    combo.setCurrentIndex(index)
    g.wait_loaded()


def ledger_projects(lib: Library) -> dict[str, str | None]:
    """Each job's project in the spend ledger, by job id."""
    return {row.job_id: row.project_name for row in lib.ledger_rows(None, include_demo=True)}


def chooser(g: Gallery) -> MoveToProjectDialog:
    found: list[MoveToProjectDialog] = []
    g.qtbot.waitUntil(lambda: bool(found.extend(d for d in g.tab.findChildren(MoveToProjectDialog)
                                                if d.isVisible()) or found), timeout=WAIT_MS)
    return found[0]


def test_the_project_filter_shows_only_that_projects_images_and_combines_with_the_search(gallery: Gallery) -> None:  # noqa: F811
    ids = gallery.ids
    projects = in_projects(gallery)
    combo = project_filter(gallery)
    entries = [combo.itemText(i) for i in range(combo.count()) if combo.itemText(i)]
    assert entries == [ALL_PROJECTS, NO_PROJECT, "Acme", "Globex" + ARCHIVED_MARK]  # archived: last, marked

    pick_project(gallery, "Acme")
    assert gallery.tab.model.query().project == projects["Acme"]
    assert sorted(gallery.shown_ids()) == sorted([ids[0], ids[2]])
    assert gallery.tab.filters.count_label.text() == "2 images"
    assert gallery.tab.filters.clear_button.isVisible()

    gallery.tab.filters.search.setText("fox")
    gallery.apply()
    assert gallery.shown_ids() == [ids[0]]
    gallery.tab.filters.search.clear()
    gallery.apply()

    pick_project(gallery, "Globex" + ARCHIVED_MARK)  # an archived project's images are still there
    assert gallery.shown_ids() == [ids[1]]

    pick_project(gallery, NO_PROJECT)
    assert gallery.tab.model.query().project == NO_PROJECT_FILTER
    assert sorted(gallery.shown_ids()) == sorted(ids[3:])
    gallery.tab.filters.favourites.setChecked(True)  # with another filter: none of them is a favourite
    gallery.wait_loaded()
    assert gallery.shown_ids() == [] and gallery.tab.empty_text() == "No images match these filters."

    gallery.tab.filters.clear_filters()
    gallery.wait_loaded()
    assert combo.currentText() == ALL_PROJECTS and len(gallery.shown_ids()) == len(ids)


def test_the_details_pane_names_the_images_project(gallery: Gallery) -> None:  # noqa: F811
    in_projects(gallery)
    gallery.select_and_show(gallery.ids[0])
    assert "Project: Acme" in gallery.tab.details.text()
    gallery.select_and_show(gallery.ids[4])
    assert f"Project: {NO_PROJECT}" in gallery.tab.details.text()


def test_move_to_project_from_the_context_menu_moves_the_spend_and_ctrl_z_moves_each_back(gallery: Gallery) -> None:  # noqa: F811
    ids, lib, tab, qtbot = gallery.ids, gallery.library, gallery.tab, gallery.qtbot
    projects = in_projects(gallery)
    fox, tea = ids[0], ids[4]  # in Acme, and in no project
    jobs = {image_id: lib.get_image(image_id).job_id for image_id in (fox, tea)}
    gallery.select(fox, tea)

    pick_from_popup("Move to project…")
    index = tab.model.index(tab.model.row_of(tea))
    right_click(tab.view.viewport(), tab.view.visualRect(index).center())
    dialog = chooser(gallery)
    assert dialog.question.text() == "Move 2 images to which project? What they cost moves with them."
    offered = [dialog.combo.itemText(i) for i in range(dialog.combo.count())]
    assert offered[0] == NO_PROJECT and "Acme" in offered and "Globex" not in offered  # archived: not offered
    choose_project(dialog, "Initech")  # a new name: the project is made

    qtbot.waitUntil(lambda: tab.undo_bar.isVisible() and tab.undo_bar.label.text() == "Moved 2 images to Initech.",
                    timeout=WAIT_MS)
    initech = lib.project_named("initech")
    assert initech is not None
    assert lib.project_of_image(fox) == lib.project_of_image(tea) == initech.id
    ledger = ledger_projects(lib)
    assert ledger[jobs[fox]] == ledger[jobs[tea]] == "Initech"  # the spend moved with the jobs
    totals = lib.project_totals(include_demo=True)
    assert totals[initech.id].jobs == 2 and totals[projects["Acme"]].jobs == 1
    qtbot.waitUntil(lambda: project_filter(gallery).findText("Initech") >= 0, timeout=WAIT_MS)  # the filter has it
    assert tab.actions.undo.text() == "Undo move"

    tab.activateWindow()
    tab.view.setFocus()
    qtbot.waitUntil(tab.view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(tab.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: lib.project_of_image(fox) == projects["Acme"], timeout=WAIT_MS)
    assert lib.project_of_image(tea) is None  # each back where it was, not all to one
    ledger = ledger_projects(lib)
    assert (ledger[jobs[fox]], ledger[jobs[tea]]) == ("Acme", None)
    assert not tab.undo_bar.isVisible() and not tab.actions.undo.isEnabled()


def test_ctrl_shift_p_moves_the_selection_out_of_the_filtered_project_and_the_grid_follows(gallery: Gallery) -> None:  # noqa: F811
    ids, lib, tab, qtbot = gallery.ids, gallery.library, gallery.tab, gallery.qtbot
    projects = in_projects(gallery)
    pick_project(gallery, "Acme")
    gallery.select(ids[0], ids[2])
    gallery.select_and_show(ids[2])
    assert "Project: Acme" in tab.details.text()

    tab.activateWindow()
    tab.view.setFocus()
    qtbot.waitUntil(tab.view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(tab.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = chooser(gallery)
    assert dialog.question.text() == "Move 1 image to which project? What it cost moves with it."
    assert dialog.combo.currentText() == "Acme"  # the image's own project, to start from
    choose_project(dialog, NO_PROJECT)

    qtbot.waitUntil(lambda: gallery.shown_ids() == [ids[0]], timeout=WAIT_MS)  # it left the Acme view
    assert tab.filters.count_label.text() == "1 image"
    assert lib.project_of_image(ids[2]) is None
    assert tab.undo_bar.label.text() == f"Moved 1 image to {NO_PROJECT}."

    tab.undo_button.click()  # the undo bar's button: it comes back into the Acme view
    qtbot.waitUntil(lambda: sorted(gallery.shown_ids()) == sorted([ids[0], ids[2]]), timeout=WAIT_MS)
    assert lib.project_of_image(ids[2]) == projects["Acme"]


def test_the_chooser_refuses_an_archived_project_in_words_and_moves_nothing(gallery: Gallery) -> None:  # noqa: F811
    ids, lib, tab = gallery.ids, gallery.library, gallery.tab
    in_projects(gallery)
    gallery.select(ids[4])
    tab.actions.move_to_project.trigger()
    dialog = chooser(gallery)
    choose_project(dialog, "globex")
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert dialog.problem.text() == ("The images cannot move there: the project Globex is archived: bring it back in "
                                     "Settings → Projects first.")
    choose_project(dialog, "x" * 81)
    assert "at most 80 characters" in dialog.problem.text()
    dialog.reject()
    gallery.qtbot.wait(50)
    assert lib.project_of_image(ids[4]) is None and not tab.undo_bar.isVisible()


def test_move_to_project_is_not_offered_in_the_trash(gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    gallery.library.trash_image(gallery.ids[0])
    tab.filters.set_trash(True)
    gallery.wait_loaded()
    gallery.select(gallery.ids[0])
    assert not tab.actions.move_to_project.isEnabled()
    menu = tab.actions.context_menu(tab.selection_state(), tab)
    assert "Move to project…" not in [action.text() for action in menu.actions()]
    menu.deleteLater()
