"""The Spend tab's snapshot reads a month in a bounded number of queries, however many jobs it had."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fluxdesk.services.library_views import SpendQueries
from fluxdesk.storage.library import Library
from fluxdesk.ui.spend.snapshot import load_snapshot


def test_a_month_of_a_thousand_jobs_is_read_in_a_few_queries(tmp_path: Path) -> None:
    with Library.open(tmp_path / "home") as library:
        moment = "2026-05-02T10:00:00.000000Z"
        jobs = [(f"j{i}", moment, moment, moment, "flux-dev", f"p {i}", "{}", "{}", "done", f"t{i}", "2.5")
                for i in range(1000)]
        images = [(f"j{i}", f"/x/{i}.jpg", "flux-dev", f"p {i}", "{}", "{}", "2026-05-02T10:01:00.000000Z")
                  for i in range(0, 1000, 2)]
        with library._conn:
            library._conn.execute("BEGIN")
            library._conn.executemany("INSERT INTO jobs (id, created_at, updated_at, submitted_at, model, prompt, "
                                      "request, body, status, task_id, cost_credits) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", jobs)
            library._conn.executemany("INSERT INTO images (job_id, path, model, prompt, parameters, record, "
                                      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", images)
        statements: list[str] = []
        library._conn.set_trace_callback(statements.append)
        try:
            snapshot = load_snapshot(SpendQueries(library), "2026-05", include_demo=False,
                                     usd_per_credit=Decimal("0.01"))
        finally:
            library._conn.set_trace_callback(None)
    assert len(snapshot.entries) == 1000 and snapshot.summary.jobs == 1000
    with_images = [entry for entry in snapshot.entries if entry.image_id is not None]
    assert sorted(entry.row.job_id for entry in with_images) == sorted(f"j{i}" for i in range(0, 1000, 2))
    assert len(statements) < 20, statements[:25]
