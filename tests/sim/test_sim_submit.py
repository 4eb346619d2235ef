"""POST /v1/{model} and GET /v1/credits: answers, validation, authentication, credits, limits."""

from __future__ import annotations

import base64
import io
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image
from simclient import KEY, Bfl

from fluxdesk.core.catalog import MODELS
from fluxdesk.core.pricing import estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.storage.price_table import bundled_price_table


def _png(size: tuple[int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


PNG_64 = _png((64, 64))


def test_submit_answers_an_id_a_polling_url_on_the_cluster_origin_and_the_cost(bfl: Bfl) -> None:
    answer = bfl.submit("flux-2-pro", width=1024, height=1024)
    assert set(answer) == {"id", "polling_url", "cost", "input_mp", "output_mp"}
    assert str(uuid.UUID(answer["id"])) == answer["id"]
    assert answer["polling_url"] == f"{bfl.sim.cluster_base}/v1/get_result?id={answer['id']}"
    assert bfl.sim.cluster_base != bfl.sim.api_base != bfl.sim.delivery_base
    assert answer["cost"] == 3.0
    assert answer["output_mp"] == 1.05
    assert answer["input_mp"] == 0.0


def test_megapixel_models_cost_each_started_megapixel(bfl: Bfl) -> None:
    assert bfl.submit("flux-2-pro", width=1440, height=1440)["cost"] == 4.5
    assert bfl.submit("flux-2-max", width=2048, height=2048)["cost"] == 7.0 + 3 * 3


@pytest.mark.parametrize("model", [m.id for m in MODELS])
def test_every_catalog_model_accepts_a_prompt_and_charges_the_price_table(bfl: Bfl, model: str) -> None:
    answer = bfl.submit(model, prompt="a lighthouse")
    expected = estimate(GenerationRequest(model=model, prompt="a lighthouse"), bundled_price_table())
    assert Decimal(str(answer["cost"])) == expected.credits_per_image
    assert bfl.sim.task(answer["id"]).cost == expected.credits_per_image


@pytest.mark.parametrize("headers", [{}, {"x-key": ""}, {"x-key": "bfl_wrong"}])
def test_a_missing_empty_or_wrong_key_is_refused_with_403(make_bfl: Any, headers: dict[str, str]) -> None:
    bfl = make_bfl(key=KEY)
    for response in (
        bfl.http.post(f"{bfl.sim.api_base}/v1/flux-2-pro", json={"prompt": "x"}, headers=headers),
        bfl.http.get(f"{bfl.sim.api_base}/v1/credits", headers=headers),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": "Not authenticated - Invalid Authentication"}
    assert bfl.sim.counters.tasks_created == 0


def test_any_non_empty_key_is_accepted_when_none_is_configured(bfl: Bfl) -> None:
    assert bfl.post("flux-2-pro", {"prompt": "x"}, key="anything").status_code == 200


def test_an_unknown_model_is_404(bfl: Bfl) -> None:
    response = bfl.post("flux-9-imaginary", {"prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_malformed_json_is_400_with_a_string_detail(bfl: Bfl) -> None:
    response = bfl.http.post(f"{bfl.sim.api_base}/v1/flux-2-pro", content=b'{"prompt": ',
                             headers={"x-key": KEY, "content-type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(("model", "body", "field"), [
    ("flux-pro-1.1", {"prompt": "x", "width": 1000, "height": 768}, "width"),
    ("flux-2-pro", {"prompt": "x", "width": 4096, "height": 4096}, "width"),
    ("flux-2-pro", {"prompt": "x", "steps": 20}, "steps"),
    ("flux-dev", {"prompt": "x", "guidance": 9.0}, "guidance"),
    ("flux-pro-1.1", {"prompt": "x", "output_format": "webp"}, "output_format"),
    ("flux-pro-1.1-ultra", {"prompt": "x", "aspect_ratio": "5:1"}, "aspect_ratio"),
    ("flux-2-pro", {"prompt": "   "}, "prompt"),
    ("flux-2-pro", {"width": 512, "height": 512}, "prompt"),
    ("flux-2-pro", {"prompt": "x", "webhook_url": "https://example.invalid/hook"}, "webhook_url"),
    ("flux-2-klein-4b", {"prompt": "x", "input_image_5": "aGVsbG8="}, "input_image_5"),
    ("flux-pro-1.1", {"prompt": "x", "input_image": "aGVsbG8="}, "input_image"),
    ("flux-kontext-pro", {"prompt": "x", "input_image": PNG_64, "safety_tolerance": 5}, "safety_tolerance"),
    ("flux-kontext-pro", {"prompt": "x", "input_image": "aGVsbG8="}, "input_image"),  # "hello": no image
])
def test_invalid_bodies_are_422_naming_the_field(bfl: Bfl, model: str, body: dict[str, Any], field: str) -> None:
    response = bfl.post(model, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", field]]
    assert detail[0]["type"] == "value_error"
    assert detail[0]["msg"]
    assert bfl.sim.counters.tasks_created == 0


def test_a_body_that_is_not_an_object_is_422(bfl: Bfl) -> None:
    response = bfl.post("flux-2-pro", ["a", "list"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_null_fields_count_as_not_set(bfl: Bfl) -> None:
    assert bfl.post("flux-2-pro", {"prompt": "x", "seed": None, "width": None}).status_code == 200


def test_input_image_megapixels_are_measured_and_billed(bfl: Bfl) -> None:
    png = io.BytesIO()
    Image.new("RGB", (1024, 2048)).save(png, "PNG")
    answer = bfl.submit("flux-2-pro", width=1024, height=1024,
                        input_image=base64.b64encode(png.getvalue()).decode())
    assert answer["input_mp"] == 2.1
    assert answer["cost"] == 3.0 + 1.5 * 2


def test_credits_endpoint_answers_the_balance(make_bfl: Any) -> None:
    bfl = make_bfl(credits=Decimal("12.5"), latency=0.05)
    response = bfl.http.get(f"{bfl.sim.api_base}/v1/credits", headers={"x-key": KEY})
    assert response.status_code == 200
    assert response.json() == {"credits": 12.5}
    bfl.generate("flux-pro-1.1")
    assert bfl.http.get(f"{bfl.sim.api_base}/v1/credits", headers={"x-key": KEY}).json() == {"credits": 8.5}
    bfl.sim.set_credits(Decimal(100))
    assert bfl.sim.credits == Decimal(100)


def test_402_when_the_balance_minus_running_tasks_cannot_cover_the_cost(make_bfl: Any) -> None:
    bfl = make_bfl(credits=Decimal(10), latency=30)
    assert bfl.post("flux-pro-1.1", {"prompt": "one"}).status_code == 200   # 4 reserved
    assert bfl.post("flux-pro-1.1", {"prompt": "two"}).status_code == 200   # 8 reserved
    refused = bfl.post("flux-pro-1.1", {"prompt": "three"})
    assert refused.status_code == 402
    assert refused.json()["detail"].startswith("Insufficient credits")
    assert bfl.post("flux-2-klein-4b", {"prompt": "cheap"}).status_code == 200   # 1.4 ≤ 2 left
    assert bfl.sim.counters.tasks_created == 3
    assert bfl.sim.credits == Decimal(10)  # nothing billed before Ready
    bfl.sim.advance_clock(31)
    assert bfl.sim.credits == Decimal("0.6")
    assert bfl.post("flux-2-klein-4b", {"prompt": "again"}).status_code == 402


def _flood(bfl: Bfl, model: str, count: int) -> list[httpx.Response]:
    return [bfl.post(model, {"prompt": f"task {i}"}) for i in range(count)]


def test_429_beyond_24_active_tasks_with_retry_after(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30)
    assert [r.status_code for r in _flood(bfl, "flux-2-klein-4b", 24)] == [200] * 24
    refused = bfl.post("flux-2-klein-4b", {"prompt": "one too many"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert isinstance(refused.json()["detail"], str)
    bfl.sim.advance_clock(31)  # the running tasks finish: the slots free up
    assert bfl.post("flux-2-klein-4b", {"prompt": "room again"}).status_code == 200


def test_429_beyond_6_active_kontext_max_tasks_while_other_models_still_run(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30)
    assert [r.status_code for r in _flood(bfl, "flux-kontext-max", 6)] == [200] * 6
    assert bfl.post("flux-kontext-max", {"prompt": "seventh"}).status_code == 429
    assert bfl.post("flux-kontext-pro", {"prompt": "other model"}).status_code == 200


def test_the_limits_come_from_the_config(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30, concurrency=2)
    assert [r.status_code for r in _flood(bfl, "flux-2-pro", 3)] == [200, 200, 429]


def test_every_post_is_counted_and_each_task_once(bfl: Bfl) -> None:
    first = bfl.submit(prompt="same")
    second = bfl.submit(prompt="same")
    bfl.post("flux-2-pro", {"prompt": "x", "width": 1})
    counters = bfl.sim.counters
    assert counters.post_requests == 3
    assert counters.tasks_created == 2
    assert counters.posts_per_task == {first["id"]: 1, second["id"]: 1}
    assert counters.prompts_posted == {"same": 2}
