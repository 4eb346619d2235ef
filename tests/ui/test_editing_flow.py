"""Editing with reference images from end to end, in the real window against the simulator, the way a designer
does it: drop a photo on the tray, see the price rise by its credits, Ctrl+Enter, find the edit in the gallery
"Made from" the photo, Ctrl+R and hear that the re-run is byte-identical; a Kontext edit that follows its input's
shape; a klein edit with four references, and a fifth that is kept but not sent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from window_support import WAIT_MS, ctrl_enter, drop_on_tray, gallery_ids, photo, prepared, ready

from fluxdesk.ui.generate.references import ReferenceRoles
from fluxdesk.ui.main_window import MainWindow


def open_in_gallery(qtbot, window: MainWindow, image_id: int):
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: image_id in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([image_id], image_id)
    qtbot.waitUntil(lambda: gallery.details.image_id() == image_id, timeout=WAIT_MS)
    return gallery


def test_an_edit_is_priced_sent_shown_made_from_its_reference_and_reproduced_byte_for_byte(
        qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    panel.set_model("flux-2-pro")
    panel.load_settings({"seed": 4242, "width": 1024, "height": 1024})
    panel.set_prompt("the mug of image 1 on a marble counter")
    before = panel.estimate()
    assert before is not None and before.credits_total == Decimal(3)
    assert panel.findChild(QPushButton, "generateButton").text() == "Generate · $0.03"

    drop_on_tray(window, [photo(tmp_path, "mug.jpg", 4032, 3024)])
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)
    after = panel.estimate()
    # 12 MP as taken, 1 MP as sent (at most the output's size): 1.5 credits, not 18.
    assert after is not None and after.credits_total - before.credits_total == Decimal("1.5")
    assert panel.findChild(QPushButton, "generateButton").text() == "Generate · $0.045"
    [sent] = panel.current_request().input_images
    assert sent.width * sent.height <= 1024 * 1024 and abs(sent.width / sent.height - 4 / 3) < 0.01

    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "the mug of image 1 on a marble counter")
    edit = shown.args[0]
    library = window.session.library
    assert library.get_job(library.get_image(edit).job_id).request.disable_pup is True

    gallery = open_in_gallery(qtbot, window, edit)
    details = gallery.details
    qtbot.waitUntil(lambda: details.lineage.strip.isVisible(), timeout=WAIT_MS)
    assert "Made from: image 1" in details.text()
    [row] = details.lineage.model.references()
    assert (row.sha256, row.width, row.height) == (sent.sha256, sent.width, sent.height)

    gallery.view.setFocus()
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as again:
        qtbot.keyClick(gallery.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert again.args[0] != edit
    qtbot.waitUntil(lambda: gallery.result_bar.label.text().startswith("Reproduced"), timeout=WAIT_MS)
    assert gallery.result_bar.label.text() == "Reproduced: the image data is identical to the original's."


def test_a_kontext_edit_leaves_the_ratio_to_its_input(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    panel.set_model("flux-kontext-pro")
    panel.set_prompt("make image 1 a watercolour")
    flat = panel.estimate()
    drop_on_tray(window, [photo(tmp_path, "street.jpg", 1600, 900)])
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)
    assert panel.estimate().credits_total == flat.credits_total  # Kontext's price is flat, references included
    assert panel.current_request().aspect_ratio is None
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "make image 1 a watercolour")
    image = window.session.library.get_image(shown.args[0])
    assert abs(image.width / image.height - 16 / 9) < 0.05 and image.width % 32 == 0
    assert len(image.record.references) == 1


def test_a_klein_edit_sends_four_references_and_keeps_a_fifth_unsent(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    panel.set_model("flux-2-klein-4b")
    panel.load_settings({"width": 512, "height": 512})
    files = [photo(tmp_path, f"ref{i}.jpg", 600 + 40 * i, 500) for i in range(5)]
    drop_on_tray(window, files[:4])
    qtbot.waitUntil(lambda: prepared(window, 4), timeout=WAIT_MS)
    four = panel.estimate().credits_total
    drop_on_tray(window, files[4:])
    qtbot.waitUntil(lambda: prepared(window, 5), timeout=WAIT_MS)
    model = panel.references.model
    assert [model.index(r).data(ReferenceRoles.Sendable) for r in range(5)] == [True] * 4 + [False]
    limit = panel.findChild(QLabel, "referenceLimit")
    assert limit.isVisible() and "image 5 will not be sent" in limit.text()
    assert len(panel.current_request().input_images) == 4
    assert panel.estimate().credits_total == four  # the fifth adds nothing: it is not sent
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "image 1 in the style of images 2 to 4")
    made_from = window.session.library.made_from(shown.args[0])
    assert [Path(r.source).name for r in made_from] == [f.name for f in files[:4]]


def test_a_gallery_image_dragged_over_the_generate_tab_can_be_dropped_on_the_tray(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.load_settings({"width": 512, "height": 512})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a source for an edit")
    image_id, path = shown.args
    gallery = open_in_gallery(qtbot, window, image_id)
    gallery.model.prepare_drag_paths([image_id])
    qtbot.waitUntil(lambda: gallery.model.mime_for_ids([image_id]) is not None, timeout=WAIT_MS)
    mime = gallery.model.mime_for_ids([image_id])

    bar = window.tabs.tabBar()
    over = bar.tabRect(0).center()
    enter = QDragEnterEvent(over, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(bar, enter)
    move = QDragMoveEvent(over, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(bar, move)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0 and window.panel.isVisible(), timeout=WAIT_MS)

    drop_on_tray(window, [], mime=mime)
    qtbot.waitUntil(lambda: prepared(window, 1), timeout=WAIT_MS)
    [reference] = window.panel.current_request().input_images
    assert (reference.source, reference.from_image_id) == (path, image_id)


def test_reuse_settings_of_an_edit_brings_its_references_back_and_names_one_that_is_gone(
        qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    panel.load_settings({"width": 512, "height": 512})
    drop_on_tray(window, [photo(tmp_path, "chair.jpg", 800, 600), photo(tmp_path, "lamp.jpg", 600, 800)])
    qtbot.waitUntil(lambda: prepared(window, 2), timeout=WAIT_MS)
    sent = panel.current_request().input_images
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "the chair of image 1 beside the lamp of image 2")
    edit = shown.args[0]
    panel.references.clear()
    qtbot.waitUntil(lambda: prepared(window, 0), timeout=WAIT_MS)

    gallery = open_in_gallery(qtbot, window, edit)
    gallery.view.setFocus()
    qtbot.keyClick(gallery.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0 and prepared(window, 2), timeout=WAIT_MS)
    again = panel.current_request().input_images
    assert [(i.sha256, i.width, i.height) for i in again] == [(i.sha256, i.width, i.height) for i in sent]
    model = panel.references.model
    assert [model.index(r).data(ReferenceRoles.Label) for r in range(2)] == ["chair.jpg", "lamp.jpg"]

    window.session.library.reference_path(sent[1].sha256).unlink()
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery.view.setFocus()
    qtbot.keyClick(gallery.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0 and prepared(window, 1), timeout=WAIT_MS)
    banner = panel.findChild(QWidget, "messageBanner")
    assert banner.isVisible() and banner.kind() == "warning"
    assert "image 2 (lamp.jpg) is no longer in the library" in banner.text()
