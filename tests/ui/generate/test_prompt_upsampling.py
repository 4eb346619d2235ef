"""Prompt upsampling, per endpoint: off by default everywhere it can be switched, said in the endpoint's own field."""

from __future__ import annotations

import pytest
from panel_support import child
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QLabel

from fluxdesk.core.catalog import MODELS
from fluxdesk.core.request import validate
from fluxdesk.ui.generate.controls import UPSAMPLING_NOTE
from fluxdesk.ui.generate.panel import PromptPanel


def click_box(qtbot, box: QCheckBox) -> None:
    """A click on the box itself (a check box stretched across the form takes clicks on its box and words only)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def sent_body(qtbot, panel: PromptPanel) -> dict:
    """What Ctrl+Enter in the prompt sends."""
    panel.set_prompt("a paper boat on a puddle")
    with qtbot.waitSignal(panel.generateRequested) as sent:
        qtbot.keyClick(panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    body = validate(sent.args[0]).body
    assert body is not None
    return body


def test_flux_2_pro_is_sent_with_disable_pup_true_unless_the_user_turns_upsampling_on(qtbot, panel) -> None:
    box, note = child(panel, QCheckBox, "upsamplingCheck"), child(panel, QLabel, "upsamplingWarning")
    assert panel.model_id() == "flux-2-pro" and box.isVisibleTo(panel) and not box.isChecked()
    assert not note.isVisibleTo(panel)
    body = sent_body(qtbot, panel)
    assert body["disable_pup"] is True and "prompt_upsampling" not in body

    click_box(qtbot, box)
    assert box.isChecked() and note.isVisibleTo(panel)
    assert note.text() == UPSAMPLING_NOTE
    assert "Reproduce cannot promise an identical result" in note.text()
    body = sent_body(qtbot, panel)
    assert body["disable_pup"] is False and "prompt_upsampling" not in body


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_every_endpoint_gets_its_own_field_and_off_by_default(qtbot, panel, model) -> None:
    panel.set_model(model.id)
    box = child(panel, QCheckBox, "upsamplingCheck")
    assert box.isVisibleTo(panel) == model.upsampling_switchable
    body = sent_body(qtbot, panel)
    fields = {name: body[name] for name in ("disable_pup", "prompt_upsampling") if name in body}
    assert fields == model.upsampling_fields(False)
    if model.id.startswith("flux-2-klein"):
        assert fields == {} and not box.isVisibleTo(panel)  # klein takes neither: no dead control
    elif model.id in ("flux-2-pro", "flux-2-max"):
        assert fields == {"disable_pup": True}
    else:
        assert fields == {"prompt_upsampling": False}


def test_the_choice_follows_the_user_from_one_endpoint_to_the_next(qtbot, panel) -> None:
    box = child(panel, QCheckBox, "upsamplingCheck")
    click_box(qtbot, box)
    panel.set_model("flux-2-flex")
    assert box.isChecked() and sent_body(qtbot, panel)["prompt_upsampling"] is True
    panel.set_model("flux-2-klein-4b")
    assert not box.isVisibleTo(panel)
    panel.set_model("flux-2-max")
    assert box.isChecked() and sent_body(qtbot, panel)["disable_pup"] is False


def test_loaded_settings_say_which_way_it_was(panel) -> None:
    box = child(panel, QCheckBox, "upsamplingCheck")
    panel.load_settings({"model": "flux-2-pro", "prompt": "a kite", "disable_pup": False})
    assert box.isChecked() and panel.current_request().disable_pup is False
    panel.load_settings({"model": "flux-2-pro", "disable_pup": True})
    assert not box.isChecked() and panel.current_request().disable_pup is True
    panel.load_settings({"model": "flux-2-flex", "prompt_upsampling": True})
    assert box.isChecked() and panel.current_request().prompt_upsampling is True
