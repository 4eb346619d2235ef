"""Fill, Expand and FLUX.2 local edits end to end: ``services.masks.edit_request`` on real image files, the session
and pipeline over real HTTP against the simulator, into a real library. The local edit's image has the original's
size and its pixels past the mask's feather are the original's, byte for byte; Reproduce sends the same bytes."""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fluxdesk.core.catalog import get_model
from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.masks import FEATHER_REACH_PX, crop_box
from fluxdesk.core.metadata import reproduction_verdict
from fluxdesk.core.pricing import estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.masks import EditError, EditOptions, edit_request
from fluxdesk.services.pipeline import InvalidRequestError
from fluxdesk.services.session import Session
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.metadata_io import read_metadata
from fluxdesk.storage.price_table import bundled_price_table

KEY = "bfl_masks-pipeline-key-0123456789"
SIZE = (640, 480)
MASKED = (250, 180, 360, 270)  # the painted rectangle, right and bottom exclusive


def scene(size: tuple[int, int] = SIZE, seed: int = 2) -> Image.Image:
    rng = random.Random(seed)
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(10):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse((x, y, x + 90, y + 70), fill=tuple(rng.randrange(256) for _ in range(3)))
    return Image.blend(picture, Image.effect_noise(size, 30).convert("RGB"), 0.25)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    original, mask = scene(), Image.new("L", SIZE, 0)
    ImageDraw.Draw(mask).rectangle((MASKED[0], MASKED[1], MASKED[2] - 1, MASKED[3] - 1), fill=255)
    paths = {"image": tmp_path / "photo.png", "mask": tmp_path / "mask.png", "small": tmp_path / "small.png",
             "black": tmp_path / "black.png"}
    original.save(paths["image"], "PNG")
    mask.save(paths["mask"], "PNG")
    mask.resize((320, 240)).save(paths["small"], "PNG")
    Image.new("L", SIZE, 0).save(paths["black"], "PNG")
    return paths


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimConfig(key=KEY, latency=0.1)) as simulator:
        yield simulator


def run(session: Session, request: GenerationRequest) -> str:
    [job_id] = session.generate(request, 1).result(30)
    session.wait_idle(60)
    job = session.library.get_job(job_id)
    assert job is not None and job.status is JobStatus.DONE, job
    return job_id


def decoded(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def posted(sim: Simulator, session: Session, job_id: str) -> dict:
    job = session.library.get_job(job_id)
    assert job is not None and job.task_id is not None
    return sim.task(job.task_id).body


def test_fill_sends_image_and_mask_and_keeps_them_by_sha256(files, sim: Simulator, session: Session) -> None:
    request = edit_request("flux-pro-1.0-fill", files["image"], "a red boat", mask=files["mask"],
                           options=EditOptions(seed=4, steps=30))
    assert estimate(request, bundled_price_table()).credits_per_image == 5
    job_id = run(session, request)
    body = posted(sim, session, job_id)
    assert set(body) == {"prompt", "seed", "steps", "prompt_upsampling", "image", "mask"}
    mask_bytes = base64.b64decode(body["mask"])
    assert Image.open(io.BytesIO(mask_bytes)).size == SIZE
    image = session.library.image_for_job(job_id)
    assert image is not None and (image.width, image.height) == SIZE
    job = session.library.get_job(job_id)
    assert job is not None and job.cost_credits == Decimal(5)
    # image and mask are in the library by SHA-256; the journal names them; the body stored holds no base64
    assert session.library.reference_data(job.request.mask.sha256) == mask_bytes  # type: ignore[union-attr]
    assert session.library.reference_data(job.request.input_images[0].sha256) == base64.b64decode(body["image"])
    stored_body = json.loads(session.library._conn.execute("SELECT body FROM jobs WHERE id = ?",
                                                           (job_id,)).fetchone()[0])
    assert stored_body["mask"].startswith("<omitted") and stored_body["image"].startswith("<omitted")
    # the metadata embedded in the file names the mask too
    record, _a1111 = read_metadata(image.path.read_bytes())
    assert record is not None and record.mask is not None and record.mask.sha256 == job.request.mask.sha256  # type: ignore[union-attr]


def test_expand_arrives_with_the_new_size(files, sim: Simulator, session: Session) -> None:
    request = edit_request("flux-pro-1.0-expand", files["image"], "", sides=(32, 128, 0, 64),
                           options=EditOptions(seed=1))
    priced = estimate(request, bundled_price_table())
    assert priced.credits_per_image == 5 and "not on BFL's price page" in priced.summary()
    job_id = run(session, request)
    image = session.library.image_for_job(job_id)
    assert image is not None and (image.width, image.height) == (640 + 64 + 128, 480 + 32)
    assert decoded(image.path).size == (832, 512)
    assert {k: posted(sim, session, job_id)[k] for k in ("top", "right", "bottom", "left")} == \
        {"top": 32, "right": 128, "bottom": 0, "left": 64}


def test_a_local_edit_has_the_originals_size_and_pixels_past_the_feather(files, sim: Simulator,
                                                                         session: Session) -> None:
    request = edit_request("flux-2-pro", files["image"], "a red boat", mask=files["mask"],
                           options=EditOptions(seed=7))
    box = crop_box(MASKED, SIZE, get_model("flux-2-pro"))
    assert (request.width, request.height) == (box[2] - box[0], box[3] - box[1])
    assert estimate(request, bundled_price_table()).credits_per_image == Decimal("4.5")  # the crop's megapixel
    job_id = run(session, request)

    # Sent: the crop alone, at its size, the original's pixels exactly; no mask field (FLUX.2 takes none).
    body = posted(sim, session, job_id)
    assert "mask" not in body and (body["width"], body["height"]) == (request.width, request.height)
    sent = Image.open(io.BytesIO(base64.b64decode(body["input_image"])))
    original = decoded(files["image"]).convert("RGB")
    assert sent.convert("RGB").tobytes() == original.crop(box).tobytes()

    # Stored: the composite, at the original's size, PNG, untouched past the mask and its feather.
    image = session.library.image_for_job(job_id)
    assert image is not None and image.path.suffix == ".png" and (image.width, image.height) == SIZE
    out = decoded(image.path).convert("RGB")
    before, after = original.load(), out.load()
    reach = FEATHER_REACH_PX
    changed = [(x, y) for y in range(SIZE[1]) for x in range(SIZE[0]) if after[x, y] != before[x, y]]
    assert changed, "the edit shows"
    assert all(MASKED[0] - reach <= x < MASKED[2] + reach and MASKED[1] - reach <= y < MASKED[3] + reach
               for x, y in changed)
    job = session.library.get_job(job_id)
    assert job is not None and job.cost_credits == Decimal("4.5")
    record, _a1111 = read_metadata(image.path.read_bytes())
    assert record is not None and record.crop is not None and record.mask is not None
    assert (record.width, record.height) == SIZE and record.parameters["width"] == request.width


def test_reproducing_a_local_edit_sends_the_same_crop_and_gives_the_same_image(files, sim: Simulator,
                                                                               session: Session) -> None:
    first = run(session, edit_request("flux-2-pro", files["image"], "a red boat", mask=files["mask"],
                                      options=EditOptions(seed=7)))
    original = session.library.image_for_job(first)
    assert original is not None
    again = session.request_for_image(original.id).result(10)
    assert again.mask is not None and not again.mask.data and again.crop is not None and not again.crop.data
    rerun = run(session, again)
    assert posted(sim, session, first)["input_image"] == posted(sim, session, rerun)["input_image"]
    new = session.library.image_for_job(rerun)
    assert new is not None
    assert reproduction_verdict(original.record, new.record).identical is True
    assert decoded(new.path).tobytes() == decoded(original.path).tobytes()


def test_an_edit_of_a_gallery_image_is_made_from_it(files, sim: Simulator, session: Session) -> None:
    source = run(session, GenerationRequest("flux-2-klein-4b", "a harbour", width=512, height=384, seed=2,
                                            output_format="png"))
    made = session.library.image_for_job(source)
    assert made is not None
    mask = Image.new("L", (512, 384))
    ImageDraw.Draw(mask).ellipse((100, 100, 200, 180), fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    edit = edit_request("flux-pro-1.0-fill", made.path, "a boat", mask=buffer.getvalue(), from_image_id=made.id,
                        mask_name="the painted mask")
    job_id = run(session, edit)
    image = session.library.image_for_job(job_id)
    assert image is not None
    [reference] = session.library.made_from(image.id)
    assert reference.from_image_id == made.id
    assert session.library.used_in(made.id) == [image.id]


@pytest.mark.parametrize(("model", "kwargs", "words"), [
    ("flux-pro-1.0-fill", {"mask": "small"}, "the mask is 320×240 pixels and the image 640×480"),
    ("flux-2-pro", {"mask": "black"}, "the mask is all black"),
    ("flux-pro-1.0-fill", {}, "needs a mask"),
    ("flux-pro-1.1", {"mask": "mask"}, "FLUX1.1 [pro] takes no mask"),
    ("flux-pro-1.0-expand", {"sides": (0, 0, 0, 0)}, "every side is 0"),
    ("flux-pro-1.0-expand", {"sides": (0, 4000, 0, 0)}, "each side takes 0 to 2048"),
    ("flux-pro-1.0-fill", {"mask": "missing"}, "is no longer there"),
    ("flux-pro-1.0-expand", {"sides": (2048, 2048, 2048, 2048)}, "more than the largest image FluxDesk keeps"),
])
def test_what_cannot_be_sent_is_refused_before_anything_is(files, tmp_path: Path, sim: Simulator, model: str,
                                                           kwargs: dict, words: str) -> None:
    if "mask" in kwargs:
        kwargs = {**kwargs, "mask": files.get(kwargs["mask"], tmp_path / "gone.png")}
    with pytest.raises(EditError) as err:
        edit_request(model, files["image"], "x", **kwargs)
    assert words in str(err.value)
    assert sim.counters_snapshot().post_requests == 0


def test_the_pipeline_refuses_a_mask_that_no_longer_matches_its_image(files, sim: Simulator,
                                                                       session: Session) -> None:
    from dataclasses import replace

    request = edit_request("flux-2-pro", files["image"], "x", mask=files["mask"])
    assert request.mask is not None
    tampered = replace(request, mask=replace(request.mask, bounds=None, width=320))
    with pytest.raises(InvalidRequestError, match="the mask is 320×480 pixels and the image 640×480"):
        session.generate(tampered).result(30)
    assert sim.counters_snapshot().post_requests == 0
