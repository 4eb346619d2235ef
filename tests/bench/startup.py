"""startup_ratio: process start → main window shown and idle, with a 10,000-image library, divided by the
same for a bare PySide6 script showing an empty QMainWindow. Both run side by side, alternating, so the
ratio holds however busy the machine is. Last line: one JSON object.

    .venv/bin/python tests/bench/startup.py [--runs N] [--images N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_support import build_library  # noqa: E402
from sim_process import SimProcess  # noqa: E402

BARE = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()
QTimer.singleShot(0, lambda: (print((time.time() - t0) * 1000), app.quit()))
app.exec()
"""

# What `fluxdesk` does (cli.main → app.run_window), quitting at the first idle moment after show.
APP = """
import sys, time
t0 = float(sys.argv[1])
from pathlib import Path
from fluxdesk.cli import build_parser
args = build_parser(with_subcommands=False).parse_args([])
from fluxdesk.app import _application, _window
from PySide6.QtCore import QTimer
app = _application()
window = _window(Path(sys.argv[2]), demo=False)
window.show()
QTimer.singleShot(0, lambda: (print((time.time() - t0) * 1000), app.quit()))
app.exec()
window._closing = True
window.close()
window.shutdown()
"""


def _run(code: str, env: dict[str, str], *extra: str) -> float:
    started = time.time()
    out = subprocess.run([sys.executable, "-c", code, repr(started), *extra], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory(prefix="fluxdesk-startup-") as tmp, SimProcess("--latency", "2") as sim:
        home = Path(tmp)
        build_library(home, args.images)
        print(f"library of {args.images:,} images built", flush=True)
        env.update(FLUXDESK_HOME=str(home), FLUXDESK_API_BASE=sim.api_base, BFL_API_KEY="bfl_bench")
        _run(BARE, env)  # warm the disk cache for both
        _run(APP, env, str(home))
        bare, app = [], []
        for i in range(args.runs):
            bare.append(_run(BARE, env))
            app.append(_run(APP, env, str(home)))
            print(f"run {i + 1}: bare {bare[-1]:.0f} ms, FluxDesk {app[-1]:.0f} ms", flush=True)
    startup_ms, baseline_ms = statistics.median(app), statistics.median(bare)
    print(json.dumps({"startup_ms": round(startup_ms), "startup_baseline_ms": round(baseline_ms),
                      "startup_ratio": round(startup_ms / baseline_ms, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
