"""Drives the real FluxDesk window in a process of its own, for the crash drills.

    app_driver.py batch  --home H --count 10 --seed S --prompt P [--exit-when-done]
    app_driver.py resume --home H

The environment says where the API is (FLUXDESK_API_BASE) and carries the key (BFL_API_KEY, which
wins in ``KeyStore.get``). ``batch`` opens the window, waits for its engine, fills the prompt panel
(flux-2-klein-4b, 512×512, fixed seed S so every job of the batch has its own seed, count N) and
presses Generate, then runs the event loop: the drill kills it at a random moment. ``resume`` opens
the window on the same home (the window resumes what the journal left on its own) and exits 0 once
no job in the journal is in a non-final state.

It prints one line per milestone on stdout: ``READY``, ``GENERATE <ok>``, ``DONE <n>``, ``TIMEOUT``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

POLL_MS = 100


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["batch", "resume"])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prompt", default="a drill in the app")
    parser.add_argument("--exit-when-done", action="store_true", help="batch: exit 0 once every job is final")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from fluxdesk.app import build_window
    from fluxdesk.core.jobs import JobStatus
    from fluxdesk.storage.secrets import KeyStore
    from fluxdesk.storage.settings import load_settings

    app = QApplication(sys.argv[:1])
    window = build_window(args.home, load_settings(args.home), KeyStore(), demo=False)
    window.show()
    started = time.monotonic()
    state = {"generated": False, "code": None}

    def finish(code: int) -> None:
        state["code"] = code
        window.controller.begin_closing()  # no "jobs are still running?" question on the way out
        window.close()
        app.quit()

    def all_final() -> bool:
        session = window.session
        if session is None:
            return False
        rows = session.library.jobs_with_status(*JobStatus)
        if any(not row.status.is_final for row in rows):
            return False
        return args.mode == "resume" or len(rows) >= args.count

    def tick() -> None:
        if time.monotonic() - started > args.timeout:
            say("TIMEOUT")
            finish(3)
            return
        session = window.session
        if session is None:
            return
        if args.mode == "batch" and not state["generated"]:
            say("READY")
            panel = window.panel
            panel.load_settings({"model": "flux-2-klein-4b", "width": 512, "height": 512, "seed": args.seed})
            panel.set_prompt(args.prompt)
            panel.set_count(args.count)
            state["generated"] = True
            say(f"GENERATE {panel.generate()}")
            return
        if (args.mode == "resume" or args.exit_when_done) and all_final():
            say(f"DONE {len(session.library.jobs_with_status(*JobStatus))}")
            finish(0)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(POLL_MS)
    try:
        app.exec()
    finally:
        timer.stop()
        window.shutdown()
    return 0 if state["code"] is None else int(state["code"])


if __name__ == "__main__":
    sys.exit(main())
