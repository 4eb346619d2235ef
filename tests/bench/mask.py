"""mask_stroke_ms: how long one mouse move of a brush stroke takes on a 4 MP image in the mask editor, from the
move event to the canvas repainted (the dabs stamped into the mask, the veil and picture redrawn where they
changed), p95 over every segment of simulated strokes. Three cases, each its own figure, and ``mask_stroke_ms``
the worst of them: the image fitted to a 1280×800 window with a 60 px brush (``_fit``), at 100% (``_zoomed``), and
fitted with a 400 px soft brush (``_large``). Also ``mask_stroke_end_ms``: the p95 of a stroke's release (its undo
step made; for the eraser, the painted bounds found again). Last line: one JSON object.

    .venv/bin/python tests/bench/mask.py [--strokes N] [--segments N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WIDTH, HEIGHT = 2304, 1728  # 3.98 MP
SEGMENT_PX = 14
"""Screen pixels between two mouse events: a quick stroke (1,750 px/s) at a 125 Hz mouse."""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=6)
    parser.add_argument("--segments", type=int, default=60)
    args = parser.parse_args()

    from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QLinearGradient, QMouseEvent, QPainter
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from fluxdesk.ui.kit.theme import apply_theme
    from fluxdesk.ui.mask.editor import LOCAL_EDIT, MaskEditor

    app = QApplication.instance() or QApplication([])
    apply_theme(app, "light")  # type: ignore[arg-type]

    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, WIDTH, HEIGHT)
    gradient.setColorAt(0, QColor("#8ec5ff"))
    gradient.setColorAt(1, QColor("#6b4f2a"))
    painter.fillRect(image.rect(), gradient)
    painter.end()

    host = QWidget()
    layout = QVBoxLayout(host)
    editor = MaskEditor()
    layout.addWidget(editor)
    host.resize(1280, 800)
    host.show()
    editor.set_image(image)
    # A FLUX.2 local edit: the crop box (64 px around the paint here) is asked for and outlined as the mask grows
    editor.set_crop_box_rule(lambda bounds, size: (max(0, bounds[0] - 64), max(0, bounds[1] - 64),
                                                    min(size[0], bounds[2] + 64), min(size[1], bounds[3] + 64)))
    editor.set_mode(LOCAL_EDIT)
    canvas = editor.canvas

    class PaintCounter(QObject):
        painted = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted += 1
            return False

    counter = PaintCounter()
    canvas.installEventFilter(counter)

    def settle() -> None:
        for _ in range(3):
            app.processEvents()

    def send(kind: QEvent.Type, at: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        event = QMouseEvent(kind, at, canvas.mapToGlobal(at), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    def strokes(tool: str, strokes: int, segments: int) -> tuple[list[float], list[float], int]:
        editor.set_tool(tool)
        moves: list[float] = []
        ends: list[float] = []
        unpainted = 0
        shown = canvas.to_canvas(QRectF(image.rect())).intersected(QRectF(canvas.rect()))
        for n in range(strokes):  # every stroke on the picture, where each dab changes the mask
            y0 = shown.top() + shown.height() * (0.2 + 0.6 * n / max(1, strokes - 1))
            x0 = shown.left() + shown.width() * 0.05
            span = shown.width() * 0.9
            at = QPointF(x0, y0)
            send(QEvent.Type.MouseButtonPress, at, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
            settle()
            for i in range(1, segments + 1):  # along a wave, SEGMENT_PX apart
                travelled = (i * SEGMENT_PX * 0.9) % (2 * span)  # to and fro across the picture
                at = QPointF(x0 + min(travelled, 2 * span - travelled), y0 + 40 * math.sin(i / 6))
                before = counter.painted
                started = time.perf_counter()
                send(QEvent.Type.MouseMove, at, Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton)
                app.processEvents()
                moves.append((time.perf_counter() - started) * 1000)
                unpainted += counter.painted == before
            started = time.perf_counter()
            send(QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
            app.processEvents()
            ends.append((time.perf_counter() - started) * 1000)
        return moves, ends, unpainted

    settle()
    figures: dict[str, object] = {"mask_image_mp": round(WIDTH * HEIGHT / 1e6, 2)}
    cases = {}
    all_ends: list[float] = []
    unpainted = 0
    for case, setup in (("fit", lambda: (canvas.fit(), editor.set_brush_size(60), editor.set_hardness(0.7))),
                        ("zoomed", lambda: (canvas.set_zoom(1.0), editor.set_brush_size(60))),
                        ("large", lambda: (canvas.fit(), editor.set_brush_size(400), editor.set_hardness(0.3)))):
        setup()
        settle()
        strokes("brush", 1, 10)  # warm up: first detach of the mask, first veil
        moves, ends, missed = strokes("brush", args.strokes, args.segments)
        erase_moves, erase_ends, erase_missed = strokes("eraser", max(1, args.strokes // 2), args.segments)
        moves += erase_moves
        all_ends += ends + erase_ends
        unpainted += missed + erase_missed
        if not editor.has_paint():
            raise SystemExit(f"the {case} strokes painted nothing: the figure would measure nothing")
        cases[case] = moves
        figures[f"mask_stroke_ms_{case}"] = round(p95(moves), 2)
        figures[f"mask_stroke_p50_ms_{case}"] = round(statistics.median(moves), 2)
        editor.commands.clear.trigger()
    figures["mask_stroke_ms"] = max(figures[f"mask_stroke_ms_{case}"] for case in cases)  # type: ignore[type-var]
    figures["mask_stroke_max_ms"] = round(max(max(v) for v in cases.values()), 2)
    figures["mask_stroke_segments"] = sum(len(v) for v in cases.values())
    figures["mask_stroke_unpainted_segments"] = unpainted  # moves after which the canvas did not repaint: 0
    figures["mask_stroke_end_ms"] = round(p95(all_ends), 2)
    host.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
