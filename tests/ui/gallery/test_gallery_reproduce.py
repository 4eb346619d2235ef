"""Reproduce from the Gallery, in the real window against the simulator: its price before spending, the
budget question, the verdict on the image data, and the new image selected; the prompt panel makes room."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from window_support import WAIT_MS, make_image_and_open_gallery, ready

from fluxdesk.core.pricing import estimate, format_usd
from fluxdesk.core.request import GenerationRequest


def test_the_reproduce_button_shows_its_price_then_the_verdict_and_selects_the_new_image(qtbot,
                                                                                         make_window) -> None:
    window = ready(qtbot, make_window())
    original, gallery = make_image_and_open_gallery(qtbot, window, "a reproducible teapot")
    price = format_usd(estimate(GenerationRequest(model="flux-2-pro", prompt="x", width=512, height=512, seed=777),
                                window.controller.price_table).usd_total)
    button = gallery.details.reproduce_button
    qtbot.waitUntil(lambda: button.text() == f"Reproduce · {price}", timeout=WAIT_MS)
    assert gallery.actions.reproduce.text() == button.text() and price in button.toolTip()

    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as again:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    new = again.args[0]
    assert new != original
    qtbot.waitUntil(lambda: gallery.current_id() == new, timeout=WAIT_MS)
    verdict = "Reproduced: the image data is identical to the original's."
    qtbot.waitUntil(lambda: gallery.result_bar.label.text().startswith("Reproduced"), timeout=WAIT_MS)
    assert gallery.result_bar.label.text() == verdict
    assert gallery.result_bar.isVisible() and gallery.result_bar.kind() == "info"
    assert window.statusBar().currentMessage() == verdict
    qtbot.waitUntil(lambda: gallery.details.image_id() == new, timeout=WAIT_MS)


def test_ctrl_r_asks_the_budget_question_and_spends_nothing_when_refused(qtbot, make_window) -> None:
    asked: list[tuple] = []
    window = ready(qtbot, make_window(confirm_over_budget=lambda *args: asked.append(args) or False))
    _original, gallery = make_image_and_open_gallery(qtbot, window, "an expensive teapot")
    qtbot.waitUntil(lambda: window.controller.month_spend is not None, timeout=WAIT_MS)
    window.controller.update_settings(monthly_budget_usd=window.controller.month_spend + Decimal("0.001"))
    posts = window.engine.simulator.counters.post_requests
    gallery.activateWindow()
    gallery.view.setFocus()
    qtbot.waitUntil(gallery.view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(gallery.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert format_usd(asked[0][0].cost) in gallery.details.reproduce_button.text()  # the price shown is the one asked
    qtbot.wait(300)
    assert window.engine.simulator.counters.post_requests == posts and not gallery.result_bar.isVisible()


def test_the_prompt_panel_makes_room_for_the_gallery_and_comes_back(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: sum(window.splitter.sizes()) > 1200, timeout=WAIT_MS)
    before = window.splitter.sizes()
    _image, gallery = make_image_and_open_gallery(qtbot, window, "a teapot with room")
    assert not window.panel.isVisible()
    qtbot.waitUntil(lambda: gallery.view.columns() >= 5, timeout=WAIT_MS)  # three beside the prompt panel
    assert gallery.details.width() >= 340
    window.tabs.setCurrentIndex(0)
    assert window.panel.isVisible()
    qtbot.waitUntil(lambda: window.splitter.sizes()[0] == before[0], timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.gallery_tab)
    assert window._window_state().panel_state["splitter"][0] == before[0]  # not the hidden panel's 0
