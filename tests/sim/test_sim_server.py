"""The server itself: keep-alive, robustness against handler errors, start/stop, loopback only."""

from __future__ import annotations

import http.client
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fluxdesk.core.pricing import PriceTable
from fluxdesk.sim import SimConfig, Simulator


def test_keep_alive_serves_several_requests_on_one_connection(make_sim: Any) -> None:
    sim = make_sim()
    host, port = sim.api_base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for _ in range(3):
            conn.request("POST", "/v1/flux-2-pro", body=json.dumps({"prompt": "x"}),
                         headers={"x-key": "k", "Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200
            assert int(response.headers["Content-Length"]) == len(body)
        conn.request("GET", "/nowhere")
        response = conn.getresponse()
        assert response.status == 404
        assert int(response.headers["Content-Length"]) == len(response.read())
        assert conn.sock is not None  # still the same open connection
    finally:
        conn.close()
    assert sim.counters.tasks_created == 3


def test_a_handler_error_answers_500_and_the_server_keeps_serving(http: httpx.Client) -> None:
    broken_prices = PriceTable(as_of="2026-01-01", source="test", usd_per_credit=Decimal("0.01"), prices={})
    with Simulator(SimConfig(latency=0.05), price_table=broken_prices) as sim:
        response = http.post(f"{sim.api_base}/v1/flux-2-pro", json={"prompt": "x"}, headers={"x-key": "k"})
        assert response.status_code == 500
        assert sim.counters.handler_errors == 1
        assert http.get(f"{sim.api_base}/v1/credits", headers={"x-key": "k"}).status_code == 200


def test_stop_is_idempotent_and_closes_kept_alive_connections(http: httpx.Client) -> None:
    sim = Simulator(SimConfig(latency=0.05)).start()
    base = sim.api_base
    assert http.get(f"{base}/v1/credits", headers={"x-key": "k"}).status_code == 200
    sim.stop()
    sim.stop()
    with pytest.raises(httpx.TransportError):
        http.get(f"{base}/v1/credits", headers={"x-key": "k"})


def test_the_context_manager_starts_and_stops(http: httpx.Client) -> None:
    with Simulator() as sim:
        base = sim.api_base
        assert base.startswith("http://127.0.0.1:") and not base.endswith("/")
        assert http.get(f"{base}/v1/credits", headers={"x-key": "k"}).json() == {"credits": 1000.0}
    with pytest.raises(httpx.ConnectError):
        http.get(f"{base}/v1/credits", headers={"x-key": "k"})


def test_stopping_a_simulator_that_never_started_is_harmless() -> None:
    Simulator().stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_only_loopback_hosts_are_accepted(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Simulator(host=host)


def test_unknown_paths_and_methods(make_sim: Any, http: httpx.Client) -> None:
    sim = make_sim()
    assert http.get(f"{sim.api_base}/v2/whatever").status_code == 404
    assert http.get(f"{sim.api_base}/v1/flux-2-pro", headers={"x-key": "k"}).status_code == 405
    assert http.post(f"{sim.cluster_base}/v1/flux-2-pro", json={}).status_code == 404
    assert sim.counters.tasks_created == 0


def test_the_counters_endpoint_serves_the_counters_as_json(make_sim, http) -> None:
    sim = make_sim()
    http.post(f"{sim.api_base}/v1/flux-dev", json={"prompt": "x"}, headers={"x-key": "k"})
    data = http.get(f"{sim.api_base}/_sim/counters").json()
    assert data["tasks_created"] == 1 and data["post_requests"] == 1
    assert list(data["posts_per_task"].values()) == [1]
