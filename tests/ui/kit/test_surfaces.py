"""Cards, banners and the accent button paint themselves from the theme in use (no stylesheet)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

from fluxdesk.ui.kit.surfaces import AccentButton, Banner, Card, TitledCard
from fluxdesk.ui.kit.theme import DARK, LIGHT, apply_theme


def _pixel(widget: QWidget, x: int, y: int) -> QColor:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return image.pixelColor(x, y)


def _close(a: QColor, b: QColor, tolerance: int = 3) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def _blend(color: str, alpha: float, under: str) -> QColor:
    top, base = QColor(color), QColor(under)
    mix = [round(alpha * t + (1 - alpha) * u) for t, u in
           zip(top.getRgb()[:3], base.getRgb()[:3], strict=True)]
    return QColor(*mix)


@pytest.mark.parametrize(("name", "colors"), [("light", LIGHT), ("dark", DARK)])
def test_a_card_fills_with_the_card_colour_inside_its_border(restore_theme: QApplication, qtbot,
                                                            name: str, colors) -> None:
    apply_theme(restore_theme, name)
    card = Card()
    qtbot.addWidget(card)
    card.resize(120, 60)
    assert _close(_pixel(card, 60, 30), QColor(colors.card))
    assert _close(_pixel(card, 60, 0), QColor(colors.border), tolerance=40)


def test_a_banner_is_tinted_by_its_kind_and_refuses_unknown_kinds(restore_theme: QApplication, qtbot) -> None:
    apply_theme(restore_theme, "light")
    holder = QWidget()
    qtbot.addWidget(holder)
    banner = Banner("warning", holder)
    banner.resize(120, 40)
    holder.resize(120, 40)
    assert banner.kind() == "warning"
    assert _close(_pixel(holder, 60, 20), _blend(LIGHT.warning, 0.14, LIGHT.window), tolerance=4)
    banner.set_kind("error")
    assert _close(_pixel(holder, 60, 20), _blend(LIGHT.error, 0.12, LIGHT.window), tolerance=4)
    with pytest.raises(ValueError, match="unknown message kind"):
        banner.set_kind("shout")


def test_the_accent_button_follows_its_state_and_the_theme(restore_theme: QApplication, qtbot) -> None:
    apply_theme(restore_theme, "light")
    button = AccentButton("Generate · $0.04")
    qtbot.addWidget(button)
    button.resize(button.sizeHint())
    edge = (6, button.height() // 2)  # inside the rounded corner, left of the text
    assert _close(_pixel(button, *edge), QColor(LIGHT.accent))
    button.setEnabled(False)
    assert _close(_pixel(button, *edge), QColor(LIGHT.disabled_base))
    button.setEnabled(True)
    apply_theme(restore_theme, "dark")
    assert _close(_pixel(button, *edge), QColor(DARK.accent))


def test_the_accent_button_asks_room_for_its_text_and_padding(qtbot) -> None:
    button = AccentButton("Continue to FluxDesk")
    qtbot.addWidget(button)
    hint = button.sizeHint()
    metrics = button.fontMetrics()
    assert hint.width() >= metrics.horizontalAdvance(button.text()) + 2 * AccentButton.PADDING.width()
    assert hint.height() >= metrics.height() + 2 * AccentButton.PADDING.height()
    squeezed = button.minimumSizeHint()  # the padding gives way before the text
    assert metrics.horizontalAdvance(button.text()) < squeezed.width() < hint.width()
    assert squeezed.height() == hint.height()


def test_a_titled_card_names_itself_after_its_title(qtbot) -> None:
    card = TitledCard("By model", "byModelCard")
    qtbot.addWidget(card)
    assert (card.objectName(), card.title_label.objectName()) == ("byModelCard", "byModelCardTitle")
    card.set_title("March 2026")
    assert card.title_label.text() == card.accessibleName() == "March 2026"
    assert card.body.contentsMargins().left() == TitledCard.MARGINS[0] and card.body.spacing() == TitledCard.SPACING
