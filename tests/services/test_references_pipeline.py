"""Edits with references through the session and pipeline, over real HTTP against the simulator, into a real
library: references kept once by SHA-256, sent as base64, re-sent byte for byte by Reproduce, refused by name when
gone."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from fluxdesk.core.catalog import MEGAPIXEL
from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import reproduction_verdict
from fluxdesk.core.request import GenerationRequest, InputImage
from fluxdesk.services.pipeline import InvalidRequestError
from fluxdesk.services.session import Session
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.references import PreparedReference, prepare_reference

KEY = "bfl_pipeline-test-key-0123456789"


def photo(path: Path, size: tuple[int, int] = (1600, 1200), colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
    image = Image.new("RGB", size, (30, 120, 200))
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=colour)
    image.save(path, "JPEG", quality=90)
    return path


def edit(*references: PreparedReference, model: str = "flux-2-klein-4b", seed: int = 11) -> GenerationRequest:
    return GenerationRequest(model=model, prompt="put image 1 on a beach", width=256, height=256, seed=seed,
                             input_images=tuple(r.input_image() for r in references))


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimConfig(key=KEY, latency=0.1, max_output_pixels=256 * 256)) as simulator:
        yield simulator


def stored_files(session: Session) -> list[Path]:
    return sorted(p for p in session.library.references_dir.rglob("*") if p.is_file())


def journalled_request(session: Session, job_id: str) -> dict[str, Any]:
    row = session.library._conn.execute("SELECT request FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return json.loads(row[0])


def run(session: Session, request: GenerationRequest, count: int = 1) -> list[str]:
    job_ids = session.generate(request, count).result(30)
    session.wait_idle(60)
    for job_id in job_ids:
        job = session.library.get_job(job_id)
        assert job is not None and job.status is JobStatus.DONE, job
    return job_ids


def test_an_edit_stores_its_reference_once_journals_its_sha256_and_posts_its_base64(
        tmp_path: Path, sim: Simulator, session: Session) -> None:
    prepared = prepare_reference(photo(tmp_path / "product.jpg"), max_pixels=256 * 256)
    assert prepared.downscaled and prepared.width * prepared.height <= 256 * 256
    job_ids = run(session, edit(prepared), count=2)

    # Kept once, by the SHA-256 of the bytes sent, though two jobs used it.
    assert stored_files(session) == [session.library.references_dir / prepared.sha256[:2] / f"{prepared.sha256}.jpg"]
    assert session.library.reference_data(prepared.sha256) == prepared.data

    for job_id in job_ids:
        # The journal names the reference; the megabytes of base64 stay out of it.
        journalled = journalled_request(session, job_id)
        assert journalled["input_images"] == [{"sha256": prepared.sha256, "width": prepared.width,
                                               "height": prepared.height, "source": str(tmp_path / "product.jpg")}]
        raw = session.library._conn.execute("SELECT request, body FROM jobs WHERE id = ?", (job_id,)).fetchone()
        encoded = base64.b64encode(prepared.data).decode()
        assert encoded[:200] not in raw[0] and encoded[:200] not in raw[1]
        # What went over the wire was the base64 of those very bytes.
        job = session.library.get_job(job_id)
        assert job is not None and job.task_id is not None
        posted = sim.task(job.task_id).body
        assert base64.b64decode(posted["input_image"]) == prepared.data
        assert "input_image_2" not in posted
        # The image's record lists the reference, never its bytes.
        image = session.library.image_for_job(job_id)
        assert image is not None
        assert [(r.sha256, r.width, r.height) for r in image.record.references] == [
            (prepared.sha256, prepared.width, prepared.height)]
        assert encoded[:200] not in image.record_json
    assert sim.counters_snapshot().tasks_created == 2


def test_reproduce_sends_the_same_bytes_and_gets_a_byte_identical_image(
        tmp_path: Path, sim: Simulator, session: Session) -> None:
    first = prepare_reference(photo(tmp_path / "a.jpg"), max_pixels=256 * 256)
    second = prepare_reference(photo(tmp_path / "b.jpg", colour=(40, 200, 40)), max_pixels=256 * 256)
    [job_id] = run(session, edit(first, second))
    original = session.library.image_for_job(job_id)
    assert original is not None

    # Reproduce: the job's stored request, with the seed used, enqueued again.
    again = session.request_for_image(original.id).result(10)
    assert all(not image.data for image in again.input_images)  # only SHA-256s: the library has the bytes
    [rerun_id] = run(session, again)
    rerun = session.library.image_for_job(rerun_id)
    assert rerun is not None

    bodies = [sim.task(session.library.get_job(j).task_id).body for j in (job_id, rerun_id)]  # type: ignore[union-attr]
    for field, prepared in (("input_image", first), ("input_image_2", second)):
        assert bodies[0][field] == bodies[1][field]
        assert base64.b64decode(bodies[1][field]) == prepared.data
    verdict = reproduction_verdict(original.record, rerun.record)
    assert verdict.identical is True, verdict.text()
    assert original.record.sample_sha256 == rerun.record.sample_sha256
    assert len(stored_files(session)) == 2


def test_a_reference_deleted_from_the_library_is_named_and_nothing_is_sent(
        tmp_path: Path, sim: Simulator, session: Session) -> None:
    prepared = prepare_reference(photo(tmp_path / "photo.jpg"), max_pixels=256 * 256)
    [job_id] = run(session, edit(prepared))
    image = session.library.image_for_job(job_id)
    assert image is not None
    posts = sim.counters_snapshot().post_requests
    session.library.reference_path(prepared.sha256).unlink()  # type: ignore[union-attr]

    again = session.request_for_image(image.id).result(10)
    with pytest.raises(InvalidRequestError) as err:
        session.generate(again).result(30)
    message = str(err.value)
    assert message.startswith("input_image: image 1 (photo.jpg): the reference image "), message
    assert "no longer in the library" in message and "Nothing was sent" in message
    assert [e.field for e in err.value.errors] == ["input_image"]
    session.wait_idle(10)
    assert sim.counters_snapshot().post_requests == posts  # the simulator saw no POST
    assert len(session.library.jobs_with_status(*JobStatus)) == 1  # and nothing was journalled


def test_a_flux11_image_prompt_goes_as_image_prompt(tmp_path: Path, sim: Simulator, session: Session) -> None:
    prepared = prepare_reference(photo(tmp_path / "mood.jpg", size=(640, 480)), max_pixels=MEGAPIXEL)
    request = GenerationRequest(model="flux-pro-1.1", prompt="in this mood", width=256, height=256, seed=3,
                                input_images=(prepared.input_image(),))
    [job_id] = run(session, request)
    job = session.library.get_job(job_id)
    assert job is not None and job.task_id is not None
    posted = sim.task(job.task_id).body
    assert base64.b64decode(posted["image_prompt"]) == prepared.data and "input_image" not in posted
    assert journalled_request(session, job_id)["input_images"][0]["sha256"] == prepared.sha256


def test_an_edit_costs_what_the_simulator_bills(tmp_path: Path, sim: Simulator, session: Session) -> None:
    prepared = prepare_reference(photo(tmp_path / "big.jpg", size=(2048, 1536)), max_pixels=2 * MEGAPIXEL)
    assert prepared.width * prepared.height > MEGAPIXEL  # 2 MP billed
    request = GenerationRequest(model="flux-2-pro", prompt="p", width=256, height=256, seed=1, disable_pup=True,
                                input_images=(prepared.input_image(),))
    [job_id] = run(session, request)
    job = session.library.get_job(job_id)
    assert job is not None and job.cost_credits == Decimal(6)  # 3 + 1.5 × 2, as BFL's rule bills it
    assert job.input_mp == pytest.approx(prepared.width * prepared.height / 1_000_000, abs=0.01)


def test_pasted_bytes_that_are_not_base64_are_refused_before_sending(sim: Simulator, session: Session) -> None:
    bad = GenerationRequest(model="flux-2-klein-4b", prompt="p", width=256, height=256,
                            input_images=(InputImage("not base64!", 64, 64, source="pasted"),))
    with pytest.raises(InvalidRequestError, match=r"image 1 \(pasted\) is not base64 image data"):
        session.generate(bad).result(30)
    assert sim.counters_snapshot().post_requests == 0 and stored_files(session) == []
