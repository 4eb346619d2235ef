"""Driving the real window like a designer: wait for its engine, type and press Ctrl+Enter, read the queue.
The window fixtures themselves (``key_store``, ``make_window``) live in this folder's conftest."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.main_window import MainWindow
from fluxdesk.ui.queue.model import JobQueueModel

WAIT_MS = 20_000


def ready(qtbot, window: MainWindow) -> MainWindow:
    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT_MS)
    return window


def ctrl_enter(qtbot, window: MainWindow, prompt: str) -> None:
    window.panel.set_prompt(prompt)
    qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def queue_statuses(window: MainWindow) -> list[str]:
    model = window.queue_model
    return [model.index(r).data(JobQueueModel.Roles.Status) for r in range(model.rowCount())]


def gallery_ids(gallery) -> list[int]:
    model = gallery.model
    return [model.index(r, 0).data(GalleryRoles.ImageId) for r in range(model.rowCount())]
