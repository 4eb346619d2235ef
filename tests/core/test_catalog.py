"""The catalog against bfl-api.md, model by model."""

import threading
from decimal import Decimal

import pytest

from fluxdesk.core.catalog import (
    MODELS,
    AspectRatioSize,
    DimensionSize,
    Pricing,
    UnknownModelError,
    get_model,
    megapixels,
    megapixels_text,
    parse_aspect_ratio,
    started_megapixels,
)

EXPECTED_IDS = {
    "flux-2-pro", "flux-2-max", "flux-2-flex", "flux-2-klein-4b", "flux-2-klein-9b",
    "flux-pro-1.1", "flux-pro-1.1-ultra", "flux-kontext-pro", "flux-kontext-max", "flux-pro", "flux-dev",
}


def test_every_endpoint_of_the_api_doc_is_in_the_catalog() -> None:
    assert {m.id for m in MODELS} == EXPECTED_IDS
    assert len({m.name for m in MODELS}) == len(MODELS)


# model, step, min, max (per side), max pixels, default w×h
DIMENSIONS = [
    ("flux-pro-1.1", 32, 256, 1440, None, (1024, 768)),
    ("flux-pro", 32, 256, 1440, None, (1024, 768)),
    ("flux-dev", 32, 256, 1440, None, (1024, 768)),
    ("flux-2-pro", 16, 64, None, 4 * 1024 * 1024, (1024, 1024)),
    ("flux-2-max", 16, 64, None, 4 * 1024 * 1024, (1024, 1024)),
    ("flux-2-flex", 16, 64, None, 4 * 1024 * 1024, (1024, 1024)),
    ("flux-2-klein-4b", 16, 64, None, 4 * 1024 * 1024, (1024, 1024)),
    ("flux-2-klein-9b", 16, 64, None, 4 * 1024 * 1024, (1024, 1024)),
]


@pytest.mark.parametrize(("model_id", "step", "minimum", "maximum", "max_pixels", "default"), DIMENSIONS)
def test_dimension_sized_models(model_id, step, minimum, maximum, max_pixels, default) -> None:
    size = get_model(model_id).size
    assert isinstance(size, DimensionSize)
    assert (size.step, size.minimum, size.maximum, size.max_pixels) == (step, minimum, maximum, max_pixels)
    assert (size.default_width, size.default_height) == default


@pytest.mark.parametrize(("model_id", "default"), [
    ("flux-pro-1.1-ultra", "16:9"), ("flux-kontext-pro", "1:1"), ("flux-kontext-max", "1:1")])
def test_aspect_ratio_models_span_21_9_to_9_21(model_id, default) -> None:
    size = get_model(model_id).size
    assert isinstance(size, AspectRatioSize)
    assert size.default == default
    assert size.accepts(parse_aspect_ratio("21:9")) and size.accepts(parse_aspect_ratio("9:21"))
    assert size.accepts(parse_aspect_ratio("3:7")) and size.accepts(parse_aspect_ratio("7:3"))
    assert not size.accepts(parse_aspect_ratio("22:9")) and not size.accepts(parse_aspect_ratio("9:22"))


# model: (steps range+default or None, guidance range+default or None)
STEPS_GUIDANCE = {
    "flux-pro": ((1, 50, 40), (1.5, 5.0, 2.5)),
    "flux-dev": ((1, 50, 28), (1.5, 5.0, 3.0)),
    "flux-2-flex": ((1, 50, 50), (1.5, 10.0, 4.5)),
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_steps_and_guidance_only_where_the_model_takes_them(model) -> None:
    expected = STEPS_GUIDANCE.get(model.id)
    if expected is None:
        assert model.steps is None and model.guidance is None
    else:
        (s_min, s_max, s_def), (g_min, g_max, g_def) = expected
        assert (model.steps.minimum, model.steps.maximum, model.steps.default) == (s_min, s_max, s_def)
        assert (model.guidance.minimum, model.guidance.maximum, model.guidance.default) == (g_min, g_max, g_def)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_safety_formats_concurrency_and_pricing_kind(model) -> None:
    flux2 = model.id.startswith("flux-2")
    assert model.safety_tolerance.maximum == (5 if flux2 else 6)
    assert model.safety_tolerance.minimum == 0 and model.safety_tolerance.default == 2
    assert model.output_formats == (("jpeg", "png", "webp") if flux2 else ("jpeg", "png"))
    assert model.default_output_format == ("png" if "kontext" in model.id else "jpeg")
    assert model.concurrency == (6 if model.id == "flux-kontext-max" else 24)
    assert model.pricing is (Pricing.MEGAPIXEL if flux2 else Pricing.FLAT)
    if "kontext" in model.id:
        assert model.safety_with_input_image_max == 2


def test_other_model_specific_fields() -> None:
    assert get_model("flux-pro").interval.default == 2.0
    assert (get_model("flux-pro").interval.minimum, get_model("flux-pro").interval.maximum) == (1.0, 4.0)
    assert get_model("flux-2-flex").prompt_upsampling is True
    assert get_model("flux-pro-1.1").prompt_upsampling is False
    assert get_model("flux-2-pro").prompt_upsampling is None
    assert get_model("flux-pro-1.1-ultra").raw is False
    assert get_model("flux-pro-1.1-ultra").image_prompt_strength.default == 0.1
    assert get_model("flux-2-pro").max_input_images == 8
    assert get_model("flux-2-klein-4b").max_input_images == 4
    assert get_model("flux-kontext-pro").max_input_images == 4
    assert get_model("flux-kontext-pro").stable_input_images == 1  # images 2-4 are experimental at BFL
    assert get_model("flux-kontext-pro").input_image_field(0) == "input_image"
    assert get_model("flux-kontext-pro").input_image_field(3) == "input_image_4"
    assert get_model("flux-2-pro").max_total_megapixels == 9
    assert get_model("flux-2-max").max_total_megapixels is None  # not documented for [max]
    assert get_model("flux-2-pro").size.max_megapixels == Decimal(4)


# model: (references it takes, BFL's field of the first, of the second, whether references are billed)
REFERENCES = {
    "flux-2-pro": (8, "input_image", "input_image_2", True),
    "flux-2-max": (8, "input_image", "input_image_2", True),
    "flux-2-flex": (8, "input_image", "input_image_2", True),
    "flux-2-klein-4b": (4, "input_image", "input_image_2", True),
    "flux-2-klein-9b": (4, "input_image", "input_image_2", True),
    "flux-kontext-pro": (4, "input_image", "input_image_2", False),
    "flux-kontext-max": (4, "input_image", "input_image_2", False),
    "flux-pro-1.1": (1, "image_prompt", "image_prompt", False),
    "flux-pro-1.1-ultra": (1, "image_prompt", "image_prompt", False),
    "flux-pro": (1, "image_prompt", "image_prompt", False),
    "flux-dev": (1, "image_prompt", "image_prompt", False),
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_references_per_model(model) -> None:
    count, first, second, priced = REFERENCES[model.id]
    assert model.max_input_images == count and model.takes_references
    assert (model.input_image_field(0), model.input_image_field(1)) == (first, second)
    assert model.image_prompt == (first == "image_prompt")
    assert model.references_priced is priced
    assert model.input_image_field(7) == ("image_prompt" if model.image_prompt else "input_image_8")


# model: (disable_pup default, prompt_upsampling default, BFL upsamples when the request does not say)
UPSAMPLING = {
    "flux-2-pro": (False, None, True),
    "flux-2-max": (False, None, True),
    "flux-2-flex": (None, True, True),
    "flux-2-klein-4b": (None, None, False),
    "flux-2-klein-9b": (None, None, False),
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_prompt_upsampling_is_switched_by_the_field_each_endpoint_takes(model) -> None:
    disable_pup, upsampling, by_default = UPSAMPLING.get(model.id, (None, False, False))
    assert (model.disable_pup, model.prompt_upsampling) == (disable_pup, upsampling)
    assert model.upsamples_by_default is by_default
    if disable_pup is not None:
        assert model.upsampling_fields(False) == {"disable_pup": True}
        assert model.upsampling_fields(True) == {"disable_pup": False}
    elif upsampling is not None:
        assert model.upsampling_fields(False) == {"prompt_upsampling": False}
        assert model.upsampling_fields(True) == {"prompt_upsampling": True}
    else:
        assert model.upsampling_fields(True) == {} and not model.upsampling_switchable


@pytest.mark.parametrize(("pixels", "mp"), [(0, 1), (1, 1), (1024 * 1024, 1), (1024 * 1024 + 1, 2),
                                            (4032 * 3024, 12), (65 * 65, 1), (1440 * 1440, 2)])
def test_started_megapixels_count_every_started_megapixel_and_at_least_one(pixels, mp) -> None:
    assert started_megapixels(pixels) == mp


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as err:
        get_model("flux-3")
    assert "flux-3" in str(err.value) and "flux-2-pro" in str(err.value)


@pytest.mark.parametrize("text", ["16:9", " 4 : 3 ", "1:1"])
def test_parse_aspect_ratio_accepts(text) -> None:
    assert parse_aspect_ratio(text) is not None


@pytest.mark.parametrize("text", ["16x9", "16:0", "-1:2", "a:b", "1:2:3", "", "1.5:1"])
def test_parse_aspect_ratio_refuses(text) -> None:
    assert parse_aspect_ratio(text) is None


def test_snap_follows_step_and_limits() -> None:
    flux1 = get_model("flux-pro-1.1").size
    assert flux1.snap(1000) == 992 and flux1.snap(10) == 256 and flux1.snap(5000) == 1440
    flux2 = get_model("flux-2-pro").size
    assert flux2.snap(1080) in (1072, 1088)
    w, h = flux2.snap_size(4096, 4096)
    assert w * h <= 4 * 1024 * 1024 and w % 16 == 0 and h % 16 == 0


@pytest.mark.parametrize("model_id", ["flux-2-pro", "flux-pro-1.1", "flux-dev"])
@pytest.mark.parametrize("side", [10**12, 10**400])
def test_snap_size_of_absurd_sides_from_hostile_metadata_returns(model_id: str, side: int) -> None:
    # Found by the hostile-input drill: an image whose metadata said width 10**12 hung `fluxdesk reproduce`
    # (and the window's drop-to-load worker) in snap_size's shrinking loop; 10**400 overflowed in snap.
    size = get_model(model_id).size
    result: list[tuple[int, int]] = []
    worker = threading.Thread(target=lambda: result.append(size.snap_size(side, 768)), daemon=True)
    worker.start()
    worker.join(60)  # a watchdog that turns the old endless loop into a failure, not a timing check
    assert result, "snap_size did not return"
    w, h = result[0]
    assert size.side_ok(w) and size.side_ok(h) and (size.max_pixels is None or w * h <= size.max_pixels)


def test_one_megapixel_is_bfls_1024_by_1024_everywhere() -> None:
    assert megapixels(1024, 1024) == 1.0
    assert megapixels_text(2048, 2032) == "3.97 MP"  # 4.16 in millions of pixels: not BFL's megapixel
    assert megapixels_text(1920, 1088) == "1.99 MP"
