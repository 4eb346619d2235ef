"""Before Qt's window starts on Linux/X11, a missing system library is named with the command that
installs it, instead of Qt aborting the process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fluxdesk import display_check
from fluxdesk.cli import main as cli_main

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's X11 libraries: Linux only")
ABSENT = {"libfluxdesk-absent-for-the-test.so.0": ("libxcb-cursor0", "xcb-util-cursor")}


@linux_only
def test_the_app_names_the_missing_library_and_the_command_instead_of_starting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(display_check, "XCB_LIBRARIES", {"libc.so.6": ("libc6", "glibc"), **ABSENT})
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert cli_main([]) == 1  # `fluxdesk`, as `make run` starts it: no window, no Qt abort
    err = capsys.readouterr().err
    assert "cannot open its window" in err and "libfluxdesk-absent-for-the-test.so.0" in err
    assert "sudo apt install libxcb-cursor0\n" in err or "sudo dnf install xcb-util-cursor" in err
    assert "libc" not in err.replace("libxcb", "")  # only what is missing


@pytest.mark.parametrize(("qpa", "platform", "checked"), [
    ("", "linux", True), ("xcb", "linux", True), ("offscreen", "linux", False), ("wayland", "linux", False),
    ("", "darwin", False), ("", "win32", False)])
def test_only_linux_x11_is_checked(qpa: str, platform: str, checked: bool) -> None:
    assert display_check.needs_check({"QT_QPA_PLATFORM": qpa}, platform) is checked


@pytest.mark.parametrize(("os_release", "expected"), [
    ('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n', ["sudo apt install libxcb-cursor0"]),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', ["sudo apt install libxcb-cursor0"]),
    ("ID=fedora\n", ["sudo dnf install xcb-util-cursor"]),
    ("ID=arch\n", ["sudo apt install libxcb-cursor0    (Debian, Ubuntu)",
                   "sudo dnf install xcb-util-cursor    (Fedora)"]),
])
def test_the_command_fits_the_distribution(tmp_path: Path, os_release: str, expected: list[str]) -> None:
    release = tmp_path / "os-release"
    release.write_text(os_release)
    assert display_check.install_commands(["libxcb-cursor.so.0"], os_release=release) == expected


@linux_only
def test_a_library_that_is_there_is_not_reported() -> None:
    assert display_check.missing_libraries({"libc.so.6": ("libc6", "glibc"), **ABSENT}) == list(ABSENT)
