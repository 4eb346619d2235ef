"""Image sizes and drawing, without a server."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image

from fluxdesk.core.catalog import get_model
from fluxdesk.core.request import GenerationRequest, InputImage
from fluxdesk.sim.images import ImageCache, ImageSpec, cap_size, render, requested_size


def _spec(**changes: object) -> ImageSpec:
    fields: dict[str, object] = {"model": "flux-2-pro", "prompt": "a lantern", "seed": 1, "width": 1024,
                                 "height": 1024, "output_format": "jpeg",
                                 "parameters": ImageSpec.parameters_digest({})}
    fields.update(changes)
    return ImageSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("model", "ratio", "size"), [
    ("flux-pro-1.1-ultra", None, (2736, 1536)),
    ("flux-pro-1.1-ultra", "1:1", (2048, 2048)),
    ("flux-pro-1.1-ultra", "9:21", (1344, 3136)),
    ("flux-kontext-max", None, (1024, 1024)),
    ("flux-kontext-max", "3:2", (1248, 832)),
])
def test_aspect_ratio_models_draw_about_their_megapixels(model: str, ratio: str | None,
                                                          size: tuple[int, int]) -> None:
    req = GenerationRequest(model=model, prompt="x", aspect_ratio=ratio)
    assert requested_size(get_model(model), req) == size


def test_dimension_models_draw_the_requested_or_default_size() -> None:
    assert requested_size(get_model("flux-pro-1.1"), GenerationRequest("flux-pro-1.1", "x")) == (1024, 768)
    req = GenerationRequest("flux-2-pro", "x", width=320, height=640)
    assert requested_size(get_model("flux-2-pro"), req) == (320, 640)


def test_cap_size_keeps_the_ratio_and_multiples_of_16() -> None:
    assert cap_size(2736, 1536, None) == (2736, 1536)
    assert cap_size(512, 512, 1024 * 1024) == (512, 512)
    w, h = cap_size(2736, 1536, 1024 * 1024)
    assert w * h <= 1024 * 1024 and w % 16 == 0 and h % 16 == 0
    assert w / h == pytest.approx(2736 / 1536, rel=0.02)


def test_render_is_deterministic_and_depends_on_every_input() -> None:
    base = render(_spec())
    assert render(_spec()) == base
    for change in ({"seed": 2}, {"prompt": "a lamp"}, {"model": "flux-2-max"},
                   {"parameters": ImageSpec.parameters_digest({"guidance": 3})}):
        assert render(_spec(**change)) != base, change


@pytest.mark.parametrize(("fmt", "pil_format"), [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")])
def test_render_encodes_the_format_at_the_size(fmt: str, pil_format: str) -> None:
    image = Image.open(io.BytesIO(render(_spec(output_format=fmt, width=320, height=208))))
    assert (image.format, image.size) == (pil_format, (320, 208))


def test_a_one_megapixel_jpeg_is_drawn_quickly() -> None:
    render(_spec(seed=99))  # warm up the font
    started = time.perf_counter()
    render(_spec(seed=100))
    assert time.perf_counter() - started < 0.25


def test_the_cache_keeps_only_the_most_recent_images() -> None:
    cache = ImageCache(capacity=2)
    first = cache.get(_spec(seed=1, width=64, height=64))
    assert cache.get(_spec(seed=1, width=64, height=64)) is first
    cache.get(_spec(seed=2, width=64, height=64))
    cache.get(_spec(seed=3, width=64, height=64))
    again = cache.get(_spec(seed=1, width=64, height=64))
    assert again == first and again is not first


def _reference(size: tuple[int, int], colour: tuple[int, int, int], fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def _with_reference(data: bytes, **changes: object) -> ImageSpec:
    return _spec(references=1, reference_sha256=hashlib.sha256(data).hexdigest(), reference=data, **changes)


def test_a_reference_is_drawn_deterministically_and_names_the_spec_by_its_digest() -> None:
    blue, red = _reference((400, 300), (0, 60, 255)), _reference((400, 300), (255, 30, 0))
    edit = render(_with_reference(blue))
    assert render(_with_reference(blue)) == edit != render(_spec())
    assert render(_with_reference(red)) != edit
    # The spec's identity is the digest (a cache key), never megabytes of bytes compared.
    assert _with_reference(blue) == _with_reference(blue) and hash(_with_reference(blue)) == hash(_with_reference(blue))
    assert "reference=" not in repr(_with_reference(blue))


def test_a_camera_sized_reference_is_drawn_quickly() -> None:
    photo = _reference((4032, 3024), (0, 60, 255))
    render(_with_reference(photo, seed=5))  # warm up
    started = time.perf_counter()
    render(_with_reference(photo, seed=6))
    assert time.perf_counter() - started < 0.5


def _measured(size: tuple[int, int]) -> InputImage:
    return InputImage("QUJD", *size)


@pytest.mark.parametrize(("model", "reference", "size"), [
    ("flux-kontext-pro", (1600, 900), (1376, 768)),
    ("flux-kontext-max", (600, 800), (896, 1184)),
    ("flux-kontext-pro", (100, 5000), (672, 1568)),   # taller than 9:21: the tallest Kontext makes
    ("flux-2-pro", (1600, 900), (1360, 768)),
    ("flux-2-klein-4b", (1000, 1000), (1024, 1024)),
    ("flux-pro-1.1", (1600, 900), (1024, 768)),       # an image prompt leaves the size alone
    ("flux-pro-1.1-ultra", (900, 1600), (2736, 1536)),
])
def test_without_a_size_the_output_follows_the_first_reference(model: str, reference: tuple[int, int],
                                                               size: tuple[int, int]) -> None:
    req = GenerationRequest(model, "x", input_images=(_measured(reference), _measured((50, 400))))
    assert requested_size(get_model(model), req) == size


def test_a_reference_of_unknown_size_leaves_the_default() -> None:
    req = GenerationRequest("flux-kontext-pro", "x", input_images=(InputImage("https://example.invalid/a.png"),))
    assert requested_size(get_model("flux-kontext-pro"), req) == (1024, 1024)
