"""The theme: Fusion with readable light and dark palettes, accents, and "system" following the OS."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from fluxdesk.ui import theme
from fluxdesk.ui.theme import DARK, LIGHT, apply_theme, contrast_ratio, resolve_theme

R = QPalette.ColorRole


@pytest.mark.parametrize("name", ["light", "dark"])
def test_apply_theme_sets_fusion_and_a_palette_without_a_stylesheet(restore_theme: QApplication,
                                                                   name: str) -> None:
    app = restore_theme
    app.setStyle("Windows")
    apply_theme(app, name)
    colors = DARK if name == "dark" else LIGHT
    palette = app.palette()
    assert palette.color(R.Window) == QColor(colors.window)
    assert (palette.color(R.Window).lightness() < 80) == (name == "dark")
    assert theme.is_dark() == (name == "dark") and theme.current_theme() == name
    assert palette.color(QPalette.ColorGroup.Disabled, R.Text) != palette.color(R.Text)
    # An application stylesheet would route every widget through QStyleSheetStyle (slow to start).
    assert app.styleSheet() == "" and app.style().name() == "fusion"


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_text_and_accents_are_readable(colors: theme.Colors) -> None:
    palette = theme.build_palette(colors)
    assert contrast_ratio(palette.color(R.Text), palette.color(R.Base)) >= 7
    assert contrast_ratio(palette.color(R.WindowText), palette.color(R.Window)) >= 7
    assert contrast_ratio(palette.color(R.ToolTipText), palette.color(R.ToolTipBase)) >= 7
    for background in (colors.card, colors.base, colors.window):
        for tone in (colors.error, colors.warning, colors.muted, colors.success, colors.info):
            assert contrast_ratio(QColor(tone), QColor(background)) >= 4.5, (tone, background)
    assert contrast_ratio(QColor(colors.accent_text), QColor(colors.accent)) >= 4.5
    assert contrast_ratio(QColor(colors.highlighted_text), QColor(colors.highlight)) >= 4.5


def test_colour_helpers_follow_the_theme(restore_theme: QApplication) -> None:
    apply_theme(restore_theme, "light")
    light = (theme.error_color(), theme.warning_color(), theme.accent_color())
    apply_theme(restore_theme, "dark")
    dark = (theme.error_color(), theme.warning_color(), theme.accent_color())
    assert light == (QColor(LIGHT.error), QColor(LIGHT.warning), QColor(LIGHT.accent))
    assert dark == (QColor(DARK.error), QColor(DARK.warning), QColor(DARK.accent))
    assert theme.tone_color("muted") == QColor(DARK.muted)
    with pytest.raises(ValueError):
        theme.tone_color("loud")


@pytest.mark.parametrize(("scheme", "expected"), [(Qt.ColorScheme.Dark, "dark"), (Qt.ColorScheme.Light, "light"),
                                                   (Qt.ColorScheme.Unknown, "light")])
def test_system_follows_the_platform_colour_scheme(scheme: Qt.ColorScheme, expected: str) -> None:
    assert resolve_theme("system", scheme) == expected
    assert resolve_theme("dark", Qt.ColorScheme.Light) == "dark"


def test_system_theme_applies_what_the_platform_reports(restore_theme: QApplication) -> None:
    apply_theme(restore_theme, "dark")
    apply_theme(restore_theme, "system")
    platform_dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    assert theme.current_theme() == "system"
    assert theme.is_dark() == platform_dark
    assert (restore_theme.palette().color(R.Window) == QColor(DARK.window)) == platform_dark


def test_system_theme_follows_a_change_of_the_platform_scheme(restore_theme: QApplication, monkeypatch) -> None:
    apply_theme(restore_theme, "system")
    monkeypatch.setattr(theme, "_platform_scheme", lambda: Qt.ColorScheme.Dark)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.is_dark() and restore_theme.palette().color(R.Window) == QColor(DARK.window)
    apply_theme(restore_theme, "light")  # an explicit choice stops following
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not theme.is_dark()


def test_unknown_theme_is_refused(restore_theme: QApplication) -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        apply_theme(restore_theme, "sepia")
    with pytest.raises(ValueError):
        resolve_theme("blue")


def test_a_tone_colours_the_text_and_follows_the_theme(restore_theme: QApplication, qtbot) -> None:
    apply_theme(restore_theme, "light")
    label = QLabel("Not enough credits")
    qtbot.addWidget(label)
    theme.set_tone(label, "warning")
    assert label.property("tone") == "warning"
    assert label.palette().color(R.WindowText) == QColor(LIGHT.warning)
    assert label.palette().color(R.Window) == QColor(LIGHT.window)  # only the text roles are its own
    apply_theme(restore_theme, "dark")
    assert label.palette().color(R.WindowText) == QColor(DARK.warning)
    theme.set_tone(label, None)
    assert label.palette().color(R.WindowText) == QColor(DARK.text)
    with pytest.raises(ValueError, match="unknown tone"):
        theme.set_tone(label, "loud")


def test_a_heading_is_semi_bold(qtbot) -> None:
    label = QLabel("Latest images")
    qtbot.addWidget(label)
    theme.set_heading(label)
    assert label.property("heading") is True
    assert label.font().weight() == QFont.Weight.DemiBold
