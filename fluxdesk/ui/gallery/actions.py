"""The gallery's actions: one ``QAction`` each, with its shortcut, shared by the context menu and the keyboard."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from fluxdesk.core.catalog import MODELS
from fluxdesk.ui.gallery.view import star_icon

REPRODUCE_TIP = "Run it again with exactly the same parameters and seed"
REUSE_SETTINGS_TIP = "Load every setting into the prompt panel (Ctrl+Shift+R)"
USE_SEED_TIP = "Put its seed into the prompt panel"
NO_SEED_TIP = "No seed was recorded for this image: there is none to use"
USE_PROMPT_TIP = "Put its prompt into the prompt panel"
MAX_REFERENCES = max(model.max_input_images for model in MODELS)
"""The most references any model takes: more selected images than this are not offered as references."""
USE_AS_REFERENCE_TIP = ("Add it to the prompt panel's references, to make a new image from it "
                        f"(several selected: each, in grid order, up to {MAX_REFERENCES})")
EDIT_REGION_TIP = ("Paint over the part to change and remake only that: FLUX.1 Fill [pro], or a FLUX.2 local edit "
                   "(Ctrl+M)")
EXPAND_CANVAS_TIP = "Add pixels around the image and let FLUX.1 Expand [pro] paint them (Ctrl+Shift+M)"
MOVE_TO_PROJECT_TIP = ("Put the images, and what they cost, under another client project (Ctrl+Shift+P; Ctrl+Z undoes "
                       "it)")
UNDO_TIPS = {"delete": "Put back the images just deleted", "move": "Put the images just moved back in their projects"}


@dataclass(frozen=True)
class SelectionState:
    """What the actions need to know to enable themselves."""

    count: int = 0
    trash: bool = False
    any_missing: bool = False
    all_favourite: bool = False
    can_undo: bool = False
    trash_has_images: bool = False
    can_reproduce: bool = False
    """One image, with a seed and a model FluxDesk knows: what Reproduce needs (the button and Ctrl+R alike)."""
    has_seed: bool = False
    """One image, with a recorded seed: what Use seed needs (the button and the menu alike)."""
    undo_what: str = "delete"
    """What Ctrl+Z would undo: ``"delete"`` or ``"move"`` (to a project)."""


class GalleryActions(QObject):
    """The actions, added to ``host`` so their shortcuts work while the focus is anywhere in the gallery."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self._host = host
        self.reproduce = self._make("Reproduce", ("Ctrl+R",), REPRODUCE_TIP)
        self.reuse_settings = self._make("Reuse settings", ("Ctrl+Shift+R",), REUSE_SETTINGS_TIP)
        self.use_seed = self._make("Use seed", (), USE_SEED_TIP)
        self.use_prompt = self._make("Use prompt", (), USE_PROMPT_TIP)
        self.use_as_reference = self._make("Use as reference", ("Ctrl+I",), USE_AS_REFERENCE_TIP)
        self.edit_region = self._make("Edit region…", ("Ctrl+M",), EDIT_REGION_TIP)
        self.expand_canvas = self._make("Expand canvas…", ("Ctrl+Shift+M",), EXPAND_CANVAS_TIP)
        self.favourite = self._make("Favourite", ("F", "Ctrl+D"), "Mark or unmark as favourite (F)")
        self.favourite.setCheckable(True)
        self.favourite.setIcon(star_icon())
        self.view_large = self._make("View large", ("Space",),
                                     "See the image at full size in FluxDesk (Space; double-click a tile)")
        self.copy_image = self._make("Copy image", ("Ctrl+C",), "Copy the image to the clipboard")
        # Enter is the grid's own key (an action on Return would take it from the search field).
        self.open = self._make("Open\tEnter", (), "Open with the system's image viewer")
        self.show_in_folder = self._make("Show in folder", (), "Open the folder that holds the file")
        self.export = self._make("Export…", ("Ctrl+E",), "Copy the files, with their metadata, into a folder")
        self.move_to_project = self._make("Move to project…", ("Ctrl+Shift+P",), MOVE_TO_PROJECT_TIP)
        self.delete = self._make("Delete", ("Delete",), "Move to the trash (Ctrl+Z undoes it)")
        self.undo = self._make("Undo delete", ("Ctrl+Z",), UNDO_TIPS["delete"])
        self.restore = self._make("Restore", (), "Take out of the trash")
        self.delete_permanently = self._make("Delete permanently", ("Shift+Delete",),
                                             "Delete the files for good")
        self.remove_from_library = self._make("Remove from library", (),
                                              "Forget images whose files are missing")
        self.empty_trash = self._make("Empty trash…", (), "Delete everything in the trash for good")

    def _make(self, text: str, shortcuts: tuple[str, ...], tip: str) -> QAction:
        action = QAction(text, self._host)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self._host.addAction(action)
        return action

    def update(self, state: SelectionState) -> None:
        one = state.count == 1
        some = state.count > 0
        in_gallery = not state.trash
        for action in (self.reuse_settings, self.use_prompt):
            action.setEnabled(one)
        self.use_as_reference.setEnabled(0 < state.count <= MAX_REFERENCES and in_gallery and not state.any_missing)
        for action in (self.edit_region, self.expand_canvas):
            action.setEnabled(one and in_gallery and not state.any_missing)
        self.use_seed.setEnabled(one and state.has_seed)
        self._set_tip(self.use_seed, NO_SEED_TIP if one and not state.has_seed else USE_SEED_TIP)
        self.reproduce.setEnabled(one and state.can_reproduce)
        self.view_large.setEnabled(one and not state.any_missing)
        self.favourite.setEnabled(some and in_gallery)
        self.favourite.setChecked(some and state.all_favourite)
        self.copy_image.setEnabled(one and not state.any_missing)
        self.open.setEnabled(one and not state.any_missing)
        self.show_in_folder.setEnabled(one)
        self.export.setEnabled(some)
        self.delete.setEnabled(some and in_gallery)
        self.move_to_project.setEnabled(some and in_gallery)
        self.undo.setEnabled(state.can_undo)
        self.undo.setText(f"Undo {state.undo_what}")
        self._set_tip(self.undo, UNDO_TIPS[state.undo_what])
        self.restore.setEnabled(some and state.trash)
        self.delete_permanently.setEnabled(some and state.trash)
        self.remove_from_library.setEnabled(some and state.any_missing)
        self.empty_trash.setEnabled(state.trash and state.trash_has_images)

    @staticmethod
    def _set_tip(action: QAction, tip: str) -> None:
        if action.toolTip() != tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)

    def context_menu(self, state: SelectionState, parent: QWidget | None = None) -> QMenu:
        """The menu for the current selection: only what applies to it."""
        self.update(state)
        menu = QMenu(parent)
        menu.setObjectName("galleryMenu")
        menu.setToolTipsVisible(True)  # a disabled entry's tooltip says why (Use seed without a seed)
        if state.trash:
            groups = [[self.restore, self.delete_permanently],
                      [self.view_large, self.open, self.show_in_folder, self.export],
                      [self.empty_trash]]
        else:
            groups = [[self.reproduce, self.reuse_settings, self.use_seed, self.use_prompt, self.use_as_reference],
                      [self.edit_region, self.expand_canvas],
                      [self.favourite, self.view_large, self.copy_image, self.open, self.show_in_folder,
                       self.export],
                      [self.move_to_project],
                      [self.delete]]
            if state.any_missing:
                groups[-1].append(self.remove_from_library)
        for number, group in enumerate(groups):
            if number:
                menu.addSeparator()
            for action in group:
                menu.addAction(action)
        return menu

    def set_reproduce_price(self, price: str | None, note: str = "") -> None:
        """Show what Reproduce costs (``"$0.03"``) in its text and tooltip; ``None`` while it is not known. A price
        with a ``note`` (Expand's is not on BFL's price page) is marked ``*`` and the tooltip says the note."""
        marked = f"{price}*" if price and note else price
        self.reproduce.setText(f"Reproduce · {marked}" if price else "Reproduce")
        said = f"{marked} ({note})" if note else price
        tip = f"{REPRODUCE_TIP}: {said}, asked first if it crosses the budget" if price else REPRODUCE_TIP
        self.reproduce.setToolTip(tip + " (Ctrl+R)")
        self.reproduce.setStatusTip(tip)

    def all(self) -> list[QAction]:
        return [value for value in vars(self).values() if isinstance(value, QAction)]
