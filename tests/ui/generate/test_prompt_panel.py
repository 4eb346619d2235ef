"""The prompt panel: controls that follow the model, errors at the field, price, keys, seed, drops."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from panel_support import child, choose, error_text, generate_button, shown
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngInfo
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)
from window_support import ready

from fluxdesk.core.catalog import MODELS
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.pricing import ModelPrice, PriceTable
from fluxdesk.core.request import SEED_MAX, FieldError, GenerationRequest, validate
from fluxdesk.ui.gallery.details import size_text
from fluxdesk.ui.generate.panel import PromptPanel
from fluxdesk.ui.kit.theme import apply_theme, contrast_ratio, muted_color

STEPS_MODELS = {"flux-pro", "flux-dev", "flux-2-flex"}
ASPECT_MODELS = {"flux-pro-1.1-ultra", "flux-kontext-pro", "flux-kontext-max"}


def type_into_spin(qtbot, spin: QSpinBox, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)


# -- the model picker and the controls that follow it ------------------------------------------------


def test_model_picker_lists_the_catalog_with_prices_and_defaults_to_flux_2_pro(panel: PromptPanel) -> None:
    combo = child(panel, QComboBox, "modelCombo")
    items = {combo.itemData(i): combo.itemText(i) for i in range(combo.count()) if combo.itemData(i)}
    assert list(items) == [m.id for m in MODELS]
    assert combo.currentData() == "flux-2-pro" == panel.model_id()
    assert items["flux-2-pro"] == "FLUX.2 [pro] — from $0.03"
    assert items["flux-pro-1.1"] == "FLUX1.1 [pro] — $0.04"
    assert items["flux-2-klein-4b"].endswith("from $0.014")
    assert {m for m, text in items.items() if "legacy" in text} == {"flux-pro", "flux-dev"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_controls_follow_the_model_with_its_ranges_and_defaults(panel: PromptPanel, model) -> None:
    assert panel.set_model(model.id)
    steps, guidance = child(panel, QSpinBox, "stepsSpin"), child(panel, QDoubleSpinBox, "guidanceSpin")
    assert steps.isVisibleTo(panel) == (model.id in STEPS_MODELS) == (model.steps is not None)
    assert guidance.isVisibleTo(panel) == (model.id in STEPS_MODELS)
    assert shown(panel, QDoubleSpinBox, "intervalSpin") == (model.id == "flux-pro")
    assert shown(panel, QComboBox, "aspectRatioCombo") == (model.id in ASPECT_MODELS)
    assert shown(panel, QSpinBox, "widthSpin") == shown(panel, QSpinBox, "heightSpin") == (
        model.id not in ASPECT_MODELS)
    assert shown(panel, QCheckBox, "upsamplingCheck") == model.upsampling_switchable
    assert shown(panel, QCheckBox, "rawCheck") == (model.id == "flux-pro-1.1-ultra")
    assert child(panel, QWidget, "qualitySection").isVisibleTo(panel) == (model.upsampling_switchable or any(
        x is not None for x in (model.steps, model.guidance, model.raw)))

    if model.steps:
        assert (steps.minimum(), steps.maximum(), steps.value()) == (
            model.steps.minimum, model.steps.maximum, model.steps.default)
    if model.guidance:
        assert (guidance.minimum(), guidance.maximum(), guidance.value()) == pytest.approx(
            (model.guidance.minimum, model.guidance.maximum, model.guidance.default))
    assert not child(panel, QCheckBox, "upsamplingCheck").isChecked()  # FluxDesk's default everywhere: off
    if model.takes_dimensions:
        width = child(panel, QSpinBox, "widthSpin")
        assert width.singleStep() == model.size.step
        assert width.minimum() == model.size.minimum
        assert width.maximum() == (model.size.maximum or model.size.max_pixels // model.size.minimum)
        assert (width.value(), child(panel, QSpinBox, "heightSpin").value()) == (
            model.size.default_width, model.size.default_height)
    else:
        assert child(panel, QComboBox, "aspectRatioCombo").currentText() == model.size.default
    safety = child(panel, QSlider, "safetySlider")
    assert (safety.minimum(), safety.maximum(), safety.value()) == (
        model.safety_tolerance.minimum, model.safety_tolerance.maximum, 2)
    formats = child(panel, QComboBox, "formatCombo")
    assert [formats.itemData(i) for i in range(formats.count())] == list(model.output_formats)
    assert formats.currentData() == "jpeg"  # FLUX.2 [pro]'s JPEG stays: every model delivers it

    panel.set_prompt("a lighthouse at dusk")
    assert validate(panel.current_request()).ok


def test_set_model_refuses_an_unknown_id(panel: PromptPanel) -> None:
    assert panel.set_model("flux-kontext-max")
    assert not panel.set_model("flux-9-ultra")
    assert panel.model_id() == "flux-kontext-max"


def test_switching_models_keeps_what_the_user_chose_where_it_is_still_valid(panel: PromptPanel) -> None:
    steps = child(panel, QSpinBox, "stepsSpin")
    panel.set_model("flux-pro")
    steps.setValue(30)
    panel.set_model("flux-dev")
    assert steps.value() == 30  # chosen, in range: kept
    panel.set_model("flux-2-pro")
    panel.set_model("flux-pro")
    assert steps.value() == 30  # survives a model without steps
    steps.setValue(40)  # back to flux-pro's default: no longer a choice
    panel.set_model("flux-dev")
    assert steps.value() == 28

    formats = child(panel, QComboBox, "formatCombo")
    panel.set_model("flux-2-pro")
    formats.setCurrentIndex(formats.findData("webp"))
    panel.set_model("flux-kontext-pro")
    assert formats.currentData() == "png"  # Kontext has no webp: its default
    panel.set_model("flux-2-max")
    assert formats.currentData() == "webp"

    panel.set_model("flux-2-pro")
    panel.load_settings({"width": 1920, "height": 1088})
    panel.set_model("flux-pro-1.1")  # 1440 px per side: scaled down at the same ratio
    assert (child(panel, QSpinBox, "widthSpin").value(), child(panel, QSpinBox, "heightSpin").value()) == (
        1440, 832)
    panel.set_model("flux-pro-1.1-ultra")
    assert child(panel, QComboBox, "aspectRatioCombo").currentText() == "16:9"


def note_text(panel: PromptPanel, name: str) -> str:
    label = child(panel, QLabel, f"{name}Note")
    return label.text() if label.isVisibleTo(panel) else ""


def test_picking_kontext_keeps_jpeg_and_says_so_when_a_model_cannot_keep_the_format(panel: PromptPanel) -> None:
    models, formats = child(panel, QComboBox, "modelCombo"), child(panel, QComboBox, "formatCombo")
    choose(models, models.findData("flux-kontext-pro"))
    assert formats.currentText() == "JPEG" and note_text(panel, "outputFormat") == ""

    choose(models, models.findData("flux-2-pro"))
    choose(formats, formats.findText("WebP"))
    choose(models, models.findData("flux-kontext-pro"))
    assert formats.currentText() == "PNG"
    assert note_text(panel, "outputFormat") == "FLUX.1 Kontext [pro] does not deliver WebP: set to PNG, its default"
    assert panel.current_request().output_format == "png"
    choose(models, models.findData("flux-2-max"))
    assert formats.currentText() == "WebP" and note_text(panel, "outputFormat") == ""


def test_a_typed_value_out_of_range_is_brought_in_and_the_field_says_so(qtbot, panel: PromptPanel) -> None:
    width, height = child(panel, QSpinBox, "widthSpin"), child(panel, QSpinBox, "heightSpin")
    type_into_spin(qtbot, width, "99999")
    qtbot.keyClick(width.lineEdit(), Qt.Key.Key_Return)
    assert width.value() == 4096
    assert note_text(panel, "size") == ("Width 99999 with height 1024 is 97.66 MP, more than the 4 MP "
                                        "FLUX.2 [pro] takes: set to 4096")
    type_into_spin(qtbot, width, "2048")
    qtbot.keyClick(width.lineEdit(), Qt.Key.Key_Tab)
    assert note_text(panel, "size") == ""

    models = child(panel, QComboBox, "modelCombo")
    choose(models, models.findData("flux-pro-1.1"))
    assert note_text(panel, "size") == ("FLUX1.1 [pro] does not take 2048 × 1024 px: set to 1440 × 704, "
                                        "the nearest it takes at this ratio")
    type_into_spin(qtbot, height, "99999")
    qtbot.keyClick(height.lineEdit(), Qt.Key.Key_Tab)
    assert note_text(panel, "size") == "Height 99999 is more than FLUX1.1 [pro] takes: set to 1440, the maximum"
    type_into_spin(qtbot, height, "1000")
    qtbot.keyClick(height.lineEdit(), Qt.Key.Key_Return)
    assert note_text(panel, "size") == "Height 1000 is not a multiple of 32, which FLUX1.1 [pro] needs: set to 992"

    choose(models, models.findData("flux-2-flex"))
    steps = child(panel, QSpinBox, "stepsSpin")
    type_into_spin(qtbot, steps, "500")
    qtbot.keyClick(steps.lineEdit(), Qt.Key.Key_Return)
    assert steps.value() == 50
    assert note_text(panel, "steps") == "Steps 500 is more than FLUX.2 [flex] takes: set to 50, the maximum"
    qtbot.keyClick(steps.lineEdit(), Qt.Key.Key_Down)
    assert note_text(panel, "steps") == ""

    count = child(panel, QSpinBox, "countSpin")
    type_into_spin(qtbot, count, "50")
    qtbot.keyClick(count.lineEdit(), Qt.Key.Key_Tab)
    assert panel.count() == 24
    assert note_text(panel, "count") == ("Images 50 is more than one submission takes: set to 24, the maximum "
                                         "(BFL runs 24 tasks at once per account)")
    assert child(panel, QLabel, "costLabel").text().startswith("24 ×")


# -- size ----------------------------------------------------------------------------------------------


def test_typed_width_snaps_to_the_models_step_when_editing_finishes(qtbot, panel: PromptPanel) -> None:
    panel.set_model("flux-pro-1.1")
    width = child(panel, QSpinBox, "widthSpin")
    type_into_spin(qtbot, width, "1000")
    assert width.value() == 1000
    qtbot.keyClick(width.lineEdit(), Qt.Key.Key_Return)
    assert width.value() == 992
    assert panel.current_request().width == 992


def test_a_side_that_would_pass_the_pixel_cap_is_cut_to_fit(qtbot, panel: PromptPanel) -> None:
    height, width = child(panel, QSpinBox, "heightSpin"), child(panel, QSpinBox, "widthSpin")
    height.setValue(2048)
    type_into_spin(qtbot, width, "4100")
    qtbot.keyClick(width.lineEdit(), Qt.Key.Key_Return)
    assert (width.value(), height.value()) == (2048, 2048)  # 4 MP: FLUX.2's cap


def test_presets_fill_a_snapped_size_that_is_not_billed_for_an_extra_megapixel(panel: PromptPanel) -> None:
    preset, tier = child(panel, QComboBox, "aspectPresetCombo"), child(panel, QComboBox, "sizeTierCombo")
    assert [tier.itemText(i) for i in range(tier.count())] == ["~1 MP", "~2 MP", "~4 MP", "Custom"]
    choose(tier, tier.findText("~2 MP"))
    choose(preset, preset.findData("16:9"))
    width, height = child(panel, QSpinBox, "widthSpin"), child(panel, QSpinBox, "heightSpin")
    assert (width.value(), height.value()) == (1920, 1088)
    assert child(panel, QLabel, "megapixelsLabel").text() == "1920 × 1088 px · 1.99 MP · billed as 2 MP"
    assert preset.currentData() == "16:9" and tier.currentText() == "~2 MP"

    child(panel, QToolButton, "swapButton").click()
    assert (width.value(), height.value()) == (1088, 1920)
    assert preset.currentData() == "9:16"
    width.setValue(1000)
    assert preset.currentText() == "Custom"


def test_the_panel_and_the_gallery_details_show_one_megapixel_figure_for_one_image(qtbot, panel: PromptPanel) -> None:
    width, height = child(panel, QSpinBox, "widthSpin"), child(panel, QSpinBox, "heightSpin")
    type_into_spin(qtbot, height, "2032")
    qtbot.keyClick(height.lineEdit(), Qt.Key.Key_Tab)
    type_into_spin(qtbot, width, "2048")
    qtbot.keyClick(width.lineEdit(), Qt.Key.Key_Return)
    panel_text = child(panel, QLabel, "megapixelsLabel").text()
    assert panel_text == "2048 × 2032 px · 3.97 MP · billed as 4 MP"
    details = size_text(ImageRecord(model="flux-2-pro", prompt="a kite", width=2048, height=2032))
    assert details == "2048 × 2032 px (3.97 MP)"  # not 4.16: BFL's megapixel


def test_aspect_ratio_models_take_a_preset_or_a_typed_ratio(qtbot, panel: PromptPanel) -> None:
    panel.set_model("flux-pro-1.1-ultra")
    panel.set_prompt("dunes")
    combo = child(panel, QComboBox, "aspectRatioCombo")
    request = panel.current_request()
    assert (request.aspect_ratio, request.width, request.height) == ("16:9", None, None)
    assert "≈4 MP" in child(panel, QLabel, "approxMegapixelsLabel").text()
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "5:4")
    assert panel.current_request().aspect_ratio == "5:4" and panel.is_valid()
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "30:9")
    assert "between 21:9 and 9:21" in error_text(panel, "aspectRatio")
    assert not generate_button(panel).isEnabled()


# -- price ---------------------------------------------------------------------------------------------


def test_cost_of_four_flux_2_pro_images_at_1920_by_1088(panel: PromptPanel) -> None:
    panel.load_settings({"model": "flux-2-pro", "prompt": "a red bicycle", "width": 1920, "height": 1088})
    panel.set_count(4)
    assert child(panel, QLabel, "costLabel").text() == "4 × $0.045 = $0.18"
    assert child(panel, QLabel, "creditsLabel").text() == "18 credits"
    assert generate_button(panel).text() == "Generate · $0.18"
    assert panel.estimate().usd_total == Decimal("0.18")


def test_the_price_shows_before_a_prompt_is_typed_and_goes_when_size_is_invalid(panel: PromptPanel) -> None:
    assert panel.estimate() is not None and not generate_button(panel).isEnabled()
    assert generate_button(panel).text() == "Generate · $0.03"
    panel.set_model("flux-pro")
    child(panel, QSpinBox, "widthSpin").setValue(1000)
    assert panel.estimate() is None
    assert generate_button(panel).text() == "Generate"


def test_credits_left_and_a_balance_too_small(panel: PromptPanel) -> None:
    balance = child(panel, QLabel, "balanceLabel")
    assert not balance.isVisibleTo(panel)
    panel.set_credits(Decimal("1234"))
    assert balance.text() == "1,234 credits left ($12.34)"
    assert balance.property("tone") == "muted"
    panel.set_count(4)
    panel.set_credits(Decimal("10"))  # 4 × 3 credits needed
    assert "not enough" in balance.text() and balance.property("tone") == "warning"
    panel.set_credits(None)
    assert not balance.isVisibleTo(panel)


def test_month_spend_against_the_budget(qtbot, panel: PromptPanel) -> None:
    panel.set_prompt("a fox")
    panel.set_count(4)  # $0.12
    month = child(panel, QLabel, "monthLabel")
    panel.set_month_spend(Decimal("12.40"), Decimal("50"))
    assert month.text() == "This month: $12.40 of $50.00"
    assert not panel.would_cross_budget() and month.property("tone") == "muted"
    panel.set_month_spend(Decimal("49.90"), Decimal("50"))
    assert panel.would_cross_budget() and month.property("tone") == "warning"
    with qtbot.waitSignal(panel.generateRequested):  # the owner asks, not the panel
        assert panel.generate()
    panel.set_month_spend(Decimal("49.90"), None)
    assert not panel.would_cross_budget()
    assert month.text() == "This month: $49.90"


# -- errors at the field -------------------------------------------------------------------------------


def test_an_invalid_width_shows_its_message_at_the_field_and_disables_generate(panel: PromptPanel) -> None:
    panel.set_prompt("a quiet harbour")
    panel.set_model("flux-pro")
    assert generate_button(panel).isEnabled() and error_text(panel, "size") == ""
    child(panel, QSpinBox, "widthSpin").setValue(1000)  # not confirmed yet: no snapping
    assert error_text(panel, "size") == ("Width must be a multiple of 32 between 256 and 1440 for "
                                         "FLUX.1 [pro] (nearest: 992 or 1024)")
    assert child(panel, QWidget, "sizeSlot").first_bad_target() is child(panel, QSpinBox, "widthSpin")
    assert not generate_button(panel).isEnabled()
    assert "Width must be a multiple of 32" in generate_button(panel).toolTip()
    child(panel, QSpinBox, "widthSpin").setValue(992)
    assert error_text(panel, "size") == "" and generate_button(panel).isEnabled()


def test_an_empty_prompt_is_flagged_once_the_user_tries_to_generate(qtbot, panel: PromptPanel) -> None:
    assert not generate_button(panel).isEnabled()
    assert error_text(panel, "prompt") == ""  # a fresh panel is not shouting
    editor = child(panel, QPlainTextEdit, "promptEdit")
    with qtbot.assertNotEmitted(panel.generateRequested):
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert error_text(panel, "prompt") == "Prompt must not be empty"
    assert editor.hasFocus()


def test_server_errors_are_shown_at_their_fields_until_the_next_change(panel: PromptPanel) -> None:
    panel.set_prompt("an owl")
    panel.show_server_errors([FieldError("width", "must be at most 2048"),
                              FieldError("body.safety_tolerance", "too permissive"),
                              FieldError("input_image_2", "is not a valid image")])
    assert error_text(panel, "size") == "Width must be at most 2048"
    assert error_text(panel, "safetyTolerance") == "Too permissive"
    banner = child(panel, QWidget, "messageBanner")
    assert banner.isVisibleTo(panel) and banner.kind() == "error"
    assert "input_image_2: is not a valid image" in banner.text()  # the tray is empty: no list to show it at
    child(panel, QSlider, "safetySlider").setValue(1)
    assert error_text(panel, "size") == "" and error_text(panel, "safetyTolerance") == ""


def test_a_message_banner_can_be_dismissed(qtbot, panel: PromptPanel) -> None:
    banner = child(panel, QWidget, "messageBanner")
    assert not banner.isVisibleTo(panel)
    panel.show_message("Demo mode: nothing is charged.", "warning")
    assert banner.isVisibleTo(panel) and banner.kind() == "warning"
    assert child(panel, QLabel, "messageText").text() == "Demo mode: nothing is charged."
    with qtbot.waitSignal(banner.dismissed):
        child(panel, QToolButton, "messageDismiss").click()
    assert not banner.isVisibleTo(panel)
    with pytest.raises(ValueError):
        panel.show_message("?", "shout")


# -- generating ----------------------------------------------------------------------------------------


def test_ctrl_enter_emits_a_valid_request_that_matches_the_controls(qtbot, panel: PromptPanel) -> None:
    panel.set_model("flux-dev")
    editor = child(panel, QPlainTextEdit, "promptEdit")
    editor.setFocus()
    qtbot.keyClicks(editor, "a glass of water, studio light")
    child(panel, QSpinBox, "stepsSpin").setValue(30)
    child(panel, QDoubleSpinBox, "guidanceSpin").setValue(3.5)
    child(panel, QSlider, "safetySlider").setValue(4)
    panel.set_seed(42)
    panel.set_count(3)
    editor.setFocus()
    with qtbot.waitSignal(panel.generateRequested) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    request, count, project_id = blocker.args
    assert project_id is None  # no project picked
    assert isinstance(request, GenerationRequest) and count == 3
    assert validate(request).body == {
        "prompt": "a glass of water, studio light", "seed": 42, "width": 1024, "height": 768, "steps": 30,
        "guidance": 3.5, "prompt_upsampling": False, "safety_tolerance": 4, "output_format": "jpeg"}
    assert editor.toPlainText() == "a glass of water, studio light"  # no newline typed


def test_ctrl_enter_in_a_spin_box_confirms_the_typed_value_first(qtbot, panel: PromptPanel) -> None:
    panel.set_model("flux-pro-1.1")
    panel.set_prompt("a kite")
    width = child(panel, QSpinBox, "widthSpin")
    type_into_spin(qtbot, width, "1000")
    with qtbot.waitSignal(panel.generateRequested) as blocker:
        qtbot.keyClick(width, Qt.Key.Key_Enter,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier)
    assert blocker.args[0].width == 992


def test_generate_button_and_owner_switch(qtbot, panel: PromptPanel) -> None:
    panel.set_prompt("a snail")
    with qtbot.waitSignal(panel.generateRequested):
        generate_button(panel).click()
    panel.set_generate_enabled(False, "Add an API key in Settings to generate")
    assert not generate_button(panel).isEnabled()
    assert generate_button(panel).toolTip() == "Add an API key in Settings to generate"
    with qtbot.assertNotEmitted(panel.generateRequested):
        qtbot.keyClick(child(panel, QPlainTextEdit, "promptEdit"), Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    panel.set_generate_enabled(True)
    assert generate_button(panel).isEnabled()

    busy = child(panel, QLabel, "busyLabel")
    panel.set_busy_hint("2 jobs running")
    assert busy.isVisibleTo(panel) and busy.text() == "2 jobs running"
    panel.set_busy_hint("")
    assert not busy.isVisibleTo(panel)


def test_a_typed_prompt_shows_its_length(qtbot, panel: PromptPanel) -> None:
    length = child(panel, QLabel, "promptLength")
    assert not length.isVisibleTo(panel)
    editor = child(panel, QPlainTextEdit, "promptEdit")
    qtbot.keyClicks(editor, "a teapot, " * 150)
    assert length.isVisibleTo(panel) and length.text() == "1,499 characters"  # the last space is not sent
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert not length.isVisibleTo(panel)


def test_prompt_history_with_alt_up_and_down_keeps_the_draft(qtbot, panel: PromptPanel) -> None:
    panel.set_history(["newest prompt", "older prompt", "newest prompt", ""])
    assert panel.history() == ["newest prompt", "older prompt"]
    editor = child(panel, QPlainTextEdit, "promptEdit")
    editor.setFocus()
    qtbot.keyClicks(editor, "my draft")
    alt = Qt.KeyboardModifier.AltModifier
    steps = [(Qt.Key.Key_Up, "newest prompt"), (Qt.Key.Key_Up, "older prompt"), (Qt.Key.Key_Up, "older prompt"),
             (Qt.Key.Key_Down, "newest prompt"), (Qt.Key.Key_Down, "my draft"), (Qt.Key.Key_Down, "my draft")]
    for key, expected in steps:
        qtbot.keyClick(editor, key, alt)
        assert editor.toPlainText() == expected

    with qtbot.waitSignal(panel.promptSubmitted) as blocker:
        assert panel.generate()
    assert blocker.args == ["my draft"]
    assert panel.history() == ["my draft", "newest prompt", "older prompt"]

    menu = child(panel, QToolButton, "historyButton").menu()
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == panel.history()
    menu.actions()[2].trigger()
    assert editor.toPlainText() == "older prompt"


# -- seed ----------------------------------------------------------------------------------------------


def test_seed_random_fixed_dice_and_reuse_last(qtbot, panel: PromptPanel) -> None:
    mode, edit = child(panel, QComboBox, "seedModeCombo"), child(panel, QLineEdit, "seedEdit")
    info, reuse = child(panel, QLabel, "seedInfoLabel"), child(panel, QPushButton, "reuseSeedButton")
    assert panel.current_request().seed is None and not edit.isEnabled()

    mode.setCurrentIndex(mode.findData("fixed"))
    assert edit.isEnabled() and panel.current_request().seed == int(edit.text())
    edit.selectAll()
    qtbot.keyClicks(edit, "1234")
    panel.set_count(4)
    assert panel.current_request().seed == 1234
    assert info.text() == "Seeds 1234 … 1237, one per image"

    child(panel, QToolButton, "diceButton").click()
    rolled = panel.current_request().seed
    assert rolled is not None and rolled != 1234 and edit.text() == str(rolled)

    assert not reuse.isEnabled()
    panel.set_last_seed(987654321)
    assert reuse.isEnabled()
    reuse.click()
    assert panel.current_request().seed == 987654321

    mode.setCurrentIndex(mode.findData("random"))
    assert panel.current_request().seed is None
    assert info.text() == "A new random seed for each image"


def test_a_fixed_seed_must_leave_room_for_every_image(panel: PromptPanel) -> None:
    panel.set_prompt("rain")
    panel.set_seed(SEED_MAX - 1)
    assert panel.is_valid()
    panel.set_count(3)
    assert "must be at most" in error_text(panel, "seed") and not panel.is_valid()
    child(panel, QLineEdit, "seedEdit").clear()
    child(panel, QLineEdit, "seedEdit").textEdited.emit("")
    assert error_text(panel, "seed").startswith("Seed is empty")


# -- loading settings ----------------------------------------------------------------------------------


def test_load_settings_fills_the_panel_and_snaps_the_size(panel: PromptPanel) -> None:
    panel.load_settings({"model": "flux-pro", "prompt": "a tin robot", "seed": 7, "width": 1000, "height": 770,
                         "steps": 30, "guidance": 3.3, "interval": 2.5, "prompt_upsampling": True,
                         "safety_tolerance": 4, "output_format": "png", "sampler": "euler"})
    request = panel.current_request()
    assert (request.model, request.prompt, request.seed) == ("flux-pro", "a tin robot", 7)
    assert (request.width, request.height) == (992, 768)
    assert (request.steps, request.guidance, request.interval) == (30, 3.3, 2.5)
    assert (request.prompt_upsampling, request.safety_tolerance, request.output_format) == (True, 4, "png")
    assert panel.is_valid()
    assert child(panel, QLabel, "upsamplingWarning").isVisibleTo(panel)


def test_load_settings_ignores_what_does_not_fit(panel: PromptPanel) -> None:
    panel.load_settings({"model": "flux-pro", "steps": 30, "seed": 5})
    before = panel.current_request()
    panel.load_settings({"model": "flux-42", "steps": 999, "guidance": "lots", "interval": True,
                         "output_format": "webp", "safety_tolerance": -1, "raw": True, "seed": -3,
                         "aspect_ratio": "16:9x", "width": "wide", "prompt": 12})
    assert panel.current_request() == before


def test_load_settings_for_an_aspect_ratio_model(panel: PromptPanel) -> None:
    panel.load_settings({"model": "flux-kontext-max", "aspect_ratio": "3:4", "seed": None,
                         "output_format": "jpeg", "width": 1024})
    request = panel.current_request()
    assert (request.model, request.aspect_ratio, request.width, request.seed) == ("flux-kontext-max", "3:4",
                                                                                   None, None)
    assert request.output_format == "jpeg"


# -- drag and drop -------------------------------------------------------------------------------------


def _mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop_event(kind: QEvent.Type, mime: QMimeData) -> QDropEvent:
    """The event does not own ``mime``: the caller keeps it alive while the event is in use."""
    if kind == QEvent.Type.DragEnter:
        return QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                               Qt.KeyboardModifier.NoModifier)
    return QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)


def test_dropping_an_image_file_emits_image_dropped(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    image = tmp_path / "render.PNG"
    mime = _mime(tmp_path / "notes.txt", image)
    enter = _drop_event(QEvent.Type.DragEnter, mime)
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted() and panel.is_drop_highlighted()
    assert child(panel, QWidget, "dropOverlay").isVisible()
    with qtbot.waitSignal(panel.imageDropped) as blocker:
        QApplication.sendEvent(panel, _drop_event(QEvent.Type.Drop, mime))
    assert blocker.args == [str(image)]
    assert not panel.is_drop_highlighted()


def test_an_image_dropped_on_the_prompt_is_not_pasted_as_text(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    viewport = child(panel, QPlainTextEdit, "promptEdit").viewport()
    mime = _mime(tmp_path / "a.jpg")
    QApplication.sendEvent(viewport, _drop_event(QEvent.Type.DragEnter, mime))
    with qtbot.waitSignal(panel.imageDropped):
        QApplication.sendEvent(viewport, _drop_event(QEvent.Type.Drop, mime))
    assert panel.prompt() == ""


def test_an_image_dragged_over_the_seed_or_aspect_field_goes_to_the_panel(qtbot, panel: PromptPanel,
                                                                           tmp_path: Path) -> None:
    mime = _mime(tmp_path / "b.webp")
    for field in (child(panel, QLineEdit, "seedEdit"), child(panel, QComboBox, "aspectRatioCombo").lineEdit()):
        before = field.text()
        enter = _drop_event(QEvent.Type.DragEnter, mime)
        QApplication.sendEvent(field, enter)
        assert enter.isAccepted() and panel.is_drop_highlighted()  # taken by the panel, not the field
        with qtbot.waitSignal(panel.imageDropped) as blocker:
            QApplication.sendEvent(field, _drop_event(QEvent.Type.Drop, mime))
        assert blocker.args == [str(tmp_path / "b.webp")] and field.text() == before


def test_text_dropped_on_the_prompt_is_still_pasted(qtbot, panel: PromptPanel) -> None:
    viewport = child(panel, QPlainTextEdit, "promptEdit").viewport()
    mime = QMimeData()
    mime.setText("a lighthouse at dawn")
    enter = _drop_event(QEvent.Type.DragEnter, mime)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted() and not panel.is_drop_highlighted()
    with qtbot.assertNotEmitted(panel.imageDropped):
        QApplication.sendEvent(viewport, _drop_event(QEvent.Type.Drop, mime))
    assert panel.prompt() == "a lighthouse at dawn"


def test_other_files_are_not_accepted(qtbot, panel: PromptPanel, tmp_path: Path) -> None:
    mime = _mime(tmp_path / "notes.txt")
    enter = _drop_event(QEvent.Type.DragEnter, mime)
    QApplication.sendEvent(panel, enter)
    assert not enter.isAccepted() and not panel.is_drop_highlighted()
    with qtbot.assertNotEmitted(panel.imageDropped):
        QApplication.sendEvent(panel, _drop_event(QEvent.Type.Drop, mime))


def test_an_a1111_png_dropped_on_the_panel_says_what_was_not_loaded_and_what_was_reinterpreted(
        qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-dev")
    image = tmp_path / "sd-cat.png"
    info = PngInfo()
    info.add_text("parameters", "a cat on a windowsill\nNegative prompt: blurry, lowres\n"
                                "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768, Model: sd15")
    PILImage.new("RGB", (8, 8), "white").save(image, pnginfo=info)
    mime = _mime(image)
    QApplication.sendEvent(window.panel, _drop_event(QEvent.Type.DragEnter, mime))
    QApplication.sendEvent(window.panel, _drop_event(QEvent.Type.Drop, mime))
    banner = child(window.panel, QLabel, "messageText")
    qtbot.waitUntil(lambda: banner.isVisible() and "sd-cat.png" in banner.text(), timeout=20_000)
    assert banner.text() == (
        "Loaded the settings of sd-cat.png. Not loaded: the negative prompt (FLUX models take none); "
        "the model sd15 (not one FluxDesk can run; FLUX.1 [dev] is used); the sampler Euler a (BFL picks its "
        "own). Reinterpreted: CFG scale 7 as guidance 5 (FLUX guidance is not CFG; FLUX.1 [dev] takes 1.5 to 5).")
    request = window.panel.current_request()
    assert (request.prompt, request.seed, request.steps, request.guidance) == ("a cat on a windowsill", 42, 20, 5.0)
    assert (request.width, request.height) == (512, 768)


def test_at_1280_by_800_count_format_and_seed_show_without_scrolling_and_more_options_fold(
        qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.resize(1280, 800)
    panel = window.panel
    qtbot.waitUntil(lambda: panel.height() > 600)
    # The credits and the month's spend take their lines above Generate: checked with them there, the tightest.
    qtbot.waitUntil(lambda: child(panel, QLabel, "monthLabel").isVisible()
                    and child(panel, QLabel, "balanceLabel").isVisible())
    viewport = child(panel, QScrollArea, "promptScroll").viewport()
    for cls, name in ((QSpinBox, "countSpin"), (QComboBox, "formatCombo"), (QLineEdit, "seedEdit")):
        widget = child(panel, cls, name)
        bottom = widget.mapTo(viewport, QPoint(0, widget.height())).y()
        assert widget.isVisible() and bottom <= viewport.height(), name

    safety = child(panel, QSlider, "safetySlider")
    assert not safety.isVisibleTo(panel)
    assert child(panel, QLabel, "moreSectionSummary").text() == "Safety 2 · default"
    toggle = child(panel, QToolButton, "moreSectionToggle")
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert safety.isVisibleTo(panel)
    window.controller.begin_closing()
    window.close()
    again = ready(qtbot, make_window())
    assert child(again.panel, QSlider, "safetySlider").isVisibleTo(again.panel)  # remembered across restarts


def test_a_newer_price_table_reprices_the_picker_and_the_estimate(panel: PromptPanel,
                                                                    price_table: PriceTable) -> None:
    prices = dict(price_table.prices)
    prices["flux-2-pro"] = ModelPrice(first_mp=Decimal("4"), extra_mp=Decimal("2"))
    panel.set_price_table(replace(price_table, as_of="2027-01-01", prices=prices))
    combo = child(panel, QComboBox, "modelCombo")
    assert combo.itemText(combo.findData("flux-2-pro")) == "FLUX.2 [pro] — from $0.04"
    assert panel.estimate().price_as_of == "2027-01-01"
    assert generate_button(panel).text() == "Generate · $0.04"


def test_the_wheel_scrolls_past_a_control_unless_it_has_focus(panel: PromptPanel) -> None:
    count = child(panel, QSpinBox, "countSpin")

    def wheel() -> None:
        event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(count, event)

    wheel()
    assert count.value() == 1
    count.setFocus()
    wheel()
    assert count.value() == 2


# -- accessibility and looks ---------------------------------------------------------------------------


def test_every_control_has_an_accessible_name_and_a_tooltip(panel: PromptPanel) -> None:
    for model_id in ("flux-pro", "flux-pro-1.1-ultra"):
        panel.set_model(model_id)
        controls = [w for cls in (QSpinBox, QDoubleSpinBox, QComboBox, QCheckBox, QSlider, QPushButton,
                                  QToolButton, QPlainTextEdit)
                    for w in panel.findChildren(cls) if w.isVisibleTo(panel)]
        controls += [w for w in panel.findChildren(QLineEdit) if w.objectName() == "seedEdit"]
        assert len(controls) > 12
        missing = [w.objectName() or type(w).__name__ for w in controls
                   if not w.accessibleName() or not (w.toolTip() or w.parentWidget().toolTip())]
        assert missing == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [(420, 800), (440, 1040)])
def test_screenshots_nothing_clips_and_the_theme_shows(qtbot, make_panel, restore_theme, tmp_path,
                                                       theme: str, size: tuple[int, int]) -> None:
    apply_theme(restore_theme, theme)
    panel = make_panel()
    panel.resize(*size)
    panel.load_settings({"model": "flux-2-flex", "prompt": "a ceramic teapot, soft light", "seed": 4242})
    panel.set_credits(Decimal("1234"))
    panel.set_month_spend(Decimal("12.40"), Decimal("50"))
    panel.show()
    qtbot.waitExposed(panel)
    shot = panel.grab()
    assert shot.save(str(tmp_path / f"prompt_{theme}_{size[0]}x{size[1]}.png"))

    scroll = child(panel, QScrollArea, "promptScroll")
    right_edge = scroll.viewport().mapTo(panel, QPoint(scroll.viewport().width(), 0)).x()
    clipped = []
    for widget in panel.findChildren(QWidget):
        if isinstance(widget, QLabel | QSpinBox | QDoubleSpinBox | QComboBox | QPushButton | QSlider | QLineEdit) \
                and widget.isVisible() and widget.window() is panel:
            right = widget.mapTo(panel, QPoint(widget.width(), 0)).x()
            if scroll.isAncestorOf(widget) and right > right_edge:
                clipped.append(widget.objectName() or type(widget).__name__)
    assert clipped == []
    button = generate_button(panel)
    assert panel.rect().contains(button.geometry().translated(button.parentWidget().mapTo(panel, QPoint())))

    image = shot.toImage().convertToFormat(QImage.Format.Format_RGB32)
    corner = image.pixelColor(2, image.height() // 2)
    assert (corner.lightness() < 60) == (theme == "dark")
    card = child(panel, QWidget, "modelSection")
    card_color = image.pixelColor(card.mapTo(panel, QPoint(4, card.height() - 4)))
    assert contrast_ratio(card_color, panel.palette().color(QPalette.ColorRole.WindowText)) >= 7
    assert contrast_ratio(card_color, muted_color()) >= 4.5
