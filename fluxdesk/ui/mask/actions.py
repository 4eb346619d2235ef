"""Every command of the mask editor as one ``QAction``: its toolbar button, its shortcut and any menu share it.

The shortcuts work anywhere inside the editor (``WidgetWithChildrenShortcut``) and nowhere else in the window;
a text field inside it keeps its own keys (typing a B in it types a B). Each tooltip names the keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QWidget


def tip_with_keys(text: str, keys: Sequence[QKeySequence]) -> str:
    """``"Brush (B)"``; more than one key: ``"Redo (Ctrl+Shift+Z or Ctrl+Y)"``."""
    if not keys:
        return text
    names = " or ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in keys)
    return f"{text} ({names})"


class MaskActions:
    """The editor's commands. Tools (``brush``, ``eraser``, ``hand``) are checkable and exclusive; ``undo`` and
    ``redo`` come from the undo stack and follow it (enabled, and named for the step they undo)."""

    def __init__(self, host: QWidget, undo_stack: QUndoStack) -> None:
        self._host = host
        self._all: list[QAction] = []
        self.brush = self._make("Brush", ("B",), "Paint the part to remake", checkable=True)
        self.eraser = self._make("Eraser", ("E",), "Erase paint: that part stays as it is", checkable=True)
        self.hand = self._make("Hand", ("H",), "Drag to move the picture (or hold Space, or drag with the middle "
                                               "button, in any tool)", checkable=True)
        self.tools = QActionGroup(host)
        for action in (self.brush, self.eraser, self.hand):
            self.tools.addAction(action)
        self.brush.setChecked(True)
        self.swap = self._make("Swap brush and eraser", ("X",), "Switch between the brush and the eraser")
        self.smaller = self._make("Smaller brush", ("[",), "Make the brush smaller")
        self.larger = self._make("Larger brush", ("]",), "Make the brush larger")
        self.softer = self._make("Softer edge", ("{", "Shift+{"), "Make the brush's edge softer")
        self.harder = self._make("Harder edge", ("}", "Shift+}"), "Make the brush's edge harder")
        self.fill = self._make("Fill", ("Shift+F",), "Paint the whole image: all of it is remade")
        self.invert = self._make("Invert", ("I",), "Swap painted and unpainted")
        self.clear = self._make("Clear", ("Ctrl+Backspace",), "Remove all paint")
        self.undo = undo_stack.createUndoAction(host, "Undo")
        self.redo = undo_stack.createRedoAction(host, "Redo")
        self._adopt(self.undo, ("Ctrl+Z",), "Undo")
        self._adopt(self.redo, ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo")
        self.undo.setIconText("Undo")  # the button keeps its word; the step it undoes is in the tooltip and menu
        self.redo.setIconText("Redo")
        undo_stack.undoTextChanged.connect(_StepTip(self.undo, "Undo").show)
        undo_stack.redoTextChanged.connect(_StepTip(self.redo, "Redo").show)
        self.zoom_in = self._make("Zoom in", ("Ctrl+=", "Ctrl++"), "Zoom in")
        self.zoom_out = self._make("Zoom out", ("Ctrl+-",), "Zoom out")
        self.fit = self._make("Fit", ("Ctrl+0",), "Fit the whole image in view")
        self.actual_size = self._make("100%", ("Ctrl+1",), "One image pixel per screen pixel")

    def all(self) -> list[QAction]:
        """Every command, in toolbar order (for a shortcuts list or a menu)."""
        return list(self._all)

    def _make(self, text: str, keys: tuple[str, ...], tip: str, *, checkable: bool = False) -> QAction:
        action = QAction(text, self._host)
        action.setCheckable(checkable)
        self._adopt(action, keys, tip)
        return action

    def _adopt(self, action: QAction, keys: tuple[str, ...], tip: str) -> None:
        sequences = [QKeySequence(key) for key in keys]
        action.setShortcuts(sequences)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip_with_keys(tip, sequences[:1] if len(keys) > 1 and keys[1].startswith("Shift+")
                                        else sequences))
        action.setStatusTip(tip)
        self._host.addAction(action)
        self._all.append(action)


class _StepTip(QObject):
    """Names the step in the undo or redo action's tooltip; the action's child, so gone with it."""

    def __init__(self, action: QAction, verb: str) -> None:
        super().__init__(action)
        self._action, self._verb = action, verb

    def show(self, step: str) -> None:
        if not shiboken6.isValid(self._action):  # the stack says it is empty as the editor is torn down
            return
        tip = f"{self._verb} {step.lower()}" if step else self._verb
        self._action.setToolTip(tip_with_keys(tip, self._action.shortcuts()))
