"""A tab whose real widget is built the first time it is shown: its imports (QtCharts, say) and its first
queries stay off the window's start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

W = TypeVar("W", bound=QWidget)


class LazyTab(QWidget, Generic[W]):
    """Holds ``factory()``'s widget once built; ``built`` is emitted through ``on_built`` callbacks."""

    def __init__(self, factory: Callable[[], W], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._widget: W | None = None
        self._on_built: list[Callable[[W], None]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def widget(self) -> W | None:
        return self._widget

    def when_built(self, callback: Callable[[W], None]) -> None:
        """Call ``callback(widget)`` now if built, else as soon as it is."""
        if self._widget is not None:
            callback(self._widget)
        else:
            self._on_built.append(callback)

    def if_built(self, callback: Callable[[W], None]) -> None:
        """Call ``callback(widget)`` only if it is built (state the factory reads anyway when it builds)."""
        if self._widget is not None:
            callback(self._widget)

    def build(self) -> W:
        if self._widget is None:
            self._widget = self._factory()
            self._layout.addWidget(self._widget)
            for callback in self._on_built:
                callback(self._widget)
            self._on_built.clear()
        return self._widget

    def showEvent(self, event: QShowEvent) -> None:
        self.build()
        super().showEvent(event)
