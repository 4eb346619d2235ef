"""A job records the project it was sent for, against the simulator over loopback: its row, the ledger, the image's
embedded record (and its A1111 text), the project's last use; an unknown project is refused before anything is
sent; the picker's view of the library offers and makes projects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fluxdesk.core.projects import ProjectError
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.library_views import LibraryViews, ProjectChoices
from fluxdesk.services.pipeline import InvalidRequestError
from fluxdesk.services.session import Session, SessionOptions, request_for_image
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.library import Library
from fluxdesk.storage.metadata_io import read_metadata

KEY = "bfl_projects-test-key-0123456789"
REQUEST = GenerationRequest(model="flux-2-pro", prompt="a poster for Acme", width=512, height=512, seed=5)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimConfig(key=KEY, latency=0.1, max_output_pixels=256 * 256)) as simulator:
        yield simulator


@pytest.fixture
def session(tmp_path: Path, sim: Simulator) -> Iterator[Session]:
    with Session(tmp_path / "home", SessionOptions(api_base=sim.api_base, key=KEY)) as opened:
        yield opened


def test_a_job_records_its_project_in_its_row_the_ledger_and_the_image(session: Session, sim: Simulator) -> None:
    library = session.library
    acme = library.ensure_project("Acme: spring, 2027")  # a colon and a comma: the A1111 text quotes it
    job_ids = session.generate(REQUEST, 2, project_id=acme.id).result(30)
    [plain] = session.generate(REQUEST.with_seed(9), 1).result(30)
    session.wait_idle(60)
    for job_id in job_ids:
        job = library.get_job(job_id)
        assert job is not None and (job.project_id, job.project_name) == (acme.id, "Acme: spring, 2027")
        image = library.image_for_job(job_id)
        assert image is not None and image.project_id == acme.id and image.record.project == "Acme: spring, 2027"
        record, a1111 = read_metadata(image.path.read_bytes())
        assert record is not None and record.project == "Acme: spring, 2027"
        assert a1111 is not None and a1111["extra"]["Project"] == "Acme: spring, 2027"
        assert a1111["seed"] == image.seed and a1111["model"] == "flux-2-pro"  # the rest still reads
    none = library.get_job(plain)
    assert none is not None and none.project_id is None
    image = library.image_for_job(plain)
    assert image is not None and image.record.project is None and "Project" not in read_metadata(
        image.path.read_bytes())[1]["extra"]
    used = library.project(acme.id)
    assert used is not None and used.last_used_at is not None
    ledger = {row.job_id: row for row in library.ledger_rows(None, include_demo=True)}
    assert [ledger[j].project_name for j in job_ids] == ["Acme: spring, 2027"] * 2 and ledger[plain].project_id is None


def test_a_project_that_is_not_in_the_library_is_refused_before_anything_is_sent(session: Session,
                                                                                 sim: Simulator) -> None:
    posts = sim.counters.post_requests
    with pytest.raises(InvalidRequestError, match="no project 42"):
        session.generate(REQUEST, 1, project_id=42).result(30)
    assert sim.counters.post_requests == posts and session.library.unfinished_jobs() == []


def test_reproducing_reads_the_originals_project(session: Session) -> None:
    library = session.library
    globex = library.ensure_project("Globex")
    [job_id] = session.generate(REQUEST, 1, project_id=globex.id).result(30)
    session.wait_idle(60)
    image = library.image_for_job(job_id)
    assert image is not None and library.project_of_image(image.id) == globex.id
    again = request_for_image(library, image.id)
    [second] = session.generate(again, 1, project_id=library.project_of_image(image.id)).result(30)
    session.wait_idle(60)
    assert library.get_job(second).project_id == globex.id


def test_the_pickers_view_offers_projects_and_makes_new_ones(tmp_path: Path) -> None:
    with Library.open(tmp_path / "home") as library:
        views = LibraryViews.of(library, demo=False)
        choices = views.projects
        assert isinstance(choices, ProjectChoices) and choices.recent() == []
        acme = choices.choose(" Acme ")
        assert choices.choose("ACME") == acme and [p.name for p in choices.recent()] == ["Acme"]
        library.archive_project(acme.id)
        assert choices.recent() == []
        with pytest.raises(ProjectError, match="Acme is archived"):
            choices.choose("acme")
        with pytest.raises(ProjectError, match="at most 80"):
            choices.choose("x" * 81)
        views.close()
