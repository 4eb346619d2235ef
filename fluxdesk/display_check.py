"""Before Qt starts on Linux/X11: are the system libraries its window needs there?

Qt's xcb platform plugin aborts the whole process, with a message few people can act on, when a library
such as ``libxcb-cursor0`` is missing (a stock Ubuntu 22.04 desktop lacks it). Each library is tried with
``dlopen`` (milliseconds, and it finds what the loader would find); a missing one is named with the exact
command that installs it. ``python -m fluxdesk.display_check`` is what ``make run`` calls first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    # soname: (Debian/Ubuntu package, Fedora package)
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
}
"""What Qt's xcb plugin loads beyond libxcb itself (every X11 desktop has that)."""


def needs_check(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Only on Linux, and only when Qt would use (or fall back to) X11."""
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "").strip()
    return (platform or sys.platform).startswith("linux") and (not qpa or qpa.startswith("xcb"))


def missing_libraries(libraries: Mapping[str, tuple[str, str]] = XCB_LIBRARIES) -> list[str]:
    import ctypes  # only X11 needs it

    missing = []
    for soname in libraries:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def _distribution(os_release: Path) -> set[str]:
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').lower().split())
    return ids


def install_commands(missing: list[str], libraries: Mapping[str, tuple[str, str]] = XCB_LIBRARIES,
                     os_release: Path = Path("/etc/os-release")) -> list[str]:
    """The command(s) that install ``missing``: this distribution's, or both kinds when it is unknown."""
    debian = " ".join(dict.fromkeys(libraries[s][0] for s in missing))
    fedora = " ".join(dict.fromkeys(libraries[s][1] for s in missing))
    apt, dnf = f"sudo apt install {debian}", f"sudo dnf install {fedora}"
    ids = _distribution(os_release)
    if ids & {"debian", "ubuntu"}:
        return [apt]
    if ids & {"fedora", "rhel", "centos"}:
        return [dnf]
    return [f"{apt}    (Debian, Ubuntu)", f"{dnf}    (Fedora)"]


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """What keeps FluxDesk's window from opening, with the command that fixes it; ``None`` when nothing does."""
    if not needs_check(environ):
        return None
    libraries = XCB_LIBRARIES
    missing = missing_libraries(libraries)
    if not missing:
        return None
    commands = "\n".join(f"    {command}" for command in install_commands(missing, libraries))
    return ("FluxDesk cannot open its window: Qt's X11 support needs system libraries that are not installed "
            f"({', '.join(missing)}).\nInstall them with:\n{commands}\nthen start FluxDesk again.")


def main() -> int:
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
