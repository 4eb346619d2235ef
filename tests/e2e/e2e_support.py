"""Running the real `fluxdesk` CLI in a subprocess against a simulator on loopback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

KEY = "bfl_e2e-test-key-0123456789"


def cli_env(home: Path, api_base: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUXDESK_", "BFL_"))}
    env.update(FLUXDESK_HOME=str(home), FLUXDESK_API_BASE=api_base, BFL_API_KEY=KEY,
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **extra)
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fluxdesk", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fluxdesk", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sim_library(home: Path) -> Path:
    """Where the CLI keeps what a loopback simulator made: the demo library, never the real one."""
    from fluxdesk.storage.paths import demo_home

    return demo_home(home)


def query(home: Path, sql: str, *params: Any) -> list[tuple]:
    """Read the library database the way another process would, while the CLI may still write: the
    library a simulator on loopback fills (``sim_library``)."""
    db = sim_library(home) / "fluxdesk.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        conn.close()
