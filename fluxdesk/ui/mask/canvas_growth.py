"""The arithmetic of Expand: pixels per side from a target canvas and where the image sits on it, the smallest
canvas of an aspect ratio around an image, and what is wrong with a choice, in words. No Qt here."""

from __future__ import annotations

import math

from fluxdesk.core.catalog import EXPAND_SIDES
from fluxdesk.core.masks import SIDE_NAMES, Sides, expanded_size

MAX_SIDE = EXPAND_SIDES.maximum
"""The most pixels ``flux-pro-1.0-expand`` adds on one side (the catalog's range, as validation uses it)."""
Size = tuple[int, int]
__all__ = ["ANCHORS", "ASPECTS", "MAX_SIDE", "SIDE_NAMES", "Sides", "canvas_for_aspect", "expand_problem", "grown",
           "sides_for_target"]

ANCHORS: dict[str, tuple[float, float]] = {
    "Centre": (0.5, 0.5),
    "Top": (0.5, 0.0),
    "Bottom": (0.5, 1.0),
    "Left": (0.0, 0.5),
    "Right": (1.0, 0.5),
    "Top left": (0.0, 0.0),
    "Top right": (1.0, 0.0),
    "Bottom left": (0.0, 1.0),
    "Bottom right": (1.0, 1.0),
}
"""Where the image sits on the new canvas, as the share of the added width and height that goes left and above."""

ASPECTS: dict[str, tuple[int, int] | None] = {
    "Free": None, "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "3:2": (3, 2), "2:3": (2, 3), "16:9": (16, 9),
    "9:16": (9, 16), "21:9": (21, 9), "4:5": (4, 5),
}


def sides_for_target(image: Size, target: Size, anchor: str) -> Sides:
    """The pixels to add on each side so that ``image`` becomes ``target``, placed at ``anchor``. A side comes out
    negative when the target is smaller than the image that way (``expand_problem`` says so). Centred on an odd
    number of added pixels, the odd one goes right or below."""
    across, down = ANCHORS[anchor]
    extra_w, extra_h = target[0] - image[0], target[1] - image[1]
    left, top = math.floor(extra_w * across), math.floor(extra_h * down)
    return (top, extra_w - left, extra_h - top, left)


def canvas_for_aspect(image: Size, ratio: tuple[int, int]) -> Size:
    """The smallest canvas of ``ratio`` (width : height) that holds ``image`` whole."""
    width, height = image
    a, b = ratio
    if width * b >= height * a:  # the image is wider than the ratio: add height
        return (width, max(height, math.ceil(width * b / a)))
    return (max(width, math.ceil(height * a / b)), height)


def grown(image: Size, sides: Sides) -> Size:
    """The canvas ``sides`` make of ``image`` (``core.masks.expanded_size``; a negative side shrinks it)."""
    return expanded_size(image, sides)


def expand_problem(image: Size | None, sides: Sides) -> str | None:
    """What stops these sides from being sent to Expand, in plain words; ``None`` when nothing does."""
    if any(side < 0 for side in sides) and image is not None:
        width, height = grown(image, sides)
        return (f"The new canvas ({width}×{height}) is smaller than the image ({image[0]}×{image[1]}): "
                "Expand only adds pixels")
    too_far = [(name, side) for name, side in zip(SIDE_NAMES, sides, strict=True) if side > MAX_SIDE]
    if too_far:
        named = ", ".join(f"{name} {side} px" for name, side in too_far)
        return f"Expand adds at most {MAX_SIDE} px on a side ({named})"
    if not any(sides):
        return "Add pixels on at least one side"
    return None
