"""The window a designer lives in: the prompt panel on the left, the work on the right.

It lays out the widgets, builds the menus and wires their signals to the ``AppController``, which makes the
app's decisions (generating, Reproduce, money, settings), and to the ``SessionSwitch``, which decides which engine
runs (the first start, the welcome, demo or real, restarts); each widget keeps its own internals. Everything slow
(keyring, disk, network, decoding) happens off the GUI thread.
"""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.pricing import PriceTable, format_usd
from fluxdesk.core.projects import same_project
from fluxdesk.core.references import ReferenceSize
from fluxdesk.core.wording import plural
from fluxdesk.services.events import JobDone, JobFailed
from fluxdesk.storage.settings import Settings
from fluxdesk.ui.engine.controller import AppController
from fluxdesk.ui.engine.session_switch import EngineMode, SessionSwitch
from fluxdesk.ui.engine.studio import link_words
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.generate.panel import PromptPanel
from fluxdesk.ui.kit.desktop_open import open_with_system
from fluxdesk.ui.kit.lazy_tab import LazyTab
from fluxdesk.ui.kit.theme import apply_theme, set_heading
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader
from fluxdesk.ui.mask.kinds import EDIT_FILE_FILTER, EXPAND, REGION
from fluxdesk.ui.queue.model import JobQueueModel
from fluxdesk.ui.queue.recent import RecentStrip
from fluxdesk.ui.queue.view import QueueView

if TYPE_CHECKING:
    from pathlib import Path

    from fluxdesk.core.providers import ProviderTable
    from fluxdesk.core.selfhost import SelfHostTable
    from fluxdesk.services.library_views import LibraryViews
    from fluxdesk.services.session import Session
    from fluxdesk.ui.breakeven.tab import BreakEvenTab
    from fluxdesk.ui.dialogs.key_entry import KeyTester
    from fluxdesk.ui.dialogs.settings import SettingsDialog
    from fluxdesk.ui.dialogs.welcome import WelcomeDialog
    from fluxdesk.ui.gallery.tab import GalleryTab
    from fluxdesk.ui.mask.dialog import EditDialog
    from fluxdesk.ui.spend.tab import SpendTab


STUDIO_LABEL_TICK_MS = 5_000
"""How often the studio label's ages ("synced 2 min ago") are written again."""


def provider_table(home: Path) -> ProviderTable:
    """Other providers' prices (the bundled table, or a newer import), for "the same request elsewhere"."""
    from fluxdesk.storage.providers import load_provider_table  # imported when first used, not at start-up

    return load_provider_table(home)


class MainWindow(QMainWindow):
    """The main window. ``shutdown()`` stops the engine and every worker; call it before exit."""

    imageShown = Signal(int, str)
    """An image arrived in the recent strip: its id and path."""

    def __init__(self, controller: AppController, session_switch: SessionSwitch, thumbnails: ThumbnailLoader, *,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        """The app's decisions; the window shows its signals. Owned by the window from here on."""
        controller.setParent(self)
        self.session_switch = session_switch
        """Which engine runs; the window shows what it says, and the welcome when it asks."""
        self._key_store = session_switch.key_store  # the one the switch reads: the dialogs store the key there
        self._welcome: WelcomeDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self.engine = controller.engine
        self.bridge = controller.bridge
        self.folder_memory = controller.folder_memory
        """The folder each file dialog last used: handed to the tabs and dialogs that open one."""
        self.thumbnails = thumbnails  # its disk cache is the library's, once open
        thumbnails.setParent(self)

        self.setWindowTitle("FluxDesk")
        self.setObjectName("mainWindow")
        self._build_widgets()
        controller.active_jobs = self.queue_model.active_count
        self._build_menus()
        self._connect()
        self._restore_geometry()
        self._set_waiting("Starting…")
        self.panel.focus_target().setFocus()
        QTimer.singleShot(0, session_switch.start)

    # --- building -------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.panel = PromptPanel(self.controller.price_table, folders=self.folder_memory)
        self.panel.setObjectName("promptPanel")
        self.panel.set_reference_policy(ReferenceSize.parse(self.controller.settings.reference_size))
        self.panel.setMinimumWidth(360)  # wide tabs (the gallery's details) must not squeeze the controls
        self.panel.set_history(self.controller.settings.prompt_history)
        home = self.controller.home
        self._providers: ProviderTable | None = None
        """Other providers' prices (bundled, or a newer import), once read off the GUI thread."""
        TaskManager.instance().run_in_background(lambda: provider_table(home), self._provider_table_changed,
                                                 parent=self)
        self.panel.set_model(self.controller.settings.default_model)
        if self.controller.settings.last_seed is not None:
            self.panel.set_last_seed(self.controller.settings.last_seed)
        self.panel.set_project(self.controller.settings.current_project)

        self.queue_model = JobQueueModel(self)
        self.queue = QueueView(self.queue_model, self.thumbnails)
        self.recent = RecentStrip(self.thumbnails)
        recent_title = QLabel("Latest images")
        set_heading(recent_title)
        recent_title.setObjectName("recentTitle")
        self.recent.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        generate_tab = QWidget()
        layout = QVBoxLayout(generate_tab)
        layout.setContentsMargins(0, 0, 12, 8)  # the list and the strip keep off the window edge
        layout.addWidget(self.queue, 1)
        layout.addWidget(recent_title)
        layout.addWidget(self.recent)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        # A gallery image dragged over "Generate" opens that tab, so it can be dropped on the reference tray.
        self.tabs.tabBar().setChangeCurrentOnDrag(True)
        self.tabs.tabBar().setAcceptDrops(True)
        self.tabs.addTab(generate_tab, "Generate")
        self.gallery_tab = LazyTab(self._build_gallery_tab)
        self.tabs.addTab(self.gallery_tab, "Gallery")
        self.spend_tab = LazyTab(self._build_spend_tab)
        self.breakeven_tab = LazyTab(self._build_breakeven_tab)
        self.tabs.addTab(self.spend_tab, "Spend")
        self.tabs.addTab(self.breakeven_tab, "Break-even")

        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([420, 860])
        self._panel_sizes = self.splitter.sizes()
        self.setCentralWidget(self.splitter)

        self.mode_label = QLabel()
        self.mode_label.setObjectName("modeLabel")
        self.credits_label = QLabel()
        self.credits_label.setObjectName("creditsLabel")
        self.studio_label = QLabel()
        self.studio_label.setObjectName("studioLabel")
        self.studio_label.hide()
        self.statusBar().addWidget(self.mode_label, 1)
        self.statusBar().addPermanentWidget(self.studio_label)
        self.statusBar().addPermanentWidget(self.credits_label)
        self._team_view_linked = False
        self._studio_timer = QTimer(self, interval=STUDIO_LABEL_TICK_MS)  # the ages on the label move on
        self._studio_timer.timeout.connect(self._show_studio)

    def _build_gallery_tab(self) -> GalleryTab:
        from fluxdesk.ui.gallery.tab import GalleryTab

        tab = GalleryTab(self.thumbnails, folders=self.folder_memory)
        tab.reproduceRequested.connect(self.controller.reproduce)
        tab.reuseSettingsRequested.connect(self.controller.reuse_settings)

        def use_seed(seed: int) -> None:
            self.panel.set_seed(seed)
            self._go_generate()

        def use_prompt(prompt: str) -> None:
            self.panel.set_prompt(prompt)
            self._go_generate()

        tab.useSeedRequested.connect(use_seed)
        tab.usePromptRequested.connect(use_prompt)
        tab.referenceRequested.connect(self.use_as_reference)
        tab.editRegionRequested.connect(lambda path, image_id: self.edit_image(REGION, path, image_id))
        tab.expandRequested.connect(lambda path, image_id: self.edit_image(EXPAND, path, image_id))
        tab.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        tab.imagesMoved.connect(self._images_moved)
        tab.set_price_table(self.controller.price_table)
        if (views := self.session_switch.views) is not None:
            tab.set_store(views.gallery)
        return tab

    def _images_moved(self) -> None:
        """Gallery images moved to another project (or back): spend by project changed, and a project may have
        been made or used."""
        self.panel.reload_projects()
        self.spend_tab.if_built(lambda tab: tab.refresh())
        self.controller.read_spend()  # the budget question's per-project figures follow the move
        self.controller.studio.wake()  # in a studio, images synced before the move are re-filed on the team's ledger

    def _tab_changed(self, index: int) -> None:
        # The gallery needs the width (grid and details); the prompt panel returns on every other tab.
        shown = self.tabs.widget(index) is not self.gallery_tab
        if not shown and not self.panel.isHidden():
            self._panel_sizes = self.splitter.sizes()
        self.panel.setVisible(shown)

    def _go_generate(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.panel.focus_target().setFocus()

    def use_as_reference(self, path: str, image_id: object = None) -> None:
        """ "Use as reference" (a gallery image, a latest-images tile, a queue row): to the Generate tab, and the
        image into the reference tray, linked to the library image it is."""
        self._go_generate()
        if self.panel.add_reference(path, image_id if isinstance(image_id, int) else None):
            count = self.panel.references.count()
            self.statusBar().showMessage(f"Added as image {count}: say in the prompt what to do with it.", 6000)

    def edit_image(self, kind: str, path: str, image_id: object = None) -> EditDialog:
        """Edit region… (``REGION``) or Expand canvas… (``EXPAND``) on an image: a gallery image's file with its id,
        or any image file, for the prompt panel's current project. The dialog prices, asks the budget question and
        queues through the controller."""
        from fluxdesk.ui.mask.dialog import EditDialog

        picker = self.panel.project_picker()
        project_id, project_name = picker.project_id(), picker.project_name()
        project = (project_id, project_name) if project_id is not None and project_name else None
        dialog = EditDialog(kind, self.controller, parent=self, project=project)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sent.connect(lambda text: self.statusBar().showMessage(text, 8000))
        dialog.resize(max(760, self.width() * 4 // 5), max(560, self.height() * 9 // 10))
        dialog.open_image(path, image_id if isinstance(image_id, int) else None)
        dialog.open()
        return dialog

    def choose_image_to_edit(self, kind: str) -> None:
        """Generate → Edit a region of an image file… / Expand an image file's canvas…: any image file."""
        start = self.folder_memory.start_folder("edit-image")
        path, _filter = QFileDialog.getOpenFileName(self, "Choose an image to edit", start, EDIT_FILE_FILTER)
        if path:
            self.folder_memory.remember("edit-image", os.path.dirname(path))
            self.edit_image(kind, path)

    def _reuse_settings(self, settings: dict) -> None:
        self.panel.load_settings(settings)
        self._go_generate()
        references = settings.get("references") or []
        gone = self.panel.replace_references(references)
        if gone:
            self.panel.show_message(f"Settings loaded from the gallery, but {', '.join(gone)} is no longer in the "
                                    "library: add it again, then Ctrl+Enter.", "warning")
            return
        with_references = (f" with its {plural(len(references), 'reference image')}" if references else "")
        self.panel.show_message(f"Settings loaded from the gallery{with_references}: check them, then Ctrl+Enter.",
                                "info")

    def _build_spend_tab(self) -> SpendTab:
        from fluxdesk.ui.spend.tab import SpendTab

        tab = SpendTab(self.controller.price_table, folders=self.folder_memory)
        tab.set_budget(self.controller.settings.monthly_budget_usd or None)
        tab.refreshCreditsRequested.connect(self.controller.read_money)  # the balance; the tab has its own Reload
        tab.projectBudgetChanged.connect(lambda _id: self.controller.read_spend())  # the budget question's figures
        tab.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 6000))
        tab.showImageRequested.connect(self.show_image_in_gallery)
        if (views := self.session_switch.views) is not None:
            tab.set_queries(views.spend)
        if self.controller.credits is not None:
            tab.set_credits(*self.controller.credits)
        tab.set_team_reader(self.controller.studio.team_reader())
        return tab

    def _build_breakeven_tab(self) -> BreakEvenTab:
        from fluxdesk.storage.self_hosting import load_self_host_table
        from fluxdesk.ui.breakeven.tab import BreakEvenTab

        home = self.controller.home
        tab = BreakEvenTab(self.controller.price_table, self._providers or provider_table(home),
                           load_self_host_table(home),
                           self.controller.settings.breakeven)
        tab.settingsChanged.connect(lambda chosen: self.controller.update_settings(breakeven=chosen))
        tab.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        if (views := self.session_switch.views) is not None:
            tab.set_queries(views.spend)
        return tab

    def show_image_in_gallery(self, image_id: int) -> None:
        """Open an image from elsewhere (the ledger, say) in the gallery's details."""
        self.tabs.setCurrentWidget(self.gallery_tab)
        self.gallery_tab.when_built(lambda tab: tab.select_ids([image_id], image_id))

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        # triggered(bool) would pass `checked` into the slot's first parameter (Settings got section=False).
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.panel.add_reference_action)
        file_menu.addSeparator()
        self.settings_action = self._action("&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences,
                                            "Key, region, library folder, budget, prices, theme")
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        file_menu.addAction(self.settings_action)
        self.open_library_action = self._action("Open library &folder", self.open_library_folder,
                                                tip="Show the folder where your images are saved")
        file_menu.addAction(self.open_library_action)
        file_menu.addSeparator()
        self.demo_action = self._action("Try the offline &demo", self.session_switch.switch_to_demo,
                                        tip="The built-in simulator: nothing is charged, images are marked demo")
        self.real_action = self._action("Use my BFL &key", self.session_switch.switch_to_real,
                                        tip="Leave the demo and generate with your own key")
        file_menu.addAction(self.demo_action)
        file_menu.addAction(self.real_action)
        file_menu.addSeparator()
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        if quit_action.shortcut().isEmpty():  # platforms with no standard Quit key (most Linux desktops)
            quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        file_menu.addAction(quit_action)

        gen = bar.addMenu("&Generate")
        gen.addAction(self._action("&Generate\tCtrl+Enter", self.panel.generate,
                                   tip="Send the prompt (the button shows the price)"))
        gen.addSeparator()
        self.edit_file_action = self._action(
            "&Edit a region of an image file…", lambda: self.choose_image_to_edit(REGION),
            tip="Paint over the part to change: FLUX.1 Fill [pro] or a FLUX.2 local edit (a gallery image: Ctrl+M in "
                "the gallery)")
        self.expand_file_action = self._action("E&xpand an image file's canvas…",
                                               lambda: self.choose_image_to_edit(EXPAND),
                                               tip="Add pixels around an image with FLUX.1 Expand [pro] (a gallery "
                                                   "image: Ctrl+Shift+M in the gallery)")
        gen.addAction(self.edit_file_action)
        gen.addAction(self.expand_file_action)
        gen.addSeparator()
        gen.addAction(self._action("&Refresh credits", self.controller.refresh_money, "F5",
                                   tip="Ask BFL for the credits balance"))

        view = bar.addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        for name, label in (("system", "&System"), ("light", "&Light"), ("dark", "&Dark")):
            action = QAction(label, self, checkable=True)
            action.setChecked(self.controller.settings.theme == name)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            group.addAction(action)
            theme_menu.addAction(action)
        self._theme_actions = group

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, "F1"))
        help_menu.addAction(self._action("&About FluxDesk", self.show_about))

    def _connect(self) -> None:
        controller = self.controller
        self.panel.generateRequested.connect(controller.generate)
        self.panel.projectChanged.connect(lambda name: controller.update_settings(current_project=name))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.panel.promptSubmitted.connect(controller.remember_prompt)
        self.panel.imageDropped.connect(lambda path: controller.load_settings_from_file(path, self.panel.model_id()))
        self.queue.cancelRequested.connect(controller.cancel_job)
        self.queue.openImage.connect(self.open_image)
        self.queue.referenceRequested.connect(self.use_as_reference)
        self.recent.referenceRequested.connect(self.use_as_reference)
        self.recent.imageActivated.connect(lambda _id, path: self.open_image(path))
        self.bridge.jobEvent.connect(self._on_job_event)
        switch = self.session_switch
        switch.waiting.connect(self._set_waiting)
        switch.modeChanged.connect(self._show_mode)
        switch.libraryChanged.connect(self._show_library)
        switch.welcomeRequested.connect(self._open_welcome)
        switch.message.connect(self.panel.show_message)
        controller.message.connect(self.panel.show_message)
        controller.settingsLoaded.connect(self.panel.load_settings)
        controller.settingsReused.connect(self._reuse_settings)
        controller.statusMessage.connect(self.statusBar().showMessage)
        controller.keyNeeded.connect(lambda: self.open_settings(section="Key"))
        controller.requestSent.connect(self.panel.clear_server_errors)
        controller.serverErrors.connect(self.panel.show_server_errors)
        controller.creditsChanged.connect(self._show_credits)
        controller.studio.stateChanged.connect(self._studio_link_changed)
        controller.studio.projectsAdopted.connect(self._reload_project_lists)  # the studio's shared projects
        controller.studio.teamSpendChanged.connect(self._show_studio)
        controller.studio.teamSpendChanged.connect(
            lambda spend: self.spend_tab.if_built(lambda tab: tab.follow_team(spend)))
        controller.creditsCleared.connect(self._clear_credits)
        controller.monthSpendChanged.connect(self.panel.set_month_spend)
        controller.moneyRefreshed.connect(lambda: self.spend_tab.if_built(lambda tab: tab.refresh()))
        controller.moneyRefreshed.connect(lambda: self.breakeven_tab.if_built(lambda tab: tab.refresh_usage()))
        controller.reproductionQueued.connect(
            lambda image_id, job_id, seed: self.gallery_tab.if_built(
                lambda tab: tab.reproduction_queued(image_id, job_id, seed)))
        controller.reproductionRefused.connect(self._reproduction_refused)

    # --- which engine runs: what the session switch says ------------------------------------------

    @property
    def session(self) -> Session | None:
        return self.engine.session

    def _open_welcome(self, keyring_status: tuple[bool, str]) -> None:
        from fluxdesk.ui.dialogs.welcome import WelcomeDialog

        dialog = WelcomeDialog(self._key_store, self.engine.key_tester(self.controller.settings),
                               keyring_status=keyring_status, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # deleted after finished: choice() is read there
        self._welcome = dialog
        dialog.finished.connect(lambda _code: self._welcome_closed(dialog))
        dialog.open()

    def _welcome_closed(self, dialog: WelcomeDialog) -> None:
        self._welcome = None
        self.session_switch.welcome_closed(dialog.choice(), dialog.start_in_demo())

    def _set_waiting(self, why: str) -> None:
        self.panel.set_generate_enabled(False, why)
        self.mode_label.setText(why)

    def _show_mode(self, mode: EngineMode) -> None:
        self.panel.clear_message()
        self.panel.set_generate_enabled(True)
        self.mode_label.setText(mode.text)
        self.setWindowTitle(mode.title)
        self.demo_action.setEnabled(mode.demo_offered)
        self.real_action.setEnabled(mode.key_offered)

    def _show_library(self, views: LibraryViews | None) -> None:
        if views is not None:
            self.thumbnails.set_cache_dir(views.thumbnails_dir)
        self.panel.set_projects(views.projects if views is not None else None)
        self.spend_tab.if_built(lambda tab: tab.set_queries(views.spend if views is not None else None))
        self.gallery_tab.if_built(lambda tab: tab.set_store(views.gallery if views is not None else None))
        self.breakeven_tab.if_built(lambda tab: tab.set_queries(views.spend if views is not None else None))

    def _on_job_event(self, event: object) -> None:
        self.queue_model.apply(event)
        if isinstance(event, JobDone):
            self.recent.add_image(event.image_id, event.path, self._prompt_of(event.job_id), event.seed)
            self.gallery_tab.if_built(lambda tab: tab.image_added(event.image_id, event.job_id))
            if event.seed is not None:
                self.panel.set_last_seed(event.seed)
            self.imageShown.emit(event.image_id, event.path)
        elif isinstance(event, JobFailed):
            self.gallery_tab.if_built(lambda tab: tab.reproduction_failed(event.job_id, event.reason))
            if event.field_errors:
                self.panel.show_server_errors(event.field_errors)

    def _prompt_of(self, job_id: str) -> str:
        job = self.queue_model.job(job_id)
        return job.prompt if job is not None and job.prompt else ""

    # --- what the controller says ------------------------------------------------------------

    def _reproduction_refused(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)
        self.gallery_tab.if_built(lambda tab: tab.show_notice(text, "error"))

    def _clear_credits(self) -> None:
        self.spend_tab.if_built(lambda tab: tab.set_credits(None, None))
        self.panel.set_credits(None)
        self.credits_label.setText("")

    def _show_credits(self, credits: Decimal | None) -> None:
        self.spend_tab.if_built(lambda tab: tab.set_credits(*(self.controller.credits or (None, None))))
        self.panel.set_credits(credits)
        if credits is None:
            self.credits_label.setText("Credits: unknown (offline?)")
        else:
            usd = credits * self.controller.price_table.usd_per_credit
            self.credits_label.setText(f"{credits:,.1f} credits ({format_usd(usd)})")

    def _studio_link_changed(self, _state: object) -> None:
        """A link started or stopped: the Spend tab's Team view follows it."""
        linked = self.controller.studio.joined
        if linked != self._team_view_linked:
            self._team_view_linked = linked
            self.spend_tab.if_built(lambda tab: tab.set_team_reader(self.controller.studio.team_reader()))
        self._show_studio()

    def _show_studio(self, _changed: object = None) -> None:
        """The studio link's state and the team figures' age; nothing when this home joined no studio."""
        studio = self.controller.studio
        if studio.state is None:
            if self._settings_dialog is not None:
                self._settings_dialog.set_studio_state(None)
            self.studio_label.hide()
            self._studio_timer.stop()
            return
        text, details = link_words(studio.state, studio.team_age_s())
        if self._settings_dialog is not None:
            self._settings_dialog.set_studio_state(text)
        self.studio_label.setText(text)
        self.studio_label.setToolTip(details)
        self.studio_label.show()
        if not self._studio_timer.isActive():
            self._studio_timer.start()

    # --- dropped images, opening files ----------------------------------------------------------

    def open_image(self, path: str) -> None:
        if (problem := open_with_system(path)) is not None:
            self.statusBar().showMessage(f"{problem}. In the Gallery tab, Space shows it large.", 10000)

    def open_library_folder(self) -> None:
        if (problem := open_with_system(self.controller.library_folder())) is not None:
            self.statusBar().showMessage(problem, 10000)

    # --- settings -------------------------------------------------------------------------------

    def open_settings(self, section: str | None = None) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.raise_()
            return
        dialog = self._settings_dialog_for(self.engine.key_tester(self.controller.settings))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if section is not None:
            dialog.select_section(section)
        dialog.settingsSaved.connect(self._settings_saved)
        dialog.keyChanged.connect(self.session_switch.key_changed)
        dialog.priceTableImported.connect(self._price_table_changed)
        dialog.providerTableImported.connect(self._provider_table_changed)
        dialog.selfHostTableImported.connect(self._self_host_table_changed)
        dialog.themeChanged.connect(lambda theme: apply_theme(cast(QApplication, QApplication.instance()), theme))
        dialog.projectRenamed.connect(self._project_renamed)
        dialog.projectRemoved.connect(self._project_removed)
        dialog.projectsChanged.connect(self._projects_changed)
        dialog.studioLinkChanged.connect(self.controller.set_studio_link)
        dialog.finished.connect(lambda _code: setattr(self, "_settings_dialog", None))
        self._settings_dialog = dialog
        self._show_studio()  # the Studio page shows the link's state
        dialog.open()

    def _settings_dialog_for(self, tester: KeyTester) -> SettingsDialog:
        from fluxdesk.ui.dialogs.settings import SettingsDialog

        views = self.session_switch.views
        return SettingsDialog(self.controller.settings, self._key_store, tester, writer=self.controller.writer,
                              home=self.controller.home, demo=self.engine.demo,
                              price_table=self.controller.price_table, folders=self.folder_memory,
                              projects=views.project_admin if views is not None else None, parent=self)

    def _project_renamed(self, old: str, new: str) -> None:
        """Settings → Projects renamed a project: the prompt panel keeps it picked under its new name."""
        if same_project(self.controller.settings.current_project, old):
            self.controller.update_settings(current_project=new)
            self.panel.set_project(new)

    def _project_removed(self, name: str) -> None:
        """A project archived or deleted: when it was the current one, the next images are for no project."""
        if same_project(self.controller.settings.current_project, name):
            self.controller.update_settings(current_project=None)
            self.panel.set_project(None)

    def _projects_changed(self) -> None:
        """Projects renamed, archived or deleted in Settings (a rename re-files synced jobs on the team's ledger)."""
        self._reload_project_lists()
        self.controller.studio.wake()

    def _reload_project_lists(self, _names: object = None) -> None:
        """The project lists read again: the panel's picker, the gallery's filter, the Spend tab."""
        self.panel.reload_projects()
        self.gallery_tab.if_built(lambda tab: tab.reload_projects())
        self.spend_tab.if_built(lambda tab: tab.refresh())

    def _settings_saved(self, settings: Settings) -> None:
        engine_changed = self.controller.adopt_saved(settings)
        self.panel.set_reference_policy(ReferenceSize.parse(settings.reference_size))
        self.spend_tab.if_built(lambda tab: tab.set_budget(settings.monthly_budget_usd or None))
        apply_theme(cast(QApplication, QApplication.instance()), settings.theme)
        for action in self._theme_actions.actions():
            action.setChecked(action.text().replace("&", "").lower() == settings.theme)
        if engine_changed:
            self.session_switch.engine_settings_changed()

    def _price_table_changed(self, table: PriceTable) -> None:
        self.controller.price_table = table
        self.panel.set_price_table(table)
        for tab in (self.spend_tab, self.breakeven_tab, self.gallery_tab):
            tab.if_built(lambda widget: widget.set_price_table(table))

    def _provider_table_changed(self, table: ProviderTable) -> None:
        """Other providers' prices read at start, or newly imported in Settings: every view showing them follows."""
        self._providers = table
        self.panel.set_provider_table(table)
        self.breakeven_tab.if_built(lambda tab: tab.set_tables(providers=table))

    def _self_host_table_changed(self, table: SelfHostTable) -> None:
        self.breakeven_tab.if_built(lambda tab: tab.set_tables(self_host=table))

    def set_theme(self, theme: str) -> None:
        apply_theme(cast(QApplication, QApplication.instance()), theme)
        self.controller.update_settings(theme=theme)

    def dialogs_for_screenshots(self) -> list[tuple[str, QWidget]]:
        """Every dialog the app has, built fresh (not shown) for ``--screenshots``."""
        from fluxdesk.ui.dialogs.welcome import WelcomeDialog

        tester = self.engine.key_tester(self.controller.settings)
        return [
            ("settings", self._settings_dialog_for(tester)),
            ("welcome", WelcomeDialog(self._key_store, tester, keyring_status=(True, ""), parent=self)),
        ]

    # --- help -----------------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        from fluxdesk.ui.dialogs.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self.shortcut_sections(), parent=self)
        dialog.open()

    def shortcut_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every shortcut, grouped by where it works, read from the actions that carry them."""
        from fluxdesk.ui.dialogs.shortcuts import entries_of

        menus = [entries_of(self._menu_actions(menu.menu())) for menu in self.menuBar().actions() if menu.menu()]
        # WORKAROUND: these keys are handled in keyPressEvent (the prompt editor and the lists would
        # otherwise lose Return and Delete to window-wide shortcuts), so no action carries them.
        panel = [("Alt+Up, Alt+Down", "Previous / next prompt from your history"),
                 *entries_of(self.panel.references.shortcut_actions())]
        queue = [("Delete", "Cancel the selected waiting jobs (jobs already sent are billed anyway)")]
        gallery = entries_of(self.gallery_tab.build().actions.all())
        from PySide6.QtGui import QUndoStack

        from fluxdesk.ui.mask.actions import MaskActions

        host = QWidget()  # the editor's actions carry its keys: made on a bare host for their names, then let go
        mask = [*entries_of(MaskActions(host, QUndoStack(host)).all()),
                ("Ctrl+Enter", "Send the edit (its price is on the button)")]
        host.deleteLater()
        return [("Everywhere", [entry for entries in menus for entry in entries]), ("Prompt panel", panel),
                ("Queue", queue), ("Gallery (with images selected)", gallery), ("Edit region (mask editor)", mask)]

    def _menu_actions(self, menu: QObject) -> list[QAction]:
        found: list[QAction] = []
        for action in cast(QMenu, menu).actions():  # QAction.menu() is typed QObject: here, always a QMenu
            if not action.isSeparator():
                found += self._menu_actions(action.menu()) if action.menu() else [action]
        return found

    def show_about(self) -> None:
        from fluxdesk import __version__

        box = QMessageBox(QMessageBox.Icon.NoIcon, "About FluxDesk", (
            f"<b>FluxDesk {__version__}</b><br>Generate images with the Black Forest Labs API: "
            f"see the cost first, keep everything.<br><br>Prices as of {self.controller.price_table.as_of}. "
            f"Source: {self.controller.price_table.source}."), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- window state and shutdown --------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.controller.settings.window_geometry
        restored = False
        if geometry:
            try:
                restored = self.restoreGeometry(QByteArray(base64.b64decode(geometry)))
            except ValueError:
                restored = False
        if not restored:
            self.resize(1280, 800)
        state = self.controller.settings.panel_state or {}
        if isinstance(state.get("prompt"), dict):
            self.panel.load_settings(state["prompt"])  # unknown or invalid values are ignored by the panel
        if isinstance(state.get("count"), int) and 1 <= state["count"] <= 24:
            self.panel.set_count(state["count"])
        if isinstance(state.get("more_options_open"), bool):
            self.panel.set_more_options_open(state["more_options_open"])
        sizes = state.get("splitter")
        if isinstance(sizes, list) and len(sizes) == 2 and all(isinstance(s, int) and s > 0 for s in sizes):
            self.splitter.setSizes(sizes)

    def _window_state(self) -> Settings:
        geometry = base64.b64encode(self.saveGeometry().data()).decode("ascii")
        panel_state = dict(self.controller.settings.panel_state or {})
        # Hidden on the Gallery tab, the panel is 0 wide to the splitter: its width is the one it had before.
        panel_state["splitter"] = self._panel_sizes if self.panel.isHidden() else self.splitter.sizes()
        request = self.panel.current_request()
        panel_state["prompt"] = {"model": request.model, "prompt": request.prompt, **request.parameters()}
        panel_state["count"] = self.panel.count()
        panel_state["more_options_open"] = self.panel.more_options_open()
        breakeven = self.controller.settings.breakeven
        if (tab := self.breakeven_tab.widget) is not None:
            breakeven = tab.flush_settings()  # a change still waiting for its save is saved at exit
        return replace(self.controller.settings, window_geometry=geometry, panel_state=panel_state,
                       breakeven=breakeven)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.controller.closing and self.controller.busy():
            answer = QMessageBox.question(
                self, "Jobs are still running",
                "Some images are still being generated. They are already billed by BFL; FluxDesk saves them "
                "the next time it starts (if within 10 minutes of finishing). Quit now?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.controller.close(self._window_state())  # after every earlier save: none lands over it
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the engine, the thumbnail workers and background calls. Safe to call twice."""
        self.session_switch.detach_library()
        self.controller.shutdown()
        self.thumbnails.shutdown()
        TaskManager.instance().wait()
