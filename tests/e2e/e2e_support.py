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


# --- reference image files, made with Pillow -------------------------------------------------------

ORIENTATION = 0x0112


def scene(size: tuple[int, int], mode: str = "RGB", seed: int = 1) -> Any:
    """A picture with some content: a gradient sky, a sun, a few shapes and mild noise (not pure noise)."""
    import random

    from PIL import Image, ImageDraw

    width, height = size
    rng = random.Random(seed)
    sky = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, (40 + seed * 30 % 200, 110, 190))
    picture = Image.blend(sky, tint, 0.6)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((width * 0.6, height * 0.1, width * 0.8, height * 0.1 + width * 0.2), fill=(250, 210, 90))
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height // 2, height)
        draw.rectangle((x, y, x + width // 8, y + height // 6), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise(size, 12).convert("RGB")
    picture = Image.blend(picture, noise, 0.08)
    return picture if mode == "RGB" else picture.convert(mode)


def write_image(path: Path, image: Any, fmt: str, **save: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, fmt, **save)
    return path


def camera_jpeg(path: Path, size: tuple[int, int] = (1600, 1200), orientation: int = 1, seed: int = 1) -> Path:
    """A JPEG as a camera writes it: EXIF orientation ``orientation`` (6: the picture is turned a quarter)."""
    image = scene(size, seed=seed)
    exif = image.getexif()
    exif[ORIENTATION] = orientation
    return write_image(path, image, "JPEG", quality=90, exif=exif)


def jobs_in_library(home: Path) -> int:
    rows = query(home, "SELECT count(*) FROM jobs")
    return rows[0][0] if rows else 0


def sent_images(sim: Any, task_id: str) -> dict[str, bytes]:
    """The reference fields of a task's body, decoded: what the simulator (BFL) received."""
    import base64

    body = sim.task(task_id).body
    return {k: base64.b64decode(v) for k, v in body.items() if k.startswith(("input_image", "image_prompt"))
            and k != "image_prompt_strength"}
