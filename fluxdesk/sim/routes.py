"""What each origin answers: the API (submit, credits), the cluster (polls), the delivery (samples)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from fluxdesk.core.catalog import MEGAPIXEL, Model, UnknownModelError, endpoint_ids, get_model
from fluxdesk.core.pricing import PriceTable, estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.sim import faults
from fluxdesk.sim.body import error_detail, request_from_body, upsample, upsampling_on
from fluxdesk.sim.clock import SimClock
from fluxdesk.sim.config import SimConfig, SimCounters
from fluxdesk.sim.faults import FaultDice
from fluxdesk.sim.handler import Request, Response
from fluxdesk.sim.images import ImageCache, ImageSpec, cap_size, requested_size
from fluxdesk.sim.signing import CONTENT_TYPES, SampleSigner
from fluxdesk.sim.tasks import PENDING, READY, REQUEST_MODERATED, TASK_NOT_FOUND, Refusal, Task, TaskStore

NOT_AUTHENTICATED = {"detail": "Not authenticated - Invalid Authentication"}
NOT_FOUND = {"detail": "Not Found"}
_SAMPLE_PATH = re.compile(r"/results/([^/]+)/sample\.([a-z]+)")
_NOT_IMAGE_PARAMETERS = ("seed", "width", "height", "aspect_ratio", "output_format", "prompt_upsampling",
                         "disable_pup")
"""Drawn from the spec's own fields, or (upsampling) through the prompt used."""
SEED_RANGE = 2**32

API, CLUSTER, DELIVERY = "api", "cluster", "delivery"
COUNTERS_PATH = "/_sim/counters"
"""Not BFL's: the counters as JSON, so a benchmark can run the simulator in a process of its own."""


class Origins:
    """The three origins' behaviour over one simulator's shared state."""

    def __init__(self, *, config: Callable[[], SimConfig], lock: threading.RLock, counters: SimCounters,
                 clock: SimClock, store: TaskStore, dice: FaultDice, prices: PriceTable,
                 images: ImageCache, signer: SampleSigner) -> None:
        self._config = config
        self._lock = lock
        self._counters = counters
        self._clock = clock
        self._store = store
        self._dice = dice
        self._prices = prices
        self._images = images
        self._signer = signer
        self._random = random.SystemRandom()
        self.cluster_base = ""
        """Set by the simulator once the cluster origin is bound."""

    # --- the three apps ------------------------------------------------------------------------

    def api(self, req: Request) -> Response:
        self._before()
        if req.path == "/v1/get_result":
            return self._poll(req, API)
        if req.path == "/v1/credits":
            if req.method != "GET":
                return Response.json(405, {"detail": "Method Not Allowed"})
            refused = self._check_key(req)
            return refused or Response.json(200, {"credits": float(self._store.credits)})
        if req.path == COUNTERS_PATH and req.method == "GET":
            return Response.json(200, self._counters_json())
        if req.path.startswith("/v1/") and "/" not in req.path[4:] and req.method == "POST":
            return self._submit(req.path[4:], req)
        if req.path.startswith("/v1/") and req.path[4:] in endpoint_ids():
            return Response.json(405, {"detail": "Method Not Allowed"})
        return Response.json(404, NOT_FOUND)

    def cluster(self, req: Request) -> Response:
        self._before()
        if req.path == "/v1/get_result":
            return self._poll(req, CLUSTER)
        return Response.json(404, NOT_FOUND)

    def delivery(self, req: Request) -> Response:
        self._before()
        match = _SAMPLE_PATH.fullmatch(req.path)
        if match and req.method == "GET":
            task_id = match.group(1)
            with self._lock:
                self._counters.downloads += 1
                if self._store.get(task_id) is not None:
                    self._counters.first_download_at.setdefault(task_id, time.monotonic())
        if "x-key" in req.headers:
            with self._lock:
                self._counters.delivery_requests_with_key += 1
                self._counters.requests_with_key_outside_api += 1
            return Response.text(400, "Signed sample URLs take no credentials: do not send x-key here.")
        if req.path == "/v1/get_result":
            return self._poll(req, DELIVERY)
        if not match:
            return Response.text(404, "Not Found")
        if req.method != "GET":
            return Response.text(405, "Method Not Allowed")
        return self._download(match.group(1), match.group(2), req)

    # --- shared steps --------------------------------------------------------------------------

    def _counters_json(self) -> dict[str, Any]:
        with self._lock:
            data = dataclasses.asdict(self._counters)
        counters: dict[str, Any] = json.loads(json.dumps(data, default=str))
        return counters

    def _before(self) -> None:
        self._store.settle()
        cfg = self._config()
        if self._dice.roll(faults.SLOW, cfg.slow_rate, cfg.fault_seed):
            time.sleep(max(0.0, cfg.slow_seconds))

    def _check_key(self, req: Request) -> Response | None:
        key = req.headers.get("x-key")
        expected = self._config().key
        if not key or (expected is not None and key != expected):
            return Response.json(403, NOT_AUTHENTICATED)
        return None

    # --- submit --------------------------------------------------------------------------------

    def _submit(self, model_id: str, req: Request) -> Response:
        with self._lock:
            self._counters.post_requests += 1
        try:
            model = get_model(model_id)
        except UnknownModelError:
            return Response.json(404, NOT_FOUND)
        refused = self._check_key(req)
        if refused:
            return refused
        try:
            data = json.loads(req.body)
        except (ValueError, UnicodeDecodeError) as exc:
            return Response.json(400, {"detail": f"Malformed JSON body: {exc}"})
        body = request_from_body(model, data)
        request = body.request
        if request is None:
            return Response.json(422, {"detail": error_detail(body.errors)})
        cfg = self._config()
        if self._dice.burst_429(cfg.burst_429, cfg.burst_429_every, cfg.fault_seed):
            return Response.json(429, {"detail": "Too many requests; slow down."}, (("Retry-After", "1"),))
        created = self._create(model, request, body.references, body.mask, data, cfg)
        if isinstance(created, Refusal):
            headers = (("Retry-After", str(created.retry_after)),) if created.retry_after else ()
            return Response.json(created.status, {"detail": created.detail}, headers)
        if self._dice.roll(faults.DROP_POST_AFTER_CREATE, cfg.drop_post_after_create_rate, cfg.fault_seed):
            return Response.dropped()
        return Response.json(200, {
            "id": created.id,
            "polling_url": f"{self.cluster_base}/v1/get_result?id={created.id}",
            "cost": float(created.cost),
            "input_mp": _megapixels(sum(i.pixels or MEGAPIXEL for i in request.input_images)),
            "output_mp": _megapixels(_pixels(requested_size(model, request))),
        })

    def _create(self, model: Model, request: GenerationRequest, references: tuple[bytes | None, ...],
                mask: bytes | None, data: dict[str, Any], cfg: SimConfig) -> Task | Refusal:
        cost = estimate(request, self._prices).credits_per_image
        seed = request.seed if request.seed is not None else self._random.randrange(SEED_RANGE)
        used_prompt = upsample(request.prompt, self._random) if upsampling_on(model, request) else request.prompt
        width, height = cap_size(*requested_size(model, request), cfg.max_output_pixels)
        parameters = {k: v for k, v in request.parameters().items() if k not in _NOT_IMAGE_PARAMETERS}
        # Each reference counts by its bytes (with or without a data: prefix alike), a URL by itself.
        parameters["input_images"] = [hashlib.sha256(raw).hexdigest() if raw is not None else image.data
                                      for image, raw in zip(request.input_images, references, strict=True)]
        first = references[0] if references and not model.image_prompt else None
        if mask is not None:
            parameters["mask"] = hashlib.sha256(mask).hexdigest()
        edit = ("fill" if mask is not None else "expand" if model.expand_sides is not None else "") if first else ""
        spec = ImageSpec(model=model.id, prompt=used_prompt, seed=seed, width=width, height=height,
                         output_format=request.output_format or model.default_output_format,
                         parameters=ImageSpec.parameters_digest(parameters), references=len(references),
                         reference_sha256=hashlib.sha256(first).hexdigest() if first else "",
                         reference=first or b"", edit=edit, sides=request.sides,
                         mask_sha256=parameters.get("mask", ""), mask=mask or b"")
        return self._store.submit(model, request.prompt, used_prompt, seed, data, cost, spec)

    # --- poll ----------------------------------------------------------------------------------

    def _poll(self, req: Request, origin: str) -> Response:
        with self._lock:
            self._counters.polls += 1
            if origin != CLUSTER:
                self._counters.polls_wrong_origin += 1
        if req.method != "GET":
            return Response.json(405, {"detail": "Method Not Allowed"})
        task_id = req.query.get("id")
        if not task_id:
            return Response.json(422, {"detail": [{"loc": ["query", "id"], "msg": "field required",
                                                   "type": "value_error.missing"}]})
        task = self._store.get(task_id)
        if task is not None:
            with self._lock:
                self._counters.polls_per_task[task_id] = self._counters.polls_per_task.get(task_id, 0) + 1
        cfg = self._config()
        if self._dice.roll(faults.DROP, cfg.drop_rate, cfg.fault_seed):
            return Response.dropped()
        if self._dice.roll(faults.POLL_ERROR, cfg.poll_error_rate, cfg.fault_seed):
            status = self._dice.choice((500, 503), cfg.fault_seed)
            return Response.json(status, {"detail": "Internal Server Error" if status == 500
                                          else "Service Unavailable"})
        if task is None:
            return Response.json(404, _status_body(task_id, TASK_NOT_FOUND))
        with self._lock:
            task.early_polls += 1
            early = task.early_polls <= cfg.early_404_polls
        if early:
            self._dice.count(faults.EARLY_404)
            return Response.json(404, _status_body(task_id, TASK_NOT_FOUND))
        return Response.json(200, self._task_status(task))

    def _task_status(self, task: Task) -> dict[str, Any]:
        with self._lock:
            if task.status == PENDING:
                return _status_body(task.id, PENDING, progress=round(self._store.progress(task), 4))
            if task.status == REQUEST_MODERATED:
                return _status_body(task.id, REQUEST_MODERATED,
                                    details={"Moderation Reasons": ["Prompt violates content policy"]})
            assert task.status == READY
            start, end = self._clock.epoch(task.created), self._clock.epoch(task.end)
            return _status_body(task.id, READY, result={
                "sample": task.sample_url, "prompt": task.used_prompt, "seed": task.seed,
                "start_time": start, "end_time": end, "duration": end - start,
            })

    # --- download ------------------------------------------------------------------------------

    def _download(self, task_id: str, ext: str, req: Request) -> Response:
        if ext not in CONTENT_TYPES:
            return Response.text(404, "Not Found")
        signed_expiry = self._signer.verify(task_id, ext, req.query)
        if signed_expiry is None:
            return Response.text(403, "Signature invalid.")
        task = self._store.get(task_id)
        if task is None or task.expires_at is None:
            return Response.text(404, "Not Found")
        if self._clock.epoch() > min(signed_expiry, task.expires_at):
            return Response.text(403, "Signature expired.")
        cfg = self._config()
        if self._dice.roll(faults.DROP, cfg.drop_rate, cfg.fault_seed):
            return Response.dropped()
        if self._dice.roll(faults.DELIVERY_FAILURE, cfg.delivery_failure_rate, cfg.fault_seed):
            return Response.text(500, "Server failed to deliver the sample.")
        return Response(200, self._images.get(task.image), CONTENT_TYPES[ext])


def _status_body(task_id: str, status: str, *, result: dict[str, Any] | None = None,
                 progress: float | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": task_id, "status": status, "result": result, "progress": progress, "details": details,
            "preview": None}


def _pixels(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def _megapixels(pixels: int) -> float:
    """BFL reports ``input_mp``/``output_mp`` in millions of pixels, e.g. 1.05 for 1024×1024."""
    return round(pixels / 1_000_000, 2)
