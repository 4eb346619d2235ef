"""`fluxdesk generate`, `reproduce` and `resume`: the job pipeline without the window."""

from __future__ import annotations

import argparse
import base64
import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, json_number, print_json
from fluxdesk.cli.estimate import add_request_arguments, checked, request_from_args, with_images
from fluxdesk.cli.references import input_images_json
from fluxdesk.core.catalog import Model, get_model
from fluxdesk.core.jobs import BILLED_STATES, JobStatus
from fluxdesk.core.metadata import ImageRecord, MetadataError, reproduction_verdict, settings_from_metadata
from fluxdesk.core.pricing import format_credits
from fluxdesk.core.request import GenerationRequest, InputImage, reference_name, seeds_for

if TYPE_CHECKING:
    from fluxdesk.storage.rows import JobRow

Image = TypeVar("Image", bound=InputImage)

STATUS_WORDS = {
    JobStatus.DONE: "done",
    JobStatus.FAILED: "failed",
    JobStatus.MODERATED: "moderated",
    JobStatus.EXPIRED: "expired",
    JobStatus.UNKNOWN: "unknown",
    JobStatus.CANCELLED: "failed",
    JobStatus.DOWNLOADING: "failed",  # billed, not yet downloaded: `resume` retries while the link lives
}


@dataclass
class _Outcome:
    job_id: str
    status: str = "failed"
    path: str | None = None
    error: str | None = None


@dataclass
class _Collector:
    """Collects what became of a set of jobs, and prints each as it ends."""

    as_json: bool
    wanted: set[str] = field(default_factory=set)
    outcomes: dict[str, _Outcome] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Any) -> None:
        from fluxdesk.services.events import JobDone, JobFailed

        if isinstance(event, JobDone):
            outcome = _Outcome(event.job_id, "done", event.path)
        elif isinstance(event, JobFailed):
            outcome = _Outcome(event.job_id, STATUS_WORDS.get(event.status, "failed"), None, event.reason)
        else:
            return
        with self.lock:
            if self.wanted and event.job_id not in self.wanted:
                return
            self.outcomes[event.job_id] = outcome


def _charged(job: JobRow | None) -> Decimal | None:
    """What BFL charged: its cost for billed jobs, nothing for moderated or failed ones, unknown when the
    POST's outcome is unknown."""
    if job is None or job.status is JobStatus.UNKNOWN:
        return None
    if job.status in BILLED_STATES or job.status in (JobStatus.SUBMITTED, JobStatus.DOWNLOADING):
        return job.cost_credits  # submitted or downloading: BFL bills it once it is ready
    return Decimal(0)


def _job_line(library: Any, outcome: _Outcome, as_json: bool) -> None:
    job = library.get_job(outcome.job_id)
    image = library.image_for_job(outcome.job_id) if job is not None else None
    seed = image.seed if image is not None else (job.request.seed if job is not None else None)
    seed_text = "random" if seed is None else str(seed)
    cost = _charged(job)
    if as_json:
        print_json({
            "job_id": outcome.job_id,
            "status": outcome.status,
            "path": outcome.path,
            "model": job.model if job else None,
            "prompt": job.prompt if job else None,
            "seed": seed,
            "cost_credits": json_number(cost),
            "error": outcome.error,
            "references": input_images_json(job.request.input_images) if job else [],
            "project": job.project_name if job else None,
        })
        return
    model = job.model if job else "?"
    price = "charge unknown" if cost is None else (f"{format_credits(cost)} credits" if cost else "no charge")
    if outcome.status == "done":
        print(f"done       {model}  seed {seed_text}  {price}  {outcome.path}", flush=True)
    else:
        print(f"{outcome.status:<10} {model}  seed {seed_text}  {price}  {outcome.error}", flush=True)


# --- opening the engine -------------------------------------------------------------------------

def open_session(*, demo: bool = False, settings: Any = None) -> Any:
    """The engine on FLUXDESK_HOME's library, the API base from FLUXDESK_API_BASE or the settings' region
    (``settings``, if the caller read them already), the key from BFL_API_KEY or the keyring. A missing key
    is a ``UsageError``: nothing can be sent.

    ``demo``: the app's offline demo instead, a simulator started here on the demo library (no key needed).
    A ``FLUXDESK_API_BASE`` on loopback is a simulator too: its images go to the demo library, marked demo.
    """
    from fluxdesk.api.errors import HostPolicyError
    from fluxdesk.api.hosts import HostPolicy
    from fluxdesk.services.session import Session, SessionOptions, library_home, resolve_api_base
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.secrets import KeyStore, KeyStoreError
    from fluxdesk.storage.settings import load_settings

    home = home_dir()
    if demo:
        from fluxdesk.services.demo import DEMO_LATENCY, open_demo_session

        session, sim = open_demo_session(home, latency=DEMO_LATENCY)
        session.stop_on_close(sim.stop)
        return session
    settings = settings or load_settings(home)
    try:
        key, _source = KeyStore().get()
    except KeyStoreError as exc:
        raise UsageError(f"cannot read the API key: {exc}. Set BFL_API_KEY instead.") from None
    if not key:
        raise UsageError("no API key: run `fluxdesk key set`, or set BFL_API_KEY")
    api_base = resolve_api_base(settings.region)
    try:
        HostPolicy(api_base)  # refused before the library is opened and before anything is sent
    except HostPolicyError as exc:
        raise UsageError(str(exc)) from None
    home, simulated = library_home(home, api_base)
    library_dir = Path(settings.library_folder) if settings.library_folder and not simulated else None
    options = SessionOptions(api_base=api_base, key=key, demo=simulated, library_dir=library_dir)
    try:
        return Session(home, options)
    except ValueError as exc:  # the key has characters no HTTP header can carry
        raise UsageError(str(exc)) from None


def _run_jobs(session: Any, collector: _Collector, start: Any) -> int:
    """Start jobs with ``start()`` (a future of job ids), wait for all, print each outcome."""
    session.add_listener(collector)
    try:
        job_ids = start().result()
        with collector.lock:
            collector.wanted.update(job_ids)
            # Events that came before the ids were known: drop those of other jobs.
            for other in [k for k in collector.outcomes if k not in collector.wanted]:
                del collector.outcomes[other]
        session.wait_idle()
    except KeyboardInterrupt:
        print("Stopped. Jobs already sent are billed at BFL; `fluxdesk resume` finishes them.", file=sys.stderr)
        return 130
    for job_id in job_ids:
        outcome = collector.outcomes.get(job_id)
        if outcome is None:  # ended without an event: read what the journal says
            job = session.library.get_job(job_id)
            outcome = _Outcome(job_id, STATUS_WORDS.get(job.status, "failed"), None, job.error)
            if job.status is JobStatus.DONE:
                image = session.library.image_for_job(job_id)
                outcome.path = str(image.path) if image else None
        _job_line(session.library, outcome, collector.as_json)
    done = all(collector.outcomes.get(j) and collector.outcomes[j].status == "done" for j in job_ids)
    return EXIT_OK if done else EXIT_FAILED


def _finish_leftovers(session: Any) -> None:
    """Every start resumes what a crash left: quietly here, in full with `fluxdesk resume`."""
    session.resume().result()


def _library_errors_in_words(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A damaged, locked or newer library is said in words (exit 1), as `fluxdesk spend` does: no traceback."""
    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from fluxdesk.storage.db import LibraryError

        try:
            return command(args)
        except LibraryError as exc:
            print(f"fluxdesk {args.command}: {exc}", file=sys.stderr)
            return EXIT_FAILED

    return run


# --- generate -----------------------------------------------------------------------------------

UPSAMPLING_HELP = ("let BFL rewrite the prompt with a language model before drawing. Off by default, wherever "
                   "the model lets it be turned off, so that `fluxdesk reproduce` gives the same image again; "
                   "on, the rewritten prompt differs from run to run, so the same seed no longer gives the same "
                   "image and the result cannot be reproduced exactly")


def upsampling_fields(model: Model, on: bool) -> dict[str, bool]:
    """The request fields that set prompt upsampling at ``model``'s endpoint: off unless asked for (FLUX.2
    [pro]/[max] ``disable_pup: true``, the others ``prompt_upsampling: false``; nothing for a model without a
    switch)."""
    fields = model.upsampling_fields(on)
    if on and not fields:
        raise UsageError(f"prompt upsampling: {model.name} has no prompt upsampling to turn on")
    return fields


def _linked_to_library_images(library: Any, req: GenerationRequest) -> GenerationRequest:
    """Each reference that is an image of the library is linked to it, so the edit shows what it was made from."""
    images = []
    for image in req.input_images:
        found = library.find_image_by_path(Path(image.source)) if image.source else None
        images.append(replace(image, from_image_id=found.id) if found is not None else image)
    return req.with_input_images(tuple(images))


def _checked_project_name(text: str | None) -> str | None:
    """``--project``'s name, trimmed; ``UsageError`` for one that cannot be a project's (before anything opens)."""
    from fluxdesk.core.projects import ProjectError, project_name

    if text is None:
        return None
    try:
        return project_name(text)
    except ProjectError as exc:
        raise UsageError(f"--project: {exc}") from None


def _project_for_jobs(library: Any, name: str | None) -> int | None:
    """The id of the project ``name`` (made if new, matched whatever its case); an archived one is a
    ``UsageError``: nothing is sent."""
    from fluxdesk.core.projects import ProjectError

    if name is None:
        return None
    try:
        return int(library.ensure_project(name, refuse_archived=True).id)
    except ProjectError as exc:
        raise UsageError(f"--project: {exc}; nothing was sent") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from fluxdesk.services.pipeline import InvalidRequestError
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.settings import load_settings

    settings = load_settings(home_dir())
    model = get_model(args.model or settings.default_model)
    req = request_from_args(args, prompt=args.prompt, model=model.id, seed=args.seed,
                            output_format=args.output_format, safety_tolerance=args.safety_tolerance,
                            **upsampling_fields(model, args.prompt_upsampling))
    req, refs, notes = with_images(req, args)
    for seed in seeds_for(req.seed, args.count):  # every job valid before anything is sent
        checked(req.with_seed(seed))
    project_name = _checked_project_name(args.project)
    for note in refs.file_notes() + notes:
        print(note, file=sys.stderr, flush=True)
    session = open_session(settings=settings, demo=args.demo)
    try:
        project_id = _project_for_jobs(session.library, project_name)
        _finish_leftovers(session)
        req = _linked_to_library_images(session.library, req)
        try:
            code = _run_jobs(session, _Collector(args.json),
                             lambda: session.generate(req, args.count, project_id=project_id))
        except InvalidRequestError as exc:
            raise UsageError(str(exc)) from None
    finally:
        session.close()
    _share_with_studio(session)
    return code


def _share_with_studio(session: Any) -> None:
    """Jobs ended: send their ledger rows to the studio when this home is in one (``cli.studio``). Not after the
    demo's or a simulator's jobs: they are never shared, and an offline demo must not wait on a server."""
    from fluxdesk.cli.studio import sync_after_jobs

    if not session.options.demo:
        sync_after_jobs()


# --- reproduce ----------------------------------------------------------------------------------

def _original(session: Any, target: str) -> tuple[GenerationRequest, ImageRecord | None, str, int | None]:
    """The request to run again, the original's record, a name for it and its project (kept by the new image), from
    a path or a job id. A file from elsewhere keeps the project its record names if this library has it."""
    from fluxdesk.storage.metadata_io import read_metadata

    path = Path(target)
    if path.is_file():
        image = session.library.find_image_by_path(path.resolve())
        if image is not None:
            job = session.library.get_job(image.job_id)
            return job.request.with_seed(image.seed), image.record, str(image.path), image.project_id
        try:
            record, _a1111 = read_metadata(path.read_bytes())
        except MetadataError as exc:
            raise UsageError(f"{target}: {exc}") from None
        if record is None:
            raise UsageError(f"{target} carries no FluxDesk metadata to reproduce it from")
        settings = settings_from_metadata(record)
        project = session.library.project_named(record.project) if record.project else None
        return GenerationRequest(**settings), record, str(path), project.id if project is not None else None
    job = session.library.get_job(target)
    if job is None:
        raise UsageError(f"{target} is neither an image file nor a job id in the library")
    image = session.library.image_for_job(job.id)
    seed = image.seed if image is not None else job.request.seed
    if seed is None:
        raise UsageError(f"job {target} never finished, so its seed is unknown: nothing to reproduce")
    return (job.request.with_seed(seed), image.record if image else None, str(image.path) if image else target,
            job.project_id)


def _with_stored_references(library: Any, request: GenerationRequest) -> GenerationRequest:
    """``request`` with the bytes of every image it names by SHA-256 (references, a mask, a local edit's crop), read
    back from the library: the very bytes sent the first time. One the library no longer holds is a ``UsageError``
    naming it (nothing sent)."""
    from fluxdesk.storage.library import MissingReferenceError

    model = get_model(request.model)

    def loaded(image: Image, name: str) -> Image:
        if image.data or image.sha256 is None:
            return image  # data at hand, or nothing to find it by: validation says what is wrong
        try:
            data = library.reference_data(image.sha256)
        except MissingReferenceError as exc:
            if image.source:
                name += f" ({image.source})"
            raise UsageError(f"{name}: {exc}, so it cannot be sent again. Nothing was sent.") from None
        return replace(image, data=base64.b64encode(data).decode("ascii"))

    edited = model.tool or request.mask is not None
    images = tuple(loaded(image, "the image to edit" if edited else "the image prompt" if model.image_prompt
                          else reference_name(index)) for index, image in enumerate(request.input_images))
    return replace(request, input_images=images,
                   mask=None if request.mask is None else loaded(request.mask, "the mask"),
                   crop=None if request.crop is None else loaded(request.crop, "the crop around the mask"))


def cmd_reproduce(args: argparse.Namespace) -> int:
    from fluxdesk.services.pipeline import InvalidRequestError

    session = open_session(demo=args.demo)
    try:
        _finish_leftovers(session)
        request, original, name, project_id = _original(session, args.target)
        request = checked(_with_stored_references(session.library, request))
        collector = _Collector(as_json=False)
        session.add_listener(collector)
        try:
            job_ids = session.generate(request, 1, project_id=project_id).result()
        except InvalidRequestError as exc:
            raise UsageError(str(exc)) from None
        session.wait_idle()
        job_id = job_ids[0]
        outcome = collector.outcomes.get(job_id) or _Outcome(job_id)
        new_image = session.library.image_for_job(job_id)
        verdict = reproduction_verdict(original, new_image.record) if new_image is not None else None
        identical = verdict.identical if verdict else None
        reason = verdict.reason if verdict else None
        if args.json:
            print_json({"job_id": job_id, "status": outcome.status, "path": outcome.path, "original": name,
                        "model": request.model, "seed": request.seed, "identical": identical, "reason": reason,
                        "error": outcome.error, "references": input_images_json(request.input_images),
                        "project": new_image.project_name if new_image is not None else None})
        elif outcome.status == "done":
            said = verdict.text() if verdict else "the new image is not in the library, so it cannot be compared"
            sent = len(request.input_images)
            what = f"{sent} reference image{'s' if sent > 1 else ''}"
            if request.mask is not None or get_model(request.model).tool:
                what = "image to edit" + (" and its mask" if request.mask is not None else "")
            again = f"\n  sent the same {what} again, byte for byte, from the library" if sent else ""
            print(f"Reproduced {name}\n  → {outcome.path}\n  {said}{again}")
        else:
            print(f"Could not reproduce {name}: {outcome.status}: {outcome.error}", file=sys.stderr)
        code = EXIT_OK if outcome.status == "done" else EXIT_FAILED
    finally:
        session.close()
    _share_with_studio(session)
    return code


# --- resume -------------------------------------------------------------------------------------

def cmd_resume(args: argparse.Namespace) -> int:
    session = open_session(demo=args.demo)
    try:
        collector = _Collector(args.json)
        code = _run_jobs(session, collector, session.resume)
        if not collector.outcomes and not args.json:
            print("Nothing to resume: every job has finished.")
    finally:
        session.close()
    _share_with_studio(session)
    return code


DEMO_HELP = "on the offline demo: the built-in simulator and the demo library, no key, nothing charged"


def register(sub: Any) -> None:
    p = sub.add_parser("generate", help="generate images (each image is a separate, billed job)")
    p.add_argument("--prompt", required=True)
    add_request_arguments(p)
    p.add_argument("--seed", type=int, help="fixed seed; with --count N, seeds S, S+1, …")
    p.add_argument("--output-format", choices=["jpeg", "png", "webp"])
    p.add_argument("--prompt-upsampling", action="store_true", help=UPSAMPLING_HELP)
    p.add_argument("--safety-tolerance", type=int)
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("--project", metavar="NAME",
                   help="the client project the images are for (made if new; any case matches an existing one)")
    p.add_argument("--demo", action="store_true", help=DEMO_HELP)
    p.set_defaults(func=_library_errors_in_words(cmd_generate))

    p = sub.add_parser("reproduce", help="run an image again with the same model, parameters and seed")
    p.add_argument("target", metavar="PATH|JOB_ID")
    p.add_argument("--json", action="store_true")
    p.add_argument("--demo", action="store_true", help=DEMO_HELP + " (where the app's demo images are)")
    p.set_defaults(func=_library_errors_in_words(cmd_reproduce))

    p = sub.add_parser("resume", help="finish jobs interrupted by a crash (never resends a job)")
    p.add_argument("--json", action="store_true", help="one JSON object per job")
    p.add_argument("--demo", action="store_true", help=DEMO_HELP)
    p.set_defaults(func=_library_errors_in_words(cmd_resume))
