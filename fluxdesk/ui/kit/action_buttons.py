"""A push button that stands for a ``QAction``, as ``QToolButton.setDefaultAction`` makes a tool button do.

One action per command, shared by its menu entry, its shortcut and its button: a click triggers the action
(so the action's own rule decides, whichever way the user came), and the button shows the action's
enabled state, text and tooltip as they change. A push button keeps its look (a tool button would not).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton


class _Follower(QObject):
    """Lives as the button's child: gone with the button, and its connection to the action with it."""

    def __init__(self, button: QAbstractButton, action: QAction) -> None:
        super().__init__(button)
        self._button = button
        self._action = action
        action.changed.connect(self.sync)
        button.clicked.connect(action.trigger)
        self.sync()

    def sync(self) -> None:
        action, button = self._action, self._button
        button.setEnabled(action.isEnabled())
        button.setText(button_text(action))
        button.setToolTip(action.toolTip())
        button.setStatusTip(action.statusTip())


def button_text(action: QAction) -> str:
    """The action's text as a button shows it: without the menu's shortcut column (``"Open\\tEnter"``)."""
    return action.text().split("\t")[0]


def follow_action(button: QAbstractButton, action: QAction) -> None:
    """Make ``button`` trigger ``action`` when clicked and show its enabled state, text and tooltip."""
    _Follower(button, action)
