"""Fault drills: a soak against a misbehaving simulator, and results whose link expired.

The soak runs ``fluxdesk generate --count 200`` (40 with ``--fast``) against the simulator with 10 %
of polls answering 500/503, 5 % of polls and downloads dropped, 429 bursts on submission, one
download in ten failing and one answer in ten slow, then ``fluxdesk resume``. Every job must end done
or with a named error; no POST may be resent; no billed image may be missing at the end.
"""

from __future__ import annotations

import sqlite3
import time

from drill_support import (
    MODEL_ARGS,
    Context,
    Recorder,
    json_lines,
    no_traceback,
    query,
    statuses,
    wait_settled,
    wait_until,
)

from fluxdesk.storage.paths import demo_home

SOAK, SOAK_FAST = 200, 40
FAULTS = {"poll_error_rate": 0.10, "drop_rate": 0.05, "burst_429": 3, "burst_429_every": 20,
          "delivery_failure_rate": 0.10, "slow_rate": 0.10, "slow_seconds": 0.4, "early_404_polls": 1}


def soak(ctx: Context, rec: Recorder) -> None:
    count = SOAK_FAST if ctx.fast else SOAK
    sim = ctx.sim(latency=0.4, fault_seed=ctx.rng.randrange(2**31), **FAULTS)
    home = ctx.home("soak")
    env = ctx.env(home, sim.api_base)
    started = time.monotonic()
    done = ctx.run_cli(env, "generate", "--prompt", "soak drill", *MODEL_ARGS, "--count", str(count), "--seed", "7",
                       "--json", name="soak-generate", timeout=900)
    rec.figure("batch (s)", round(time.monotonic() - started, 1))
    no_traceback(rec, done.stderr, "generate")
    lines = json_lines(done.stdout)
    rec.check(len(lines) == count, f"generate printed {len(lines)} job lines for {count} jobs")
    outcomes: dict[str, int] = {}
    for line in lines:
        outcomes[line["status"]] = outcomes.get(line["status"], 0) + 1
        if line["status"] != "done":
            rec.check(bool(line.get("error")), f"job {line['job_id']} ended {line['status']} without a reason")
    rec.figure("outcomes", ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    rec.check(done.returncode == (0 if outcomes.get("done") == count else 1),
              f"generate exited {done.returncode} with outcomes {outcomes}")

    resumed = ctx.run_cli(env, "resume", "--json", name="soak-resume", timeout=600)
    no_traceback(rec, resumed.stderr, "resume")
    rec.figure("resumed", len(json_lines(resumed.stdout)))
    wait_settled(sim)
    c = sim.counters_snapshot()
    images = [row[0] for row in query(home, "SELECT task_id FROM images")]
    seeds = [sim.task(t).body.get("seed") for t in sim.task_ids()]
    counts = statuses(home)
    missing = [t for t in c.billed_tasks if t not in images]
    rec.figure("jobs", sum(counts.values()))
    rec.figure("POSTs", c.post_requests)
    rec.figure("tasks", c.tasks_created)
    rec.figure("billed", len(c.billed_tasks))
    rec.figure("stored", len(set(images)))
    rec.figure("duplicates", (len(images) - len(set(images))) + (len(seeds) - len(set(seeds))))
    rec.figure("lost", len(missing))
    rec.figure("faults injected", sum(c.faults_injected.values()))
    rec.figure("by kind", ", ".join(f"{k} {v}" for k, v in sorted(c.faults_injected.items())))
    rec.figure("polls", c.polls)
    rec.figure("downloads", c.downloads)
    rec.check(not missing, f"billed but not in the library after resume: {missing}")
    rec.check(len(images) == len(set(images)) and len(seeds) == len(set(seeds)), "a job was stored or POSTed twice")
    # Every POST beyond one per task was a refused one (429): none was resent after reaching BFL.
    rec.check(c.post_requests == c.tasks_created + c.faults_injected.get("burst_429", 0),
              f"{c.post_requests} POSTs for {c.tasks_created} tasks and "
              f"{c.faults_injected.get('burst_429', 0)} refusals")
    rec.check(set(counts) <= {"done", "failed", "moderated", "expired", "unknown", "cancelled"},
              f"jobs left unfinished: {counts}")
    rec.check(c.polls_wrong_origin == 0 and c.handler_errors == 0,
              f"polls off the polling URL {c.polls_wrong_origin}, simulator errors {c.handler_errors}")
    rec.check(c.faults_injected.get("poll_error") and c.faults_injected.get("drop") and
              c.faults_injected.get("burst_429") and c.faults_injected.get("delivery_failure"),
              f"not every kind of fault was injected: {c.faults_injected}")


def expired(ctx: Context, rec: Recorder) -> None:
    """Kill the CLI mid-download, let the links expire, resume: billed and lost, said in words."""
    count = 3
    sim = ctx.sim(latency=0.3)
    home = ctx.home("expired")
    env = ctx.env(home, sim.api_base)
    sim.config.slow_rate, sim.config.slow_seconds = 1.0, 2.0  # every answer takes 2 s: the kill lands mid-way
    child = ctx.spawn_cli(env, "generate", "--prompt", "expired drill", *MODEL_ARGS, "--count", str(count),
                          "--seed", "3", "--json", name="expired-generate")
    # Killed once every job is Ready and recorded, its download under way: each has a link that will expire.
    reached = wait_until(lambda: statuses(home) == {"downloading": count}, 60, 0.01)
    child.kill()
    if not rec.check(reached, f"the batch never had all its jobs downloading: {statuses(home)}"):
        return
    sim.config.slow_rate = 0.0
    sim.advance_clock(11 * 60)
    # The journal's expiry is wall-clock time: the restart comes "eleven minutes later".
    conn = sqlite3.connect(demo_home(home) / "fluxdesk.db")  # a simulator's jobs: the demo library
    with conn:
        conn.execute("UPDATE jobs SET sample_expires_at = sample_expires_at - 660 "
                     "WHERE sample_expires_at IS NOT NULL")
    conn.close()
    resumed = ctx.run_cli(env, "resume", "--json", name="expired-resume")
    no_traceback(rec, resumed.stderr, "resume")
    lines = json_lines(resumed.stdout)
    gone = [line for line in lines if line["status"] == "expired"]
    rec.figure("jobs", count)
    rec.figure("expired on resume", len(gone))
    rec.figure("stored", sum(line["status"] == "done" for line in lines))
    rec.check(gone, "no job was reported expired")
    for line in gone:
        rec.check(line["cost_credits"] and line["cost_credits"] > 0, f"expired job shown without its charge: {line}")
        words = (line.get("error") or "").lower()
        rec.check("expired" in words and "billed" in words and ("lost" in words or "no longer" in words),
                  f"expired job without a plain explanation: {line.get('error')!r}")
    ledger = query(home, "SELECT status, billed, credits FROM ledger WHERE status = 'expired'")
    rec.figure("ledger rows expired+billed", sum(1 for _, billed, _ in ledger if billed == 1))
    rec.check(len(ledger) == len(gone) and all(billed == 1 for _, billed, _ in ledger),
              f"the ledger does not show every expired job as billed: {ledger}")
    # A simulator's jobs are demo jobs, in the demo library: its spend is read there.
    spend = ctx.run_cli({**env, "FLUXDESK_HOME": str(demo_home(home))}, "spend", "--include-demo", "--json",
                        name="expired-spend")
    total = json_lines(spend.stdout)[0]["total_credits"] if spend.returncode == 0 else None
    billed = float(sum(sim.task(t).cost for t in sim.counters_snapshot().billed_tasks))
    rec.figure("spend shows (credits)", total)
    rec.figure("BFL billed (credits)", billed)
    rec.check(total is not None and abs(total - billed) < 1e-9,
              f"`fluxdesk spend` shows {total} credits, BFL billed {billed}")
    wait_settled(sim)
    rec.check(set(statuses(home)) <= {"done", "expired"}, f"jobs left: {statuses(home)}")
