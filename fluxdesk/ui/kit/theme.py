"""The app's look: Fusion with a light and a dark palette, and a few roles drawn from them.

There is no application stylesheet: one routes every widget through QStyleSheetStyle, which cost
~25 ms of the window's start-up (docs/performance.md). The roles are set in code instead:

- ``set_tone(label, "error" | "warning" | "success" | "info" | "muted" | "accent")``: coloured text,
  kept in step with the theme by ``apply_theme``.
- ``set_heading(label)``: a section title.
- ``fluxdesk.ui.kit.surfaces``: cards, message banners and the accent button, painted from ``colors()``.

Code that paints by hand takes its colours from ``error_color()`` and friends, which follow the
theme in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QStyleOptionComplex, QWidget

THEMES: tuple[str, ...] = ("system", "light", "dark")
TONES: tuple[str, ...] = ("error", "warning", "success", "info", "muted", "accent")

_THEME_PROPERTY = "fluxdeskTheme"
_DARK_PROPERTY = "fluxdeskDark"
_HOOKED_PROPERTY = "fluxdeskThemeHooked"
TONE_PROPERTY = "tone"
HEADING_PROPERTY = "heading"


@dataclass(frozen=True)
class Colors:
    window: str
    base: str
    alternate: str
    card: str
    text: str
    muted: str
    button: str
    border: str
    disabled_text: str
    disabled_base: str
    highlight: str
    highlighted_text: str
    link: str
    tooltip_base: str
    tooltip_text: str
    accent: str
    accent_hover: str
    accent_pressed: str
    accent_text: str
    error: str
    warning: str
    success: str
    info: str
    control_outline: str
    """The edge of check boxes, radio buttons and text fields: at least 3:1 against window, base and card."""


LIGHT = Colors(
    window="#eef0f3", base="#ffffff", alternate="#f5f6f8", card="#fbfbfc", text="#1b1d21",
    muted="#5a606b", button="#f7f8fa", border="#d3d7de", disabled_text="#9298a2",
    disabled_base="#f0f1f3", highlight="#4f46e5", highlighted_text="#ffffff", link="#3b4fd8",
    tooltip_base="#24262b", tooltip_text="#f2f3f5", accent="#4f46e5", accent_hover="#4338ca",
    accent_pressed="#3730a3", accent_text="#ffffff", error="#b42318", warning="#8f5a00",
    success="#17743a", info="#2456b0", control_outline="#6e7480",
)
DARK = Colors(
    window="#1b1c20", base="#212329", alternate="#272930", card="#23252a", text="#e7e8eb",
    muted="#a3a8b1", button="#2c2e34", border="#3b3e46", disabled_text="#6c717b",
    disabled_base="#1d1e22", highlight="#5b55e8", highlighted_text="#ffffff", link="#8ea2ff",
    tooltip_base="#e7e8eb", tooltip_text="#1b1c20", accent="#5b55e8", accent_hover="#6b66f0",
    accent_pressed="#4a44d0", accent_text="#ffffff", error="#ff8f85", warning="#f2b84b",
    success="#63d48f", info="#8fb6ff", control_outline="#767b85",
)


def resolve_theme(theme: str, scheme: Qt.ColorScheme | None = None) -> Literal["light", "dark"]:
    """``"system"`` becomes light or dark from the platform's colour scheme (light when unknown)."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
    if theme != "system":
        return "dark" if theme == "dark" else "light"
    if scheme is None:
        scheme = _platform_scheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def _platform_scheme() -> Qt.ColorScheme:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown


def apply_theme(app: QApplication, theme: str) -> None:
    """Style ``app`` as ``"system"``, ``"light"`` or ``"dark"``; ``"system"`` keeps following the OS."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
    app.setProperty(_THEME_PROPERTY, theme)
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):
        # Tells the platform (window decorations, native dialogs) which scheme we draw; Unknown
        # hands it back to the OS so colorScheme() reports the system's choice again.
        wanted = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(theme, Qt.ColorScheme.Unknown)
        hints.setColorScheme(wanted)
    dark = resolve_theme(theme) == "dark"
    chosen = DARK if dark else LIGHT
    app.setProperty(_DARK_PROPERTY, dark)
    if not isinstance(app.style(), FluxStyle):
        app.setStyle(FluxStyle())
    app.setPalette(build_palette(chosen))
    # Qt posts the change to the widgets; delivered now, the whole app has switched when this returns.
    QApplication.sendPostedEvents(None, QEvent.Type.ApplicationPaletteChange)
    for widget in QApplication.allWidgets():
        if widget.property(TONE_PROPERTY):
            _apply_tone(widget)
    if not app.property(_HOOKED_PROPERTY) and hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda _scheme: _follow_system(app))
        app.setProperty(_HOOKED_PROPERTY, True)


def _follow_system(app: QApplication) -> None:
    if app.property(_THEME_PROPERTY) != "system":
        return
    dark = resolve_theme("system") == "dark"
    if bool(app.property(_DARK_PROPERTY)) != dark:
        apply_theme(app, "system")


def current_theme() -> str | None:
    """The theme last given to ``apply_theme`` (``None`` before the first call)."""
    app = QApplication.instance()
    value = app.property(_THEME_PROPERTY) if app is not None else None
    return value if isinstance(value, str) else None


def is_dark() -> bool:
    """Whether the app draws dark: from ``apply_theme``, else from the palette in use."""
    app = QApplication.instance()
    if app is None:
        return False
    flag = app.property(_DARK_PROPERTY)
    if isinstance(flag, bool):
        return flag
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def colors() -> Colors:
    """The colour set of the theme in use."""
    return DARK if is_dark() else LIGHT


def error_color() -> QColor:
    return QColor(colors().error)


def warning_color() -> QColor:
    return QColor(colors().warning)


def success_color() -> QColor:
    return QColor(colors().success)



def accent_color() -> QColor:
    return QColor(colors().accent)


def muted_color() -> QColor:
    return QColor(colors().muted)


def tone_color(tone: str) -> QColor:
    """The colour of a ``tone`` property value: error, warning, success, info, muted or accent."""
    if tone not in TONES:
        raise ValueError(f"unknown tone {tone!r}; choose one of {', '.join(TONES)}")
    return QColor(getattr(colors(), tone))


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


_OUTLINE_FACTOR = {
    QStyle.PrimitiveElement.PE_IndicatorCheckBox: (140, 110),
    QStyle.PrimitiveElement.PE_IndicatorRadioButton: (150, 100),
    QStyle.PrimitiveElement.PE_FrameLineEdit: (140, 100),
}
"""How Fusion derives each element's edge from Window: ``window.darker(a).lighter(b)``."""
_OUTLINED_COMPLEX = (QStyle.ComplexControl.CC_SpinBox,)


class FluxStyle(QProxyStyle):
    """Fusion, with check boxes, radio buttons and text fields edged in ``control_outline``.

    Fusion draws those edges as the Window colour darkened, which on the dark palette is a black line
    on near-black: invisible. Each such element is handed a palette whose Window colour darkens to the
    outline colour; nothing else in those elements reads Window.
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def name(self) -> str:
        return "fusion"

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        factors = _OUTLINE_FACTOR.get(element)
        super().drawPrimitive(element, _outlined(option, *factors) if factors else option, painter, widget)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: QStyleOptionComplex, painter: QPainter,
                           widget: QWidget | None = None) -> None:
        outlined = control in _OUTLINED_COMPLEX
        super().drawComplexControl(control, _outlined(option, 140) if outlined else option, painter, widget)


_Option = TypeVar("_Option", bound=QStyleOption)


def _outlined(option: _Option, darker: int, lighter: int = 100) -> _Option:
    """A copy of ``option`` whose Window colour Fusion turns into ``control_outline`` (see ``_OUTLINE_FACTOR``)."""
    copy = type(option)(option)
    palette = QPalette(option.palette)
    window = QColor(colors().control_outline).darker(lighter).lighter(darker)
    palette.setColor(QPalette.ColorRole.Window, window)
    copy.palette = palette
    return copy


def build_palette(c: Colors) -> QPalette:
    """A complete palette for Fusion, including the disabled group and the bevel shades."""
    R = QPalette.ColorRole
    G = QPalette.ColorGroup
    pal = QPalette()
    button = QColor(c.button)
    dark_scheme = QColor(c.window).lightness() < 128
    roles = {
        R.Window: c.window, R.WindowText: c.text, R.Base: c.base, R.AlternateBase: c.alternate,
        R.ToolTipBase: c.tooltip_base, R.ToolTipText: c.tooltip_text, R.PlaceholderText: c.muted,
        R.Text: c.text, R.Button: c.button, R.ButtonText: c.text, R.BrightText: "#ffffff",
        R.Highlight: c.highlight, R.HighlightedText: c.highlighted_text, R.Link: c.link,
        R.LinkVisited: c.link, R.Accent: c.accent,
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    # Fusion draws frames and bevels from these; derived so both schemes keep soft edges.
    pal.setColor(R.Light, button.lighter(115 if dark_scheme else 104))
    pal.setColor(R.Midlight, button.lighter(108 if dark_scheme else 102))
    pal.setColor(R.Mid, QColor(c.border))
    pal.setColor(R.Dark, QColor(c.border).darker(125 if dark_scheme else 115))
    pal.setColor(R.Shadow, QColor("#000000") if dark_scheme else QColor("#9aa0a8"))
    for role in (R.WindowText, R.Text, R.ButtonText, R.PlaceholderText):
        pal.setColor(G.Disabled, role, QColor(c.disabled_text))
    pal.setColor(G.Disabled, R.Base, QColor(c.disabled_base))
    pal.setColor(G.Disabled, R.Button, QColor(c.disabled_base))
    pal.setColor(G.Disabled, R.Highlight, QColor(c.border))
    pal.setColor(G.Disabled, R.HighlightedText, QColor(c.disabled_text))
    return pal


def set_tone(widget: QWidget, tone: str | None) -> None:
    """Colour ``widget``'s text as one of ``TONES`` (``None``: plain); ``apply_theme`` keeps it in step."""
    if tone is not None and tone not in TONES:
        raise ValueError(f"unknown tone {tone!r}; choose one of {', '.join(TONES)}")
    if widget.property(TONE_PROPERTY) == tone:
        return
    widget.setProperty(TONE_PROPERTY, tone)
    _apply_tone(widget)


def _apply_tone(widget: QWidget) -> None:
    # A palette with only the text roles set: every other role still comes from the parent.
    palette = QPalette()
    tone = widget.property(TONE_PROPERTY)
    if tone:
        color = tone_color(tone)
        palette.setColor(QPalette.ColorRole.WindowText, color)
        palette.setColor(QPalette.ColorRole.Text, color)
    widget.setPalette(palette)


def set_heading(label: QWidget) -> None:
    """Mark ``label`` as a section title: the text colour, semi-bold."""
    label.setProperty(HEADING_PROPERTY, True)
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
