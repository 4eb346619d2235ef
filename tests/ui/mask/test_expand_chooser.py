"""The Expand chooser through its doors: spin boxes typed into, the way picked with its radio buttons, aspect and
anchor picked from their lists; the sides, the new canvas in words and what stops Expand."""

from __future__ import annotations

from pathlib import Path

import pytest
from mask_support import picture
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QRadioButton, QSpinBox

from fluxdesk.ui.mask.canvas_growth import canvas_for_aspect, expand_problem, sides_for_target
from fluxdesk.ui.mask.expand import ExpandChooser


def type_into(box: QSpinBox, text: str) -> None:
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, Qt.Key.Key_Enter)


def choose(radio: QRadioButton) -> None:
    """Click the radio button's circle (a click past its text is not on the button)."""
    QTest.mouseClick(radio, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(8, radio.height() // 2))
    assert radio.isChecked()


def pick(combo: QComboBox, text: str) -> None:
    combo.setFocus()
    while combo.currentText() != text:
        before = combo.currentIndex()
        QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"{text!r} is not in the list"


@pytest.fixture
def chosen(chooser: ExpandChooser) -> ExpandChooser:
    chooser.set_image(picture(1024, 768))
    return chooser


def test_typed_sides_are_the_sides_and_the_size_is_said_in_words(qtbot, chosen: ExpandChooser) -> None:
    assert chosen.problem() == "Add pixels on at least one side"
    assert chosen.problem_label.text() == "Add pixels on at least one side"
    said: list[tuple[int, ...]] = []
    chosen.sidesChanged.connect(lambda *sides: said.append(sides))
    type_into(chosen.side_boxes["left"], "256")
    assert said[-1] == (0, 0, 0, 256)
    type_into(chosen.side_boxes["right"], "256")
    assert chosen.sides() == (0, 256, 0, 256)
    assert chosen.canvas_size() == (1536, 768)
    assert chosen.size_label.text() == "1024×768 → 1536×768"
    assert chosen.problem() is None and chosen.problem_label.isHidden()
    QTest.keyClick(chosen.side_boxes["top"], Qt.Key.Key_Up)  # a step of 64
    assert chosen.sides() == (64, 256, 0, 256)


def test_a_side_typed_past_2048_is_brought_to_2048_and_said(qtbot, chosen: ExpandChooser) -> None:
    type_into(chosen.side_boxes["bottom"], "3000")
    assert chosen.sides() == (0, 0, 2048, 0)
    assert chosen.note_label.isVisible()
    assert chosen.note_label.text() == "Bottom 3000 is more than Expand takes: set to 2048, the maximum"
    type_into(chosen.side_boxes["top"], "10")
    assert chosen.note_label.isHidden()


def test_an_aspect_ratio_gives_the_smallest_canvas_around_the_image_placed_at_the_anchor(
        qtbot, chosen: ExpandChooser) -> None:
    choose(chosen.target_radio)
    assert chosen.pages.currentIndex() == 1
    pick(chosen.aspect_combo, "16:9")
    assert (chosen.width_box.value(), chosen.height_box.value()) == (1366, 768)
    assert chosen.sides() == (0, 171, 0, 171)
    pick(chosen.anchor_combo, "Left")
    assert chosen.sides() == (0, 342, 0, 0)
    assert chosen.size_label.text() == "1024×768 → 1366×768"
    type_into(chosen.width_box, "1600")  # the ratio holds: the height follows
    assert chosen.height_box.value() == 900
    assert chosen.sides() == (66, 576, 66, 0)
    assert chosen.problem() is None


def test_a_target_beyond_what_expand_adds_or_below_the_image_is_refused_in_words(qtbot, chosen: ExpandChooser) -> None:
    choose(chosen.target_radio)
    type_into(chosen.width_box, "6000")
    assert chosen.sides() == (0, 2488, 0, 2488)
    assert chosen.problem() == "Expand adds at most 2048 px on a side (right 2488 px, left 2488 px)"
    type_into(chosen.width_box, "1024")
    type_into(chosen.height_box, "600")
    assert chosen.problem() == ("The new canvas (1024×600) is smaller than the image (1024×768): "
                                "Expand only adds pixels")
    assert chosen.problem_label.isVisible()
    type_into(chosen.height_box, "768")
    assert chosen.problem() == "Add pixels on at least one side"


def test_switching_ways_keeps_the_canvas(qtbot, chosen: ExpandChooser) -> None:
    chosen.set_sides(128, 0, 0, 0)
    choose(chosen.target_radio)
    assert (chosen.width_box.value(), chosen.height_box.value()) == (1024, 896)
    assert chosen.anchor_combo.currentText() == "Bottom"
    assert chosen.sides() == (128, 0, 0, 0)
    chosen.set_target(1200, 900, "Top left")
    choose(chosen.per_side_radio)
    assert chosen.sides() == (0, 176, 132, 0)
    assert [chosen.side_boxes[n].value() for n in ("top", "right", "bottom", "left")] == [0, 176, 132, 0]


def test_set_sides_refuses_what_expand_does_not_take(chosen: ExpandChooser) -> None:
    with pytest.raises(ValueError, match="left must be 0–2048 px, not 2049"):
        chosen.set_sides(0, 0, 0, 2049)
    with pytest.raises(ValueError, match="top must be 0–2048 px, not -1"):
        chosen.set_sides(-1, 0, 0, 0)
    with pytest.raises(ValueError, match="unknown anchor"):
        chosen.set_target(2000, 2000, "Middle")


def test_the_preview_outlines_the_new_canvas_around_the_image(qtbot, chosen: ExpandChooser) -> None:
    chosen.set_sides(0, 512, 0, 0)
    canvas, image = chosen.preview.canvas_rect(), chosen.preview.image_rect()
    assert canvas.contains(image)
    assert canvas.width() / canvas.height() == pytest.approx(1536 / 768, rel=0.01)
    assert image.left() == pytest.approx(canvas.left()) and image.right() < canvas.right() - 10
    chosen.repaint()


# Qt's JPEG plugin (libjpeg) warns about the damaged file this test feeds it on purpose.
@pytest.mark.qt_log_ignore("JPEG datastream contains no image")
def test_a_broken_file_is_the_problem_and_nothing_breaks(qtbot, chooser: ExpandChooser, tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    with qtbot.waitSignal(chooser.loadFailed, timeout=10_000) as failed:
        chooser.load_image(path)
    assert "scan.jpg cannot be opened" in failed.args[0]
    assert chooser.problem() == failed.args[0]
    assert chooser.canvas_size() is None and chooser.size_text() == ""
    chooser.repaint()


def test_a_file_is_read_and_its_size_used(qtbot, chooser: ExpandChooser, tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (900, 500), (10, 120, 200)).save(path)
    chooser.set_sides(0, 100, 0, 100)
    with qtbot.waitSignal(chooser.imageLoaded, timeout=10_000) as done:
        chooser.load_image(path)
        assert chooser.problem() == "The image is still opening"
    assert done.args == [900, 500]
    assert chooser.size_text() == "900×500 → 1100×500"


def test_without_an_image_the_problem_says_so(chooser: ExpandChooser) -> None:
    assert chooser.problem() == "Open an image to expand"
    assert chooser.canvas_size() is None


# -- the arithmetic ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "ratio", "canvas"), [
    ((1024, 768), (1, 1), (1024, 1024)),
    ((768, 1024), (1, 1), (1024, 1024)),
    ((1024, 768), (4, 3), (1024, 768)),
    ((1000, 1000), (16, 9), (1778, 1000)),
    ((1000, 1000), (9, 16), (1000, 1778)),
])
def test_canvas_for_aspect_is_the_smallest_that_holds_the_image(image, ratio, canvas) -> None:
    assert canvas_for_aspect(image, ratio) == canvas


def test_sides_for_target_split_by_the_anchor() -> None:
    assert sides_for_target((100, 100), (201, 151), "Centre") == (25, 51, 26, 50)
    assert sides_for_target((100, 100), (200, 150), "Bottom right") == (50, 0, 0, 100)
    assert sides_for_target((100, 100), (200, 150), "Top") == (0, 50, 50, 50)
    assert expand_problem((100, 100), (0, 2048, 0, 0)) is None


def test_a_target_chosen_before_the_image_arrives_starts_from_the_image(qtbot, chooser: ExpandChooser) -> None:
    choose(chooser.target_radio)
    chooser.set_image(picture(800, 600))
    assert (chooser.width_box.value(), chooser.height_box.value()) == (800, 600)
    assert chooser.problem() == "Add pixels on at least one side"
    pick(chooser.aspect_combo, "1:1")
    chooser.set_image(picture(400, 300))  # another image: the ratio still holds
    assert chooser.canvas_size() == (400, 400) and chooser.sides() == (50, 0, 50, 0)
