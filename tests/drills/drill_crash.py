"""Crash drills: SIGKILL the CLI and the app at random moments of a 10-image batch, restart, check.

After each kill comes a restart (``fluxdesk resume --json`` for the CLI; the window opened again on
the same home for the app) and then the checks of ``tests/e2e/test_crash_recovery.py``
(``_check_exactly_once``): every task BFL billed is in the library exactly once, or recorded as
expired, or — only when the kill fell between BFL creating it and the journal recording its id —
accounted for by a job marked "unknown"; one POST per job (seeds unique among created tasks); no
``*.part`` file and every image file has its row; ``PRAGMA integrity_check`` ok; no job left in a
non-final state.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from drill_support import (
    DRILLS,
    FINAL,
    MODEL_ARGS,
    Child,
    Context,
    Recorder,
    no_traceback,
    query,
    statuses,
    wait_settled,
)
from test_crash_recovery import _check_exactly_once

from fluxdesk.sim import Simulator

BATCH = 10
CLI_TRIALS, CLI_TRIALS_FAST = 20, 3
APP_TRIALS, APP_TRIALS_FAST = 5, 1
SIM = {"latency": 1.0, "slow_rate": 0.15, "slow_seconds": 0.4}
"""A second per image, and some slow answers: POSTs, polls and downloads overlap, so kills land in
every phase."""


def phase_at_kill(home: Path) -> str:
    """Where the batch stood when it was killed, from the journal: the earliest unfinished step."""
    counts = statuses(home)
    if not counts:
        return "no job written yet"
    if counts.get("queued") or counts.get("submitting"):
        return "sending"
    if counts.get("submitted"):
        return "polling"
    if counts.get("downloading"):
        return "downloading"
    return "all finished"


def verify(rec: Recorder, home: Path, sim: Simulator, label: str) -> None:
    """The exactly-once checks, plus the figures they rest on."""
    if not wait_settled(sim):
        rec.problem(f"{label}: the simulator still had running tasks after 60 s")
    try:
        _check_exactly_once(home, sim)
    except AssertionError as exc:
        rec.problem(f"{label}: {exc}".strip()[:1500])
    c = sim.counters_snapshot()
    images = [row[0] for row in query(home, "SELECT task_id FROM images")]
    journal = dict(query(home, "SELECT task_id, status FROM jobs WHERE task_id IS NOT NULL"))
    counts = statuses(home)
    stored = [t for t in c.billed_tasks if t in images]
    expired = [t for t in c.billed_tasks if t not in images and journal.get(t) == "expired"]
    unrecorded = [t for t in c.billed_tasks if t not in journal]
    lost = [t for t in c.billed_tasks if t not in images and t in journal and journal[t] != "expired"]
    seeds = [sim.task(t).body.get("seed") for t in sim.task_ids()]
    rec.add("jobs", sum(counts.values()))
    rec.add("POSTs", c.post_requests)
    rec.add("tasks created", c.tasks_created)
    rec.add("billed", len(c.billed_tasks))
    rec.add("stored", len(stored))
    rec.add("billed, expired", len(expired))
    rec.add("billed, unrecorded (job marked unknown)", len(unrecorded))
    rec.add("jobs unknown", counts.get("unknown", 0))
    rec.add("jobs cancelled (never sent)", counts.get("cancelled", 0))
    rec.add("lost images", len(lost))
    rec.add("duplicates", (len(images) - len(set(images))) + (len(seeds) - len(set(seeds))))
    rec.add("non-final after restart", sum(n for s, n in counts.items() if s not in FINAL))
    rec.add("*.part left", len(list(home.rglob("*.part"))))
    if lost:
        rec.problem(f"{label}: billed but neither stored nor expired: {lost}")


def _kill_at(child: Child, delay: float) -> bool:
    """Sleep ``delay`` seconds (less if it ends first), then SIGKILL; answers whether it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and child.proc.poll() is None:
        time.sleep(0.005)
    return child.kill()


# --- the command line ------------------------------------------------------------------------------

def _cli_batch(ctx: Context, env: dict[str, str], trial: int | str) -> Child:
    return ctx.spawn_cli(env, "generate", "--prompt", f"crash drill {trial}", *MODEL_ARGS, "--count", str(BATCH),
                         "--seed", "1", "--json", name=f"cli-crash-{trial}-generate")


def cli_crash(ctx: Context, rec: Recorder) -> None:
    trials = CLI_TRIALS_FAST if ctx.fast else CLI_TRIALS
    # Calibration: one batch run to its end tells how long a batch takes from the process's start.
    sim = ctx.sim(**SIM, fault_seed=999)
    home = ctx.home("cli-crash-calibration")
    child = _cli_batch(ctx, ctx.env(home, sim.api_base), "calibration")
    code = child.wait(300)
    span = time.monotonic() - child.started
    rec.figure("calibration batch (s)", round(span, 1))
    rec.check(code == 0, f"the calibration batch exited {code}: {child.stderr()[-500:]}")
    verify(rec, home, sim, "calibration")
    for key in list(rec.figures):
        if key != "calibration batch (s)":
            del rec.figures[key]  # the calibration is not a trial

    phases: dict[str, int] = {}
    killed = 0
    for trial in range(trials):
        sim = ctx.sim(**SIM, fault_seed=trial)
        home = ctx.home(f"cli-crash-{trial}")
        env = ctx.env(home, sim.api_base)
        delay = ctx.rng.uniform(0.2, span * 1.05)
        child = _cli_batch(ctx, env, trial)
        killed += _kill_at(child, delay)
        phase = phase_at_kill(home)
        phases[phase] = phases.get(phase, 0) + 1
        resumed = ctx.run_cli(env, "resume", "--json", name=f"cli-crash-{trial}-resume", timeout=300)
        rec.check(resumed.returncode in (0, 1), f"trial {trial}: resume exited {resumed.returncode}: "
                                                f"{resumed.stderr[-500:]}")
        no_traceback(rec, resumed.stderr, f"trial {trial}: resume")
        verify(rec, home, sim, f"trial {trial} (killed at {delay:.2f} s, {phase})")
        ctx.log(f"  cli trial {trial + 1}/{trials}: kill at {delay:.2f} s ({phase})")
    rec.figure("trials", trials)
    rec.figure("killed mid-run", killed)
    rec.figure("journal at kill", ", ".join(f"{k}: {v}" for k, v in sorted(phases.items())))


# --- the app ---------------------------------------------------------------------------------------

def _driver(ctx: Context, env: dict[str, str], home: Path, mode: str, name: str, *extra: str) -> Child:
    return ctx.spawn([sys.executable, str(DRILLS / "app_driver.py"), mode, "--home", str(home), *extra], env,
                     name=name)


def _app_batch(ctx: Context, env: dict[str, str], home: Path, trial: int | str, *extra: str) -> Child:
    seed = ctx.rng.randrange(1, 2**31)
    return _driver(ctx, env, home, "batch", f"app-crash-{trial}-batch", "--count", str(BATCH), "--seed", str(seed),
                   "--prompt", f"app crash drill {trial}", *extra)


def app_crash(ctx: Context, rec: Recorder) -> None:
    trials = APP_TRIALS_FAST if ctx.fast else APP_TRIALS
    sim = ctx.sim(**SIM, fault_seed=998)
    home = ctx.home("app-crash-calibration")
    child = _app_batch(ctx, ctx.env(home, sim.api_base), home, "calibration", "--exit-when-done")
    if child.wait_for_line("GENERATE", 120) is None:
        child.kill()
        rec.problem(f"the app never pressed Generate: {child.stdout()[-300:]} {child.stderr()[-800:]}")
        return
    pressed = time.monotonic()
    code = child.wait(300)
    span = time.monotonic() - pressed
    rec.figure("calibration batch (s)", round(span, 1))
    rec.check(code == 0 and "DONE" in child.stdout(), f"the calibration batch in the app exited {code}: "
                                                      f"{child.stdout()[-300:]} {child.stderr()[-800:]}")
    no_traceback(rec, child.stderr(), "app calibration")
    verify(rec, home, sim, "app calibration")
    for key in list(rec.figures):
        if key != "calibration batch (s)":
            del rec.figures[key]

    phases: dict[str, int] = {}
    killed = 0
    for trial in range(trials):
        sim = ctx.sim(**SIM, fault_seed=100 + trial)
        home = ctx.home(f"app-crash-{trial}")
        env = ctx.env(home, sim.api_base)
        child = _app_batch(ctx, env, home, trial)
        if child.wait_for_line("GENERATE True", 120) is None:
            child.kill()
            rec.problem(f"app trial {trial}: the batch never started: {child.stdout()[-300:]} "
                        f"{child.stderr()[-800:]}")
            continue
        delay = ctx.rng.uniform(0.0, span * 1.05)
        killed += _kill_at(child, delay)
        phase = phase_at_kill(home)
        phases[phase] = phases.get(phase, 0) + 1
        no_traceback(rec, child.stderr(), f"app trial {trial}")
        again = _driver(ctx, env, home, "resume", f"app-crash-{trial}-resume")
        code = again.wait(300)
        rec.check(code == 0 and "DONE" in again.stdout(), f"app trial {trial}: the restarted window exited "
                                                          f"{code}: {again.stdout()[-300:]} {again.stderr()[-800:]}")
        no_traceback(rec, again.stderr(), f"app trial {trial}: restart")
        verify(rec, home, sim, f"app trial {trial} (killed {delay:.2f} s after Generate, {phase})")
        ctx.log(f"  app trial {trial + 1}/{trials}: kill {delay:.2f} s after Generate ({phase})")
    rec.figure("trials", trials)
    rec.figure("killed mid-run", killed)
    rec.figure("journal at kill", ", ".join(f"{k}: {v}" for k, v in sorted(phases.items())))
