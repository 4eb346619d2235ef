"""File dialogs start in the user's Pictures or Documents folder, then where the user last went for the same
purpose, also after a restart; never in the working directory. Driven through the real window: the Gallery's
Export action, the Spend tab's Export CSV button, the settings' Browse and Import buttons.

The OS file dialog is the boundary: it records the folder it is asked to start in and answers with a tmp path.
The user's Pictures and Documents folders come from a real ``user-dirs.dirs`` (the XDG file Qt reads on Linux)
in a tmp home, named unlike Qt's fallbacks so a start there proves the file was read.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from window_support import WAIT_MS, ctrl_enter, make_image_and_open_gallery, ready

from fluxdesk.resources import resource_path
from fluxdesk.storage.settings import FOLDER_PURPOSES, load_settings
from fluxdesk.ui.kit.file_dialogs import FolderMemory, default_folder
from fluxdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the user's folders come from XDG user-dirs.dirs")


@dataclass
class UserFolders:
    home: Path
    pictures: Path
    documents: Path
    cwd: Path


@pytest.fixture
def user_folders(tmp_path: Path, monkeypatch) -> UserFolders:
    home = tmp_path / "user"
    config = home / ".config"
    config.mkdir(parents=True)
    (config / "user-dirs.dirs").write_text('XDG_PICTURES_DIR="$HOME/Bilder"\nXDG_DOCUMENTS_DIR="$HOME/Dokumente"\n',
                                           encoding="utf-8")
    folders = UserFolders(home, home / "Bilder", home / "Dokumente", tmp_path / "started-here")
    for folder in (folders.pictures, folders.documents, folders.cwd):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.chdir(folders.cwd)  # where the app was started from: never where a dialog opens
    return folders


@dataclass
class OsDialogs:
    """The OS file dialogs: each call records (kind, start folder) and takes the next answer."""

    answers: list[str] = field(default_factory=list)
    starts: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, path: Path) -> None:
        self.answers.append(str(path))

    def last_start(self, kind: str) -> Path:
        assert self.starts and self.starts[-1][0] == kind, self.starts
        return Path(self.starts[-1][1])


@pytest.fixture
def os_dialogs(monkeypatch) -> OsDialogs:
    dialogs = OsDialogs()

    def folder(_parent, _title, start, *_args, **_kwargs) -> str:
        dialogs.starts.append(("folder", start))
        return dialogs.answers.pop(0)

    def save(_parent, _title, start, *_args, **_kwargs) -> tuple[str, str]:
        dialogs.starts.append(("save", str(Path(start).parent)))
        assert Path(start).name.startswith("fluxdesk-spend-")  # the proposed name stays
        return dialogs.answers.pop(0), ""

    def open_file(_parent, _title, start, *_args, **_kwargs) -> tuple[str, str]:
        dialogs.starts.append(("open", start))
        return dialogs.answers.pop(0), ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    return dialogs


def restart(window: MainWindow, make_window) -> MainWindow:
    """Quit the way the user does (the window saves at exit) and start again on the same home."""
    window.close()
    window.shutdown()
    return make_window()


# --- the Gallery's Export -----------------------------------------------------------------------------------

def export_from_gallery(qtbot, window: MainWindow, os_dialogs: OsDialogs, folder: Path) -> None:
    gallery = window.gallery_tab.widget
    folder.mkdir(exist_ok=True)
    os_dialogs.answer(folder)
    with qtbot.waitSignal(gallery.ops.exported, timeout=WAIT_MS):
        gallery.actions.export.trigger()
    assert window.statusBar().currentMessage().endswith(f"to {folder}")
    assert any(folder.iterdir())


def open_gallery_with_an_image(qtbot, window: MainWindow) -> None:
    _image_id, gallery = make_image_and_open_gallery(qtbot, window, "a teapot to export")
    qtbot.waitUntil(gallery.actions.export.isEnabled, timeout=WAIT_MS)


def test_gallery_export_starts_in_pictures_then_where_the_user_went_also_after_a_restart(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    open_gallery_with_an_image(qtbot, window)
    chosen = tmp_path / "client work"

    export_from_gallery(qtbot, window, os_dialogs, chosen)
    assert os_dialogs.last_start("folder") == user_folders.pictures

    export_from_gallery(qtbot, window, os_dialogs, tmp_path / "client work 2")
    assert os_dialogs.last_start("folder") == chosen
    assert os_dialogs.answers == []

    window = ready(qtbot, restart(window, make_window))
    open_gallery_with_an_image(qtbot, window)
    export_from_gallery(qtbot, window, os_dialogs, chosen)
    assert os_dialogs.last_start("folder") == tmp_path / "client work 2"


def test_a_remembered_folder_that_is_gone_falls_back_to_pictures(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    open_gallery_with_an_image(qtbot, window)
    gone = tmp_path / "a usb stick"
    export_from_gallery(qtbot, window, os_dialogs, gone)
    for file in gone.iterdir():
        file.unlink()
    gone.rmdir()

    export_from_gallery(qtbot, window, os_dialogs, tmp_path / "elsewhere")
    assert os_dialogs.last_start("folder") == user_folders.pictures


# --- the Spend tab's Export CSV -----------------------------------------------------------------------------

def export_ledger(qtbot, window: MainWindow, os_dialogs: OsDialogs, path: Path) -> None:
    window.tabs.setCurrentWidget(window.spend_tab)
    qtbot.waitUntil(lambda: window.spend_tab.widget is not None, timeout=WAIT_MS)
    tab = window.spend_tab.widget
    qtbot.waitUntil(tab.export_button.isEnabled, timeout=WAIT_MS)
    path.parent.mkdir(exist_ok=True)
    os_dialogs.answer(path)
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as said:
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    assert said.args[0].startswith("Exported") and path.is_file()


def test_ledger_export_starts_in_documents_then_where_the_user_saved_also_after_a_restart(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        ctrl_enter(qtbot, window, "a job for the ledger")
    accounts = tmp_path / "accounts"
    export_ledger(qtbot, window, os_dialogs, accounts / "may.csv")
    assert os_dialogs.last_start("save") == user_folders.documents

    export_ledger(qtbot, window, os_dialogs, tmp_path / "taxes" / "june.csv")
    assert os_dialogs.last_start("save") == accounts

    window = ready(qtbot, restart(window, make_window))
    export_ledger(qtbot, window, os_dialogs, accounts / "july.csv")
    assert os_dialogs.last_start("save") == tmp_path / "taxes"


# --- Settings: Browse for the library folder, Import a price table ------------------------------------------

def open_settings(qtbot, window: MainWindow):
    window.settings_action.trigger()
    dialog = window._settings_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def cancel(qtbot, window: MainWindow, dialog) -> None:
    dialog.reject()
    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=WAIT_MS)


def test_library_browse_starts_in_pictures_then_where_the_user_went_also_after_a_restart(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    dialog = open_settings(qtbot, window)
    dialog.select_section("General")
    chosen = tmp_path / "shared drive" / "flux"
    chosen.mkdir(parents=True)
    os_dialogs.answer(chosen)
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert os_dialogs.last_start("folder") == user_folders.pictures
    assert dialog.folder_edit.text() == str(chosen)
    cancel(qtbot, window, dialog)  # the library stays where it is; the folder the user went to is remembered

    dialog = open_settings(qtbot, window)
    assert dialog.folder_edit.text() == ""
    os_dialogs.answer(chosen)
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert os_dialogs.last_start("folder") == chosen
    cancel(qtbot, window, dialog)

    window = ready(qtbot, restart(window, make_window))
    dialog = open_settings(qtbot, window)
    os_dialogs.answer(chosen)
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert os_dialogs.last_start("folder") == chosen


def test_browse_starts_in_the_library_folder_the_field_names(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    dialog = open_settings(qtbot, window)
    typed = tmp_path / "typed by hand"
    typed.mkdir()
    dialog.folder_edit.setText(str(typed))
    os_dialogs.answer(typed)
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert os_dialogs.last_start("folder") == typed


def newer_price_table(folder: Path, name: str) -> Path:
    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["as_of"] = "2099-01-15"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def import_price_table(qtbot, window: MainWindow, os_dialogs: OsDialogs, path: Path) -> None:
    dialog = open_settings(qtbot, window)
    dialog.select_section("Prices")
    os_dialogs.answer(path)
    with qtbot.waitSignal(dialog.priceTableImported, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.price_row.import_button, Qt.MouseButton.LeftButton)
    assert dialog.price_row.result_label.text().startswith("Imported")
    cancel(qtbot, window, dialog)


def test_price_import_starts_in_documents_then_where_the_table_was_also_after_a_restart(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    downloads = tmp_path / "downloads"
    import_price_table(qtbot, window, os_dialogs, newer_price_table(downloads, "bfl-prices.json"))
    assert os_dialogs.last_start("open") == user_folders.documents

    import_price_table(qtbot, window, os_dialogs, newer_price_table(tmp_path / "mail", "prices.json"))
    assert os_dialogs.last_start("open") == downloads

    window = ready(qtbot, restart(window, make_window))
    import_price_table(qtbot, window, os_dialogs, newer_price_table(downloads, "again.json"))
    assert os_dialogs.last_start("open") == tmp_path / "mail"


def test_saving_the_settings_keeps_the_folders_the_dialog_remembered(
        qtbot, make_window, user_folders: UserFolders, os_dialogs: OsDialogs, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    dialog = open_settings(qtbot, window)
    dialog.select_section("Prices")
    downloads = tmp_path / "downloads"
    os_dialogs.answer(newer_price_table(downloads, "bfl-prices.json"))
    with qtbot.waitSignal(dialog.priceTableImported, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.price_row.import_button, Qt.MouseButton.LeftButton)
    dialog.budget_spin.setValue(75)
    with qtbot.waitSignal(dialog.settingsSaved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = load_settings(tmp_path)
    assert saved.dialog_folders == {"import-prices": str(downloads)} and saved.monthly_budget_usd == 75


# --- where a dialog starts without a remembered folder --------------------------------------------------------

def test_without_pictures_or_documents_a_dialog_starts_in_the_home_folder(user_folders: UserFolders) -> None:
    assert default_folder("export-images") == user_folders.pictures
    assert default_folder("export-ledger") == user_folders.documents
    user_folders.pictures.rmdir()
    user_folders.documents.rmdir()
    memory = FolderMemory()
    assert {memory.start_folder(purpose) for purpose in FOLDER_PURPOSES} == {str(user_folders.home)}


def test_an_unknown_purpose_is_a_programming_error(user_folders: UserFolders) -> None:
    memory = FolderMemory({"no-such-dialog": "/tmp"})
    assert memory.folders() == {}
    with pytest.raises(ValueError, match="unknown file dialog purpose"):
        memory.start_folder("no-such-dialog")
    with pytest.raises(ValueError, match="unknown file dialog purpose"):
        memory.remember("no-such-dialog", "/tmp")
