"""References in the core: what each costs (BFL's worked figures), the limits, the size each is sent at, the
output size that follows the first, and how references are recorded (by SHA-256, never their bytes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxdesk.core.catalog import MEGAPIXEL, MODELS, DimensionSize, get_model, started_megapixels
from fluxdesk.core.metadata import (
    ImageRecord,
    MetadataError,
    ReferenceRecord,
    build_record,
    from_json,
    parse_a1111,
    record_from_dict,
    settings_from_metadata,
    to_a1111,
    to_json,
)
from fluxdesk.core.pricing import estimate, reference_credits
from fluxdesk.core.references import (
    ORIGINAL_MAX_PIXELS,
    ReferenceSize,
    credits_saved,
    limit_pixels,
    output_pixels,
    saving_text,
    sent_size,
    size_and_price_text,
)
from fluxdesk.core.request import (
    GenerationRequest,
    InputImage,
    output_size_following,
    reference_name,
    references_limit_text,
    total_megapixels,
    validate,
)
from fluxdesk.core.serialize import request_from_dict, request_to_dict
from fluxdesk.storage.price_table import bundled_price_table

TABLE = bundled_price_table()
SQUARE = 1024  # one BFL megapixel is 1024 × 1024
SHA = "0123456789abcdef" * 4


def ref(width: int = SQUARE, height: int = SQUARE, data: str = "QUJD") -> InputImage:
    return InputImage(data, width, height)


def priced(model: str, *references: InputImage, **size: int) -> Decimal:
    request = GenerationRequest(model, "put the product in the scene", input_images=references, **size)
    return estimate(request, TABLE).credits_per_image


# --- prices: BFL's worked figures ------------------------------------------------------------------

def test_pro_one_megapixel_out_and_one_megapixel_reference_is_bfls_editing_from_price() -> None:
    est = estimate(GenerationRequest("flux-2-pro", "p", width=SQUARE, height=SQUARE, input_images=(ref(),)), TABLE)
    assert est.credits_per_image == Decimal("4.5") and est.usd_per_image == Decimal("0.045")
    assert est.reference_megapixels == (1,) and est.reference_credits == (Decimal("1.5"),)
    assert est.output_credits == Decimal(3) and est.exact


@pytest.mark.parametrize(("references", "credits"), [(0, 7), (1, 10), (2, 13), (3, 16)])
def test_max_with_one_two_three_references(references: int, credits: int) -> None:
    assert priced("flux-2-max", *[ref()] * references, width=SQUARE, height=SQUARE) == Decimal(credits)


def test_a_phone_photo_sent_as_is_counts_twelve_megapixels() -> None:
    photo = ref(4032, 3024)
    est = estimate(GenerationRequest("flux-2-pro", "p", input_images=(photo,)), TABLE)
    assert est.reference_megapixels == (12,) and est.reference_credits == (Decimal(18),)
    assert est.credits_per_image == Decimal(3) + Decimal(18)
    assert reference_credits("flux-2-pro", 4032, 3024, TABLE) == Decimal(18)
    # ... and over [pro]'s limit of 9 MP: refused before anything is spent.
    assert not validate(GenerationRequest("flux-2-pro", "p", input_images=(photo,))).ok


def test_each_reference_is_rounded_up_separately() -> None:
    """Two half-megapixel references are 2 MP, not 1: every reference's started megapixel counts."""
    half = ref(1024, 512)
    est = estimate(GenerationRequest("flux-2-pro", "p", input_images=(half, half)), TABLE)
    assert est.reference_megapixels == (1, 1) and est.input_megapixels == 2
    assert est.credits_per_image == Decimal(6)
    just_over = ref(1024, 1025)
    assert estimate(GenerationRequest("flux-2-pro", "p", input_images=(just_over,)), TABLE).reference_megapixels \
        == (2,)


@pytest.mark.parametrize("model", [m.id for m in MODELS if not m.references_priced])
def test_flat_models_take_references_free(model: str) -> None:
    count = get_model(model).max_input_images
    est = estimate(GenerationRequest(model, "p", input_images=(ref(4032, 3024),) * count), TABLE)
    assert est.credits_per_image == TABLE.price(model).per_image
    assert est.reference_credits == (Decimal(0),) * count and est.reference_megapixels == ()
    assert reference_credits(model, 4032, 3024, TABLE) == 0


@pytest.mark.parametrize(("model", "one_ref", "four_refs"), [
    ("flux-2-klein-4b", Decimal("1.5"), Decimal("1.8")),  # 1.4 + 0.1 per reference MP
    ("flux-2-klein-9b", Decimal("1.7"), Decimal("2.3")),  # 1.5 + 0.2 per reference MP
])
def test_klein_prices_references_at_its_per_megapixel_price(model: str, one_ref: Decimal, four_refs: Decimal) -> None:
    assert priced(model, ref()) == one_ref
    assert priced(model, *[ref()] * 4) == four_refs


def test_flex_prices_output_and_references_alike_at_five_credits_a_megapixel() -> None:
    assert priced("flux-2-flex", ref()) == Decimal(10)
    assert priced("flux-2-flex", ref(), ref(2048, 1024), width=1440, height=1440) == Decimal(5 + 5 + 5 + 10)


def test_a_reference_of_unknown_size_is_an_estimate_not_exact() -> None:
    est = estimate(GenerationRequest("flux-2-pro", "p", input_images=(InputImage("QUJD"), ref())), TABLE)
    assert est.credits_per_image == Decimal(6) and not est.exact


# --- limits --------------------------------------------------------------------------------------

def test_pro_nine_megapixel_limit_names_what_to_shrink() -> None:
    request = GenerationRequest("flux-2-pro", "p", width=1440, height=1440,
                                input_images=(ref(), ref(2048, 2048), ref(1024, 2048), ref()))
    assert total_megapixels(request, get_model("flux-2-pro")) == (2, [1, 4, 2, 1])
    result = validate(request)
    assert not result.ok
    (error,) = result.errors
    assert error.field == "input_image"
    assert error.message == (
        "FLUX.2 [pro] takes at most 9 MP in all, references and output together; this request counts 10 MP "
        "(output 2 MP, references 1 + 4 + 2 + 1 MP). Shrink image 2 (4 MP), send fewer references, "
        "or choose a smaller output")


@pytest.mark.parametrize(("output", "references", "ok"), [
    ((SQUARE, SQUARE), 8, True),    # "at 1 MP output up to 8 references"
    ((1440, 1440), 7, True),        # "at 2 MP up to 7"
    ((1440, 1440), 8, False),
    ((2048, 2048), 5, True),
    ((2048, 2048), 6, False),
])
def test_pro_limit_matches_bfls_own_examples(output: tuple[int, int], references: int, ok: bool) -> None:
    request = GenerationRequest("flux-2-pro", "p", width=output[0], height=output[1],
                                input_images=(ref(),) * references)
    assert validate(request).ok is ok


def test_max_has_no_total_limit() -> None:
    request = GenerationRequest("flux-2-max", "p", width=2048, height=2048, input_images=(ref(2048, 2048),) * 8)
    assert validate(request).ok


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_count_limits_per_model_in_plain_words(model) -> None:
    small = ref(64, 64)
    within = GenerationRequest(model.id, "p", input_images=(small,) * model.max_input_images)
    assert validate(within).ok, validate(within).errors
    over = GenerationRequest(model.id, "p", input_images=(small,) * (model.max_input_images + 1))
    result = validate(over)
    assert not result.ok
    (error,) = result.errors
    assert error.field == model.input_image_field(0)
    limit = references_limit_text(model)
    assert error.message == f"{limit}; this request has {model.max_input_images + 1}"
    if model.image_prompt:
        assert limit == f"{model.name} takes one image prompt"
    elif model.stable_input_images:
        assert limit == f"{model.name} takes 1 reference image (up to 4 with experimental extras)"
    else:
        assert limit == f"{model.name} takes up to {model.max_input_images} reference images"


def test_a_reference_without_data_is_named_and_refused() -> None:
    result = validate(GenerationRequest("flux-2-klein-4b", "p", input_images=(ref(), InputImage(sha256=SHA))))
    assert [(e.field, e.message) for e in result.errors] == [("input_image_2", "image 2 has no image data")]
    assert reference_name(0) == "image 1"


def test_kontext_safety_tolerance_is_at_most_two_with_an_input_image() -> None:
    edit = GenerationRequest("flux-kontext-pro", "p", safety_tolerance=3, input_images=(ref(),))
    assert [e.field for e in validate(edit).errors] == ["safety_tolerance"]
    assert "0 to 2" in validate(edit).message()
    assert validate(GenerationRequest("flux-kontext-pro", "p", safety_tolerance=2, input_images=(ref(),))).ok
    assert validate(GenerationRequest("flux-kontext-pro", "p", safety_tolerance=6)).ok


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_disable_pup_only_on_pro_and_max_and_prompt_upsampling_never_there(model) -> None:
    pro_or_max = model.id in ("flux-2-pro", "flux-2-max")
    for value in (True, False):
        pup = validate(GenerationRequest(model.id, "p", disable_pup=value))
        assert pup.ok is pro_or_max, pup.errors
        if pro_or_max:
            assert pup.body is not None and pup.body["disable_pup"] is value
        else:
            assert pup.message() == f"disable_pup: is not accepted by {model.name}"
        upsampling = validate(GenerationRequest(model.id, "p", prompt_upsampling=value))
        assert upsampling.ok is (model.prompt_upsampling is not None), upsampling.errors
        if pro_or_max:
            assert upsampling.message() == f"prompt_upsampling: is not accepted by {model.name}"
    off = model.upsampling_fields(False)
    assert validate(GenerationRequest(model.id, "p", **off)).ok  # FluxDesk's default body is always valid


# --- the size a reference is sent at ---------------------------------------------------------------

def test_the_issue_example_phone_photo_at_one_megapixel() -> None:
    assert sent_size(4032, 3024, MEGAPIXEL) == (1182, 886)
    assert saving_text("flux-2-pro", (4032, 3024), (1182, 886), TABLE) == (
        "4032×3024, 12 MP, 18 credits → sent as 1182×886, 1 MP, 1.5 credits")
    assert credits_saved("flux-2-pro", (4032, 3024), (1182, 886), TABLE) == Decimal("16.5")
    assert saving_text("flux-2-pro", (800, 600), (800, 600), TABLE) == "sent as is: 800×600, 1 MP, 1.5 credits"
    assert size_and_price_text("flux-kontext-pro", 4032, 3024, TABLE) == "4032×3024, 12 MP"  # free: no credits


@settings(max_examples=400, deadline=None)
@given(w=st.integers(1, 20000), h=st.integers(1, 20000), budget=st.integers(1, 40 * MEGAPIXEL))
def test_sent_size_never_upscales_keeps_aspect_and_stays_within_the_budget(w: int, h: int, budget: int) -> None:
    sw, sh = sent_size(w, h, budget)
    assert 1 <= sw <= w and 1 <= sh <= h  # never enlarged
    if w * h <= budget:
        assert (sw, sh) == (w, h)  # small enough: untouched
        return
    assert sw * sh <= budget
    if min(sw, sh) >= 16:
        assert abs(sw / sh - w / h) <= (w / h) * (2 / min(sw, sh)) + 1e-9  # aspect kept within a pixel's rounding
    if sw > 1 and sh > 1:
        assert (sw + 1) * (sh + 1) > budget  # and not needlessly small: one more row and column would be over


@pytest.mark.parametrize(("w", "h"), [(0, 5), (5, 0), (-1, 5)])
def test_sent_size_refuses_an_image_without_pixels(w: int, h: int) -> None:
    with pytest.raises(ValueError):
        sent_size(w, h, MEGAPIXEL)


def test_reference_size_policy() -> None:
    assert ReferenceSize.parse("original") is ReferenceSize.ORIGINAL
    assert ReferenceSize.parse("output") is ReferenceSize.OUTPUT
    assert ReferenceSize.parse("nonsense") is ReferenceSize.OUTPUT and ReferenceSize.parse(None) is ReferenceSize.OUTPUT
    assert limit_pixels(ReferenceSize.OUTPUT, MEGAPIXEL) == MEGAPIXEL
    assert limit_pixels(ReferenceSize.OUTPUT, 16 * MEGAPIXEL) == ORIGINAL_MAX_PIXELS == 4 * MEGAPIXEL
    assert limit_pixels(ReferenceSize.ORIGINAL, MEGAPIXEL) == 4 * MEGAPIXEL
    assert output_pixels(GenerationRequest("flux-2-pro", "p", width=1440, height=816)) == 1440 * 816
    assert output_pixels(GenerationRequest("flux-2-pro", "p")) == MEGAPIXEL  # the default 1024×1024
    assert output_pixels(GenerationRequest("flux-kontext-pro", "p")) == MEGAPIXEL  # ~1 MP out
    assert output_pixels(GenerationRequest("flux-pro-1.1-ultra", "p")) == 4 * MEGAPIXEL


# --- the output follows the first reference ---------------------------------------------------------

FLUX2 = [m for m in MODELS if isinstance(m.size, DimensionSize) and m.id.startswith("flux-2")]


def test_output_follows_a_phone_photo_at_one_megapixel() -> None:
    w, h = output_size_following(get_model("flux-2-pro"), 4032, 3024, MEGAPIXEL)
    assert w % 16 == 0 and h % 16 == 0 and w * h <= MEGAPIXEL
    assert abs(w / h - 4 / 3) < 0.03 and w * h > 0.9 * MEGAPIXEL
    with pytest.raises(ValueError):
        output_size_following(get_model("flux-kontext-pro"), 4032, 3024, MEGAPIXEL)


@settings(max_examples=400, deadline=None)
@given(model=st.sampled_from([*FLUX2, get_model("flux-pro-1.1")]), w=st.integers(1, 12000),
       h=st.integers(1, 12000), mp=st.integers(1, 4))
def test_output_size_following_never_exceeds_the_pixel_budget(model, w: int, h: int, mp: int) -> None:
    budget = mp * MEGAPIXEL
    ow, oh = output_size_following(model, w, h, budget)
    size = model.size
    assert size.side_ok(ow) and size.side_ok(oh), (ow, oh)
    assert ow * oh <= budget or (ow == size.minimum or oh == size.minimum)
    assert size.max_pixels is None or ow * oh <= size.max_pixels
    if ow * oh <= budget:
        assert started_megapixels(ow * oh) <= mp  # never bills one more megapixel than chosen
    assert validate(GenerationRequest(model.id, "p", width=ow, height=oh)).ok


# --- recorded by SHA-256, never the bytes ---------------------------------------------------------

def test_references_round_trip_through_the_embedded_record() -> None:
    req = GenerationRequest("flux-2-pro", "put image 1 on image 2", seed=5, width=1024, height=768, disable_pup=True,
                            input_images=(InputImage("QUJD" * 100, 1182, 886, SHA, "/photos/a.jpg", 7),
                                          InputImage("REVG" * 100, 640, 480, "f" * 64, "pasted")))
    record = build_record(req, {"seed": 5}, job_id="j", task_id="t", cost_credits=Decimal(6), demo=False,
                          created_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert record.references == (ReferenceRecord(SHA, 1182, 886), ReferenceRecord("f" * 64, 640, 480))
    assert record.input_images == 2
    text = to_json(record)
    assert "QUJD" not in text and "REVG" not in text and "/photos/a.jpg" not in text
    assert json.loads(text)["references"] == [{"sha256": SHA, "width": 1182, "height": 886},
                                              {"sha256": "f" * 64, "width": 640, "height": 480}]
    assert from_json(text) == record
    # Reproduce: the settings name the same references by SHA-256, in order, for the library to send again.
    settings_ = settings_from_metadata(record)
    assert settings_["input_images"] == (InputImage(sha256=SHA, width=1182, height=886),
                                         InputImage(sha256="f" * 64, width=640, height=480))
    assert settings_["disable_pup"] is True
    again = GenerationRequest(**settings_)
    assert request_from_dict(json.loads(json.dumps(request_to_dict(again)))) == again


def test_reproducing_on_a_model_that_takes_fewer_keeps_the_first() -> None:
    record = ImageRecord(model="flux-pro-1.1", prompt="p", seed=1,
                         references=(ReferenceRecord(SHA, 64, 64), ReferenceRecord("f" * 64, 64, 64)))
    assert settings_from_metadata(record)["input_images"] == (InputImage(sha256=SHA, width=64, height=64),)


@pytest.mark.parametrize("bad", [
    SHA.upper(), SHA[:-1], SHA + "0", "g" * 64, 5, None, "",
])
def test_a_record_with_a_bad_sha256_is_refused(bad: object) -> None:
    data = json.loads(to_json(ImageRecord(model="flux-2-pro", prompt="p", references=(ReferenceRecord(SHA, 1, 1),))))
    data["references"][0]["sha256"] = bad
    with pytest.raises(MetadataError, match=r"references\[0\]"):
        record_from_dict(data)


@pytest.mark.parametrize("bad", [[{"sha256": SHA, "width": 0}], [{"sha256": SHA, "height": "64"}], {"sha256": SHA},
                                 [SHA], [{"sha256": SHA}] * 65])
def test_a_record_with_bad_references_is_refused(bad: object) -> None:
    with pytest.raises(MetadataError):
        record_from_dict({"model": "flux-2-pro", "prompt": "p", "references": bad})


def test_a1111_text_notes_each_reference_but_never_its_bytes() -> None:
    record = ImageRecord(model="flux-2-pro", prompt="put image 1 on image 2", seed=3, width=1024, height=768,
                         parameters={"disable_pup": True}, input_images=2, fluxdesk_version="1.0",
                         references=(ReferenceRecord(SHA, 1182, 886), ReferenceRecord("f" * 64, 640, 480)))
    text = to_a1111(record)
    line = f"image 1 sha256:{SHA} 1182x886; image 2 sha256:{'f' * 64} 640x480"
    assert f'Reference images: "{line}"' in text or f"Reference images: {line}" in text
    assert "Prompt upsampling" not in text  # disable_pup: true
    parsed = parse_a1111(text)
    assert parsed["extra"]["Reference images"] == line and parsed["prompt"] == "put image 1 on image 2"
    assert parsed["seed"] == 3
    unnamed = ImageRecord(model="flux-kontext-pro", prompt="p", input_images=1, fluxdesk_version="1.0")
    assert "Reference images: 1" in to_a1111(unnamed)
    assert "Reference images" not in to_a1111(ImageRecord(model="flux-2-pro", prompt="p"))


def test_journals_from_before_references_were_kept_by_sha256_still_read() -> None:
    old = {"model": "flux-kontext-pro", "prompt": "make it blue", "input_images": [{"data": "QUJD", "width": 64,
                                                                                     "height": 64}]}
    assert request_from_dict(old).input_images == (InputImage("QUJD", 64, 64),)
