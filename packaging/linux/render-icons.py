#!/usr/bin/env python3
"""Render FluxDesk's icons from the one source, ``resources/icons/fluxdesk.svg``.

Writes (all committed, so a build needs none of the tools below):

- ``packaging/linux/icons/hicolor/<n>x<n>/apps/fluxdesk.png`` for n in 16 … 512, and
  ``packaging/linux/icons/hicolor/scalable/apps/fluxdesk.svg`` (a copy of the source);
- ``packaging/windows/fluxdesk.ico`` (16 … 256) for the PyInstaller spec on Windows;
- ``packaging/macos/fluxdesk.icns`` (16 … 512, plus 1024) for the ``.app`` bundle.

The PNGs come from ``rsvg-convert`` (Debian: ``apt-get install librsvg2-bin``) when it is on PATH,
else from Qt's ``QSvgRenderer`` (PySide6, already a FluxDesk dependency); ``--renderer`` forces one.
The ``.ico`` and ``.icns`` are assembled with Pillow from the same renderings.

    python packaging/linux/render-icons.py            # from the repository root, any Python with Pillow
    .venv/bin/python packaging/linux/render-icons.py --renderer qt
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "resources" / "icons" / "fluxdesk.svg"
HICOLOR = ROOT / "packaging" / "linux" / "icons" / "hicolor"
ICO = ROOT / "packaging" / "windows" / "fluxdesk.ico"
ICNS = ROOT / "packaging" / "macos" / "fluxdesk.icns"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
NAME = "fluxdesk"


def render_rsvg(size: int) -> bytes:
    return subprocess.run(["rsvg-convert", "--width", str(size), "--height", str(size), "--format", "png",
                           str(SOURCE)], check=True, capture_output=True).stdout


_qt_app = None


def render_qt(size: int) -> bytes:
    global _qt_app
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if _qt_app is None:
        _qt_app = QGuiApplication.instance() or QGuiApplication(["render-icons", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"Qt could not read {SOURCE}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renderer", choices=("auto", "rsvg", "qt"), default="auto")
    args = parser.parse_args()
    renderer = args.renderer
    if renderer == "auto":
        renderer = "rsvg" if shutil.which("rsvg-convert") else "qt"
    render = render_rsvg if renderer == "rsvg" else render_qt
    print(f"rendering {SOURCE.relative_to(ROOT)} with {renderer}")

    from PIL import Image  # after choosing: Pillow is needed for .ico/.icns and to check the PNGs

    images: dict[int, Image.Image] = {}
    for size in (*SIZES, 1024):
        png = render(size)
        image = Image.open(io.BytesIO(png))
        image.load()
        if image.size != (size, size):
            raise SystemExit(f"{renderer} rendered {image.size} for {size}x{size}")
        images[size] = image.convert("RGBA")
        if size in SIZES:
            out = HICOLOR / f"{size}x{size}" / "apps" / f"{NAME}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            # Re-encode through Pillow: no timestamps or renderer-specific chunks, so the files are stable.
            images[size].save(out, "PNG", optimize=True)
            print(f"  {out.relative_to(ROOT)}")

    scalable = HICOLOR / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    print(f"  {scalable.relative_to(ROOT)}")

    ICO.parent.mkdir(parents=True, exist_ok=True)
    images[256].save(ICO, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    print(f"  {ICO.relative_to(ROOT)}")

    ICNS.parent.mkdir(parents=True, exist_ok=True)
    images[1024].save(ICNS, format="ICNS", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    print(f"  {ICNS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
