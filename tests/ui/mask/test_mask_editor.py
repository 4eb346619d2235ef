"""The mask editor through its doors: mouse strokes on the canvas, its shortcuts, toolbar buttons and mode picker;
real image files read off the GUI thread; the mask checked pixel by pixel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from mask_support import (
    LEFT,
    NONE,
    centre_of,
    drag,
    level,
    levels_along,
    on_canvas,
    painted_count,
    picture,
    stroke,
)
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolButton

from fluxdesk.ui.kit.theme import apply_theme
from fluxdesk.ui.mask.editor import LOCAL_EDIT, MaskEditor

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def key(editor: MaskEditor, key: Qt.Key, modifier: Qt.KeyboardModifier = NONE) -> None:
    editor.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
    QTest.keyClick(editor.canvas, key, modifier)


def button_for(editor: MaskEditor, action) -> QToolButton:
    widget = editor.toolbar.widgetForAction(action)
    assert isinstance(widget, QToolButton)
    return widget


def loaded(editor: MaskEditor, width: int = 400, height: int = 300) -> MaskEditor:
    editor.set_image(picture(width, height))
    editor.set_brush_size(20)
    editor.set_hardness(1.0)
    return editor


# -- painting ------------------------------------------------------------------------------------------


def test_a_mouse_stroke_paints_white_along_its_path_and_nothing_elsewhere(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    assert editor.send_blocker() == "Paint over the part of the image to remake"
    with qtbot.waitSignal(editor.maskChanged) as changed:
        stroke(editor.canvas, [(50, 150), (120, 150), (200, 150), (300, 150)])
    assert changed.args == [True]

    mask = editor.mask_image()
    assert mask.format() == QImage.Format.Format_Grayscale8
    assert (mask.width(), mask.height()) == (400, 300)
    assert levels_along(mask, 150, range(52, 298, 7)) == [255] * len(range(52, 298, 7))
    assert level(mask, 150, 150 - 6) == 255 and level(mask, 150, 150 + 6) == 255  # a 20 px brush
    assert level(mask, 150, 150 - 14) == 0 and level(mask, 150, 150 + 14) == 0
    assert level(mask, 20, 20) == 0 and level(mask, 380, 280) == 0
    left, top, right, bottom = editor.mask_bounds()
    assert 38 <= left <= 41 and 138 <= top <= 141 and 309 <= right <= 312 and 159 <= bottom <= 162
    assert editor.has_paint() and editor.send_blocker() is None
    assert editor.undo_stack().count() == 1  # many mouse moves, one step


def test_a_fast_flick_with_two_mouse_events_still_paints_a_continuous_line(qtbot, editor: MaskEditor) -> None:
    loaded(editor).set_brush_size(4)
    stroke(editor.canvas, [(20, 100), (380, 100)])
    mask = editor.mask_image()
    assert levels_along(mask, 100, range(22, 378)) == [255] * len(range(22, 378))


def test_the_path_between_mouse_events_is_smoothed_into_a_curve(qtbot, editor: MaskEditor) -> None:
    """Three points in a V: the corner is rounded off (a polyline would paint the corner's tip)."""
    loaded(editor).set_brush_size(4)
    stroke(editor.canvas, [(100, 200), (200, 60), (300, 200)])
    mask = editor.mask_image()
    assert level(mask, 200, 60) == 0  # the tip of the V is cut
    assert level(mask, 200, 95) == 255  # a quadratic through the midpoints: half way from their chord to the tip
    assert level(mask, 100, 200) == 255 and level(mask, 300, 200) == 255  # it starts and ends where the mouse did


def test_a_soft_brush_fades_at_its_edge_and_a_hard_one_does_not(qtbot, editor: MaskEditor) -> None:
    loaded(editor).set_brush_size(60)
    editor.set_hardness(0.0)
    stroke(editor.canvas, [(100, 100)])
    soft = levels_along(editor.mask_image(), 100, range(100, 131))
    assert soft[0] >= 250 and soft[-1] == 0
    assert any(0 < value < 255 for value in soft)
    assert soft == sorted(soft, reverse=True)

    editor.set_hardness(1.0)
    stroke(editor.canvas, [(250, 200)])
    hard = levels_along(editor.mask_image(), 200, range(250, 281))
    assert sum(0 < value < 255 for value in hard) <= 2  # only the antialiased rim


def test_the_eraser_takes_paint_away_and_the_bounds_shrink(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(50, 150), (350, 150)])
    key(editor, Qt.Key.Key_E)
    assert editor.tool() == "eraser"
    editor.set_brush_size(80)
    stroke(editor.canvas, [(200, 100), (200, 200)])
    stroke(editor.canvas, [(300, 100), (300, 200), (340, 200), (340, 100), (380, 100), (380, 200)])
    mask = editor.mask_image()
    assert level(mask, 200, 150) == 0 and level(mask, 100, 150) == 255
    left, _top, right, _bottom = editor.mask_bounds()
    assert left < 45 and right < 265  # the right end was erased: the bounds followed


def test_painting_outside_the_picture_is_clipped_and_never_fails(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    drag(editor.canvas, [QPoint(2, 2), on_canvas(editor.canvas, 10, 10), QPoint(editor.canvas.width() - 2, 4)])
    assert editor.has_paint()
    left, top, _right, _bottom = editor.mask_bounds()
    assert (left, top) == (0, 0)


# -- undo and redo -------------------------------------------------------------------------------------


def test_ctrl_z_undoes_a_stroke_and_ctrl_shift_z_and_ctrl_y_redo_it(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(50, 50), (150, 50)])
    first = editor.mask_image()
    stroke(editor.canvas, [(50, 250), (150, 250)])
    both = editor.mask_image()
    assert editor.commands.undo.toolTip() == "Undo brush stroke (Ctrl+Z)"

    with qtbot.waitSignal(editor.maskChanged) as changed:
        key(editor, Qt.Key.Key_Z, CTRL)
    assert changed.args == [True]
    assert editor.mask_image() == first
    key(editor, Qt.Key.Key_Z, CTRL)
    assert painted_count(editor.mask_image()) == 0
    assert not editor.has_paint() and editor.mask_bounds() is None
    assert not editor.commands.undo.isEnabled()

    key(editor, Qt.Key.Key_Z, CTRL | SHIFT)
    assert editor.mask_image() == first
    key(editor, Qt.Key.Key_Y, CTRL)
    assert editor.mask_image() == both
    assert editor.has_paint()


def test_keys_that_change_the_mask_wait_while_a_stroke_is_being_painted(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    canvas = editor.canvas
    stroke(canvas, [(50, 50), (150, 50)])
    QTest.mousePress(canvas, LEFT, NONE, on_canvas(canvas, 50, 200))
    QTest.mouseMove(canvas, on_canvas(canvas, 150, 200))
    key(editor, Qt.Key.Key_Z, CTRL)
    key(editor, Qt.Key.Key_F, SHIFT)
    assert level(editor.mask_image(), 100, 50) == 255 and level(editor.mask_image(), 100, 120) == 0
    QTest.mouseRelease(canvas, LEFT, NONE, on_canvas(canvas, 150, 200))
    assert editor.undo_stack().count() == 2
    key(editor, Qt.Key.Key_Z, CTRL)
    assert level(editor.mask_image(), 100, 200) == 0 and level(editor.mask_image(), 100, 50) == 255


def test_the_undo_button_is_the_undo_action(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(50, 50), (150, 50)])
    undo = button_for(editor, editor.commands.undo)
    assert undo.text() == "Undo" and "Ctrl+Z" in undo.toolTip()
    qtbot.mouseClick(undo, LEFT)
    assert not editor.has_paint()
    qtbot.mouseClick(button_for(editor, editor.commands.redo), LEFT)
    assert editor.has_paint()


def test_an_eraser_stroke_is_undone_with_the_bounds_it_had(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(50, 150), (350, 150)])
    bounds = editor.mask_bounds()
    painted = editor.mask_image()
    editor.set_tool("eraser")
    editor.set_brush_size(100)
    stroke(editor.canvas, [(300, 150), (390, 150)])
    assert editor.mask_bounds() != bounds
    key(editor, Qt.Key.Key_Z, CTRL)
    assert editor.mask_bounds() == bounds and editor.mask_image() == painted


# -- shortcuts and buttons -----------------------------------------------------------------------------


def test_tool_shortcuts_switch_brush_eraser_and_hand_and_the_buttons_follow(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    c = editor.commands
    assert editor.tool() == "brush" and c.brush.isChecked()
    key(editor, Qt.Key.Key_E)
    assert editor.tool() == "eraser" and c.eraser.isChecked() and button_for(editor, c.eraser).isChecked()
    key(editor, Qt.Key.Key_X)
    assert editor.tool() == "brush"
    key(editor, Qt.Key.Key_X)
    assert editor.tool() == "eraser"
    key(editor, Qt.Key.Key_H)
    assert editor.tool() == "hand" and c.hand.isChecked()
    key(editor, Qt.Key.Key_H)
    assert editor.tool() == "eraser"  # H again: back to the tool before
    key(editor, Qt.Key.Key_B)
    assert editor.tool() == "brush"
    qtbot.mouseClick(button_for(editor, c.eraser), LEFT)
    assert editor.tool() == "eraser"
    assert c.brush.toolTip() == "Paint the part to remake (B)"
    assert button_for(editor, c.fill).toolTip() == "Paint the whole image: all of it is remade (Shift+F)"


def test_brackets_change_the_size_and_braces_the_hardness(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    editor.set_brush_size(40)
    editor.set_hardness(0.5)
    key(editor, Qt.Key.Key_BracketRight)
    assert editor.brush_size() == 50 and editor.size_box.value() == 50
    key(editor, Qt.Key.Key_BracketLeft)
    key(editor, Qt.Key.Key_BracketLeft)
    assert editor.brush_size() == 32
    for _ in range(3):
        key(editor, Qt.Key.Key_BracketLeft)
    for _ in range(30):
        key(editor, Qt.Key.Key_BracketLeft)
    assert editor.brush_size() == 1  # never below a pixel
    key(editor, Qt.Key.Key_BraceRight)
    assert editor.hardness() == pytest.approx(0.6) and editor.hardness_box.value() == 60
    key(editor, Qt.Key.Key_BraceLeft)
    key(editor, Qt.Key.Key_BraceLeft)
    assert editor.hardness() == pytest.approx(0.4)
    key(editor, Qt.Key.Key_BraceLeft, SHIFT)  # as a keyboard reports Shift+[
    assert editor.hardness() == pytest.approx(0.3)


def test_typing_a_size_in_the_toolbar_sets_the_brush(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    box = editor.size_box
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "7")
    QTest.keyClick(box, Qt.Key.Key_Enter)
    assert editor.brush_size() == 7
    QTest.keyClick(box, Qt.Key.Key_B)  # a letter typed into a field is not the brush shortcut's
    assert editor.tool() == "brush"


def test_shift_f_fills_i_inverts_and_ctrl_backspace_clears_each_one_step(qtbot, editor: MaskEditor) -> None:
    loaded(editor, 120, 90)
    assert not editor.commands.clear.isEnabled()  # nothing to clear
    key(editor, Qt.Key.Key_F, SHIFT)
    assert painted_count(editor.mask_image()) == 120 * 90
    assert editor.mask_bounds() == (0, 0, 120, 90)
    key(editor, Qt.Key.Key_I)
    assert painted_count(editor.mask_image()) == 0 and not editor.has_paint()
    key(editor, Qt.Key.Key_Z, CTRL)
    assert painted_count(editor.mask_image()) == 120 * 90
    key(editor, Qt.Key.Key_Backspace, CTRL)
    assert painted_count(editor.mask_image()) == 0 and editor.mask_bounds() is None
    key(editor, Qt.Key.Key_Z, CTRL)
    key(editor, Qt.Key.Key_Z, CTRL)
    assert painted_count(editor.mask_image()) == 0
    # Invert was undone, then Clear made: the redo of Invert is gone, as in every editor
    assert [editor.undo_stack().text(i) for i in range(editor.undo_stack().count())] == ["Fill", "Clear"]


def test_invert_turns_a_stroke_into_everything_but_the_stroke(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(100, 100), (200, 100)])
    qtbot.mouseClick(button_for(editor, editor.commands.invert), LEFT)
    mask = editor.mask_image()
    assert level(mask, 150, 100) == 0 and level(mask, 10, 10) == 255 and level(mask, 399, 299) == 255
    assert editor.mask_bounds() == (0, 0, 400, 300)
    qtbot.mouseClick(button_for(editor, editor.commands.clear), LEFT)
    assert not editor.has_paint()


def test_inverting_a_full_mask_finds_the_part_left_painted(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    editor.commands.fill.trigger()
    editor.set_tool("eraser")
    stroke(editor.canvas, [(100, 100), (200, 100)])
    editor.commands.invert.trigger()
    left, top, right, bottom = editor.mask_bounds()
    assert 88 <= left <= 91 and 88 <= top <= 91 and 209 <= right <= 212 and 109 <= bottom <= 112


# -- zoom and pan --------------------------------------------------------------------------------------


def test_zoom_shortcuts_and_painting_lands_on_the_same_picture_pixels_at_any_zoom(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    canvas = editor.canvas
    fitted = canvas.zoom()
    key(editor, Qt.Key.Key_Equal, CTRL)
    assert canvas.zoom() == pytest.approx(fitted * 1.25)
    key(editor, Qt.Key.Key_1, CTRL)
    assert canvas.zoom() == 1.0 and editor.zoom_label.text() == "100%"
    key(editor, Qt.Key.Key_Equal, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)
    assert canvas.zoom() == pytest.approx(1.25 ** 3)
    editor.set_brush_size(6)
    target = (210, 160)
    assert canvas.rect().contains(on_canvas(canvas, *target))
    stroke(canvas, [target])
    mask = editor.mask_image()
    assert level(mask, *target) == 255
    assert level(mask, target[0] + 5, target[1]) == 0
    key(editor, Qt.Key.Key_Minus, CTRL)
    assert canvas.zoom() == pytest.approx(1.25 ** 2)
    key(editor, Qt.Key.Key_0, CTRL)
    assert canvas.is_fitted() and canvas.zoom() == pytest.approx(fitted)


def test_ctrl_wheel_zooms_about_the_pointer(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    canvas = editor.canvas
    pointer = on_canvas(canvas, 300, 220)
    before = canvas.to_picture(QPointF(pointer))
    for _ in range(3):
        QApplication.sendEvent(canvas, QWheelEvent(QPointF(pointer), canvas.mapToGlobal(QPointF(pointer)), QPoint(),
                                                   QPoint(0, 120), Qt.MouseButton.NoButton, CTRL,
                                                   Qt.ScrollPhase.NoScrollPhase, False))
    assert canvas.zoom() > 3.0
    after = canvas.to_picture(QPointF(pointer))
    assert after.x() == pytest.approx(before.x(), abs=0.5) and after.y() == pytest.approx(before.y(), abs=0.5)


def test_space_drag_middle_drag_and_the_hand_pan_without_painting(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    canvas = editor.canvas
    key(editor, Qt.Key.Key_1, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)
    key(editor, Qt.Key.Key_Equal, CTRL)  # 244%: the picture is larger than the view
    centre = centre_of(canvas).toPoint()
    seen = canvas.to_picture(QPointF(centre))

    QTest.keyPress(canvas, Qt.Key.Key_Space)
    drag(canvas, [centre, centre + QPoint(-40, 0), centre + QPoint(-80, -30)])
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    moved = canvas.to_picture(QPointF(centre))
    assert moved.x() == pytest.approx(seen.x() + 80 / canvas.zoom(), abs=0.5)
    assert moved.y() == pytest.approx(seen.y() + 30 / canvas.zoom(), abs=0.5)

    drag(canvas, [centre, centre + QPoint(50, 0)], Qt.MouseButton.MiddleButton)
    assert canvas.to_picture(QPointF(centre)).x() == pytest.approx(moved.x() - 50 / canvas.zoom(), abs=0.5)

    key(editor, Qt.Key.Key_H)
    drag(canvas, [centre, centre + QPoint(0, 60)])
    assert not editor.has_paint()  # three drags, all pans
    key(editor, Qt.Key.Key_H)
    stroke(canvas, [(seen.x(), seen.y())])  # painting lands where the picture now is
    assert level(editor.mask_image(), round(seen.x()), round(seen.y())) == 255


# -- mode and crop box ---------------------------------------------------------------------------------


def test_the_crop_box_rule_is_asked_as_the_mask_changes_and_outlined_in_local_edit_mode(
        qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    asked: list[tuple] = []

    def rule(bounds, size):
        asked.append((bounds, size))
        left, top, right, bottom = bounds
        return (max(0, left - 16), max(0, top - 16), min(size[0], right + 16), min(size[1], bottom + 16))

    editor.set_crop_box_rule(rule)
    stroke(editor.canvas, [(100, 100), (140, 100)])
    assert editor.crop_box() is None and editor.canvas.crop_box_shown() is None  # Fill mode: no crop
    with qtbot.waitSignal(editor.modeChanged) as changed:
        editor.mode_combo.setFocus()
        QTest.keyClick(editor.mode_combo, Qt.Key.Key_Down)
    assert changed.args == [LOCAL_EDIT] and editor.mode() == LOCAL_EDIT
    left, top, right, bottom = editor.mask_bounds()
    assert asked[-1] == ((left, top, right, bottom), (400, 300))
    box = editor.crop_box()
    assert box == (left - 16, top - 16, right + 16, bottom + 16)
    shown = editor.canvas.crop_box_shown()
    assert (shown.left(), shown.top(), shown.right() + 1, shown.bottom() + 1) == box
    assert editor.status_label.text() == f"Sends a {box[2] - box[0]}×{box[3] - box[1]} crop of the 400×300 image"

    editor.repaint()
    grabbed = editor.canvas.grab().toImage()
    edge = editor.canvas.to_canvas(rect_of(box)).toAlignedRect()
    on_outline = QColor(grabbed.pixel(edge.left(), edge.center().y()))
    assert on_outline.lightness() < 40 or on_outline.lightness() > 230  # the black-and-white outline, not the grey

    calls = len(asked)
    stroke(editor.canvas, [(300, 250), (330, 250)])  # the mask grows: the rule is asked again, the box follows
    assert len(asked) > calls
    assert editor.crop_box()[2] == min(400, editor.mask_bounds()[2] + 16)
    editor.set_mode("Fill")
    assert editor.canvas.crop_box_shown() is None


def rect_of(box: tuple[int, int, int, int]) -> QRectF:
    return QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])


def test_an_unknown_mode_is_refused(editor: MaskEditor) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        editor.set_mode("Inpaint")


# -- files ---------------------------------------------------------------------------------------------


def test_a_real_file_is_read_off_the_gui_thread_with_its_orientation(qtbot, editor: MaskEditor,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 320×200, shown turned a quarter: 200×320
    Image.new("RGB", (320, 200), (200, 120, 40)).save(path, exif=exif)
    with qtbot.waitSignal(editor.imageLoaded, timeout=10_000) as done:
        editor.load_image(path)
        assert editor.send_blocker() == "The image is still opening"
        assert editor.message() == "Opening portrait.jpg…"
    assert done.args == [200, 320]
    assert editor.image_size() == (200, 320)
    assert editor.mask_image().size().toTuple() == (200, 320)
    assert editor.message() == ""


@pytest.mark.parametrize(("name", "content", "words"), [
    ("broken.png", b"\x89PNG\r\n\x1a\n this is not the rest of a PNG", "broken.png cannot be opened"),
    ("notes.txt", b"a shopping list", "notes.txt cannot be opened: it is not an image FluxDesk can read"),
    ("gone.png", None, "gone.png is missing"),
])
def test_a_broken_missing_or_foreign_file_is_said_in_words_and_nothing_breaks(
        qtbot, editor: MaskEditor, tmp_path: Path, name: str, content: bytes | None, words: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with qtbot.waitSignal(editor.loadFailed, timeout=10_000) as failed:
        editor.load_image(path)
    assert words in failed.args[0]
    assert words in editor.message() and editor.send_blocker() == failed.args[0]
    assert editor.image_size() is None and not editor.has_paint()
    assert not editor.commands.fill.isEnabled()
    key(editor, Qt.Key.Key_F, SHIFT)  # the keys do nothing, and nothing fails
    drag(editor.canvas, [QPoint(100, 100), QPoint(200, 120)])
    assert not editor.has_paint()
    editor.repaint()


def test_without_an_image_send_says_so(editor: MaskEditor) -> None:
    assert editor.send_blocker() == "Open an image to paint on"
    assert editor.image_size() is None and editor.mask_bounds() is None and editor.crop_box() is None
    with pytest.raises(ValueError, match="no mask without an image"):
        editor.mask_png()


def test_a_new_image_starts_with_an_empty_mask_and_no_history(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(100, 100), (200, 100)])
    with qtbot.waitSignal(editor.maskChanged) as changed:
        editor.set_image(picture(640, 480))
    assert changed.args == [False]
    assert editor.mask_image().size().toTuple() == (640, 480)
    assert not editor.has_paint() and editor.undo_stack().count() == 0


def test_the_mask_png_is_grey_the_image_size_white_where_painted(qtbot, editor: MaskEditor) -> None:
    loaded(editor)
    stroke(editor.canvas, [(100, 100), (200, 100)])
    with Image.open(io.BytesIO(editor.mask_png())) as png:
        assert png.mode == "L" and png.size == (400, 300)
        assert png.getpixel((150, 100)) == 255 and png.getpixel((150, 200)) == 0


def test_the_veil_shows_where_the_mask_is_painted_in_both_themes(qtbot, editor: MaskEditor, restore_theme) -> None:
    loaded(editor)
    stroke(editor.canvas, [(100, 150), (300, 150)])
    for theme in ("light", "dark"):
        apply_theme(restore_theme, theme)
        image = editor.canvas.grab().toImage()
        painted = QColor(image.pixel(on_canvas(editor.canvas, 200, 150)))
        bare = QColor(image.pixel(on_canvas(editor.canvas, 200, 250)))
        assert bare.red() == bare.green() == bare.blue()  # the grey picture
        assert painted.red() > bare.red() + 40 and painted.green() < bare.green() - 40  # tinted rose


def test_the_screen_painted_piece_by_piece_during_strokes_is_what_a_full_repaint_draws(
        qtbot, editor: MaskEditor) -> None:
    """Each mouse move repaints only what it changed (dabs, the brush ring, the crop box's old and new outline):
    nothing is left stale on screen. Bilinear smoothing of other sub-rectangles may differ by a level or two."""
    editor.set_image(picture(1600, 1200))
    editor.set_crop_box_rule(lambda b, s: (max(0, b[0] - 64), max(0, b[1] - 64), min(s[0], b[2] + 64),
                                           min(s[1], b[3] + 64)))
    editor.set_mode(LOCAL_EDIT)
    canvas = editor.canvas
    for tool, y in (("brush", 500), ("brush", 700), ("eraser", 600)):
        editor.set_tool(tool)
        QTest.mousePress(canvas, LEFT, NONE, on_canvas(canvas, 300, y))
        for i in range(1, 40):
            QTest.mouseMove(canvas, on_canvas(canvas, 300 + i * 25, y + (i % 8) * 20))
            QApplication.processEvents()
        QTest.mouseRelease(canvas, LEFT, NONE, on_canvas(canvas, 1275, y))
        QApplication.processEvents()
    QTest.mouseMove(canvas, on_canvas(canvas, 1400, 1100))
    QApplication.processEvents()

    on_screen = QApplication.primaryScreen().grabWindow(editor.winId()).toImage()
    repainted = editor.grab().toImage()
    assert on_screen.size() == repainted.size()
    assert far_apart(on_screen, repainted) == 0


def far_apart(a: QImage, b: QImage, tolerance: int = 2) -> int:
    """How many colour channels of ``a`` and ``b`` differ by more than ``tolerance``."""
    from PySide6.QtGui import QPainter

    difference = a.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(difference)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Difference)
    painter.drawImage(0, 0, b.convertToFormat(QImage.Format.Format_RGB32))
    painter.end()
    rgb = difference.convertToFormat(QImage.Format.Format_RGB888)  # kept: its bits are read below
    channels = bytes(rgb.constBits())
    return len(channels) - channels.translate(bytes(1 if v > tolerance else 0 for v in range(256))).count(0)


def test_the_brush_outline_follows_the_pointer_at_the_brush_size_and_dashes_for_the_eraser(
        qtbot, editor: MaskEditor) -> None:
    import math

    canvas = loaded(editor).canvas  # a plain grey picture: lightness 128 wherever no outline is drawn
    at = on_canvas(canvas, 200, 150)

    def rays(radius: float) -> list[tuple[int, int]]:
        """On 72 rays from the pointer, the lightest and darkest pixel within 2 px of ``radius``."""
        shot = canvas.grab().toImage()
        out = []
        for k in range(72):
            c, s = math.cos(k * math.pi / 36), math.sin(k * math.pi / 36)
            seen = [QColor(shot.pixel(round(at.x() + r * c), round(at.y() + r * s))).lightness()
                    for r in (radius - 2, radius - 1, radius, radius + 1, radius + 2)]
            out.append((max(seen), min(seen)))
        return out

    def untouched(radius: float) -> bool:
        return all(light == dark == 128 for light, dark in rays(radius))

    for size in (40, 120):
        editor.set_brush_size(size)
        QTest.mouseMove(canvas, at)
        QApplication.processEvents()
        radius = size * canvas.zoom() / 2
        ring = rays(radius)
        # A light line on a dark one, all round (a ray may slip between a thin line's pixels).
        assert sum(dark < 110 for _light, dark in ring) >= 64 and sum(light > 140 for light, _dark in ring) >= 60
        assert untouched(radius + 6) and untouched(radius / 2)  # at the brush's size, and nowhere else
    editor.set_tool("eraser")
    QTest.mouseMove(canvas, at + QPoint(1, 0))
    QTest.mouseMove(canvas, at)
    QApplication.processEvents()
    lit = sum(light > 140 for light, _dark in rays(radius))
    assert 10 <= lit <= 50  # dashed: the light line has gaps
