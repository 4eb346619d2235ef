"""A minimal BFL client for the simulator's tests (deliberately not FluxDesk's own client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from fluxdesk.sim import Simulator

KEY = "bfl_test_key"


class Bfl:
    """Just enough of a BFL client for the tests: not FluxDesk's own client."""

    def __init__(self, sim: Simulator, http: httpx.Client) -> None:
        self.sim = sim
        self.http = http

    def post(self, model: str, body: Any, key: str | None = KEY) -> httpx.Response:
        headers = {"x-key": key} if key is not None else {}
        return self.http.post(f"{self.sim.api_base}/v1/{model}", json=body, headers=headers)

    def submit(self, model: str = "flux-2-pro", **body: Any) -> dict[str, Any]:
        body.setdefault("prompt", "a red fox in the snow")
        response = self.post(model, body)
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self, polling_url: str) -> httpx.Response:
        return self.http.get(polling_url, headers={"x-key": KEY})

    def wait(self, polling_url: str, timeout: float = 5.0) -> dict[str, Any]:
        """Poll until the task leaves Pending; the final status body."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.poll(polling_url)
            assert response.status_code == 200, response.text
            answer = response.json()
            if answer["status"] != "Pending":
                return answer
            time.sleep(0.02)
        raise AssertionError(f"still Pending after {timeout} s")

    def generate(self, model: str = "flux-2-pro", **body: Any) -> tuple[dict[str, Any], httpx.Response]:
        """Submit, wait and download: the Ready result and the sample's response."""
        submitted = self.submit(model, **body)
        answer = self.wait(submitted["polling_url"])
        assert answer["status"] == "Ready", answer
        return answer["result"], self.http.get(answer["result"]["sample"])
