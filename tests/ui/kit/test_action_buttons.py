"""A push button standing for an action: a click triggers it; its enabled state, text and tooltip follow it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from fluxdesk.ui.kit.action_buttons import follow_action


def test_the_button_follows_its_action_and_triggers_it(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    action = QAction("Open\tEnter", host)
    action.setToolTip("Open it")
    action.setEnabled(False)
    button = QPushButton(host)
    follow_action(button, action)
    host.show()
    assert (button.isEnabled(), button.text(), button.toolTip()) == (False, "Open", "Open it")

    triggered: list[bool] = []
    action.triggered.connect(lambda: triggered.append(True))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # disabled: nothing
    action.setEnabled(True)
    action.setText("Open again")
    action.setToolTip("Why not")
    assert (button.isEnabled(), button.text(), button.toolTip()) == (True, "Open again", "Why not")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert triggered == [True]


def test_an_action_outliving_its_button_changes_safely(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    action = QAction("Use seed", host)
    button = QPushButton(host)
    follow_action(button, action)
    button.deleteLater()
    qtbot.wait(10)
    action.setEnabled(False)  # no follower left to touch a deleted button
    action.setText("Use seed again")
