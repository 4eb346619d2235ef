"""Reference images: the size each is sent at, and what that size costs.

A reference is downscaled on our side before it is sent (never upscaled, its aspect kept): by default to at
most the output's megapixels, since FLUX.2 bills every started megapixel of every reference. The user can send
the original instead, which is still capped at 4 MP (partners say BFL resizes larger ones anyway).
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal

from fluxdesk.core.catalog import MEGAPIXEL, AspectRatioSize, Model, get_model, started_megapixels
from fluxdesk.core.pricing import PriceTable, credits_phrase, reference_credits
from fluxdesk.core.request import GenerationRequest, effective_size

ORIGINAL_MAX_PIXELS = 4 * MEGAPIXEL
"""The largest reference FluxDesk sends, even when asked for the original."""


class ReferenceSize(enum.Enum):
    """How large a reference is sent."""

    OUTPUT = "output"
    """At most the output's megapixels: the cheapest that loses nothing the output could show."""
    ORIGINAL = "original"
    """As the file is, capped at 4 MP."""

    @classmethod
    def parse(cls, value: object) -> ReferenceSize:
        """A stored or typed choice; anything unknown is the default, ``OUTPUT``."""
        for member in cls:
            if value == member.value:
                return member
        return cls.OUTPUT


def output_pixels(req: GenerationRequest, model: Model | None = None) -> int:
    """The pixels of the output ``req`` asks for; for a model sized by ratio, the megapixels it makes."""
    model = model or get_model(req.model)
    if isinstance(model.size, AspectRatioSize):
        return int(model.size.approx_megapixels * MEGAPIXEL)
    width, height = effective_size(req, model)
    return width * height


def limit_pixels(policy: ReferenceSize, output: int) -> int:
    """The most pixels a reference is sent with, for an output of ``output`` pixels."""
    if policy is ReferenceSize.ORIGINAL:
        return ORIGINAL_MAX_PIXELS
    return min(output, ORIGINAL_MAX_PIXELS)


def sent_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """``width`` × ``height`` shrunk to at most ``max_pixels``, aspect kept, never enlarged."""
    if width <= 0 or height <= 0:
        raise ValueError("an image has positive sides")
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    while w * h > max_pixels:  # floating point may leave one pixel too many
        if w >= h:
            w -= 1
        else:
            h -= 1
    return w, h


def size_and_price_text(model_id: str, width: int, height: int, table: PriceTable) -> str:
    """``"4032×3024, 12 MP, 18 credits"`` (the credits only where the model bills references)."""
    text = f"{width}×{height}, {started_megapixels(width * height)} MP"
    if get_model(model_id).references_priced:
        text += ", " + credits_phrase(reference_credits(model_id, width, height, table))
    return text


def saving_text(model_id: str, original: tuple[int, int], sent: tuple[int, int], table: PriceTable) -> str:
    """``"4032×3024, 12 MP, 18 credits → sent as 1182×886, 1 MP, 1.5 credits"``; just the size when unchanged."""
    sent_text = size_and_price_text(model_id, *sent, table)
    if original == sent:
        return f"sent as is: {sent_text}"
    return f"{size_and_price_text(model_id, *original, table)} → sent as {sent_text}"


def credits_saved(model_id: str, original: tuple[int, int], sent: tuple[int, int], table: PriceTable) -> Decimal:
    return (reference_credits(model_id, *original, table) - reference_credits(model_id, *sent, table))
