"""Reading the prompt panel as a user does: its controls by name, what they show, and picking from a list."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget

from fluxdesk.ui.generate.panel import PromptPanel


def child(panel: QWidget, cls: type, name: str):
    found = panel.findChild(cls, name)
    assert found is not None, f"no {cls.__name__} named {name}"
    return found


def shown(panel: PromptPanel, cls: type, name: str) -> bool:
    return child(panel, cls, name).isVisibleTo(panel)


def error_text(panel: PromptPanel, name: str) -> str:
    label = child(panel, QLabel, f"{name}Error")
    return label.text() if label.isVisibleTo(panel) else ""


def generate_button(panel: PromptPanel) -> QPushButton:
    return child(panel, QPushButton, "generateButton")


def choose(combo: QComboBox, index: int) -> None:
    """As a user picking from the list: the index changes, then ``activated`` is emitted."""
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
