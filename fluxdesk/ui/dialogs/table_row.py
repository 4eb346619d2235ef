"""One dated table in Settings → Prices: what it is, as of when, bundled or imported, its source, and "Import
newer table…".

FluxDesk ships three dated tables (BFL's prices, other providers' prices, the self-hosting figures); each is a
``TableKind`` and shows as one ``TableRow``. An import reads and checks the file on a worker thread, refuses a
table older than the one in use (FluxDesk would ignore it on the next start), copies it into the home folder
and takes effect at once: the row emits ``imported`` with the new table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from fluxdesk.core.pricing import PriceTableError
from fluxdesk.core.providers import ProviderTableError
from fluxdesk.core.selfhost import SelfHostTableError
from fluxdesk.storage.dated_tables import Dated
from fluxdesk.storage.price_table import bundled_price_table, import_price_table, load_price_table, read_price_table
from fluxdesk.storage.providers import (
    bundled_provider_table,
    import_provider_table,
    load_provider_table,
    read_provider_table,
)
from fluxdesk.storage.self_hosting import (
    bundled_self_host_table,
    import_self_host_table,
    load_self_host_table,
    read_self_host_table,
)
from fluxdesk.ui.dialogs.key_entry import BusyIndicator
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.forms import Form, describe, make_label, row, show_result

KIND_TEXT = {"bundled": "bundled with FluxDesk", "imported": "imported by you"}


T = TypeVar("T", bound=Dated)


@dataclass(frozen=True)
class TableKind(Generic[T]):
    """One of FluxDesk's dated tables, as Settings shows and imports it."""

    name: str
    """Its object names start with this (``"providers"`` → ``providersImportButton``)."""
    title: str
    """The section's heading."""
    what: str
    """What the table is called in messages: ``"provider table"``."""
    use: str
    """What FluxDesk uses it for, in a sentence."""
    purpose: str
    """The file dialog's purpose (``FOLDER_PURPOSES``): each table's import remembers its own folder."""
    read: Callable[[Path], T]
    import_: Callable[[Path, Path], T]
    """Check a file and copy it into the home folder."""
    bundled: Callable[[], T]
    load: Callable[[Path], T]
    """The table in use: the imported one when valid and not older than the bundled, else the bundled."""
    error: type[ValueError]
    """What ``read`` and ``import_`` raise for a table that cannot be used."""


PRICES: TableKind[Any] = TableKind(
    "prices", "BFL's prices", "price table",
    "Estimates use this table. When BFL changes its prices, import a newer table; it takes effect at once.",
    "import-prices", read_price_table, import_price_table, bundled_price_table, load_price_table, PriceTableError)
PROVIDERS: TableKind[Any] = TableKind(
    "providers", "Other providers' prices", "provider table",
    "What fal.ai, Replicate and others charge for the same models: the prompt panel's Elsewhere list and the "
    "Break-even tab use it.",
    "import-providers", read_provider_table, import_provider_table, bundled_provider_table, load_provider_table,
    ProviderTableError)
SELF_HOSTING: TableKind[Any] = TableKind(
    "selfHosting", "Self-hosting figures", "self-hosting table",
    "Which open-weights model runs instead of each API model, its licence, and GPU prices and speeds: the "
    "Break-even tab uses it.",
    "import-self-hosting", read_self_host_table, import_self_host_table, bundled_self_host_table,
    load_self_host_table, SelfHostTableError)


def import_newer(kind: TableKind[T], source: Path, home: Path, in_use: T | None) -> T:
    """Import ``source`` unless it is older than the table in use (FluxDesk would ignore it on the next start).

    Blocking (file reads and an atomic write): call it on a worker thread.
    """
    table = kind.read(source)
    if in_use is not None and table.as_of < in_use.as_of:
        raise kind.error(f"its figures are of {table.as_of}, older than the table in use ({in_use.as_of})")
    return kind.import_(source, home)


def failure_words(kind: TableKind[Any], path: Path, exc: BaseException) -> str:
    """Why ``path`` was not imported, in words; the table in use is always unchanged."""
    if isinstance(exc, kind.error):
        return f"That {kind.what} cannot be used: {exc}. The table in use is unchanged."
    if isinstance(exc, OSError):
        return f"{path.name} could not be copied ({exc.strerror or type(exc).__name__}). Nothing changed."
    return f"{path.name} could not be imported ({type(exc).__name__}). Nothing changed."


class TableRow(QWidget):
    """A dated table's section: its title with "Import newer table…" (and a busy bar) beside it, what it is for,
    as of when, bundled or imported, its source, and how the last import went, in words.

    ``in_use`` is the table the app uses now, when the caller has it; otherwise the row reads it from ``home`` on a
    worker thread (the button waits for it). Fills ``form`` (the page's label column) with its rows.
    """

    imported = Signal(object)
    """The imported table, already copied into the home folder."""

    def __init__(self, kind: TableKind[Any], *, home: Path, folders: FolderMemory, form: Form,
                 in_use: Dated | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._home = home
        self._folders = folders
        self._table = in_use
        self._loaded = in_use is not None
        self._importing = False
        self.setObjectName(f"{kind.name}Table")
        self.setAccessibleName(kind.title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.title_label = make_label(kind.title, heading=True, name=f"{kind.name}Title")
        self.import_button = QPushButton("Import newer table…")
        describe(self.import_button, f"Import a newer {kind.what}", f"Choose a {kind.what} (JSON) to use from now on",
                 f"{kind.name}ImportButton")
        self.import_button.clicked.connect(self.choose_file)
        self.busy = BusyIndicator(f"Importing the {kind.what}")
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.import_button)
        layout.addLayout(header)
        layout.addWidget(make_label(kind.use, tone="muted", name=f"{kind.name}Use", accessible=f"{kind.title}: use"))

        self.as_of_label = make_label("…", name=f"{kind.name}AsOf", accessible=f"{kind.title}: as of", wrap=False)
        self.kind_label = make_label("", tone="muted", name=f"{kind.name}Kind",
                                     accessible=f"{kind.title}: bundled or imported", wrap=False)
        self.source_label = make_label("…", name=f"{kind.name}Source", accessible=f"{kind.title}: source")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.add_row("As of", row(self.as_of_label, self.kind_label, 1, spacing=10))
        form.add_row("Source", self.source_label)
        layout.addLayout(form)
        self.result_label = make_label(name=f"{kind.name}ImportResult", accessible=f"{kind.title}: import result")
        self.result_label.hide()
        layout.addWidget(self.result_label)

        if in_use is not None:
            self._show_table(in_use)
        self._update_button()
        TaskManager.instance().run_in_background(
            lambda: (in_use if in_use is not None else kind.load(home), kind.bundled()), self._first_read,
            self._first_read_failed, parent=self)

    def table(self) -> Any:
        """The table in use: the one given or read at the start, or the one imported since (``None`` until read)."""
        return self._table

    def is_busy(self) -> bool:
        """Reading the table in use, or importing one."""
        return self._importing or not self._loaded

    def choose_file(self) -> None:
        """Ask for a file (starting where this table's import last went), then import it."""
        path, _filter = QFileDialog.getOpenFileName(self, f"Import a {self.kind.what}",
                                                    self._folders.start_folder(self.kind.purpose),
                                                    f"{self.kind.what.capitalize()}s (*.json);;All files (*)")
        if path:
            self._folders.remember(self.kind.purpose, Path(path).parent)
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Check ``path`` and copy it into the home folder (on a worker thread); say how it went in words."""
        if self.is_busy():
            return
        in_use = self._table
        self._importing = True
        self._update_button()
        show_result(self.result_label, f"Reading {path.name}…", "info")
        TaskManager.instance().run_in_background(
            lambda: import_newer(self.kind, path, self._home, in_use), self._imported,
            lambda exc: self._failed(path, exc), parent=self)

    # --- answers --------------------------------------------------------------------------------

    def _first_read(self, tables: tuple[Dated, Dated]) -> None:
        in_use, bundled = tables
        if self._table is None:
            self._table = in_use
            self._show_table(in_use)
        self._loaded = True
        self._update_button()
        if self._table is in_use:  # not replaced by an import meanwhile
            self._show_kind("bundled" if bundled == in_use else "imported")

    def _first_read_failed(self, exc: BaseException) -> None:
        self._loaded = True  # an import checks its file by itself; with nothing to compare, any date will do
        self._update_button()
        self._show_kind(None)
        if self._table is None:
            self.as_of_label.setText("not known")
            self.source_label.setText("not known")
            detail = str(exc) if isinstance(exc, self.kind.error) else type(exc).__name__
            show_result(self.result_label, f"The {self.kind.what} in use could not be read ({detail}).", "warning")

    def _imported(self, table: Dated) -> None:
        self._table = table
        self._importing = False
        self._update_button()
        self._show_table(table)
        self._show_kind("imported")
        show_result(self.result_label, f"Imported: the {self.kind.what} of {table.as_of} is used from now on.",
                    "success")
        self.imported.emit(table)

    def _failed(self, path: Path, exc: BaseException) -> None:
        self._importing = False
        self._update_button()
        show_result(self.result_label, failure_words(self.kind, path, exc), "error")

    # --- showing --------------------------------------------------------------------------------

    def _show_table(self, table: Dated) -> None:
        self.as_of_label.setText(table.as_of)
        self.source_label.setText(table.source or "not given")

    def _show_kind(self, kind: str | None) -> None:
        self.kind_label.setText(KIND_TEXT.get(kind or "", "bundled or imported: not known"))

    def _update_button(self) -> None:
        self.busy.setVisible(self._importing)
        self.import_button.setEnabled(not self.is_busy())
