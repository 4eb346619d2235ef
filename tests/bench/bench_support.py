"""Building big libraries fast, for benchmarks and screenshots.

The schema comes from ``Library.open`` (the real migrations); the rows go in with ``executemany`` in one
transaction, the FTS index kept in step by its triggers. Every row points at a real image file: the first
``unique_files`` are distinct small JPEGs, the rest hard links to a handful of them (paths are UNIQUE,
and a link costs one system call).
"""

from __future__ import annotations

import io
import json
import os
import random
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw

from fluxdesk.core.metadata import ImageRecord, to_json
from fluxdesk.core.serialize import iso_utc
from fluxdesk.storage.library import Library

SUBJECTS = ("red fox", "lighthouse", "mountain lake", "city street", "tea cup", "old robot", "koi pond",
            "desert dune", "glass bottle", "paper crane", "snowy forest", "neon sign", "sailing boat",
            "owl", "vintage car", "cactus", "castle", "jellyfish", "violin", "astronaut")
STYLES = ("at dawn", "in the rain", "watercolor", "studio lighting", "isometric", "cinematic",
          "oil painting", "macro photo", "pastel colors", "film grain", "at night", "minimalist poster")
EXTRAS = ("highly detailed", "soft focus", "golden hour", "wide angle", "symmetry", "bokeh", "35mm",
          "dramatic clouds", "low poly", "ink sketch")
MODELS = (("flux-2-pro", Decimal("3")), ("flux-2-max", Decimal("7")), ("flux-2-flex", Decimal("6")),
          ("flux-2-klein-4b", Decimal("1.4")), ("flux-pro-1.1", Decimal("4")),
          ("flux-pro-1.1-ultra", Decimal("6")), ("flux-kontext-pro", Decimal("4")), ("flux-dev", Decimal("2.5")))
PALETTE = ((231, 111, 81), (42, 157, 143), (38, 70, 83), (233, 196, 106), (244, 162, 97), (106, 76, 147),
           (25, 130, 196), (138, 201, 38), (255, 89, 94), (255, 202, 58), (67, 97, 238), (114, 9, 183))


@dataclass(frozen=True)
class BuiltLibrary:
    home: Path
    images: int
    newest: datetime


def small_jpeg(seed: int, size: int = 64) -> bytes:
    """A little picture with some shapes, different for each seed."""
    rng = random.Random(seed)
    a, b = rng.sample(PALETTE, 2)
    img = Image.new("RGB", (size, size), a)
    draw = ImageDraw.Draw(img)
    for _ in range(3):
        x, y = rng.randrange(size), rng.randrange(size)
        r = rng.randrange(size // 8, size // 2)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice((b, *PALETTE)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def prompt_for(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(STYLES)}, {rng.choice(EXTRAS)}"


def build_library(home: Path, count: int, *, unique_files: int = 500, demo_share: float = 0.2,
                  favourite_share: float = 0.03, trashed: int = 0, newest: datetime | None = None,
                  step: timedelta = timedelta(minutes=5), image_size: int = 64, seed: int = 1,
                  chunk: int = 5000) -> BuiltLibrary:
    """A library in ``home`` with ``count`` images, the newest at ``newest`` and each ``step`` older.

    Rows are made and inserted ``chunk`` at a time, so building 100,000 takes little memory (a benchmark
    measures its own peak RSS afterwards, in the same process).
    """
    newest = newest or datetime.now(UTC).replace(microsecond=0)
    Library.open(home).close()  # folders, schema, migrations
    rng = random.Random(seed)
    base_files: list[Path] = []
    conn = sqlite3.connect(home / "fluxdesk.db", isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for start in range(0, count, chunk):
            jobs, images = [], []
            for i in range(start, min(count, start + chunk)):
                job, image = _rows(home / "images", i, rng, newest, step, image_size, unique_files, base_files,
                                   demo_share, favourite_share, trashed)
                jobs.append(job)
                images.append(image)
            _insert(conn, jobs, images)
        conn.execute("UPDATE jobs SET image_id = (SELECT id FROM images WHERE images.job_id = jobs.id)")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return BuiltLibrary(home, count, newest)


def _rows(library_dir: Path, i: int, rng: random.Random, newest: datetime, step: timedelta, image_size: int,
          unique_files: int, base_files: list[Path], demo_share: float, favourite_share: float,
          trashed: int) -> tuple[tuple, tuple]:
    created = newest - step * i
    model, price = MODELS[rng.randrange(len(MODELS))]
    job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    image_seed = rng.randrange(2**32)
    folder = library_dir / f"{created:%Y}" / f"{created:%m}"
    path = folder / f"{created:%Y%m%d-%H%M%S}-{model}-{image_seed}-{job_id[:8]}.jpg"
    folder.mkdir(parents=True, exist_ok=True)
    if i < unique_files or not base_files:
        path.write_bytes(small_jpeg(i, image_size))
        if len(base_files) < 16:
            base_files.append(path)
    else:
        os.link(base_files[i % len(base_files)], path)
    prompt = prompt_for(rng)
    demo = rng.random() < demo_share
    upsampled = model == "flux-2-flex" or rng.random() < 0.05
    prompt_used = prompt + ", rewritten with more detail" if upsampled else prompt
    params: dict[str, object] = {"seed": image_seed, "width": 1024, "height": 768, "output_format": "jpeg"}
    if model == "flux-2-flex":
        params.update(steps=50, guidance=4.5)
    created_text = iso_utc(created)
    record = ImageRecord(
        model=model, prompt=prompt, prompt_used=prompt_used, seed=image_seed, width=image_size,
        height=image_size, steps=params.get("steps"), guidance=params.get("guidance"), parameters=params,
        cost_credits=price, job_id=job_id, task_id=f"task-{job_id[:13]}", created_at=created_text,
        start_time=created.timestamp() - 9, end_time=created.timestamp() - 1, duration=8.0, demo=demo,
        output_format="jpeg")
    trashed_at = iso_utc(newest - timedelta(days=1)) if i < trashed else None
    request = json.dumps({"model": model, "prompt": prompt})
    job = (job_id, created_text, created_text, model, prompt, "1024x768", request, "{}", "done", record.task_id,
           str(price), created_text, int(demo))
    image = (job_id, str(path), model, prompt, prompt_used, image_seed, image_size, image_size, record.steps,
             record.guidance, json.dumps(params), to_json(record), str(price), created_text, record.start_time,
             record.end_time, 8.0, record.task_id, int(demo), int(rng.random() < favourite_share), trashed_at,
             str(path) if trashed_at else None, path.stat().st_size, "jpeg")
    return job, image


def _insert(conn: sqlite3.Connection, jobs: list[tuple], images: list[tuple]) -> None:
    conn.executemany(
        """INSERT INTO jobs (id, created_at, updated_at, model, prompt, size, request, body, status, task_id,
                             cost_credits, submitted_at, demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        jobs)
    conn.executemany(
        """INSERT INTO images (job_id, path, model, prompt, prompt_used, seed, width, height, steps, guidance,
                               parameters, record, cost_credits, created_at, start_time, end_time, duration,
                               task_id, demo, favourite, trashed_at, trashed_from, file_size, format)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        images)


class StallMeter:
    """A 5 ms repeating timer on the GUI thread; the longest gap beyond 5 ms is the longest stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.worst_ms = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.worst_ms = 0.0
        self._last = self._started = self.worst_at = time.perf_counter()
        self._timer.start()
        if os.environ.get("BENCH_TRACE"):
            self._watch()

    def _watch(self) -> None:
        """Where the GUI thread is when it stalls: its stack, sampled from another thread."""
        import threading
        import traceback
        from collections import Counter

        gui = threading.get_ident()
        self.samples: Counter = Counter()

        def watchdog() -> None:
            while self._timer.isActive():
                time.sleep(0.01)
                if (time.perf_counter() - self._last) * 1000 > 25:
                    frame = sys._current_frames().get(gui)
                    if frame is not None:
                        stack = traceback.extract_stack(frame)[-6:]
                        self.samples[" <- ".join(f"{f.name}:{Path(f.filename).name}:{f.lineno}"
                                                 for f in reversed(stack))] += 1

        threading.Thread(target=watchdog, daemon=True).start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        stall = (now - self._last) * 1000 - 5
        if stall > self.worst_ms:
            self.worst_ms, self.worst_at = stall, now
        if stall > 30 and os.environ.get("BENCH_TRACE"):
            print(f"stall {stall:.0f} ms at {now - self._started:.2f} s", file=sys.stderr)
        self._last = now
