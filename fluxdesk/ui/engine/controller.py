"""The app's decisions, apart from the window that shows them: generating (and the budget question),
Reproduce and Reuse settings, settings read from a dropped image, the money figures, and the one writer of the
settings file.

``AppController`` owns the engine (``EngineHost``), the bridge its events cross to the GUI thread, the folders the
file dialogs remember, the price table and the ``Settings``. It says what the window should show with signals; the
window lays out and wires. ``AppController.create`` builds it with everything it needs: the app and the tests
build the same thing.
"""

from __future__ import annotations

import concurrent.futures
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from fluxdesk.core.budgets import OverBudget, over_budget
from fluxdesk.core.catalog import UnknownModelError
from fluxdesk.core.pricing import PriceTable, PriceTableError, estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.core.serialize import request_to_dict
from fluxdesk.services.events import NO_KEY_MESSAGE, JobDone, JobFailed, QueueStopped
from fluxdesk.storage.price_table import load_price_table
from fluxdesk.storage.settings import Settings, save_settings
from fluxdesk.ui.engine.bridge import EventBridge
from fluxdesk.ui.engine.host import EngineHost
from fluxdesk.ui.engine.studio import StudioLinkHost
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.file_dialogs import FolderMemory

if TYPE_CHECKING:
    from fluxdesk.services.session import Session
    from fluxdesk.storage.project_spend import ProjectSpend
    from fluxdesk.storage.spend import SpendSummary

REFRESH_AFTER_JOBS_MS = 800
"""Credits and the month's spend are read again this long after the last job ends (debounced)."""

ConfirmOverBudget = Callable[[OverBudget], bool]
"""``(question) -> go ahead?``: asked before a submission that would cross the monthly budget, its project's budget,
or both (``OverBudget.crossings`` names them)."""


def ask_over_budget(question: OverBudget) -> bool:
    """The budget question, in a message box over the active window."""
    answer = QMessageBox.question(
        QApplication.activeWindow(), question.title(), question.text(),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class SettingsWriter:
    """The one writer of the settings file, on the task manager's one-worker ``settings`` lane: saves land in the
    order they were made, and an older one never lands over a newer."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._last: concurrent.futures.Future[None] | None = None
        """The newest save: the lane has one worker, so once it is over every earlier one is too."""
        self._closed = False

    def save(self, settings: Settings, *, check: Callable[[Settings], None] | None = None
             ) -> concurrent.futures.Future[None]:
        """Write ``settings`` after every save asked before; ``check`` (run first, on the lane) may refuse them
        by raising."""
        if self._closed:
            raise RuntimeError("the settings writer is closed")

        def write() -> None:
            if check is not None:
                check(settings)
            save_settings(self._home, settings)

        self._last = TaskManager.instance().submit(write, lane="settings")
        return self._last

    def close(self, final: Settings | None = None) -> None:
        """Wait for every save asked so far, then write ``final`` (the window's state at exit) here."""
        self._closed = True
        if self._last is not None:
            concurrent.futures.wait([self._last])
        if final is not None:
            save_settings(self._home, final)  # one small file, at exit: worth the certainty


class AppController(QObject):
    """What the app decides; the window shows its signals. Every method is called on the GUI thread."""

    message = Signal(str, str)
    """A message for the prompt panel: text and tone ("info", "warning", "error")."""
    statusMessage = Signal(str, int)
    """A passing word for the status bar: text and milliseconds."""
    keyNeeded = Signal()
    """Generating needs a key (none, or BFL refused it): the window opens the settings at Key."""
    requestSent = Signal()
    """A submission left for the engine: earlier server errors no longer apply."""
    serverErrors = Signal(object)
    """The API's field errors (a list of ``FieldError``) for the submission just made."""
    creditsChanged = Signal(object)
    """The credits balance (``Decimal``), or ``None`` when it could not be read."""
    creditsCleared = Signal()
    """No balance to show (no key)."""
    monthSpendChanged = Signal(object, object, bool)
    """This month's spend and the monthly budget (``None``: no budget), in US dollars, and whether they are the studio
    team's (the figures the budget question weighs)."""
    moneyRefreshed = Signal()
    """The money figures are being read again: views showing spend reload too."""
    reproductionQueued = Signal(int, str, object)
    """Reproduce queued a job: the original image's id, the job id, the seed."""
    reproductionRefused = Signal(str)
    """Reproduce could not run, in words."""
    settingsReused = Signal(dict)
    """What made a gallery image, for the prompt panel (Reuse settings): field → value."""
    settingsLoaded = Signal(dict)
    """Settings for the prompt panel, read from an image file's metadata (``message`` says what was loaded)."""
    settingsChanged = Signal(object)
    """New ``Settings`` from the Settings dialog, saved."""

    def __init__(self, home: Path, settings: Settings, engine: EngineHost, bridge: EventBridge,
                 price_table: PriceTable, *, active_jobs: Callable[[], int] = lambda: 0,
                 confirm_over_budget: ConfirmOverBudget = ask_over_budget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.engine = engine
        self.bridge = bridge
        self.price_table = price_table
        """The table everything is priced with (imports included)."""
        self.active_jobs = active_jobs
        """How many jobs are under way, counted on the GUI thread (the queue's model)."""
        self.confirm_over_budget = confirm_over_budget
        self._settings = settings
        self._writer = SettingsWriter(home)
        self._closing = False
        self.month_spend: Decimal | None = None
        """This month's spend, once read."""
        self.project_spend: dict[int, ProjectSpend] = {}
        """This month's spend and budget of each project, by id, once read (with ``month_spend``)."""
        self.credits: tuple[Decimal | None, datetime | None] | None = None
        """The credits balance and when it was read; ``None`` before (or without a key)."""
        self.folder_memory = FolderMemory(settings.dialog_folders, parent=self)
        """The folder each file dialog last used, saved with the other settings."""
        self.folder_memory.changed.connect(lambda: self.update_settings(dialog_folders=self.folder_memory.folders()))
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_AFTER_JOBS_MS)
        self._refresh_timer.timeout.connect(self.refresh_money)
        self.studio = StudioLinkHost(home, parent=self)
        """The studio link (studio mode), while the real engine runs and the settings name a studio."""
        engine.ready.connect(self._link_studio)
        engine.retiring.connect(self.studio.stop)
        self.studio.teamSpendChanged.connect(self._emit_month)
        self.studio.stateChanged.connect(lambda state: self._emit_month() if state is None else None)
        self.studio.projectsAdopted.connect(lambda _names: self.read_spend())
        bridge.jobEvent.connect(self._on_job_event)
        bridge.queueStopped.connect(self._on_queue_stopped)
        bridge.creditsChanged.connect(self._show_credits)

    @classmethod
    def create(cls, home: Path, settings: Settings, *, price_table: PriceTable | None = None,
               demo_latency: float | None = None, confirm_over_budget: ConfirmOverBudget = ask_over_budget
               ) -> AppController:
        """The controller with its engine, bridge and price table (the bundled or imported one)."""
        engine = EngineHost(home) if demo_latency is None else EngineHost(home, demo_latency=demo_latency)
        controller = cls(home, settings, engine, EventBridge(),
                         price_table or load_price_table(home), confirm_over_budget=confirm_over_budget)
        controller.engine.setParent(controller)
        controller.bridge.setParent(controller)
        return controller

    @property
    def session(self) -> Session | None:
        return self.engine.session

    def busy(self) -> bool:
        """Jobs are under way."""
        return self.active_jobs() > 0

    def library_folder(self) -> Path:
        """Where the open library keeps its images (FluxDesk's home while none is open)."""
        session = self.session
        return session.library.library_dir if session is not None else self.home

    # --- generating -----------------------------------------------------------------------------

    def generate(self, request: GenerationRequest, count: int, project_id: int | None = None
                 ) -> concurrent.futures.Future | None:
        """Queue ``count`` images for the project ``project_id`` (``None``: no project), asking first when they cross
        the budget; the future answers their job ids, ``None`` when nothing was queued."""
        session = self.session
        if session is None:
            self.message.emit("Not connected yet: FluxDesk is still starting.", "warning")
            return None
        if not session.has_key:
            self.message.emit(NO_KEY_MESSAGE, "warning")
            self.keyNeeded.emit()
            return None
        try:  # what is sent, priced: a reproduced image is not what the panel shows
            cost: Decimal | None = estimate(request, self.price_table, count).usd_total
        except (PriceTableError, UnknownModelError):  # no price for its model: no budget question to ask
            cost = None
        question = None if cost is None else self._over_budget(cost, project_id)
        if question is not None and not self.confirm_over_budget(question):
            return None
        self.requestSent.emit()
        future = session.generate(request, count, project_id=project_id)
        TaskManager.instance().watch_future(future, None, self._generate_failed, parent=self)
        return future

    def _over_budget(self, cost: Decimal, project_id: int | None) -> OverBudget | None:
        """The budgets ``cost`` more would cross: the month's, and the project's of this month's figures as last read
        (a project not read yet has spent nothing and has no budget). In a studio, once the team's figures are read,
        the month is the team's (against the team budget when the studio set one), with their age."""
        project = self.project_spend.get(project_id) if project_id is not None else None
        month_spent, monthly_budget, team_age = self.month_figures()
        if project is None:
            return over_budget(cost, month_spent=month_spent, monthly_budget=monthly_budget, team_age_s=team_age)
        project_spent, project_budget = project.usd, project.budget_usd
        if self.studio.team is not None and project.name is not None:
            project_spent, team_budget = self.studio.team.project(project.name)
            project_budget = team_budget if team_budget is not None else project_budget
        return over_budget(cost, month_spent=month_spent, monthly_budget=monthly_budget, team_age_s=team_age,
                           project=project.name, project_spent=project_spent, project_budget=project_budget)

    def month_figures(self) -> tuple[Decimal | None, Decimal | None, float | None]:
        """The month the budget question weighs and the prompt panel shows: spent (``None``: not read yet), the monthly
        budget (``None``: none), and ``None`` for this seat's own month, else the age in seconds of the studio team's
        figures (against the team budget, or this seat's own when the studio set none)."""
        own_budget = self._settings.monthly_budget_usd or None
        team = self.studio.team_spend
        if team is None:
            return self.month_spend, own_budget, None
        return team.usd, team.budget_usd if team.budget_usd is not None else own_budget, self.studio.team_age_s()

    def _emit_month(self, _changed: object = None) -> None:
        spent, budget, team_age = self.month_figures()
        if spent is not None:
            self.monthSpendChanged.emit(spent, budget, team_age is not None)

    def _generate_failed(self, error: BaseException) -> None:
        from fluxdesk.services.pipeline import InvalidRequestError

        if isinstance(error, InvalidRequestError):
            self.serverErrors.emit(error.errors)
        else:
            self.message.emit(f"Could not queue the images: {error}", "error")

    def _on_queue_stopped(self, event: QueueStopped) -> None:
        """The queue stopped (out of credits, or the key refused): say why; a refused key of the user's is
        changed in the settings (the demo's is the simulator's own)."""
        self.message.emit(event.reason, "error")
        if event.needs_key and not self.engine.demo:
            QTimer.singleShot(0, self, lambda: self.keyNeeded.emit())  # after the message is shown

    def cancel_job(self, job_id: str) -> None:
        if self.session is not None:
            TaskManager.instance().watch_future(self.session.cancel(job_id), parent=self)

    # --- what made an image: Reproduce and Reuse settings ---------------------------------------

    def reproduce(self, image_id: int) -> None:
        """Run an image again with exactly its model, parameters and seed (its input images included), for the
        original's project."""
        session = self.session
        if session is None:
            return
        library = session.library

        def refused(error: BaseException) -> None:
            self.reproductionRefused.emit(f"Cannot reproduce that image: {error}")

        def read() -> tuple[GenerationRequest, int | None]:
            from fluxdesk.services.session import request_for_image

            return request_for_image(library, image_id), library.project_of_image(image_id)

        def send(found: tuple[GenerationRequest, int | None]) -> None:
            request, project_id = found
            if request.seed is None:
                refused(ValueError("its seed was not recorded, so a new image would differ"))
                return
            self.statusMessage.emit(f"Reproducing image {image_id} with seed {request.seed}…", 6000)
            future = self.generate(request, 1, project_id)
            if future is not None:
                TaskManager.instance().watch_future(
                    future, lambda job_ids: self.reproductionQueued.emit(image_id, job_ids[0], request.seed),
                    refused, parent=self)

        TaskManager.instance().watch_future(session.run_in_background(read), send, refused, parent=self)

    def reuse_settings(self, image_id: int) -> None:
        """What made an image, for the prompt panel to change and send (``settingsReused``): its settings, and under
        ``references`` each reference as ``(stored file or None when gone, library image id, name)``, in order."""
        session = self.session
        if session is None:
            return
        library = session.library

        def read() -> dict[str, Any]:
            from fluxdesk.services.session import request_for_image

            request = request_for_image(library, image_id)
            settings = request_to_dict(request, include_input_images=False)
            settings["references"] = [
                (None if (path := library.reference_path(image.sha256 or "")) is None else str(path),
                 image.from_image_id, Path(image.source).name if image.source else None)
                for image in request.input_images]
            return settings

        TaskManager.instance().watch_future(
            session.run_in_background(read), self.settingsReused.emit,
            lambda error: self.statusMessage.emit(f"Cannot reuse these settings: {error}", 8000), parent=self)

    # --- settings from an image file ------------------------------------------------------------

    def load_settings_from_file(self, path: str, default_model: str) -> None:
        """Read the generation parameters embedded in an image file (FluxDesk's record, A1111 text, or what maps of a
        ComfyUI workflow; a model is ``default_model`` unless the file names one FluxDesk runs) and hand them to the
        panel (``settingsLoaded``), saying what did not load. A ComfyUI file with nothing else usable gives its
        obvious prompt; a damaged file what was read before the damage."""
        name = Path(path).name

        def read() -> tuple[Any, str, bool]:
            from fluxdesk.core.comfyui import load_comfyui_settings
            from fluxdesk.core.metadata import load_settings_from_metadata
            from fluxdesk.storage.metadata_io import read_image_metadata

            reading = read_image_metadata(Path(path).read_bytes())
            damage = f" The file is damaged ({reading.damage})." if reading.damage else ""
            comfy = reading.comfyui
            if reading.record is not None:
                loaded = load_settings_from_metadata(reading.record)
            elif reading.a1111:
                loaded = load_settings_from_metadata(reading.a1111, default_model=default_model)
            elif comfy is not None and comfy.usable:
                loaded = load_comfyui_settings(comfy, default_model=default_model)
            elif comfy is not None and comfy.prompt:
                return {"prompt": comfy.prompt}, f"Loaded the prompt of {name}. {comfy.summary()}.{damage}", True
            else:
                raise ValueError(reading.unusable_text() or "it carries no FluxDesk or A1111 generation parameters")
            partial = bool(loaded.not_loaded or loaded.reinterpreted or damage)
            return loaded.settings, loaded.message(name) + damage, partial

        def loaded(result: tuple[Any, str, bool]) -> None:
            settings, text, partial = result
            self.settingsLoaded.emit(settings)
            self.message.emit(text, "warning" if partial else "info")

        TaskManager.instance().run_in_background(
            read, loaded, lambda error: self.message.emit(f"Could not load settings from {name}: {error}", "warning"),
            parent=self)

    # --- money ----------------------------------------------------------------------------------

    def refresh_money(self) -> None:
        """Read the credits and the month's spend again (views showing spend reload: ``moneyRefreshed``)."""
        self.read_money()
        self.moneyRefreshed.emit()

    def read_money(self) -> None:
        """The credits balance from BFL and this month's spend from the ledger, off the GUI thread."""
        session = self.session
        if session is None:
            return
        if session.has_key:
            TaskManager.instance().watch_future(session.credits(), None, lambda _e: self._show_credits(None),
                                                parent=self)
        self.read_spend()

    def read_spend(self) -> None:
        """This month's spend, in all and per project, from the ledger, off the GUI thread: what the budget
        question weighs (after images moved to another project or a budget changed; BFL is not asked)."""
        session = self.session
        if session is None:
            return
        from fluxdesk.storage.spend import current_month  # with SQLite, after start-up

        month = current_month()
        usd = self.price_table.usd_per_credit  # the table the window prices with, imports included
        demo = self.engine.simulated  # the demo library holds only demo jobs: its pretend spend is the point
        library = session.library
        TaskManager.instance().run_in_background(
            lambda: (library.spend(month, include_demo=demo, usd_per_credit=usd),
                     library.spend_by_project(month, include_demo=demo, usd_per_credit=usd)),
            self._show_spend, self._read_failed(session), parent=self)

    def _read_failed(self, session: Session) -> Callable[[BaseException], None]:
        """What a failed read of ``session``'s library does: report it as unexpected, unless the engine has moved on
        meanwhile and closed that library under the read (a switch right after a start or a save)."""
        def failed(error: BaseException) -> None:
            if session is self.session:
                sys.excepthook(type(error), error, error.__traceback__)

        return failed

    def clear_credits(self) -> None:
        """No balance to show (no key): nothing of an earlier engine's figures stays on screen."""
        self.credits = None
        self.creditsCleared.emit()

    def _show_credits(self, credits: Decimal | None) -> None:
        self.credits = (credits, datetime.now(UTC) if credits is not None else None)
        self.creditsChanged.emit(credits)

    def _show_spend(self, read: tuple[SpendSummary, list[ProjectSpend]]) -> None:
        summary, projects = read
        self.project_spend = {p.project_id: p for p in projects if p.project_id is not None}
        self.month_spend = summary.usd
        self._emit_month()

    def _on_job_event(self, event: object) -> None:
        if isinstance(event, JobDone | JobFailed):
            if isinstance(event, JobDone) and event.seed is not None:
                self._settings = replace(self._settings, last_seed=event.seed)  # saved with the next save
            self._refresh_timer.start()
            self.studio.wake()  # its ledger row goes now, not at the link's next tick

    # --- settings: the one writer ---------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def writer(self) -> SettingsWriter:
        """The settings file's one writer (the Settings dialog saves through it too)."""
        return self._writer

    @property
    def closing(self) -> bool:
        return self._closing

    def update_settings(self, **changes: Any) -> None:
        """Change some settings and save them (after every earlier save)."""
        self._settings = replace(self._settings, **changes)
        self._save()

    def remember_prompt(self, prompt: str) -> None:
        self._settings = self._settings.with_prompt(prompt)
        self._save()

    def adopt_saved(self, settings: Settings) -> bool:
        """The Settings dialog saved ``settings``: they are the app's now. ``True`` when the engine must restart
        (another region or library folder)."""
        engine_changed = (settings.region != self._settings.region
                          or settings.library_folder != self._settings.library_folder)
        self._settings = settings
        self.settingsChanged.emit(settings)
        self.refresh_money()
        return engine_changed

    def _save(self) -> None:
        if self._closing:
            return  # close() writes the final state itself
        TaskManager.instance().watch_future(
            self._writer.save(self._settings), None,
            lambda error: self.statusMessage.emit(f"Could not save the settings: {error}", 8000), parent=self)

    def begin_closing(self) -> None:
        """The app is closing: no more saves are queued, and nobody is asked about running jobs."""
        self._closing = True

    def close(self, final: Settings) -> None:
        """At exit: wait for the saves already asked, then write ``final`` (the window's state included)."""
        self._closing = True
        self._settings = final
        self._writer.close(final)

    def shutdown(self) -> None:
        """Stop the settings writer (after its saves), the studio link and the engine. Safe to call twice."""
        self._writer.close()
        self.studio.shutdown()
        self.engine.stop()

    # --- studio mode --------------------------------------------------------------------------------

    def _link_studio(self, _session: object = None) -> None:
        """The real engine runs: link to the studio the settings name (the demo and the simulator never sync)."""
        if self.engine.mode == "real" and not self._closing:
            self.studio.start(self._settings, self.price_table.usd_per_credit)
        else:
            self.studio.stop()

    def set_studio_link(self, url: str | None, seat: str | None) -> None:
        """Settings → Studio joined (or left, ``None, None``): keep the link in the settings and link (or unlink) the
        running app at once."""
        self.update_settings(studio_url=url, studio_seat=seat)
        self._link_studio()
