"""The 100-image batch through the real window, against the simulator in its own process:

- batch_efficiency: wall time of 100 images at a fixed 2 s latency and the 24-job limit, divided by the
  bound that limit imposes: ceil(100 / 24) × 2 s, plus one round of polling (the 0.5 s first poll);
- ready_to_download_ms: mean delay between the simulator marking a job Ready and the first request for its
  sample; polls_per_job and polls_per_second_per_job (polls over the time jobs spent at BFL);
- ui_max_stall_ms: the longest GUI-thread stall (a 5 ms timer's lateness) during the batch, with the
  gallery of a 10,000-image library visible;
- rss_mb: the process's peak memory during all that.

Last line: one JSON object.   .venv/bin/python tests/bench/batch.py [--images N] [--library N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_support import StallMeter, build_library  # noqa: E402
from sim_process import SimProcess  # noqa: E402

LATENCY = 2.0
LIMIT = 24
FIRST_POLL = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--library", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fluxdesk-batch-") as tmp, \
            SimProcess("--latency", str(LATENCY), "--credits", "1000000") as sim:
        home = Path(tmp)
        from fluxdesk.storage.paths import demo_home

        # A simulator's images go to the demo library: that is the one the window shows, so it is the big one.
        build_library(demo_home(home), args.library)
        print(f"library of {args.library:,} images built", flush=True)
        os.environ.update(FLUXDESK_API_BASE=sim.api_base, BFL_API_KEY="bfl_bench")

        from PySide6.QtWidgets import QApplication

        from fluxdesk.app import build_window, collector_paused_for_start_up
        from fluxdesk.core.jobs import JobStatus
        from fluxdesk.core.request import GenerationRequest
        from fluxdesk.services.events import JobDone, JobDownloading, JobFailed
        from fluxdesk.storage.secrets import KeyStore
        from fluxdesk.storage.settings import load_settings

        app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive for the window
        # No budget: the built library's month would cross it, and the question would wait for a click.
        settings = replace(load_settings(home), monthly_budget_usd=Decimal(0))
        with collector_paused_for_start_up():  # as app.start_window
            window = build_window(home, settings, KeyStore(environ={"BFL_API_KEY": "bfl_bench"}))
            window.resize(1280, 800)
            window.show()

        def pump(condition, timeout: float) -> bool:
            """Run the Qt event loop (as the app does) until ``condition()`` or the timeout."""
            from PySide6.QtCore import QEventLoop, QTimer

            loop = QEventLoop()
            deadline = time.monotonic() + timeout
            check = QTimer(interval=20)
            check.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
            check.start()
            if not condition():
                loop.exec()
            check.stop()
            return condition()

        if not pump(lambda: window.session is not None, 60):
            raise SystemExit("the engine did not start")
        gallery = next((i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Gallery"), None)
        if gallery is not None:
            window.tabs.setCurrentIndex(gallery)
        pump(lambda: False, 1.0)  # the gallery's first screen

        finished: dict[str, float] = {}
        downloading: dict[str, float] = {}

        def on_event(event: object) -> None:
            if isinstance(event, JobDownloading):
                downloading[event.job_id] = time.time()
            elif isinstance(event, JobDone | JobFailed):
                finished[event.job_id] = time.monotonic()

        window.bridge.jobEvent.connect(on_event)
        meter = StallMeter()
        request = GenerationRequest("flux-2-klein-4b", "a batch of foxes", seed=1, width=1024, height=1024)
        meter.start()
        started = time.monotonic()
        window.controller.generate(request, args.images)
        if not pump(lambda: len(finished) == args.images, 300):
            raise SystemExit(f"only {len(finished)} of {args.images} jobs finished")
        wall = max(finished.values()) - started
        pump(lambda: False, 0.5)  # the last images reach the gallery
        meter.stop()
        for stack, n in getattr(meter, "samples", {}).most_common(12) if hasattr(meter, "samples") else []:
            print(f"{n:4} {stack}", file=sys.stderr)
        counters = sim.counters()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        ready = counters["ready_at"]
        delays = [(counters["first_download_at"][t] - ready[t]) * 1000 for t in ready
                  if t in counters["first_download_at"]]
        done = len(window.session.library.jobs_with_status(JobStatus.DONE)) - args.library
        window.controller.begin_closing()
        window.close()
        window.shutdown()

    bound = math.ceil(args.images / LIMIT) * LATENCY + FIRST_POLL
    time_at_bfl = len(ready) * LATENCY
    figures = {
        "batch_images": args.images,
        "batch_done": done,
        "batch_wall_s": round(wall, 2),
        "batch_bound_s": bound,
        "batch_efficiency": round(wall / bound, 3),
        "ready_to_download_ms": round(statistics.mean(delays), 1),
        "polls_per_job": round(counters["polls"] / max(1, len(ready)), 2),
        "polls_per_second_per_job": round(counters["polls"] / time_at_bfl, 2),
        "ui_max_stall_ms": round(meter.worst_ms, 1),
        "rss_mb": round(rss_mb, 1),
        "posts": counters["post_requests"],
        "tasks": counters["tasks_created"],
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
