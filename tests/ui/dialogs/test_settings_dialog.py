"""The settings dialog: the key (test, replace, remove), settings saved to a real file, theme preview. The Prices
page's tables: test_settings_tables.py."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from dialog_support import FakeKeyTester, MemoryKeyring
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QLabel, QMessageBox

from fluxdesk.api.errors import AUTH_MESSAGE, AuthError
from fluxdesk.storage.paths import settings_path
from fluxdesk.storage.secrets import SERVICE, USERNAME, KeySource, KeyStore
from fluxdesk.storage.settings import Settings, load_settings
from fluxdesk.ui.dialogs.settings import SECTIONS, SettingsDialog
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import WIDE_LABEL_WIDTH

OLD_KEY = "bfl_old-key-0000111"
NEW_KEY = "bfl_new-key-2222333"


@pytest.fixture(autouse=True)
def no_background_work_left(qapp: QApplication) -> Iterator[None]:
    yield
    TaskManager.instance().wait()
    QApplication.processEvents()


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, USERNAME, OLD_KEY)
    return backend


# --- Key ------------------------------------------------------------------------------------------

def test_it_shows_where_the_key_comes_from_and_the_backend(make_dialog, store) -> None:
    dialog = make_dialog()
    assert dialog.tabs.count() == len(SECTIONS)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == list(SECTIONS)
    assert store.backend_name() in dialog.keyring_label.text() and "works" in dialog.keyring_label.text()
    assert "system keyring" in dialog.source_label.text()
    assert dialog.test_button.isEnabled() and dialog.remove_button.isEnabled()
    assert dialog.replace_button.text() == "Replace…"
    assert OLD_KEY not in dialog.source_label.text() + dialog.keyring_label.text()


def test_the_environment_variable_wins_and_the_dialog_says_so(make_dialog, keyring_backend) -> None:
    env_store = KeyStore(backend=keyring_backend, environ={"BFL_API_KEY": "bfl_from-env-99999"})
    dialog = make_dialog(key_store=env_store)
    assert "BFL_API_KEY" in dialog.source_label.text() and "only once" in dialog.source_label.text()


def test_test_asks_bfl_with_the_key_in_use(qtbot, make_dialog, tester) -> None:
    dialog = make_dialog()
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.key_result_label.text() == "Key works: 1,234 credits ($12.34)")
    assert tester.calls == [OLD_KEY]
    assert dialog.test_button.isEnabled() and not dialog.key_busy.isVisible()


def test_a_refused_key_is_reported_in_words(qtbot, make_dialog, tester) -> None:
    tester.answer = AuthError(AUTH_MESSAGE, status=401)
    dialog = make_dialog()
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.key_result_label.text() == AUTH_MESSAGE)


def test_remove_asks_first_then_clears_the_key(qtbot, monkeypatch, make_dialog, keyring_backend, store) -> None:
    dialog = make_dialog()
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent, title, *_args, **_kwargs):
        asked.append(title)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    changed: list[bool] = []
    dialog.keyChanged.connect(lambda: changed.append(True))
    dialog.remove_button.click()  # Cancel: nothing happens
    assert asked == ["Remove the API key?"] and changed == []
    assert keyring_backend.passwords == {(SERVICE, USERNAME): OLD_KEY}

    with qtbot.waitSignal(dialog.keyChanged):
        dialog.remove_button.click()
    assert keyring_backend.passwords == {} and store.get() == (None, KeySource.NONE)
    qtbot.waitUntil(lambda: dialog.key_status().source is KeySource.NONE)
    assert dialog.key_result_label.text() == "The key was removed."
    assert not dialog.remove_button.isEnabled() and not dialog.test_button.isEnabled()
    assert dialog.replace_button.text() == "Add key…" and dialog.replace_button.isEnabled()


def test_replace_tests_and_stores_the_new_key(qtbot, make_dialog, tester, keyring_backend) -> None:
    dialog = make_dialog()
    assert dialog.replace_box.isHidden()
    dialog.replace_button.click()
    assert dialog.replace_box.isVisible() and dialog.focusWidget() is dialog.key_entry.field
    qtbot.keyClicks(dialog.key_entry.field, NEW_KEY)
    with qtbot.waitSignal(dialog.keyChanged):
        dialog.key_entry.button.click()
    assert tester.calls == [NEW_KEY]
    assert keyring_backend.passwords == {(SERVICE, USERNAME): NEW_KEY}
    assert dialog.key_entry.status_text().startswith("Key works: 1,234 credits ($12.34)")
    assert dialog.key_entry.field.text() == ""
    assert dialog.isVisible()  # a key change is not a Save


def test_replace_refuses_a_bad_key_without_testing(qtbot, make_dialog, tester, keyring_backend) -> None:
    dialog = make_dialog()
    dialog.replace_button.click()
    qtbot.keyClicks(dialog.key_entry.field, "two words")
    dialog.key_entry.button.click()
    assert "does not look like a BFL API key" in dialog.key_entry.field_message_text()
    assert tester.calls == [] and keyring_backend.passwords == {(SERVICE, USERNAME): OLD_KEY}


def test_without_a_keyring_a_new_key_is_for_this_session(qtbot, make_dialog) -> None:
    import keyring.backends.fail

    store = KeyStore(backend=keyring.backends.fail.Keyring(), environ={})
    dialog = make_dialog(key_store=store)
    assert dialog.keyring_label.text().startswith("No working system keyring was found")
    assert "fail" not in dialog.keyring_label.text()  # in words, not keyring's class name
    assert dialog.replace_button.text() == "Add key…" and not dialog.test_button.isEnabled()
    dialog.replace_button.click()
    assert dialog.key_entry.button.text() == "Use for this session only"
    qtbot.keyClicks(dialog.key_entry.field, NEW_KEY)
    with qtbot.waitSignal(dialog.keyChanged):
        dialog.key_entry.button.click()
    assert store.get() == (NEW_KEY, KeySource.SESSION)


def test_demo_mode_says_the_real_key_is_untouched(make_dialog) -> None:
    dialog = make_dialog(demo=True)
    assert dialog.demo_note.isVisible() and "untouched" in dialog.demo_note.text()
    assert not hasattr(make_dialog(), "demo_note")


def test_closing_while_a_key_test_runs_does_not_crash(qtbot, store, home, price_table, writer) -> None:
    tester = FakeKeyTester(answer=None)
    try:
        dialog = SettingsDialog(Settings(), store, tester, writer=writer, home=home,
                                price_table=price_table)  # deleted here
        dialog.show()
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled())
        dialog.test_button.click()
        qtbot.waitUntil(lambda: len(tester.calls) == 1)
        dialog.reject()
        dialog.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        tester.resolve(Decimal(5))
        QApplication.processEvents()
    finally:
        tester.close()


# --- General --------------------------------------------------------------------------------------

def test_general_changes_are_saved_to_the_settings_file(qtbot, make_dialog, home, tmp_path) -> None:
    before = Settings(prompt_history=("a red fox",), last_seed=7)
    dialog = make_dialog(before)
    dialog.select_section("General")
    dialog.region_combo.setCurrentIndex(dialog.region_combo.findData("eu"))
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("flux-dev"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("png"))
    dialog.budget_spin.setValue(120.5)
    assert dialog.reference_combo.currentText() == "Downscale to the output size (cheaper)"  # the default
    dialog.reference_combo.setCurrentIndex(dialog.reference_combo.findText("Send originals (up to 4 MP)"))
    library = tmp_path / "library"
    dialog.folder_edit.setText(str(library))
    assert not settings_path(home).exists()  # nothing is written before Save

    with qtbot.waitSignal(dialog.settingsSaved) as saved:
        dialog.save_button.click()
    loaded = load_settings(home)
    assert (loaded.region, loaded.default_model, loaded.default_output_format) == ("eu", "flux-dev", "png")
    assert loaded.monthly_budget_usd == Decimal("120.5") and loaded.library_folder == str(library)
    assert loaded.reference_size == "original"
    assert loaded.prompt_history == ("a red fox",) and loaded.last_seed == 7  # the rest is kept
    assert saved.args[0] == loaded
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_a_zero_budget_means_no_budget_and_an_empty_folder_the_default(qtbot, make_dialog, home) -> None:
    dialog = make_dialog(Settings(library_folder="/somewhere/else"))
    dialog.budget_spin.setValue(0)
    assert dialog.budget_spin.text() == "No budget"
    dialog.folder_edit.clear()
    with qtbot.waitSignal(dialog.settingsSaved):
        dialog.save()
    loaded = load_settings(home)
    assert loaded.monthly_budget_usd == 0 and loaded.library_folder is None


def test_a_relative_library_folder_is_refused_at_the_field(qtbot, make_dialog, home) -> None:
    dialog = make_dialog()
    dialog.select_section("Appearance")
    dialog.folder_edit.setText("images/here")
    saved: list[object] = []
    dialog.settingsSaved.connect(saved.append)
    dialog.save_button.click()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "General"
    assert dialog.folder_message.isVisible() and "full path" in dialog.folder_message.text()
    assert saved == [] and not settings_path(home).exists() and dialog.isVisible()


def test_a_file_in_place_of_the_library_folder_is_refused(qtbot, make_dialog, home, tmp_path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    dialog = make_dialog()
    dialog.folder_edit.setText(str(a_file))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.folder_message.isVisible())
    assert "is a file, not a folder" in dialog.folder_message.text()
    assert not settings_path(home).exists() and dialog.save_button.isEnabled()


def test_browse_fills_the_library_folder(make_dialog, monkeypatch, tmp_path) -> None:
    dialog = make_dialog()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args, **_kwargs: str(tmp_path))
    dialog.browse_button.click()
    assert dialog.folder_edit.text() == str(tmp_path)


# --- Appearance -----------------------------------------------------------------------------------

def test_theme_preview_and_revert_on_cancel(qtbot, make_dialog, home) -> None:
    dialog = make_dialog(Settings(theme="light"))
    themes: list[str] = []
    dialog.themeChanged.connect(themes.append)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("system"))
    assert themes == ["dark", "system"]
    dialog.cancel_button.click()
    assert themes == ["dark", "system", "light"]
    assert dialog.result() == QDialog.DialogCode.Rejected and not settings_path(home).exists()


def test_a_saved_theme_stays(qtbot, make_dialog, home) -> None:
    dialog = make_dialog(Settings(theme="light"))
    themes: list[str] = []
    dialog.themeChanged.connect(themes.append)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    with qtbot.waitSignal(dialog.settingsSaved):
        dialog.save_button.click()
    assert themes == ["dark"] and load_settings(home).theme == "dark"


def test_cancel_without_a_theme_change_emits_nothing(make_dialog) -> None:
    dialog = make_dialog(Settings(theme="dark"))
    themes: list[str] = []
    dialog.themeChanged.connect(themes.append)
    dialog.reject()
    assert themes == []


def test_controls_have_names_and_tooltips(make_dialog) -> None:
    dialog = make_dialog()
    for widget in (dialog.test_button, dialog.replace_button, dialog.remove_button, dialog.region_combo,
                   dialog.folder_edit, dialog.browse_button, dialog.model_combo, dialog.format_combo,
                   dialog.budget_spin, *(row.import_button for row in dialog.table_rows()), dialog.theme_combo,
                   dialog.save_button):
        assert widget.accessibleName() and widget.toolTip(), widget.objectName()


def test_enter_in_the_new_key_field_tests_the_key_and_does_not_save(qtbot, make_dialog, tester, home) -> None:
    dialog = make_dialog()
    dialog.replace_button.click()
    qtbot.keyClicks(dialog.key_entry.field, NEW_KEY)
    with qtbot.waitSignal(dialog.keyChanged):
        qtbot.keyClick(dialog.key_entry.field, Qt.Key.Key_Return)
    assert tester.calls == [NEW_KEY]
    assert dialog.isVisible() and not settings_path(home).exists()


def test_labels_have_object_names_without_spaces(make_dialog) -> None:
    dialog = make_dialog()
    names = [label.objectName() for label in dialog.findChildren(QLabel)]
    assert dialog.key_result_label.accessibleName() == "Key result"
    assert not [name for name in names if " " in name]


def test_fields_line_up_from_one_section_to_the_next_and_no_label_is_cut(qtbot, make_dialog) -> None:
    dialog = make_dialog()
    fields = {"General": (dialog.region_combo, dialog.folder_edit, dialog.model_combo, dialog.format_combo,
                          dialog.reference_combo, dialog.budget_spin),
              "Prices": tuple(label for row in dialog.table_rows() for label in (row.as_of_label, row.source_label)),
              "Appearance": (dialog.theme_combo,)}
    lefts = set()
    for section, widgets in fields.items():
        dialog.tabs.setCurrentIndex(SECTIONS.index(section))
        page = dialog.tabs.currentWidget()
        qtbot.waitUntil(page.isVisible)
        for widget in widgets:
            lefts.add(widget.mapTo(page, QPoint(0, 0)).x())
            label = next(label for label in page.findChildren(QLabel) if label.buddy() is widget.parentWidget()
                         or label.buddy() is widget)
            assert label.width() >= max(label.sizeHint().width(), WIDE_LABEL_WIDTH), label.text()
    assert len(lefts) == 1
