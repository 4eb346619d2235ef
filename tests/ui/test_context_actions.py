"""Every command outside the menu bar, reached the way a user reaches it: the gallery's context menu and
keys, the queue's menu and keys, the latest images' menu, the large viewer's keys and buttons, the details' Copy and
the prompt history.

A right-click is sent as the context-menu event it is, so the tab's own handler builds and shows its menu;
the action is then found in that menu by the words the user reads and triggered. Each group keeps a dict
of expectations keyed by those words: a new command without one (or one that went away) fails its walk.
Only the OS boundary is replaced: opening files, the folder dialog and the yes/no question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from menu_support import pick_from_popup, right_click, words
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel, QMessageBox, QToolButton, QWidget
from pytestqt.exceptions import TimeoutError
from window_support import WAIT_MS, choose_project, ctrl_enter, ready

from fluxdesk.services.demo import DEMO_CREDITS
from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.gallery.project_chooser import MoveToProjectDialog
from fluxdesk.ui.gallery.tab import EMPTY_TRASH, GalleryTab
from fluxdesk.ui.main_window import MainWindow
from fluxdesk.ui.mask.dialog import EditDialog
from fluxdesk.ui.queue.model import Roles as JobRoles
from fluxdesk.ui.queue.recent import RecentRoles

# A popup menu asks the platform for the keyboard; the offscreen plugin the tests run on says it cannot.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")


def activate(qtbot, widget: QWidget) -> None:
    window = widget.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=WAIT_MS)


@pytest.fixture
def os_boundary(monkeypatch, tmp_path: Path) -> dict:
    """The system's file opener, the folder dialog and the yes/no question, answered here."""
    boundary = {"opened": [], "export": tmp_path / "exported", "asked": []}
    boundary["export"].mkdir()
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: boundary["opened"].append(url.toLocalFile()) or True)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(boundary["export"]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: boundary["asked"].append(args[1]) or QMessageBox.StandardButton.Yes)
    return boundary


# --- the gallery ----------------------------------------------------------------------------------------


@dataclass
class Shown:
    """The image a command acts on, as the grid showed it just before."""

    id: int
    path: str
    prompt: str
    seed: int | None
    favourite: bool
    row: int
    missing: bool


def make_images(qtbot, window: MainWindow, count: int) -> GalleryTab:
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"seed": 4321, "width": 512, "height": 512})
    window.panel.set_count(count)
    ctrl_enter(qtbot, window, "a teapot for every command")
    qtbot.waitUntil(lambda: window.recent.count() == count, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: gallery.model.rowCount() == count and not gallery.model.is_loading(), timeout=WAIT_MS)
    return gallery


class Scenes:
    """Puts the gallery into each state where a command is enabled, one image selected."""

    def __init__(self, qtbot, window: MainWindow, gallery: GalleryTab) -> None:
        self.qtbot, self.window, self.gallery = qtbot, window, gallery
        self.library = window.session.library

    def _view(self, trash: bool) -> None:
        self.window.tabs.setCurrentWidget(self.window.gallery_tab)
        viewer = self.gallery.viewer()
        if viewer is not None and viewer.isVisible():
            viewer.close_action.trigger()
        if self.gallery.filters.trash_button.isChecked() != trash:
            self.gallery.filters.trash_button.setChecked(trash)
        self.gallery.filters.apply_now()
        model = self.gallery.model
        self.qtbot.waitUntil(lambda: model.query().trash == trash and not model.is_loading(), timeout=WAIT_MS)
        self.qtbot.waitUntil(lambda: all(model.item(r) is not None for r in range(model.rowCount())),
                             timeout=WAIT_MS)

    def _select(self, image_id: int) -> Shown:
        gallery, model = self.gallery, self.gallery.model
        gallery.select_ids([image_id], image_id)
        self.qtbot.waitUntil(lambda: gallery.current_id() == image_id, timeout=WAIT_MS)
        self.qtbot.waitUntil(lambda: gallery.details.image_id() == image_id, timeout=WAIT_MS)
        item = model.item_by_id(image_id)
        return Shown(image_id, item.path, item.prompt, item.seed, item.favourite, model.row_of(image_id),
                     item.missing)

    def _present(self) -> list[int]:
        model = self.gallery.model
        return [i for r in range(model.rowCount())
                if not model.index(r).data(GalleryRoles.Missing) and (i := model.index(r).data(GalleryRoles.ImageId))]

    def in_gallery(self) -> Shown:
        """An image in the grid whose file is there: the middle one, so it has neighbours."""
        self._view(trash=False)
        present = self._present()
        return self._select(present[len(present) // 2])

    def in_trash(self) -> Shown:
        self._view(trash=True)
        if self.gallery.model.rowCount() == 0:
            shown = self.in_gallery()
            self.library.trash_image(shown.id)
            self._view(trash=True)
        return self._select(self.gallery.model.index(0).data(GalleryRoles.ImageId))

    def missing(self) -> Shown:
        """An image whose file went away behind FluxDesk's back (one already gone, or the next one)."""
        self._view(trash=False)
        model = self.gallery.model
        gone = [i for i in model.all_ids() if model.item_by_id(i).missing]
        if gone:
            return self._select(gone[0])
        shown = self.in_gallery()
        Path(shown.path).unlink()
        self.gallery.refresh()
        model = self.gallery.model
        self.qtbot.waitUntil(lambda: model.item_by_id(shown.id) is not None and model.item_by_id(shown.id).missing,
                             timeout=WAIT_MS)
        return self._select(shown.id)

    def after_a_delete(self) -> Shown:
        shown = self.in_gallery()
        pick_from_popup("Delete")
        right_click_tile(self.gallery, shown.row)
        self.qtbot.waitUntil(lambda: shown.id not in self.gallery.model.all_ids(), timeout=WAIT_MS)
        self.qtbot.waitUntil(lambda: self.gallery.actions.undo.isEnabled(), timeout=WAIT_MS)
        return shown


def right_click_tile(gallery: GalleryTab, row: int) -> None:
    view, index = gallery.view, gallery.model.index(row)
    view.scrollTo(index)
    right_click(view.viewport(), view.visualRect(index).center())


def gallery_expectations(window: MainWindow, gallery: GalleryTab,
                         boundary: dict) -> dict[str, Callable[[Shown, dict], bool]]:
    """What the user sees after each gallery command, given the image it acted on and what was there before."""
    model, panel, library = gallery.model, window.panel, window.session.library
    status = window.statusBar().currentMessage
    clipboard = QGuiApplication.clipboard()
    references: list[tuple[str, object]] = boundary.setdefault("references", [])  # emptied before each command
    gallery.referenceRequested.connect(lambda path, image_id: references.append((path, image_id)))

    def on_generate() -> bool:
        return window.tabs.currentIndex() == 0 and panel.isVisible()

    def viewer_shows(shown: Shown, _before: dict) -> bool:
        viewer = gallery.viewer()
        return (viewer is not None and viewer.isVisible() and viewer.path() == shown.path and viewer.has_image()
                and viewer.position.text().startswith(f"{shown.row + 1} of"))

    def editing(title: str) -> Callable[[Shown, dict], bool]:
        """The edit dialog opened on the image (then closed again, for the next way in)."""
        def opened(shown: Shown, _before: dict) -> bool:
            dialog = next((d for d in window.findChildren(EditDialog) if d.isVisible()), None)
            if (dialog is None or dialog.image() != (Path(shown.path), shown.id)
                    or not dialog.windowTitle().startswith(title)):
                return False
            dialog.reject()
            return True
        return opened

    def moved_to_another_project(shown: Shown, before: dict) -> bool:
        """The chooser came up for the image: it is sent to a project it is not in, then it is there (its job and
        so its spend), the undo bar says so and the details pane names the project."""
        chooser = next((d for d in gallery.findChildren(MoveToProjectDialog) if d.isVisible()), None)
        if chooser is not None:
            current = library.project_of_image(shown.id)
            before["target"] = "Globex" if current == getattr(library.project_named("Acme"), "id", None) else "Acme"
            choose_project(chooser, before["target"])
            return False
        target = library.project_named(before.get("target", "")) if "target" in before else None
        return (target is not None and library.project_of_image(shown.id) == target.id
                and library.get_job(library.get_image(shown.id).job_id).project_id == target.id
                and gallery.undo_bar.label.text() == f"Moved 1 image to {target.name}."
                and f"Project: {target.name}" in gallery.details.text())

    return {
        "Move to project…": moved_to_another_project,
        "Edit region…": editing("Edit region — "),
        "Expand canvas…": editing("Expand canvas — "),
        "Reproduce": lambda shown, before: (model.rowCount() == before["rows"] + 1
                                            and gallery.result_bar.label.text().startswith("Reproduced: the image")),
        "Reuse settings": lambda shown, _: (on_generate() and panel.prompt() == shown.prompt
                                            and panel.current_request().seed == shown.seed
                                            and panel.current_request().model == "flux-2-pro"),
        "Use seed": lambda shown, _: on_generate() and panel.current_request().seed == shown.seed,
        "Use prompt": lambda shown, _: on_generate() and panel.prompt() == shown.prompt,
        # Asked of the window (the prompt panel's reference tray takes it): the image's file and its library id.
        "Use as reference": lambda shown, _: references == [(shown.path, shown.id)],
        "Favourite": lambda shown, _: (model.item_by_id(shown.id).favourite is not shown.favourite
                                       and library.get_image(shown.id).favourite is not shown.favourite
                                       and gallery.actions.favourite.isChecked() is not shown.favourite
                                       and ("Marked 1 image as favourite" if not shown.favourite
                                            else "Removed 1 image from favourites") == status()),
        "View large": viewer_shows,
        "Copy image": lambda shown, _: (not clipboard.image().isNull()
                                        and clipboard.image().size() == QImage(shown.path).size()
                                        and status() == "Copied the image"),
        "Open": lambda shown, _: boundary["opened"][-1:] == [shown.path],
        "Show in folder": lambda shown, _: boundary["opened"][-1:] == [str(Path(shown.path).parent)],
        "Export…": lambda shown, _: (f"{Path(shown.path).name} is missing".lower() in status().lower() if shown.missing
                                     else (boundary["export"] / Path(shown.path).name).is_file()
                                     and status() == f"Exported 1 image to {boundary['export']}"),
        "Delete": lambda shown, _: (shown.id not in model.all_ids() and gallery.undo_bar.isVisible()
                                    and gallery.undo_bar.label.text().startswith("Deleted 1 image. It is in the trash")
                                    and library.get_image(shown.id).trashed_at is not None),
        "Undo delete": lambda shown, _: (shown.id in model.all_ids() and not gallery.undo_bar.isVisible()
                                         and library.get_image(shown.id).trashed_at is None),
        "Restore": lambda shown, _: (shown.id not in model.all_ids() and status() == "Restored 1 image"
                                     and library.get_image(shown.id).trashed_at is None),
        "Delete permanently": lambda shown, _: (shown.id not in model.all_ids() and library.get_image(shown.id) is None
                                                and not Path(shown.path).exists()
                                                and status() == "Deleted 1 image for good"
                                                and boundary["asked"][-1:] == ["Delete for good?"]),
        "Remove from library": lambda shown, _: (shown.id not in model.all_ids()
                                                 and library.get_image(shown.id) is None
                                                 and status() == "Deleted 1 image for good"),
        "Empty trash…": lambda shown, _: (model.rowCount() == 0 and gallery.empty_text() == EMPTY_TRASH
                                          and library.get_image(shown.id) is None
                                          and boundary["asked"][-1:] == ["Empty the trash?"]),
    }


KEYS = {
    "Open": [QKeySequence(Qt.Key.Key_Return)],  # the grid's own key, shown in the menu beside "Open"
}
"""Keys that reach a command without being its action's shortcut."""


def details_buttons(gallery: GalleryTab) -> dict[str, QAbstractButton]:
    """The details pane's buttons, by the words on them: another door to the command of the same name."""
    return {words(button): button for button in gallery.details.findChildren(QAbstractButton) if words(button)}


def test_every_gallery_command_does_what_it_says(qtbot, make_window, os_boundary) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    gallery = make_images(qtbot, window, 6)
    expected = gallery_expectations(window, gallery, os_boundary)
    actions = {words(action): action for action in gallery.actions.all()}
    assert set(actions) == set(expected), "a gallery command without an expectation (or one that went away)"
    scenes = Scenes(qtbot, window, gallery)
    # Each state and the commands it enables, the ones that take the image away last.
    walk = [
        (scenes.in_gallery, ["Reproduce", "Reuse settings", "Use seed", "Use prompt", "Use as reference",
                             "Edit region…", "Expand canvas…", "Favourite", "View large", "Copy image", "Open",
                             "Show in folder", "Export…", "Move to project…", "Delete"]),
        (scenes.after_a_delete, ["Undo delete"]),
        (scenes.in_trash, ["View large", "Open", "Show in folder", "Export…", "Restore", "Delete permanently",
                           "Empty trash…"]),
        (scenes.missing, ["Reuse settings", "Use seed", "Use prompt", "Show in folder", "Export…",
                          "Remove from library"]),
    ]
    buttons = details_buttons(gallery)
    reached: dict[str, set[str]] = {name: set() for name in actions}
    for scene, names in walk:
        for name in names:
            action = actions[name]
            keys = KEYS.get(name, action.shortcuts())
            for way in ["menu", *(["button"] if name in buttons else []), *[key.toString() for key in keys]]:
                shown = scene()
                before = {"rows": gallery.model.rowCount()}
                QGuiApplication.clipboard().clear()
                os_boundary["references"].clear()
                for export in os_boundary["export"].iterdir():
                    export.unlink()
                if way == "menu":
                    seen: dict[str, QAction] = {}
                    pick_from_popup(name, seen)
                    right_click_tile(gallery, shown.row)
                    qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
                    if name not in seen:
                        continue  # not in the menu (Undo): its key and the undo bar's button reach it
                elif way == "button":
                    button = buttons[name]
                    qtbot.waitUntil(lambda button=button: button.isVisible() and button.isEnabled(), timeout=WAIT_MS)
                    assert button.toolTip() == action.toolTip(), f"{name}'s button explains another command"
                    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
                else:
                    activate(qtbot, gallery.view)
                    key = QKeySequence(way)[0]
                    qtbot.keyClick(gallery.view, key.key(), key.keyboardModifiers())
                try:
                    qtbot.waitUntil(lambda name=name, shown=shown, before=before: expected[name](shown, before),
                                    timeout=WAIT_MS)
                except TimeoutError as exc:
                    raise AssertionError(f"{name} by {way} in {scene.__name__}: not what the user should see "
                                         f"(status: {window.statusBar().currentMessage()!r})") from exc
                reached[name].add(way)
    unreached = [name for name, ways in reached.items() if not ways]
    assert not unreached, f"never reached the way a user does: {unreached}"


# --- the queue ------------------------------------------------------------------------------------------


@dataclass
class Job:
    """The job a queue command acts on, as its row showed it just before."""

    id: str
    path: str
    seed: int | None
    status_text: str
    image_id: int | None


class QueueScenes:
    """Puts one row of the queue into each state where a queue command is enabled, that row selected."""

    def __init__(self, qtbot, window: MainWindow) -> None:
        self.qtbot, self.window = qtbot, window
        self.model, self.view = window.queue_model, window.queue
        self.simulator = window.engine.simulator

    def _rows(self, status: str) -> list[int]:
        return [r for r in range(self.model.rowCount()) if self.model.index(r).data(JobRoles.Status) == status]

    def _select(self, row: int) -> Job:
        index = self.model.index(row)
        self.view.list_view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.qtbot.waitUntil(lambda: self.view.selected_indexes() == [index], timeout=WAIT_MS)
        return Job(index.data(JobRoles.JobId), index.data(JobRoles.ImagePath) or "", index.data(JobRoles.Seed),
                   index.data(JobRoles.StatusText), index.data(JobRoles.ImageId))

    def _generate(self, status: str, model: str, count: int, prompt: str) -> Job:
        """The first row in ``status`` (the newest); when there is none, a batch once the queue is idle.

        The whole batch is in the queue before a row is picked: the pipeline sends a batch's first jobs as soon
        as each is queued, so a row picked while the rest are still arriving may be one already on its way
        (the last job queued is the last one sent)."""
        if not self._rows(status):
            self.qtbot.waitUntil(lambda: self.model.active_count() == 0, timeout=WAIT_MS)
            assert self.window.panel.set_model(model)
            self.window.panel.set_count(count)
            rows = self.model.rowCount()
            ctrl_enter(self.qtbot, self.window, prompt)
            self.qtbot.waitUntil(lambda: self.model.rowCount() == rows + count, timeout=WAIT_MS)
            self.qtbot.waitUntil(lambda: bool(self._rows(status)), timeout=WAIT_MS)
        return self._select(self._rows(status)[0])

    def done(self) -> Job:
        return self._generate("done", "flux-2-pro", 1, "a teapot in the queue")

    def failed(self) -> Job:
        """A job BFL refused: the simulator has no credits left (given back once it has failed)."""
        if not self._rows("failed"):
            self.simulator.set_credits(Decimal(0))
            self._generate("failed", "flux-2-pro", 1, "a teapot nobody can pay for")
            self.simulator.set_credits(DEMO_CREDITS)
        return self._select(self._rows("failed")[0])

    def waiting(self) -> Job:
        """A job still waiting its turn: FLUX.1 Kontext [max] runs six at a time, and BFL answers slower than
        the demo's three seconds, so that queueing twelve on a busy machine still leaves some waiting."""
        if not self._rows("queued"):
            self.simulator.config.latency = 6.0
        return self._generate("queued", "flux-kontext-max", 12, "a teapot in a long queue")


def queue_expectations(window: MainWindow, boundary: dict) -> dict[str, Callable[[Job], bool]]:
    """What the user sees after each queue command, given the job it acted on."""
    model = window.queue_model
    clipboard = QGuiApplication.clipboard()
    references: list[tuple[str, object]] = boundary.setdefault("references", [])  # emptied before each command
    window.queue.referenceRequested.connect(lambda path, image_id: references.append((path, image_id)))

    def status_of(job: Job) -> str:
        return model.index(model.row_for(job.id)).data(JobRoles.Status)

    return {
        "Cancel": lambda job: status_of(job) == "cancelled" and window.queue.counts_label.text() != "",
        "Open image": lambda job: bool(job.path) and boundary["opened"][-1:] == [job.path],
        # Asked of the window, whose prompt panel's reference tray takes it (and has it ready to send, so that the
        # next scene's Ctrl+Enter is not kept waiting): the file and its library id.
        "Use as reference": lambda job: (job.image_id is not None and references == [(job.path, job.image_id)]
                                         and window.panel.references.count() > 0
                                         and not window.panel.references.waiting_for()),
        "Copy error": lambda job: (job.status_text.startswith("Failed: ")
                                   and clipboard.text() == job.status_text.removeprefix("Failed: ")),
        "Copy seed": lambda job: job.seed is not None and clipboard.text() == str(job.seed),
    }


QUEUE_KEYS = {
    "Cancel": ["Del"],  # the list's own key: cancels the selected waiting jobs
    "Open image": ["Return", "double-click"],
}
"""The other ways a user reaches a queue command: its keys, and a double-click on the row."""


def right_click_job(window: MainWindow, job: Job) -> None:
    view, model = window.queue.list_view, window.queue_model
    index = model.index(model.row_for(job.id))
    view.scrollTo(index)
    right_click(view.viewport(), view.visualRect(index).center())


def test_every_queue_command_does_what_it_says(qtbot, make_window, os_boundary) -> None:
    window = ready(qtbot, make_window(latency=3.0))
    scenes = QueueScenes(qtbot, window)
    expected = queue_expectations(window, os_boundary)
    walk = [
        (scenes.done, ["Open image", "Use as reference", "Copy seed"]),
        (scenes.failed, ["Copy error"]),
        (scenes.waiting, ["Cancel"]),  # last: its batch holds the queue for a while
    ]
    offered: dict[str, QAction] = {}
    reached: dict[str, set[str]] = {name: set() for name in expected}
    view = window.queue.list_view
    for scene, names in walk:
        for name in names:
            for way in ["menu", *QUEUE_KEYS.get(name, [])]:
                job = scene()
                QGuiApplication.clipboard().clear()
                os_boundary["references"].clear()
                if way == "menu":
                    seen: dict[str, QAction] = {}
                    pick_from_popup(name, seen)
                    right_click_job(window, job)
                    qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
                    offered.update(seen)
                elif way == "double-click":
                    model = window.queue_model
                    rect = view.visualRect(model.index(model.row_for(job.id)))
                    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
                    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
                else:
                    activate(qtbot, view)
                    key = QKeySequence(way)[0]
                    qtbot.keyClick(view, key.key(), key.keyboardModifiers())
                try:
                    # A cancelled job says so once a running one makes room (the pipeline checks then).
                    qtbot.waitUntil(lambda name=name, job=job: expected[name](job),
                                    timeout=2 * WAIT_MS if name == "Cancel" else WAIT_MS)
                except TimeoutError as exc:
                    raise AssertionError(f"{name} by {way} on a {scene.__name__} job: not what the user should "
                                         f"see (row: {job.status_text!r}, clipboard: "
                                         f"{QGuiApplication.clipboard().text()!r})") from exc
                reached[name].add(way)
    assert set(offered) == set(expected), "a queue command without an expectation (or one that went away)"
    assert all(reached.values()), f"never reached the way a user does: {reached}"
    qtbot.waitUntil(lambda: window.queue_model.active_count() == 0, timeout=2 * WAIT_MS)  # nothing left running


# --- the latest images ----------------------------------------------------------------------------------


def test_every_latest_images_command_does_what_it_says(qtbot, make_window, os_boundary) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    window.panel.set_model("flux-2-pro")
    ctrl_enter(qtbot, window, "a teapot in the strip")
    strip = window.recent
    qtbot.waitUntil(lambda: strip.count() == 1, timeout=WAIT_MS)
    index = strip.model.index(0)
    image_id, path = index.data(RecentRoles.ImageId), index.data(RecentRoles.Path)
    assert window.session.library.get_image(image_id).path == Path(path)
    references: list[tuple[str, object]] = []
    strip.referenceRequested.connect(lambda file, image: references.append((file, image)))
    expected: dict[str, Callable[[], bool]] = {
        "Open image": lambda: os_boundary["opened"][-1:] == [path],
        "Use as reference": lambda: references == [(path, image_id)],
    }
    offered: dict[str, QAction] = {}
    for name, done in expected.items():
        seen: dict[str, QAction] = {}
        pick_from_popup(name, seen)
        right_click(strip.list_view.viewport(), strip.list_view.visualRect(index).center())
        qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
        offered.update(seen)
        try:
            qtbot.waitUntil(done, timeout=WAIT_MS)
        except TimeoutError as exc:
            raise AssertionError(f"{name} on a latest image: not what the user should see") from exc
    assert set(offered) == set(expected), "a strip command without an expectation (or one that went away)"


# --- the large viewer -----------------------------------------------------------------------------------


@dataclass
class Viewed:
    """What the large viewer showed just before a command."""

    row: int
    path: str
    zoom: str
    actual: bool


def open_viewer(qtbot, scenes: Scenes) -> Viewed:
    """The middle image in the large viewer, opened as the user does: Space on the grid."""
    gallery = scenes.gallery
    shown = scenes.in_gallery()
    activate(qtbot, gallery.view)
    qtbot.keyClick(gallery.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: gallery.viewer() is not None and gallery.viewer().isVisible(), timeout=WAIT_MS)
    viewer = gallery.viewer()
    qtbot.waitUntil(lambda: viewer.path() == shown.path and viewer.has_image(), timeout=WAIT_MS)
    if viewer.is_actual_size():  # each command starts from the fitted view
        qtbot.keyClick(viewer, Qt.Key.Key_Z)
        qtbot.waitUntil(lambda: not viewer.is_actual_size(), timeout=WAIT_MS)
    activate(qtbot, viewer)
    return Viewed(shown.row, shown.path, viewer.zoom_label.text(), viewer.is_actual_size())


def viewer_expectations(gallery: GalleryTab) -> dict[str, Callable[[Viewed], bool]]:
    """What the user sees after each viewer command, given what it showed before."""
    model = gallery.model

    def shows_row(row: int) -> bool:
        viewer = gallery.viewer()
        return (viewer.isVisible() and viewer.path() == model.item(row).path and viewer.has_image()
                and viewer.position.text().startswith(f"{row + 1} of") and gallery.current_id() == model.item(row).id)

    def zoom_switched(before: Viewed) -> bool:
        viewer = gallery.viewer()
        zoom = viewer.zoom_label.text()
        return (viewer.is_actual_size() is not before.actual and zoom != before.zoom
                and (zoom.endswith(" · 100%") if not before.actual else " · fitted, " in zoom))

    return {
        "Previous": lambda before: shows_row(before.row - 1),
        "Next": lambda before: shows_row(before.row + 1),
        "100%": zoom_switched,
        "Close": lambda before: not gallery.viewer().isVisible() and gallery.current_id() == model.item(before.row).id,
    }


def test_every_viewer_command_does_what_it_says(qtbot, make_window) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    gallery = make_images(qtbot, window, 4)
    scenes = Scenes(qtbot, window, gallery)
    open_viewer(qtbot, scenes)
    viewer = gallery.viewer()
    expected = viewer_expectations(gallery)
    actions = {words(action): action for action in viewer.actions()}
    assert set(actions) == set(expected), "a viewer command without an expectation (or one that went away)"
    buttons = {words(b.defaultAction()): b for b in viewer.findChildren(QToolButton) if b.defaultAction()}
    assert set(buttons) == set(expected), "a viewer command without its button in the bar"
    reached: dict[str, set[str]] = {name: set() for name in expected}
    for name, action in actions.items():
        extra = ["double-click"] if name == "100%" else []
        for way in ["button", *[key.toString() for key in action.shortcuts()], *extra]:
            before = open_viewer(qtbot, scenes)
            assert action.isEnabled(), f"{name} is disabled on the middle image"
            if way == "button":
                qtbot.mouseClick(buttons[name], Qt.MouseButton.LeftButton)
            elif way == "double-click":
                qtbot.mouseDClick(viewer.canvas, Qt.MouseButton.LeftButton)
            else:
                key = QKeySequence(way)[0]
                qtbot.keyClick(viewer, key.key(), key.keyboardModifiers())
            try:
                qtbot.waitUntil(lambda name=name, before=before: expected[name](before), timeout=WAIT_MS)
            except TimeoutError as exc:
                raise AssertionError(f"{name} by {way}: not what the user should see (position "
                                     f"{viewer.position.text()!r}, zoom {viewer.zoom_label.text()!r})") from exc
            reached[name].add(way)
    assert all(reached.values()), f"never reached the way a user does: {reached}"


# --- the gallery's details ------------------------------------------------------------------------------


def copyable_labels(gallery: GalleryTab) -> dict[str, QLabel]:
    """The details' value labels that carry their own commands (right-click → Copy), by object name."""
    return {label.objectName(): label for label in gallery.details.findChildren(QLabel) if label.actions()}


def test_every_details_copy_puts_the_whole_value_on_the_clipboard(qtbot, make_window) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    gallery = make_images(qtbot, window, 2)
    Scenes(qtbot, window, gallery).in_gallery()
    clipboard = QGuiApplication.clipboard()
    expected: dict[str, Callable[[QLabel], bool]] = {
        "Copy": lambda label: bool(label.text()) and clipboard.text() == label.text(),
    }
    labels = copyable_labels(gallery)
    commands = {words(action) for label in labels.values() for action in label.actions()}
    assert set(commands) == set(expected), "a details command without an expectation (or one that went away)"
    assert {"detail_job_id", "detail_task_id", "detail_file"} <= set(labels)
    for name, label in labels.items():
        assert label.isVisible(), f"{name} is not on screen"
        clipboard.clear()
        seen: dict[str, QAction] = {}
        pick_from_popup("Copy", seen)
        right_click(label, label.rect().center())
        qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
        assert set(seen) == set(expected), f"{name}'s menu offers {sorted(seen)}"
        try:
            qtbot.waitUntil(lambda label=label: expected["Copy"](label), timeout=WAIT_MS)
        except TimeoutError as exc:
            raise AssertionError(f"Copy on {name}: the clipboard has {clipboard.text()!r}, "
                                 f"not {label.text()!r}") from exc


def test_ctrl_c_on_a_clicked_details_value_copies_that_value(qtbot, make_window) -> None:
    """The label's tooltip promises "Ctrl+C once clicked"; the gallery's Copy image has Ctrl+C too."""
    window = ready(qtbot, make_window(latency=0.05))
    gallery = make_images(qtbot, window, 2)
    Scenes(qtbot, window, gallery).in_gallery()
    clipboard = QGuiApplication.clipboard()
    for name, label in copyable_labels(gallery).items():
        clipboard.clear()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(label.hasFocus, timeout=WAIT_MS)
        qtbot.keyClick(label, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        try:
            qtbot.waitUntil(lambda label=label: clipboard.text() == label.text(), timeout=WAIT_MS)
        except TimeoutError as exc:
            raise AssertionError(f"Ctrl+C on {name}: the clipboard has {clipboard.text()!r} (an image: "
                                 f"{not clipboard.image().isNull()}), status {window.statusBar().currentMessage()!r}"
                                 ) from exc


# --- the prompt's history -------------------------------------------------------------------------------


HISTORY = ["a teapot on a windowsill", "tea & biscuits, 1950s advert", "a kettle && a cup"]
"""Prompts generated in this order, so the newest is last; two carry the '&' a menu would eat."""


def test_every_history_entry_puts_its_prompt_back(qtbot, make_window) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    panel = window.panel
    for prompt in HISTORY:
        ctrl_enter(qtbot, window, prompt)
        qtbot.waitUntil(lambda prompt=prompt: panel.history()[:1] == [prompt], timeout=WAIT_MS)
    expected: dict[str, Callable[[], bool]] = {
        prompt: (lambda prompt=prompt: panel.prompt() == prompt) for prompt in HISTORY
    }
    button = panel.findChild(QToolButton, "historyButton")
    assert button is not None and button.isEnabled()
    offered: dict[str, QAction] = {}
    for text in expected:
        panel.set_prompt("a draft")
        seen: dict[str, QAction] = {}
        pick_from_popup(text, seen)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
        offered.update(seen)
        assert text in seen, f"{text!r} is not in the history menu, which reads {sorted(seen)}"
        try:
            qtbot.waitUntil(expected[text], timeout=WAIT_MS)
        except TimeoutError as exc:
            raise AssertionError(f"picking {text!r} left {panel.prompt()!r} in the prompt") from exc
    assert set(offered) == set(expected), "a history entry without an expectation (or one that went away)"

    # Alt+Up goes back through them, newest first; Alt+Down comes forward again, to the draft.
    editor = panel.focus_target()
    panel.set_prompt("a draft")
    activate(qtbot, editor)
    newest_first = list(reversed(HISTORY))
    walk = [(Qt.Key.Key_Up, p) for p in newest_first] + [(Qt.Key.Key_Up, newest_first[-1])]
    walk += [(Qt.Key.Key_Down, p) for p in newest_first[-2::-1]] + [(Qt.Key.Key_Down, "a draft")]
    for key, prompt in walk:
        qtbot.keyClick(editor, key, Qt.KeyboardModifier.AltModifier)
        assert panel.prompt() == prompt, f"Alt+{'Up' if key == Qt.Key.Key_Up else 'Down'}: {panel.prompt()!r}"
