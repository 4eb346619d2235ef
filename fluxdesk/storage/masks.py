"""Masks and local edits in pixels: reading a mask from any image, cutting the crop a FLUX.2 local edit sends, and
compositing the edited crop back into the original through the mask, feathered at its edge.

The geometry (which box, how far the feather reaches) is ``core.masks``; this module only does what it says with
Pillow. Every pixel farther than ``FEATHER_REACH_PX`` from the mask (in x and in y) keeps the original's value
exactly, and the composite is written as PNG so that it stays so.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter, ImageOps

from fluxdesk.core.masks import FEATHER_PX, Box, box_size
from fluxdesk.core.request import InputImage, MaskImage
from fluxdesk.storage.imaging import DECODE_ERRORS
from fluxdesk.storage.references import (
    PNG_COMPRESSION,
    ReferenceImageError,
    open_image,
    read_source,
    sha256_of,
)

EMPTY_BOX: Box = (0, 0, 0, 0)
"""The bounds of an all-black mask."""
_REPAINT = bytes([0] + [255] * 255)
"""A lookup table: any luminance above black is "repaint" (255), black is "keep" (0)."""
_DOUBLE = bytes(min(255, 2 * v) for v in range(256))
COMPOSITE_PNG_LEVEL = 1
"""zlib's fastest level for the composite: a 4 MP PNG encodes in about 0.2 s instead of 0.35 s at level 3, for a file
some 7% larger (``tests/bench/masks_composite.py``)."""


@dataclass(frozen=True)
class PreparedMask:
    """A mask ready to send and store: a greyscale PNG, 255 where to repaint, 0 where to keep."""

    data: bytes
    sha256: str
    width: int
    height: int
    bounds: Box
    """The box of its repaint pixels; ``EMPTY_BOX`` when it is all black."""
    source: str

    def mask_image(self) -> MaskImage:
        return MaskImage(base64.b64encode(self.data).decode("ascii"), self.width, self.height, self.sha256,
                         self.source, bounds=self.bounds)


@dataclass(frozen=True)
class PreparedCrop:
    """The part of an image a local edit sends, as PNG."""

    data: bytes
    sha256: str
    box: Box

    def input_image(self) -> InputImage:
        width, height = box_size(self.box)
        return InputImage(base64.b64encode(self.data).decode("ascii"), width, height, self.sha256, "crop")


def _png(image: Image.Image, level: int = PNG_COMPRESSION) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=level)
    return buffer.getvalue()


def _decoded(data: bytes, name: str) -> Image.Image:
    """Fully decoded, oriented as it shows; ``ReferenceImageError`` in words when it cannot be."""
    image = open_image(data, name)
    try:
        with image:
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            image.load()
            oriented = ImageOps.exif_transpose(image)
            return oriented if oriented is not image else image.copy()
    except DECODE_ERRORS:
        raise ReferenceImageError(f"{name} is damaged or incomplete (it does not decode to the end)") from None


def repaint_pixels(image: Image.Image) -> Image.Image:
    """A mask's meaning as a binary greyscale image: 255 where its luminance is above black, 0 where black. A
    transparent pixel counts as black (the mask is read as it shows over black)."""
    if image.mode in ("RGBA", "LA", "PA", "P", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        luminance = ImageChops.multiply(rgba.convert("L"), rgba.getchannel("A"))
    else:
        luminance = image.convert("L")
    return luminance.point(_REPAINT)


def prepare_mask(source: Path | bytes, *, name: str | None = None) -> PreparedMask:
    """Read a mask from any image file FluxDesk reads: non-black pixels of its luminance are "repaint"."""
    label = name or (Path(source).name if isinstance(source, Path | str) else "the mask")
    binary = repaint_pixels(_decoded(read_source(source, label), label))
    data = _png(binary)
    return PreparedMask(data, sha256_of(data), binary.width, binary.height, binary.getbbox() or EMPTY_BOX,
                        str(source) if isinstance(source, Path | str) else label)


def mask_bounds(data: bytes) -> Box:
    """The box of a stored mask's repaint pixels (``EMPTY_BOX`` when it is all black)."""
    return repaint_pixels(_decoded(data, "the mask")).getbbox() or EMPTY_BOX


def make_crop(image_data: bytes, box: Box) -> PreparedCrop:
    """The part of an image inside ``box``, as PNG (lossless: the original's pixels, exactly)."""
    with _decoded(image_data, "the image") as image:
        data = _png(image.crop(box))
    return PreparedCrop(data, sha256_of(data), box)


def feathered_alpha(mask: Image.Image, box: Box, feather: int = FEATHER_PX) -> Image.Image:
    """How much of the edit shows at each pixel of ``box``: 255 on the mask, fading to 0 at ``2 × feather`` pixels
    past it, and 0 beyond (two box blurs of radius ``feather`` reach exactly that far)."""
    reach = 2 * feather
    left, top, right, bottom = box
    # Blurred with room around the box, so the blur sees the mask's real neighbourhood rather than an edge copied.
    outer = (max(0, left - reach), max(0, top - reach), min(mask.width, right + reach),
             min(mask.height, bottom + reach))
    region = mask.crop(outer)
    inner = (left - outer[0], top - outer[1], right - outer[0], bottom - outer[1])
    if feather <= 0:
        return region.crop(inner)
    soft = region.filter(ImageFilter.BoxBlur(feather)).filter(ImageFilter.BoxBlur(feather)).point(_DOUBLE)
    return ImageChops.lighter(soft, region).crop(inner)


def composite(original: Image.Image, edited: Image.Image, mask: Image.Image, box: Box,
              feather: int = FEATHER_PX) -> Image.Image:
    """``original`` with ``edited`` (the model's answer for the crop ``box``) blended in through ``mask`` (binary,
    the original's size), feathered at its edge; the original's size and mode. Pixels farther than ``2 × feather``
    from the mask are the original's, exactly."""
    if mask.size != original.size:
        raise ValueError(f"the mask is {mask.width}×{mask.height}, the image {original.width}×{original.height}")
    size = box_size(box)
    patch = edited if edited.mode == original.mode else edited.convert(original.mode)
    if patch.size != size:  # the model answered another size than asked: fit it to the crop it replaces
        patch = patch.resize(size, Image.Resampling.LANCZOS)
    region = original.crop(box)
    region.paste(patch, (0, 0), feathered_alpha(mask, box, feather))
    result = original.copy()
    result.paste(region, box[:2])
    return result


def composite_local_edit(original_data: bytes, mask_data: bytes, edited_data: bytes, box: Box,
                         feather: int = FEATHER_PX) -> bytes:
    """``composite`` on encoded images; the result as PNG. ``ReferenceImageError`` in words for bytes that do not
    decode."""
    original = _decoded(original_data, "the original image")
    mask = repaint_pixels(_decoded(mask_data, "the mask"))
    edited = _decoded(edited_data, "the edited crop")
    return _png(composite(original, edited, mask, box, feather), COMPOSITE_PNG_LEVEL)

