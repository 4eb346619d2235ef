"""Masks and local edits in pixels, with real image files written by Pillow: a mask read from any image, the crop
sent, and the composite, whose pixels past the mask's feather are the original's, byte for byte."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, PngImagePlugin

from fluxdesk.core.catalog import get_model
from fluxdesk.core.masks import FEATHER_REACH_PX, crop_box
from fluxdesk.storage.masks import (
    EMPTY_BOX,
    composite,
    composite_local_edit,
    make_crop,
    mask_bounds,
    prepare_mask,
)
from fluxdesk.storage.references import ReferenceImageError, prepare_reference

PRO = get_model("flux-2-pro")


def scene(size: tuple[int, int], seed: int = 1, mode: str = "RGB") -> Image.Image:
    """A picture with gradients, shapes and noise: every pixel differs from its neighbours somewhat."""
    rng = random.Random(seed)
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle((x, y, x + size[0] // 6, y + size[1] // 7), fill=tuple(rng.randrange(256) for _ in range(3)))
    picture = Image.blend(picture, Image.effect_noise(size, 40).convert("RGB"), 0.3)
    return picture.convert(mode)


def save(image: Image.Image, path: Path, fmt: str = "PNG", **options: object) -> Path:
    image.save(path, fmt, **options)
    return path


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def far_from(boxes: list[tuple[int, int, int, int]], reach: int, size: tuple[int, int]) -> list[tuple[int, int]]:
    """Every pixel farther than ``reach`` (in x or in y) from all of ``boxes``."""
    width, height = size
    return [(x, y) for y in range(height) for x in range(width)
            if all(x < left - reach or x >= right + reach or y < top - reach or y >= bottom + reach
                   for left, top, right, bottom in boxes)]


# --- masks ---------------------------------------------------------------------------------------------------------

def test_a_mask_is_read_from_its_luminance_non_black_repaints(tmp_path: Path) -> None:
    painted = Image.new("RGB", (300, 200), (0, 0, 0))
    draw = ImageDraw.Draw(painted)
    draw.rectangle((10, 20, 49, 59), fill=(255, 255, 255))
    draw.rectangle((100, 100, 119, 109), fill=(0, 0, 60))  # dark blue is not black: repainted too
    mask = prepare_mask(save(painted, tmp_path / "mask.png"))
    assert (mask.width, mask.height) == (300, 200) and mask.bounds == (10, 20, 120, 110)
    image = decoded(mask.data)
    counts = image.histogram()
    assert image.format == "PNG" and image.mode == "L" and counts[0] and counts[255] and not any(counts[1:255])
    assert image.getpixel((110, 105)) == 255 and image.getpixel((60, 60)) == 0
    assert mask.mask_image().bounds == mask.bounds and mask.mask_image().sha256 == mask.sha256


def test_a_transparent_pixel_keeps_and_a_jpeg_or_greyscale_mask_reads_alike(tmp_path: Path) -> None:
    layer = Image.new("RGBA", (128, 96), (255, 255, 255, 0))  # white but transparent: keep
    ImageDraw.Draw(layer).ellipse((30, 20, 70, 60), fill=(255, 255, 255, 255))
    assert prepare_mask(save(layer, tmp_path / "layer.png")).bounds == (30, 20, 71, 61)
    grey = Image.new("L", (128, 96), 0)
    ImageDraw.Draw(grey).rectangle((5, 5, 20, 20), fill=200)
    assert prepare_mask(save(grey, tmp_path / "grey.jpg", "JPEG", quality=95)).bounds[:2] <= (5, 5)


def test_an_all_black_mask_has_empty_bounds_and_a_stored_mask_is_measured_again(tmp_path: Path) -> None:
    black = prepare_mask(save(Image.new("RGB", (64, 64)), tmp_path / "black.png"))
    assert black.bounds == EMPTY_BOX and mask_bounds(black.data) == EMPTY_BOX
    stroke = Image.new("L", (64, 64))
    ImageDraw.Draw(stroke).line((3, 60, 60, 3), fill=255, width=3)
    prepared = prepare_mask(save(stroke, tmp_path / "stroke.png"))
    assert mask_bounds(prepared.data) == prepared.bounds != EMPTY_BOX


@pytest.mark.parametrize(("content", "words"), [(b"not an image", "is not an image"), (None, "no longer there")])
def test_a_mask_that_is_no_image_is_refused_in_words(tmp_path: Path, content: bytes | None, words: str) -> None:
    path = tmp_path / "mask.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReferenceImageError, match=words):
        prepare_mask(path)


# --- the image edited, and its crop ----------------------------------------------------------------------------

def test_the_image_edited_is_kept_lossless_and_at_its_size(tmp_path: Path) -> None:
    original = scene((640, 480))
    info = PngImagePlugin.PngInfo()
    info.add_text("fluxdesk", '{"prompt": "a private prompt"}')  # metadata never leaves: the file is re-encoded
    path = save(original, tmp_path / "gallery.png", pnginfo=info)
    prepared = prepare_reference(path, max_pixels=10**9, lossless=True)
    assert prepared.format == "png" and (prepared.width, prepared.height) == (640, 480)
    assert b"private prompt" not in prepared.data
    assert decoded(prepared.data).tobytes() == original.tobytes()
    lossy = prepare_reference(path, max_pixels=10**9)
    assert lossy.format == "jpeg"  # a reference, as before: JPEG is a tenth of the bytes


def test_the_crop_is_the_originals_pixels_exactly(tmp_path: Path) -> None:
    original = scene((900, 700), seed=3)
    data = save(original, tmp_path / "o.png").read_bytes()
    crop = make_crop(data, (100, 50, 612, 562))
    image = decoded(crop.data)
    assert image.format == "PNG" and image.size == (512, 512)
    assert image.tobytes() == original.crop((100, 50, 612, 562)).tobytes()
    assert crop.input_image().width == 512 and crop.input_image().sha256 == crop.sha256


# --- the composite -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_the_composite_keeps_every_pixel_past_the_feather_and_takes_the_edit_on_the_mask(tmp_path: Path,
                                                                                         mode: str) -> None:
    size = (720, 480)
    original = scene(size, seed=5, mode=mode)
    if mode == "RGBA":
        original.putalpha(Image.linear_gradient("L").resize(size))
    boxes = [(200, 150, 330, 260), (300, 240, 380, 300)]
    mask = Image.new("L", size)
    for box in boxes:
        ImageDraw.Draw(mask).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=255)
    original_path, mask_path = save(original, tmp_path / "original.png"), save(mask, tmp_path / "mask.png")
    box = crop_box(mask.getbbox(), size, PRO)
    edited = scene((box[2] - box[0], box[3] - box[1]), seed=9)  # what the model answered, as a JPEG file
    edited_path = save(edited, tmp_path / "edited.jpg", "JPEG", quality=92)

    out = decoded(composite_local_edit(original_path.read_bytes(), mask_path.read_bytes(), edited_path.read_bytes(),
                                       box))
    assert out.format == "PNG" and out.size == size and out.mode == mode
    before, after = original.load(), out.load()
    untouched = far_from(boxes, FEATHER_REACH_PX, size)
    assert len(untouched) > size[0] * size[1] // 2
    assert all(after[p] == before[p] for p in untouched)  # byte-equal past the mask and its feather
    answer = decoded(edited_path.read_bytes()).convert(mode).load()
    on_mask = [(x, y) for x in range(200, 330, 7) for y in range(150, 260, 7)]
    assert all(after[x, y][:3] == answer[x - box[0], y - box[1]][:3] for x, y in on_mask)
    # The feather blends: just past the mask's edge the pixel is neither the original's nor the answer's.
    x, y = 330 + FEATHER_REACH_PX // 4, 200
    assert after[x, y] != before[x, y]


def test_an_answer_of_another_size_is_fitted_to_its_crop() -> None:
    original = scene((512, 512))
    mask = Image.new("L", (512, 512))
    ImageDraw.Draw(mask).rectangle((200, 200, 260, 260), fill=255)
    out = composite(original, Image.new("RGB", (256, 256), (255, 0, 0)), mask, (0, 0, 512, 512))
    assert out.size == (512, 512) and out.getpixel((230, 230)) == (255, 0, 0)
    assert out.getpixel((10, 10)) == original.getpixel((10, 10))
    with pytest.raises(ValueError, match="the mask is 100×100"):
        composite(original, original, Image.new("L", (100, 100)), (0, 0, 64, 64))


def test_nothing_outside_the_crop_changes_even_where_the_mask_reaches_the_image_edge() -> None:
    original = scene((640, 640), seed=8)
    mask = Image.new("L", (640, 640))
    ImageDraw.Draw(mask).rectangle((0, 0, 40, 30), fill=255)
    box = crop_box(mask.getbbox(), original.size, PRO)
    out = composite(original, Image.new("RGB", (box[2], box[3]), (0, 255, 0)), mask, box)
    diff = ImageChops.difference(out, original).getbbox()
    assert diff is not None and diff[2] <= 41 + FEATHER_REACH_PX and diff[3] <= 31 + FEATHER_REACH_PX
