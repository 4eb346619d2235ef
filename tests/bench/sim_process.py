"""The simulator in a process of its own, so a benchmark measures only FluxDesk's own work."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any


class SimProcess:
    """``fluxdesk sim`` as a subprocess; ``api_base`` once it accepts connections; counters over HTTP."""

    def __init__(self, *args: str) -> None:
        self._proc = subprocess.Popen([sys.executable, "-m", "fluxdesk", "sim", *args], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        first = self._proc.stdout.readline().strip() if self._proc.stdout else ""
        if not first.startswith("API "):
            self.stop()
            raise RuntimeError(f"the simulator did not start: {first!r}")
        self.api_base = first.split(" ", 1)[1]

    def counters(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.api_base}/_sim/counters", timeout=10) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        if self._proc.stdout:
            self._proc.stdout.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
