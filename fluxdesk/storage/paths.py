"""Where FluxDesk keeps its things: the home folder and the folders and files inside it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "FluxDesk"
HOME_ENV = "FLUXDESK_HOME"
DATABASE_NAME = "fluxdesk.db"
SETTINGS_NAME = "settings.json"


def home_dir(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``$FLUXDESK_HOME``, else the platform's per-user data folder."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    override = env.get(HOME_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    user_home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return user_home / "Library" / "Application Support" / APP_NAME
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        return (Path(appdata) if appdata else user_home / "AppData" / "Roaming") / APP_NAME
    xdg = env.get("XDG_DATA_HOME", "").strip()
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else user_home / ".local" / "share"
    return base / APP_NAME


def demo_home(home: Path) -> Path:
    """The demo library: its own database, images and settings, so demo images never mix with real ones."""
    return home / "demo"


def database_path(home: Path) -> Path:
    return home / DATABASE_NAME


def settings_path(home: Path) -> Path:
    return home / SETTINGS_NAME


def default_library_dir(home: Path) -> Path:
    return home / "images"


def thumbnails_dir(home: Path) -> Path:
    return home / "thumbnails"


def references_dir(home: Path) -> Path:
    """Every reference image ever sent, once, named by the SHA-256 of its bytes."""
    return home / "references"


def trash_dir(home: Path) -> Path:
    return home / "trash"


def log_path(home: Path) -> Path:
    """The app's log: unexpected errors with their tracebacks (never a key)."""
    return home / "logs" / "fluxdesk.log"
