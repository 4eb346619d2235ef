"""A page of widgets in one column, inside a frameless scroll area: a small window scrolls, never clips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QScrollArea, QVBoxLayout, QWidget


def own_viewport(area: QAbstractScrollArea, *, fill: bool = True) -> QWidget:
    """Give ``area`` a viewport made here, set up as Qt sets up its own (base colour, filled unless ``fill`` is
    False), and return it.

    Why: the first time Python touches a widget Qt created (``viewport()``), PySide searches every widget class
    for its type, initialising them all: ~5 ms, once, on the first screen's path. A viewport made in Python is
    known already."""
    viewport = QWidget()
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(fill)
    area.setViewport(viewport)
    return viewport


def scroll_page(name: str, *, margins: tuple[int, int, int, int] = (16, 12, 16, 12),
                sideways: bool = True) -> tuple[QScrollArea, QVBoxLayout]:
    """The scroll area (``<name>Scroll``) and the column's layout (its widget is ``<name>Content``).

    ``sideways=False`` never scrolls horizontally, and lets the parent's colour show through.
    """
    content = QWidget()
    content.setObjectName(f"{name}Content")
    layout = QVBoxLayout(content)
    layout.setContentsMargins(*margins)
    layout.setSpacing(10)
    area = QScrollArea()
    area.setObjectName(f"{name}Scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    if not sideways:
        own_viewport(area, fill=False)
    area.setWidget(content)
    if not sideways:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content.setAutoFillBackground(False)  # setWidget turned it on: the parent's colour must show
    return area, layout


def fill_with(owner: QWidget, child: QWidget) -> None:
    """``child`` takes all of ``owner``, edge to edge."""
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(child)
