"""The one label factory (object names for tests and styles, readable names for screen readers) and the one
form builder (label widths, insets, notes under their field, gaps)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QWidget

from fluxdesk.ui.kit.forms import LABEL_WIDTH, OUTLINE_MARGIN, WIDE_LABEL_WIDTH, Form, make_label


def test_a_label_keeps_its_object_name_apart_from_its_accessible_name(qtbot) -> None:
    label = make_label("…", name="keyResult", accessible="Key result")
    qtbot.addWidget(label)
    assert (label.objectName(), label.accessibleName()) == ("keyResult", "Key result")


def test_an_object_name_with_spaces_is_refused(qtbot) -> None:
    with pytest.raises(ValueError, match="no spaces"):
        make_label(name="Key result")


def test_heading_small_and_scale_change_the_font(qtbot) -> None:
    plain = make_label("text")
    heading = make_label("Title", heading=True, scale=1.6)
    small = make_label("note", small=True)
    for label in (plain, heading, small):
        qtbot.addWidget(label)
    base = plain.font().pointSizeF()
    assert heading.font().bold() and heading.font().pointSizeF() == pytest.approx(base * 1.6)
    assert small.font().pointSizeF() == pytest.approx(max(7.0, base * 0.9)) and not small.font().bold()
    assert isinstance(plain, QLabel) and plain.wordWrap()


# --- the one form builder ---------------------------------------------------------------------------


@pytest.fixture
def show(qtbot) -> Callable[..., QWidget]:
    """Puts a form on a page of ``width`` and shows it; the pages live as long as the test."""
    pages: list[QWidget] = []

    def shown(form: Form, width: int = 420) -> QWidget:
        page = QWidget()
        qtbot.addWidget(page)
        pages.append(page)
        page.setLayout(form)
        page.resize(width, 600)
        page.show()
        qtbot.waitExposed(page)
        return page

    return shown


def _label_of(form: Form, field: QWidget) -> QLabel:
    label = form.labelForField(field)
    assert isinstance(label, QLabel)
    return label


def test_a_form_gives_its_labels_the_width_it_is_made_with(show) -> None:
    narrow, wide = Form(), Form(WIDE_LABEL_WIDTH)
    fields = [QComboBox(), QComboBox()]
    placed = [form.add_row("Theme", field, pad=False) for form, field in zip((narrow, wide), fields, strict=True)]
    show(narrow)
    show(wide)
    assert _label_of(narrow, placed[0]).width() == LABEL_WIDTH
    assert _label_of(wide, placed[1]).width() == WIDE_LABEL_WIDTH
    assert fields[1].x() - fields[0].x() == WIDE_LABEL_WIDTH - LABEL_WIDTH


def test_a_label_wider_than_the_column_is_not_cut(show) -> None:
    form = Form(label_width=0)
    field = form.add_row("A rather long label for a form", QComboBox(), pad=False)
    show(form)
    label = _label_of(form, field)
    assert label.width() >= label.sizeHint().width()
    assert field.x() >= label.x() + label.sizeHint().width()


def test_a_field_is_inset_like_an_error_slot_unless_told_not_to(show) -> None:
    form = Form()
    combo, spin = QComboBox(), QDoubleSpinBox()
    padded = form.add_row("Padded", combo)
    bare = form.add_row("Bare", spin, pad=False)
    show(form)
    assert padded is not combo and padded.focusProxy() is combo and bare is spin
    assert combo.mapTo(padded, QPoint(0, 0)).x() == OUTLINE_MARGIN
    assert _label_of(form, padded).buddy() is padded and _label_of(form, bare).buddy() is spin


def test_a_row_without_a_label_spans_the_form(show) -> None:
    form = Form()
    note = make_label("All the width")
    placed = form.add_row(None, note, pad=False)
    show(form)
    assert form.labelForField(placed) is None and note.x() == 0


def test_notes_under_a_field_are_as_tall_as_their_text_at_the_width_they_get(qtbot, show) -> None:
    form = Form(WIDE_LABEL_WIDTH, spacing=(12, 3))
    notes = [make_label("A note under the field, long enough to wrap onto a second line or a third. " * 2)
             for _ in range(2)]
    field = form.add_row("Region", QComboBox(), *notes, pad=False)
    page = show(form)
    for width in (420, 300, 700):
        page.resize(width, 600)
        qtbot.waitUntil(lambda width=width: page.width() == width)
        QApplication.processEvents()
        for note in notes:
            assert note.height() == note.heightForWidth(note.width()), width
        assert note_top(notes[0]) == field.geometry().bottom() + 1 + 3
        assert note_top(notes[1]) == note_top(notes[0]) + notes[0].height() + 3
        assert notes[0].mapTo(page, QPoint(0, 0)).x() == field.x()


def note_top(note: QWidget) -> int:
    return note.mapTo(note.window(), QPoint(0, 0)).y()


def test_a_gap_sets_one_setting_apart_from_the_next(show) -> None:
    form = Form(spacing=(12, 3), gap=6)
    note = make_label("A note")
    first = form.add_row("First", QComboBox(), note, pad=False)
    second = form.add_row("Second", QComboBox(), pad=False)
    third = form.add_row("Third", QComboBox(), pad=False)
    show(form)
    assert note_top(second) - (note_top(note) + note.height()) == 3 + 6
    assert third.y() - second.geometry().bottom() - 1 == 3 + 6
    assert note_top(note) == first.geometry().bottom() + 1 + 3


def test_a_gap_narrower_than_the_spacing_is_refused() -> None:
    with pytest.raises(ValueError, match="less than the room down"):
        Form(spacing=(8, 6), gap=3)


def test_a_field_width_caps_combos_and_spin_boxes_only(show) -> None:
    form = Form(field_width=300)
    combo, spin, edit = QComboBox(), QDoubleSpinBox(), QLineEdit()
    for label, field in (("Combo", combo), ("Spin", spin), ("Edit", edit)):
        form.add_row(label, field, pad=False)
    show(form, width=800)
    assert combo.width() == spin.width() == 300
    assert edit.width() > 300


def test_beside_text_the_label_lines_up_with_its_first_line(show) -> None:
    form = Form()
    text = make_label("Several lines of text. " * 20)
    control = QComboBox()
    form.add_row("Text", text, pad=False)
    form.add_row("Control", control, pad=False)
    show(form, width=300)
    assert _label_of(form, text).alignment() & Qt.AlignmentFlag.AlignTop
    assert _label_of(form, control).alignment() & Qt.AlignmentFlag.AlignVCenter
