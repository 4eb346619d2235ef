"""Hostile-input drills: fuzzing, hostile downloads, damaged and locked databases, a full disk.

- properties: pytest over the hostile-input tests (validator, metadata, settings, prices) with
  ``--hypothesis-show-statistics``, counting the examples; the drill's own property tests
  (``test_drill_hostile_input.py``) run with many more examples than in the normal suite.
- downloads: the simulator's delivery origin serves a decompression bomb (a 20000×20000 PNG of a
  few dozen KB), a truncated JPEG, and an HTML page as image/jpeg. The job must fail as "damaged"
  with its billed result kept in the journal; once the real image is served, ``resume`` stores it.
- damaged database: garbage bytes, and a good file with one damaged table page; a database held
  under an exclusive lock by another connection. Clear words, a backup, nothing overwritten.
- full disk: the library folder on a tiny tmpfs that is full; then the whole home on a full tmpfs
  (the database cannot be written either). The job fails cleanly, the billed result stays in the
  journal, and after space is freed ``resume`` stores it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from drill_support import (
    MODEL_ARGS,
    ROOT,
    Context,
    Recorder,
    json_lines,
    no_traceback,
    query,
    statuses,
    wait_settled,
    wait_until,
)

from fluxdesk.sim import Simulator
from fluxdesk.sim.images import ImageCache, ImageSpec
from fluxdesk.storage.db import CorruptDatabaseError, DatabaseLockedError
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery
from fluxdesk.storage.imaging import MAX_IMAGE_PIXELS, ImageDecodeError, decode_check
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path, demo_home

# --- properties ---------------------------------------------------------------------------------------

PROPERTY_FILES = ["tests/core/test_request.py", "tests/core/test_metadata.py", "tests/core/test_pricing.py",
                  "tests/storage/test_storage_metadata_io.py", "tests/storage/test_storage_settings.py",
                  "tests/drills/test_drill_hostile_input.py"]
EXAMPLES, EXAMPLES_FAST = 3000, 150
"""Examples per property of the drill's own tests; the other files keep their own settings."""
PROPERTY_FILES_FAST = ["tests/drills/test_drill_hostile_input.py"]
"""``--fast`` (CI): the other files run in the normal suite anyway."""
_STATS = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid")
_TEST = re.compile(r"^(tests/\S+)::(\S+):$")
AREAS = {
    "validator": r"^test_request::|::test_validator_|::test_hostile_record_metadata",
    "metadata": r"^test_metadata::|^test_storage_metadata_io::|::test_png_text_in_any_encoding",
    "settings": r"::test_settings_file_fuzz",
    "prices": r"^test_pricing::|::test_price_table_import_fuzz",
}


def properties(ctx: Context, rec: Recorder) -> None:
    examples = EXAMPLES_FAST if ctx.fast else EXAMPLES
    seed = ctx.rng.randrange(2**31)
    env = dict(os.environ, FLUXDESK_DRILL_EXAMPLES=str(examples))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           # its own temp root: a concurrent pytest run prunes the shared /tmp/pytest-of-<user>
                           f"--basetemp={ctx.work / 'pytest'}",
                           "--hypothesis-show-statistics", f"--hypothesis-seed={seed}",
                           *(PROPERTY_FILES_FAST if ctx.fast else PROPERTY_FILES)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    ctx.output("properties-pytest.out").write_text(done.stdout + done.stderr)
    shutil.rmtree(ctx.work / "pytest", ignore_errors=True)  # thousands of examples' folders: not worth a scan
    rec.figure("pytest (s)", round(time.monotonic() - started, 1))
    per_test: dict[str, int] = {}
    current = None
    for line in done.stdout.splitlines():
        match = _TEST.match(line.strip())
        if match:
            current = f"{Path(match.group(1)).stem}::{match.group(2)}"
            continue
        stats = _STATS.search(line)
        if stats and current:
            per_test[current] = per_test.get(current, 0) + int(stats.group(1)) + int(stats.group(2))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    rec.figure("hypothesis seed", seed)
    rec.figure("drill examples per property", examples)
    rec.figure("property tests", len(per_test))
    rec.figure("examples", sum(per_test.values()))
    for area, pattern in AREAS.items():
        rec.figure(f"examples: {area}", sum(n for k, n in per_test.items() if re.search(pattern, k)))
    drill_file = {k: n for k, n in per_test.items() if k.startswith("test_drill_hostile_input")}
    rec.figure("examples: drill's own properties", sum(drill_file.values()))
    rec.figure("pytest", summary)
    rec.check(done.returncode == 0, f"the hostile-input tests failed:\n{done.stdout[-3000:]}\n{done.stderr[-1000:]}")
    rec.check(per_test, "no hypothesis statistics were found in the output")


# --- hostile downloads ----------------------------------------------------------------------------------

def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A single-colour 1-bit PNG that decodes to ``width × height`` pixels from a few dozen KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


HTML = (b"<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1>"
        b"<p>The request was blocked by the corporate proxy.</p></body></html>")


class _HostileImages(ImageCache):
    """The simulator's image cache, serving ``payload(real_bytes)`` instead while ``payload`` is set."""

    def __init__(self, real: ImageCache) -> None:
        super().__init__()
        self.real = real
        self.payload = None

    def get(self, spec: ImageSpec) -> bytes:
        data = self.real.get(spec)
        return data if self.payload is None else self.payload(data)


@contextlib.contextmanager
def hostile_delivery(sim: Simulator) -> Iterator[_HostileImages]:
    # The simulator has no switch for this; the drill swaps its image cache (a private attribute).
    origins = sim._origins
    real = origins._images
    hostile = _HostileImages(real)
    origins._images = hostile
    try:
        yield hostile
    finally:
        origins._images = real


CASES = {
    "bomb": ("png", lambda real: BOMB),
    "truncated-jpeg": ("jpeg", lambda real: real[: len(real) * 6 // 10]),
    "html-as-jpeg": ("jpeg", lambda real: HTML),
}
BOMB = bomb_png()


def downloads(ctx: Context, rec: Recorder) -> None:
    rec.figure("Pillow pixel limit", f"{MAX_IMAGE_PIXELS:,} (4096²)")
    rec.figure("bomb PNG", f"20000×20000, {len(BOMB) // 1024} KB")
    try:
        decode_check(BOMB)
        rec.problem("decode_check accepted a 20000×20000 bomb")
    except ImageDecodeError:
        pass
    for name, (fmt, payload) in CASES.items():
        sim = ctx.sim(latency=0.3)
        home = ctx.home(f"hostile-{name}")
        env = ctx.env(home, sim.api_base)
        with hostile_delivery(sim) as delivery:
            delivery.payload = payload
            started = time.monotonic()
            out = ctx.run_cli(env, "generate", "--prompt", f"hostile {name}", *MODEL_ARGS, "--output-format", fmt,
                              "--json", name=f"hostile-{name}-generate")
            rec.figure(f"{name}: refused in (s)", round(time.monotonic() - started, 1))
        no_traceback(rec, out.stderr, name)
        lines = json_lines(out.stdout)
        line = lines[0] if lines else {}
        error = line.get("error") or ""
        rec.check(out.returncode == 1 and line.get("status") == "failed" and "damaged" in error,
                  f"{name}: expected a job failed as damaged, got exit {out.returncode}: {line}")
        rec.check("resume" in error and "billed" in error.lower(), f"{name}: the message does not say it is billed "
                                                                  f"and resumable: {error!r}")
        rec.check(line.get("cost_credits"), f"{name}: the billed job is shown without its charge: {line}")
        jobs = query(home, "SELECT status, task_id, cost_credits, sample_url FROM jobs")
        kept = len(jobs) == 1 and jobs[0][0] == "downloading" and all(jobs[0][1:])
        rec.check(kept, f"{name}: the billed result's record is not kept resumable: {jobs}")
        files = [p for p in (demo_home(home) / "images").rglob("*") if p.is_file()]
        rec.check(not files and not query(home, "SELECT id FROM images"),
                  f"{name}: something was stored: {files}")
        wait_settled(sim)
        rec.check(len(sim.counters_snapshot().billed_tasks) == 1, f"{name}: the simulator did not bill it")
        resumed = ctx.run_cli(env, "resume", "--json", name=f"hostile-{name}-resume")
        stored = [entry["status"] for entry in json_lines(resumed.stdout)] == ["done"]
        rec.check(stored and statuses(home) == {"done": 1}, f"{name}: resume did not store the real image: "
                                                            f"{resumed.stdout} {resumed.stderr[-300:]}")
        rec.add("refused as damaged", int(kept and "damaged" in error))
        rec.add("stored by resume", int(stored))


# --- damaged and locked databases ---------------------------------------------------------------------

def _garbage(home: Path) -> bytes:
    return os.urandom(64 * 1024)


def _damaged_page(home: Path) -> bytes:
    with Library.open(home):
        pass
    path = database_path(home)
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'meta'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size:root * size] = os.urandom(size)
    return bytes(data)


def damaged_database(ctx: Context, rec: Recorder) -> None:
    sim = ctx.sim(latency=0.3)
    for variant, make in (("garbage", _garbage), ("damaged page", _damaged_page)):
        home = ctx.home(f"damaged-db-{variant.replace(' ', '-')}")
        library = demo_home(home)  # a simulator's jobs go to the demo library: that is the one damaged
        library.mkdir(parents=True, exist_ok=True)
        content = make(library)
        path = database_path(library)
        path.write_bytes(content)
        env = ctx.env(home, sim.api_base)
        for command in (["spend"], ["generate", "--prompt", "x", *MODEL_ARGS], ["resume"]):
            run_env = {**env, "FLUXDESK_HOME": str(library)} if command == ["spend"] else env
            out = ctx.run_cli(run_env, *command, name=f"damaged-db-{command[0]}")
            no_traceback(rec, out.stderr, f"{variant}: {command[0]}")
            rec.check(out.returncode == 1 and "is damaged" in out.stderr and "A copy was kept at" in out.stderr,
                      f"{variant}: `fluxdesk {command[0]}` exited {out.returncode}: {out.stderr[-400:]}")
            rec.add("CLI runs refused in words", int(out.returncode == 1 and "is damaged" in out.stderr))
        try:
            Library.open(library).close()
            rec.problem(f"{variant}: Library.open opened a damaged database")
        except CorruptDatabaseError as exc:
            rec.check(exc.backup is not None and exc.backup.read_bytes() == content,
                      f"{variant}: Library.open kept no faithful backup: {exc.backup}")
        backups = list(library.glob("fluxdesk.db.damaged-*"))
        rec.check(path.read_bytes() == content, f"{variant}: the damaged database was changed")
        rec.check(len(backups) == 1, f"{variant}: {len(backups)} backups after four opens (one expected)")
        rec.add("backups kept", len(backups))
    rec.check(sim.counters_snapshot().post_requests == 0, "a damaged library still sent a POST")
    rec.figure("POSTs sent", sim.counters_snapshot().post_requests)

    # Locked: another connection holds an exclusive lock.
    home = ctx.home("locked-db")
    library = demo_home(home)
    env = ctx.env(home, sim.api_base)
    ctx.run_cli(env, "generate", "--prompt", "before the lock", *MODEL_ARGS, "--json", name="locked-db-first")
    other = sqlite3.connect(database_path(library), isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        commands = [["spend"]] if ctx.fast else [["spend"], ["generate", "--prompt", "x", *MODEL_ARGS]]
        for command in commands:  # each waits out the 5 s busy timeout first
            run_env = {**env, "FLUXDESK_HOME": str(library)} if command == ["spend"] else env
            out = ctx.run_cli(run_env, *command, name=f"locked-db-{command[0]}")
            no_traceback(rec, out.stderr, f"locked: {command[0]}")
            rec.check(out.returncode == 1 and "in use by another program" in out.stderr,
                      f"locked: `fluxdesk {command[0]}` exited {out.returncode}: {out.stderr[-400:]}")
            rec.add("locked: CLI runs refused in words", int("in use by another program" in out.stderr))
        try:
            Library.open(library, busy_timeout_ms=200).close()
            rec.problem("locked: Library.open opened a database another connection holds exclusively")
        except DatabaseLockedError:
            rec.add("locked: Library.open refused in words")
    finally:
        other.execute("ROLLBACK")
        other.close()
    rec.check(not list(library.glob("fluxdesk.db.damaged-*")), "locked: a locked database was taken for a damaged one")
    with Library.open(library) as opened, contextlib.closing(GalleryQueries.for_library(opened)) as queries:
        ok = opened._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rec.check(ok and len(queries.ids(GalleryQuery())) == 1, "locked: the library is not intact after the lock")
    rec.figure("POSTs while locked", sim.counters_snapshot().post_requests - 1)


# --- a full disk ------------------------------------------------------------------------------------

def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], capture_output=True, timeout=30, check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


def full_disk(ctx: Context, rec: Recorder) -> None:
    probe = ctx.work / "tmpfs-probe"
    if not _mount_tmpfs(probe, "64k"):
        rec.note("tmpfs cannot be mounted here (needs root): the in-process variant runs instead")
        _full_disk_in_process(ctx, rec)
        return
    _umount(probe)
    rec.figure("method", "tmpfs")
    _library_folder_full(ctx, rec)
    if not ctx.fast:  # the regression test in tests/services covers this path in CI
        _whole_home_full(ctx, rec)


def _library_folder_full(ctx: Context, rec: Recorder) -> None:
    """The library folder on its own full disk; the database elsewhere still writes."""
    sim = ctx.sim(latency=0.3)
    home = ctx.home("full-library-folder")
    folder = demo_home(home) / "images"  # the library folder a simulator's images go to (the demo library's)
    if not _mount_tmpfs(folder, "1m"):
        rec.problem("could not mount the tmpfs for the library folder")
        return
    try:
        filler = _fill(folder)
        env = ctx.env(home, sim.api_base)
        out = ctx.run_cli(env, "generate", "--prompt", "full library folder", *MODEL_ARGS, "--count", "2",
                          "--output-format", "png", "--json", name="full-library-generate")
        _check_failed_cleanly(rec, "library folder full", out, home, folder, expect=("No space left",))
        filler.unlink()
        _check_resumed(ctx, rec, "library folder full", env, home, folder, sim)
    finally:
        _umount(folder)


def _whole_home_full(ctx: Context, rec: Recorder) -> None:
    """Everything on one full disk: the journal cannot be written either, once the jobs are sent."""
    sim = ctx.sim(latency=0.3)
    mount = ctx.work / "full-home"
    if not _mount_tmpfs(mount, "8m"):
        rec.problem("could not mount the tmpfs for the home")
        return
    try:
        home = mount / "home"
        home.mkdir()
        ctx.homes.append(home)
        env = ctx.env(home, sim.api_base)
        ctx.run_cli(env, "generate", "--prompt", "warm up", *MODEL_ARGS, "--json", name="full-home-first")
        sim.config.slow_rate, sim.config.slow_seconds = 1.0, 1.5  # time to fill the disk once the jobs are sent
        child = ctx.spawn_cli(env, "generate", "--prompt", "full home", *MODEL_ARGS, "--count", "2",
                              "--output-format", "png", "--json", name="full-home-generate")
        sent = wait_until(lambda: statuses(home).get("submitted", 0) == 2, 60, 0.01)
        filler = _fill(mount)
        code = child.wait(300)
        rec.check(sent, "the jobs never reached the submitted state before the disk was filled")
        out = subprocess.CompletedProcess(child.proc.args, code, child.stdout(), child.stderr())
        _check_failed_cleanly(rec, "whole disk full", out, home, demo_home(home) / "images",
                              expect=("disk is full", "No space left"))
        filler.unlink()
        sim.config.slow_rate = 0.0
        _check_resumed(ctx, rec, "whole disk full", env, home, demo_home(home) / "images", sim)
        ctx.homes.remove(home)  # unmounted below: scanned here instead
        rec.check(not any(ctx.key.encode() in p.read_bytes() for p in home.rglob("*") if p.is_file()),
                  "whole disk full: the key is in a file under the home")
    finally:
        _umount(mount)


def _check_failed_cleanly(rec: Recorder, label: str, out: subprocess.CompletedProcess, home: Path, folder: Path,
                          expect: tuple[str, ...]) -> None:
    no_traceback(rec, out.stderr, label)
    lines = [line for line in json_lines(out.stdout) if line.get("prompt") != "warm up"]
    rec.check(out.returncode == 1 and len(lines) == 2, f"{label}: exit {out.returncode}, lines {lines}")
    for line in lines:
        rec.check(line["status"] == "failed" and any(words in (line.get("error") or "") for words in expect),
                  f"{label}: the job did not fail with a named reason: {line}")
        rec.check(line.get("cost_credits"), f"{label}: the billed job is shown without its charge: {line}")
    kept = query(home, "SELECT status, task_id FROM jobs WHERE prompt != 'warm up'")
    rec.check(len(kept) == 2 and all(s in ("submitted", "downloading") and t for s, t in kept),
              f"{label}: the billed results' records are not kept resumable: {kept}")
    rec.check(not list(folder.rglob("*.part")), f"{label}: a partial file was left")
    rec.add("jobs failed cleanly", sum(1 for s, t in kept if s in ("submitted", "downloading") and t))


def _check_resumed(ctx: Context, rec: Recorder, label: str, env: dict[str, str], home: Path, folder: Path,
                   sim: Simulator) -> None:
    resumed = ctx.run_cli(env, "resume", "--json", name=f"{label.replace(' ', '-')}-resume")
    no_traceback(rec, resumed.stderr, f"{label}: resume")
    lines = json_lines(resumed.stdout)
    rec.check([line["status"] for line in lines] == ["done", "done"], f"{label}: resume did not store both: "
                                                                      f"{resumed.stdout} {resumed.stderr[-300:]}")
    wait_settled(sim)
    billed = sim.counters_snapshot().billed_tasks
    stored = [row[0] for row in query(home, "SELECT task_id FROM images")]
    rec.check(sorted(billed) == sorted(stored), f"{label}: billed {len(billed)}, stored {len(stored)}")
    rec.check(not list(folder.rglob("*.part")), f"{label}: a partial file was left after resume")
    rec.add("stored by resume after space was freed", sum(line["status"] == "done" for line in lines))


def _full_disk_in_process(ctx: Context, rec: Recorder) -> None:
    """Without tmpfs: the session in this process, with image writes failing with ENOSPC."""
    from fluxdesk.core.request import GenerationRequest
    from fluxdesk.services.events import JobFailed
    from fluxdesk.services.session import Session, SessionOptions
    from fluxdesk.storage import files

    rec.figure("method", "in-process, atomic_write raising ENOSPC")
    sim = ctx.sim(latency=0.3)
    home = ctx.home("full-in-process")
    events: list[object] = []
    real = files.atomic_write

    def no_space(path: Path, data: bytes, *, overwrite: bool = True) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    session = Session(home, SessionOptions(api_base=sim.api_base, key=ctx.key))
    try:
        session.add_listener(events.append)
        files.atomic_write = no_space
        try:
            ids = session.generate(GenerationRequest(model="flux-2-klein-4b", prompt="full", width=512, height=512,
                                                     seed=1), 2).result(60)
            session.wait_idle(120)
        finally:
            files.atomic_write = real
        failed = [e for e in events if isinstance(e, JobFailed)]
        rec.check(len(failed) == 2 and all("No space left" in e.reason and e.billed for e in failed),
                  f"full disk: {failed}")
        rec.check(all(session.library.get_job(i).status.value == "downloading" for i in ids),
                  "full disk: the billed results' records are not kept resumable")
        rec.add("jobs failed cleanly", len(failed))
        session.resume().result(60)
        session.wait_idle(120)
        done = [i for i in ids if session.library.get_job(i).status.value == "done"]
        rec.check(len(done) == 2, "full disk: resume did not store both")
        rec.add("stored by resume after space was freed", len(done))
    finally:
        session.close()

