"""The first-run dialog: a key tested and kept (keyring or session), the demo, and never the key in words."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from dialog_support import BrokenKeyring, FakeKeyTester, MemoryKeyring
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit

from fluxdesk.api.errors import AUTH_MESSAGE, AuthError, NetworkError
from fluxdesk.storage.secrets import SERVICE, USERNAME, KeySource, KeyStore
from fluxdesk.ui.dialogs.key_entry import CANCELLED_MESSAGE, EMPTY_KEY_MESSAGE, INVALID_KEY_MESSAGE
from fluxdesk.ui.dialogs.welcome import WelcomeDialog
from fluxdesk.ui.engine.tasks import TaskManager

KEY = "bfl_Zx81-welcome-test-key"
NO_KEYRING = (False, "No working system keyring was found (on Linux this needs a Secret Service such as "
                     "GNOME Keyring or KWallet).")


@pytest.fixture(autouse=True)
def no_background_work_left(qapp: QApplication) -> Iterator[None]:
    yield
    TaskManager.instance().wait()
    QApplication.processEvents()


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


def make_dialog(qtbot, store: KeyStore, tester: FakeKeyTester,
                keyring_status: tuple[bool, str] = (True, "")) -> WelcomeDialog:
    dialog = WelcomeDialog(store, tester, keyring_status=keyring_status)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def enter_key(qtbot, dialog: WelcomeDialog, key: str = KEY) -> None:
    dialog.key_entry.field.clear()
    qtbot.keyClicks(dialog.key_entry.field, key)


def visible_texts(dialog: QDialog) -> str:
    """Everything the dialog shows in words (labels and buttons), to check the key is not among them."""
    texts = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]
    texts += [w.accessibleName() + w.accessibleDescription() + w.toolTip() for w in dialog.findChildren(QLineEdit)]
    return "\n".join(texts)


def test_it_greets_and_hides_the_key_as_it_is_typed(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester)
    assert dialog.windowTitle() == "Welcome to FluxDesk"
    assert "Welcome to FluxDesk" in visible_texts(dialog)
    assert "dashboard.bfl.ai → API keys" in dialog.where_label.text()
    field = dialog.key_entry.field
    assert field.echoMode() == QLineEdit.EchoMode.Password and field.accessibleName() == "BFL API key"
    assert dialog.key_entry.button.text() == "Test and save"
    assert dialog.keyring_banner.isHidden() and dialog.env_button.isHidden()
    dialog.key_entry.show_button.click()
    assert field.echoMode() == QLineEdit.EchoMode.Normal and dialog.key_entry.show_button.text() == "Hide"
    dialog.key_entry.show_button.click()
    assert field.echoMode() == QLineEdit.EchoMode.Password


@pytest.mark.parametrize(("typed", "message"), [("not a key", INVALID_KEY_MESSAGE), ("", EMPTY_KEY_MESSAGE)])
def test_a_key_that_does_not_look_like_one_is_refused_at_the_field(qtbot, store, tester, typed, message) -> None:
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog, typed)
    dialog.key_entry.button.click()
    assert dialog.key_entry.field_message_text() == message
    assert dialog.key_entry.field_message.isVisible()
    assert tester.calls == []
    assert dialog.choice() is None
    qtbot.keyClicks(dialog.key_entry.field, "x")  # typing again clears the message
    assert dialog.key_entry.field_message_text() == ""


def test_a_refused_key_shows_the_error_and_stores_nothing(qtbot, store, tester, keyring_backend) -> None:
    tester.answer = AuthError(AUTH_MESSAGE, status=401)
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: dialog.key_entry.status_text() == AUTH_MESSAGE)
    assert tester.calls == [KEY]
    assert keyring_backend.passwords == {}
    assert store.get() == (None, KeySource.NONE)
    assert dialog.choice() is None and dialog.isVisible()
    assert dialog.key_entry.button.isEnabled() and dialog.key_entry.field.isEnabled()
    assert KEY not in visible_texts(dialog)


def test_a_network_failure_is_said_in_words(qtbot, store, tester) -> None:
    tester.answer = NetworkError("FluxDesk could not reach BFL. Check your internet connection.")
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: "could not reach BFL" in dialog.key_entry.status_text())


def test_a_good_key_is_tested_then_kept_in_the_keyring(qtbot, store, tester, keyring_backend) -> None:
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: dialog.choice() == "key")
    assert tester.calls == [KEY]
    assert keyring_backend.passwords == {(SERVICE, USERNAME): KEY}
    assert store.get() == (KEY, KeySource.KEYRING)
    status = dialog.key_entry.status_text()
    assert status.startswith("Key works: 1,234 credits ($12.34)") and "keyring" in status
    assert dialog.key_entry.field.text() == ""  # the key does not linger in the widget
    assert KEY not in visible_texts(dialog)
    assert dialog.continue_button.isVisible() and not dialog.demo_button.isEnabled()
    assert not dialog.key_entry.field.isEnabled() and not dialog.key_entry.button.isEnabled()  # saved: done
    dialog.continue_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.choice() == "key"


def test_while_the_key_is_tested_the_dialog_says_so(qtbot, store) -> None:
    tester = FakeKeyTester(answer=None)
    try:
        dialog = make_dialog(qtbot, store, tester)
        enter_key(qtbot, dialog)
        dialog.key_entry.button.click()
        entry = dialog.key_entry
        assert entry.status_text() == "Testing…" and entry.busy_indicator.isVisible()
        assert not entry.button.isEnabled() and not entry.field.isEnabled()
        assert dialog.demo_button.isEnabled() and entry.cancel_button.isVisible()  # never a locked dialog
        entry.button.click()  # disabled: no second test
        assert len(tester.calls) == 1
        tester.resolve(Decimal("4.5"))
        qtbot.waitUntil(lambda: dialog.choice() == "key")
        assert entry.status_text().startswith("Key works: 4.5 credits ($0.05)")  # a balance: whole cents
        assert not entry.busy_indicator.isVisible()
    finally:
        tester.close()


def test_enter_in_the_field_tests_the_key_and_escape_closes(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.field.setFocus()
    qtbot.keyClick(dialog.key_entry.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.choice() == "key")
    assert dialog.isVisible()  # Enter tested the key; it did not close the dialog
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # now Enter continues
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted

    other = make_dialog(qtbot, store, tester)
    qtbot.keyClick(other, Qt.Key.Key_Escape)
    assert not other.isVisible() and other.choice() is None
    assert other.result() == QDialog.DialogCode.Rejected


def test_enter_on_the_demo_path_starts_the_demo(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester)
    dialog.demo_button.setFocus()
    qtbot.keyClick(dialog.demo_button, Qt.Key.Key_Return)
    assert dialog.choice() == "demo" and tester.calls == []


def test_the_demo_button_chooses_the_demo(qtbot, store, tester, keyring_backend) -> None:
    dialog = make_dialog(qtbot, store, tester)
    assert "Nothing is charged; images are marked as demo" in visible_texts(dialog)
    dialog.demo_button.click()
    assert dialog.choice() == "demo" and dialog.result() == QDialog.DialogCode.Accepted
    assert keyring_backend.passwords == {} and tester.calls == []


def test_without_a_keyring_it_offers_this_session_only(qtbot, store, tester, keyring_backend) -> None:
    dialog = make_dialog(qtbot, store, tester, keyring_status=NO_KEYRING)
    assert dialog.keyring_banner.isVisible()
    assert "No working system keyring was found" in dialog.keyring_label.text()
    assert dialog.key_entry.button.text() == "Use for this session only"
    assert "BFL_API_KEY environment variable before starting FluxDesk" in dialog.env_hint.text()
    assert dialog.env_button.isVisible()
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: dialog.choice() == "session")
    assert store.get() == (KEY, KeySource.SESSION)
    assert keyring_backend.passwords == {}  # nothing in the keyring, nothing on disk
    assert "this session only" in dialog.key_entry.status_text()


def test_without_a_keyring_the_user_may_choose_the_environment_variable(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester, keyring_status=NO_KEYRING)
    dialog.env_button.click()
    assert dialog.choice() == "env" and dialog.result() == QDialog.DialogCode.Accepted
    assert store.get() == (None, KeySource.NONE)


def test_a_keyring_that_refuses_the_key_leads_to_the_session_path(qtbot, tester) -> None:
    store = KeyStore(backend=BrokenKeyring(), environ={})
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: "refused to store the key" in dialog.key_entry.status_text())
    assert KEY not in visible_texts(dialog)  # the backend echoed it; the message does not
    assert dialog.choice() is None
    assert dialog.key_entry.button.text() == "Use for this session only" and dialog.env_button.isVisible()
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: dialog.choice() == "session")
    assert store.get() == (KEY, KeySource.SESSION)


def test_closing_while_a_test_runs_drops_the_answer(qtbot, store, keyring_backend) -> None:
    tester = FakeKeyTester(answer=None)
    try:
        dialog = make_dialog(qtbot, store, tester)
        enter_key(qtbot, dialog)
        dialog.key_entry.button.click()
        dialog.reject()
        tester.resolve(Decimal(10))
        QApplication.processEvents()
        assert dialog.choice() is None and keyring_backend.passwords == {}

        late = WelcomeDialog(store, tester, keyring_status=(True, ""))  # not qtbot's: deleted here
        late.show()
        enter_key(qtbot, late)
        late.key_entry.button.click()
        late.close()
        late.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        tester.resolve(Decimal(10))  # the dialog is gone: nobody is told, nothing crashes
        QApplication.processEvents()
        assert keyring_backend.passwords == {}
    finally:
        tester.close()


def test_controls_have_names_and_tooltips(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester, keyring_status=NO_KEYRING)
    for button in (dialog.key_entry.button, dialog.key_entry.show_button, dialog.demo_button, dialog.env_button):
        assert button.accessibleName() and button.toolTip()
    assert dialog.key_entry.field.toolTip()


def test_escape_after_the_key_was_kept_means_continue(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester)
    enter_key(qtbot, dialog)
    dialog.key_entry.button.click()
    qtbot.waitUntil(lambda: dialog.choice() == "key")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.choice() == "key"


# --- offline: the real key tester against hosts that refuse or never answer ----------------------

@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket on loopback that accepts connections and never answers: a host that hangs."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def refused_base() -> str:
    """A loopback port with nothing listening: the connection is refused."""
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def real_tester(qtbot, monkeypatch: pytest.MonkeyPatch, api_base: str):
    from fluxdesk.storage.settings import Settings
    from fluxdesk.ui.engine.host import EngineHost

    monkeypatch.setenv("FLUXDESK_API_BASE", api_base)
    host = EngineHost(Path("/nonexistent"))
    return host.key_tester(Settings())


def test_offline_a_refused_connection_is_answered_in_words_without_retrying(qtbot, store, monkeypatch,
                                                                            refused_base) -> None:
    dialog = make_dialog(qtbot, store, real_tester(qtbot, monkeypatch, refused_base))
    enter_key(qtbot, dialog)
    qtbot.mouseClick(dialog.key_entry.button, Qt.MouseButton.LeftButton)
    # BflClient's usual patience (retries for up to a minute) would outlast this wait.
    qtbot.waitUntil(lambda: "could not connect" in dialog.key_entry.status_text(), timeout=5000)
    assert dialog.key_entry.button.isEnabled() and not dialog.key_entry.cancel_button.isVisible()
    assert store.get() == (None, KeySource.NONE)


def test_a_host_that_never_answers_can_be_cancelled_and_the_demo_chosen(qtbot, store, monkeypatch,
                                                                        silent_server) -> None:
    dialog = make_dialog(qtbot, store, real_tester(qtbot, monkeypatch, silent_server))
    enter_key(qtbot, dialog)
    entry = dialog.key_entry
    qtbot.mouseClick(entry.button, Qt.MouseButton.LeftButton)
    assert entry.is_busy() and entry.cancel_button.isVisible() and dialog.demo_button.isEnabled()
    pending = entry._pending
    qtbot.mouseClick(entry.cancel_button, Qt.MouseButton.LeftButton)
    assert entry.status_text() == CANCELLED_MESSAGE
    assert entry.button.isEnabled() and entry.field.isEnabled() and not entry.cancel_button.isVisible()
    assert pending.cancelled()  # the request itself is abandoned, not only its answer ignored

    qtbot.mouseClick(entry.button, Qt.MouseButton.LeftButton)  # a second try, then the demo mid-test
    assert entry.is_busy()
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice() == "demo" and dialog.result() == QDialog.DialogCode.Accepted
    assert not entry.is_busy() and store.get() == (None, KeySource.NONE)


def test_a_host_that_never_answers_times_out_in_seconds(qtbot, store, monkeypatch, silent_server) -> None:
    dialog = make_dialog(qtbot, store, real_tester(qtbot, monkeypatch, silent_server))
    enter_key(qtbot, dialog)
    qtbot.mouseClick(dialog.key_entry.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "stopped answering" in dialog.key_entry.status_text(), timeout=15_000)
    assert not dialog.key_entry.is_busy() and dialog.choice() is None


def test_start_in_the_demo_next_time_is_the_user_s_choice(qtbot, store, tester) -> None:
    dialog = make_dialog(qtbot, store, tester)
    assert not dialog.start_in_demo_box.isChecked()
    qtbot.mouseClick(dialog.start_in_demo_box, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice() == "demo" and dialog.start_in_demo()
