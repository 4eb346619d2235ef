"""The same request elsewhere: the footer's "Elsewhere" lists what the panel's request costs at every provider of
its model, BFL first; priced, not called."""

from __future__ import annotations

from decimal import Decimal

import pytest
from panel_support import child, choose
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSpinBox, QToolButton

from fluxdesk.core.providers import BFL
from fluxdesk.storage.providers import bundled_provider_table
from fluxdesk.ui.generate.elsewhere import Column, Roles
from fluxdesk.ui.generate.panel import PromptPanel


@pytest.fixture
def priced_panel(panel: PromptPanel) -> PromptPanel:
    table = bundled_provider_table()
    panel.set_provider_table(table)
    return panel


def open_list(qtbot, panel: PromptPanel):
    button = child(panel, QToolButton, "elsewhereButton")
    assert button.isVisibleTo(panel) and button.isEnabled()
    assert button.defaultAction() is panel.elsewhere_action
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    popup = panel.elsewhere_popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible)
    return popup


def rows(popup) -> list[tuple[str, Decimal, Decimal, str]]:
    model = popup.model
    return [(model.index(r, 0).data(Roles.Provider), model.index(r, 0).data(Roles.UsdPerImage),
             model.index(r, 0).data(Roles.UsdTotal), model.index(r, 0).data(Roles.Billing))
            for r in range(model.rowCount())]


def test_the_list_shows_bfl_then_the_others_with_prices(qtbot, priced_panel: PromptPanel) -> None:
    panel = priced_panel
    assert panel.model_id() == "flux-2-pro"
    popup = open_list(qtbot, panel)
    assert rows(popup) == [
        (BFL, Decimal("0.03"), Decimal("0.03"), "per_megapixel"),
        ("fal.ai", Decimal("0.03"), Decimal("0.03"), "per_megapixel"),
        ("Replicate", Decimal("0.03"), Decimal("0.03"), "per_megapixel"),
    ]
    model = popup.model
    assert model.index(0, Column.PROVIDER).data() == "BFL"
    assert model.index(0, Column.PROVIDER).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(1, Column.PER_IMAGE).data() == "$0.03"
    assert model.index(1, Column.BILLING).data() == "per megapixel"
    assert "fal.ai/models" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert popup.title_label.text() == "The same request elsewhere: 1 image of FLUX.2 [pro] at 1024 × 1024"
    assert "Priced, not called: FluxDesk sends to BFL only" in popup.note_label.text()
    assert popup.view.isColumnHidden(Column.TOTAL)  # one image: the total is the price
    popup.close()


def test_a_fractional_megapixel_provider_and_a_count(qtbot, priced_panel: PromptPanel) -> None:
    panel = priced_panel
    combo = child(panel, QComboBox, "modelCombo")
    choose(combo, combo.findData("flux-2-max"))
    panel.set_count(3)
    popup = open_list(qtbot, panel)
    replicate = Decimal("0.04") + Decimal("0.03") * 1024 * 1024 / 1_000_000  # per run + output MP of 10⁶ px
    assert rows(popup) == [
        (BFL, Decimal("0.07"), Decimal("0.21"), "per_megapixel"),
        ("fal.ai", Decimal("0.07"), Decimal("0.21"), "per_megapixel"),
        ("Replicate", replicate, replicate * 3, "per_run_fractional_megapixel"),
    ]
    assert not popup.view.isColumnHidden(Column.TOTAL)
    assert popup.model.index(2, Column.BILLING).data() == "per run + fractional MP"
    assert popup.summary_label.text() == "Nobody in the table sells this request for less than BFL."
    popup.close()


def test_the_list_follows_the_size_and_a_cheaper_provider_is_named(qtbot, priced_panel: PromptPanel) -> None:
    panel = priced_panel
    combo = child(panel, QComboBox, "modelCombo")
    choose(combo, combo.findData("flux-dev"))
    popup = open_list(qtbot, panel)
    assert [r[0] for r in rows(popup)] == [BFL, "Together AI", "Replicate"]
    assert rows(popup)[1][1] == Decimal("0.0154")
    assert popup.summary_label.text() == "Together AI is $0.0096 an image cheaper than BFL for this request."
    popup.close()
    choose(combo, combo.findData("flux-2-klein-4b"))
    width = child(panel, QSpinBox, "widthSpin")
    width.setValue(2048)  # two megapixels: both bill the second one
    popup = open_list(qtbot, panel)
    assert rows(popup)[:2] == [(BFL, Decimal("0.015"), Decimal("0.015"), "per_megapixel"),
                               ("fal.ai", Decimal("0.010"), Decimal("0.010"), "per_megapixel")]
    assert "at 2048 × 1024" in popup.title_label.text()
    popup.close()


def test_without_a_valid_request_there_is_nothing_to_price(qtbot, priced_panel: PromptPanel, make_panel) -> None:
    panel = priced_panel
    width = child(panel, QSpinBox, "widthSpin")
    width.setValue(8000)  # over FLUX.2 [pro]'s 4 MP: no price, nothing to compare
    assert panel.estimate() is None
    assert not panel.elsewhere_action.isEnabled() and not panel.show_elsewhere()
    bare = make_panel()  # a panel told no provider table has no button at all
    assert not child(bare, QToolButton, "elsewhereButton").isVisibleTo(bare)
    assert not bare.elsewhere_action.isEnabled()
