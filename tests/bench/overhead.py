"""overhead_ms_per_image: FluxDesk's own CPU time per image from Ready to the image shown.

For a 1 MP JPEG and a 1 MP PNG: download from loopback, decode check, metadata, atomic write, database
row (``Library.store_image``), thumbnail decode and the pixmap a view paints. The simulator runs in its
own process, so its CPU time (drawing and encoding the images) is not counted. Last line: one JSON object.

    .venv/bin/python tests/bench/overhead.py [--images N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sim_process import SimProcess

from fluxdesk.api.client import BflClient
from fluxdesk.core.metadata import build_record
from fluxdesk.core.request import GenerationRequest, validate
from fluxdesk.storage.library import Library

KEY = "bfl_bench"


async def _ready_samples(client: BflClient, fmt: str, count: int) -> list[tuple[GenerationRequest, object]]:
    """Submit and wait (not measured): the Ready results whose processing is measured."""
    requests = [GenerationRequest("flux-2-pro", f"overhead bench {fmt} {i}", seed=i, width=1024, height=1024,
                                  output_format=fmt) for i in range(count)]
    submissions = await asyncio.gather(*(client.submit(validate(r).body, r.model) for r in requests))
    results = await asyncio.gather(*(client.wait(s.polling_url) for s in submissions))
    return list(zip(requests, submissions, results, strict=True))


def measure(fmt: str, count: int, api_base: str, home: Path) -> float:
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication

    from fluxdesk.ui.kit.thumbnails import DEFAULT_SIZE, render_thumbnail

    app = QApplication.instance() or QApplication([])
    library = Library.open(home)

    async def run() -> float:
        async with BflClient(api_base, KEY) as client:
            ready = await _ready_samples(client, fmt, count)
            cpu = 0.0
            for request, submission, result in ready:
                job_id = library.create_job(request, validate(request).body, demo=False)
                library.mark_submitting(job_id)
                library.record_submission(job_id, submission.id, submission.polling_url, submission.cost)
                library.record_ready(job_id, result.raw, result.sample_url, result.expires_at)
                started = time.process_time()
                sample = await client.download(result.sample_url, expires_at=result.expires_at)
                record = build_record(request, result.raw.get("result"), job_id=job_id, task_id=submission.id,
                                      cost_credits=submission.cost, demo=False, created_at=datetime.now(UTC))
                image = library.store_image(job_id, sample.data, sample.extension, record)
                thumb = render_thumbnail(str(image.path), DEFAULT_SIZE, home / "thumbs")
                QPixmap.fromImage(thumb)
                cpu += time.process_time() - started
            return cpu

    try:
        cpu = asyncio.run(run())
    finally:
        library.close()
    app.processEvents()
    return cpu / count * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with SimProcess("--latency", "0.05", "--credits", "1000000") as sim, \
            tempfile.TemporaryDirectory(prefix="fluxdesk-bench-") as tmp:
        for fmt in ("jpeg", "png"):
            measure(fmt, 3, sim.api_base, Path(tmp) / f"warm-{fmt}")  # imports, connection, caches
            figures[fmt] = round(measure(fmt, args.images, sim.api_base, Path(tmp) / fmt), 1)
            print(f"{fmt}: {figures[fmt]} ms of CPU per image ({args.images} images)", flush=True)
    print(json.dumps({"overhead_ms_per_image": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
