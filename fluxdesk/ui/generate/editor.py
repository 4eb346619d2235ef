"""The multi-line prompt editor with a shell-like history (Alt+Up / Alt+Down)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from fluxdesk.ui.generate.drops import is_image_drag, is_image_paste

HISTORY_LIMIT = 500
PREFERRED_LINES = 5


class PromptEditor(QPlainTextEdit):
    """Plain-text prompt entry.

    History is newest first. Index -1 is the draft: what the user was typing before going back.
    Editing a recalled prompt makes it the new draft, so going back down returns to that edit.
    A pasted picture (or copied image files) is not text: it goes to the panel as a reference (``imagesPasted``).
    """

    imagesPasted = Signal(object)
    """A paste of a picture or image files: its ``QMimeData``, to be read at once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._history: list[str] = []
        self._index = -1
        self._draft = ""
        self._recalling = False
        self.textChanged.connect(self._on_text_changed)

    # An image dragged over the prompt is not pasted as its path: ignored here, Qt hands it on to the panel.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if is_image_drag(event):
            event.ignore()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if is_image_drag(event):
            event.ignore()
            return
        super().dragMoveEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return is_image_paste(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if is_image_paste(source):
            self.imagesPasted.emit(source)
            return
        super().insertFromMimeData(source)

    def sizeHint(self) -> QSize:
        # Room for a typical prompt; the panel gives it any height to spare on tall screens.
        hint = super().sizeHint()
        margins = self.contentsMargins()
        lines = self.fontMetrics().lineSpacing() * PREFERRED_LINES
        return QSize(hint.width(), lines + margins.top() + margins.bottom() + 2 * int(self.document().documentMargin()))

    def set_history(self, prompts: Iterable[str]) -> None:
        seen: set[str] = set()
        items: list[str] = []
        for prompt in prompts:
            if isinstance(prompt, str) and prompt.strip() and prompt not in seen:
                seen.add(prompt)
                items.append(prompt)
        self._history = items[:HISTORY_LIMIT]
        self._index = -1

    def history(self) -> list[str]:
        return list(self._history)

    def remember(self, prompt: str) -> None:
        """Put ``prompt`` at the top of the history (once) and leave history browsing."""
        if prompt.strip():
            self._history = [prompt, *(p for p in self._history if p != prompt)][:HISTORY_LIMIT]
        self._index = -1
        self._draft = self.toPlainText()

    def recall(self, index: int) -> None:
        """Show history entry ``index`` (-1: the draft)."""
        if not -1 <= index < len(self._history):
            raise IndexError(index)
        if self._index == -1:
            self._draft = self.toPlainText()
        self._index = index
        self._set_text(self._draft if index == -1 else self._history[index])

    def history_back(self) -> bool:
        """Alt+Up: the next older prompt. False when there is none."""
        if self._index + 1 >= len(self._history):
            return False
        self.recall(self._index + 1)
        return True

    def history_forward(self) -> bool:
        """Alt+Down: the next newer prompt, and finally the draft. False when already on the draft."""
        if self._index < 0:
            return False
        self.recall(self._index - 1)
        return True

    def _set_text(self, text: str) -> None:
        self._recalling = True
        try:
            self.setPlainText(text)
        finally:
            self._recalling = False
        self.moveCursor(QTextCursor.MoveOperation.End)

    def _on_text_changed(self) -> None:
        if not self._recalling and self._index != -1:
            self._index = -1
            self._draft = self.toPlainText()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt_only = (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier) == Qt.KeyboardModifier.AltModifier
        if alt_only and event.key() == Qt.Key.Key_Up:
            self.history_back()
            event.accept()
            return
        if alt_only and event.key() == Qt.Key.Key_Down:
            self.history_forward()
            event.accept()
            return
        super().keyPressEvent(event)
