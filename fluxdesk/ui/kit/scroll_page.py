"""A page of widgets in one column, inside a frameless scroll area: a small window scrolls, never clips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


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
    area.setWidget(content)
    if not sideways:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)  # setWidget turned it on: the parent's colour must show
    return area, layout


def fill_with(owner: QWidget, child: QWidget) -> None:
    """``child`` takes all of ``owner``, edge to edge."""
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(child)
