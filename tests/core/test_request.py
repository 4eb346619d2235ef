"""Request validation: plain-words refusals naming the field, or the exact body to POST."""

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxdesk.core.catalog import MODELS, AspectRatioSize, DimensionSize, get_model, parse_aspect_ratio
from fluxdesk.core.request import (
    FIELD_TYPES,
    IMAGE_FIELDS,
    SCALAR_FIELDS,
    SEED_MAX,
    GenerationRequest,
    InputImage,
    seeds_for,
    validate,
)
from fluxdesk.core.serialize import RequestFormatError, request_from_dict, request_to_dict


def req(model: str = "flux-pro-1.1", **kw) -> GenerationRequest:
    kw.setdefault("prompt", "a lighthouse at dawn")
    return GenerationRequest(model=model, **kw)


def test_the_body_holds_only_what_was_set() -> None:
    result = validate(req(width=1024, height=768, seed=7))
    assert result.ok and result.errors == ()
    assert result.body == {"prompt": "a lighthouse at dawn", "seed": 7, "width": 1024, "height": 768}


def test_every_request_field_has_one_type_and_the_body_carries_every_scalar_but_the_model() -> None:
    names = [f.name for f in dataclasses.fields(GenerationRequest)]
    assert list(SCALAR_FIELDS) == [name for name in names if name not in IMAGE_FIELDS]
    assert set(FIELD_TYPES) == set(SCALAR_FIELDS)
    every = GenerationRequest(model="flux-pro-1.1", prompt="p", seed=1, width=1024, height=768, aspect_ratio="1:1",
                              steps=2, guidance=2.5, interval=2.0, prompt_upsampling=True, raw=False,
                              safety_tolerance=2, output_format="png", disable_pup=True, image_prompt_strength=0.5,
                              top=1, right=2, bottom=3, left=4)
    assert all(getattr(every, name) is not None for name in SCALAR_FIELDS)
    data = json.loads(json.dumps(request_to_dict(every)))
    assert list(data) == list(SCALAR_FIELDS) and request_from_dict(data) == every
    for name in SCALAR_FIELDS:
        with pytest.raises(RequestFormatError, match=f"{name} must be {FIELD_TYPES[name].words}"):
            request_from_dict({**data, name: [name]})


def test_input_images_get_bfl_field_names() -> None:
    images = tuple(InputImage(f"data{i}") for i in range(3))
    body = validate(req("flux-kontext-pro", input_images=images)).body
    assert body["input_image"] == "data0" and body["input_image_2"] == "data1"
    assert body["input_image_3"] == "data2" and "input_image_4" not in body


@pytest.mark.parametrize("model", ["flux-pro-1.1", "flux-pro-1.1-ultra", "flux-pro", "flux-dev"])
def test_the_one_image_prompt_of_flux1_models_is_sent_as_image_prompt(model) -> None:
    body = validate(req(model, input_images=(InputImage("QUJD", 64, 64),))).body
    assert body is not None and body["image_prompt"] == "QUJD"
    assert not any(key.startswith("input_image") for key in body)


def test_the_issue_example_message() -> None:
    result = validate(req(width=1000, height=768))
    assert not result.ok and result.body is None
    assert str(result.errors[0]).startswith(
        "width: must be a multiple of 32 between 256 and 1440 for FLUX1.1 [pro]")


# (model, fields, the field refused, words the message must hold)
REFUSALS = [
    ("flux-pro-1.1", {"prompt": "  "}, "prompt", "must not be empty"),
    ("flux-pro-1.1", {"width": 224}, "width", "256 and 1440"),
    ("flux-pro-1.1", {"height": 1472}, "height", "256 and 1440"),
    ("flux-pro-1.1", {"width": 1000}, "width", "multiple of 32"),
    ("flux-pro-1.1", {"aspect_ratio": "16:9"}, "aspect_ratio", "not accepted"),
    ("flux-pro-1.1", {"steps": 20}, "steps", "not accepted by FLUX1.1 [pro]"),
    ("flux-pro-1.1", {"guidance": 3.0}, "guidance", "not accepted"),
    ("flux-pro-1.1", {"raw": True}, "raw", "not accepted"),
    ("flux-pro-1.1", {"safety_tolerance": 7}, "safety_tolerance", "0 to 6"),
    ("flux-pro-1.1", {"output_format": "webp"}, "output_format", "jpeg, png"),
    ("flux-pro-1.1", {"seed": -1}, "seed", "0 to"),
    ("flux-pro-1.1", {"seed": SEED_MAX + 1}, "seed", "0 to"),
    ("flux-pro-1.1", {"input_images": (InputImage("x"), InputImage("y"))}, "image_prompt",
     "FLUX1.1 [pro] takes one image prompt; this request has 2"),
    ("flux-pro-1.1", {"disable_pup": True}, "disable_pup", "not accepted by FLUX1.1 [pro]"),
    ("flux-pro", {"steps": 0}, "steps", "1 to 50"),
    ("flux-pro", {"steps": 51}, "steps", "1 to 50"),
    ("flux-pro", {"guidance": 1.4}, "guidance", "1.5 to 5"),
    ("flux-pro", {"guidance": 5.1}, "guidance", "1.5 to 5"),
    ("flux-pro", {"interval": 4.5}, "interval", "1 to 4"),
    ("flux-dev", {"interval": 2.0}, "interval", "not accepted"),
    ("flux-dev", {"guidance": float("nan")}, "guidance", "1.5 to 5"),
    ("flux-2-flex", {"guidance": 10.5}, "guidance", "1.5 to 10"),
    ("flux-2-flex", {"steps": 2.5}, "steps", "whole number"),
    ("flux-2-pro", {"width": 48}, "width", "at least 64"),
    ("flux-2-pro", {"width": 1030}, "width", "nearest: 1024 or 1040"),
    ("flux-2-pro", {"width": 4096, "height": 2048}, "width", "at most 4 MP"),
    ("flux-2-pro", {"safety_tolerance": 6}, "safety_tolerance", "0 to 5"),
    ("flux-2-pro", {"steps": 30}, "steps", "not accepted"),
    ("flux-2-pro", {"prompt_upsampling": True}, "prompt_upsampling", "not accepted"),
    ("flux-2-pro", {"input_images": tuple(InputImage("x") for _ in range(9))}, "input_image",
     "FLUX.2 [pro] takes up to 8 reference images; this request has 9"),
    ("flux-2-klein-4b", {"input_images": tuple(InputImage("x") for _ in range(5))}, "input_image",
     "FLUX.2 [klein] 4B takes up to 4 reference images; this request has 5"),
    ("flux-2-klein-9b", {"disable_pup": True}, "disable_pup", "not accepted"),
    ("flux-2-flex", {"disable_pup": True}, "disable_pup", "not accepted"),
    ("flux-2-max", {"prompt_upsampling": False}, "prompt_upsampling", "not accepted"),
    ("flux-2-pro", {"input_images": (InputImage("x", 64, 64), InputImage(""))}, "input_image_2",
     "image 2 has no image data"),
    ("flux-pro-1.1-ultra", {"width": 1024}, "width", "aspect ratio"),
    ("flux-pro-1.1-ultra", {"aspect_ratio": "22:9"}, "aspect_ratio", "21:9 and 9:21"),
    ("flux-pro-1.1-ultra", {"aspect_ratio": "wide"}, "aspect_ratio", "W:H"),
    ("flux-pro-1.1-ultra", {"input_images": (InputImage("abc"),), "image_prompt_strength": 1.5},
     "image_prompt_strength", "0 to 1"),
    ("flux-pro-1.1-ultra", {"image_prompt_strength": 0.5}, "image_prompt_strength", "needs an image prompt"),
    ("flux-kontext-pro", {"input_images": (InputImage("x"),), "safety_tolerance": 3}, "safety_tolerance",
     "0 to 2"),
    ("flux-kontext-max", {"input_images": tuple(InputImage("x") for _ in range(5))}, "input_image",
     "FLUX.1 Kontext [max] takes 1 reference image (up to 4 with experimental extras); this request has 5"),
    ("flux-kontext-max", {"image_prompt_strength": 0.5}, "image_prompt_strength", "not accepted"),
    ("flux-9", {}, "model", "unknown model"),
]


@pytest.mark.parametrize(("model", "fields", "field", "words"), REFUSALS)
def test_refusals_name_the_field_in_plain_words(model, fields, field, words) -> None:
    result = validate(req(model, **fields))
    assert not result.ok and result.body is None
    assert field in {e.field for e in result.errors}, result.errors
    assert any(words in e.message for e in result.errors if e.field == field), result.errors


def test_every_error_is_reported_at_once() -> None:
    result = validate(req("flux-pro", prompt="", steps=99, guidance=9.0, width=7))
    assert {e.field for e in result.errors} == {"prompt", "steps", "guidance", "width"}


def test_kontext_allows_tolerance_up_to_6_without_an_input_image() -> None:
    assert validate(req("flux-kontext-pro", safety_tolerance=6)).ok


def test_every_model_accepts_its_own_defaults() -> None:
    for model in MODELS:
        kw = {}
        if isinstance(model.size, DimensionSize):
            kw.update(width=model.size.default_width, height=model.size.default_height)
        else:
            kw["aspect_ratio"] = model.size.default
        if model.steps:
            kw["steps"] = model.steps.default
        if model.guidance:
            kw["guidance"] = model.guidance.default
        if model.prompt_upsampling is not None:
            kw["prompt_upsampling"] = model.prompt_upsampling
        if model.disable_pup is not None:
            kw["disable_pup"] = model.disable_pup
        kw["safety_tolerance"] = model.safety_tolerance.default
        kw["output_format"] = model.default_output_format
        result = validate(req(model.id, **kw))
        assert result.ok, (model.id, result.errors)


def test_seeds_for_a_batch() -> None:
    assert seeds_for(41, 3) == [41, 42, 43]
    assert seeds_for(None, 2) == [None, None]


# --- properties ---------------------------------------------------------------------------------

@st.composite
def any_request(draw):
    model = draw(st.sampled_from(MODELS))
    maybe = lambda s: draw(st.one_of(st.none(), s))  # noqa: E731
    return GenerationRequest(
        model=model.id,
        prompt=draw(st.sampled_from(["", " ", "a cat", "ein Hund im Schnee 🐕"])),
        seed=maybe(st.integers(-5, 2**64)),
        width=maybe(st.integers(-10, 5000)),
        height=maybe(st.integers(-10, 5000)),
        aspect_ratio=maybe(st.sampled_from(["16:9", "21:9", "9:21", "22:9", "1:3", "4:3", "x", "0:1"])),
        steps=maybe(st.integers(-2, 60)),
        guidance=maybe(st.one_of(st.floats(-1, 12), st.just(float("nan")), st.just(float("inf")))),
        interval=maybe(st.floats(0, 5)),
        prompt_upsampling=maybe(st.booleans()),
        disable_pup=maybe(st.booleans()),
        raw=maybe(st.booleans()),
        safety_tolerance=maybe(st.integers(-1, 7)),
        output_format=maybe(st.sampled_from(["jpeg", "png", "webp", "gif"])),
        input_images=tuple(InputImage("img", *draw(st.one_of(st.just((None, None)), st.tuples(
            st.integers(1, 5000), st.integers(1, 5000))))) for _ in range(draw(st.integers(0, 9)))),
    )


def _in_documented_ranges(body: dict, model) -> None:
    """Every value in an accepted body lies within what bfl-api.md documents for the model."""
    assert body["prompt"].strip()
    if isinstance(model.size, DimensionSize):
        w = body.get("width", model.size.default_width)
        h = body.get("height", model.size.default_height)
        for side in (w, h):
            assert side % model.size.step == 0 and side >= model.size.minimum
            assert model.size.maximum is None or side <= model.size.maximum
        assert model.size.max_pixels is None or w * h <= model.size.max_pixels
        assert "aspect_ratio" not in body
    else:
        assert "width" not in body and "height" not in body
        if "aspect_ratio" in body:
            assert model.size.accepts(parse_aspect_ratio(body["aspect_ratio"]))
    for name, rng in (("steps", model.steps), ("guidance", model.guidance), ("interval", model.interval)):
        if name in body:
            assert rng is not None and rng.minimum <= body[name] <= rng.maximum
            assert math.isfinite(body[name])
    if "safety_tolerance" in body:
        top = model.safety_tolerance.maximum
        if any(k.startswith(("input_image", "image_prompt")) for k in body) \
                and model.safety_with_input_image_max is not None:
            top = model.safety_with_input_image_max
        assert 0 <= body["safety_tolerance"] <= top
    if "output_format" in body:
        assert body["output_format"] in model.output_formats
    if "seed" in body:
        assert 0 <= body["seed"] <= SEED_MAX
    for flag, default in (("prompt_upsampling", model.prompt_upsampling), ("disable_pup", model.disable_pup),
                          ("raw", model.raw)):
        assert flag not in body or default is not None
    images = [k for k in body if k.startswith("input_image") or k == "image_prompt"]
    assert len(images) <= model.max_input_images
    assert all(k == model.input_image_field(i) for i, k in enumerate(images))


@settings(max_examples=600, deadline=None)
@given(any_request())
def test_accepted_requests_stay_in_range_and_refusals_name_a_field(r: GenerationRequest) -> None:
    model = get_model(r.model)
    result = validate(r)
    if result.ok:
        _in_documented_ranges(result.body, model)
    else:
        fields = {"model", "prompt", "seed", "width", "height", "aspect_ratio", "steps", "guidance",
                  "interval", "prompt_upsampling", "disable_pup", "raw", "safety_tolerance", "output_format",
                  "image_prompt", "image_prompt_strength", "input_image"}
        assert result.errors and all(e.field in fields and e.message for e in result.errors)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from([m for m in MODELS if isinstance(m.size, DimensionSize)]),
       w=st.integers(-100, 6000), h=st.integers(-100, 6000))
def test_sizes_outside_the_model_rules_are_refused(model, w, h) -> None:
    size = model.size
    inside = size.side_ok(w) and size.side_ok(h) and (size.max_pixels is None or w * h <= size.max_pixels)
    result = validate(req(model.id, width=w, height=h))
    assert result.ok == inside
    if not inside:
        assert {e.field for e in result.errors} & {"width", "height"}


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from([m for m in MODELS if isinstance(m.size, AspectRatioSize)]),
       a=st.integers(1, 40), b=st.integers(1, 40))
def test_aspect_ratios_outside_21_9_to_9_21_are_refused(model, a, b) -> None:
    inside = 9 / 21 <= a / b <= 21 / 9
    result = validate(req(model.id, aspect_ratio=f"{a}:{b}"))
    assert result.ok == inside
    if not inside:
        assert [e.field for e in result.errors] == ["aspect_ratio"]
