"""The Break-even tab in the real window: its defaults from the demo library's ledger, its inputs kept across a
restart, and nothing clipped at 1280 × 800 or 1920 × 1080."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QComboBox, QLabel, QScrollArea, QStyle, QStyleOptionComboBox
from window_support import WAIT_MS, ctrl_enter, ready

from fluxdesk.storage.settings import BreakEvenSettings, load_settings
from fluxdesk.ui.breakeven.tab import BreakEvenTab
from fluxdesk.ui.main_window import MainWindow


def open_tab(qtbot, window: MainWindow) -> BreakEvenTab:
    window.tabs.setCurrentIndex(next(i for i in range(window.tabs.count())
                                     if window.tabs.tabText(i) == "Break-even"))
    tab = window.breakeven_tab.widget
    assert isinstance(tab, BreakEvenTab)
    qtbot.waitUntil(lambda: tab.panel.usage() is not None, timeout=WAIT_MS)  # the tab's own read of the ledger
    return tab


def pick(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def test_the_defaults_come_from_the_ledger(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-klein-4b")
    window.panel.load_settings({"width": 1024, "height": 768})
    for n in range(2):
        with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
            ctrl_enter(qtbot, window, f"a lighthouse at dusk, take {n}")
    tab = open_tab(qtbot, window)
    qtbot.waitUntil(lambda: bool(tab.panel.usage()), timeout=WAIT_MS)
    usage = tab.panel.usage()
    assert [(u.model, u.images, u.width, u.height) for u in usage] == [("flux-2-klein-4b", 2, 1024, 768)]
    panel = tab.panel
    assert panel.model_combo.currentData() == "flux-2-klein-4b"  # the model used most in the last 30 days
    assert (panel.width_spin.value(), panel.height_spin.value()) == (1024, 768)
    assert tab.volume() == 2 and panel.volume_note.text() == "Your last 30 days with FLUX.2 [klein] 4B"
    result = tab.result()
    assert result is not None and result.self_hostable and (result.width, result.height) == (1024, 768)

    # One more image: the tab reads the ledger again once the money is refreshed after the job.
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        ctrl_enter(qtbot, window, "a lighthouse at dawn")
    qtbot.waitUntil(lambda: tab.volume() == 3, timeout=WAIT_MS)


def test_the_inputs_persist_across_a_new_window(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    tab = open_tab(qtbot, window)
    panel = tab.panel
    pick(panel.model_combo, "flux-2-pro")
    pick(panel.model_combo, "flux-pro-1.1")  # the default for a new user, now the user's own choice
    pick(panel.provider_combo, "Replicate")
    pick(panel.gpu_combo, "H100 80 GB")
    panel.hourly_spin.setValue(2.25)
    panel.width_spin.setValue(1440)
    panel.steps_spin.setValue(40)
    panel.utilisation_spin.setValue(80)
    panel.overhead_spin.setValue(5000)
    panel.volume_spin.setValue(12_345)
    chosen = tab.settings()
    assert chosen == BreakEvenSettings(api_model="flux-pro-1.1", provider="Replicate", gpu="H100 80 GB",
                                       gpu_hourly=Decimal("2.25"), width=1440, height=768, steps=40, volume=12_345,
                                       overhead=Decimal(5000), utilisation=Decimal("0.8"))
    # Saved through the app's one settings writer a moment after the last change, without waiting for the exit.
    qtbot.waitUntil(lambda: load_settings(tmp_path).breakeven == chosen, timeout=WAIT_MS)

    pick(panel.mode_combo, "always-on")  # the last change: saved at exit even before its moment comes
    window.close()
    window.shutdown()
    assert load_settings(tmp_path).breakeven == BreakEvenSettings(**{**chosen.__dict__, "mode": "always-on"})

    again = ready(qtbot, make_window())
    tab = open_tab(qtbot, again)
    panel = tab.panel
    assert panel.model_combo.currentData() == "flux-pro-1.1"
    assert panel.provider_combo.currentData() == "Replicate"
    assert panel.gpu_combo.currentData() == "H100 80 GB" and panel.hourly_spin.value() == 2.25
    assert (panel.width_spin.value(), panel.height_spin.value(), panel.steps_spin.value()) == (1440, 768, 40)
    assert panel.utilisation_spin.value() == 80 and panel.overhead_spin.value() == 5000
    assert panel.mode_combo.currentData() == "always-on" and tab.volume() == 12_345
    assert tab.result().inputs.gpu_hourly == Decimal("2.25")

    tab.reset_action.trigger()  # one click puts the defaults back, and they are what is saved
    assert tab.settings() == BreakEvenSettings()
    assert panel.overhead_spin.value() == 3000 and panel.mode_combo.currentData() == "on-demand"
    qtbot.waitUntil(lambda: load_settings(tmp_path).breakeven == BreakEvenSettings(), timeout=WAIT_MS)


# --- at 1280 × 800 and 1920 × 1080 -------------------------------------------------------------------------


def combo_text_width(combo: QComboBox) -> int:
    """The width the closed combo box gives its text."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width()


@pytest.mark.parametrize(("size", "model", "mode"), [
    ((1280, 800), "flux-pro-1.1", "on-demand"), ((1280, 800), "flux-2-klein-4b", "always-on"),
    ((1280, 800), "flux-2-pro", "on-demand"), ((1920, 1080), "flux-kontext-max", "on-demand")])
def test_nothing_is_clipped(qtbot, make_window, size: tuple[int, int], model: str, mode: str) -> None:
    window = make_window()
    window.resize(*size)
    tab = open_tab(qtbot, ready(qtbot, window))
    panel = tab.panel
    pick(panel.model_combo, model)
    pick(panel.mode_combo, mode)
    panel.volume_spin.setValue(4)  # the table gets the user's row
    qtbot.wait(50)  # the layout settles

    for combo in (panel.model_combo, panel.provider_combo, panel.gpu_combo):
        longest = max(range(combo.count()), key=lambda i: combo.fontMetrics().horizontalAdvance(combo.itemText(i)))
        assert combo.fontMetrics().horizontalAdvance(combo.itemText(longest)) <= combo_text_width(combo), (
            combo.objectName(), combo.itemText(longest), combo.width())
    scroll = tab.findChild(QScrollArea, "breakEvenScroll")
    assert scroll.horizontalScrollBar().maximum() == 0  # nothing sticks out sideways
    for label in tab.findChildren(QLabel):
        if label.isVisibleTo(tab) and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), (label.objectName(), label.text())
    # The answer is on the first screen: the verdict card, whole, without scrolling.
    viewport = scroll.viewport()
    card = tab.verdict_label.parentWidget()
    top = card.mapTo(viewport, QPoint(0, 0)).y()
    assert top >= 0 and top + card.height() <= viewport.height(), (top, card.height(), viewport.height())
    if tab.result() is not None:
        legend = tab.chart_view.chart().legend()
        labels = [marker.label() for marker in legend.markers() if marker.isVisible()]
        assert labels[:4] == ["Overhead $3,000–$10,000 a month", "API",
                              f"Self-hosted ({mode.replace('-', ' ')})", "Your volume (4)"]
        scroll.ensureWidgetVisible(tab.chart_view)
        qtbot.wait(20)
        chart_top = tab.chart_view.mapTo(viewport, QPoint(0, 0)).y()
        assert chart_top >= 0 and chart_top + tab.chart_view.height() <= viewport.height() + 1
    right = window.width() - panel.mapTo(window, QPoint(panel.width(), 0)).x()
    assert right >= 12  # the inputs keep their distance from the window's right edge


def test_a_hand_edited_settings_file_keeps_its_good_inputs(qtbot, make_window, tmp_path: Path) -> None:
    """Each Break-even input is read on its own: a bad one is the default, the others stay."""
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "breakeven": {
        "api_model": "flux-2-klein-4b", "utilisation": "2", "mode": "sideways", "width": -5, "height": 1024,
        "overhead": "5000", "volume": "many", "gpu": "H100 80 GB", "seconds_per_image": "0", "provider": 7}}),
        encoding="utf-8")
    assert load_settings(tmp_path).breakeven == BreakEvenSettings(
        api_model="flux-2-klein-4b", height=1024, overhead=Decimal(5000), gpu="H100 80 GB")
    tab = open_tab(qtbot, ready(qtbot, make_window()))
    panel = tab.panel
    assert panel.model_combo.currentData() == "flux-2-klein-4b" and panel.gpu_combo.currentData() == "H100 80 GB"
    assert panel.speed_spin.value() == pytest.approx(0.57)  # the table's figure: a speed of 0 is not one
    assert panel.utilisation_spin.value() == 60 and panel.mode_combo.currentData() == "on-demand"
    assert panel.overhead_spin.value() == 5000 and panel.provider_combo.currentData() == "BFL"
    assert (panel.width_spin.value(), panel.height_spin.value()) == (1024, 1024)  # half a size is no size
