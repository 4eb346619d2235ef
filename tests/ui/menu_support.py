"""Reaching a command the way a user does through a menu: a right-click sent as the context-menu event it is,
and the entry picked by the words the user reads once the menu is up."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QMenu, QWidget
from window_support import WAIT_MS


def words(action: QAction | QAbstractButton) -> str:
    """What the user reads in a menu or on a button: no mnemonic, no shortcut column, no price."""
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
