"""startup_ratio: process start → main window shown and idle, with a 10,000-image library, divided by the
same for a bare PySide6 script showing an empty QMainWindow. Both run side by side, alternating, so the
ratio holds however busy the machine is. Last line: one JSON object.

Also ``startup_floor_ms``: a script with none of FluxDesk's code that touches the same Qt classes as the
first screen's modules (PySide6 creates each class, and all its enums, on first use) and shows a window
with as many widgets. What FluxDesk adds above it is its own start-up work (``startup_own_ms``), and the
target is on ``startup_floor_ratio_own`` = FluxDesk's start-up ÷ that floor (Qt alone needs 1.5–1.6× a bare
window for this first screen, so a ratio to the bare window cannot judge our code).

The package is byte-compiled first, as any installed copy is after its first run (this machine sets
PYTHONDONTWRITEBYTECODE, which would otherwise leave every start compiling our sources again).

    .venv/bin/python tests/bench/startup.py [--runs N] [--images N]
"""

from __future__ import annotations

import argparse
import ast
import compileall
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

# What `fluxdesk` with no arguments does (cli.main → app.main: the display check, then app.run_window →
# app.start_window), quitting at the first idle moment after show.
APP = """
import sys, time
t0 = float(sys.argv[1])
from pathlib import Path
import fluxdesk.cli  # `fluxdesk` with no arguments: cli.main → app.main, no parser built
from fluxdesk.display_check import display_problem
assert display_problem() is None
from fluxdesk.app import start_window
app, window, reporter = start_window(Path(sys.argv[2]), demo=False)
from PySide6.QtCore import QTimer
QTimer.singleShot(0, lambda: (print((time.time() - t0) * 1000), app.quit()))
app.exec()
import collections, json
import shiboken6
from PySide6.QtWidgets import QWidget
first_screen = sorted(name for name in sys.modules if name.startswith("fluxdesk.ui.") or name == "fluxdesk.app")
def qt_class(widget):
    return next(k.__name__ for k in type(widget).__mro__ if k.__module__ == "PySide6.QtWidgets")
made = collections.Counter(qt_class(w) for w in window.findChildren(QWidget) if shiboken6.createdByPython(w))
print(json.dumps({"widgets": len(window.findChildren(QWidget)) + 1, "modules": first_screen, "made": made}),
      file=sys.stderr)
reporter.uninstall()
window.controller.begin_closing()
window.close()
window.shutdown()
"""

# Both floors' window: the first screen's frame (menus, a status bar, a splitter with a scroll area and four
# tabs); each fills ``panel`` (in the scroll area) with its widgets, then shows it and quits when idle.
_WINDOW_FRAME = """app = QApplication(sys.argv[:1])
window = QMainWindow()
for title in ("File", "Generate", "View", "Help"):
    menu = window.menuBar().addMenu(title)
    for i in range(6):
        menu.addAction(QAction(f"{title} {i}", window))
window.statusBar().showMessage("Starting…")
tabs = QTabWidget()
for title in ("Generate", "Gallery", "Spend", "Break-even"):
    tabs.addTab(QWidget(), title)
panel = QWidget()
column = QVBoxLayout(panel)
scroll = QScrollArea()
scroll.setWidgetResizable(True)
splitter = QSplitter()
splitter.addWidget(scroll)
splitter.addWidget(tabs)
window.setCentralWidget(splitter)
"""
_WINDOW_SHOWN = """scroll.setWidget(panel)
window.resize(1280, 800)
window.show()
QTimer.singleShot(0, lambda: (print((time.time() - t0) * 1000), app.quit()))
app.exec()
"""

# The first screen's Qt, without FluxDesk: the same Qt classes touched, and the same widgets made, class by class
# (what Python made in FluxDesk's window, each counted as its Qt class; Qt makes their parts, as it does there),
# in a window with the same frame: menus, a status bar, a splitter with a scroll area and four tabs.
FLOOR = """
import json, sys, time
t0 = float(sys.argv[1])
names, made = json.loads(sys.argv[2]), json.loads(sys.argv[3])
from PySide6.QtCore import QTimer
from PySide6 import QtWidgets
from PySide6.QtWidgets import QApplication, QMainWindow
import importlib
for module, name in names:
    getattr(importlib.import_module(module), name)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget
""" + _WINDOW_FRAME + """
for frame, count in (("QSplitter", 1), ("QTabWidget", 1), ("QScrollArea", 1), ("QWidget", 5)):  # made above
    made[frame] = made.get(frame, 0) - count
form = None
for name, count in sorted(made.items(), key=lambda item: -item[1]):
    for i in range(count):
        if name == "QMenu":
            QtWidgets.QMenu(window)
            continue
        widget = QLabel(f"Field {i}") if name == "QLabel" else getattr(QtWidgets, name)()
        if form is None or form.rowCount() >= 6:
            card = QFrame(panel)
            form = QFormLayout(card)
            column.addWidget(card)
        form.addRow(widget)
""" + _WINDOW_SHOWN

# The generic floor (the target's first definition): the same Qt classes touched, as many widgets shown, but
# all of them labels, line edits, combo boxes and buttons in forms.
FLOOR_GENERIC = """
import json, sys, time
t0 = float(sys.argv[1])
names, widgets = json.loads(sys.argv[2]), int(sys.argv[3])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import importlib
for module, name in names:
    getattr(importlib.import_module(module), name)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)
""" + _WINDOW_FRAME + """
kinds = (QLineEdit, QComboBox, QLabel, QPushButton)
while len(window.findChildren(QWidget)) + len(panel.findChildren(QWidget)) + 2 < widgets:
    card = QFrame(panel)
    form = QFormLayout(card)
    for i in range(4):
        form.addRow(QLabel(f"Field {i}"), kinds[i % len(kinds)]())
    column.addWidget(card)
""" + _WINDOW_SHOWN


# The least any window like this first screen touches: the Qt namespace, the style, and the classes of
# the widgets it shows. With these alone (``startup_floor_min_ms``) FluxDesk's own code would have to
# cost nothing at all to reach the 1.5 target.
BARE_MINIMUM_NAMES = (
    [("PySide6.QtCore", name) for name in ("Qt", "QTimer", "Signal", "QObject")]
    + [("PySide6.QtGui", name) for name in ("QAction", "QPalette", "QColor", "QFont", "QIcon", "QPainter")]
    + [("PySide6.QtWidgets", name) for name in (
        "QStyle", "QWidget", "QMainWindow", "QLabel", "QLineEdit", "QComboBox", "QPushButton", "QToolButton",
        "QSpinBox", "QDoubleSpinBox", "QCheckBox", "QSlider", "QPlainTextEdit", "QScrollArea", "QSplitter",
        "QTabWidget", "QListView", "QFrame", "QVBoxLayout", "QHBoxLayout", "QFormLayout", "QMenu",
        "QStyledItemDelegate")]
)


def _run(code: str, env: dict[str, str], *extra: str) -> float:
    return _run_with_report(code, env, *extra)[0]


def _run_with_report(code: str, env: dict[str, str], *extra: str) -> tuple[float, str]:
    started = time.time()
    out = subprocess.run([sys.executable, "-c", code, repr(started), *extra], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return float(out.stdout.strip().splitlines()[-1]), out.stderr


def qt_names(modules: list[str]) -> list[tuple[str, str]]:
    """Every ``from PySide6.X import name`` at the top level of these modules."""
    import importlib.util

    names: set[tuple[str, str]] = set()
    for module in modules:
        source = Path(importlib.util.find_spec(module).origin).read_text(encoding="utf-8")
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6.Qt"):
                names.update((node.module, alias.name) for alias in node.names)
    return sorted(names)


def first_screen(stderr: str) -> dict:
    return next(json.loads(line) for line in reversed(stderr.splitlines()) if line.startswith("{"))


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
        compileall.compile_dir(str(HERE.parents[1] / "fluxdesk"), quiet=1)
        _run(BARE, env)  # warm the disk cache for all three
        screen = first_screen(_run_with_report(APP, env, str(home))[1])
        names = json.dumps(qt_names(screen["modules"]))
        floor_args = (names, json.dumps(screen["made"]))
        generic_args = (names, str(screen["widgets"]))
        minimum_args = (json.dumps(BARE_MINIMUM_NAMES), str(screen["widgets"]))
        _run(FLOOR, env, *floor_args)
        print(f"first screen: {screen['widgets']} widgets ({sum(screen['made'].values())} made by Python), "
              f"{len(json.loads(names))} Qt names", flush=True)
        bare, app, floor, generic, minimum = [], [], [], [], []
        for i in range(args.runs):
            bare.append(_run(BARE, env))
            app.append(_run(APP, env, str(home)))
            floor.append(_run(FLOOR, env, *floor_args))
            generic.append(_run(FLOOR_GENERIC, env, *generic_args))
            minimum.append(_run(FLOOR_GENERIC, env, *minimum_args))
            print(f"run {i + 1}: bare {bare[-1]:.0f} ms, FluxDesk {app[-1]:.0f} ms, floor {floor[-1]:.0f} ms, "
                  f"generic floor {generic[-1]:.0f} ms, minimal floor {minimum[-1]:.0f} ms", flush=True)
    startup_ms, baseline_ms, floor_ms = statistics.median(app), statistics.median(bare), statistics.median(floor)
    generic_ms, minimum_ms = statistics.median(generic), statistics.median(minimum)
    print(json.dumps({"startup_ms": round(startup_ms), "startup_baseline_ms": round(baseline_ms),
                      "startup_ratio": round(startup_ms / baseline_ms, 2), "startup_floor_ms": round(floor_ms),
                      "startup_floor_ratio": round(floor_ms / baseline_ms, 2),
                      "startup_floor_ratio_own": round(startup_ms / floor_ms, 2),
                      "startup_own_ms": round(startup_ms - floor_ms),
                      "startup_floor_generic_ms": round(generic_ms),
                      "startup_floor_generic_ratio_own": round(startup_ms / generic_ms, 2),
                      "startup_floor_min_ms": round(minimum_ms),
                      "startup_floor_min_ratio": round(minimum_ms / baseline_ms, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
