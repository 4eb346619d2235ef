"""Handing a file or a folder to the operating system, and saying so in words when nothing takes it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def open_with_system(path: str | Path) -> str | None:
    """Open ``path`` with the app the system has for it (a folder in the file manager).

    Answers ``None`` when the system took it, otherwise why not, in words for a status bar.
    """
    target = Path(path)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
        return None
    if target.suffix:
        kind = target.suffix.lstrip(".").upper()
        return f"No app on this computer opens {kind} files, so {target.name} was not opened"
    return f"This computer has no file manager to show the folder {target}"
