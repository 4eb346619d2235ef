"""The pipeline when the library cannot be written mid-job (a full disk, a locked or damaged database)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.events import JobDone, JobFailed
from fluxdesk.services.session import Session, SessionOptions
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.db import LibraryError
from fluxdesk.storage.library import Library

KEY = "bfl_pipeline-test-key-0123456789"
REQUEST = GenerationRequest(model="flux-2-klein-4b", prompt="a full disk", width=256, height=256, seed=5)


def test_a_library_write_failing_mid_job_is_said_and_resume_finishes_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by the full-disk drill: with the whole disk full, recording the Ready result raised a
    # LibraryError inside the job's task, which nobody reported: the window's queue row stayed "running"
    # and the CLI printed the billed job as failed with no reason and no charge.
    events: list[object] = []
    lock = threading.Lock()

    def listen(event: object) -> None:
        with lock:
            events.append(event)

    def full(*args: object, **kwargs: object) -> None:
        raise LibraryError("The library database cannot be used: database or disk is full.")

    with Simulator(SimConfig(key=KEY, latency=0.2, max_output_pixels=256 * 256)) as sim:
        session = Session(tmp_path, SessionOptions(api_base=sim.api_base, key=KEY))
        try:
            session.add_listener(listen)
            with monkeypatch.context() as patch:
                patch.setattr(Library, "record_ready", full)
                [job_id] = session.generate(REQUEST).result(30)
                session.wait_idle(60)
            failed = [e for e in events if isinstance(e, JobFailed) and e.job_id == job_id]
            assert len(failed) == 1 and failed[0].billed is True
            assert failed[0].status is JobStatus.SUBMITTED and "disk is full" in failed[0].reason
            assert "resume" in failed[0].reason
            assert session.library.get_job(job_id).status is JobStatus.SUBMITTED  # the record is kept
            session.resume().result(30)
            session.wait_idle(60)
            assert any(isinstance(e, JobDone) and e.job_id == job_id for e in events)
            assert session.library.get_job(job_id).status is JobStatus.DONE
            assert sim.counters_snapshot().tasks_created == 1  # followed again, never resent
        finally:
            session.close()


def test_a_second_attempt_after_a_crash_between_file_and_row_reuses_the_file(tmp_path: Path) -> None:
    # Found by the app crash drill: killed after the image file was in place but before its row was
    # committed, the restart stored the image again as "…-2.jpg" and left the first file orphaned, because
    # the embedded record carried the moment of each attempt, so the two files differed.
    with Simulator(SimConfig(key=KEY, latency=0.2, max_output_pixels=256 * 256)) as sim:
        session = Session(tmp_path, SessionOptions(api_base=sim.api_base, key=KEY))
        try:
            [job_id] = session.generate(REQUEST).result(30)
            session.wait_idle(60)
            first = session.library.image_for_job(job_id)
            assert first is not None
            # The state a SIGKILL between the file's rename and the row's commit leaves behind.
            conn = session.library._conn
            conn.execute("UPDATE jobs SET status = 'downloading', image_id = NULL WHERE id = ?", (job_id,))
            conn.execute("DELETE FROM images")
            time.sleep(0.01)  # a later moment than the first attempt's
            session.resume().result(30)
            session.wait_idle(60)
            second = session.library.image_for_job(job_id)
            assert second is not None and second.path == first.path
            assert [p for p in session.library.library_dir.rglob("*") if p.is_file()] == [first.path]
            assert sim.counters_snapshot().tasks_created == 1
        finally:
            session.close()
