"""Deterministic stand-in images: the same spec always gives byte-identical files.

The picture is a smooth colour field with a few discs, all derived from a hash of model, prompt,
seed and parameters, plus a caption that marks it as simulated. Encoders run with fixed settings.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from fluxdesk.core.catalog import MEGAPIXEL, AspectRatioSize, Model, parse_aspect_ratio
from fluxdesk.core.request import GenerationRequest, effective_size

SIZE_STEP = 16


def requested_size(model: Model, req: GenerationRequest) -> tuple[int, int]:
    """The size BFL would deliver: the requested sides, or ~approx_megapixels at the aspect ratio."""
    if not isinstance(model.size, AspectRatioSize):
        return effective_size(req, model)
    ratio = parse_aspect_ratio(req.aspect_ratio or model.size.default)
    if ratio is None:
        raise ValueError(f"bad aspect ratio {req.aspect_ratio!r}")
    pixels = float(model.size.approx_megapixels) * MEGAPIXEL
    width = math.sqrt(pixels * ratio)
    return _snap(width), _snap(width / ratio)


def _snap(side: float) -> int:
    return max(SIZE_STEP, round(side / SIZE_STEP) * SIZE_STEP)


def cap_size(width: int, height: int, max_pixels: int | None) -> tuple[int, int]:
    """Shrink to at most ``max_pixels``, keeping the ratio and multiples of 16."""
    if max_pixels is None or width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    return (max(SIZE_STEP, math.floor(width * scale / SIZE_STEP) * SIZE_STEP),
            max(SIZE_STEP, math.floor(height * scale / SIZE_STEP) * SIZE_STEP))


@dataclass(frozen=True)
class ImageSpec:
    model: str
    prompt: str
    seed: int
    width: int
    height: int
    output_format: str
    parameters: str
    """A digest of every other parameter (``parameters_digest``)."""

    @staticmethod
    def parameters_digest(parameters: dict[str, Any]) -> str:
        text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def digest(self) -> bytes:
        text = "\n".join((self.model, self.prompt, str(self.seed), f"{self.width}x{self.height}",
                          self.output_format, self.parameters))
        return hashlib.sha256(text.encode()).digest()


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def draw(spec: ImageSpec) -> Image.Image:
    rng = random.Random(spec.digest())
    w, h = spec.width, spec.height
    # A 3×3 grid of colours blown up with bicubic resampling: a smooth field, cheap even at 4 MP.
    grid = Image.new("RGB", (3, 3))
    grid.putdata([_colour(rng) for _ in range(9)])
    image = grid.resize((w, h), Image.Resampling.BICUBIC)
    pen = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 9)):
        r = rng.uniform(0.04, 0.22) * min(w, h)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        pen.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng),
                    outline=_colour(rng), width=max(1, round(r / 12)))
    font = _font(max(10, min(w, h) // 40))
    caption = f"SIMULATED · {spec.model} · seed {spec.seed}\n{spec.prompt[:80]}"
    margin = max(4, min(w, h) // 60)
    pen.multiline_text((margin, margin), caption, font=font, fill=(255, 255, 255),
                       stroke_width=max(1, font.size // 12) if hasattr(font, "size") else 0,
                       stroke_fill=(0, 0, 0))
    return image


def encode(image: Image.Image, output_format: str) -> bytes:
    out = io.BytesIO()
    if output_format == "jpeg":
        image.save(out, "JPEG", quality=90, optimize=False, progressive=False)
    elif output_format == "png":
        image.save(out, "PNG")
    elif output_format == "webp":
        image.save(out, "WEBP", quality=90, method=4)
    else:
        raise ValueError(f"unknown output format {output_format!r}")
    return out.getvalue()


def render(spec: ImageSpec) -> bytes:
    return encode(draw(spec), spec.output_format)


class ImageCache:
    """The encoded samples of the most recently downloaded tasks; older ones are drawn again."""

    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[ImageSpec, bytes] = OrderedDict()

    def get(self, spec: ImageSpec) -> bytes:
        with self._lock:
            data = self._items.get(spec)
            if data is not None:
                self._items.move_to_end(spec)
                return data
        data = render(spec)  # outside the lock: drawing is deterministic, a duplicate is harmless
        with self._lock:
            self._items[spec] = data
            self._items.move_to_end(spec)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return data
