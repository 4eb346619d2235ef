"""The services report typed events on the network thread; this re-emits them as Qt signals on the GUI thread."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from fluxdesk.services.events import CreditsChanged, Event, JobEvent, QueueStopped


class EventBridge(QObject):
    """Give ``bridge.listener`` to ``Session.add_listener``; connect to the signals on the GUI side."""

    jobEvent = Signal(object)
    queueStopped = Signal(object)
    creditsChanged = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._forward.connect(self._dispatch)

    _forward = Signal(object)

    def listener(self, event: Event) -> None:
        """Called on the network thread: hand the event over to the GUI thread (a queued connection)."""
        with contextlib.suppress(RuntimeError):  # the bridge is being destroyed at exit
            self._forward.emit(event)

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, JobEvent):
            self.jobEvent.emit(event)
        elif isinstance(event, QueueStopped):
            self.queueStopped.emit(event)
        elif isinstance(event, CreditsChanged):
            self.creditsChanged.emit(event.credits)
