"""The key entry both the welcome and the settings dialog use: paste, test with BFL, then keep the key.

The key is shown nowhere but in its password field, and it only leaves this widget for the key tester
(which asks BFL for the credits balance) and the ``KeyStore`` (the keyring, on a worker thread, or
this session's memory).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.api.errors import BflError
from fluxdesk.core.pricing import USD_PER_CREDIT, credits_phrase, format_usd
from fluxdesk.storage.secrets import ENV_VAR, KeyStore, KeyStoreError, key_looks_valid
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import describe, make_label
from fluxdesk.ui.kit.surfaces import AccentButton
from fluxdesk.ui.kit.theme import set_tone

KeyTester = Callable[[str], "concurrent.futures.Future[Decimal]"]
"""Given a key, a future answering the credits balance (a ``Decimal``) or raising a ``BflError``."""

TARGETS = ("keyring", "session")
WHERE_TO_GET_A_KEY = "No key yet? Create one at dashboard.bfl.ai → API keys."
ENV_HINT = f"Or set the {ENV_VAR} environment variable before starting FluxDesk."
EMPTY_KEY_MESSAGE = "Paste your BFL API key first."
CANCELLED_MESSAGE = "Test cancelled: the key was not saved."
INVALID_KEY_MESSAGE = ("That does not look like a BFL API key: it is one word of letters, digits and dashes "
                       "(like bfl_…), without spaces or line breaks.")


def balance_text(credits: Decimal, usd_per_credit: Decimal = USD_PER_CREDIT) -> str:
    """``"Key works: 1,234 credits ($12.34)"``."""
    return f"Key works: {credits_phrase(credits)} ({format_usd(credits * usd_per_credit)})"


def error_words(exc: BaseException, doing: str = "checked") -> str:
    """What went wrong, in words a designer can act on; never an exception's raw text (it might echo the key)."""
    if isinstance(exc, BflError):
        return exc.message
    if isinstance(exc, KeyStoreError):
        return str(exc)  # built by KeyStore, with the key blanked out
    return f"The key could not be {doing} ({type(exc).__name__}). Try again in a moment."


class BusyIndicator(QProgressBar):
    """A slim indeterminate bar, shown while something runs."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setFixedSize(72, 8)
        self.setAccessibleName(name)
        self.hide()


# --- the key entry -------------------------------------------------------------------------------

class _KeyField(QLineEdit):
    """A password field that keeps Enter to itself, so Enter tests the key rather than closing a dialog."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class KeyEntry(QWidget):
    """A password field with a Show toggle and one button: test the key with BFL, then keep it.

    ``target`` says where a key that works goes: ``"keyring"`` (``KeyStore.set`` on a worker thread)
    or ``"session"`` (``KeyStore.set_session``: memory only). A key that does not look like a key
    is refused at the field without calling the tester.
    """

    keySaved = Signal(str)
    """A tested key was stored; the argument is the target ("keyring" or "session")."""
    failed = Signal(object)
    """The test or the storing failed; the argument is the exception (its words are already shown)."""
    busyChanged = Signal(bool)

    def __init__(self, key_store: KeyStore, key_tester: KeyTester, *, target: str = "keyring",
                 usd_per_credit: Decimal = USD_PER_CREDIT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key_store = key_store
        self._key_tester = key_tester
        self._usd_per_credit = usd_per_credit
        self._target = "keyring"
        self._busy = False
        self._refocus = False
        self._attempt = 0
        self._pending: concurrent.futures.Future | None = None
        self._build()
        self.set_target(target)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.field = _KeyField()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("bfl_…")
        self.field.setMaxLength(4096)  # long enough to notice a wrong paste; key_looks_valid says why
        self.field.setClearButtonEnabled(True)
        self.field.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                                       | Qt.InputMethodHint.ImhNoPredictiveText)
        describe(self.field, "BFL API key", "Paste your BFL API key here. It is shown as dots.", "keyField")
        self.field.textEdited.connect(self._edited)
        self.field.returnPressed.connect(self.submit)
        self.setFocusProxy(self.field)  # focusing the entry (or a label's buddy) puts the cursor in the field

        self.show_button = QToolButton()
        self.show_button.setText("Show")
        self.show_button.setCheckable(True)
        describe(self.show_button, "Show the key", "Show or hide the characters of the key", "showKeyButton")
        self.show_button.toggled.connect(self._toggle_echo)
        # As tall as the field beside it (a tool button is fixed to its own height otherwise).
        self.show_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        field_row = QHBoxLayout()
        field_row.setSpacing(4)
        field_row.addWidget(self.field, 1)
        field_row.addWidget(self.show_button)
        layout.addLayout(field_row)

        self.field_message = make_label(tone="error", name="keyFieldMessage", accessible="Key field message")
        self.field_message.hide()
        layout.addWidget(self.field_message)

        self.button = AccentButton()
        self.button.clicked.connect(self.submit)
        self.busy_indicator = BusyIndicator("Testing the key")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        describe(self.cancel_button, "Cancel the key test", "Stop waiting for BFL's answer; nothing is saved",
                 "cancelKeyTestButton")
        self.cancel_button.clicked.connect(self.cancel_test)
        self.cancel_button.hide()
        button_row = QHBoxLayout()
        button_row.setSpacing(8)
        button_row.addWidget(self.button)
        button_row.addWidget(self.busy_indicator, 0, Qt.AlignmentFlag.AlignVCenter)
        button_row.addWidget(self.cancel_button)
        button_row.addStretch(1)
        layout.addLayout(button_row)

        self.status_label = make_label(name="keyTestResult", accessible="Key test result")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.hide()
        layout.addWidget(self.status_label)

    # --- public -------------------------------------------------------------------------------------

    def target(self) -> str:
        return self._target

    def set_target(self, target: str) -> None:
        """Where a key that works is kept: ``"keyring"`` or ``"session"``."""
        if target not in TARGETS:
            raise ValueError(f"unknown key target {target!r}; choose one of {', '.join(TARGETS)}")
        self._target = target
        if target == "keyring":
            self.button.setText("Test and save")
            describe(self.button, "Test and save the key",
                     "Check the key with BFL (reads your credits, costs nothing), then keep it in the "
                     "system keyring", "testAndSaveButton")
        else:
            self.button.setText("Use for this session only")
            describe(self.button, "Use the key for this session only",
                     "Check the key with BFL, then keep it in memory until FluxDesk closes; nothing is "
                     "written to disk", "sessionKeyButton")

    def is_busy(self) -> bool:
        return self._busy

    def status_text(self) -> str:
        return self.status_label.text() if not self.status_label.isHidden() else ""

    def field_message_text(self) -> str:
        return self.field_message.text() if not self.field_message.isHidden() else ""

    def submit(self) -> None:
        """Check the field, test the key with BFL, and keep it where ``target`` says."""
        if self._busy:
            return
        key = self.field.text().strip()
        if not key_looks_valid(key):
            self._show_field_message(INVALID_KEY_MESSAGE if key else EMPTY_KEY_MESSAGE)
            return
        self._clear_field_message()
        self._attempt += 1
        attempt = self._attempt
        self._set_busy(True, "Testing…", cancellable=True)
        try:
            future = self._key_tester(key)
        except Exception as exc:  # a tester that fails before it even starts: say so like any other failure
            self._fail(attempt, exc)
            return
        self._pending = future
        TaskManager.instance().watch_future(
            future, lambda credits: self._tested(attempt, key, credits),
            lambda exc: self._fail(attempt, exc), parent=self)

    def cancel(self) -> None:
        """Forget any answer still on its way (the dialog is closing). A keyring write already under
        way still completes; nothing is reported about it."""
        self._attempt += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._busy:
            self._set_busy(False)
            self.status_label.hide()

    def cancel_test(self) -> None:
        """The user gave up waiting: drop the test (its request is abandoned) and say so."""
        if not self.cancel_button.isVisible():
            return  # the key is already being saved: that completes
        self.cancel()
        self.show_status(CANCELLED_MESSAGE, "warning")

    def show_status(self, text: str, tone: str | None = None) -> None:
        self.status_label.setText(text)
        self.status_label.setAccessibleDescription(text)
        set_tone(self.status_label, tone)
        self.status_label.setVisible(bool(text))

    # --- steps --------------------------------------------------------------------------------------

    def _tested(self, attempt: int, key: str, credits: Decimal) -> None:
        if attempt != self._attempt:
            return
        self._pending = None
        balance = balance_text(credits, self._usd_per_credit)
        if self._target == "session":
            try:
                self._key_store.set_session(key)
            except ValueError as exc:
                self._fail(attempt, exc)
                return
            self._saved(attempt, f"{balance}. Kept for this session only: FluxDesk forgets it when it closes.")
            return
        self._set_busy(True, f"{balance}. Saving it in the system keyring…")
        TaskManager.instance().run_in_background(
            lambda: self._key_store.set(key),
            lambda _none: self._saved(attempt, f"{balance}. Saved in the system keyring."),
            lambda exc: self._fail(attempt, exc, doing="saved"), parent=self)

    def _saved(self, attempt: int, message: str) -> None:
        if attempt != self._attempt:
            return
        self.field.clear()
        self.show_button.setChecked(False)
        self._set_busy(False)
        self.show_status(message, "success")
        self.keySaved.emit(self._target)

    def _fail(self, attempt: int, exc: BaseException, doing: str = "checked") -> None:
        if attempt != self._attempt:
            return
        self._pending = None
        self._set_busy(False)
        self.show_status(error_words(exc, doing), "error")
        self.failed.emit(exc)

    # --- looks --------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool, text: str = "", *, cancellable: bool = False) -> None:
        self.cancel_button.setVisible(busy and cancellable)
        changed = busy != self._busy
        self._busy = busy
        if busy and changed:
            # Disabling the field and button moves the focus away; give it back when the answer is in.
            self._refocus = any(w.hasFocus() for w in (self.field, self.show_button, self.button))
        for widget in (self.field, self.show_button, self.button):
            widget.setEnabled(not busy)
        self.busy_indicator.setVisible(busy)
        if busy:
            self.show_status(text, "info")
        elif changed and self._refocus:
            self.field.setFocus()
        if changed:
            self.busyChanged.emit(busy)

    def _toggle_echo(self, shown: bool) -> None:
        self.field.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if shown else "Show")

    def _edited(self, _text: str) -> None:
        """A new key: the messages about the old one no longer apply."""
        self._clear_field_message()
        if not self._busy:
            self.show_status("")

    def _show_field_message(self, text: str) -> None:
        self.field_message.setText(text)
        self.field.setAccessibleDescription(text)
        self.field_message.show()
        self.field.setFocus()

    def _clear_field_message(self) -> None:
        if not self.field_message.isHidden():
            self.field_message.hide()
            self.field_message.clear()
            self.field.setAccessibleDescription("")
