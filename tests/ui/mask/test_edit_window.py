"""Editing part of an image from end to end, in the real window against the simulator, the way a designer does it:
Ctrl+M on a gallery image opens the mask editor, mouse strokes paint the mask, Ctrl+Z takes one back, the price is
on the Send button before anything is sent, Ctrl+Enter sends a Fill; a FLUX.2 local edit comes back at the
original's size with every pixel past the feathered mask the original's own; Ctrl+Shift+M grows the canvas with
Expand; a file chosen from the Generate menu or dropped on the dialog is edited too; nothing is lost when sending
fails."""

from __future__ import annotations

import io
from pathlib import Path

from mask_support import stroke
from PIL import Image, ImageChops, ImageFilter
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from window_support import WAIT_MS, gallery_ids, make_image_and_open_gallery, ready, type_project

from fluxdesk.core.masks import FEATHER_REACH_PX
from fluxdesk.ui.mask.dialog import EditDialog
from fluxdesk.ui.mask.editor import LOCAL_EDIT

CTRL = Qt.KeyboardModifier.ControlModifier


def open_with_keys(qtbot, gallery, window, shift: bool = False) -> EditDialog:
    """Ctrl+M (or Ctrl+Shift+M) in the gallery: the dialog opens on the selected image, its picture loaded."""
    window.activateWindow()  # a desktop gives it back when a dialog closes; the offscreen platform does not
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    gallery.view.setFocus()
    modifiers = CTRL | Qt.KeyboardModifier.ShiftModifier if shift else CTRL
    qtbot.keyClick(gallery.view, Qt.Key.Key_M, modifiers)
    qtbot.waitUntil(lambda: window.findChild(EditDialog) is not None and window.findChild(EditDialog).isVisible(),
                    timeout=WAIT_MS)
    dialog = window.findChild(EditDialog)
    area = dialog.editor or dialog.chooser
    qtbot.waitUntil(lambda: area.image_size() is not None, timeout=WAIT_MS)
    return dialog


def send_with_keys(qtbot, window, dialog: EditDialog) -> tuple[int, str]:
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        qtbot.keyClick(dialog.prompt_edit, Qt.Key.Key_Return, CTRL)
    return shown.args[0], shown.args[1]


def test_a_painted_fill_and_a_flux2_local_edit_are_priced_sent_and_composited_exactly(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    original_id, gallery = make_image_and_open_gallery(qtbot, window, "a teapot on a table", (1024, 768))
    library = window.controller.session.library
    original_path = library.get_image(original_id).path

    dialog = open_with_keys(qtbot, gallery, window)
    editor = dialog.editor
    assert dialog.windowTitle().startswith("Edit region — ") and editor.image_size() == (1024, 768)
    assert not dialog.send_action.isEnabled() and dialog.send_action.toolTip() == \
        "Paint over the part of the image to remake"

    stroke(editor.canvas, [(180, 220), (260, 230), (320, 240)])
    first = editor.mask_bounds()
    stroke(editor.canvas, [(60, 60), (90, 80)])
    assert editor.mask_bounds() != first
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Z, CTRL)  # the second stroke taken back
    assert editor.mask_bounds() == first

    qtbot.keyClicks(dialog.prompt_edit, "a porcelain lid")
    assert dialog.send_button.text() == "Send · $0.05" and dialog.send_action.isEnabled()
    assert dialog.price_label.text() == "Fill · 5 credits · $0.05"
    fill_id, _fill_file = send_with_keys(qtbot, window, dialog)
    job = library.get_job(library.get_image(fill_id).job_id)
    assert job.request.model == "flux-pro-1.0-fill" and job.request.prompt == "a porcelain lid"
    assert (job.request.steps, job.request.guidance) == (50, 60)
    assert job.request.mask is not None and job.request.mask.sha256
    assert [ref.from_image_id for ref in library.made_from(fill_id)] == [original_id]
    qtbot.waitUntil(lambda: window.findChild(EditDialog) is None, timeout=WAIT_MS)  # closed and gone
    assert window.statusBar().currentMessage().startswith("Edit region sent to FLUX.1 Fill [pro]")

    # The same image again, remade by FLUX.2 [pro] from the crop around the paint only.
    qtbot.waitUntil(lambda: fill_id in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([original_id], original_id)
    qtbot.waitUntil(lambda: gallery.details.image_id() == original_id, timeout=WAIT_MS)
    dialog = open_with_keys(qtbot, gallery, window)
    editor = dialog.editor
    editor.mode_combo.setCurrentText(LOCAL_EDIT)
    assert dialog.model_combo.isVisible() and dialog.model_combo.currentData() == "flux-2-pro"
    stroke(editor.canvas, [(200, 200), (260, 210)])
    assert dialog.send_action.toolTip() == "Say in the prompt what the painted part should show"
    qtbot.keyClicks(dialog.prompt_edit, "a golden spout")
    crop = editor.crop_box()
    assert crop is not None and (crop[2] - crop[0]) * (crop[3] - crop[1]) < 1024 * 768
    assert dialog.price_label.text().startswith(f"FLUX.2 [pro] local edit of a {crop[2] - crop[0]}×"
                                                f"{crop[3] - crop[1]} crop · ")
    painted = Image.open(io.BytesIO(editor.mask_png())).convert("L")
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    edit_id, edit_file = shown.args[0], shown.args[1]

    before = Image.open(original_path).convert("RGB")
    after = Image.open(edit_file).convert("RGB")
    assert after.size == before.size == (1024, 768)
    reach = painted.point(lambda v: 255 if v else 0).filter(ImageFilter.MaxFilter(2 * FEATHER_REACH_PX + 1))
    differences = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v else 0)
    outside = ImageChops.multiply(differences, ImageChops.invert(reach))
    assert outside.getbbox() is None  # byte-equal past the mask and its feather
    assert differences.getbbox() is not None  # and the painted part was remade
    job = library.get_job(library.get_image(edit_id).job_id)
    assert job.request.model == "flux-2-pro" and job.request.crop is not None


def test_expand_from_the_gallery_arrives_with_the_new_size_and_says_its_price_is_not_bfls(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    original_id, gallery = make_image_and_open_gallery(qtbot, window, "a lighthouse")
    window.tabs.setCurrentIndex(0)
    type_project(qtbot, window, "Harbour Client")  # the edit is for the prompt panel's current project
    qtbot.waitUntil(lambda: window.panel.project_id() is not None, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery.select_ids([original_id], original_id)
    dialog = open_with_keys(qtbot, gallery, window, shift=True)
    chooser = dialog.chooser
    assert dialog.windowTitle().startswith("Expand canvas — ")
    assert dialog.send_action.toolTip() == "Add pixels on at least one side"
    for name in ("right", "left"):
        box = chooser.side_boxes[name]
        box.selectAll()
        qtbot.keyClicks(box, "128")
    assert chooser.size_text() == "512×512 → 768×512"
    assert "not on BFL's price page" in dialog.price_label.text() and dialog.send_button.text() == "Send · $0.05"
    assert dialog.price_label.text().endswith(" · for Harbour Client")
    new_id, new_file = send_with_keys(qtbot, window, dialog)
    assert Image.open(new_file).size == (768, 512)
    library = window.controller.session.library
    assert library.get_job(library.get_image(new_id).job_id).project_name == "Harbour Client"
    assert [ref.from_image_id for ref in library.made_from(new_id)] == [original_id]


def test_a_file_from_the_generate_menu_or_dropped_on_the_dialog_is_edited(qtbot, make_window, tmp_path: Path,
                                                                           monkeypatch) -> None:
    window = ready(qtbot, make_window())
    first, second = tmp_path / "first.png", tmp_path / "second.jpg"
    Image.new("RGB", (640, 480), (30, 90, 160)).save(first)
    Image.new("RGB", (400, 300), (200, 90, 40)).save(second)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(first), ""))
    window.edit_file_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(EditDialog) is not None, timeout=WAIT_MS)
    dialog = window.findChild(EditDialog)
    qtbot.waitUntil(lambda: dialog.editor.image_size() == (640, 480), timeout=WAIT_MS)
    assert dialog.image() == (first, None) and dialog.windowTitle() == "Edit region — first.png"

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(second))])
    where = QPointF(dialog.rect().center())
    enter = QDragEnterEvent(QPoint(int(where.x()), int(where.y())), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dialog, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(dialog, QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: dialog.editor.image_size() == (400, 300), timeout=WAIT_MS)
    assert dialog.windowTitle() == "Edit region — second.jpg"
    dialog.reject()


def test_a_file_gone_before_sending_says_so_and_keeps_the_mask_and_prompt(qtbot, make_window, tmp_path: Path,
                                                                          monkeypatch) -> None:
    window = ready(qtbot, make_window())
    path = tmp_path / "photo.png"
    Image.new("RGB", (512, 384), (90, 140, 60)).save(path)
    dialog = window.edit_image("region", str(path))
    qtbot.waitUntil(lambda: dialog.editor.image_size() == (512, 384), timeout=WAIT_MS)
    stroke(dialog.editor.canvas, [(100, 100), (200, 150)])
    qtbot.keyClicks(dialog.prompt_edit, "a bench")
    path.unlink()
    sent: list[object] = []
    window.controller.requestSent.connect(lambda: sent.append(True))
    qtbot.keyClick(dialog.prompt_edit, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=WAIT_MS)
    assert dialog.banner.text().startswith("Not sent: ") and "photo.png" in dialog.banner.text()
    assert sent == [] and dialog.isVisible() and dialog.editor.has_paint()
    assert dialog.prompt_edit.toPlainText() == "a bench" and dialog.send_action.isEnabled()
    dialog.reject()
