"""Settings → Studio: join a studio (its PostgreSQL URL, the seat, the seat's password kept in the keyring), test the
link, leave it; the link's state as the app sees it. Join and Leave do what ``fluxdesk studio join`` and ``leave``
do (``services.studio_link``), off the GUI thread, and take effect at once (not on Save)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import WIDE_LABEL_WIDTH, Form, describe, make_label, show_result

if TYPE_CHECKING:
    from fluxdesk.storage.settings import Settings

PAGE_NOTE = ("Studio mode shares each billed or failed job's ledger row (not its image) with the team's PostgreSQL "
             "server, so the Spend tab and the budget question see what the whole team spent this month. "
             "Generating never waits for the server. Your studio's admin gives you the URL, your seat and its "
             "password.")
PASSWORD_NOTE = "Kept in the system keyring, never in the settings file or a log."


class StudioPage(QWidget):
    """The Studio section's form. ``linkChanged(url, seat)`` after a join (``None, None`` after leaving): the app
    keeps them in its settings and links or unlinks at once."""

    linkChanged = Signal(object, object)

    def __init__(self, home: Path, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._home = home
        self._settings = settings
        self._busy = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(make_label(PAGE_NOTE, tone="muted", accessible="Studio mode"))
        form = Form(WIDE_LABEL_WIDTH, spacing=(12, 3), gap=6, pad=False)
        self.url_edit = QLineEdit(settings.studio_url or "")
        self.url_edit.setPlaceholderText("postgresql://db.studio.lan/fluxdesk")
        describe(self.url_edit, "Studio server URL", "The studio's PostgreSQL URL, without a password",
                 "studioUrlEdit")
        form.add_row("Server URL", self.url_edit)
        self.seat_edit = QLineEdit(settings.studio_seat or "")
        self.seat_edit.setPlaceholderText("anna")
        describe(self.seat_edit, "Seat", "Your seat's name, as the admin created it", "studioSeatEdit")
        form.add_row("Seat", self.seat_edit)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        describe(self.password_edit, "Seat password", "The seat's database password", "studioPasswordEdit")
        form.add_row("Password", self.password_edit, make_label(PASSWORD_NOTE, tone="muted",
                                                                accessible="Password note"))
        layout.addLayout(form)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.test_button = QPushButton("Test connection")
        describe(self.test_button, "Test connection", "Ask the server whether it accepts this seat and password",
                 "studioTestButton")
        self.join_button = QPushButton("Join")
        describe(self.join_button, "Join the studio", "Share this library's ledger with the studio as this seat",
                 "studioJoinButton")
        self.leave_button = QPushButton("Leave")
        describe(self.leave_button, "Leave the studio", "Stop sharing and remove the password from the keyring",
                 "studioLeaveButton")
        for button in (self.test_button, self.join_button, self.leave_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result_label = make_label(name="studioResult", accessible="Studio result")
        self.result_label.hide()
        layout.addWidget(self.result_label)
        self.state_label = make_label(name="studioState", accessible="Studio link")
        layout.addWidget(self.state_label)
        layout.addStretch(1)
        self.test_button.clicked.connect(self.test_connection)
        self.join_button.clicked.connect(self.join)
        self.leave_button.clicked.connect(self.leave)
        self.set_link_state(None)

    @property
    def joined(self) -> bool:
        return bool(self._settings.studio_url and self._settings.studio_seat)

    def set_link_state(self, text: str | None) -> None:
        """The app's studio label (``None``: no link running)."""
        if self.joined:
            joined = f"Joined as seat {self._settings.studio_seat} at {self._settings.studio_url}."
            self.state_label.setText(joined if text is None else f"{joined}\n{text}")
        else:
            self.state_label.setText("Not in a studio: this FluxDesk keeps its ledger to itself.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.join_button.setEnabled(not self._busy)
        self.test_button.setEnabled(not self._busy)
        self.leave_button.setEnabled(not self._busy and self.joined)


    def _start(self, text: str) -> None:
        self._busy = True
        self._update_buttons()
        show_result(self.result_label, text, "info")

    def _done(self, text: str, tone: str) -> None:
        self._busy = False
        show_result(self.result_label, text, tone)
        self.set_link_state(None)

    def _failed(self, error: BaseException) -> None:
        from fluxdesk.storage.db import LibraryError
        from fluxdesk.storage.secrets import KeyStoreError
        from fluxdesk.storage.studio.link import StudioError

        if not isinstance(error, StudioError | KeyStoreError | LibraryError):  # a locked keyring, an unwritable library
            self._done("", "error")  # the buttons work again; the error itself goes to the error report
            raise error
        text = str(error).rstrip(".")
        self._done(f"{text[:1].upper()}{text[1:]}.", "error")

    def test_connection(self) -> None:
        """Whether the server accepts the seat, in words, off the GUI thread (the stored password when none is
        typed and this home joined)."""
        url, seat, typed = self.url_edit.text().strip(), self.seat_edit.text(), self.password_edit.text() or None
        settings = self._settings

        def check() -> str:
            from fluxdesk.services.studio_link import check_link, joined_link_of

            password = typed
            if password is None and (link := joined_link_of(settings)) is not None:
                password = link.password
            return check_link(url, seat, password)

        self._start("Asking the server…")
        TaskManager.instance().run_in_background(check, lambda words: self._done(words, "success"), self._failed,
                                                 parent=self)

    def join(self) -> None:
        url, seat, password = self.url_edit.text().strip(), self.seat_edit.text(), self.password_edit.text()
        if not password:
            show_result(self.result_label, "Type the seat's password first: your studio's admin has it.", "error")
            self.password_edit.setFocus()
            return
        home = self._home

        def join() -> tuple[str, str]:
            from fluxdesk.services.studio_link import join_studio

            return join_studio(home, url, seat, password, save_link=lambda _url, _seat: None)  # the app saves

        self._start("Joining…")
        TaskManager.instance().run_in_background(join, self._joined, self._failed, parent=self)

    def _joined(self, link: tuple[str, str]) -> None:
        url, seat = link
        self.password_edit.clear()
        self.url_edit.setText(url)
        self.seat_edit.setText(seat)
        self._settings = replace(self._settings, studio_url=url, studio_seat=seat)
        self.linkChanged.emit(url, seat)
        self._done(f"Joined the studio as seat {seat}. Billed and failed jobs are shared from now on.", "success")

    def leave(self) -> None:
        home, settings = self._home, self._settings

        def leave() -> bool:
            from fluxdesk.services.studio_link import leave_studio

            return leave_studio(home, settings, save_link=lambda _url, _seat: None)  # the app saves

        self._start("Leaving…")
        TaskManager.instance().run_in_background(leave, self._left, self._failed, parent=self)

    def _left(self, _left: bool) -> None:
        self._settings = replace(self._settings, studio_url=None, studio_seat=None)
        self.linkChanged.emit(None, None)
        self._done("Left the studio: its password is removed from the keyring. Rows already sent stay in the "
                   "team's ledger.", "success")
