"""Starting a session: when it cannot start, what it opened is closed again."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluxdesk.services.session import Session, SessionOptions
from fluxdesk.storage.library import Library


def test_a_session_that_cannot_start_closes_the_library_it_opened(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[Library] = []
    real_close = Library.close
    monkeypatch.setattr(Library, "close", lambda self: (closed.append(self), real_close(self))[1])
    with pytest.raises(ValueError, match="visible ASCII"):
        Session(tmp_path, SessionOptions(api_base="http://127.0.0.1:9", key="bfl key with spaces"))
    assert len(closed) == 1
    # A library the caller passed in stays the caller's to close.
    library = Library.open(tmp_path)
    try:
        with pytest.raises(ValueError):
            Session(tmp_path, SessionOptions(api_base="http://127.0.0.1:9", key="bad key"), library=library)
        assert len(closed) == 1
        assert library.get_image(1) is None  # still open and usable
    finally:
        library.close()
