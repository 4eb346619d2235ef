"""The delivery origin: signed expiring sample URLs, no credentials, deterministic images."""

from __future__ import annotations

import io
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageChops, ImageStat
from simclient import KEY, Bfl


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_same_seed_and_parameters_give_byte_identical_files(bfl: Bfl) -> None:
    params = {"prompt": "a copper kettle", "seed": 42, "width": 512, "height": 512, "disable_pup": True}
    first, a = bfl.generate("flux-2-pro", **params)
    second, b = bfl.generate("flux-2-pro", **params)
    assert first["sample"] != second["sample"]  # two tasks, two URLs…
    assert a.status_code == b.status_code == 200
    assert a.content == b.content                # …one image


def test_another_seed_gives_a_visibly_different_image(bfl: Bfl) -> None:
    _, a = bfl.generate("flux-2-pro", prompt="a copper kettle", seed=42, width=512, height=512)
    _, b = bfl.generate("flux-2-pro", prompt="a copper kettle", seed=43, width=512, height=512)
    assert a.content != b.content
    difference = ImageStat.Stat(ImageChops.difference(_image(a.content), _image(b.content)))
    assert sum(difference.mean) / 3 > 20  # mean per-channel difference on a 0..255 scale


def test_other_parameters_change_the_image_too(bfl: Bfl) -> None:
    _, a = bfl.generate("flux-dev", prompt="a copper kettle", seed=7, steps=20)
    _, b = bfl.generate("flux-dev", prompt="a copper kettle", seed=7, steps=21)
    assert a.content != b.content


@pytest.mark.parametrize(("model", "body", "size", "fmt"), [
    ("flux-2-pro", {"width": 512, "height": 768}, (512, 768), "JPEG"),
    ("flux-2-pro", {"width": 640, "height": 384, "output_format": "png"}, (640, 384), "PNG"),
    ("flux-2-klein-4b", {"width": 256, "height": 256, "output_format": "webp"}, (256, 256), "WEBP"),
    ("flux-pro-1.1", {}, (1024, 768), "JPEG"),
    ("flux-kontext-pro", {}, (1024, 1024), "PNG"),
    ("flux-kontext-pro", {"aspect_ratio": "16:9", "output_format": "jpeg"}, (1360, 768), "JPEG"),
])
def test_the_requested_size_and_format_are_delivered(bfl: Bfl, model: str, body: dict[str, Any],
                                                     size: tuple[int, int], fmt: str) -> None:
    result, response = bfl.generate(model, **body)
    image = _image(response.content)
    assert image.size == size
    assert image.format == fmt
    ext = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}[fmt]
    assert urlsplit(result["sample"]).path.endswith(f"/sample.{ext}")
    assert parse_qs(urlsplit(result["sample"]).query)["rsct"] == [f"image/{ext}"]
    assert response.headers["content-type"] == f"image/{ext}"


def test_ultra_draws_about_four_megapixels_unless_capped(make_bfl: Any) -> None:
    faithful = make_bfl(latency=0.05)
    _, response = faithful.generate("flux-pro-1.1-ultra", aspect_ratio="16:9")
    assert _image(response.content).size == (2736, 1536)
    capped = make_bfl(latency=0.05, max_output_pixels=256 * 256)
    answer = capped.submit("flux-pro-1.1-ultra", aspect_ratio="21:9")
    _, response = capped.generate("flux-pro-1.1-ultra", aspect_ratio="21:9")
    w, h = _image(response.content).size
    assert w * h <= 256 * 256 and w % 16 == 0 and h % 16 == 0
    assert w / h == pytest.approx(21 / 9, rel=0.1)
    assert answer["output_mp"] > 4  # the answer still describes what BFL would deliver


def test_a_download_carrying_x_key_is_refused_with_400_and_counted(bfl: Bfl) -> None:
    result, _ = bfl.generate()
    refused = bfl.http.get(result["sample"], headers={"x-key": KEY})
    assert refused.status_code == 400
    counters = bfl.sim.counters
    assert counters.delivery_requests_with_key == 1
    assert counters.requests_with_key_outside_api == 1
    assert bfl.http.get(result["sample"]).status_code == 200


def test_downloads_are_counted_with_the_first_download_time(bfl: Bfl) -> None:
    before = time.monotonic()
    submitted = bfl.submit()
    result = bfl.wait(submitted["polling_url"])["result"]
    bfl.http.get(result["sample"])
    first = bfl.sim.counters.first_download_at[submitted["id"]]
    bfl.http.get(result["sample"])
    counters = bfl.sim.counters
    assert counters.downloads == 2
    assert counters.first_download_at == {submitted["id"]: first}
    assert before <= counters.ready_at[submitted["id"]] <= first <= time.monotonic()


@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("sig=", "sig=0"),
    lambda url: url.replace("se=", "se=9"),
    lambda url: url.replace("rsct=image/jpeg", "rsct=image/png"),
    lambda url: url.replace("sample.jpeg", "sample.png"),
])
def test_a_tampered_url_is_refused_with_403(bfl: Bfl, tamper: Any) -> None:
    result, _ = bfl.generate()
    response = bfl.http.get(tamper(result["sample"]))
    assert response.status_code == 403
    assert response.text


def test_samples_expire_sample_ttl_after_end_time(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05, sample_ttl=600)
    result, first = bfl.generate()
    assert first.status_code == 200
    expires = int(parse_qs(urlsplit(result["sample"]).query)["se"][0])
    assert expires == pytest.approx(result["end_time"] + 600, abs=1)
    bfl.sim.advance_clock(590)
    assert bfl.http.get(result["sample"]).status_code == 200
    bfl.sim.advance_clock(11)
    expired = bfl.http.get(result["sample"])
    assert expired.status_code == 403
    assert "expired" in expired.text.lower()


def test_expire_all_samples_expires_them_without_moving_the_clock(bfl: Bfl) -> None:
    result, _ = bfl.generate()
    bfl.sim.expire_all_samples()
    assert bfl.http.get(result["sample"]).status_code == 403
    _, response = bfl.generate()  # samples issued afterwards are valid
    assert response.status_code == 200


def test_the_delivery_origin_serves_nothing_else(bfl: Bfl) -> None:
    assert bfl.http.get(f"{bfl.sim.delivery_base}/results/x/other.txt").status_code == 404
    assert bfl.http.get(f"{bfl.sim.cluster_base}/results/x/sample.jpeg").status_code == 404
