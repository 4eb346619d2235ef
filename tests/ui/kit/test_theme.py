"""The theme: Fusion with readable light and dark palettes, accents, and "system" following the OS."""

from __future__ import annotations

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)
from window_support import WAIT_MS, ready

from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.theme import DARK, LIGHT, apply_theme, contrast_ratio, resolve_theme
from fluxdesk.ui.main_window import MainWindow

R = QPalette.ColorRole
G = QPalette.ColorGroup
COMPARED_ROLES = (R.Window, R.WindowText, R.Base, R.AlternateBase, R.Text, R.Button, R.ButtonText, R.Highlight,
                  R.HighlightedText, R.PlaceholderText, R.Mid, R.Light, R.Dark)


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


# --- a live switch looks like a fresh start ---------------------------------------------------------


def opened(qtbot, window: MainWindow) -> MainWindow:
    """``window`` at 1280 × 800 with every tab built, as a user opening each one, and the Spend tab read."""
    window.resize(1280, 800)
    ready(qtbot, window)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
    spend = window.spend_tab.widget
    qtbot.waitUntil(lambda: spend.snapshot() is not None and not spend.is_loading(), timeout=WAIT_MS)
    window.tabs.setCurrentIndex(0)
    return window


def theme_action(window: MainWindow, name: str) -> QAction:
    view = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    themes = next(a.menu() for a in view.actions() if a.text().replace("&", "") == "Theme")
    return next(a for a in themes.actions() if a.text().replace("&", "").lower() == name)


def looks(root: QWidget) -> dict[str, tuple]:
    """Every widget's palette (both colour groups), stylesheet and, for charts, the chart's colours."""
    out: dict[str, tuple] = {}

    def walk(widget: QWidget, path: str) -> None:
        palette = widget.palette()
        colours = tuple(palette.color(group, role).name(QColor.NameFormat.HexArgb)
                        for group in (G.Active, G.Disabled) for role in COMPARED_ROLES)
        chart = ()
        if isinstance(widget, QChartView):
            c = widget.chart()
            chart = (c.backgroundBrush().color().name(), c.titleBrush().color().name(),
                     c.legend().labelColor().name(), *(a.labelsBrush().color().name() for a in c.axes()))
        out[path] = (colours, widget.styleSheet(), chart)
        seen: dict[str, int] = {}
        for child in widget.children():
            if isinstance(child, QWidget) and not child.isWindow():
                key = f"{type(child).__name__}:{child.objectName()}"
                seen[key] = seen.get(key, 0) + 1
                walk(child, f"{path}/{key}[{seen[key]}]")

    walk(root, "window")
    return out


@pytest.mark.parametrize(("start", "switch_to"), [("light", "dark"), ("dark", "light")])
def test_a_live_theme_switch_looks_like_a_fresh_start(qtbot, restore_theme: QApplication,
                                                      make_window, start: str, switch_to: str) -> None:
    apply_theme(restore_theme, start)
    switched = opened(qtbot, make_window())
    theme_action(switched, switch_to).trigger()
    assert theme.current_theme() == switch_to and theme_action(switched, switch_to).isChecked()
    fresh = opened(qtbot, make_window())
    before, after = looks(switched), looks(fresh)
    assert before.keys() == after.keys()
    different = [path for path in before if before[path] != after[path]]
    assert not different, different[:5]
    by_model = switched.spend_tab.widget.by_model_view
    header = by_model.horizontalHeader().palette()
    colors = DARK if switch_to == "dark" else LIGHT
    assert (header.color(R.Button), header.color(R.ButtonText)) == (QColor(colors.button), QColor(colors.text))


# --- control outlines -------------------------------------------------------------------------------


def _edge_contrast(image: QImage, points: list[QPoint], background: QColor) -> float:
    return max(contrast_ratio(QColor(image.pixel(p)), background) for p in points)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_check_boxes_radio_buttons_and_fields_have_visible_outlines(restore_theme: QApplication, qtbot,
                                                                    name: str) -> None:
    apply_theme(restore_theme, name)
    colors = DARK if name == "dark" else LIGHT
    for background in (colors.window, colors.base, colors.card):
        assert contrast_ratio(QColor(colors.control_outline), QColor(background)) >= 3, background
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    check, radio, field = QCheckBox("Include demo jobs"), QRadioButton("Typed price"), QLineEdit("100")
    for widget in (check, radio, field):
        layout.addWidget(widget)
    page.show()
    qtbot.waitExposed(page)
    window = QColor(colors.window)
    for button, element in ((check, QStyle.SubElement.SE_CheckBoxIndicator),
                            (radio, QStyle.SubElement.SE_RadioButtonIndicator)):
        option = QStyleOptionButton()
        button.initStyleOption(option)
        box = button.style().subElementRect(element, option, button)
        image = button.grab().toImage()
        middle = box.center().y()
        left_edge = [QPoint(x, middle) for x in range(box.left(), box.left() + 3)]
        assert _edge_contrast(image, left_edge, window) >= 3, type(button).__name__
    image = field.grab().toImage()
    assert _edge_contrast(image, [QPoint(x, field.height() // 2) for x in range(3)], window) >= 3
