"""The one label factory: object names for tests and styles, readable names for screen readers."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from fluxdesk.ui.kit.forms import make_label


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
