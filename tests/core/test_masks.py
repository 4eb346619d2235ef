"""The geometry of masked edits: the crop a FLUX.2 local edit sends (``crop_box``), Expand's sides and canvas."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fluxdesk.core.catalog import ALL_MODELS, DimensionSize, get_model
from fluxdesk.core.masks import (
    FEATHER_REACH_PX,
    MIN_CROP_SIDE,
    MIN_MARGIN_PX,
    CropError,
    box_size,
    crop_box,
    expanded_size,
    parse_sides,
)

LOCAL_EDIT_MODELS = [m for m in ALL_MODELS if m.local_edit]
PRO = get_model("flux-2-pro")


@st.composite
def masked_images(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """An image of 64 to 4096 px a side and a mask box inside it."""
    width, height = draw(st.integers(64, 4096)), draw(st.integers(64, 4096))
    left, right = sorted(draw(st.lists(st.integers(0, width), min_size=2, max_size=2, unique=True)))
    top, bottom = sorted(draw(st.lists(st.integers(0, height), min_size=2, max_size=2, unique=True)))
    return (width, height), (left, top, right, bottom)


@given(case=masked_images(), model=st.sampled_from(LOCAL_EDIT_MODELS))
def test_the_crop_holds_the_mask_inside_the_image_at_a_size_the_model_takes(case, model) -> None:
    (width, height), mask = case
    try:
        box = crop_box(mask, (width, height), model)
    except CropError:
        assume(False)  # the refusals have their own tests: here only what is answered
        return
    left, top, right, bottom = box
    size = model.size
    assert isinstance(size, DimensionSize)
    assert left >= 0 and top >= 0 and right <= width and bottom <= height  # inside the image
    assert left <= mask[0] and top <= mask[1] and right >= mask[2] and bottom >= mask[3]  # holds the mask
    crop_w, crop_h = box_size(box)
    assert crop_w % size.step == 0 and crop_h % size.step == 0  # snapped
    assert crop_w >= size.minimum and crop_h >= size.minimum
    assert size.max_pixels is None or crop_w * crop_h <= size.max_pixels
    assert crop_box(mask, (width, height), model) == box  # the UI's outline and the crop sent agree


@given(case=masked_images())
def test_a_refused_crop_is_one_no_box_could_give(case) -> None:
    (width, height), mask = case
    try:
        crop_box(mask, (width, height), PRO)
    except CropError:
        step, mask_w, mask_h = 16, mask[2] - mask[0], mask[3] - mask[1]
        least_w, least_h = max(64, -(-mask_w // step) * step), max(64, -(-mask_h // step) * step)
        assert least_w > width - width % step or least_h > height - height % step or least_w * least_h > 4 * 2**20


def test_a_small_mask_gets_a_margin_and_the_least_crop_side() -> None:
    box = crop_box((900, 700, 1000, 760), (2048, 2048), PRO)
    assert box_size(box) == (MIN_CROP_SIDE, MIN_CROP_SIDE)
    assert box[0] <= 900 - MIN_MARGIN_PX and box[2] >= 1000 + MIN_MARGIN_PX
    assert box[1] <= 700 - MIN_MARGIN_PX and box[3] >= 760 + MIN_MARGIN_PX
    # centred on the mask
    assert abs((box[0] + box[2]) / 2 - 950) <= 8 and abs((box[1] + box[3]) / 2 - 730) <= 8


def test_a_large_mask_gets_a_quarter_of_its_side_as_margin() -> None:
    box = crop_box((600, 600, 1400, 1000), (2048, 2048), PRO)
    # 800 px wide: 200 px either side, snapped up to 16
    assert box == (400, 400, 1600, 1200)


def test_at_the_image_edge_the_crop_moves_inwards() -> None:
    box = crop_box((0, 0, 40, 40), (1024, 768), PRO)
    assert box == (0, 0, 512, 512)
    box = crop_box((1000, 740, 1024, 768), (1024, 768), PRO)
    assert box == (512, 256, 1024, 768)


def test_the_megapixel_cap_takes_margin_before_refusing() -> None:
    # A 1900×1900 mask in a 4096² image: the crop would want 2900² (8 MP); FLUX.2 takes 4 MP, so the margin shrinks.
    box = crop_box((1000, 1000, 2900, 2900), (4096, 4096), PRO)
    width, height = box_size(box)
    assert width * height <= 4 * 2**20 and width >= 1900 and height >= 1900


@pytest.mark.parametrize(("mask", "image", "words"), [
    ((0, 0, 2100, 2100), (4096, 4096), "more than FLUX.2 \\[pro\\] takes \\(4 MP\\)"),
    ((3, 0, 1000, 10), (1000, 600), "no crop FLUX.2 \\[pro\\] takes around this mask"),
    ((0, 0, 10, 10), (60, 60), "no crop"),
    ((0, 0, 0, 0), (1024, 1024), "all black"),
    ((0, 0, 2000, 10), (1024, 1024), "not inside"),
])
def test_no_crop_is_made_up_where_none_fits(mask, image, words) -> None:
    with pytest.raises(CropError, match=words):
        crop_box(mask, image, PRO)


@pytest.mark.parametrize("model", ["flux-pro-1.1", "flux-kontext-pro", "flux-pro-1.0-fill"])
def test_only_flux2_models_make_local_edits(model) -> None:
    with pytest.raises(CropError, match="makes no local edits"):
        crop_box((0, 0, 10, 10), (1024, 1024), get_model(model))


def test_the_feather_fits_in_the_least_margin() -> None:
    assert MIN_MARGIN_PX > FEATHER_REACH_PX


# --- Expand --------------------------------------------------------------------------------------------------------

def test_sides_are_read_top_right_bottom_left() -> None:
    assert parse_sides("0,256, 0 ,128") == (0, 256, 0, 128)
    assert expanded_size((1024, 768), (10, 20, 30, 40)) == (1084, 808)


@pytest.mark.parametrize(("text", "words"), [
    ("0,256,0", "not four whole numbers"),
    ("a,b,c,d", "not four whole numbers"),
    ("-1,0,0,0", "not four whole numbers"),
    ("0,2049,0,0", "right is 2049: each side takes 0 to 2048 pixels"),
    ("0,0,0,0", "every side is 0"),
    ("1.5,0,0,0", "not four whole numbers"),
])
def test_bad_sides_are_refused_in_words(text, words) -> None:
    with pytest.raises(ValueError, match=words):
        parse_sides(text)

