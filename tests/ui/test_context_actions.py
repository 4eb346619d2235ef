"""Every command outside the menu bar, reached the way a user reaches it: here, the gallery's context menu
and keys (the queue's menu, the large viewer, the details' Copy and the prompt history are still to walk).

A right-click is sent as the context-menu event it is, so the tab's own handler builds and shows its menu;
the action is then found in that menu by the words the user reads and triggered. Each group keeps a dict
of expectations keyed by those words: a new command without one (or one that went away) fails its walk.
Only the OS boundary is replaced: opening files, the folder dialog and the yes/no question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent, QDesktopServices, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget
from pytestqt.exceptions import TimeoutError
from window_support import WAIT_MS, ctrl_enter, ready

from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.gallery.tab import EMPTY_TRASH, GalleryTab
from fluxdesk.ui.main_window import MainWindow


def words(action: QAction) -> str:
    """What the user reads in a menu: no mnemonic, no shortcut column, no price."""
    return action.text().split("\t")[0].split(" · ")[0].replace("&&", "\0").replace("&", "").replace("\0", "&")


def pick_from_popup(text: str, seen: dict[str, QAction] | None = None) -> None:
    """Once the menu the next right-click opens is up: trigger its entry ``text``, as a click on it does.

    Called before the right-click: the menu runs its own event loop until it closes."""

    tries = [0]

    def pick() -> None:
        menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
        if not menus:
            tries[0] += 1
            assert tries[0] < WAIT_MS // 10, "no menu came up"
            QTimer.singleShot(10, pick)
            return
        menu = menus[0]
        entries = {words(a): a for a in menu.actions() if not a.isSeparator()}
        if seen is not None:
            seen.update(entries)
        action = entries.get(text)
        menu.close()
        if action is not None:
            assert action.isEnabled(), f"{text} is offered disabled"
            action.trigger()

    QTimer.singleShot(0, pick)


def right_click(widget: QWidget, pos: QPoint) -> None:
    """A right-click at ``pos``: the context-menu event the system sends; the widget's handler runs its menu."""
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)


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

    def on_generate() -> bool:
        return window.tabs.currentIndex() == 0 and panel.isVisible()

    def viewer_shows(shown: Shown, _before: dict) -> bool:
        viewer = gallery.viewer()
        return (viewer is not None and viewer.isVisible() and viewer.path() == shown.path and viewer.has_image()
                and viewer.position.text().startswith(f"{shown.row + 1} of"))

    return {
        "Reproduce": lambda shown, before: (model.rowCount() == before["rows"] + 1
                                            and gallery.result_bar.label.text().startswith("Reproduced: the image")),
        "Reuse settings": lambda shown, _: (on_generate() and panel.prompt() == shown.prompt
                                            and panel.current_request().seed == shown.seed
                                            and panel.current_request().model == "flux-2-pro"),
        "Use seed": lambda shown, _: on_generate() and panel.current_request().seed == shown.seed,
        "Use prompt": lambda shown, _: on_generate() and panel.prompt() == shown.prompt,
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


def test_every_gallery_command_does_what_it_says(qtbot, make_window, os_boundary) -> None:
    window = ready(qtbot, make_window(latency=0.05))
    gallery = make_images(qtbot, window, 6)
    expected = gallery_expectations(window, gallery, os_boundary)
    actions = {words(action): action for action in gallery.actions.all()}
    assert set(actions) == set(expected), "a gallery command without an expectation (or one that went away)"
    scenes = Scenes(qtbot, window, gallery)
    # Each state and the commands it enables, the ones that take the image away last.
    walk = [
        (scenes.in_gallery, ["Reproduce", "Reuse settings", "Use seed", "Use prompt", "Favourite", "View large",
                             "Copy image", "Open", "Show in folder", "Export…", "Delete"]),
        (scenes.after_a_delete, ["Undo delete"]),
        (scenes.in_trash, ["View large", "Open", "Show in folder", "Export…", "Restore", "Delete permanently",
                           "Empty trash…"]),
        (scenes.missing, ["Show in folder", "Export…", "Remove from library"]),
    ]
    reached: dict[str, set[str]] = {name: set() for name in actions}
    for scene, names in walk:
        for name in names:
            action = actions[name]
            keys = KEYS.get(name, action.shortcuts())
            for way in ["menu", *[key.toString() for key in keys]]:
                shown = scene()
                before = {"rows": gallery.model.rowCount()}
                QGuiApplication.clipboard().clear()
                for export in os_boundary["export"].iterdir():
                    export.unlink()
                if way == "menu":
                    seen: dict[str, QAction] = {}
                    pick_from_popup(name, seen)
                    right_click_tile(gallery, shown.row)
                    qtbot.waitUntil(lambda seen=seen: bool(seen), timeout=WAIT_MS)
                    if name not in seen:
                        continue  # not in the menu (Undo): its key and the undo bar's button reach it
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
