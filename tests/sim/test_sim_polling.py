"""Polling the cluster origin: progress, Ready results, moderation, billing at completion."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from simclient import KEY, Bfl


def test_progress_rises_then_ready_carries_sample_prompt_seed_and_times(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.3)
    submitted = bfl.submit(prompt="a tidal pool", seed=1234, disable_pup=True)  # [pro] keeps the prompt as sent
    seen: list[float] = []
    while True:
        answer = bfl.poll(submitted["polling_url"]).json()
        assert set(answer) == {"id", "status", "result", "progress", "details", "preview"}
        assert answer["id"] == submitted["id"]
        if answer["status"] != "Pending":
            break
        assert answer["result"] is None
        seen.append(answer["progress"])
        time.sleep(0.03)
    assert len(seen) >= 3
    assert seen == sorted(seen) and 0 <= seen[0] < seen[-1] < 1
    assert answer["status"] == "Ready"
    result = answer["result"]
    assert result["prompt"] == "a tidal pool"
    assert result["seed"] == 1234
    assert result["sample"].startswith(f"{bfl.sim.delivery_base}/results/{submitted['id']}/sample.jpeg?")
    assert result["duration"] == pytest.approx(0.3, abs=0.01)
    assert result["end_time"] - result["start_time"] == pytest.approx(result["duration"])
    assert abs(result["end_time"] - time.time()) < 5


def test_a_seed_is_chosen_at_submission_when_none_is_sent_and_stays_the_same(bfl: Bfl) -> None:
    submitted = bfl.submit()
    chosen = bfl.sim.task(submitted["id"]).seed
    assert 0 <= chosen < 2**32
    result = bfl.wait(submitted["polling_url"])["result"]
    assert result["seed"] == chosen
    assert bfl.wait(submitted["polling_url"])["result"]["seed"] == chosen
    seeds = {bfl.sim.task(bfl.submit()["id"]).seed for _ in range(5)}
    assert len(seeds) > 1


def test_unknown_ids_answer_404_task_not_found(bfl: Bfl) -> None:
    response = bfl.poll(f"{bfl.sim.cluster_base}/v1/get_result?id=no-such-task")
    assert response.status_code == 404
    assert response.json()["status"] == "Task not found"
    missing = bfl.poll(f"{bfl.sim.cluster_base}/v1/get_result")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "id"]


def test_moderated_prompts_end_request_moderated_and_are_never_billed(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05, moderation_word="forbidden")
    submitted = bfl.submit("flux-pro-1.1", prompt="A FORBIDDEN garden")
    answer = bfl.wait(submitted["polling_url"])
    assert answer["status"] == "Request Moderated"
    assert answer["result"] is None
    bfl.sim.advance_clock(5)
    assert bfl.poll(submitted["polling_url"]).json()["status"] == "Request Moderated"
    assert bfl.sim.credits == Decimal(1000)
    assert bfl.sim.counters.billed_tasks == []
    assert bfl.sim.task(submitted["id"]).billed is False


def test_moderation_can_be_disabled(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05, moderation_word="")
    assert bfl.wait(bfl.submit(prompt="forbidden fruit")["polling_url"])["status"] == "Ready"


def test_billing_happens_at_completion_even_if_nobody_polls(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.15)
    task_id = bfl.submit("flux-pro-1.1")["id"]
    counters = bfl.sim.counters
    assert counters.billed_tasks == []
    deadline = time.monotonic() + 3
    # Only read the live counters here: nothing that settles lazily, so the ticker must do it.
    while not counters.billed_tasks and time.monotonic() < deadline:
        time.sleep(0.02)
    assert counters.billed_tasks == [task_id]
    assert counters.billed_credits == Decimal(4)
    assert counters.ready_at[task_id] <= time.monotonic()
    assert bfl.sim.credits == Decimal(996)
    assert counters.polls == 0


def test_a_task_is_billed_once_however_often_it_is_polled(bfl: Bfl) -> None:
    submitted = bfl.submit("flux-pro-1.1")
    for _ in range(3):
        bfl.wait(submitted["polling_url"])
    assert bfl.sim.counters.billed_tasks == [submitted["id"]]
    assert bfl.sim.credits == Decimal(996)


def test_polls_are_counted_per_task_and_wrong_origins_separately(bfl: Bfl) -> None:
    submitted = bfl.submit()
    query = f"/v1/get_result?id={submitted['id']}"
    assert bfl.poll(f"{bfl.sim.cluster_base}{query}").status_code == 200
    assert bfl.poll(f"{bfl.sim.api_base}{query}").status_code == 200  # the legacy form still answers
    assert bfl.http.get(f"{bfl.sim.delivery_base}{query}").status_code == 200
    counters = bfl.sim.counters
    assert counters.polls == 3
    assert counters.polls_wrong_origin == 2
    assert counters.polls_per_task == {submitted["id"]: 3}


def test_a_poll_carrying_x_key_at_the_cluster_is_fine(bfl: Bfl) -> None:
    submitted = bfl.submit()
    assert bfl.http.get(submitted["polling_url"], headers={"x-key": KEY}).status_code == 200
    assert bfl.http.get(submitted["polling_url"]).status_code == 200
    assert bfl.sim.counters.requests_with_key_outside_api == 0


def test_prompt_upsampling_rewrites_the_prompt(bfl: Bfl) -> None:
    result, _ = bfl.generate("flux-pro-1.1", prompt="a quiet harbour", prompt_upsampling=True)
    assert result["prompt"] != "a quiet harbour"
    assert result["prompt"].startswith("a quiet harbour, ")


def test_flex_upsamples_by_default_unless_told_not_to(bfl: Bfl) -> None:
    default, _ = bfl.generate("flux-2-flex", prompt="a quiet harbour")
    assert default["prompt"] != "a quiet harbour"
    off, _ = bfl.generate("flux-2-flex", prompt="a quiet harbour", prompt_upsampling=False)
    assert off["prompt"] == "a quiet harbour"


def test_advance_clock_finishes_tasks_at_once(make_bfl: Any) -> None:
    bfl = make_bfl(latency=60)
    submitted = bfl.submit()
    assert bfl.poll(submitted["polling_url"]).json()["status"] == "Pending"
    bfl.sim.advance_clock(30)
    assert bfl.poll(submitted["polling_url"]).json()["progress"] == pytest.approx(0.5, abs=0.01)
    bfl.sim.advance_clock(30)
    assert bfl.poll(submitted["polling_url"]).json()["status"] == "Ready"
    snapshot = bfl.sim.task(submitted["id"])
    assert snapshot.status == "Ready" and snapshot.billed
    assert snapshot.end_time - snapshot.start_time == pytest.approx(60)
