"""Which engine runs, without the window: the first start, the welcome's answers, demo and real, restarts after a
new key (once the jobs are over), and the library's views the tabs are handed. The real engine host, on the
in-process simulator (the demo's, or one on loopback standing in for BFL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from dialog_support import MemoryKeyring

from fluxdesk.services.library_views import LibraryViews
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.gallery_queries import GalleryClosedError, GalleryQuery
from fluxdesk.storage.secrets import KeySource, KeyStore
from fluxdesk.storage.settings import Settings, load_settings
from fluxdesk.ui.engine.controller import AppController
from fluxdesk.ui.engine.session_switch import EngineMode, SessionSwitch
from fluxdesk.ui.engine.tasks import TaskManager

WAIT_MS = 20_000
KEY = "bfl_switch-test-key-0123456789"


class Recorder:
    """Everything a switch said, in order: ``(signal name, args)``."""

    def __init__(self, switch: SessionSwitch) -> None:
        self.said: list[tuple[str, tuple]] = []
        for name in ("waiting", "modeChanged", "libraryChanged", "welcomeRequested", "message"):
            getattr(switch, name).connect(lambda *args, name=name: self.said.append((name, args)))

    def of(self, name: str) -> list[tuple]:
        return [args for said, args in self.said if said == name]

    def last(self, name: str) -> tuple:
        return self.of(name)[-1]


class Made:
    def __init__(self, controller: AppController, switch: SessionSwitch, key_store: KeyStore) -> None:
        self.controller, self.switch, self.key_store = controller, switch, key_store
        self.recorder = Recorder(switch)
        self.asked: list[str] = []
        self.answer = True
        self.active = 0
        controller.active_jobs = lambda: self.active
        switch.confirm_stop_jobs = lambda what: self.asked.append(what) or self.answer

    @property
    def engine(self):
        return self.controller.engine


@pytest.fixture
def make_switch(qtbot, tmp_path: Path) -> Iterator[Callable[..., Made]]:
    made: list[Made] = []

    def make(*, settings: Settings | None = None, key: str | None = None, demo: bool = False) -> Made:
        controller = AppController.create(tmp_path, settings or Settings(), demo_latency=0.2)
        key_store = KeyStore(backend=MemoryKeyring(), environ={})
        if key is not None:
            key_store.set(key)
        switch = SessionSwitch(controller, key_store, demo=demo, parent=controller)
        made.append(Made(controller, switch, key_store))
        return made[-1]

    yield make
    for each in made:
        each.switch.detach_library()
        each.controller.shutdown()
    TaskManager.instance().wait()


def started(qtbot, made: Made, start: Callable[[], object]) -> EngineMode:
    with qtbot.waitSignal(made.switch.modeChanged, timeout=WAIT_MS) as mode:
        start()
    return mode.args[0]


def test_demo_asked_for_starts_the_demo_and_hands_over_its_library(qtbot, make_switch) -> None:
    made = make_switch(demo=True)
    mode = started(qtbot, made, made.switch.start)
    assert made.engine.demo and made.engine.session is not None
    assert mode == EngineMode("Demo mode — the built-in simulator: nothing is charged, images are marked demo",
                              "FluxDesk — demo", demo_offered=False, key_offered=True)
    (views,) = made.recorder.last("libraryChanged")
    assert isinstance(views, LibraryViews) and views is made.switch.views
    assert views.spend.demo and views.thumbnails_dir == made.engine.session.library.thumbnails_dir
    assert list(views.gallery.queries.ids(GalleryQuery())) == []
    order = [name for name, _args in made.recorder.said]
    assert order.index("modeChanged") < order.index("libraryChanged")
    qtbot.waitUntil(lambda: made.controller.month_spend is not None, timeout=WAIT_MS)  # read once it started


def test_start_in_the_demo_in_the_settings_starts_the_demo(qtbot, make_switch) -> None:
    made = make_switch(settings=Settings(start_in_demo=True), key=KEY)
    started(qtbot, made, made.switch.start)
    assert made.engine.demo


def test_a_stored_key_starts_the_real_engine(qtbot, make_switch, simulator) -> None:
    made = make_switch(key=KEY)
    mode = started(qtbot, made, made.switch.start)
    assert made.engine.mode == "real" and made.engine.session.has_key
    assert mode.text == (f"Simulator at {simulator.api_base} — nothing is charged, images are marked demo and kept "
                         "in the demo library")
    assert (mode.title, mode.demo_offered, mode.key_offered) == ("FluxDesk — simulator", True, False)
    assert made.recorder.of("welcomeRequested") == []
    qtbot.waitUntil(lambda: made.controller.credits is not None, timeout=WAIT_MS)
    assert made.controller.credits[0] == 777


def test_without_a_key_the_welcome_is_asked_for_and_closing_it_browses_the_library(qtbot, make_switch) -> None:
    made = make_switch()
    with qtbot.waitSignal(made.switch.welcomeRequested, timeout=WAIT_MS) as asked:
        made.switch.start()
    assert asked.args[0][0] is True  # the keyring works: the welcome may offer to store a key there
    assert made.recorder.of("waiting") == [("No API key yet: enter one, or try the offline demo.",)]
    assert made.engine.session is None and made.engine.mode is None

    with qtbot.waitSignal(made.controller.creditsCleared, timeout=WAIT_MS):
        mode = started(qtbot, made, lambda: made.switch.welcome_closed(None, False))
    assert made.recorder.last("waiting") == ("Opening your library…",)
    assert made.engine.mode == "real" and not made.engine.session.has_key
    assert mode == EngineMode("No API key — browsing your library", "FluxDesk — no API key", demo_offered=True,
                              key_offered=True)
    assert made.recorder.last("message") == ("No API key: your library is open to browse. Add a BFL API key in "
                                             "Settings (Ctrl+,) to generate.", "info")
    assert not made.switch.views.spend.demo


def test_the_welcome_s_demo_is_remembered_when_asked(qtbot, make_switch, tmp_path: Path) -> None:
    made = make_switch()
    started(qtbot, made, lambda: made.switch.welcome_closed("demo", True))
    assert made.engine.demo and made.controller.settings.start_in_demo
    qtbot.waitUntil(lambda: load_settings(tmp_path).start_in_demo, timeout=WAIT_MS)


def test_a_key_the_keyring_cannot_give_back_browses_and_says_so(qtbot, make_switch) -> None:
    made = make_switch()  # the welcome said "key", yet the keyring has none
    started(qtbot, made, lambda: made.switch.welcome_closed("key", False))
    assert not made.engine.session.has_key
    assert made.recorder.of("message")[0] == ("The key could not be read back from the system keyring. Add it "
                                              "again in Settings (Ctrl+,).", "warning")


def test_an_engine_that_cannot_start_says_why(qtbot, make_switch) -> None:
    made = make_switch()
    made.switch.key_store = BrokenStore()
    with qtbot.waitSignal(made.switch.message, timeout=WAIT_MS) as said:
        made.switch.start()
    assert said.args == ["FluxDesk could not start its engine: the keyring is locked", "error"]
    assert made.recorder.last("waiting") == ("Could not start: the keyring is locked",)


class BrokenStore:
    def get(self) -> tuple[str | None, KeySource]:
        raise RuntimeError("the keyring is locked")


@pytest.mark.parametrize("answer", [False, True])
def test_switching_to_the_demo_asks_first_while_jobs_run(qtbot, make_switch, answer: bool) -> None:
    made = make_switch()
    started(qtbot, made, lambda: made.switch.welcome_closed(None, False))
    browsing, views = made.engine.session, made.switch.views
    made.active, made.answer = 2, answer
    if not answer:
        made.switch.switch_to_demo()
        assert made.asked == ["switch to the demo"]
        assert made.engine.session is browsing and made.switch.views is views
        return
    started(qtbot, made, made.switch.switch_to_demo)
    assert made.asked == ["switch to the demo"] and made.engine.demo
    assert (None,) in made.recorder.of("libraryChanged")  # the tabs let go before the library closed
    assert made.recorder.of("waiting")[-1] == ("Starting the demo…",)
    TaskManager.instance().wait()
    with pytest.raises(GalleryClosedError):  # the views let go of were closed
        views.gallery.queries.ids(GalleryQuery())


def test_nothing_is_asked_when_no_job_runs(qtbot, make_switch) -> None:
    made = make_switch()
    started(qtbot, made, lambda: made.switch.welcome_closed(None, False))
    started(qtbot, made, made.switch.switch_to_demo)
    assert made.asked == []


def test_leaving_the_demo_forgets_start_in_the_demo_and_reads_the_key(qtbot, make_switch, tmp_path: Path) -> None:
    made = make_switch(settings=Settings(start_in_demo=True), demo=True)
    started(qtbot, made, made.switch.start)
    with qtbot.waitSignal(made.switch.welcomeRequested, timeout=WAIT_MS):  # no key: the welcome again
        made.switch.switch_to_real()
    assert made.recorder.of("waiting")[0] == ("Reading the key…",)
    assert made.engine.session is None and not made.controller.settings.start_in_demo
    qtbot.waitUntil(lambda: not load_settings(tmp_path).start_in_demo, timeout=WAIT_MS)


@pytest.fixture
def simulator(monkeypatch) -> Iterator[Simulator]:
    """A simulator on loopback standing in for BFL, for real engines (their images go to the demo library)."""
    with Simulator(SimConfig(latency=0.2, key=KEY, credits=Decimal(777))) as sim:
        monkeypatch.setenv("FLUXDESK_API_BASE", sim.api_base)
        yield sim


def test_a_new_key_restarts_the_real_engine_once_the_jobs_are_over(qtbot, make_switch, simulator) -> None:
    made = make_switch()
    started(qtbot, made, lambda: made.switch.welcome_closed(None, False))
    first = made.engine.session
    made.active = 1
    made.switch.key_changed()
    assert made.recorder.last("message") == ("The new settings apply as soon as the running jobs finish.", "info")
    assert made.engine.session is first

    # The window's queue takes each event in after the switch has seen it: the last one ends the jobs.
    made.controller.bridge.jobEvent.connect(lambda _event: setattr(made, "active", 0))
    made.key_store.set(KEY)  # the new key
    mode = started(qtbot, made, lambda: made.controller.bridge.jobEvent.emit(object()))
    assert made.recorder.of("waiting")[-1] == ("Reconnecting…",)
    assert made.engine.session is not first and made.engine.session.has_key and not mode.key_offered


def test_a_new_key_leaves_the_demo_alone(qtbot, make_switch) -> None:
    made = make_switch(demo=True)
    started(qtbot, made, made.switch.start)
    demo = made.engine.session
    made.switch.key_changed()
    made.switch.engine_settings_changed()
    qtbot.wait(200)
    assert made.engine.session is demo and made.recorder.of("waiting") == []


def test_another_region_or_folder_restarts_the_real_engine(qtbot, make_switch, simulator) -> None:
    made = make_switch(key=KEY)
    started(qtbot, made, made.switch.start)
    first = made.engine.session
    started(qtbot, made, made.switch.engine_settings_changed)
    assert made.engine.session is not first and made.recorder.of("waiting") == [("Reconnecting…",)]


def test_a_restart_waiting_for_the_jobs_is_forgotten_on_a_switch_to_the_demo(qtbot, make_switch) -> None:
    made = make_switch()
    started(qtbot, made, lambda: made.switch.welcome_closed(None, False))
    made.active = 1
    made.switch.key_changed()  # waits for the jobs
    started(qtbot, made, made.switch.switch_to_demo)  # asked, and yes: the jobs stop
    assert made.asked == ["switch to the demo"]
    demo, made.active = made.engine.session, 0
    made.controller.bridge.jobEvent.emit(object())  # the demo's first job ends
    qtbot.wait(200)
    assert made.engine.session is demo and made.engine.demo
