"""BFL's editing tools at the simulator, over real HTTP: ``flux-pro-1.0-fill`` (image + mask) and
``flux-pro-1.0-expand`` (pixels per side), validated like BFL (422s in FastAPI's shape), billed 5 credits, and
answering an image of the right size: Fill the input's, Expand the grown canvas."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image, ImageDraw
from simclient import Bfl

TEAL = (20, 160, 150)
FILL, EXPAND = "flux-pro-1.0-fill", "flux-pro-1.0-expand"


def png(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def picture(size: tuple[int, int] = (320, 240)) -> str:
    return png(Image.new("RGB", size, TEAL))


def mask(size: tuple[int, int] = (320, 240), box: tuple[int, int, int, int] = (40, 40, 120, 100)) -> str:
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).rectangle(box, fill=255)
    return png(image)


def refused(bfl: Bfl, model: str, body: dict[str, Any]) -> dict[tuple[str, ...], str]:
    """The 422's messages by location; nothing created."""
    created = bfl.sim.counters.tasks_created
    response = bfl.post(model, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert all(set(item) == {"loc", "msg", "type"} and item["loc"][0] == "body" for item in detail)
    assert bfl.sim.counters.tasks_created == created
    return {tuple(item["loc"]): item["msg"] for item in detail}


def generated(bfl: Bfl, model: str, **body: Any) -> tuple[dict[str, Any], Image.Image]:
    submitted = bfl.submit(model, **body)
    answer = bfl.wait(submitted["polling_url"])
    assert answer["status"] == "Ready", answer
    image = Image.open(io.BytesIO(bfl.http.get(answer["result"]["sample"]).content))
    image.load()
    return submitted, image


def test_fill_answers_an_image_of_the_inputs_size_kept_where_the_mask_is_black(bfl: Bfl) -> None:
    submitted, image = generated(bfl, FILL, prompt="a red boat", image=picture(), mask=mask(), output_format="png",
                                 seed=3, steps=30, guidance=70)
    assert image.size == (320, 240) and image.format == "PNG"
    assert submitted["cost"] == 5.0
    assert image.convert("RGB").getpixel((300, 220)) == TEAL  # black in the mask: the input's pixel
    assert bfl.sim.counters.billed_credits == 5  # billed once ready, what the answer said


def test_expand_answers_the_grown_canvas_with_the_image_in_place(bfl: Bfl) -> None:
    submitted, image = generated(bfl, EXPAND, prompt="", image=picture(), top=16, right=64, bottom=0, left=48,
                                 output_format="png", seed=1)
    assert image.size == (320 + 48 + 64, 240 + 16)
    assert submitted["cost"] == 5.0
    assert image.convert("RGB").getpixel((48 + 200, 16 + 200)) == TEAL


def test_expand_takes_a_side_alone(bfl: Bfl) -> None:
    _submitted, image = generated(bfl, EXPAND, prompt="more sky", image=picture((256, 128)), top=128)
    assert image.size == (256, 256)


@pytest.mark.parametrize(("body", "where", "words"), [
    ({"mask": mask((320, 200))}, ("body", "mask"), "the mask is 320×200 pixels and the image 320×240"),
    ({"mask": None}, ("body", "mask"), "needs a mask"),
    ({"steps": 14}, ("body", "steps"), "from 15 to 50"),
    ({"steps": 51}, ("body", "steps"), "from 15 to 50"),
    ({"guidance": 1.0}, ("body", "guidance"), "from 1.5 to 100"),
    ({"guidance": 100.5}, ("body", "guidance"), "from 1.5 to 100"),
    ({"image": None}, ("body", "image"), "needs the image to edit"),
    ({"width": 320}, ("body", "width"), "has the size of the image it edits"),
    ({"top": 8}, ("body", "top"), "is not accepted"),
    ({"mask": "bm90IGFuIGltYWdl"}, ("body", "mask"), "the mask is not a PNG, JPEG or WebP image"),
])
def test_fill_refuses_like_bfl(bfl: Bfl, body: dict[str, Any], where: tuple[str, ...], words: str) -> None:
    sent = {"prompt": "a red boat", "image": picture(), "mask": mask(), **body}
    found = refused(bfl, FILL, {k: v for k, v in sent.items() if v is not None})
    assert words in found[where], found


@pytest.mark.parametrize(("body", "where", "words"), [
    ({}, ("body", "sides"), "add pixels to at least one side"),
    ({"top": 0, "right": 0, "bottom": 0, "left": 0}, ("body", "sides"), "add pixels to at least one side"),
    ({"left": 2049}, ("body", "left"), "from 0 to 2048"),
    ({"top": -4}, ("body", "top"), "from 0 to 2048"),
    ({"top": 8, "steps": 60}, ("body", "steps"), "from 15 to 50"),
    ({"top": 8, "guidance": 0.5}, ("body", "guidance"), "from 1.5 to 100"),
    ({"top": 8, "mask": mask()}, ("body", "mask"), "extra inputs are not permitted"),
])
def test_expand_refuses_like_bfl(bfl: Bfl, body: dict[str, Any], where: tuple[str, ...], words: str) -> None:
    found = refused(bfl, EXPAND, {"prompt": "", "image": picture(), **body})
    assert words in found[where], found


def test_a_get_on_a_tools_endpoint_is_not_allowed(bfl: Bfl) -> None:
    response = bfl.http.get(f"{bfl.sim.api_base}/v1/{FILL}", headers={"x-key": "bfl_test_key"})
    assert response.status_code == 405
