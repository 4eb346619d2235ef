"""What every drill shares: where the test helpers live, the run's context, results with figures.

A drill is a function ``drill(ctx, rec)``: it does its work, records figures with ``rec.figure`` and
broken guarantees with ``rec.check`` / ``rec.problem`` (it carries on after a problem, so the
figures are still reported), or calls ``rec.skip``. Child processes' output goes to files under the
run's work folder, so the key drill can scan every log and crash report the run produced.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
DRILLS = TESTS / "drills"
# The helpers live beside the tests that use them (test folders are not packages).
for _sub in ("drills", "e2e", "cli", "api", "storage", "core", ""):
    _path = str(TESTS / _sub) if _sub else str(TESTS)  # tests/ itself holds keyring_support
    if _path not in sys.path:
        sys.path.insert(0, _path)

from e2e_support import cli_env, json_lines, query, run_cli  # noqa: E402

from fluxdesk.sim import SimConfig, Simulator  # noqa: E402

FINAL = {"done", "failed", "moderated", "expired", "unknown", "cancelled"}
SMALL = 512 * 512
MODEL_ARGS = ("--model", "flux-2-klein-4b", "--width", "512", "--height", "512")


class Skip(Exception):
    pass


@dataclass
class Recorder:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, key: str, value: Any) -> None:
        self.figures[key] = value

    def add(self, key: str, amount: int = 1) -> None:
        self.figures[key] = self.figures.get(key, 0) + amount

    def check(self, condition: object, problem: str) -> bool:
        if not condition:
            self.problems.append(problem)
        return bool(condition)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def skip(self, reason: str) -> None:
        raise Skip(reason)


@dataclass
class Result:
    name: str
    title: str
    status: str
    """passed, failed or skipped"""
    seconds: float
    figures: dict[str, Any]
    problems: list[str]
    notes: list[str]


@dataclass
class Context:
    fast: bool
    work: Path
    rng: random.Random
    log: Callable[[str], None]
    key: str = field(default_factory=lambda: f"bfl_drill-{secrets.token_hex(16)}")
    other_keys: list[str] = field(default_factory=list)
    """Keys used by the keyring drill: scanned for too."""
    homes: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    sims: list[Simulator] = field(default_factory=list)
    _counter: int = 0

    # --- places -----------------------------------------------------------------------------------

    def home(self, name: str) -> Path:
        self._counter += 1
        home = self.work / "homes" / f"{self._counter:03d}-{name}"
        home.mkdir(parents=True)
        self.homes.append(home)
        return home

    def output(self, name: str) -> Path:
        self._counter += 1
        folder = self.work / "outputs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self._counter:03d}-{name}"
        self.outputs.append(path)
        return path

    # --- the simulator --------------------------------------------------------------------------------

    def sim(self, **config: Any) -> Simulator:
        """A started simulator that accepts only this run's key; stopped by ``close``."""
        config.setdefault("latency", 1.0)
        config.setdefault("max_output_pixels", SMALL)
        config.setdefault("key", self.key)
        sim = Simulator(SimConfig(**config)).start()
        self.sims.append(sim)
        return sim

    def env(self, home: Path, api_base: str, **extra: str) -> dict[str, str]:
        """``e2e_support.cli_env`` with this run's key (the null keyring: BFL_API_KEY is the key)."""
        env = cli_env(home, api_base, **extra)
        env["BFL_API_KEY"] = self.key
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return env

    # --- child processes ------------------------------------------------------------------------------

    def run_cli(self, env: dict[str, str], *args: str, name: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """``e2e_support.run_cli``, with its output kept for the leak scan."""
        done = run_cli(env, *args, timeout=timeout)
        self.output(f"{name}.out").write_text(done.stdout)
        self.output(f"{name}.err").write_text(done.stderr)
        return done

    def spawn(self, argv: list[str], env: dict[str, str], *, name: str) -> Child:
        out, err = self.output(f"{name}.out"), self.output(f"{name}.err")
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(argv, env=env, stdout=o, stderr=e, cwd=ROOT)
        return Child(proc, out, err, time.monotonic())

    def spawn_cli(self, env: dict[str, str], *args: str, name: str) -> Child:
        return self.spawn([sys.executable, "-m", "fluxdesk", *args], env, name=name)

    def close(self) -> None:
        for sim in self.sims:
            sim.stop()


@dataclass
class Child:
    proc: subprocess.Popen
    out: Path
    err: Path
    started: float

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def kill(self) -> bool:
        """SIGKILL, unless it already ended; answers whether it was still running."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        return True

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def wait_for_line(self, prefix: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stdout().splitlines():
                if line.startswith(prefix):
                    return line
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def wait_settled(sim: Simulator, timeout: float = 60) -> bool:
    """Until no task is still running at the simulator (so every task that will be billed is)."""
    def settled() -> bool:
        sim.settle()
        return all(sim.task(t).status != "Pending" for t in sim.task_ids())

    return wait_until(settled, timeout)


def statuses(home: Path) -> dict[str, int]:
    return dict(query(home, "SELECT status, count(*) FROM jobs GROUP BY status"))


def no_traceback(rec: Recorder, text: str, what: str) -> None:
    rec.check("Traceback" not in text, f"{what}: a traceback instead of a message: {text[-600:]}")


@contextmanager
def timed(rec: Recorder, key: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        rec.figure(key, round(time.monotonic() - started, 1))


__all__ = ["FINAL", "MODEL_ARGS", "ROOT", "Child", "Context", "Recorder", "Result", "Skip", "json_lines", "query",
           "statuses", "timed", "wait_settled", "wait_until"]
