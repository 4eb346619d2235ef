"""The real window, driven like a designer would, against the simulator on loopback."""

from __future__ import annotations

import json
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QScrollArea
from window_support import WAIT_MS, ctrl_enter, gallery_ids, queue_statuses, ready

from fluxdesk.cli import main as cli_main
from fluxdesk.core.request import validate as real_validate
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery
from fluxdesk.storage.secrets import KeySource
from fluxdesk.storage.settings import load_settings
from fluxdesk.ui.dialogs.welcome import WelcomeDialog

KEY = "bfl_window-test-key"
def test_prompt_to_image_in_the_demo(qtbot, make_window) -> None:
    window = ready(qtbot, make_window(latency=2.0))  # long enough for progress polls
    assert "Demo" in window.mode_label.text()
    progress: list[float] = []
    window.bridge.jobEvent.connect(lambda e: progress.append(e.progress) if hasattr(e, "progress") else None)
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a lighthouse at dawn")
    image_id, path = shown.args
    assert Path(path).is_file() and image_id >= 1
    assert queue_statuses(window) == ["done"]
    assert window.recent.count() == 1
    assert any(p is not None and 0 < p < 1 for p in progress), "progress was reported while generating"
    qtbot.waitUntil(lambda: window.thumbnails.get(path, 120) is not None, timeout=WAIT_MS)
    image = window.session.library.get_image(image_id)
    assert image.demo and image.prompt == "a lighthouse at dawn"
    assert window.session.library.home.name == "demo"  # the demo library is separate


def test_the_controls_follow_the_model_and_the_estimate_matches_the_cli(qtbot, make_window, capsys) -> None:
    window = ready(qtbot, make_window())
    panel = window.panel
    combo = panel.findChild(QComboBox, "modelPicker") or panel.findChildren(QComboBox)[0]
    assert combo is not None
    panel.set_model("flux-pro-1.1-ultra")
    assert panel.current_request().aspect_ratio is not None and panel.current_request().width is None
    panel.set_model("flux-2-pro")
    panel.load_settings({"width": 1920, "height": 1088})
    panel.set_count(4)
    est = panel.estimate()
    assert cli_main(["estimate", "--model", "flux-2-pro", "--width", "1920", "--height", "1088", "--count", "4",
                     "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["credits_total"] == float(est.credits_total) == 18
    assert cli["usd_total"] == float(est.usd_total)
    buttons = [b.text() for b in panel.findChildren(QPushButton)]
    assert any("$0.18" in text for text in buttons), buttons


def test_a_batch_fills_the_queue_and_the_strip(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_count(3)
    ctrl_enter(qtbot, window, "three teapots")
    qtbot.waitUntil(lambda: window.recent.count() == 3, timeout=WAIT_MS)
    assert queue_statuses(window) == ["done"] * 3
    qtbot.waitUntil(lambda: window.panel.findChild(QLineEdit) is not None)
    with closing(GalleryQueries.for_library(window.session.library)) as queries:
        newest = queries.ids(GalleryQuery())[0]
    last_seed = window.session.library.get_image(newest).seed
    assert window.controller.settings.last_seed is not None and last_seed is not None


def test_a_422_from_the_server_is_shown_at_its_field(qtbot, make_window, monkeypatch) -> None:
    window = ready(qtbot, make_window())
    shown: list = []
    monkeypatch.setattr(window.panel, "show_server_errors", lambda errors: shown.append(list(errors)))

    def lenient(request):  # let an out-of-range width through the local check: the server must refuse it
        result = real_validate(request.__class__(**{**request.__dict__, "width": 1024}))
        return result.__class__(result.errors, {**result.body, "width": 1000}) if result.ok else result

    monkeypatch.setattr("fluxdesk.services.pipeline.validate", lenient)
    window.panel.set_model("flux-2-pro")
    ctrl_enter(qtbot, window, "a bad width")
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown[0][0].field == "width" and "16" in shown[0][0].message
    assert queue_statuses(window) == ["failed"]


def test_out_of_credits_stops_the_queue_in_words(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.engine.simulator.set_credits(Decimal(0))
    messages: list[str] = []
    window.bridge.queueStopped.connect(lambda event: messages.append(event.reason))
    window.panel.set_count(2)
    ctrl_enter(qtbot, window, "no money")
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    assert "credit" in messages[0].lower()
    qtbot.waitUntil(lambda: all(s in ("failed", "cancelled") for s in queue_statuses(window)), timeout=WAIT_MS)
    assert window.engine.simulator.counters.tasks_created == 0


def test_a_refused_key_is_named(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.engine.simulator.config.key = "bfl_some-other-key"
    messages: list[str] = []
    window.bridge.queueStopped.connect(lambda event: messages.append(event.reason))
    ctrl_enter(qtbot, window, "wrong key")
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    assert "key" in messages[0].lower()


@pytest.mark.parametrize("accept", [False, True])
def test_crossing_the_budget_asks_first(qtbot, make_window, tmp_path: Path, accept: bool) -> None:
    settings = load_settings(tmp_path)
    settings = settings.__class__(**{**settings.__dict__, "monthly_budget_usd": Decimal("0.05")})
    asked: list[tuple] = []

    def confirm(question):
        crossing = question.crossings[0]
        asked.append((crossing.spent, question.cost, crossing.budget))
        return accept

    window = ready(qtbot, make_window(settings=settings, confirm_over_budget=confirm))
    qtbot.waitUntil(lambda: window.controller.month_spend is not None, timeout=WAIT_MS)
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"width": 1024, "height": 1024})
    window.panel.set_count(2)  # 2 × $0.03 = $0.06 > $0.05
    ctrl_enter(qtbot, window, "over budget")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert asked[0] == (Decimal(0), Decimal("0.06"), Decimal("0.05"))
    if accept:
        qtbot.waitUntil(lambda: window.recent.count() == 2, timeout=WAIT_MS)
    else:
        qtbot.wait(500)
        assert window.queue_model.rowCount() == 0 and window.engine.simulator.counters.post_requests == 0


def test_a_reproduction_is_priced_by_what_it_sends_not_by_the_panel(qtbot, make_window) -> None:
    asked: list[tuple] = []
    window = ready(qtbot, make_window(confirm_over_budget=lambda *args: asked.append(args) or False))
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"width": 1024, "height": 1024})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a $0.03 image")
    qtbot.waitUntil(lambda: window.controller.month_spend is not None, timeout=WAIT_MS)
    window.controller.update_settings(monthly_budget_usd=window.controller.month_spend + Decimal("0.01"))
    window.panel.set_model("flux-kontext-max")  # $0.08 in the panel now; the image to reproduce costs $0.03
    window.controller.reproduce(shown.args[0])
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert asked[0][0].cost == Decimal("0.03")


def test_first_run_offers_the_demo(qtbot, make_window) -> None:
    window = make_window(demo=False)
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is not None, timeout=WAIT_MS)
    dialog = window.findChild(WelcomeDialog)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.mouseClick(dialog.findChild(QPushButton, "demoButton"), Qt.MouseButton.LeftButton)
    ready(qtbot, window)
    assert window.engine.demo  # its choice was read after it closed, then it was deleted
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is None, timeout=WAIT_MS)


def test_a_closed_settings_dialog_is_deleted(qtbot, make_window) -> None:
    from fluxdesk.ui.dialogs.settings import SettingsDialog

    window = ready(qtbot, make_window())
    for _ in range(2):  # each open builds a new one; a closed one is gone
        window.settings_action.trigger()
        qtbot.waitUntil(lambda: window.findChild(SettingsDialog) is not None, timeout=WAIT_MS)
        window.findChild(SettingsDialog).reject()
        qtbot.waitUntil(lambda: window.findChild(SettingsDialog) is None, timeout=WAIT_MS)


def test_first_run_with_a_key_tests_stores_and_connects(qtbot, make_window, key_store, monkeypatch) -> None:
    with Simulator(SimConfig(latency=0.2, key=KEY, credits=Decimal(777))) as sim:
        monkeypatch.setenv("FLUXDESK_API_BASE", sim.api_base)
        window = make_window(demo=False)
        qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is not None, timeout=WAIT_MS)
        dialog = window.findChild(WelcomeDialog)
        dialog.key_entry.field.setText(KEY)
        dialog.key_entry.submit()
        qtbot.waitUntil(lambda: dialog.choice() == "key", timeout=WAIT_MS)
        assert key_store.get() == (KEY, KeySource.KEYRING)
        dialog.accept()
        ready(qtbot, window)
        assert not window.engine.demo and window.session.options.api_base == sim.api_base
        qtbot.waitUntil(lambda: "777" in window.credits_label.text(), timeout=WAIT_MS)
        with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
            ctrl_enter(qtbot, window, "a real one")
        assert sim.counters.tasks_created == 1


def test_dropping_an_image_loads_its_settings(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-dev")
    window.panel.load_settings({"steps": 33, "guidance": 4.0, "seed": 4242, "width": 768, "height": 512})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a dropped teapot")
    path = shown.args[1]
    window.panel.set_model("flux-2-pro")
    window.panel.set_prompt("something else")
    window.panel.imageDropped.emit(path)  # what dropping the file on the panel does
    qtbot.waitUntil(lambda: window.panel.model_id() == "flux-dev", timeout=WAIT_MS)
    request = window.panel.current_request()
    assert (request.prompt, request.seed, request.steps, request.guidance) == ("a dropped teapot", 4242, 33, 4.0)
    assert (request.width, request.height) == (768, 512)


def test_window_geometry_is_restored(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.resize(760, 560)  # within the offscreen screen (800×600): restoreGeometry keeps windows on screen
    window.splitter.setSizes([370, 380])
    window.panel.set_model("flux-dev")
    window.panel.load_settings({"steps": 12, "width": 512, "height": 768, "seed": 99})
    window.panel.set_prompt("an unfinished draft")
    window.panel.set_count(3)
    window.controller.begin_closing()
    window.close()
    saved = load_settings(tmp_path)
    assert saved.window_geometry and saved.panel_state.get("splitter")
    again = make_window(settings=saved)
    assert (again.size().width(), again.size().height()) == (760, 560)
    assert again.splitter.sizes()[0] == window.splitter.sizes()[0]
    request = again.panel.current_request()
    assert (request.model, request.steps, request.width, request.height) == ("flux-dev", 12, 512, 768)
    assert request.prompt == "an unfinished draft" and request.seed == 99 and again.panel.count() == 3


def test_gallery_shows_new_images_and_reproduces_one(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"seed": 777, "width": 512, "height": 512})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a gallery teapot")
    image_id = shown.args[0]
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: image_id in gallery_ids(gallery), timeout=WAIT_MS)
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as again:
        gallery.reproduceRequested.emit(image_id)
    new = window.session.library.get_image(again.args[0])
    old = window.session.library.get_image(image_id)
    assert new.seed == old.seed == 777 and new.record.sample_sha256 == old.record.sample_sha256
    qtbot.waitUntil(lambda: again.args[0] in gallery_ids(gallery), timeout=WAIT_MS)


def test_the_gallery_details_fit_their_pane_at_1280_by_800(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    window.resize(1280, 800)
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a teapot whose details must not be clipped")
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: shown.args[0] in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([shown.args[0]], shown.args[0])
    scroll = gallery.details.findChild(QScrollArea, "detailsScroll")
    qtbot.waitUntil(lambda: scroll.isVisible() and gallery.details.fields["seed"].text() != "", timeout=WAIT_MS)
    page = scroll.widget()
    # The page cannot scroll sideways: anything wider than the viewport would be cut off.
    assert page.minimumSizeHint().width() <= scroll.viewport().width(), (
        page.minimumSizeHint().width(), scroll.viewport().width())
    # An id or a path cannot wrap: it is elided in the middle, whole in its tooltip and when copied.
    path_label = gallery.details.fields["file"]
    image = window.session.library.get_image(shown.args[0])
    assert path_label.text() == str(image.path) and path_label.toolTip() == str(image.path)
    shown_text = QLabel.text(path_label)
    metrics = path_label.fontMetrics()
    assert metrics.horizontalAdvance(str(image.path)) > path_label.width()  # too long for its room, so:
    assert "…" in shown_text and len(shown_text) < len(str(image.path))
    assert shown_text == metrics.elidedText(str(image.path), Qt.TextElideMode.ElideMiddle,
                                            path_label.contentsRect().width())
    (copy,) = path_label.actions()  # its context menu, and Ctrl+C once clicked
    assert copy.shortcut() == QKeySequence(QKeySequence.StandardKey.Copy)
    copy.trigger()
    assert QGuiApplication.clipboard().text() == str(image.path)


def test_money_uses_the_price_table_the_window_prices_with(qtbot, make_window, tmp_path) -> None:
    # The demo engine lives in its own home; the rate must still be the user's imported table's.
    import json

    from fluxdesk.resources import resource_path
    from fluxdesk.storage.price_table import import_price_table

    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["as_of"], data["usd_per_credit"] = "2027-06-01", "0.02"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    import_price_table(newer, tmp_path)
    window = ready(qtbot, make_window())
    qtbot.waitUntil(lambda: "credits (" in window.credits_label.text(), timeout=WAIT_MS)
    assert window.credits_label.text() == "5,000.0 credits ($100.00)"


def test_thumbnails_are_cached_in_the_library_and_go_with_a_deleted_image(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a teapot whose thumbnail must not outlive it")
    image_id, path = shown.args
    library = window.session.library
    qtbot.waitUntil(lambda: any(library.thumbnails_dir.glob("*.webp")), timeout=WAIT_MS)
    library.delete_image_permanently(image_id)
    assert not list(library.thumbnails_dir.glob("*.webp")) and not Path(path).exists()


def test_settings_still_save_after_the_engine_restarts(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.session_switch.restart()  # what a key change does
    window.controller.update_settings(last_seed=4242)
    qtbot.waitUntil(lambda: load_settings(tmp_path).last_seed == 4242, timeout=WAIT_MS)


def test_the_spend_tab_loads_once_when_the_engine_starts(qtbot, make_window, monkeypatch) -> None:
    from fluxdesk.ui.spend.tab import SpendTab

    loads: list[int] = []
    real_refresh = SpendTab.refresh
    monkeypatch.setattr(SpendTab, "refresh", lambda self: (loads.append(1), real_refresh(self))[1])
    window = make_window()
    window.tabs.setCurrentWidget(window.spend_tab)  # built before the engine is ready
    qtbot.waitUntil(lambda: window.spend_tab.widget is not None, timeout=WAIT_MS)
    loads.clear()
    ready(qtbot, window)
    qtbot.waitUntil(lambda: window.controller.month_spend is not None, timeout=WAIT_MS)
    assert len(loads) == 1
