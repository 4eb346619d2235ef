"""References at the simulator, over real HTTP: taken like BFL takes them (base64, per-model limits, 422s in FastAPI's
shape), billed by BFL's rule, prompt upsampling per endpoint, and drawn into the output so an edit shows what it
was made from."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image, ImageStat
from simclient import Bfl

from fluxdesk.core.catalog import MEGAPIXEL, MODELS

MAGENTA = (230, 0, 200)


def image_bytes(size: tuple[int, int], colour: tuple[int, int, int] = MAGENTA, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def b64(size: tuple[int, int] = (64, 64), colour: tuple[int, int, int] = MAGENTA, fmt: str = "PNG") -> str:
    return base64.b64encode(image_bytes(size, colour, fmt)).decode()


def refused(bfl: Bfl, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The 422 detail of ``body`` posted to ``model``: FastAPI's list of {loc, msg, type}; nothing created."""
    body.setdefault("prompt", "put image 1 in a garden")
    created = bfl.sim.counters.tasks_created
    response = bfl.post(model, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) == {"loc", "msg", "type"} and item["loc"][0] == "body" and item["type"] == "value_error"
        assert isinstance(item["msg"], str) and item["msg"]
    assert bfl.sim.counters.tasks_created == created
    return detail


def sample(bfl: Bfl, model: str = "flux-2-pro", **body: Any) -> tuple[dict[str, Any], Image.Image, bytes]:
    """Submit, wait, download: the submit answer, the decoded sample and its bytes."""
    body.setdefault("prompt", "put image 1 in a garden")
    if model in ("flux-2-pro", "flux-2-max"):
        body.setdefault("disable_pup", True)
    submitted = bfl.submit(model, **body)
    answer = bfl.wait(submitted["polling_url"])
    assert answer["status"] == "Ready", answer
    data = bfl.http.get(answer["result"]["sample"]).content
    image = Image.open(io.BytesIO(data))
    image.load()
    return submitted, image, data


# --- how references are sent ------------------------------------------------------------------------

def test_base64_with_or_without_a_data_prefix_is_the_same_reference(bfl: Bfl) -> None:
    plain = b64((512, 384))
    a, _, first = sample(bfl, input_image=plain, seed=3, width=512, height=512)
    b, _, second = sample(bfl, input_image=f"data:image/png;base64,{plain}", seed=3, width=512, height=512)
    assert (a["cost"], a["input_mp"]) == (b["cost"], b["input_mp"]) == (4.5, 0.2)
    assert first == second


def test_line_wrapped_base64_is_read_too(bfl: Bfl) -> None:
    plain = b64((100, 100))
    wrapped = "\n".join(plain[i:i + 76] for i in range(0, len(plain), 76))
    assert bfl.submit("flux-2-pro", input_image=wrapped, disable_pup=True)["input_mp"] == 0.01


@pytest.mark.parametrize(("value", "words"), [
    ("not base64 at all!", "image 1 is not valid base64"),
    (base64.b64encode(b"a shopping list, not a picture").decode(), "image 1 is not a PNG, JPEG or WebP image"),
    (base64.b64encode(image_bytes((300, 200), fmt="JPEG")[:400]).decode(), "image 1 is damaged or incomplete"),
    ("", "image 1 is empty"),
    (5, "image 1 must be base64 image data or an https URL"),
])
def test_a_reference_that_is_no_image_is_422_in_plain_words(bfl: Bfl, value: object, words: str) -> None:
    assert refused(bfl, "flux-2-pro", {"input_image": value}) == [
        {"loc": ["body", "input_image"], "msg": words, "type": "value_error"}]


def test_the_second_reference_is_named_as_image_2(bfl: Bfl) -> None:
    detail = refused(bfl, "flux-2-klein-4b", {"input_image": b64(), "input_image_2": "QUJD"})
    assert detail == [{"loc": ["body", "input_image_2"], "msg": "image 2 is not a PNG, JPEG or WebP image",
                       "type": "value_error"}]


def test_a_url_reference_is_taken_at_an_estimated_megapixel(bfl: Bfl) -> None:
    answer = bfl.submit("flux-2-pro", input_image="https://example.invalid/photo.jpg", disable_pup=True)
    assert (answer["cost"], answer["input_mp"]) == (4.5, 1.05)


# --- limits, as BFL's schema answers them -------------------------------------------------------------

@pytest.mark.parametrize("model", [m for m in MODELS if not m.image_prompt], ids=lambda m: m.id)
def test_count_limits_per_model(bfl: Bfl, model) -> None:
    small = b64((64, 64))
    allowed = {model.input_image_field(i): small for i in range(model.max_input_images)}
    if model.id in ("flux-2-pro", "flux-2-max"):
        allowed["disable_pup"] = True
    extra = f"input_image_{model.max_input_images + 1}"
    detail = refused(bfl, model.id, {**allowed, extra: small})
    limit = (f"{model.name} takes 1 reference image (up to 4 with experimental extras)" if model.stable_input_images
             else f"{model.name} takes up to {model.max_input_images} reference images")
    assert detail == [{"loc": ["body", extra], "msg": f"{limit}; {extra} is not one of its fields",
                       "type": "value_error"}]
    assert bfl.post(model.id, {"prompt": "p", **allowed}).status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m.image_prompt], ids=lambda m: m.id)
def test_flux1_models_take_one_image_prompt(bfl: Bfl, model) -> None:
    answer = bfl.submit(model.id, image_prompt=b64((1024, 768)))
    assert answer["input_mp"] == 0.79 and answer["cost"] == float(bfl.sim.task(answer["id"]).cost)
    assert bfl.sim.task(answer["id"]).cost == {"flux-pro-1.1": 4, "flux-pro-1.1-ultra": 6, "flux-pro": 5,
                                               "flux-dev": 2.5}[model.id]  # flat: the image prompt is free
    detail = refused(bfl, model.id, {"input_image": b64()})
    assert detail[0]["msg"] == f"{model.name} takes one image prompt; input_image is not one of its fields"


def test_flux2_takes_no_image_prompt(bfl: Bfl) -> None:
    assert refused(bfl, "flux-2-pro", {"image_prompt": b64()})[0]["loc"] == ["body", "image_prompt"]


def test_pro_nine_megapixels_in_all_is_422_naming_what_to_shrink(bfl: Bfl) -> None:
    two_mp = b64((1448, 1448))  # 2 started megapixels each
    body = {"width": 2048, "height": 2048, "input_image": two_mp, "input_image_2": two_mp,
            "input_image_3": b64((2048, 1448)), "disable_pup": True}
    [detail] = refused(bfl, "flux-2-pro", dict(body))
    assert detail["loc"] == ["body", "input_image"]
    assert detail["msg"].startswith("FLUX.2 [pro] takes at most 9 MP in all, references and output together; "
                                    "this request counts 11 MP (output 4 MP, references 2 + 2 + 3 MP). "
                                    "Shrink image 3 (3 MP)")
    body["prompt"] = "the same on [max]"
    answer = bfl.submit("flux-2-max", **body)  # [max] documents no total limit
    assert answer["cost"] == 7 + 3 * 3 + 3 * (2 + 2 + 3)


def test_kontext_takes_at_most_safety_2_with_an_input_image(bfl: Bfl) -> None:
    [detail] = refused(bfl, "flux-kontext-pro", {"input_image": b64(), "safety_tolerance": 3})
    assert detail["loc"] == ["body", "safety_tolerance"] and "0 to 2" in detail["msg"]
    assert bfl.post("flux-kontext-pro", {"prompt": "p", "input_image": b64(), "safety_tolerance": 2}).status_code \
        == 200
    assert bfl.post("flux-kontext-pro", {"prompt": "p", "safety_tolerance": 5}).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_disable_pup_only_on_pro_and_max(bfl: Bfl, model) -> None:
    if model.id in ("flux-2-pro", "flux-2-max"):
        assert bfl.post(model.id, {"prompt": "p", "disable_pup": True}).status_code == 200
        [detail] = refused(bfl, model.id, {"prompt_upsampling": False})
        assert detail["loc"] == ["body", "prompt_upsampling"]
    else:
        [detail] = refused(bfl, model.id, {"disable_pup": True})
        assert detail == {"loc": ["body", "disable_pup"], "msg": f"is not accepted by {model.name}",
                          "type": "value_error"}


# --- what BFL bills, and what it reports ------------------------------------------------------------------

def test_pro_one_megapixel_out_and_one_in_costs_four_and_a_half(bfl: Bfl) -> None:
    answer = bfl.submit("flux-2-pro", width=1024, height=1024, input_image=b64((1024, 1024)), disable_pup=True)
    assert (answer["cost"], answer["input_mp"], answer["output_mp"]) == (4.5, 1.05, 1.05)


@pytest.mark.parametrize(("count", "cost"), [(1, 10), (2, 13), (3, 16)])
def test_max_with_references_costs_as_bfl_says(bfl: Bfl, count: int, cost: int) -> None:
    square = b64((1024, 1024))
    answer = bfl.submit("flux-2-max", width=1024, height=1024, disable_pup=True,
                        **{f"input_image{'' if i == 0 else f'_{i + 1}'}": square for i in range(count)})
    assert answer["cost"] == cost and answer["input_mp"] == round(count * MEGAPIXEL / 1e6, 2)


def test_every_started_megapixel_of_each_reference_is_billed(bfl: Bfl) -> None:
    photo = b64((4032, 3024), fmt="JPEG")  # 12 MP as BFL counts it, 12.19 million pixels as it reports them
    answer = bfl.submit("flux-2-max", input_image=photo, disable_pup=True)
    assert (answer["cost"], answer["input_mp"]) == (7 + 3 * 12, 12.19)
    klein = bfl.submit("flux-2-klein-9b", input_image=photo, input_image_2=b64((1024, 1025)))
    assert klein["cost"] == pytest.approx(1.5 + 0.2 * (12 + 2))
    flex = bfl.submit("flux-2-flex", input_image=b64((1024, 1024)))
    assert flex["cost"] == 10


def test_flat_models_bill_no_references(bfl: Bfl) -> None:
    answer = bfl.submit("flux-kontext-max", input_image=b64((2048, 2048)), input_image_2=b64((2048, 2048)))
    assert answer["cost"] == 8 and answer["input_mp"] == 8.39


def test_the_bill_is_what_was_answered(make_bfl: Any) -> None:
    bfl = make_bfl(credits=100)
    _, _, _ = sample(bfl, "flux-2-pro", input_image=b64((1024, 1024)), width=256, height=256)
    assert bfl.sim.credits == 100 - 4.5


# --- prompt upsampling, per endpoint --------------------------------------------------------------------

def _used_prompt(bfl: Bfl, model: str, **body: Any) -> str:
    submitted = bfl.submit(model, prompt="a lighthouse", seed=1, **body)
    answer = bfl.wait(submitted["polling_url"])
    return answer["result"]["prompt"]


@pytest.mark.parametrize(("model", "body", "upsampled"), [
    ("flux-2-pro", {}, True),                        # BFL upsamples [pro] unless told not to
    ("flux-2-pro", {"disable_pup": False}, True),
    ("flux-2-pro", {"disable_pup": True}, False),
    ("flux-2-max", {}, True),
    ("flux-2-max", {"disable_pup": True}, False),
    ("flux-2-flex", {}, True),                       # [flex]: prompt_upsampling, on by default
    ("flux-2-flex", {"prompt_upsampling": False}, False),
    ("flux-2-klein-4b", {}, False),                  # klein: never
    ("flux-pro-1.1", {}, False),
    ("flux-pro-1.1", {"prompt_upsampling": True}, True),
    ("flux-kontext-pro", {"prompt_upsampling": True}, True),
])
def test_prompt_upsampling_follows_each_endpoints_switch(bfl: Bfl, model: str, body: dict[str, Any],
                                                         upsampled: bool) -> None:
    used = _used_prompt(bfl, model, **body)
    if upsampled:
        assert used != "a lighthouse" and used.startswith("a lighthouse, ")
    else:
        assert used == "a lighthouse"


# --- the output shows its references ------------------------------------------------------------------

def _patch_mean(image: Image.Image, centre: tuple[int, int], half: int = 10) -> tuple[float, ...]:
    x, y = centre
    return tuple(ImageStat.Stat(image.convert("RGB").crop((x - half, y - half, x + half, y + half))).mean)


def test_the_first_reference_is_drawn_into_the_left_half(bfl: Bfl) -> None:
    _, image, _ = sample(bfl, "flux-2-pro", width=512, height=512, seed=9, input_image=b64((300, 300)),
                         input_image_2=b64((300, 300), colour=(0, 200, 0)))
    # A square reference fits the left half's 224 px (margins of 16) and sits centred vertically.
    inset = _patch_mean(image, (16 + 112, 256))
    assert all(abs(a - b) < 12 for a, b in zip(inset, MAGENTA, strict=True)), inset
    assert image.getpixel((16 - 2, 256))[:3] == pytest.approx((255, 255, 255), abs=40)  # its white frame
    right = _patch_mean(image, (384, 256))
    assert not all(abs(a - b) < 12 for a, b in zip(right, MAGENTA, strict=True))  # the right half is not it


def test_the_same_edit_gives_byte_identical_images_and_another_reference_another(bfl: Bfl) -> None:
    body = {"width": 384, "height": 256, "seed": 4}
    _, _, a = sample(bfl, input_image=b64((200, 100)), **body)
    _, _, b = sample(bfl, input_image=b64((200, 100)), **body)
    _, _, other = sample(bfl, input_image=b64((200, 100), colour=(0, 90, 255)), **body)
    _, _, second_differs = sample(bfl, input_image=b64((200, 100)), input_image_2=b64((8, 8)), **body)
    assert a == b
    assert other != a and second_differs != a


def test_a_reference_larger_than_the_output_is_shrunk_and_a_smaller_one_enlarged(bfl: Bfl) -> None:
    for size in ((2000, 2000), (32, 32)):
        _, image, _ = sample(bfl, width=512, height=512, seed=2, input_image=b64(size, fmt="JPEG"))
        assert image.size == (512, 512)
        inset = _patch_mean(image, (16 + 112, 256))
        assert all(abs(a - b) < 16 for a, b in zip(inset, MAGENTA, strict=True)), (size, inset)


# --- the output follows the first reference when no size is asked for ---------------------------------

@pytest.mark.parametrize(("reference", "expected"), [
    ((1600, 900), (1376, 768)),    # 16:9 at ~1 MP, sides multiples of 32
    ((900, 1600), (768, 1376)),
    ((1000, 1000), (1024, 1024)),
    ((8000, 500), (1568, 672)),    # wider than 21:9: the widest Kontext makes
])
def test_kontext_follows_the_input_ratio_without_an_aspect_ratio(bfl: Bfl, reference: tuple[int, int],
                                                                 expected: tuple[int, int]) -> None:
    submitted, image, _ = sample(bfl, "flux-kontext-pro", input_image=b64(reference))
    assert image.size == expected
    assert expected[0] % 32 == 0 and expected[1] % 32 == 0
    assert 0.9 * MEGAPIXEL < expected[0] * expected[1] < 1.1 * MEGAPIXEL
    assert submitted["output_mp"] == round(expected[0] * expected[1] / 1e6, 2)


def test_kontext_with_an_aspect_ratio_keeps_it(bfl: Bfl) -> None:
    _, image, _ = sample(bfl, "flux-kontext-pro", input_image=b64((1600, 900)), aspect_ratio="1:1")
    assert image.size == (1024, 1024)


def test_flux2_without_a_size_follows_the_first_reference_at_one_megapixel(bfl: Bfl) -> None:
    submitted, image, _ = sample(bfl, "flux-2-pro", input_image=b64((1600, 900)), input_image_2=b64((900, 1600)))
    w, h = image.size
    assert w % 16 == 0 and h % 16 == 0 and w * h <= MEGAPIXEL and w * h > 0.95 * MEGAPIXEL
    assert abs(w / h - 16 / 9) < 0.02
    assert submitted["cost"] == 3 + 1.5 * (2 + 2)  # one output megapixel; 1.44 million pixels are 2 MP each
    _, asked, _ = sample(bfl, "flux-2-pro", input_image=b64((1600, 900)), width=512, height=768)
    assert asked.size == (512, 768)
    _, plain, _ = sample(bfl, "flux-2-pro")
    assert plain.size == (1024, 1024)


def test_an_image_prompt_does_not_change_the_flux11_size(bfl: Bfl) -> None:
    _, image, _ = sample(bfl, "flux-pro-1.1", image_prompt=b64((1600, 900)))
    assert image.size == (1024, 768)
