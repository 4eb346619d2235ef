"""The job pipeline: queue → submit → poll → download → store → ledger, exactly once per job.

Runs on the network thread (see ``runner.py``). The job row is written before its POST and moves
on only when the server's answer is recorded; the image file, its row and the job's ``done`` land in
one transaction. Nothing here ever resends a POST whose outcome is unknown.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from fluxdesk.api import errors as api_errors
from fluxdesk.api.client import BflClient
from fluxdesk.api.polling import SAMPLE_TTL, Result, result_from
from fluxdesk.core.catalog import ALL_MODELS, DEFAULT_CONCURRENCY, UnknownModelError, endpoint_ids, get_model
from fluxdesk.core.jobs import BILLED_STATES, JobStatus
from fluxdesk.core.masks import CropError, crop_box
from fluxdesk.core.metadata import build_record
from fluxdesk.core.pricing import PriceTable, PriceTableError, estimate
from fluxdesk.core.request import (
    FieldError,
    GenerationRequest,
    InputImage,
    is_local_edit,
    reference_name,
    seeds_for,
    validate,
)
from fluxdesk.core.serialize import parse_iso
from fluxdesk.services.events import (
    Event,
    JobDone,
    JobDownloading,
    JobFailed,
    JobProgress,
    JobQueued,
    JobSending,
    JobSubmitted,
    Listener,
    QueueStopped,
)
from fluxdesk.storage.db import LibraryError
from fluxdesk.storage.imaging import ImageDecodeError
from fluxdesk.storage.library import Library, MissingReferenceError, UnknownJobError
from fluxdesk.storage.masks import composite_local_edit, mask_bounds
from fluxdesk.storage.references import ReferenceImageError
from fluxdesk.storage.rows import JobRow

log = logging.getLogger(__name__)
Image = TypeVar("Image", bound=InputImage)

MODEL_IDS = frozenset(endpoint_ids())
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

UNKNOWN_OUTCOME = ("FluxDesk stopped while sending this job, so it cannot tell whether BFL received it. "
                   "It may have been billed; it is not resent automatically.")
NEVER_SENT = "Not sent: FluxDesk closed before this job's turn came."
CANCELLED_BEFORE_SENT = "Cancelled before it was sent."
LIBRARY_UNWRITABLE = ("{error} The job stays in the journal as it was{billed}; FluxDesk finishes it on `resume` "
                      "(or its next start) once the library can be written again.")
EXPIRED_WHILE_AWAY = ("BFL finished and billed this image, but its download link expired (links last 10 minutes) "
                      "before FluxDesk could fetch it. The image is lost; the charge stays in the ledger.")


class InvalidRequestError(ValueError):
    """A request refused before anything was sent; ``errors`` name each field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


@dataclass
class _Queued:
    job_id: str
    request: GenerationRequest
    body: dict[str, Any]
    cancelled: bool = False


class Pipeline:
    """Runs generation jobs against BFL and lands each billed image in the library exactly once."""

    def __init__(self, library: Library, client: BflClient, *, demo: bool = False,
                 listener: Listener | None = None, poll_deadline: float = 600.0,
                 concurrency: int = DEFAULT_CONCURRENCY, price_table: PriceTable | None = None) -> None:
        self._library = library
        self._price_table = price_table
        """For each job's estimated credits: what the ledger counts when BFL's answer carries no cost."""
        self._client = client
        self._demo = demo
        self._listener = listener
        self._poll_deadline = poll_deadline
        self._overall = asyncio.Semaphore(concurrency)
        self._per_model = {m.id: asyncio.Semaphore(m.concurrency) for m in ALL_MODELS if m.concurrency < concurrency}
        self._queued: dict[str, _Queued] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._following: set[str] = set()
        """Jobs this session is polling or downloading, so ``resume`` leaves them alone."""
        self._stop_reason: QueueStopped | None = None

    def _estimated_credits(self, request: GenerationRequest) -> Decimal | None:
        if self._price_table is None:
            return None
        try:
            return estimate(request, self._price_table).credits_per_image
        except (PriceTableError, UnknownModelError):  # no price for the model: BFL's cost is all there is
            return None

    # --- events ---------------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self._listener is None:
            return
        try:
            self._listener(event)
        except Exception:  # a listener's bug must not lose a billed image
            log.exception("event listener failed")

    # --- the queue ------------------------------------------------------------------------------

    async def enqueue(self, request: GenerationRequest, count: int = 1, *,
                      batch_id: str | None = None, project_id: int | None = None) -> list[str]:
        """Queue ``count`` jobs (seeds S, S+1, … when a seed is fixed) for the project ``project_id`` (``None``: no
        project). All are validated first; a project not in the library is refused, nothing sent."""
        if count < 1:
            raise InvalidRequestError([FieldError("count", "must be at least 1")])
        if project_id is not None and await asyncio.to_thread(self._library.project, project_id) is None:
            raise InvalidRequestError([FieldError("project", f"there is no project {project_id} in the library "
                                                             "(deleted meanwhile?)")])
        request = await asyncio.to_thread(self._with_reference_data, request)
        requests = [request.with_seed(seed) for seed in seeds_for(request.seed, count)]
        bodies = []
        for req in requests:
            result = validate(req)
            if not result.ok or result.body is None:  # the body is None exactly when there are errors
                raise InvalidRequestError(result.errors)
            bodies.append(result.body)
        batch_id = batch_id or uuid.uuid4().hex
        self._stop_reason = None  # a new submission after a top-up or a new key starts afresh
        job_ids = []
        for seq, (req, body) in enumerate(zip(requests, bodies, strict=True)):
            job_id = await asyncio.to_thread(self._library.create_job, req, body, demo=self._demo,
                                             batch_id=batch_id, seq=seq, status=JobStatus.QUEUED,
                                             estimated_credits=self._estimated_credits(req), project_id=project_id)
            queued = _Queued(job_id, req, body)
            self._queued[job_id] = queued
            self._emit(JobQueued(job_id, req.model, req.prompt, req.seed, batch_id))
            self._spawn(self._reporting_library_errors(job_id, self._run_job(queued)))
            job_ids.append(job_id)
        return job_ids

    async def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not been sent. A sent job is billed at BFL anyway: it is kept.

        The journal says so first, so a crash before the job's turn never sends it; ``mark_submitting``
        refuses a job the journal holds cancelled, whichever of the two writes comes first."""
        queued = self._queued.get(job_id)
        if queued is None or queued.cancelled:
            return False
        if not await asyncio.to_thread(self._library.cancel_job, job_id, CANCELLED_BEFORE_SENT):
            return False  # on its way already
        queued.cancelled = True
        self._emit(JobFailed(job_id, JobStatus.CANCELLED, CANCELLED_BEFORE_SENT, False))
        return True

    def _with_reference_data(self, request: GenerationRequest) -> GenerationRequest:
        """Every image of the request (its references, a mask, a local edit's crop) with its bytes: new ones kept in
        the library (by SHA-256) before anything is sent, known ones read back from it (a re-run sends the very same
        bytes). An image that cannot be had is refused here, naming it: nothing is sent. A mask not yet measured is
        measured."""
        if not request.input_images and request.mask is None and request.crop is None:
            return request
        model = get_model(request.model) if request.model in MODEL_IDS else None
        field = model.input_image_field(0) if model is not None else "input_image"
        edited = model is not None and (model.tool or request.mask is not None)
        images = []
        for index, image in enumerate(request.input_images):
            name = ("the image to edit" if edited else reference_name(index)) + (
                f" ({Path(image.source).name})" if image.source else "")
            images.append(self._image_data(image, name, field))
        mask = request.mask
        if mask is not None:
            mask = self._image_data(mask, "the mask", "mask")
            if mask.bounds is None:
                try:
                    mask = replace(mask, bounds=mask_bounds(base64.b64decode(mask.data)))
                except ReferenceImageError as exc:
                    raise InvalidRequestError([FieldError("mask", str(exc))]) from None
        crop = None if request.crop is None else self._image_data(request.crop, "the crop around the mask", field)
        return replace(request, input_images=tuple(images), mask=mask, crop=crop)

    def _image_data(self, image: Image, name: str, field: str) -> Image:
        if image.data:
            try:
                data = base64.b64decode(image.data, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidRequestError([FieldError(field, f"{name} is not base64 image data")]) from None
            extension = "png" if data.startswith(PNG_SIGNATURE) else "jpg"
            sha256, _path = self._library.store_reference(data, extension)
            if image.sha256 is not None and image.sha256 != sha256:
                raise InvalidRequestError([FieldError(field, f"{name} changed since it was prepared")])
            return replace(image, sha256=sha256)
        if image.sha256 is not None:
            try:
                data = self._library.reference_data(image.sha256)
            except MissingReferenceError as exc:
                raise InvalidRequestError([FieldError(field, f"{name}: {exc}, so it cannot be sent again. "
                                                             "Nothing was sent.")]) from None
            return replace(image, data=base64.b64encode(data).decode("ascii"))
        raise InvalidRequestError([FieldError(field, f"{name} has no image data")])

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait until every job started so far has reached a final state."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop every job where it stands. Rows keep their state: ``resume`` picks them up next time."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    # --- one job --------------------------------------------------------------------------------

    async def _run_job(self, queued: _Queued) -> None:
        model_sem = self._per_model.get(queued.request.model)
        try:
            async with self._overall:
                if model_sem is not None:
                    await model_sem.acquire()
                try:
                    await self._send_and_finish(queued)
                finally:
                    if model_sem is not None:
                        model_sem.release()
        finally:
            self._queued.pop(queued.job_id, None)

    async def _send_and_finish(self, queued: _Queued) -> None:
        job_id = queued.job_id
        if queued.cancelled:
            return  # journalled and said by ``cancel``
        if self._stop_reason is not None:
            await self._finish(job_id, JobStatus.CANCELLED, self._stop_reason.reason)
            return
        # The row says "sending" *before* the POST: after a crash this job is never resent.
        self._queued.pop(job_id, None)
        if not await asyncio.to_thread(self._library.mark_submitting, job_id):
            return  # cancelled in the journal (by ``cancel``, another window, the CLI): nothing is sent
        self._emit(JobSending(job_id))  # until now the job was waiting (and cancellable); from here it is not
        try:
            submission = await self._client.submit(queued.body, queued.request.model)
        except api_errors.SubmitOutcomeUnknownError as exc:
            await self._finish(job_id, JobStatus.UNKNOWN, exc.message)
            return
        except (api_errors.InsufficientCreditsError, api_errors.AuthError) as exc:
            await self._finish(job_id, JobStatus.FAILED, exc.message)
            self._stop_queue(exc)
            return
        except api_errors.ValidationError as exc:
            await self._finish(job_id, JobStatus.FAILED, exc.message, tuple(exc.field_errors))
            return
        except api_errors.BflError as exc:
            await self._finish(job_id, JobStatus.FAILED, exc.message)
            return
        await asyncio.to_thread(self._library.record_submission, job_id, submission.id, submission.polling_url,
                                submission.cost, submission.input_mp, submission.output_mp)
        self._emit(JobSubmitted(job_id, submission.id, submission.cost))
        await self._follow(job_id, submission.polling_url, submitted_at=time.monotonic())

    def _stop_queue(self, exc: api_errors.BflError) -> None:
        if self._stop_reason is not None:
            return
        needs_key = isinstance(exc, api_errors.AuthError)
        reason = exc.message + (" Jobs not yet sent were cancelled." if self._queued else "")
        self._stop_reason = QueueStopped(reason, needs_key=needs_key, needs_credits=not needs_key)
        self._emit(self._stop_reason)

    async def _follow(self, job_id: str, polling_url: str, *, submitted_at: float | None) -> None:
        """Poll until Ready, then download and store. Every path ends in a final state."""
        self._following.add(job_id)
        try:
            await self._poll_then_store(job_id, polling_url, submitted_at)
        finally:
            self._following.discard(job_id)

    async def _poll_then_store(self, job_id: str, polling_url: str, submitted_at: float | None) -> None:
        def on_progress(progress: float | None) -> None:
            self._emit(JobProgress(job_id, progress))

        try:
            result = await self._client.wait(polling_url, on_progress=on_progress, deadline=self._poll_deadline,
                                             submitted_at=submitted_at)
        except api_errors.ModeratedError as exc:
            await self._finish(job_id, JobStatus.MODERATED, exc.message)
            return
        except api_errors.BflError as exc:
            await self._finish(job_id, JobStatus.FAILED, exc.message)
            return
        expires_at = result.expires_at or time.time() + SAMPLE_TTL
        await asyncio.to_thread(self._library.record_ready, job_id, result.raw, result.sample_url, expires_at)
        await self._download_and_store(job_id, result, expires_at)

    async def _download_and_store(self, job_id: str, result: Result, expires_at: float) -> None:
        self._emit(JobDownloading(job_id))
        try:
            sample = await self._client.download(result.sample_url, expires_at=expires_at)
        except api_errors.ResultExpiredError as exc:
            await self._finish(job_id, JobStatus.EXPIRED, exc.message)
            return
        except api_errors.BflError as exc:
            # Billed but not downloaded: keep DOWNLOADING so `resume` can still fetch it until it expires.
            await self._finish_billed_failure(job_id, exc.message, expires_at)
            return
        job = await asyncio.to_thread(self._library.get_job, job_id)
        if job is None:  # its row is gone: said as a library error, not an AttributeError nobody sees
            raise UnknownJobError(f"there is no job {job_id} in the library")
        data, extension = sample.data, sample.extension
        if job.request.model in MODEL_IDS and is_local_edit(job.request):
            try:
                data, extension = await asyncio.to_thread(self._composited, job.request, sample.data), "png"
            except (ReferenceImageError, MissingReferenceError, CropError, ValueError) as exc:
                await self._finish_billed_failure(
                    job_id, f"The edited part could not be put back into the image ({exc}).", expires_at)
                return
        inner = result.raw.get("result")
        # The job's own time, not the clock's: a second attempt after a crash between writing the file and
        # recording it must embed the same record, so the library finds the file already there instead of
        # keeping it as an orphan beside a "-2" copy.
        record = build_record(job.request, inner if isinstance(inner, dict) else None, job_id=job_id,
                              task_id=job.task_id, cost_credits=job.cost_credits, demo=job.demo,
                              created_at=parse_iso(job.created_at), project=job.project_name)
        try:
            # store_image decodes the bytes fully before anything counts as done.
            image = await asyncio.to_thread(self._library.store_image, job_id, data, extension, record)
        except ImageDecodeError as exc:
            await self._finish_billed_failure(job_id, f"The downloaded image is damaged ({exc}).", expires_at)
            return
        except OSError as exc:
            await self._finish_billed_failure(job_id, f"Could not save the image: {exc.strerror or exc}.",
                                              expires_at)
            return
        self._emit(JobDone(job_id, image.id, str(image.path), result.seed, job.cost_credits))

    def _composited(self, request: GenerationRequest, edited: bytes) -> bytes:
        """A local edit's answer (the edited crop) composited back into the image it was cut from, through its mask
        (``storage.masks``): the image's size, untouched past the mask's feather."""
        image, mask = request.input_images[0], request.mask
        if mask is None or image.sha256 is None or mask.sha256 is None or image.width is None or image.height is None:
            raise ValueError("the journal does not name the image and mask of this local edit")
        original = self._library.reference_data(image.sha256)
        mask_data = self._library.reference_data(mask.sha256)
        bounds = mask.bounds if mask.bounds is not None else mask_bounds(mask_data)
        box = crop_box(bounds, (image.width, image.height), get_model(request.model))
        return composite_local_edit(original, mask_data, edited, box)

    async def _finish_billed_failure(self, job_id: str, reason: str, expires_at: float) -> None:
        """A Ready job whose image could not be kept: it stays resumable until its sample expires."""
        await asyncio.to_thread(self._library.note_error, job_id, reason)
        minutes = max(0, int((expires_at - time.time()) // 60))
        self._emit(JobFailed(job_id, JobStatus.DOWNLOADING,
                             f"{reason} BFL billed it; FluxDesk will retry the download on `resume` "
                             f"(the link expires in about {minutes} min).", True))

    async def _finish(self, job_id: str, status: JobStatus, reason: str,
                      field_errors: tuple[FieldError, ...] = ()) -> None:
        await asyncio.to_thread(self._library.finish_job, job_id, status, reason)
        self._emit(JobFailed(job_id, status, reason, status in BILLED_STATES, field_errors))

    async def _reporting_library_errors(self, job_id: str, work: Coroutine[Any, Any, None]) -> None:
        """Run one job's work; a library write that fails on the way (a full disk, a database locked or
        damaged) leaves the job in the journal where it stood, and is said, not left unfinished in silence."""
        try:
            await work
        except LibraryError as exc:
            try:
                job = await asyncio.to_thread(self._library.get_job, job_id)
            except LibraryError:
                job = None
            status = job.status if job is not None else JobStatus.UNKNOWN
            if status is JobStatus.SUBMITTING:
                status = JobStatus.UNKNOWN  # sent, perhaps accepted, but its id could not be recorded
            billed = status in (JobStatus.SUBMITTED, JobStatus.DOWNLOADING)
            reason = LIBRARY_UNWRITABLE.format(error=exc, billed=" (BFL bills it once it is ready)" if billed else "")
            self._emit(JobFailed(job_id, status, reason, billed))

    # --- after a crash --------------------------------------------------------------------------

    async def resume(self) -> list[str]:
        """Finish what a previous run left: poll and download what BFL took; never resend a POST."""
        rows = await asyncio.to_thread(self._library.unfinished_jobs)
        touched = []
        for job in rows:
            if job.id in self._queued or job.id in self._following:
                continue
            touched.append(job.id)
            if job.status is JobStatus.QUEUED:
                await self._finish(job.id, JobStatus.CANCELLED, NEVER_SENT)
            elif job.status is JobStatus.SUBMITTING:
                await self._finish(job.id, JobStatus.UNKNOWN, UNKNOWN_OUTCOME)
            elif job.status is JobStatus.SUBMITTED:
                # A row without a polling URL (never written so) fails the host check: FAILED, as with None.
                self._spawn(self._reporting_library_errors(
                    job.id, self._follow(job.id, job.polling_url or "", submitted_at=None)))
            elif job.status is JobStatus.DOWNLOADING:
                self._spawn(self._reporting_library_errors(job.id, self._resume_download(job)))
        return touched

    async def _resume_download(self, job: JobRow) -> None:
        self._following.add(job.id)
        try:
            await self._fetch_again(job)
        finally:
            self._following.discard(job.id)

    async def _fetch_again(self, job: JobRow) -> None:
        expires_at = job.sample_expires_at or 0.0
        if time.time() >= expires_at:
            await self._finish(job.id, JobStatus.EXPIRED, EXPIRED_WHILE_AWAY)
            return
        try:
            result = result_from(job.result or {})
        except api_errors.BflError as exc:
            await self._finish(job.id, JobStatus.FAILED, exc.message)
            return
        await self._download_and_store(job.id, result, expires_at)

