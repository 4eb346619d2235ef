"""The app's decisions without the window: the budget question, Reproduce's refusal, and the one settings writer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from dialog_support import FakeKeyTester, MemoryKeyring
from gallery.gallery_support import add_image

import fluxdesk.ui.engine.controller as controller_module
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.events import QueueStopped
from fluxdesk.storage.library import Library
from fluxdesk.storage.secrets import KeyStore
from fluxdesk.storage.settings import Settings, load_settings
from fluxdesk.ui.dialogs.settings import SettingsDialog
from fluxdesk.ui.engine.controller import AppController
from fluxdesk.ui.engine.tasks import TaskManager

WAIT_MS = 20_000
PRICED = GenerationRequest(model="flux-2-pro", prompt="a $0.03 teapot", width=1024, height=1024, seed=5)


@pytest.fixture
def make_controller(qtbot, tmp_path: Path) -> Iterator[Callable[..., AppController]]:
    made: list[AppController] = []

    def make(settings: Settings | None = None, *, confirm: Callable[..., bool] = lambda *_: True,
             start: bool = True) -> AppController:
        controller = AppController.create(tmp_path, settings or Settings(), demo_latency=0.2,
                                          confirm_over_budget=confirm)
        made.append(controller)
        if start:
            with qtbot.waitSignal(controller.engine.ready, timeout=WAIT_MS):
                controller.engine.start_demo()
        return controller

    yield make
    for controller in made:
        controller.shutdown()
    TaskManager.instance().wait()


@pytest.mark.parametrize("accept", [False, True])
def test_the_budget_question_is_asked_and_a_no_sends_nothing(qtbot, make_controller, accept: bool) -> None:
    asked: list[tuple] = []
    controller = make_controller(Settings(monthly_budget_usd=Decimal("0.05")),
                                 confirm=lambda *args: asked.append(args) or accept)
    controller.read_money()
    qtbot.waitUntil(lambda: controller.month_spend is not None, timeout=WAIT_MS)

    future = controller.generate(PRICED, 2)  # 2 × $0.03 = $0.06 > $0.05
    (question,) = asked[0]
    assert question.cost == Decimal("0.06") and [(c.spent, c.budget, c.project) for c in question.crossings] == [
        (Decimal(0), Decimal("0.05"), None)]
    assert question.title() == "Over this month's budget"
    simulator = controller.engine.simulator
    if accept:
        assert len(future.result(timeout=WAIT_MS / 1000)) == 2
    else:
        assert future is None
        qtbot.wait(300)
        assert simulator.counters.post_requests == 0


def test_within_the_budget_nothing_is_asked(qtbot, make_controller) -> None:
    asked: list[tuple] = []
    controller = make_controller(Settings(monthly_budget_usd=Decimal("1")), confirm=lambda *args: asked.append(args))
    controller.read_money()
    qtbot.waitUntil(lambda: controller.month_spend is not None, timeout=WAIT_MS)
    assert len(controller.generate(PRICED, 1).result(timeout=WAIT_MS / 1000)) == 1
    assert asked == []


def test_reproducing_an_image_without_a_recorded_seed_is_refused_in_words(qtbot, make_controller) -> None:
    controller = make_controller()
    image_id = add_image(controller.session.library, "a seedless fox", seed=None)
    queued: list[tuple] = []
    controller.reproductionQueued.connect(lambda *args: queued.append(args))
    with qtbot.waitSignal(controller.reproductionRefused, timeout=WAIT_MS) as refused:
        controller.reproduce(image_id)
    assert refused.args[0] == ("Cannot reproduce that image: its seed was not recorded, so a new image would "
                               "differ")
    qtbot.wait(300)
    assert queued == [] and controller.engine.simulator.counters.post_requests == 0


def test_reproducing_sends_the_image_s_own_request_and_seed(qtbot, make_controller) -> None:
    controller = make_controller()
    image_id = add_image(controller.session.library, "a fox again", seed=4242)
    with qtbot.waitSignal(controller.reproductionQueued, timeout=WAIT_MS) as queued:
        controller.reproduce(image_id)
    original, job_id, seed = queued.args
    assert (original, seed) == (image_id, 4242)
    job = controller.session.library.get_job(job_id)
    assert (job.request.prompt, job.request.seed, job.request.width) == ("a fox again", 4242, 1024)


@pytest.mark.parametrize("seed", [101, None])
def test_reuse_settings_loads_what_made_the_image(qtbot, make_controller, seed: int | None) -> None:
    controller = make_controller()
    image_id = add_image(controller.session.library, "a lighthouse at dawn", model="flux-2-pro", seed=seed)
    with qtbot.waitSignal(controller.settingsReused, timeout=WAIT_MS) as reused:
        controller.reuse_settings(image_id)
    settings = reused.args[0]
    assert settings["model"] == "flux-2-pro" and settings["prompt"] == "a lighthouse at dawn"
    assert settings.get("seed") == seed and (settings["width"], settings["height"]) == (1024, 768)


def test_a_slow_older_save_never_lands_over_a_newer_one_the_dialog_s_included(qtbot, make_controller,
                                                                              tmp_path: Path, monkeypatch) -> None:
    real_save = controller_module.save_settings

    def slow_first(home: Path, settings: Settings) -> None:
        if settings.last_seed == 1:
            time.sleep(0.4)  # the older save is the slower one
        real_save(home, settings)

    monkeypatch.setattr(controller_module, "save_settings", slow_first)
    controller = make_controller(start=False)
    controller.update_settings(last_seed=1)  # what Generate's prompt history or a theme change saves
    dialog = SettingsDialog(Settings(last_seed=2, theme="dark"), KeyStore(backend=MemoryKeyring(), environ={}),
                            FakeKeyTester(), writer=controller.writer, home=tmp_path,
                            price_table=controller.price_table)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.settingsSaved, timeout=WAIT_MS):
        dialog.save()
    controller.writer.close()  # every save asked has landed
    saved = load_settings(tmp_path)
    assert (saved.last_seed, saved.theme) == (2, "dark")


def test_closing_waits_for_the_saves_then_writes_the_final_state(qtbot, make_controller, tmp_path: Path,
                                                                 monkeypatch) -> None:
    real_save = controller_module.save_settings
    written: list[int | None] = []

    def slow_first(home: Path, settings: Settings) -> None:
        if settings.last_seed == 1:
            time.sleep(0.3)
        real_save(home, settings)
        written.append(settings.last_seed)

    monkeypatch.setattr(controller_module, "save_settings", slow_first)
    controller = make_controller(start=False)
    for seed in (1, 2):
        controller.update_settings(last_seed=seed)
    controller.close(Settings(last_seed=3))
    controller.update_settings(last_seed=4)  # after close: not saved
    assert written == [1, 2, 3] and load_settings(tmp_path).last_seed == 3


def test_remembered_folders_are_saved_by_the_one_writer(qtbot, make_controller, tmp_path: Path) -> None:
    controller = make_controller(start=False)
    controller.folder_memory.remember("export-images", tmp_path)
    qtbot.waitUntil(lambda: load_settings(tmp_path).dialog_folders.get("export-images") == str(tmp_path),
                    timeout=WAIT_MS)


def test_the_library_folder_is_the_open_library_s_or_else_home(qtbot, make_controller, tmp_path: Path) -> None:
    controller = make_controller(start=False)
    assert controller.library_folder() == tmp_path
    with qtbot.waitSignal(controller.engine.ready, timeout=WAIT_MS):
        controller.engine.start_demo()
    folder = controller.library_folder()
    assert folder == controller.session.library.library_dir and folder.is_relative_to(tmp_path / "demo")


@pytest.mark.parametrize("demo", [False, True])
def test_a_refused_key_is_said_and_the_key_settings_asked_for_outside_the_demo(qtbot, make_controller,
                                                                              demo: bool) -> None:
    controller = make_controller(start=demo)
    said: list[tuple[str, str]] = []
    asked: list[bool] = []
    controller.message.connect(lambda text, tone: said.append((text, tone)))
    controller.keyNeeded.connect(lambda: asked.append(True))
    controller.bridge.queueStopped.emit(QueueStopped("BFL refused the key.", needs_key=True))
    assert said == [("BFL refused the key.", "error")] and asked == []  # the message first, then the settings
    qtbot.wait(50)
    assert asked == ([] if demo else [True])
    controller.bridge.queueStopped.emit(QueueStopped("Out of credits.", needs_credits=True))
    qtbot.wait(50)
    assert said[-1] == ("Out of credits.", "error") and asked == ([] if demo else [True])


def test_a_read_whose_library_a_switch_closed_meanwhile_is_not_an_error(qtbot, make_controller, monkeypatch) -> None:
    controller = make_controller()
    entered, go_on = threading.Event(), threading.Event()
    real_spend = Library.spend

    def held_spend(self: Library, *args, **kwargs):
        entered.set()
        go_on.wait(10)
        return real_spend(self, *args, **kwargs)

    monkeypatch.setattr(Library, "spend", held_spend)
    controller.read_money()  # what the engine's start asks for
    assert entered.wait(10)
    with qtbot.waitSignal(controller.engine.ready, timeout=WAIT_MS):
        controller.engine.start_demo()  # File -> Try the offline demo again: the first library closes first
    go_on.set()  # the read goes on, on a closed library: its error is nobody's (it would fail this test)
    TaskManager.instance().wait()
    qtbot.wait(50)
    assert controller.month_spend is None
