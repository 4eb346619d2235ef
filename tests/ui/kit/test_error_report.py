"""The app's log file: opened with the first record, rotating, and holding every FluxDesk module's warnings."""

from __future__ import annotations

import logging
from pathlib import Path

from fluxdesk.ui.kit.error_report import configure_logging


def _remove_handlers() -> None:
    root = logging.getLogger("fluxdesk")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def test_the_log_file_appears_with_the_first_record_and_keeps_each_one(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "fluxdesk.log"
    configure_logging(log_file)
    try:
        assert not log_file.parent.exists()  # a run that logs nothing leaves nothing behind
        logging.getLogger("fluxdesk.storage.library").warning("image %d is missing", 7)
        logging.getLogger("fluxdesk.ui").error("the slot broke")
        logging.getLogger("fluxdesk.ui").debug("not kept: below INFO")
    finally:
        _remove_handlers()
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("WARNING fluxdesk.storage.library: image 7 is missing")
    assert lines[1].endswith("ERROR fluxdesk.ui: the slot broke")


def test_the_log_file_rotates_instead_of_growing(tmp_path: Path) -> None:
    log_file = tmp_path / "fluxdesk.log"
    configure_logging(log_file)
    try:
        for _ in range(1_300):
            logging.getLogger("fluxdesk").warning("x" * 1_000)
    finally:
        _remove_handlers()
    assert log_file.stat().st_size <= 1_000_000
    assert (tmp_path / "fluxdesk.log.1").is_file()
