"""Helpers for the command-line tests: real small images, an in-memory keyring, subprocess runs."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from keyring_support import MemoryKeyring  # noqa: F401 - the helpers' keyring, one copy for all tests
from PIL import Image

from fluxdesk.storage.secrets import SERVICE

KEY = "bfl_5a3b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"




@contextlib.contextmanager
def keyless_demo_home(home: Path, monkeypatch: Any, latency: float) -> Iterator[Path]:
    """``home`` as FLUXDESK_HOME with no key anywhere (no BFL_API_KEY, a keyring that holds nothing), no API base
    set, and the demo's simulator answering after ``latency`` seconds."""
    import keyring
    import keyring.backends.fail

    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    monkeypatch.delenv("BFL_API_KEY", raising=False)
    monkeypatch.delenv("FLUXDESK_API_BASE", raising=False)
    monkeypatch.setattr("fluxdesk.services.demo.DEMO_LATENCY", latency)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield home
    finally:
        keyring.set_keyring(previous)


def make_image(fmt: str, size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    """A small RGB image with some structure, encoded as ``fmt`` by Pillow."""
    img = Image.new("RGB", size)
    img.putdata([((x * 4) % 256, (y * 5) % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def run_fluxdesk(*args: str, env: Mapping[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m fluxdesk ARGS`` in a child process with exactly ``env``."""
    return subprocess.run([sys.executable, "-m", "fluxdesk", *args], input=stdin, capture_output=True, text=True,
                          env=dict(env), timeout=60, check=False)


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment with FLUXDESK_HOME set, and no BFL_API_KEY or keyring override."""
    env = {k: v for k, v in os.environ.items() if k not in ("BFL_API_KEY", "PYTHON_KEYRING_BACKEND")}
    env["FLUXDESK_HOME"] = str(home)
    env.update(extra)
    return env


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle`` (UTF-8)."""
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


def secret_service_or_reason() -> tuple[object | None, str]:
    """The Secret Service backend if one answers, else ``None`` and why (as tests/storage decides it)."""
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - raises when no Secret Service is reachable
        backend = SecretService.Keyring()
        backend.get_password(SERVICE, "fluxdesk-probe")
    except Exception as exc:
        return None, f"no Secret Service reachable: {type(exc).__name__}: {exc}"
    return backend, ""
