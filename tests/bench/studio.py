"""Studio mode on a throwaway PostgreSQL server (tests/studio_support.py): a month of 50 seats × 20,000 jobs in the
shared ledger, then the Team view's month query (``team_spend`` by seat, project, model and day, as a seat) and the
sync of 1,000 queued rows from a seat's library, and of 1,000 corrections after those jobs moved to another project.
Last line: one JSON object.

    .venv/bin/python tests/bench/studio.py [--seats 50] [--jobs 20000] [--queued 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: studio_support

import psycopg
from studio_support import PgCluster, new_database, queue_jobs, seat_url

from fluxdesk.storage.studio.schema import add_seat, init_schema
from fluxdesk.storage.studio.sync import Syncer
from fluxdesk.storage.studio.team import GROUPINGS, team_spend

MONTH = "2026-11"
MODELS = "ARRAY['flux-dev', 'flux-2-pro', 'flux-kontext-pro', 'flux-pro-1.1']"


def fill(admin: str, seats: int, jobs: int) -> float:
    """``seats × jobs`` ledger rows in ``MONTH`` (2 % failed), through the ledger's own trigger; answers seconds."""
    started = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("INSERT INTO fluxdesk.seats (name, role) SELECT 'seat' || s, 'bench_role_' || s "
                     "FROM generate_series(1, %s) s", (seats,))
        for s in range(1, seats + 1):  # one transaction per seat, as seats' syncs would come
            conn.execute(
                f"""INSERT INTO fluxdesk.ledger (job_id, seat, created_at, project, model, width, height, credits, usd,
                                                status, billed)
                    SELECT 'seat{s}-' || i, 'seat{s}',
                           timestamptz '{MONTH}-01 00:00Z' + (i %% 30) * interval '1 day'
                               + (i * 7 %% 86400) * interval '1 s',
                           CASE WHEN i %% 9 = 0 THEN NULL ELSE 'project ' || (i %% 40) END,
                           ({MODELS})[1 + i %% 4], 1024, 1024, 2.5, 0.025,
                           CASE WHEN i %% 50 = 0 THEN 'failed' ELSE 'done' END, i %% 50 <> 0
                    FROM generate_series(1, %s) i""", (jobs,))
        conn.execute("ANALYZE fluxdesk.ledger")
        conn.execute("ANALYZE fluxdesk.ledger_days")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cluster = PgCluster().start()
    try:
        admin = new_database(cluster)
        init_schema(admin)
        fill_s = fill(admin, args.seats, args.jobs)
        seat = add_seat(admin, "bencher")
        with psycopg.connect(seat_url(admin, seat.user, seat.password), autocommit=True) as conn:
            team_spend(conn, MONTH)  # warm
            times: dict[str, list[float]] = {by: [] for by in GROUPINGS}
            for _ in range(args.runs):
                for by in GROUPINGS:
                    started = time.perf_counter()
                    spend = team_spend(conn, MONTH, by)
                    times[by].append((time.perf_counter() - started) * 1000)
            expected = args.seats * (args.jobs - args.jobs // 50)
            if spend.jobs != expected:
                raise SystemExit(f"the team month counts {spend.jobs} billed jobs, not {expected}")
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder) / "bencher"
            from fluxdesk.storage.library import Library

            with Library.open(home, remove_temp_files=False) as library:
                library.share_with_studio(True)
            queue_jobs(home, args.queued, month=MONTH)
            syncer = Syncer(home, seat_url(admin, seat.user), seat.seat, seat.password)
            started = time.perf_counter()
            result = syncer.sync_once()
            sync_ms = (time.perf_counter() - started) * 1000
            if result.sent != args.queued or result.remaining:
                raise SystemExit(f"the sync sent {result.sent} of {args.queued} rows")
            with Library.open(home, remove_temp_files=False) as library:  # every image moved to one project
                moved_to = library.ensure_project("Moved").id
                library._conn.execute("UPDATE jobs SET project_id = ?", (moved_to,))
            started = time.perf_counter()
            result = syncer.sync_once()
            correction_ms = (time.perf_counter() - started) * 1000
            with psycopg.connect(admin) as conn:
                moved = {g.key: g.jobs for g in team_spend(conn, MONTH, "project").groups if g.key == "Moved"}
            if result.sent != args.queued or moved.get("Moved") != args.queued:
                raise SystemExit(f"{result.sent} corrections re-filed {moved} of {args.queued} jobs")
    finally:
        cluster.destroy()
    medians = {by: round(statistics.median(t), 1) for by, t in times.items()}
    print(json.dumps({"studio_ledger_rows": args.seats * args.jobs, "studio_fill_s": round(fill_s, 1),
                      "studio_team_month_ms": max(medians.values()),
                      **{f"studio_team_month_by_{by}_ms": ms for by, ms in medians.items()},
                      "studio_sync_rows": args.queued, "studio_sync_ms": round(sync_ms, 1),
                      "studio_correction_sync_ms": round(correction_ms, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
