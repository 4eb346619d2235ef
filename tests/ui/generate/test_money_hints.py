"""The prompt panel's money hints: FLUX.2 bills at least one megapixel, and every started one after it."""

from __future__ import annotations

from decimal import Decimal

from panel_support import child, choose, shown
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSpinBox

from fluxdesk.ui.generate.panel import PromptPanel


def type_size(qtbot, panel: PromptPanel, width: int, height: int) -> None:
    """As a user: type each side, then leave the field (the panel snaps a side when it is left)."""
    for name, value in (("widthSpin", width), ("heightSpin", height)):
        spin = child(panel, QSpinBox, name)
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), str(value))
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)
    assert panel.current_request().width == width and panel.current_request().height == height


def hint_text(panel: PromptPanel) -> str:
    return child(panel, QLabel, "moneyHintLabel").text() if shown(panel, QLabel, "moneyHintLabel") else ""


def test_just_over_a_megapixel_says_what_it_costs_and_the_fix_is_one_click(qtbot, panel: PromptPanel) -> None:
    assert panel.model_id() == "flux-2-pro"
    assert hint_text(panel) == ""  # 1024 × 1024: nothing wasted
    type_size(qtbot, panel, 1040, 1024)
    assert hint_text(panel) == ("1.02 MP → billed as 2 MP; 1024 × 1024 is billed as 1 MP and saves $0.015 an "
                                "image.")
    before = panel.estimate()
    assert before is not None and before.usd_per_image == Decimal("0.045")
    fix = child(panel, QPushButton, "moneyHintFix")
    assert fix.isVisibleTo(panel) and fix.text() == "Use 1024 × 1024"
    qtbot.mouseClick(fix, Qt.MouseButton.LeftButton)
    request = panel.current_request()
    assert (request.width, request.height) == (1024, 1024)
    assert panel.estimate().usd_per_image == Decimal("0.03")
    assert hint_text(panel) == "" and not fix.isVisibleTo(panel)


def test_the_fix_keeps_the_ratio_under_the_boundary(qtbot, panel: PromptPanel) -> None:
    type_size(qtbot, panel, 2048, 1040)
    assert hint_text(panel).startswith("2.03 MP → billed as 3 MP; 2032 × 1024 is billed as 2 MP and saves $0.015")
    qtbot.mouseClick(child(panel, QPushButton, "moneyHintFix"), Qt.MouseButton.LeftButton)
    request = panel.current_request()
    assert (request.width, request.height) == (2032, 1024)
    assert panel.estimate().output_megapixels == 2
    # Well over a boundary (1.5 MP) is a size chosen on purpose: no hint.
    type_size(qtbot, panel, 1536, 1024)
    assert hint_text(panel) == ""


def test_under_a_megapixel_costs_a_whole_one(qtbot, panel: PromptPanel) -> None:
    type_size(qtbot, panel, 512, 512)
    assert hint_text(panel) == "FLUX.2 bills at least one megapixel: 512 × 512 costs what 1024 × 1024 costs."
    small = panel.estimate().usd_per_image
    fix = child(panel, QPushButton, "moneyHintFix")
    assert fix.text() == "Use 1024 × 1024, same price"
    qtbot.mouseClick(fix, Qt.MouseButton.LeftButton)
    assert (panel.current_request().width, panel.current_request().height) == (1024, 1024)
    assert panel.estimate().usd_per_image == small
    assert hint_text(panel) == ""


def test_flat_priced_models_get_no_hint(qtbot, panel: PromptPanel) -> None:
    type_size(qtbot, panel, 512, 512)
    assert hint_text(panel)
    combo = child(panel, QComboBox, "modelCombo")
    choose(combo, combo.findData("flux-pro-1.1"))  # $0.04 an image, whatever its size
    assert panel.model_id() == "flux-pro-1.1"
    assert hint_text(panel) == ""
    choose(combo, combo.findData("flux-2-klein-4b"))  # FLUX.2 again: billed by the megapixel
    request = panel.current_request()
    assert request.width * request.height < 0.9 * 1024 * 1024
    assert hint_text(panel).startswith("FLUX.2 bills at least one megapixel")
