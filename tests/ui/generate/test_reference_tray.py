"""The reference tray of the prompt panel, through its own doors: drops, paste, its keys, buttons and menu; real
image files, the real task manager."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from menu_support import pick_from_popup, right_click
from panel_support import child, error_text, generate_button
from PIL import Image
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragLeaveEvent, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QPushButton,
    QStyleOptionViewItem,
    QWidget,
)
from reference_support import (
    drop_files,
    drop_on,
    files_mime,
    labels,
    make_photo,
    process,
    rows,
    sent_sizes,
    tray_of,
    tray_text,
    wait_settled,
)

from fluxdesk.core.references import sent_size
from fluxdesk.core.request import FieldError, validate
from fluxdesk.ui.generate.panel import PromptPanel
from fluxdesk.ui.generate.reference_view import card_layout
from fluxdesk.ui.generate.references import ReferenceRoles
from fluxdesk.ui.kit.theme import apply_theme, contrast_ratio, muted_color, warning_color


def press(qtbot, widget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(widget, key, modifier)


# -- adding, and what each reference says ---------------------------------------------------------------


def test_two_files_dropped_on_the_tray_become_image_1_and_2_and_the_price_rises_by_their_credits(
        qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    phone = make_photo(tmp_path, "phone.jpg", 2048, 1536)
    small = make_photo(tmp_path, "logo.png", 1000, 1000, fmt="PNG")
    panel.set_prompt("put the logo of image 2 on the mug of image 1")
    assert generate_button(panel).text() == "Generate · $0.03"

    assert drop_files(panel, [phone, small])
    assert labels(panel) == ["phone.jpg", "logo.png"]
    assert rows(panel, ReferenceRoles.Name) == ["image 1", "image 2"]
    assert not generate_button(panel).isEnabled()  # preparing: Generate waits, and says for what
    assert "Waiting for image 1" in generate_button(panel).toolTip()

    wait_settled(qtbot, panel, 2)
    # No size was chosen: the output takes image 1's 4:3 at the 1 MP it had, and references are sent no larger.
    request = panel.current_request()
    assert (request.width, request.height) == (1184, 880)
    assert rows(panel, ReferenceRoles.OriginalSize) == [(2048, 1536), (1000, 1000)]
    assert rows(panel, ReferenceRoles.SentSize) == [sent_size(2048, 1536, 1184 * 880), (1000, 1000)]
    assert sent_sizes(panel) == [(1178, 883), (1000, 1000)]  # the bytes themselves
    assert rows(panel, ReferenceRoles.Detail) == [
        "2048×1536, 3 MP, 4.5 credits → sent as 1178×883, 1 MP, 1.5 credits",
        "sent as is: 1000×1000, 1 MP, 1.5 credits"]

    assert generate_button(panel).isEnabled()
    assert generate_button(panel).text() == "Generate · $0.06"  # 3 credits of output + 1.5 + 1.5
    estimate = panel.estimate()
    assert estimate is not None and estimate.exact
    assert estimate.reference_credits == (Decimal("1.5"), Decimal("1.5"))
    assert child(panel, QLabel, "referenceCostLabel").text() == (
        "Per image: output 3 credits · image 1 +1.5 credits · image 2 +1.5 credits")
    with qtbot.waitSignal(panel.generateRequested) as sent:
        qtbot.keyClick(panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    body = validate(sent.args[0]).body
    assert body is not None and set(body) >= {"input_image", "input_image_2"} and "input_image_3" not in body
    assert [i.source for i in sent.args[0].input_images] == [str(phone), str(small)]


def test_a_picture_pasted_in_the_prompt_or_the_tray_is_a_reference(qtbot, panel: PromptPanel) -> None:
    picture = QImage(640, 480, QImage.Format.Format_RGB32)
    picture.fill(QColor("#3a7bd5"))
    QGuiApplication.clipboard().setImage(picture)
    press(qtbot, panel.focus_target(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, panel, 1)
    assert panel.prompt() == ""  # not pasted as text
    assert labels(panel) == ["pasted image"]
    image = panel.current_request().input_images[0]
    assert (image.width, image.height, image.source) == (640, 480, "pasted")

    press(qtbot, tray_of(panel).view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, panel, 2)
    assert rows(panel, ReferenceRoles.Name) == ["image 1", "image 2"]


def test_copied_image_files_pasted_anywhere_in_the_panel_are_added(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    paths = [make_photo(tmp_path, "a.jpg", 300, 200), make_photo(tmp_path, "b.jpg", 200, 300)]
    QGuiApplication.clipboard().setMimeData(files_mime(paths))
    press(qtbot, child(panel, QComboBox, "modelCombo"), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, panel, 2)
    assert labels(panel) == ["a.jpg", "b.jpg"]


def test_pasting_text_in_the_prompt_still_pastes_text(qtbot, panel: PromptPanel) -> None:
    QGuiApplication.clipboard().setText("a lighthouse at dusk")
    press(qtbot, panel.focus_target(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert panel.prompt() == "a lighthouse at dusk" and tray_of(panel).count() == 0


def test_a_paste_with_no_image_says_so(qtbot, panel: PromptPanel) -> None:
    QGuiApplication.clipboard().clear()
    press(qtbot, tray_of(panel).view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "The clipboard holds no image" in tray_of(panel).message()


def test_a_gallery_drag_links_each_reference_to_its_library_image(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    paths = [make_photo(tmp_path, "17.jpg", 512, 512), make_photo(tmp_path, "9.jpg", 512, 512)]
    assert drop_files(panel, paths, image_ids=[17, 9])
    wait_settled(qtbot, panel, 2)
    assert [i.from_image_id for i in panel.current_request().input_images] == [17, 9]


def test_a_drop_on_the_card_around_the_list_is_a_drop_on_the_tray(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    mime = files_mime([make_photo(tmp_path, "a.jpg", 400, 300)])
    with qtbot.assertNotEmitted(panel.imageDropped):  # not "load its settings": that is a drop elsewhere
        assert drop_on(tray_of(panel), mime, QPoint(30, 10))
    wait_settled(qtbot, panel, 1)


def test_a_file_that_is_not_an_image_is_refused_in_words_and_nothing_else_is_lost(
        qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    good = make_photo(tmp_path, "good.jpg", 800, 600)
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture at all")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(make_photo(tmp_path, "whole.jpg", 1600, 1200).read_bytes()[:4000])
    panel.set_prompt("a good one")
    assert drop_files(panel, [good, notes])
    wait_settled(qtbot, panel, 1)
    assert labels(panel) == ["good.jpg"]
    assert tray_of(panel).message() == ("Not added: notes.jpg is not an image FluxDesk can read "
                                        "(PNG, JPEG, WebP, GIF or BMP).")
    assert drop_files(panel, [truncated])
    qtbot.waitUntil(lambda: "cut.jpg is damaged or incomplete" in tray_of(panel).message())
    wait_settled(qtbot, panel, 1)
    assert labels(panel) == ["good.jpg"] and generate_button(panel).isEnabled()


def test_a_cmyk_jpeg_and_an_animated_gif_say_what_was_changed(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    cmyk = tmp_path / "print.jpg"
    Image.new("CMYK", (400, 300), (0, 80, 160, 10)).save(cmyk, "JPEG")
    gif = tmp_path / "loop.gif"
    frames = [Image.new("RGB", (200, 200), (i * 80, 40, 200 - i * 60)) for i in range(3)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    assert drop_files(panel, [cmyk, gif])
    wait_settled(qtbot, panel, 2)
    notes = rows(panel, ReferenceRoles.Notes)
    assert "converted from CMYK to RGB" in notes[0]
    assert "first frame of an animated GIF" in notes[1]


# -- order, removal, undo ---------------------------------------------------------------------------------


@pytest.fixture
def three(qtbot, panel: PromptPanel, tmp_path: Path) -> PromptPanel:
    paths = [make_photo(tmp_path, f"{name}.jpg", 320, 240) for name in ("teapot", "table", "lamp")]
    assert drop_files(panel, paths)
    wait_settled(qtbot, panel, 3)
    return panel


def test_ctrl_arrows_move_a_reference_and_its_name_follows_its_place(qtbot, three: PromptPanel) -> None:
    view = tray_of(three).view
    view.setCurrentIndex(view.model().index(2))
    press(qtbot, view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert labels(three) == ["teapot.jpg", "lamp.jpg", "table.jpg"]
    press(qtbot, view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert labels(three) == ["lamp.jpg", "teapot.jpg", "table.jpg"]
    assert view.currentIndex().data(ReferenceRoles.Name) == "image 1"
    press(qtbot, view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert labels(three) == ["teapot.jpg", "lamp.jpg", "table.jpg"]
    assert [i.source.rsplit("/", 1)[-1] for i in three.current_request().input_images] == labels(three)


def test_a_card_dragged_within_the_tray_lands_where_it_is_dropped(qtbot, three: PromptPanel) -> None:
    view = tray_of(three).view
    model = view.model()
    mime = model.mimeData([model.index(0)])
    bottom = view.visualRect(model.index(2)).bottom() - 3
    assert drop_on(view.viewport(), mime, QPoint(40, bottom))
    assert labels(three) == ["table.jpg", "lamp.jpg", "teapot.jpg"]
    mime = model.mimeData([model.index(2)])
    assert drop_on(view.viewport(), mime, QPoint(40, view.visualRect(model.index(0)).top() + 3))
    assert labels(three) == ["teapot.jpg", "table.jpg", "lamp.jpg"]


def test_delete_removes_and_ctrl_z_puts_it_back_where_it_was(qtbot, three: PromptPanel) -> None:
    tray = tray_of(three)
    view = tray.view
    view.setCurrentIndex(view.model().index(1))
    price = generate_button(three).text()
    press(qtbot, view, Qt.Key.Key_Delete)
    assert labels(three) == ["teapot.jpg", "lamp.jpg"]
    assert rows(three, ReferenceRoles.Name) == ["image 1", "image 2"]
    assert generate_button(three).text() != price
    assert tray_text(three, "referenceUndoNote") == "table.jpg removed"
    press(qtbot, view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labels(three) == ["teapot.jpg", "table.jpg", "lamp.jpg"]
    assert generate_button(three).text() == price
    assert not tray_of(three).waiting_for()  # its prepared bytes came back with it
    assert not tray_text(three, "referenceUndoNote")


def test_the_cross_on_a_card_removes_it_and_undo_button_restores_it(qtbot, three: PromptPanel) -> None:
    view = tray_of(three).view
    index = view.model().index(0)
    rect = view.visualRect(index)
    cross = QPoint(rect.right() - 14, rect.top() + 16)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cross)
    assert labels(three) == ["table.jpg", "lamp.jpg"]
    qtbot.mouseClick(child(tray_of(three), QPushButton, "referenceUndoButton"), Qt.MouseButton.LeftButton)
    assert labels(three) == ["teapot.jpg", "table.jpg", "lamp.jpg"]


def test_clear_removes_all_and_one_undo_brings_all_back(qtbot, three: PromptPanel) -> None:
    qtbot.mouseClick(child(tray_of(three), QPushButton, "clearReferencesButton"), Qt.MouseButton.LeftButton)
    assert labels(three) == [] and three.current_request().input_images == ()
    assert generate_button(three).text() == "Generate · $0.03"
    assert not child(tray_of(three), QPushButton, "clearReferencesButton").isVisibleTo(three)
    press(qtbot, tray_of(three).view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labels(three) == ["teapot.jpg", "table.jpg", "lamp.jpg"]


# -- sizes and budgets ------------------------------------------------------------------------------------


def test_send_original_prepares_it_again_at_up_to_4_mp(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    assert drop_files(panel, [make_photo(tmp_path, "phone.jpg", 2048, 1536)])
    wait_settled(qtbot, panel, 1)
    view = tray_of(panel).view
    assert rows(panel, ReferenceRoles.CanSendOriginal) == [True]
    rect = view.visualRect(view.model().index(0))
    box = QPoint(rect.left() + 8 + 56 + 10 + 6, rect.bottom() - 14)  # the box under the words
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert rows(panel, ReferenceRoles.SendOriginal) == [True]
    assert rows(panel, ReferenceRoles.State) == ["preparing"]
    wait_settled(qtbot, panel, 1)
    assert sent_sizes(panel) == [(2048, 1536)]
    assert panel.estimate().reference_credits == (Decimal("4.5"),)  # 3 MP on FLUX.2 [pro]
    assert generate_button(panel).text() == "Generate · $0.075"


def test_a_file_gone_after_it_was_added_stays_as_the_copy_made_of_it(qtbot, panel: PromptPanel,
                                                                     tmp_path: Path) -> None:
    photo = make_photo(tmp_path, "phone.jpg", 2048, 1536)
    assert drop_files(panel, [photo])
    wait_settled(qtbot, panel, 1)
    [before] = panel.current_request().input_images
    photo.unlink()  # moved away after it was added
    tier = child(panel, QComboBox, "sizeTierCombo")
    index = tier.findText("~2 MP")
    tier.setCurrentIndex(index)
    tier.activated.emit(index)  # a larger output: the reference would be prepared again, larger, from its file
    wait_settled(qtbot, panel, 1)
    [after] = panel.current_request().input_images
    assert (after.sha256, after.width, after.height, after.source) == (before.sha256, before.width, before.height,
                                                                      str(photo))
    assert "phone.jpg is no longer there" in tray_of(panel).message()
    assert "image 1 stays, as the copy FluxDesk made of it" in tray_of(panel).message()
    assert "Waiting for" not in generate_button(panel).toolTip()  # nothing left to prepare: it can be sent


def test_a_larger_output_sends_references_larger(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    assert drop_files(panel, [make_photo(tmp_path, "phone.jpg", 3000, 2000)])
    wait_settled(qtbot, panel, 1)
    tier = child(panel, QComboBox, "sizeTierCombo")
    index = tier.findText("~2 MP")
    tier.setCurrentIndex(index)
    tier.activated.emit(index)
    request = panel.current_request()
    assert request.width / request.height == pytest.approx(1.5, rel=0.02)  # still image 1's shape
    wait_settled(qtbot, panel, 1)
    (w, h), = sent_sizes(panel)
    assert w * h <= request.width * request.height and w * h > 1024 * 1024


def test_a_size_the_user_picked_is_kept_and_match_image_1_stays_on_offer(
        qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    preset = child(panel, QComboBox, "aspectPresetCombo")
    index = preset.findText("16:9")
    preset.setCurrentIndex(index)
    preset.activated.emit(index)
    picked = panel.current_request()
    assert drop_files(panel, [make_photo(tmp_path, "tall.jpg", 600, 900)])
    wait_settled(qtbot, panel, 1)
    assert (panel.current_request().width, panel.current_request().height) == (picked.width, picked.height)
    match = preset.findText("Match image 1")
    assert match >= 0
    preset.setCurrentIndex(match)
    preset.activated.emit(match)
    request = panel.current_request()
    assert request.width / request.height == pytest.approx(600 / 900, rel=0.03)


def test_flux_2_pro_refuses_more_than_9_mp_in_all_before_sending(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    panel.set_prompt("two big ones")
    panel.load_settings({"width": 2048, "height": 2048})  # 4 MP of output, the user's choice
    assert drop_files(panel, [make_photo(tmp_path, "a.png", 2048, 2048, fmt="PNG"),
                              make_photo(tmp_path, "b.png", 2048, 2048, fmt="PNG")])
    wait_settled(qtbot, panel, 2)
    message = error_text(panel, "references")
    assert "FLUX.2 [pro] takes at most 9 MP in all" in message and "this request counts 12 MP" in message
    assert not generate_button(panel).isEnabled() and "9 MP" in generate_button(panel).toolTip()
    with qtbot.assertNotEmitted(panel.generateRequested):
        qtbot.keyClick(panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    panel.load_settings({"width": 1024, "height": 1024})
    wait_settled(qtbot, panel, 2)
    assert error_text(panel, "references") == "" and generate_button(panel).isEnabled()


def test_bfl_refusing_a_reference_is_said_at_the_tray(qtbot, three: PromptPanel) -> None:
    three.show_server_errors([FieldError("input_image_2", "is not a valid image")])
    assert error_text(three, "references") == "Image 2 is not a valid image"
    banner = child(three, QWidget, "messageBanner")
    assert not banner.isVisibleTo(three)


# -- the controls follow the model ------------------------------------------------------------------------


@pytest.fixture
def six(qtbot, panel: PromptPanel, tmp_path: Path) -> PromptPanel:
    paths = [make_photo(tmp_path, f"ref{i}.jpg", 400, 300, (30 * i, 100, 160)) for i in range(1, 7)]
    assert drop_files(panel, paths)
    wait_settled(qtbot, panel, 6)
    panel.set_prompt("the six of them at a table")
    return panel


def test_klein_keeps_six_references_greys_two_and_says_they_are_not_sent(six: PromptPanel) -> None:
    assert rows(six, ReferenceRoles.Sendable) == [True] * 6
    six.set_model("flux-2-klein-4b")
    assert rows(six, ReferenceRoles.Sendable) == [True] * 4 + [False] * 2
    assert tray_text(six, "referenceLimit") == (
        "FLUX.2 [klein] 4B takes up to 4 reference images: image 5 and image 6 will not be sent.")
    assert len(six.current_request().input_images) == 4 and six.is_valid()
    assert tray_of(six).count() == 6


def test_flux_1_1_takes_one_image_prompt_and_ultra_its_strength(qtbot, six: PromptPanel) -> None:
    strength = child(six, QDoubleSpinBox, "imagePromptStrengthSpin")
    assert not strength.isVisibleTo(six)  # FLUX.2 has no such control
    six.set_model("flux-pro-1.1")
    assert rows(six, ReferenceRoles.Sendable) == [True] + [False] * 5
    assert tray_text(six, "referenceLimit").startswith("FLUX1.1 [pro] takes one image prompt: image 2, image 3")
    six.set_prompt("in this style")
    body = validate(six.current_request()).body
    assert body is not None and "image_prompt" in body and "input_image" not in body
    assert not strength.isVisibleTo(six)

    six.set_model("flux-pro-1.1-ultra")
    assert strength.isVisibleTo(six) and strength.value() == pytest.approx(0.1)
    assert (strength.minimum(), strength.maximum()) == (0.0, 1.0)
    strength.setValue(0.6)
    body = validate(six.current_request()).body
    assert body is not None and body["image_prompt_strength"] == pytest.approx(0.6) and "image_prompt" in body
    qtbot.mouseClick(child(tray_of(six), QPushButton, "clearReferencesButton"), Qt.MouseButton.LeftButton)
    assert not strength.isVisibleTo(six) and six.current_request().image_prompt_strength is None


def test_kontext_follows_image_1s_ratio_and_marks_extras_experimental(
        qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    panel.set_model("flux-kontext-pro")
    assert child(panel, QComboBox, "aspectRatioCombo").isVisibleTo(panel)
    room, chair = make_photo(tmp_path, "room.jpg", 1600, 1200), make_photo(tmp_path, "chair.jpg", 600, 600)
    assert drop_files(panel, [room, chair])
    wait_settled(qtbot, panel, 2)
    follows = child(panel, QLabel, "followsInputLabel")
    assert follows.isVisibleTo(panel) and follows.text() == "The output follows image 1's ratio (about 4:3, ~1 MP)"
    assert not child(panel, QComboBox, "aspectRatioCombo").isVisibleTo(panel)
    assert rows(panel, ReferenceRoles.Experimental) == [False, True]
    panel.set_prompt("make it night")
    request = panel.current_request()
    body = validate(request).body
    assert request.aspect_ratio is None and body is not None and "aspect_ratio" not in body
    assert {"input_image", "input_image_2"} <= set(body)
    assert child(panel, QLabel, "referenceCostLabel").text() == (
        "image 1, image 2: included in FLUX.1 Kontext [pro]'s flat price")


def test_an_empty_tray_is_one_line_that_says_how_to_add_and_what_the_model_takes(qtbot, panel: PromptPanel,
                                                                                 tmp_path: Path) -> None:
    tray = tray_of(panel)
    hint = child(tray, QLabel, "referenceEmptyHint")
    assert hint.isVisibleTo(panel) and hint.text() == "Drop or paste (Ctrl+V) images"
    assert not tray.view.isVisibleTo(panel)
    assert tray.height() < 70  # the prompt keeps its room
    assert "FLUX.2 [pro] takes up to 8 reference images" in hint.toolTip()
    panel.set_model("flux-kontext-max")
    assert "FLUX.1 Kontext [max] takes 1 reference image (up to 4 with experimental extras)" in hint.toolTip()
    mime = files_mime([make_photo(tmp_path, "a.jpg", 300, 200)])
    enter = QDragEnterEvent(QPoint(30, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(tray, enter)
    assert enter.isAccepted() and tray.is_drop_highlighted()
    QApplication.sendEvent(tray, QDragLeaveEvent())
    assert not tray.is_drop_highlighted()


# -- how it looks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 480])
def test_every_card_shows_all_it_says_in_both_themes(qtbot, make_panel, restore_theme, tmp_path: Path, theme: str,
                                                     width: int) -> None:
    apply_theme(restore_theme, theme)
    panel = make_panel()
    panel.resize(width, 900)
    panel.show()
    qtbot.waitExposed(panel)
    cmyk = tmp_path / "a-print-ready-file-with-a-rather-long-name.jpg"
    Image.new("CMYK", (3000, 2000), (0, 80, 160, 10)).save(cmyk, "JPEG")
    assert drop_files(panel, [make_photo(tmp_path, "phone.jpg", 4032, 3024), cmyk,
                              make_photo(tmp_path, "small.png", 500, 500, fmt="PNG")])
    wait_settled(qtbot, panel, 3)
    panel.set_model("flux-2-klein-4b")
    panel.set_model("flux-pro-1.1")  # image 2 and 3 not sent: their cards say why
    process()
    view = tray_of(panel).view
    assert view.verticalScrollBar().maximum() == 0  # as tall as its cards: nothing scrolled away
    delegate = view.delegate
    for row in range(3):
        index = view.model().index(row)
        rect = view.visualRect(index)
        assert view.viewport().rect().contains(rect), row
        layout = card_layout(view.font(), rect.width(), index)
        assert layout.height + 4 == rect.height()
        for part in (layout.title, layout.detail, layout.notes, layout.check):
            if part is not None:
                assert QRect(0, 0, rect.width(), layout.height).contains(part), (row, part)
        assert delegate.target_at(_option(view, rect), index, rect.topLeft() + layout.close.center()) == "remove"
    shot = panel.grab()
    assert shot.save(str(tmp_path / f"tray_{theme}_{width}.png"))
    image = shot.toImage()
    card = view.visualRect(view.model().index(0))
    background = image.pixelColor(view.viewport().mapTo(panel, card.topLeft() + QPoint(card.width() // 2, 4)))
    assert contrast_ratio(background, panel.palette().color(QPalette.ColorRole.Text)) >= 7
    assert contrast_ratio(background, muted_color()) >= 4.5
    assert contrast_ratio(background, warning_color()) >= 4.5


def _option(view, rect: QRect) -> QStyleOptionViewItem:
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = rect
    option.widget = view
    return option


def test_kontext_with_a_reference_takes_at_most_safety_2_and_says_so_at_the_folded_control(
        qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    panel.set_model("flux-kontext-pro")
    panel.load_settings({"safety_tolerance": 5, "prompt": "make it night"})
    assert panel.is_valid() and not panel.more_options_open()
    assert drop_files(panel, [make_photo(tmp_path, "street.jpg", 800, 600)])
    wait_settled(qtbot, panel, 1)
    assert "from 0 to 2" in error_text(panel, "safetyTolerance")
    assert panel.more_options_open() and not generate_button(panel).isEnabled()


def test_ultras_strength_comes_back_with_reused_settings(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    panel.set_model("flux-pro-1.1-ultra")
    panel.load_settings({"image_prompt_strength": 0.35})
    assert drop_files(panel, [make_photo(tmp_path, "style.jpg", 800, 600)])
    wait_settled(qtbot, panel, 1)
    assert panel.current_request().image_prompt_strength == pytest.approx(0.35)


def test_the_right_click_menu_offers_the_cards_commands(qtbot, three: PromptPanel) -> None:
    view = tray_of(three).view
    card = view.visualRect(view.model().index(1))
    seen: dict = {}
    pick_from_popup("Move up", seen)
    right_click(view.viewport(), card.center())
    assert labels(three) == ["table.jpg", "teapot.jpg", "lamp.jpg"]
    assert {"Move up", "Move down", "Send original (up to 4 MP)", "Remove", "Add reference…",
            "Paste image as reference", "Clear"} <= set(seen)
    pick_from_popup("Remove")
    right_click(view.viewport(), view.visualRect(view.model().index(2)).center())
    assert labels(three) == ["table.jpg", "teapot.jpg"]
