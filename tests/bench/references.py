"""reference_prepare_ms: making a 24 MP camera JPEG ready to send as a reference, at the default 1 MP budget.

The file is made once with Pillow: 6000×4000, a sky gradient, a sun, hills and boxes, mild sensor noise,
EXIF orientation 6 (the camera was turned: the picture shows 4000×6000), saved as a camera would (quality
92). Each run is one ``storage.references.prepare_reference`` call, as ``fluxdesk generate --input-image``
and the reference tray make it: read the file, decode (at a reduced JPEG scale), orient, downscale to at most
the output's pixels (``core.references.limit_pixels(OUTPUT, 1 MP)``), encode. The figure is the median wall
time of the runs. ``--profile`` adds where one run's time goes. Last line: one JSON object.

    .venv/bin/python tests/bench/references.py [--runs N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from fluxdesk.core.catalog import MEGAPIXEL
from fluxdesk.core.references import ReferenceSize, limit_pixels
from fluxdesk.storage.references import prepare_reference

SIZE = (6000, 4000)
ORIENTATION = 0x0112
TARGET_MS = 250


def camera_jpeg(path: Path, size: tuple[int, int] = SIZE) -> Path:
    """A 24 MP photo-like JPEG: smooth areas, edges and fine noise, as a camera's file has."""
    width, height = size
    rng = random.Random(24)
    sky = Image.linear_gradient("L").resize(size).convert("RGB")
    picture = Image.blend(sky, Image.new("RGB", size, (70, 130, 200)), 0.55)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((width * 0.7, height * 0.08, width * 0.8, height * 0.08 + width * 0.1), fill=(250, 215, 110))
    for i in range(5):  # hills
        top = int(height * (0.45 + i * 0.08))
        points = [(0, height)] + [(x, top + rng.randrange(-height // 12, height // 12))
                                  for x in range(0, width + 500, 500)] + [(width, height)]
        draw.polygon(points, fill=(30 + i * 20, 90 + i * 15, 40 + i * 10))
    for _ in range(40):  # houses, boxes, posts
        x, y = rng.randrange(width), rng.randrange(height // 2, height)
        w, h = rng.randrange(60, 400), rng.randrange(60, 300)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    # Sensor noise and fine texture in colour, so the file weighs what a camera's does (~10 MB at quality 92):
    # a JPEG's decode time grows with its coded detail.
    noise = Image.merge("RGB", [Image.effect_noise(size, 64) for _ in range(3)])
    picture = Image.blend(picture, noise, 0.22)
    exif = picture.getexif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "FluxDesk bench camera"
    picture.save(path, "JPEG", quality=92, exif=exif)
    return path


def run_once(path: Path, max_pixels: int) -> float:
    started = time.perf_counter()
    prepared = prepare_reference(path, max_pixels=max_pixels)
    elapsed = (time.perf_counter() - started) * 1000
    assert prepared.width * prepared.height <= max_pixels and prepared.height > prepared.width  # upright
    return elapsed


def profile(path: Path, max_pixels: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    prepare_reference(path, max_pixels=max_pixels)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(8)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--profile", action="store_true", help="print where one run's time goes")
    args = parser.parse_args()
    max_pixels = limit_pixels(ReferenceSize.OUTPUT, MEGAPIXEL)  # the default: a 1 MP output
    with tempfile.TemporaryDirectory(prefix="fluxdesk-bench-") as tmp:
        path = camera_jpeg(Path(tmp) / "camera.jpg")
        print(f"{SIZE[0]}×{SIZE[1]} camera JPEG, {path.stat().st_size / 1e6:.1f} MB", flush=True)
        run_once(path, max_pixels)  # imports, caches, the file in the page cache
        times = [run_once(path, max_pixels) for _ in range(args.runs)]
        prepared = prepare_reference(path, max_pixels=max_pixels)
        print(f"sent as {prepared.width}×{prepared.height} {prepared.format}, {len(prepared.data) / 1e3:.0f} kB; "
              f"runs (ms): {', '.join(f'{t:.0f}' for t in times)}", flush=True)
        if args.profile:
            print(profile(path, max_pixels), flush=True)
    median = round(statistics.median(times), 1)
    print(f"reference_prepare_ms: {median} (target ≤ {TARGET_MS})", flush=True)
    print(json.dumps({"reference_prepare_ms": median}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
