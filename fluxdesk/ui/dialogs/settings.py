"""Settings: the API key, region and defaults, the dated tables (prices, other providers, self-hosting), the theme,
the client projects.

Nothing here blocks the GUI thread: the keyring and the tables' files are handled on worker threads
(``run_in_background``), the settings file by the app's one writer (``SettingsWriter``), key tests on the network
thread (``key_tester``).
Settings are written only on Save; the key, an imported table and a change to a project take effect at once,
as the dialog says where they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.api.hosts import REGIONS
from fluxdesk.core.catalog import MODELS
from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.projects import same_project
from fluxdesk.services.library_views import ProjectAdmin
from fluxdesk.storage.secrets import ABSENT_BACKENDS, ENV_VAR, KeySource, KeyStore
from fluxdesk.storage.settings import OUTPUT_FORMATS, REFERENCE_SIZES, THEMES, Settings
from fluxdesk.ui.dialogs.key_entry import (
    WHERE_TO_GET_A_KEY,
    BusyIndicator,
    KeyEntry,
    KeyTester,
    balance_text,
    error_words,
)
from fluxdesk.ui.dialogs.projects_page import ProjectsPage
from fluxdesk.ui.dialogs.studio_page import StudioPage
from fluxdesk.ui.dialogs.table_row import PRICES, PROVIDERS, SELF_HOSTING, TableRow
from fluxdesk.ui.engine.controller import SettingsWriter
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.forms import WIDE_LABEL_WIDTH, Form, describe, make_label
from fluxdesk.ui.kit.scroll_page import scroll_page
from fluxdesk.ui.kit.surfaces import Banner, TitledCard
from fluxdesk.ui.kit.theme import set_tone

SECTIONS = ("Key", "General", "Prices", "Appearance", "Projects", "Studio")
SIZE = (660, 560)
"""Room for each table's source in two or three lines beside the label column, and for the three tables of the
Prices page (the longest) with an import's result under one of them, without a scroll bar."""
REGION_LABELS = {"global": "Global", "eu": "EU", "us": "US"}
FORMAT_LABELS = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP"}
THEME_LABELS = {"system": "System (follow the OS)", "light": "Light", "dark": "Dark"}
REFERENCE_SIZE_LABELS = {"output": "Downscale to the output size (cheaper)", "original": "Send originals (up to 4 MP)"}
MAX_BUDGET_USD = 1_000_000
DEMO_NOTE = ("Demo mode: FluxDesk talks to its built-in simulator, so nothing is charged. Your real key "
             "is untouched; changes here apply to it, not to the demo.")
SOURCE_TEXT = {
    KeySource.KEYRING: "In use: the key stored in the system keyring.",
    KeySource.ENV: (f"In use: the key in the {ENV_VAR} environment variable. It wins over the keyring, so a key "
                    f"replaced or removed here takes effect only once {ENV_VAR} is unset."),
    KeySource.SESSION: "In use: a key for this session only. FluxDesk forgets it when it closes.",
    KeySource.NONE: "No key is set. Add one to generate images with BFL.",
}


@dataclass(frozen=True)
class KeyStatus:
    """What the Key section shows: where the key comes from, and the keyring backend."""

    source: KeySource
    backend: str
    works: bool
    reason: str


def probe_key_store(key_store: KeyStore) -> KeyStatus:
    """Ask the key store where the key comes from and how the keyring is (blocking: keyring calls)."""
    source = key_store.get()[1]
    try:
        backend = key_store.backend_name()
        works, reason = key_store.backend_works()
    except Exception as exc:  # a keyring configuration that cannot even load
        return KeyStatus(source, "unknown", False, f"The system keyring could not be loaded ({type(exc).__name__}).")
    return KeyStatus(source, backend, works, reason)


class FolderProblem(ValueError):
    """The library folder cannot be used; the message says why."""


def _check_library_folder(settings: Settings) -> None:
    folder = settings.library_folder
    if folder is not None and Path(folder).exists() and not Path(folder).is_dir():
        raise FolderProblem(f"{folder} is a file, not a folder.")


def _page(name: str) -> tuple[QScrollArea, QVBoxLayout]:
    """A section page; inside a frameless scroll area, so a small window never clips it."""
    return scroll_page(name, margins=(16, 14, 16, 14), sideways=False)


FIELD_WIDTH = 300
"""Combos and spin boxes need no more; only the folder path takes the whole row."""
GROUP_GAP = 6


def _form() -> Form:
    """A section's form: the wide label column, each setting's notes under it, a gap before the next."""
    return Form(WIDE_LABEL_WIDTH, spacing=(12, 3), gap=GROUP_GAP, field_width=FIELD_WIDTH, pad=False)


def _note(text: str, name: str) -> QLabel:
    return make_label(text, tone="muted", accessible=name)


class SettingsDialog(QDialog):
    """The settings, in six sections; Save writes them (on a worker thread), Cancel keeps the old ones."""

    settingsSaved = Signal(object)
    """The new ``Settings``, after they were written to ``settings.json``."""
    keyChanged = Signal()
    """The key was replaced or removed."""
    priceTableImported = Signal(object)
    """The imported ``PriceTable``, already copied into the home folder."""
    providerTableImported = Signal(object)
    """The imported ``ProviderTable`` (other providers' prices), already copied into the home folder."""
    selfHostTableImported = Signal(object)
    """The imported ``SelfHostTable``, already copied into the home folder."""
    themeChanged = Signal(str)
    """Preview this theme now; after Cancel, the original one again."""
    projectsChanged = Signal()
    """A project was renamed, archived, brought back or deleted (at once, not on Save)."""
    projectRenamed = Signal(str, str)
    """``(old name, new name)`` of a project renamed."""
    projectRemoved = Signal(str)
    """The name of a project archived or deleted: no longer offered for new jobs."""
    studioLinkChanged = Signal(object, object)
    """``(url, seat)`` of the studio just joined; ``(None, None)``: left (at once, not on Save)."""

    def __init__(self, settings: Settings, key_store: KeyStore, key_tester: KeyTester, *, writer: SettingsWriter,
                 home: Path, price_table: PriceTable, demo: bool = False, folders: FolderMemory | None = None,
                 projects: ProjectAdmin | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._writer = writer
        self._folders = folders or FolderMemory(settings.dialog_folders, parent=self)
        self._key_store = key_store
        self._key_tester = key_tester
        self._home = home
        self._price_table = price_table
        self._demo = demo
        self._project_admin = projects
        self._previewed_theme = settings.theme
        self._saving = False
        self._key_status: KeyStatus | None = None
        self._key_test_attempt = 0
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setAccessibleName("Settings")
        self.setSizeGripEnabled(True)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        self.tabs.addTab(self._key_page(), "Key")
        self.tabs.addTab(self._general_page(), "General")
        self.tabs.addTab(self._prices_page(), "Prices")
        self.tabs.addTab(self._appearance_page(), "Appearance")
        self.tabs.addTab(self._projects_page(), "Projects")
        self.tabs.addTab(self._studio_page(), "Studio")
        for index, tip in enumerate(("The BFL API key and where it is kept",
                                     "Region, library folder, defaults and budget",
                                     "The dated tables: BFL's prices, other providers' prices, self-hosting",
                                     "Light or dark",
                                     "Client projects: rename, archive, delete an empty one",
                                     "Studio mode: share the ledger and budget with a team")):
            self.tabs.setTabToolTip(index, tip)
        self._build()
        self._refresh_key_status()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(self.tabs, 1)
        footer = QHBoxLayout()
        footer.setSpacing(8)
        self.footer_label = make_label(name="saveResult", accessible="Save result")
        self.footer_label.hide()
        footer.addWidget(self.footer_label, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.setDefault(True)
        describe(self.save_button, "Save settings", "Keep these settings", "saveButton")
        describe(self.cancel_button, "Cancel", "Close without saving; the theme goes back to what it was",
                 "cancelButton")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        footer.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(footer)
        self.resize(*SIZE)

    # --- Key ----------------------------------------------------------------------------------------

    def _key_page(self) -> QWidget:
        page, layout = _page("keyPage")
        if self._demo:
            banner = Banner("info")
            box = QVBoxLayout(banner)
            box.setContentsMargins(12, 8, 12, 8)
            self.demo_note = make_label(DEMO_NOTE, name="demoMode", accessible="Demo mode")
            box.addWidget(self.demo_note)
            layout.addWidget(banner)

        layout.addWidget(make_label("API key", heading=True))
        self.source_label = make_label("Checking where the key comes from…", name="keySource", accessible="Key source")
        self.keyring_label = make_label("Checking the system keyring…", tone="muted", name="keyringBackend",
                                        accessible="Keyring backend")
        self.keyring_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.source_label)
        layout.addWidget(self.keyring_label)

        self.test_button = QPushButton("Test")
        describe(self.test_button, "Test the key", "Ask BFL for your credits with the key in use (costs nothing)",
                 "testKeyButton")
        self.test_button.clicked.connect(self.test_current_key)
        self.replace_button = QPushButton("Replace…")
        describe(self.replace_button, "Replace the key", "Enter a new key, test it and keep it",
                 "replaceKeyButton")
        self.replace_button.clicked.connect(self.show_replace)
        self.remove_button = QPushButton("Remove")
        describe(self.remove_button, "Remove the key", "Forget the stored key (asks first)", "removeKeyButton")
        self.remove_button.clicked.connect(self.remove_key)
        self.key_busy = BusyIndicator("Working on the key")
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for widget in (self.test_button, self.replace_button, self.remove_button):
            widget.setEnabled(False)  # until the key store has answered
            buttons.addWidget(widget)
        buttons.addWidget(self.key_busy, 0, Qt.AlignmentFlag.AlignVCenter)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.key_result_label = make_label(name="keyResult", accessible="Key result")
        self.key_result_label.hide()
        layout.addWidget(self.key_result_label)

        self.replace_box = TitledCard("New key", "replaceKeyCard")
        box = self.replace_box.body
        self.key_entry = KeyEntry(self._key_store, self._key_tester, usd_per_credit=self._price_table.usd_per_credit)
        self.key_entry.keySaved.connect(self._key_replaced)
        self.key_entry.busyChanged.connect(self._entry_busy)
        box.addWidget(self.key_entry)
        box.addWidget(make_label(WHERE_TO_GET_A_KEY, tone="muted", name="whereToGetAKey",
                                 accessible="Where to get a key"))
        self.replace_box.hide()
        layout.addWidget(self.replace_box)
        layout.addStretch(1)
        return page

    def _refresh_key_status(self) -> None:
        TaskManager.instance().run_in_background(
            lambda: probe_key_store(self._key_store), self._show_key_status,
            lambda exc: self._show_key_result(error_words(exc, "read"), "error"), parent=self)

    def key_status(self) -> KeyStatus | None:
        """What the Key section last learnt from the key store (``None`` until it answered)."""
        return self._key_status

    def _show_key_status(self, status: KeyStatus) -> None:
        self._key_status = status
        self.source_label.setText(SOURCE_TEXT[status.source])
        if status.works:
            self.keyring_label.setText(f"System keyring: {status.backend} (works).")
        elif status.backend in ABSENT_BACKENDS:
            self.keyring_label.setText(status.reason)  # it names the lack of a keyring itself
        else:
            self.keyring_label.setText(f"System keyring: {status.backend} (not available). {status.reason}")
        set_tone(self.keyring_label, "muted" if status.works else "warning")
        has_key = status.source is not KeySource.NONE
        self.replace_button.setText("Replace…" if has_key else "Add key…")
        self.replace_button.setAccessibleName("Replace the key" if has_key else "Add a key")
        self.key_entry.set_target("keyring" if status.works else "session")
        self._update_key_buttons()

    def _update_key_buttons(self) -> None:
        busy = self.key_busy.isVisible() or self.key_entry.is_busy()
        status = self._key_status
        has_key = status is not None and status.source is not KeySource.NONE
        self.test_button.setEnabled(not busy and has_key)
        self.replace_button.setEnabled(not busy and status is not None)
        # BFL_API_KEY is the user's to unset; Remove forgets the keyring's and this session's key.
        self.remove_button.setEnabled(not busy and has_key)
        for button, tip in ((self.test_button, "Ask BFL for your credits with the key in use (costs nothing)"),
                            (self.remove_button, "Forget the stored key (asks first)")):
            button.setToolTip(tip if has_key else "There is no key yet")

    def _set_key_busy(self, busy: bool, text: str = "") -> None:
        self.key_busy.setVisible(busy)
        if busy:
            self._show_key_result(text, "info")
        self._update_key_buttons()

    def _show_key_result(self, text: str, tone: str | None) -> None:
        self.key_result_label.setText(text)
        self.key_result_label.setAccessibleDescription(text)
        set_tone(self.key_result_label, tone)
        self.key_result_label.setVisible(bool(text))

    def test_current_key(self) -> None:
        """Test the key in use (read on a worker thread) with BFL."""
        self._key_test_attempt += 1
        attempt = self._key_test_attempt
        self._set_key_busy(True, "Testing…")
        TaskManager.instance().run_in_background(
            lambda: self._key_store.get()[0], lambda key: self._test_key(attempt, key),
            lambda exc: self._key_test_done(attempt, error=exc), parent=self)

    def _test_key(self, attempt: int, key: str | None) -> None:
        if attempt != self._key_test_attempt:
            return
        if key is None:
            self._key_test_done(attempt, message="There is no key to test. Add one with “Add key…”.")
            return
        try:
            future = self._key_tester(key)
        except Exception as exc:
            self._key_test_done(attempt, error=exc)
            return
        TaskManager.instance().watch_future(
            future, lambda credits: self._key_test_done(attempt, credits=credits),
            lambda exc: self._key_test_done(attempt, error=exc), parent=self)

    def _key_test_done(self, attempt: int, *, credits: Decimal | None = None, error: BaseException | None = None,
                       message: str | None = None) -> None:
        if attempt != self._key_test_attempt:
            return
        self._set_key_busy(False)
        if credits is not None:
            self._show_key_result(balance_text(credits, self._price_table.usd_per_credit), "success")
        elif error is not None:
            self._show_key_result(error_words(error), "error")
        else:
            self._show_key_result(message or "", "warning")

    def show_replace(self) -> None:
        """Open the new-key field (Replace… / Add key…)."""
        has_key = self._key_status is not None and self._key_status.source is not KeySource.NONE
        self.replace_box.set_title("New key" if has_key else "Your BFL API key")
        self.replace_box.show()
        self.key_entry.setFocus()

    def _key_replaced(self, target: str) -> None:
        where = "the system keyring" if target == "keyring" else "memory for this session"
        note = ""
        if self._key_store.env_key_present():
            note = f" {ENV_VAR} is set, so its key stays in use until you unset it."
        self._show_key_result(f"The new key is kept in {where}.{note}", "success")
        self.keyChanged.emit()
        self._refresh_key_status()

    def _entry_busy(self, _busy: bool) -> None:
        self._update_key_buttons()

    def remove_key(self) -> None:
        """Ask, then forget the stored key (on a worker thread)."""
        if not self._confirm_remove():
            return
        self._key_test_attempt += 1  # an answer of a running test is about the key being removed
        self._set_key_busy(True, "Removing the key…")
        TaskManager.instance().run_in_background(
            self._key_store.clear, self._key_removed, self._remove_failed, parent=self)

    def _confirm_remove(self) -> bool:
        text = "FluxDesk forgets the key it keeps (in the system keyring and for this session)."
        if self._key_status is not None and self._key_status.source is KeySource.ENV:
            text += f" The key in {ENV_VAR} stays in use: unset the variable to stop using it."
        else:
            text += " You can add a key again at any time."
        answer = QMessageBox.question(self, "Remove the API key?", text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _key_removed(self, _none: object) -> None:
        self._set_key_busy(False)
        self._show_key_result("The key was removed.", "success")
        self.keyChanged.emit()
        self._refresh_key_status()

    def _remove_failed(self, exc: BaseException) -> None:
        self._set_key_busy(False)
        self._show_key_result(error_words(exc, "removed"), "error")

    # --- General ------------------------------------------------------------------------------------

    def _general_page(self) -> QWidget:
        page, layout = _page("generalPage")
        form = _form()
        s = self._settings

        self.region_combo = QComboBox()
        for region, base in REGIONS.items():
            self.region_combo.addItem(f"{REGION_LABELS.get(region, region)} — {base.removeprefix('https://')}",
                                      region)
        self._select(self.region_combo, s.region)
        describe(self.region_combo, "Region", "Which BFL host FluxDesk sends requests to", "regionCombo")
        form.add_row("Region", self.region_combo,
                     _note("Choose EU to keep requests on BFL's European servers (GDPR).", "Region note"))

        self.folder_edit = QLineEdit(s.library_folder or "")
        self.folder_edit.setPlaceholderText(str(self._home / "images"))
        describe(self.folder_edit, "Library folder", "Where new images are saved; empty for the default",
                 "libraryFolderEdit")
        self.folder_edit.textEdited.connect(lambda _text: self._show_folder_message(""))
        self.browse_button = QPushButton("Browse…")
        describe(self.browse_button, "Choose the library folder", "Pick a folder for new images", "browseButton")
        self.browse_button.clicked.connect(self._browse_folder)
        folder_row = QWidget()
        folder_box = QHBoxLayout(folder_row)
        folder_box.setContentsMargins(0, 0, 0, 0)
        folder_box.setSpacing(6)
        folder_box.addWidget(self.folder_edit, 1)
        folder_box.addWidget(self.browse_button)
        folder_row.setFocusProxy(self.folder_edit)
        self.folder_message = make_label(tone="error", name="libraryFolderMessage", accessible="Library folder message")
        self.folder_message.hide()
        form.add_row("Library folder", folder_row, self.folder_message,
                     _note("New images go here; existing images stay where they are.", "Library folder note"))

        self.model_combo = QComboBox()
        for model in MODELS:
            self.model_combo.addItem(model.name + (" (legacy)" if model.legacy else ""), model.id)
        self._select(self.model_combo, s.default_model)
        describe(self.model_combo, "Default model", "The model the prompt panel starts with", "defaultModelCombo")
        form.add_row("Default model", self.model_combo)

        self.format_combo = QComboBox()
        for fmt in OUTPUT_FORMATS:
            self.format_combo.addItem(FORMAT_LABELS.get(fmt, fmt), fmt)
        self._select(self.format_combo, s.default_output_format)
        describe(self.format_combo, "Default output format",
                 "The file format new images start with, where the model offers it", "formatCombo")
        form.add_row("Output format", self.format_combo)

        self.reference_combo = QComboBox()
        for size in REFERENCE_SIZES:
            self.reference_combo.addItem(REFERENCE_SIZE_LABELS[size], size)
        self._select(self.reference_combo, s.reference_size)
        describe(self.reference_combo, "Reference images",
                 "How a reference image added to the prompt panel is sent, unless you change it there",
                 "referenceSizeCombo")
        form.add_row("Reference images", self.reference_combo,
                     _note("FLUX.2 bills every started megapixel of every reference: downscaled to the output's "
                           "size, a phone photo costs a tenth. Each reference can still be sent as is.",
                           "Reference images note"))

        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(0, MAX_BUDGET_USD)
        self.budget_spin.setDecimals(2)
        self.budget_spin.setSingleStep(5)
        self.budget_spin.setPrefix("$")
        self.budget_spin.setSpecialValueText("No budget")
        self.budget_spin.setGroupSeparatorShown(True)
        self.budget_spin.setValue(float(min(s.monthly_budget_usd, Decimal(MAX_BUDGET_USD))))
        self.budget_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no change by a stray scroll wheel
        describe(self.budget_spin, "Monthly budget in US dollars",
                 "FluxDesk asks before a submission that would cross it; 0 means no budget", "budgetSpin")
        form.add_row("Monthly budget", self.budget_spin,
                     _note("FluxDesk asks before going over it. 0 means no budget.", "Budget note"))

        layout.addLayout(form)
        layout.addStretch(1)
        return page

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(index, 0))

    def _browse_folder(self) -> None:
        start = self._folders.start_folder("library-folder", current=self.folder_edit.text().strip() or None)
        folder = QFileDialog.getExistingDirectory(self, "Choose the library folder", start)
        if folder:
            self._folders.remember("library-folder", folder)
            self.folder_edit.setText(folder)
            self._show_folder_message("")

    def _show_folder_message(self, text: str) -> None:
        self.folder_message.setText(text)
        self.folder_message.setVisible(bool(text))
        self.folder_edit.setAccessibleDescription(text)

    def _library_folder(self) -> str | None:
        """The folder field as settings hold it; raises ``FolderProblem`` for a path that cannot be one."""
        text = self.folder_edit.text().strip()
        if not text:
            return None
        if "\x00" in text or len(text) > 4096:
            raise FolderProblem("That is not a folder path.")
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise FolderProblem("Give the full path of the folder (or choose one with Browse).")
        return str(path)

    # --- Projects -----------------------------------------------------------------------------------

    def _projects_page(self) -> QWidget:
        page, layout = _page("projectsPage")
        self.projects_page = ProjectsPage(self._project_admin)
        self.projects_page.projectsChanged.connect(self.projectsChanged)
        self.projects_page.projectRenamed.connect(self._project_renamed)
        self.projects_page.projectRemoved.connect(self._project_removed)
        layout.addWidget(self.projects_page, 1)
        return page

    def _project_renamed(self, old: str, new: str) -> None:
        # Save writes these settings whole: the current project is named as it is now.
        if same_project(self._settings.current_project, old):
            self._settings = replace(self._settings, current_project=new)
        self.projectRenamed.emit(old, new)

    def _project_removed(self, name: str) -> None:
        if same_project(self._settings.current_project, name):
            self._settings = replace(self._settings, current_project=None)
        self.projectRemoved.emit(name)

    # --- Studio -------------------------------------------------------------------------------------

    def _studio_page(self) -> QWidget:
        page, layout = _page("studioPage")
        self.studio_page = StudioPage(self._home, self._settings)
        self.studio_page.linkChanged.connect(self._studio_link_changed)
        layout.addWidget(self.studio_page, 1)
        return page

    def _studio_link_changed(self, url: str | None, seat: str | None) -> None:
        # Save writes these settings whole: they name the studio as it is now.
        self._settings = replace(self._settings, studio_url=url, studio_seat=seat)
        self.studioLinkChanged.emit(url, seat)

    def set_studio_state(self, text: str | None) -> None:
        """The studio link's state as the status bar says it (``None``: no link running)."""
        self.studio_page.set_link_state(text)

    # --- Prices -------------------------------------------------------------------------------------

    def _prices_page(self) -> QWidget:
        page, layout = _page("pricesPage")
        layout.setSpacing(18)
        self.price_row = TableRow(PRICES, home=self._home, folders=self._folders, form=_form(),
                                  in_use=self._price_table)
        self.provider_row = TableRow(PROVIDERS, home=self._home, folders=self._folders, form=_form())
        self.self_host_row = TableRow(SELF_HOSTING, home=self._home, folders=self._folders, form=_form())
        self.price_row.imported.connect(self._price_table_imported)
        self.provider_row.imported.connect(self.providerTableImported)
        self.self_host_row.imported.connect(self.selfHostTableImported)
        for table_row in self.table_rows():
            layout.addWidget(table_row)
        layout.addStretch(1)
        return page

    def table_rows(self) -> tuple[TableRow, TableRow, TableRow]:
        """The Prices page's sections: BFL's prices, other providers' prices, self-hosting."""
        return self.price_row, self.provider_row, self.self_host_row

    def price_table(self) -> PriceTable:
        """The table in use: the one given, or the one imported since."""
        return self._price_table

    def _price_table_imported(self, table: PriceTable) -> None:
        self._price_table = table
        self.priceTableImported.emit(table)

    # --- Appearance ---------------------------------------------------------------------------------

    def _appearance_page(self) -> QWidget:
        page, layout = _page("appearancePage")
        form = _form()
        self.theme_combo = QComboBox()
        for name in THEMES:
            self.theme_combo.addItem(THEME_LABELS.get(name, name.capitalize()), name)
        self._select(self.theme_combo, self._settings.theme)
        describe(self.theme_combo, "Theme", "Light, dark, or follow the operating system", "themeCombo")
        self.theme_combo.currentIndexChanged.connect(self._preview_theme)
        form.add_row("Theme", self.theme_combo,
                     _note("The new look shows at once; Cancel puts the old one back.", "Theme note"))
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _preview_theme(self, _index: int) -> None:
        theme = self.theme_combo.currentData()
        if theme != self._previewed_theme:
            self._previewed_theme = theme
            self.themeChanged.emit(theme)

    # --- Save and Cancel ----------------------------------------------------------------------------

    def current_settings(self) -> Settings:
        """The settings as the form shows them; raises ``FolderProblem`` for a library folder that cannot be."""
        budget = Decimal(f"{self.budget_spin.value():.2f}")
        if budget == round(self._settings.monthly_budget_usd, 2):
            budget = self._settings.monthly_budget_usd  # untouched: keep it exactly as it was
        return replace(self._settings,
                       region=self.region_combo.currentData(),
                       library_folder=self._library_folder(),
                       default_model=self.model_combo.currentData(),
                       default_output_format=self.format_combo.currentData(),
                       reference_size=self.reference_combo.currentData(),
                       monthly_budget_usd=budget,
                       theme=self.theme_combo.currentData(),
                       dialog_folders=self._folders.folders())

    def save(self) -> None:
        """Check the form, write the settings through the app's one writer, then emit ``settingsSaved`` and close."""
        if self._saving:
            return
        try:
            settings = self.current_settings()
        except FolderProblem as exc:
            self._folder_problem(exc)
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self._show_footer("Saving…", "info")
        TaskManager.instance().watch_future(self._writer.save(settings, check=_check_library_folder),
                                            lambda _none: self._saved(settings), self._save_failed, parent=self)

    def _saved(self, settings: Settings) -> None:
        self._saving = False
        self._settings = settings
        self._previewed_theme = settings.theme
        self._show_footer("", None)
        self.settingsSaved.emit(settings)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, FolderProblem):
            self._show_footer("", None)
            self._folder_problem(exc)
        elif isinstance(exc, OSError):
            self._show_footer(f"The settings could not be saved ({exc.strerror or type(exc).__name__}). "
                              "Nothing was changed.", "error")
        else:
            self._show_footer(f"The settings could not be saved ({type(exc).__name__}).", "error")

    def _folder_problem(self, exc: FolderProblem) -> None:
        self.tabs.setCurrentIndex(SECTIONS.index("General"))
        self._show_folder_message(str(exc))
        self.folder_edit.setFocus()

    def _show_footer(self, text: str, tone: str | None) -> None:
        self.footer_label.setText(text)
        set_tone(self.footer_label, tone)
        self.footer_label.setVisible(bool(text))

    def select_section(self, name: str) -> None:
        """Show one of ``SECTIONS``."""
        self.tabs.setCurrentIndex(SECTIONS.index(name))

    def reject(self) -> None:
        if not self._saving:  # the file is being written: Save finishes and closes the dialog
            super().reject()

    def done(self, result: int) -> None:
        if self._previewed_theme != self._settings.theme:
            self._previewed_theme = self._settings.theme
            self.themeChanged.emit(self._settings.theme)  # Cancel: put the original theme back
        self.key_entry.cancel()
        self._key_test_attempt += 1
        super().done(result)
