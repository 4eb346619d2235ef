"""Reliability and security drills: faults, crashes, hostile input, and the key — in one command.

    .venv/bin/python tests/drills/run.py            # everything (`make drills`), well under 15 min on 2 cores
    .venv/bin/python tests/drills/run.py --fast     # the reduced set for CI (`make drills-fast`), about a minute
    .venv/bin/python tests/drills/run.py --only crash-cli --only faults

Prints a table of figures per drill and ends with ``drills: N passed, M failed``; exits 1 on any
failure. Run it inside ``dbus-run-session -- bash .ci/with-keyring …`` (the Makefile does) so the
keyring drill talks to a real Secret Service; without one it reports "skipped (no Secret Service)",
or fails when FLUXDESK_REQUIRE_SECRET_SERVICE=1. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import drill_crash
import drill_faults
import drill_hostile
import drill_key
from drill_support import Context, Recorder, Result, Skip

Drill = Callable[[Context, Recorder], None]

DRILLS: list[tuple[str, str, Drill]] = [
    ("crash-cli", "SIGKILL the CLI mid-batch, then `resume`", drill_crash.cli_crash),
    ("crash-app", "SIGKILL the app mid-batch, then reopen it", drill_crash.app_crash),
    ("faults", "fault-injected soak, then `resume`", drill_faults.soak),
    ("expired", "a result whose link expired before `resume`", drill_faults.expired),
    ("hostile-input", "hypothesis over validator, metadata, settings, prices", drill_hostile.properties),
    ("hostile-downloads", "bomb, truncated and non-image downloads", drill_hostile.downloads),
    ("damaged-db", "garbage and locked databases", drill_hostile.damaged_database),
    ("full-disk", "a full disk during a download, then `resume`", drill_hostile.full_disk),
    ("key-hosts", "http API base refused; API redirect not followed", drill_key.hosts),
    ("keyring", "a real Secret Service: set, read, replace, clear; locked", drill_key.keyring_drill),
    ("no-keyring", "no keyring: plain words, and BFL_API_KEY works", drill_key.no_keyring),
    ("key-leaks", "the key in no file, output or foreign request", drill_key.leaks),
]


def machine() -> dict[str, str]:
    try:
        from importlib.metadata import version

        pyside = version("PySide6")
    except Exception:  # only for the report
        pyside = "?"
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return {"cpus": str(os.cpu_count()), "ram": mem, "python": platform.python_version(), "pyside6": pyside,
            "platform": platform.platform()}


def run_one(ctx: Context, name: str, title: str, drill: Drill) -> Result:
    rec = Recorder(name)
    started = time.monotonic()
    status = "passed"
    ctx.log(f"--- {name}: {title}")
    try:
        drill(ctx, rec)
    except Skip as skip:
        status = "skipped"
        rec.note(str(skip))
    except Exception:  # a drill that crashes is a failed drill, reported in full
        rec.problem("the drill itself raised:\n" + traceback.format_exc())
    if rec.problems:
        status = "failed"
    result = Result(name, title, status, round(time.monotonic() - started, 1), rec.figures, rec.problems, rec.notes)
    ctx.log(f"    {status} in {result.seconds:.1f} s")
    for problem in rec.problems:
        ctx.log(textwrap.indent(problem, "    ! "))
    return result


TOTALS = {
    "trials run": ("trials",),
    "faults injected": ("faults injected",),
    "jobs": ("jobs",),
    "POSTs": ("POSTs",),
    "lost images": ("lost images", "lost"),
    "duplicates": ("duplicates",),
    "leaks": ("files with the key", "requests with the key outside the API", "delivery requests with the key",
              "redirect: x-key at the target"),
}


def totals(results: list[Result]) -> str:
    def total(keys: tuple[str, ...]) -> int:
        return sum(r.figures.get(k, 0) for r in results for k in keys if isinstance(r.figures.get(k, 0), int))

    return "; ".join(f"{name} {total(keys)}" for name, keys in TOTALS.items())


def table(results: list[Result]) -> str:
    lines = [f"{'drill':<18} {'result':<8} {'time':>7}  figures", "-" * 110]
    for r in results:
        figures = "; ".join(f"{k} {v}" for k, v in r.figures.items())
        if r.status == "skipped":
            figures = "; ".join(r.notes) + (f"; {figures}" if figures else "")
        wrapped = textwrap.wrap(figures, 80) or [""]
        lines.append(f"{r.name:<18} {r.status:<8} {r.seconds:>6.1f}s  {wrapped[0]}")
        lines += [f"{'':<37}  {more}" for more in wrapped[1:]]
    lines.append("-" * 110)
    wrapped = textwrap.wrap(totals(results), 80)
    lines.append(f"{'totals':<18} {'':<8} {sum(r.seconds for r in results):>6.1f}s  {wrapped[0]}")
    lines += [f"{'':<37}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="the reduced set for CI")
    parser.add_argument("--only", action="append", choices=[d[0] for d in DRILLS], help="run only these drills")
    parser.add_argument("--seed", type=int, help="seed of the kill moments (default: random, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (kept anyway on failure)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    work = Path(tempfile.mkdtemp(prefix="fluxdesk-drills-"))

    def log(text: str) -> None:
        print(text, flush=True)

    ctx = Context(fast=args.fast, work=work, rng=random.Random(seed), log=log)
    info = machine()
    log(f"FluxDesk drills ({'fast' if args.fast else 'full'}), seed {seed}, work folder {work}")
    log(f"machine: {info['cpus']} CPUs, {info['ram']} RAM, Python {info['python']}, PySide6 {info['pyside6']}, "
        f"{info['platform']}")
    started = time.monotonic()
    results: list[Result] = []
    try:
        for name, title, drill in DRILLS:
            if args.only and name not in args.only:
                continue
            results.append(run_one(ctx, name, title, drill))
    finally:
        ctx.close()
    total = time.monotonic() - started

    failed = [r for r in results if r.status == "failed"]
    passed = [r for r in results if r.status == "passed"]
    skipped = [r for r in results if r.status == "skipped"]
    log("")
    log(table(results))
    log("")
    for r in failed:
        log(f"FAILED {r.name}:")
        for problem in r.problems:
            log(textwrap.indent(problem, "  "))
    if args.json:
        args.json.write_text(json.dumps({"seed": seed, "fast": args.fast, "seconds": round(total, 1),
                                         "machine": info, "totals": totals(results),
                                         "results": [r.__dict__ for r in results]},
                                        indent=2, default=str))
    if failed or args.keep:
        log(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    log(f"total {total:.0f} s, seed {seed}" + (f"; skipped: {', '.join(r.name for r in skipped)}" if skipped else ""))
    log(f"drills: {len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
