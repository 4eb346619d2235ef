"""Each fault option of SimConfig actually injects its fault, and counts it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from simclient import Bfl


def _statuses(bfl: Bfl, url: str, count: int) -> list[int]:
    return [bfl.poll(url).status_code for _ in range(count)]


def test_poll_error_rate_answers_500_and_503(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30)
    url = bfl.submit()["polling_url"]
    bfl.sim.config.poll_error_rate = 1.0  # the config is read per request
    statuses = _statuses(bfl, url, 20)
    assert set(statuses) == {500, 503}
    assert bfl.sim.counters.faults_injected["poll_error"] == 20
    bfl.sim.config.poll_error_rate = 0.0
    assert bfl.poll(url).status_code == 200


def test_a_partial_poll_error_rate_is_repeatable_for_a_fault_seed(make_bfl: Any) -> None:
    runs = []
    for _ in range(2):
        bfl = make_bfl(latency=30, poll_error_rate=0.5, fault_seed=7)
        runs.append(_statuses(bfl, bfl.submit()["polling_url"], 30))
    assert runs[0] == runs[1]
    assert 200 in runs[0] and {500, 503} & set(runs[0])


def test_drop_rate_closes_polls_and_downloads_without_an_answer(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05)
    submitted = bfl.submit()
    sample = bfl.wait(submitted["polling_url"])["result"]["sample"]
    bfl.sim.config.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        bfl.poll(submitted["polling_url"])
    with pytest.raises(httpx.RemoteProtocolError):
        bfl.http.get(sample)
    assert bfl.sim.counters.faults_injected["drop"] == 2
    bfl.sim.config.drop_rate = 0.0
    assert bfl.http.get(sample).status_code == 200  # the server survived, the client reconnects


def test_drop_post_after_create_creates_and_bills_a_task_whose_answer_is_lost(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05, drop_post_after_create_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        bfl.post("flux-pro-1.1", {"prompt": "lost answer"})
    counters = bfl.sim.counters
    assert counters.tasks_created == 1
    assert counters.faults_injected["drop_post_after_create"] == 1
    bfl.sim.advance_clock(1)
    assert len(counters.billed_tasks) == 1
    assert counters.prompts_posted == {"lost answer": 1}


def test_slow_rate_delays_the_answer(make_bfl: Any) -> None:
    bfl = make_bfl(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    response = bfl.http.get(f"{bfl.sim.api_base}/v1/credits", headers={"x-key": "k"})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert bfl.sim.counters.faults_injected["slow"] == 1


def test_burst_429_refuses_a_run_of_posts_with_retry_after_1(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30, burst_429=2, burst_429_every=3)
    responses = [bfl.post("flux-2-klein-4b", {"prompt": f"p{i}"}) for i in range(10)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429, 200, 200, 200, 429, 429]
    assert all(r.headers["Retry-After"] == "1" for r in responses if r.status_code == 429)
    assert bfl.sim.counters.tasks_created == 6
    assert bfl.sim.counters.faults_injected["burst_429"] == 4


def test_delivery_failure_rate_answers_500_on_download(make_bfl: Any) -> None:
    bfl = make_bfl(latency=0.05, delivery_failure_rate=1.0)
    result, response = bfl.generate()
    assert response.status_code == 500
    assert bfl.sim.counters.faults_injected["delivery_failure"] == 1
    bfl.sim.config.delivery_failure_rate = 0.0
    assert bfl.http.get(result["sample"]).status_code == 200


def test_early_404_polls_answer_task_not_found_for_the_first_polls_of_each_task(make_bfl: Any) -> None:
    bfl = make_bfl(latency=30, early_404_polls=2)
    for _ in range(2):
        url = bfl.submit()["polling_url"]
        answers = [bfl.poll(url) for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 200]
        assert answers[0].json()["status"] == "Task not found"
        assert answers[2].json()["status"] == "Pending"
    assert bfl.sim.counters.faults_injected["early_404"] == 4


def test_no_fault_is_injected_by_default(bfl: Bfl) -> None:
    for _ in range(3):
        _, response = bfl.generate()
        assert response.status_code == 200
    assert bfl.sim.counters.faults_injected == {}
