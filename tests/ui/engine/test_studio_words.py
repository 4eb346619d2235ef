"""The status bar's words for the studio link, in every phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fluxdesk.services.studio_link import LinkState
from fluxdesk.ui.engine.studio import link_words

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def state(phase: str, queued: int = 3, **fields: object) -> LinkState:
    return LinkState("anna", "postgresql://anna@db.lan/fluxdesk", phase, queued,  # type: ignore[arg-type]
                     NOW - timedelta(minutes=2), at=NOW, **fields)  # type: ignore[arg-type]


def test_each_phase_says_what_it_is_and_a_library_fault_is_not_the_servers() -> None:
    assert link_words(state("synced", 0), 10, NOW)[0] == "Studio: synced 2 min ago · team figures 10 s old"
    assert link_words(state("unreachable", retry_in=8.0), None, NOW)[0] == \
        "Studio: server unreachable — 3 rows wait, retrying in 8 s"
    library = link_words(state("library", 1, retry_in=4.0, error="this FluxDesk's library could not be read"), None,
                         NOW)
    assert library[0] == "Studio: this FluxDesk's library could not be read or written — 1 row waits, retrying in 4 s"
    assert "server" not in library[0] and "could not be read" in library[1]
    waiting = link_words(state("synced", 2, error="images moved … wait until the studio's admin runs init"), 0, NOW)
    assert waiting[0].endswith("· 2 rows wait") and "admin runs init" in waiting[1]
