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


def test_every_job_records_its_estimate_for_the_ledger_when_bfl_gives_no_cost(tmp_path: Path) -> None:
    from decimal import Decimal

    from fluxdesk.core.request import GenerationRequest
    from fluxdesk.sim import SimConfig, Simulator

    key = "bfl_session-test-key-0123456789"
    request = GenerationRequest(model="flux-2-pro", prompt="a fox", width=1920, height=1088, seed=3)
    with Simulator(SimConfig(key=key, latency=0.1)) as sim:
        session = Session(tmp_path, SessionOptions(api_base=sim.api_base, key=key))
        try:
            job_ids = session.generate(request, 2).result(timeout=10)
            session.wait_idle(timeout=20)
            jobs = [session.library.get_job(job_id) for job_id in job_ids]
        finally:
            session.close()
    assert [job.estimated_credits for job in jobs] == [Decimal("4.5"), Decimal("4.5")]  # 3 + 1.5 for 2 MP


def test_without_a_key_the_library_opens_and_generating_says_what_to_do(tmp_path: Path) -> None:
    from fluxdesk.core.request import GenerationRequest
    from fluxdesk.services.session import NoKeyError

    with Session(tmp_path, SessionOptions(api_base="https://api.bfl.ai", key=None)) as session:
        assert not session.has_key and not session.busy
        assert session.library.image_models() == []  # browsable
        assert session.resume().result(timeout=10) == []
        with pytest.raises(NoKeyError, match=r"Add a BFL API key in Settings \(Ctrl\+,\) to generate"):
            session.generate(GenerationRequest(model="flux-dev", prompt="x")).result(timeout=10)
        with pytest.raises(NoKeyError):
            session.credits().result(timeout=10)


@pytest.mark.parametrize(("api_base", "simulated"), [
    ("http://127.0.0.1:8123", True), ("http://localhost:9", True), ("http://[::1]:80", True),
    ("https://api.bfl.ai", False), ("https://api.eu.bfl.ai", False), ("not a url", False)])
def test_a_loopback_api_base_is_a_simulator_and_uses_the_demo_library(tmp_path: Path, api_base: str,
                                                                      simulated: bool) -> None:
    from fluxdesk.services.session import library_home
    from fluxdesk.storage.paths import demo_home

    assert library_home(tmp_path, api_base) == ((demo_home(tmp_path), True) if simulated else (tmp_path, False))


def test_a_session_closed_under_a_credits_read_lets_it_finish_and_leaves_no_socket_open(tmp_path: Path) -> None:
    """Cancelling a read just after its connection was made leaves that socket open (owned by nobody, found by the
    garbage collector much later, in whatever test runs then): a closing session lets a short read finish first."""
    import gc
    import warnings
    from decimal import Decimal

    from fluxdesk.sim import SimConfig, Simulator

    key = "bfl_session-test-key-0123456789"
    with Simulator(SimConfig(key=key, latency=0.3, credits=Decimal(42))) as sim:
        session = Session(tmp_path, SessionOptions(api_base=sim.api_base, key=key))
        read = session.credits()
        session.close()  # at once: the read is still on its way
    assert read.result(timeout=0) == Decimal(42)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
