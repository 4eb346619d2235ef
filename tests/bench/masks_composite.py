"""composite_ms: compositing a FLUX.2 local edit back into a 4 MP original, as the pipeline does off the UI thread.

The original is a 2048×2048 photo-like picture (gradients, shapes, noise), the mask a painted ellipse of about
600×450 px, the crop ``core.masks.crop_box`` finds around it, the model's answer a picture of the crop's size.
``composite_ms`` is the median wall time of ``storage.masks.composite`` on the decoded images (feather, blend,
paste: the compositing itself). ``composite_file_ms`` is the median of ``composite_local_edit`` on the encoded
files, decoding the original (PNG), the mask and the answer (JPEG) and encoding the result as PNG: all the image
work the pipeline adds to a local edit. ``composite_large_mask_ms``: the compositing with a mask whose crop is FLUX.2's
largest (4 MP). Last line: one JSON object.

    .venv/bin/python tests/bench/masks_composite.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time

from PIL import Image, ImageDraw

from fluxdesk.core.catalog import get_model
from fluxdesk.core.masks import Box, box_size, crop_box
from fluxdesk.storage.masks import composite, composite_local_edit, repaint_pixels

SIZE = (2048, 2048)
TARGET_MS = 150


def picture(size: tuple[int, int], seed: int) -> Image.Image:
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, size[0] // 3 + 41), rng.randrange(40, size[1] // 3 + 41)
        draw.ellipse((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    return Image.blend(image, Image.effect_noise(size, 24).convert("RGB"), 0.12)


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


def case(ellipse: Box) -> tuple[Image.Image, Image.Image, Box]:
    mask = Image.new("L", SIZE)
    ImageDraw.Draw(mask).ellipse(ellipse, fill=255)
    box = crop_box(mask.getbbox() or (0, 0, 1, 1), SIZE, get_model("flux-2-pro"))
    return mask, picture(box_size(box), seed=2), box


def timed(runs: int, work: object) -> list[float]:
    assert callable(work)
    work()  # imports, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    original = picture(SIZE, seed=1)
    mask, edited, box = case((700, 800, 1300, 1250))
    large_mask, large_edited, large_box = case((100, 100, 1900, 1900))
    print(f"original {SIZE[0]}×{SIZE[1]}; crop {box_size(box)} at {box[:2]}; large crop {box_size(large_box)}",
          flush=True)
    in_memory = timed(args.runs, lambda: composite(original, edited, mask, box))
    large = timed(args.runs, lambda: composite(original, large_edited, large_mask, large_box))
    files = (encoded(original, "PNG"), encoded(mask, "PNG"), encoded(edited, "JPEG"))
    with_files = timed(max(3, args.runs // 2), lambda: composite_local_edit(*files, box))
    assert repaint_pixels(mask).getbbox() is not None
    figures = {"composite_ms": round(statistics.median(in_memory), 1),
               "composite_large_mask_ms": round(statistics.median(large), 1),
               "composite_file_ms": round(statistics.median(with_files), 1)}
    for name, times in (("composite", in_memory), ("large mask", large), ("with files", with_files)):
        print(f"{name} runs (ms): {', '.join(f'{t:.0f}' for t in times)}", flush=True)
    print(f"composite_ms: {figures['composite_ms']} (target ≤ {TARGET_MS})", flush=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
