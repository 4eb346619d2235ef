"""The first-run dialog, shown when no key is stored: use my BFL API key, or try the offline demo."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.storage.secrets import ALTERNATIVES, ENV_VAR, KeyStore, KeyStoreError
from fluxdesk.ui.dialogs.key_entry import ENV_HINT, WHERE_TO_GET_A_KEY, KeyEntry, KeyTester
from fluxdesk.ui.kit.forms import describe, make_label
from fluxdesk.ui.kit.surfaces import AccentButton, Banner, TitledCard

CHOICES = ("key", "session", "env", "demo")
INTRO = ("FluxDesk makes images with the Black Forest Labs API. It shows the price before anything is "
         "sent, and keeps every image with what made it in a searchable library.")
DEMO_TEXT = ("A built-in simulator stands in for BFL, so you can try every part of FluxDesk. "
             "Nothing is charged; images are marked as demo.")


def _card(title: str, name: str) -> tuple[QFrame, QVBoxLayout]:
    card = TitledCard(title, name, title_scale=1.1)
    return card, card.body


class WelcomeDialog(QDialog):
    """Ask a newcomer for a key (tested with BFL, then kept in the keyring) or offer the demo.

    After ``exec()``, ``choice()`` says what the user chose: ``"key"`` (a tested key is in the
    keyring), ``"session"`` (a tested key is kept in memory for this session), ``"env"`` (the user
    will set ``BFL_API_KEY``; only offered when the keyring does not work), ``"demo"``, or ``None``
    (closed).
    """

    def __init__(self, key_store: KeyStore, key_tester: KeyTester, *, keyring_status: tuple[bool, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keyring_works, self._keyring_reason = keyring_status
        self._choice: str | None = None
        self.setWindowTitle("Welcome to FluxDesk")
        self.setObjectName("welcomeDialog")
        self.setAccessibleName("Welcome to FluxDesk")
        self.setSizeGripEnabled(True)

        self.key_entry = KeyEntry(key_store, key_tester,
                                  target="keyring" if self._keyring_works else "session")
        self._build()
        if not self._keyring_works:
            self._offer_alternatives()
        self.key_entry.keySaved.connect(self._key_saved)
        self.key_entry.failed.connect(self._key_failed)
        self.key_entry.setFocus()
        self.resize(max(self.sizeHint().width(), 580), self.sizeHint().height())

    # --- layout -------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = make_label("Welcome to FluxDesk", heading=True, scale=1.6, name="welcomeTitle",
                           accessible="Welcome to FluxDesk")
        layout.addWidget(title)
        layout.addWidget(make_label(INTRO, tone="muted", name="whatFluxDeskDoes", accessible="What FluxDesk does"))

        self.keyring_banner = self._keyring_banner()
        layout.addWidget(self.keyring_banner)

        paths = QHBoxLayout()
        paths.setSpacing(12)
        self.key_card = self._key_card()
        self.demo_card = self._demo_card()
        paths.addWidget(self.key_card, 3)
        paths.addWidget(self.demo_card, 2)
        layout.addLayout(paths, 1)

        footer = QHBoxLayout()
        footer.addStretch(1)
        self.continue_button = AccentButton("Continue to FluxDesk")
        self.continue_button.setAutoDefault(False)
        describe(self.continue_button, "Continue to FluxDesk", "Open FluxDesk with this key",
                 "continueButton")
        self.continue_button.clicked.connect(self.accept)
        self.continue_button.hide()
        footer.addWidget(self.continue_button)
        layout.addLayout(footer)

    def _keyring_banner(self) -> QFrame:
        banner = Banner("warning")
        box = QVBoxLayout(banner)
        box.setContentsMargins(12, 8, 12, 8)
        # The reason ends with the alternatives, which the key card offers as buttons instead.
        reason = self._keyring_reason.replace(ALTERNATIVES, "").strip() or "No working system keyring was found."
        self.keyring_label = make_label(f"{reason} FluxDesk will not write your key to a file.",
                                        name="keyringProblem", accessible="Keyring problem")
        box.addWidget(self.keyring_label)
        banner.setAccessibleName("Keyring problem")
        banner.setVisible(not self._keyring_works)
        return banner

    def _key_card(self) -> QFrame:
        card, layout = _card("Use my BFL API key", "keyCard")
        prompt = make_label("Paste your API key:")
        prompt.setBuddy(self.key_entry)
        layout.addWidget(prompt)
        layout.addWidget(self.key_entry)

        self.session_note = make_label("Nothing is stored on disk: FluxDesk forgets the key when it closes.",
                                       tone="muted", name="sessionKeyNote", accessible="Session key note")
        self.env_hint = make_label(ENV_HINT, tone="muted", name="environmentVariableHint",
                                   accessible="Environment variable hint")
        self.env_button = QPushButton(f"I'll set {ENV_VAR} myself")
        self.env_button.setAutoDefault(False)
        describe(self.env_button, f"I'll set {ENV_VAR} myself",
                 f"Browse your library now; to generate, set {ENV_VAR} in your environment and start FluxDesk "
                 "again", "envButton")
        self.env_button.clicked.connect(lambda: self._finish("env"))
        self.env_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        for widget in (self.session_note, self.env_hint, self.env_button):
            widget.hide()
            layout.addWidget(widget)

        layout.addStretch(1)
        self.where_label = make_label(WHERE_TO_GET_A_KEY, tone="muted", name="whereToGetAKey",
                                      accessible="Where to get a key")
        self.where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.where_label)
        return card

    def _demo_card(self) -> QFrame:
        card, layout = _card("Try the offline demo", "demoCard")
        layout.addWidget(make_label(DEMO_TEXT, name="aboutTheDemo", accessible="About the demo"))
        layout.addStretch(1)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.setAutoDefault(False)
        describe(self.demo_button, "Try the offline demo",
                 "Open FluxDesk with the built-in simulator: no key, no network, nothing charged", "demoButton")
        self.demo_button.clicked.connect(lambda: self._finish("demo"))
        self.start_in_demo_box = QCheckBox("Start in the demo next time")
        describe(self.start_in_demo_box, "Start in the demo next time",
                 "Open FluxDesk straight in the demo; File → Use my BFL key leaves it", "startInDemoBox")
        layout.addWidget(self.start_in_demo_box)
        layout.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeft)
        return card

    # --- answers ------------------------------------------------------------------------------------

    def choice(self) -> str | None:
        """``"key"``, ``"session"``, ``"env"``, ``"demo"``, or ``None`` when the dialog was closed."""
        return self._choice

    def start_in_demo(self) -> bool:
        """The demo was chosen with "Start in the demo next time" ticked."""
        return self._choice == "demo" and self.start_in_demo_box.isChecked()

    def _finish(self, choice: str) -> None:
        self._choice = choice
        self.key_entry.cancel()
        self.accept()

    def _key_saved(self, target: str) -> None:
        self._choice = "key" if target == "keyring" else "session"
        for widget in (self.key_entry, self.demo_button, self.start_in_demo_box, self.env_button):
            widget.setEnabled(False)
        self.continue_button.show()
        self.continue_button.setFocus()

    def _key_failed(self, exc: BaseException) -> None:
        if isinstance(exc, KeyStoreError) and self.key_entry.target() == "keyring":
            self._offer_alternatives()

    def _offer_alternatives(self) -> None:
        """The keyring cannot hold the key: offer this session's memory or the environment variable."""
        self.key_entry.set_target("session")
        for widget in (self.session_note, self.env_hint, self.env_button):
            widget.show()

    # --- size ---------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit_height()
        return handled

    def _fit_height(self) -> None:
        """Grow (never shrink below) to what the wrapped text needs at this width: messages come and go."""
        layout = self.layout()
        assert layout is not None  # built in __init__
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        if needed > 0:
            self.setMinimumHeight(needed)
            if needed > self.height():
                self.resize(self.width(), needed)

    # --- keys and closing ---------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            button = self._button_for_enter()
            if button is not None:
                button.click()
            event.accept()
            return
        super().keyPressEvent(event)

    def _button_for_enter(self) -> QPushButton | None:
        """The focused button, else the primary button of the path that holds the focus."""
        focus = self.focusWidget()
        if isinstance(focus, QPushButton):
            button: QPushButton | None = focus
        elif self.continue_button.isVisible():
            button = self.continue_button
        elif focus is not None and self.demo_card.isAncestorOf(focus):
            button = self.demo_button
        else:
            button = self.key_entry.button
        return button if button is not None and button.isVisible() and button.isEnabled() else None

    def done(self, result: int) -> None:
        if self._choice in ("key", "session"):
            result = QDialog.DialogCode.Accepted  # the key is kept: closing now means "continue"
        elif result != QDialog.DialogCode.Accepted:
            self._choice = None
        self.key_entry.cancel()
        super().done(result)


__all__ = ["CHOICES", "WelcomeDialog"]
