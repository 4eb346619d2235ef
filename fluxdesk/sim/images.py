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
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from fluxdesk.core.catalog import MEGAPIXEL, AspectRatioSize, DimensionSize, Model, parse_aspect_ratio
from fluxdesk.core.request import GenerationRequest, edit_output_size, effective_size, output_size_following

SIZE_STEP = 16
UNFETCHED_IMAGE_SIZE = (1024, 1024)
"""What an editing tool answers for an image given by URL, which the simulator does not fetch."""
KONTEXT_STEP = 32
"""Kontext's output follows an input image's ratio with sides that are multiples of 32."""


def requested_size(model: Model, req: GenerationRequest) -> tuple[int, int]:
    """The size BFL would deliver: the requested sides, or ~approx_megapixels at the aspect ratio.

    With references and no size asked for, the output follows the first reference's aspect ratio at about 1 MP:
    Kontext (sides multiples of 32, as BFL documents) and FLUX.2 (multiples of 16, as partners report)."""
    if not isinstance(model.size, AspectRatioSize | DimensionSize):
        # Fill: the image's size; Expand: grown by its sides. An image given as a URL is not fetched here.
        return edit_output_size(req, model) or UNFETCHED_IMAGE_SIZE
    first = req.input_images[0] if req.input_images and not model.image_prompt else None
    follow = first is not None and first.width is not None and first.height is not None
    if not isinstance(model.size, AspectRatioSize):
        if follow and req.width is None and req.height is None:
            assert first is not None and first.width is not None and first.height is not None
            return output_size_following(model, first.width, first.height, MEGAPIXEL)
        return effective_size(req, model)
    pixels = float(model.size.approx_megapixels) * MEGAPIXEL
    if follow and req.aspect_ratio is None:
        assert first is not None and first.width is not None and first.height is not None
        ratio = min(max(Fraction(first.width, first.height), Fraction(*model.size.tallest)),
                    Fraction(*model.size.widest))
        width = math.sqrt(pixels * ratio)
        return _snap(width, KONTEXT_STEP), _snap(width / ratio, KONTEXT_STEP)
    parsed = parse_aspect_ratio(req.aspect_ratio or model.size.default)
    if parsed is None:
        raise ValueError(f"bad aspect ratio {req.aspect_ratio!r}")
    width = math.sqrt(pixels * parsed)
    return _snap(width), _snap(width / parsed)


def _snap(side: float, step: int = SIZE_STEP) -> int:
    return max(step, round(side / step) * step)


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
    references: int = 0
    """How many references the request carried."""
    reference_sha256: str = ""
    """Of the first reference's bytes, drawn into the picture; empty for none (or a URL the simulator cannot
    fetch). The bytes themselves ride along, out of the spec's identity."""
    reference: bytes = field(default=b"", compare=False, repr=False)
    edit: str = ""
    """An editing tool's work: ``"fill"`` (the reference kept where ``mask`` is black), ``"expand"`` (the reference
    placed on the canvas grown by ``sides``); empty otherwise, when a reference is drawn framed at the left."""
    sides: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Expand's ``(top, right, bottom, left)``."""
    mask_sha256: str = ""
    mask: bytes = field(default=b"", compare=False, repr=False)

    @staticmethod
    def parameters_digest(parameters: dict[str, Any]) -> str:
        text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def digest(self) -> bytes:
        text = "\n".join((self.model, self.prompt, str(self.seed), f"{self.width}x{self.height}",
                          self.output_format, self.parameters, str(self.references), self.reference_sha256,
                          self.edit, ",".join(map(str, self.sides)), self.mask_sha256))
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
    if spec.reference and spec.edit:
        image = _draw_edit(image, spec)
    elif spec.reference:
        _draw_reference(image, spec.reference)
    font = _font(max(10, min(w, h) // 40))
    edit = f" · edit of {spec.references} reference{'s' if spec.references != 1 else ''}" if spec.references else ""
    caption = f"SIMULATED · {spec.model} · seed {spec.seed}{edit}\n{spec.prompt[:80]}"
    margin = max(4, min(w, h) // 60)
    pen.multiline_text((margin, margin), caption, font=font, fill=(255, 255, 255),
                       stroke_width=max(1, font.size // 12) if hasattr(font, "size") else 0,
                       stroke_fill=(0, 0, 0))
    return image


def _draw_reference(image: Image.Image, data: bytes) -> None:
    """The first reference, scaled to fit the left half with a white frame: an edit visibly shows what it was
    made from. Deterministic: fixed resampling, no randomness."""
    w, h = image.size
    margin = max(2, min(w, h) // 32)
    box = (max(1, w // 2 - 2 * margin), max(1, h - 2 * margin))
    with Image.open(io.BytesIO(data)) as source:
        source.draft(None, box)  # a JPEG decodes at a fraction of its size when that is enough
        picture = ImageOps.contain(ImageOps.exif_transpose(source).convert("RGBA"), box,
                                   Image.Resampling.BILINEAR)
    x, y = margin, (h - picture.height) // 2
    frame = max(1, margin // 4)
    ImageDraw.Draw(image).rectangle((x - frame, y - frame, x + picture.width + frame - 1,
                                     y + picture.height + frame - 1), fill=(255, 255, 255))
    image.paste(picture, (x, y), picture)


def _draw_edit(drawn: Image.Image, spec: ImageSpec) -> Image.Image:
    """What a tool gives back, roughly: Fill keeps the image where the mask is black and paints the drawing where it
    is white; Expand places the image on the grown canvas, the drawing around it."""
    with Image.open(io.BytesIO(spec.reference)) as source:
        original = ImageOps.exif_transpose(source).convert("RGB")
    if spec.edit == "fill":
        with Image.open(io.BytesIO(spec.mask)) as mask_file:
            mask = mask_file.convert("L").point(lambda v: 255 if v else 0)
        if original.size != drawn.size:  # the drawing was capped (``max_output_pixels``)
            original, mask = original.resize(drawn.size), mask.resize(drawn.size)
        return Image.composite(drawn, original, mask)
    top, right, bottom, left = spec.sides
    scale = min(drawn.width / (original.width + left + right), drawn.height / (original.height + top + bottom), 1.0)
    if scale < 1.0:  # capped: the canvas drawn smaller, the image too
        original = original.resize((max(1, round(original.width * scale)), max(1, round(original.height * scale))))
    drawn.paste(original, (round(left * scale), round(top * scale)))
    return drawn


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
