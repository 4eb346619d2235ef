"""Reference images in the real window, against the simulator: File → Add reference…, a drop on the tray, the price,
the edit sent and stored, "Use as reference", and the settings' choice of how references are sent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from menu_support import pick_from_popup, right_click
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton
from window_support import WAIT_MS, ctrl_enter, drop_on_tray, gallery_ids, photo, prepared, ready

from fluxdesk.storage.settings import Settings, load_settings
from fluxdesk.ui.generate.references import ReferenceRoles
from fluxdesk.ui.main_window import MainWindow


def add_reference_action(window: MainWindow):
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == "File":
            for action in top.menu().actions():
                if action.text().replace("&", "") == "Add reference…":
                    return action
    raise AssertionError("no File → Add reference…")


def test_file_add_reference_adds_the_chosen_files_and_remembers_their_folder(
        qtbot, make_window, monkeypatch, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    folder = tmp_path / "moodboard"
    folder.mkdir()
    files = [photo(folder, "chair.jpg", 900, 600), photo(folder, "lamp.jpg", 600, 900)]
    asked: list[str] = []

    def choose(_parent, _title, start, _filter):
        asked.append(start)
        return [str(f) for f in files], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", choose)
    add_reference_action(window).trigger()
    qtbot.waitUntil(lambda: prepared(window, 2), timeout=WAIT_MS)
    model = window.panel.references.model
    assert [model.index(r).data(ReferenceRoles.Label) for r in range(2)] == ["chair.jpg", "lamp.jpg"]
    qtbot.waitUntil(lambda: load_settings(tmp_path).dialog_folders.get("add-reference") == str(folder),
                    timeout=WAIT_MS)
    add_reference_action(window).trigger()  # the next time, the dialog starts where the files were
    assert asked[-1] == str(folder)
    qtbot.waitUntil(lambda: prepared(window, 4), timeout=WAIT_MS)
    add_button = window.panel.references.findChild(QPushButton, "addReferenceButton")
    assert add_button is not None and add_button.isVisible()  # the tray's button is the same command


def test_a_dropped_reference_raises_the_price_by_its_credits_and_is_sent_and_stored(
        qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    panel.set_prompt("the mug of image 1 on a marble counter")
    before = panel.estimate()
    assert before is not None and before.credits_total == Decimal(3)
    drop_on_tray(window, [photo(tmp_path, "mug.jpg", 1600, 1200)])
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)
    after = panel.estimate()
    assert after is not None and after.credits_total - before.credits_total == Decimal("1.5")
    sent = panel.current_request().input_images[0]
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "the mug of image 1 on a marble counter")
    image = window.session.library.get_image(shown.args[0])
    assert [(r.sha256, r.width, r.height) for r in image.record.references] == [
        (sent.sha256, sent.width, sent.height)]
    stored = window.session.library.reference_path(sent.sha256)
    assert stored.is_file()


def test_use_as_reference_in_the_gallery_brings_the_selected_images_to_the_tray_in_grid_order(
        qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.load_settings({"width": 512, "height": 512})
    made = []
    for prompt in ("a red kite", "a blue kite"):
        with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
            ctrl_enter(qtbot, window, prompt)
        made.append(shown.args[0])
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: set(made) <= set(gallery_ids(gallery)), timeout=WAIT_MS)
    gallery.select_ids(made, made[0])
    assert window.panel.isHidden()  # the gallery has the width
    gallery.view.setFocus()
    qtbot.keyClick(gallery.view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: prepared(window, 2), timeout=WAIT_MS)
    assert window.tabs.currentIndex() == 0 and window.panel.isVisible()
    linked = [image.from_image_id for image in window.panel.current_request().input_images]
    assert sorted(linked) == sorted(made) and linked == [i for i in gallery_ids(gallery) if i in made]
    assert "Added as image 2" in window.statusBar().currentMessage()


def test_use_as_reference_on_a_queue_row_and_a_latest_image(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.load_settings({"width": 512, "height": 512})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a source image")
    image_id, path = shown.args

    view = window.queue.list_view
    pick_from_popup("Use as reference")
    right_click(view.viewport(), view.visualRect(window.queue_model.index(0)).center())
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)

    strip = window.recent.list_view
    pick_from_popup("Use as reference")
    right_click(strip.viewport(), strip.visualRect(window.recent.model.index(0)).center())
    qtbot.waitUntil(lambda: prepared(window, 2), timeout=WAIT_MS)
    images = window.panel.current_request().input_images
    assert [(i.source, i.from_image_id) for i in images] == [(path, image_id), (path, image_id)]


def test_the_settings_choice_decides_how_new_references_are_sent(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window(settings=Settings(reference_size="original")))
    drop_on_tray(window, [photo(tmp_path, "big.jpg", 2400, 1600)])
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)
    model = window.panel.references.model
    assert model.index(0).data(ReferenceRoles.SendOriginal) is True
    assert model.index(0).data(ReferenceRoles.SentSize) == (2400, 1600)  # 3.7 MP: under the 4 MP cap

    window.open_settings(section="General")
    dialog = window._settings_dialog
    combo = dialog.reference_combo
    combo.setCurrentIndex(combo.findData("output"))
    with qtbot.waitSignal(dialog.settingsSaved, timeout=WAIT_MS):
        dialog.save_button.click()
    drop_on_tray(window, [photo(tmp_path, "small.jpg", 2400, 1600)])
    qtbot.waitUntil(lambda: prepared(window, 2), timeout=WAIT_MS)
    assert model.index(1).data(ReferenceRoles.SendOriginal) is False
    width, height = model.index(1).data(ReferenceRoles.SentSize)
    assert width * height <= 1024 * 1024
