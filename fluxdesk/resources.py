"""Where the bundled resources are: inside a wheel, a PyInstaller bundle, or the source tree."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    here = Path(__file__).resolve().parent
    candidates = [here / "_resources", here.parent / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "resources")
    for candidate in candidates:
        if (candidate / "prices.json").is_file():
            return candidate
    raise FileNotFoundError("FluxDesk's resources folder is missing; reinstall FluxDesk")


def resource_path(name: str) -> Path:
    return resource_dir() / name
