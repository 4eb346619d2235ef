"""Every command of the window, reached the way a user reaches it: through its menu action or its shortcut.

Calling a slot proves the slot; a `triggered(bool)` argument falling into a keyword parameter is only
caught by triggering the action itself. A new action without an expectation here fails the walk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget
from window_support import WAIT_MS, ready

from fluxdesk.ui.dialogs.settings import SettingsDialog
from fluxdesk.ui.dialogs.shortcuts import ShortcutsDialog
from fluxdesk.ui.kit.error_report import ErrorReporter, configure_logging
from fluxdesk.ui.main_window import MainWindow
from fluxdesk.ui.mask.dialog import EditDialog


def menu_action(window: MainWindow, menu_title: str, text: str) -> QAction:
    """The action as the menu bar offers it: found by the words the user reads."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            for action in window._menu_actions(top.menu()):
                if action.text().split("\t")[0].replace("&", "").rstrip("…") == text:
                    return action
    raise AssertionError(f"no {menu_title} → {text}")


def visible_dialogs() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def close_dialogs() -> None:
    for dialog in visible_dialogs():
        dialog.reject()


def dialog_of(kind: type) -> QWidget | None:
    return next((w for w in visible_dialogs() if isinstance(w, kind)), None)


def test_settings_opens_from_the_file_menu(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    menu_action(window, "File", "Settings").trigger()
    qtbot.waitUntil(lambda: dialog_of(SettingsDialog) is not None)
    dialog = dialog_of(SettingsDialog)
    assert dialog.windowTitle() and dialog.isVisible()
    dialog.reject()


def test_settings_opens_with_ctrl_comma(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog_of(SettingsDialog) is not None)
    dialog_of(SettingsDialog).reject()


def test_the_shortcuts_list_names_every_key_including_the_gallerys(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: dialog_of(ShortcutsDialog) is not None)
    dialog = dialog_of(ShortcutsDialog)
    listed = dict(dialog.shortcuts())
    for keys in ("Ctrl+R", "Ctrl+Shift+R", "F, Ctrl+D", "Ctrl+C", "Ctrl+E", "Del", "Ctrl+Z", "Ctrl+,", "F5",
                 "Ctrl+Enter", "Alt+Up, Alt+Down", "Ctrl+Q", "Ctrl+V", "Ctrl+Up, Ctrl+Left", "Ctrl+M",
                 "Ctrl+Shift+M", "Shift+F", "Ctrl+Backspace", "Ctrl+Shift+Z, Ctrl+Y"):
        assert any(keys in listed_keys for listed_keys in listed), (keys, listed)
    assert "Reproduce" in listed["Ctrl+R"] and "Edit region" in listed["Ctrl+M"]
    qtbot.keyClicks(dialog.search, "trash")
    shown = [dialog.proxy.index(r, 0) for r in range(dialog.proxy.rowCount())]
    assert len(shown) == 1 and dialog.proxy.rowCount(shown[0]) >= 1  # only the gallery's group is left
    dialog.reject()


def test_the_about_box_reads_cleanly(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    menu_action(window, "Help", "About FluxDesk").trigger()
    qtbot.waitUntil(lambda: any(w.objectName() == "aboutDialog" for w in visible_dialogs()))
    box = next(w for w in visible_dialogs() if w.objectName() == "aboutDialog")
    text = box.text()
    assert "))" not in text and "shared/" not in text and "Prices as of" in text
    box.reject()


def _expectations(window: MainWindow, opened: list[str]) -> dict[str, Callable[[], bool]]:
    """What the user sees after each command of the window's menus."""
    tray = window.panel.references
    return {
        "Add reference": lambda: tray.count() == 1 and not tray.waiting_for(),
        "Settings": lambda: dialog_of(SettingsDialog) is not None,
        "Open library folder": lambda: bool(opened) and Path(opened[-1]).is_dir(),
        "Try the offline demo": lambda: True,  # disabled in the demo: never triggered here
        "Use my BFL key": lambda: window.engine.mode != "demo",
        "Quit": lambda: not window.isVisible(),
        "Generate": lambda: window.recent.count() >= 1,  # the image arrived: no job left running
        "Refresh credits": lambda: "credits" in window.credits_label.text().lower(),
        "Edit a region of an image file": lambda: _editing(window, "Edit region — reference.png"),
        "Expand an image file's canvas": lambda: _editing(window, "Expand canvas — reference.png"),
        "System": lambda: QApplication.instance().property("fluxdeskTheme") == "system",
        "Light": lambda: QApplication.instance().property("fluxdeskTheme") == "light",
        "Dark": lambda: QApplication.instance().property("fluxdeskTheme") == "dark",
        "Keyboard shortcuts": lambda: dialog_of(ShortcutsDialog) is not None,
        "About FluxDesk": lambda: any(w.objectName() == "aboutDialog" for w in visible_dialogs()),
    }


def _editing(window: MainWindow, title: str) -> bool:
    dialog = next((d for d in window.findChildren(EditDialog) if d.isVisible()), None)
    return dialog is not None and dialog.windowTitle() == title


LAST = ("Use my BFL key", "Quit")
"""Commands that end what the others need (the demo engine, the window): triggered last, in this order."""


def test_every_menu_command_does_what_it_says(qtbot, make_window, restore_theme, monkeypatch, tmp_path) -> None:
    window = ready(qtbot, make_window())
    window.controller.begin_closing()  # Quit must not stop at "jobs are still running?"
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    reference = tmp_path / "reference.png"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(reference)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_args, **_kwargs: ([str(reference)], ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kwargs: (str(reference), ""))
    window.panel.set_prompt("every command")
    expected = _expectations(window, opened)
    actions = {}
    for top in window.menuBar().actions():
        for action in window._menu_actions(top.menu()):
            actions[action.text().split("\t")[0].replace("&", "").rstrip("…")] = action
    assert set(actions) == set(expected), "a menu command without an expectation (or one that went away)"
    order = [name for name in actions if name not in LAST] + list(LAST)
    for name in order:
        action = actions[name]
        if not action.isEnabled():
            continue
        action.trigger()
        qtbot.waitUntil(expected[name], timeout=WAIT_MS)
        close_dialogs()


class _Thrower(QObject):
    fire = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.fire.connect(self.explode)

    def explode(self) -> None:
        raise ValueError("the slot broke")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_reaches_the_user_and_the_log(qtbot, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "fluxdesk.log"
    configure_logging(log_file)
    parent = QWidget()
    qtbot.addWidget(parent)
    reporter = ErrorReporter(parent, log_file)
    reporter.install()
    try:
        thrower = _Thrower()
        with qtbot.waitSignal(reporter.reported, timeout=WAIT_MS) as shown:
            QTimer.singleShot(0, thrower.fire.emit)
        assert shown.args == ["the slot broke"]
        dialog = reporter.dialog()
        assert isinstance(dialog, QMessageBox) and dialog.isVisible()
        assert "the slot broke" in dialog.text() and str(log_file) in dialog.informativeText()
        with qtbot.waitSignal(reporter.reported, timeout=WAIT_MS):
            QTimer.singleShot(0, thrower.fire.emit)
        assert reporter.dialog() is dialog and "once more" in dialog.informativeText()  # one dialog, counted
        dialog.accept()
    finally:
        reporter.uninstall()
        for handler in list(logging.getLogger("fluxdesk").handlers):
            logging.getLogger("fluxdesk").removeHandler(handler)
            handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "ValueError: the slot broke" in text and "explode" in text
