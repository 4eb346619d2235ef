"""Real, no-key and demo engines in the real window: each says what it is, and their figures never mix."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallery.gallery_support import add_image
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from fluxdesk.services.demo import DEMO_CREDITS
from fluxdesk.storage.library import Library
from fluxdesk.storage.secrets import KeyStore
from fluxdesk.storage.settings import load_settings
from fluxdesk.ui.dialogs.welcome import WelcomeDialog
from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.main_window import MainWindow

WAIT_MS = 20_000


@pytest.fixture
def key_store() -> KeyStore:
    """No key anywhere, and no keyring that could hold one: the welcome offers BFL_API_KEY."""
    return KeyStore(backend=fail.Keyring(), environ={})


def welcome(qtbot, window: MainWindow) -> WelcomeDialog:
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is not None
                    and window.findChild(WelcomeDialog).isVisible(), timeout=WAIT_MS)
    return window.findChild(WelcomeDialog)


def gallery_prompts(qtbot, window: MainWindow) -> list[str]:
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: gallery.model.rowCount() > 0 and not gallery.model.is_loading(), timeout=WAIT_MS)
    model = gallery.model
    return [model.index(r, 0).data(GalleryRoles.Prompt) for r in range(model.rowCount())]


def test_without_a_key_the_real_library_opens_for_browsing(qtbot, make_window, tmp_path: Path) -> None:
    with Library.open(tmp_path) as library:
        add_image(library, "a fox from last week")
    window = make_window()
    qtbot.waitUntil(lambda: window.session is not None and "credits" in window.credits_label.text(), timeout=WAIT_MS)
    assert "demo" in window.windowTitle()

    window.real_action.trigger()  # File → Use my BFL key: there is none, so the welcome asks
    dialog = welcome(qtbot, window)
    qtbot.mouseClick(dialog.findChild(QPushButton, "envButton"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT_MS)
    assert not window.engine.demo and not window.session.has_key
    assert window.mode_label.text() == "No API key — browsing your library"
    assert "demo" not in window.windowTitle().lower()
    assert window.credits_label.text() == ""  # the demo's balance is not left on screen
    assert gallery_prompts(qtbot, window) == ["a fox from last week"]
    assert window.real_action.isEnabled()  # the way to add a key later

    window.panel.set_prompt("a new one")
    qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Add a BFL API key in Settings (Ctrl+,) to generate" in window.panel._banner.text()
    qtbot.waitUntil(lambda: window._settings_dialog is not None and window._settings_dialog.isVisible())
    assert window._settings_dialog.tabs.tabText(window._settings_dialog.tabs.currentIndex()) == "Key"
    window._settings_dialog.reject()


def credits_shown(window: MainWindow) -> str:
    return window.credits_label.text()


def test_demo_credits_survive_leaving_and_re_entering_the_demo(qtbot, make_window) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.session is not None and bool(credits_shown(window)), timeout=WAIT_MS)
    assert credits_shown(window).startswith(f"{DEMO_CREDITS:,.1f} credits")
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        window.panel.set_prompt("a paid-for teapot")
        qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    spent = window.session.library.ledger_rows(include_demo=True)[0].credits
    assert spent and spent > 0
    after = f"{DEMO_CREDITS - spent:,.1f} credits"
    window.controller.refresh_money()
    qtbot.waitUntil(lambda: credits_shown(window).startswith(after), timeout=WAIT_MS)

    window.real_action.trigger()  # File → Use my BFL key (none: browse), then back
    dialog = welcome(qtbot, window)
    qtbot.mouseClick(dialog.findChild(QPushButton, "envButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session is not None and not window.engine.demo, timeout=WAIT_MS)
    assert credits_shown(window) == ""
    window.demo_action.trigger()  # File → Try the offline demo
    qtbot.waitUntil(lambda: window.engine.demo and window.session is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: credits_shown(window) != "", timeout=WAIT_MS)
    assert credits_shown(window).startswith(after)


def test_start_in_the_demo_next_time_is_remembered_until_the_user_leaves_it(qtbot, make_window,
                                                                          tmp_path: Path) -> None:
    first = make_window(demo=False)
    dialog = welcome(qtbot, first)
    qtbot.mouseClick(dialog.start_in_demo_box, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.engine.demo and first.session is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: load_settings(tmp_path).start_in_demo, timeout=WAIT_MS)
    first._closing = True
    first.close()
    first.shutdown()

    second = make_window(demo=False)  # no key, yet no welcome: straight into the demo
    qtbot.waitUntil(lambda: second.engine.demo and second.session is not None, timeout=WAIT_MS)
    assert second.findChild(WelcomeDialog) is None and "demo" in second.windowTitle()
    second.real_action.trigger()  # File → Use my BFL key: the way out
    welcome(qtbot, second)
    qtbot.waitUntil(lambda: not load_settings(tmp_path).start_in_demo, timeout=WAIT_MS)
