"""Where the app's file dialogs start, and the folders they remember.

Each dialog has a purpose (``FOLDER_PURPOSES``: exporting images, choosing the library folder, exporting the
ledger, importing the price table, the other providers' table or the self-hosting table, adding a reference
image, choosing an image to edit). It starts in the folder last used for that purpose, if it still exists; else
in the user's Pictures (images) or Documents (CSV files, tables) folder, if there is one; else in the home
folder. Never in the working directory the app happened to be started from.

``FolderMemory`` holds the folders; the window owns the one it saves (``changed``) with the other settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from fluxdesk.storage.settings import FOLDER_PURPOSES

_IMAGE_PURPOSES = frozenset({"export-images", "library-folder", "add-reference", "edit-image"})
"""Purposes about images start in Pictures; the others (CSV files, tables) in Documents."""


def default_folder(purpose: str) -> Path:
    """The folder a dialog for ``purpose`` starts in before the user has chosen one: Pictures or Documents, or home."""
    _check(purpose)
    location = (QStandardPaths.StandardLocation.PicturesLocation if purpose in _IMAGE_PURPOSES
                else QStandardPaths.StandardLocation.DocumentsLocation)
    folder = QStandardPaths.writableLocation(location)
    if folder and Path(folder).is_dir():
        return Path(folder)
    return Path.home()


def _check(purpose: str) -> None:
    if purpose not in FOLDER_PURPOSES:
        raise ValueError(f"unknown file dialog purpose {purpose!r} (known: {', '.join(FOLDER_PURPOSES)})")


class FolderMemory(QObject):
    """The folder each kind of file dialog last used (``Settings.dialog_folders``)."""

    changed = Signal()
    """A folder was remembered: the owner saves ``folders()``."""

    def __init__(self, folders: Mapping[str, str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folders = {purpose: folder for purpose, folder in (folders or {}).items() if purpose in FOLDER_PURPOSES}

    def folders(self) -> dict[str, str]:
        """A copy, as ``Settings.dialog_folders`` holds it."""
        return dict(self._folders)

    def start_folder(self, purpose: str, current: str | Path | None = None) -> str:
        """Where a dialog for ``purpose`` starts.

        ``current``, a folder the dialog's own field names (the library folder already set), wins when it exists;
        then the folder last used for ``purpose``; then ``default_folder(purpose)``.
        """
        _check(purpose)
        for folder in (current, self._folders.get(purpose)):
            if folder and Path(folder).expanduser().is_absolute() and Path(folder).expanduser().is_dir():
                return str(Path(folder).expanduser())
        return str(default_folder(purpose))

    def start_path(self, purpose: str, file_name: str) -> str:
        """The start of a Save dialog: ``file_name`` proposed in ``start_folder(purpose)``."""
        return str(Path(self.start_folder(purpose)) / file_name)

    def remember(self, purpose: str, folder: str | Path) -> None:
        """The user chose ``folder`` for ``purpose`` (for a file, pass the folder it is in)."""
        _check(purpose)
        path = Path(folder).expanduser()
        if not path.is_absolute():
            path = path.absolute()
        if self._folders.get(purpose) != str(path):
            self._folders[purpose] = str(path)
            self.changed.emit()
