"""Editing part of an image: the crop a FLUX.2 local edit sends, and the canvas an Expand grows to.

Pure geometry: nothing here reads pixels (``storage.masks`` reads masks, crops and composites). A box is
``(left, top, right, bottom)`` in pixels of the image, right and bottom exclusive, as Pillow crops: the box
``(0, 0, 2, 2)`` holds four pixels.
"""

from __future__ import annotations

import math

from fluxdesk.core.catalog import EXPAND_SIDES, DimensionSize, Model, megapixels_text

Box = tuple[int, int, int, int]
"""``(left, top, right, bottom)``, right and bottom exclusive."""
Sides = tuple[int, int, int, int]
"""Pixels added by an Expand: ``(top, right, bottom, left)``, the order of CSS and of ``--expand``."""

FEATHER_PX = 12
"""How soft a local edit's seam is: the result blends into the original over this many pixels past the mask."""
FEATHER_REACH_PX = 2 * FEATHER_PX
"""No pixel farther than this from the mask (in x and in y) is changed by a local edit: it stays the original's."""
MIN_MARGIN_PX = FEATHER_REACH_PX + 16
"""The least context around the mask in the crop, so the feather never reaches the crop's edge (unless the
image's own edge is there)."""
MARGIN_SHARE = 0.25
"""The margin grows with the mask: a quarter of its longer side, at least ``MIN_MARGIN_PX``."""
MIN_CROP_SIDE = 512
"""A crop is at least this long a side where the image allows: context for the model, and the same price as a
smaller one (BFL bills at least one megapixel)."""


class CropError(ValueError):
    """No crop the model accepts holds the mask; the message says why and what to do."""


def box_size(box: Box) -> tuple[int, int]:
    return box[2] - box[0], box[3] - box[1]


def box_is_empty(box: Box) -> bool:
    """An empty box (right ≤ left or bottom ≤ top) is how an all-black mask's bounds are written."""
    return box[2] <= box[0] or box[3] <= box[1]


def box_inside(box: Box, image_size: tuple[int, int]) -> bool:
    left, top, right, bottom = box
    return 0 <= left < right <= image_size[0] and 0 <= top < bottom <= image_size[1]


def crop_box(mask_bounds: Box, image_size: tuple[int, int], model: Model) -> Box:
    """The part of an image a FLUX.2 local edit sends: the mask's bounding box plus a margin, snapped to what
    ``model`` accepts, inside the image.

    ``mask_bounds`` is the box of the mask's repaint (non-black) pixels, ``image_size`` the image's
    ``(width, height)``. The answer contains ``mask_bounds``, lies inside the image, and its sides are multiples of
    the model's step within its smallest and largest side and megapixel cap. The margin is a quarter of the mask's
    longer side (at least ``MIN_MARGIN_PX``) and the crop is at least ``MIN_CROP_SIDE`` a side, both as far as the
    image and the megapixel cap allow; the box is centred on the mask, moved inwards at the image's edges.

    ``CropError`` when no such box exists: a model without local edits, a mask outside the image, a mask so large
    that its crop would pass the model's megapixel cap, or one that reaches so close to two opposite edges that no
    multiple of the step fits between them.
    """
    size = model.size
    if not model.local_edit or not isinstance(size, DimensionSize):
        raise CropError(f"{model.name} makes no local edits")
    width, height = image_size
    if box_is_empty(mask_bounds):
        raise CropError("the mask is all black: paint where to repaint")
    if not box_inside(mask_bounds, image_size):
        raise CropError(f"the mask's box {mask_bounds} is not inside the {width}×{height} image")
    left, top, right, bottom = mask_bounds
    mask_w, mask_h = right - left, bottom - top
    margin = max(MIN_MARGIN_PX, math.ceil(MARGIN_SHARE * max(mask_w, mask_h)))
    spans = []
    for span, extent, axis in ((mask_w, width, "wide"), (mask_h, height, "high")):
        least = max(size.minimum, _ceil_step(span, size.step))
        most = _floor_step(min(extent, size.maximum or extent), size.step)
        if least > most:
            raise CropError(
                f"the {width}×{height} image has no crop {model.name} takes around this mask: it is {span} px {axis}"
                f" in an image {extent} px {axis}, and the crop must be a multiple of {size.step} px of at least "
                f"{size.minimum}. Leave a margin of {size.step} px at one edge, or use FLUX.1 Fill [pro]")
        wanted = _ceil_step(max(span + 2 * margin, MIN_CROP_SIDE), size.step)
        spans.append((least, min(max(wanted, least), most)))
    (least_w, crop_w), (least_h, crop_h) = spans
    if size.max_pixels is not None and least_w * least_h > size.max_pixels:
        raise CropError(
            f"the mask needs a crop of at least {least_w}×{least_h} ({megapixels_text(least_w, least_h)}), more than "
            f"{model.name} takes ({size.max_pixels / (1024 * 1024):g} MP): paint a smaller mask, or use FLUX.1 Fill "
            "[pro]")
    while size.max_pixels is not None and crop_w * crop_h > size.max_pixels:
        # Give up margin on the side with more of it to spare, a step at a time.
        if crop_w - least_w >= crop_h - least_h:
            crop_w -= size.step
        else:
            crop_h -= size.step
    x, y = _place(left, right, crop_w, width), _place(top, bottom, crop_h, height)
    return x, y, x + crop_w, y + crop_h


def _ceil_step(value: int, step: int) -> int:
    return -(-value // step) * step


def _floor_step(value: int, step: int) -> int:
    return value - value % step


def _place(low: int, high: int, length: int, extent: int) -> int:
    """Where a span of ``length`` starts: centred on ``low..high``, holding it, inside ``0..extent``."""
    start = (low + high - length) // 2
    return min(max(start, high - length, 0), low, extent - length)


# --- Expand -----------------------------------------------------------------------------------------------------

SIDE_NAMES = ("top", "right", "bottom", "left")
"""The request fields of an Expand's sides, in the order of ``Sides``."""


def expanded_size(image_size: tuple[int, int], sides: Sides) -> tuple[int, int]:
    """The canvas an Expand delivers: the image grown by ``(top, right, bottom, left)`` pixels."""
    top, right, bottom, left = sides
    return image_size[0] + left + right, image_size[1] + top + bottom


def parse_sides(text: str) -> Sides:
    """``"0,256,0,256"`` → ``(0, 256, 0, 256)``: top, right, bottom, left. ``ValueError`` in words for anything
    else: not four whole numbers, one outside 0–2048, or none above 0."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not four whole numbers TOP,RIGHT,BOTTOM,LEFT (e.g. 0,256,0,256)")
    sides = tuple(int(part) for part in parts)
    check_sides(sides)
    return sides[0], sides[1], sides[2], sides[3]


def check_sides(sides: tuple[int, ...]) -> None:
    """``ValueError`` in words unless each side is 0–2048 pixels and one at least is more than 0."""
    rng = EXPAND_SIDES
    for name, value in zip(SIDE_NAMES, sides, strict=True):
        if not rng.minimum <= value <= rng.maximum:
            raise ValueError(f"{name} is {value}: each side takes {rng.minimum} to {rng.maximum} pixels")
    if not any(sides):
        raise ValueError("every side is 0: add pixels to at least one side")

