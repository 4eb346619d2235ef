"""The details pane's command buttons and the gallery's actions are one thing: in every state the button is
enabled, worded and explained as its action, and every door (the button, the context menu, the shortcut)
asks the window for the same thing, or all of them for nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gallery_support import (  # noqa: F401 - fixtures
    WAIT_MS,
    add_image,
    library,
    loader,
    make_gallery,
)
from menu_support import pick_from_popup, right_click
from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.actions import NO_SEED_TIP
from fluxdesk.ui.gallery.tab import GalleryTab
from fluxdesk.ui.kit.action_buttons import button_text

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # the popup menu

COMMANDS = ("Reproduce", "Reuse settings", "Use seed", "Use prompt")


def parts(tab: GalleryTab, name: str) -> tuple[QAction, QAbstractButton, SignalInstance]:
    """The command's action, its button in the details pane, and the request it sends the window."""
    a, d = tab.actions, tab.details
    return {
        "Reproduce": (a.reproduce, d.reproduce_button, tab.reproduceRequested),
        "Reuse settings": (a.reuse_settings, d.reuse_button, tab.reuseSettingsRequested),
        "Use seed": (a.use_seed, d.seed_button, tab.useSeedRequested),
        "Use prompt": (a.use_prompt, d.prompt_button, tab.usePromptRequested),
    }[name]


def doors(qtbot: QtBot, tab: GalleryTab, name: str) -> dict[str, Callable[[], None]]:
    """Every way a user reaches the command: its button (when the pane shows it), its context-menu entry
    (when offered and enabled) and its shortcuts."""
    action, button, _signal = parts(tab, name)

    def by_menu() -> None:
        seen: dict[str, QAction] = {}
        pick_from_popup(name if action.isEnabled() else "", seen)  # a disabled entry is looked at, not clicked
        view, row = tab.view, tab.view.currentIndex().row()
        view.scrollTo(tab.model.index(row))
        right_click(view.viewport(), view.visualRect(tab.model.index(row)).center())
        qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
        assert seen[name].isEnabled() is action.isEnabled()

    def by_key(key: QKeySequence) -> Callable[[], None]:
        def press() -> None:
            tab.activateWindow()
            tab.view.setFocus()
            qtbot.waitUntil(tab.view.hasFocus, timeout=WAIT_MS)
            combination = key[0]
            qtbot.keyClick(tab.view, combination.key(), combination.keyboardModifiers())
        return press

    ways: dict[str, Callable[[], None]] = {"menu": by_menu}
    if button.isVisible():
        ways["button"] = lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    ways.update({key.toString(): by_key(key) for key in action.shortcuts()})
    return ways


def check(qtbot: QtBot, tab: GalleryTab, expected: dict[str, tuple | None]) -> None:
    """Each command: enabled as ``expected`` says (its request's arguments, or ``None`` for disabled), its
    button showing just what its action shows, and each door sending that request (or nothing)."""
    for name in COMMANDS:
        action, button, signal = parts(tab, name)
        wanted = expected[name]
        assert action.isEnabled() is (wanted is not None), f"{name}: the action is {action.isEnabled()}"
        assert button.isEnabled() is action.isEnabled(), f"{name}: the button disagrees with its action"
        assert button.text() == button_text(action) and button.toolTip() == action.toolTip(), name
        for way, use in doors(qtbot, tab, name).items():
            got: list[tuple] = []

            def record(*args: object, got: list[tuple] = got) -> None:
                got.append(args)

            signal.connect(record)
            try:
                use()
                if wanted is None:
                    qtbot.wait(50)
                else:
                    qtbot.waitUntil(lambda got=got: bool(got), timeout=WAIT_MS)
            finally:
                signal.disconnect(record)
            assert got == ([] if wanted is None else [wanted]), f"{name} by {way}: {got}"


def test_one_image_with_a_seed_every_door_asks_for_it(qtbot: QtBot, library: Library,  # noqa: F811
                                                      make_gallery: Callable) -> None:  # noqa: F811
    image_id = add_image(library, "a fox with a seed", seed=42)
    gallery = make_gallery([image_id])
    gallery.select_and_show(image_id)
    check(qtbot, gallery.tab, {"Reproduce": (image_id,), "Reuse settings": (image_id,), "Use seed": (42,),
                               "Use prompt": ("a fox with a seed",)})


def test_one_image_without_a_seed_offers_no_use_seed_and_says_why(qtbot: QtBot, library: Library,  # noqa: F811
                                                                  make_gallery: Callable) -> None:  # noqa: F811
    seeded = add_image(library, "a seeded one", seed=7)
    unseeded = add_image(library, "a fox without a seed", seed=None)
    gallery = make_gallery([seeded, unseeded])
    gallery.select_and_show(unseeded)
    tab = gallery.tab
    assert tab.actions.use_seed.toolTip() == NO_SEED_TIP == tab.details.seed_button.toolTip()
    assert tab.actions.use_seed.statusTip() == NO_SEED_TIP
    check(qtbot, tab, {"Reproduce": None, "Reuse settings": (unseeded,), "Use seed": None,
                       "Use prompt": ("a fox without a seed",)})

    gallery.select_and_show(seeded)  # a seed again: offered, with its own words back
    assert tab.details.seed_button.isEnabled() and tab.details.seed_button.toolTip() != NO_SEED_TIP
    check(qtbot, tab, {"Reproduce": (seeded,), "Reuse settings": (seeded,), "Use seed": (7,),
                       "Use prompt": ("a seeded one",)})


def test_several_selected_no_door_asks(qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    ids = [add_image(library, f"fox number {n}", seed=n) for n in range(3)]
    gallery = make_gallery(ids)
    gallery.select_and_show(ids[0])
    gallery.select(*ids[:2])
    qtbot.waitUntil(lambda: gallery.tab.details.text().startswith("2 images selected"), timeout=WAIT_MS)
    check(qtbot, gallery.tab, dict.fromkeys(COMMANDS))


def test_a_missing_file_still_has_its_record_to_use(qtbot: QtBot, library: Library,  # noqa: F811
                                                   make_gallery: Callable) -> None:  # noqa: F811
    image_id = add_image(library, "a fox whose file went", seed=5)
    gallery = make_gallery([image_id])
    gallery.select_and_show(image_id)
    tab = gallery.tab
    assert not tab.details.is_missing()
    Path(library.get_image(image_id).path).unlink()
    tab.refresh()  # the same image stays selected; the pane learns that its file went
    qtbot.waitUntil(lambda: tab.details.is_missing() and tab.details.remove_button.isVisible(), timeout=WAIT_MS)
    assert tab.details.remove_button.isEnabled() and tab.actions.remove_from_library.isEnabled()
    check(qtbot, tab, {"Reproduce": (image_id,), "Reuse settings": (image_id,), "Use seed": (5,),
                       "Use prompt": ("a fox whose file went",)})

