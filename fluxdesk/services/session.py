"""One running engine: the library, the network thread, the client and the pipeline, wired together.

The CLI and the app both open a ``Session``; every method is safe to call from any thread and returns
a ``concurrent.futures.Future`` (or a plain value for instant calls), so the GUI thread never waits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fluxdesk.api.client import BflClient
from fluxdesk.api.hosts import region_base
from fluxdesk.api.retry import RetryPolicy
from fluxdesk.core.network import is_loopback
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.events import NO_KEY_MESSAGE, CreditsChanged, Event, Listener
from fluxdesk.services.pipeline import Pipeline
from fluxdesk.services.runner import AsyncRunner
from fluxdesk.storage.library import Library
from fluxdesk.storage.price_table import load_price_table

API_BASE_ENV = "FLUXDESK_API_BASE"

T = TypeVar("T")


class NoKeyError(RuntimeError):
    """Generating (or reading the credits) was asked of a session opened without a key."""

    def __init__(self) -> None:
        super().__init__(NO_KEY_MESSAGE)


def resolve_api_base(region: str = "global") -> str:
    """``FLUXDESK_API_BASE`` (the simulator, tests) wins over the region chosen in settings."""
    return os.environ.get(API_BASE_ENV) or region_base(region)


def uses_simulator(api_base: str) -> bool:
    """An API base on loopback can only be a simulator (BFL is reached over https on its own hosts)."""
    try:
        host = urlsplit(api_base).hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host)


def library_home(home: Path, api_base: str) -> tuple[Path, bool]:
    """Where a session on ``api_base`` keeps its library, and whether its images are demo images.

    A simulator's images and pretend spend go to the demo library, marked demo, exactly as the app's
    demo does: whatever started it, nothing a simulator made ever shows up as real in the real library
    or its ledger.
    """
    from fluxdesk.storage.paths import demo_home

    if uses_simulator(api_base):
        return demo_home(home), True
    return home, False


@dataclass(frozen=True)
class SessionOptions:
    api_base: str
    key: str | None
    """``None``: the library can be browsed, but nothing can be generated (``NoKeyError``)."""
    demo: bool = False
    poll_deadline: float = 600.0
    retry: RetryPolicy | None = None
    library_dir: Path | None = None
    sweep_temp_files: bool = True
    """Clear a crash's leftover temp files while opening (it walks the whole library folder); the window
    says False and sweeps on a worker once it is running, so a large library starts as fast as a small one."""


READS_GRACE_SECONDS = 1.0
"""How long a closing session lets a running read (the credits) finish before cancelling it."""


class Session:
    """The engine of one run. ``close()`` stops the network thread and closes the library."""

    def __init__(self, home: Path, options: SessionOptions, *, library: Library | None = None) -> None:
        self.home = home
        self.options = options
        self.library = library or Library.open(home, library_dir=options.library_dir,
                                               remove_temp_files=options.sweep_temp_files)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._client: BflClient | None = None
        self._pipeline: Pipeline | None = None
        self._on_close: list[Callable[[], object]] = []
        runner: AsyncRunner | None = None
        try:
            self._runner = runner = AsyncRunner()
            runner.call(self._start())
        except BaseException:
            if runner is not None:
                runner.stop()
            if library is None:
                self.library.close()  # opened here: nobody else will close it
            raise

    async def _start(self) -> None:
        if self.options.key is None:
            return  # browsing only: no client, no pipeline
        # Built on the network thread: the httpx clients belong to its event loop.
        self._client = BflClient(self.options.api_base, self.options.key, retry=self.options.retry)
        try:
            self._pipeline = Pipeline(self.library, self._client, demo=self.options.demo,
                                      listener=self._dispatch, poll_deadline=self.options.poll_deadline,
                                      price_table=load_price_table(self.home))
        except BaseException:
            await self._client.aclose()
            raise

    # --- events ---------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """``listener`` is called on the network thread; a GUI re-emits it as a queued Qt signal."""
        with self._lock:
            self._listeners.append(listener)

    def _dispatch(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    # --- work -----------------------------------------------------------------------------------

    @property
    def has_key(self) -> bool:
        return self._pipeline is not None

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise NoKeyError()
        return self._pipeline

    @property
    def busy(self) -> bool:
        """Jobs are queued or running (never, without a key)."""
        return self._pipeline is not None and self._pipeline.busy

    def generate(self, request: GenerationRequest, count: int = 1, *,
                 project_id: int | None = None) -> concurrent.futures.Future[list[str]]:
        """Queue ``count`` jobs for the project ``project_id`` (``None``: no project); the future answers their ids
        (or raises ``InvalidRequestError``, or ``NoKeyError`` without a key)."""
        async def _enqueue() -> list[str]:
            return await self.pipeline.enqueue(request, count, project_id=project_id)

        return self._runner.submit(_enqueue())

    def cancel(self, job_id: str) -> concurrent.futures.Future[bool]:
        async def _cancel() -> bool:
            return self._pipeline is not None and await self._pipeline.cancel(job_id)

        return self._runner.submit(_cancel())

    def resume(self) -> concurrent.futures.Future[list[str]]:
        """Finish what a previous run left behind (never resending a POST); nothing without a key: the
        jobs wait in the journal for a session that can reach BFL."""
        async def _resume() -> list[str]:
            return [] if self._pipeline is None else await self._pipeline.resume()

        return self._runner.submit(_resume())

    def wait_idle(self, timeout: float | None = None) -> None:
        if self._pipeline is not None:
            self._runner.call(self._pipeline.wait_idle(), timeout)

    def credits(self) -> concurrent.futures.Future[Decimal]:
        async def _credits() -> Decimal:
            if self._client is None:
                raise NoKeyError()
            credits = await self._client.credits()
            self._dispatch(CreditsChanged(credits))
            return credits

        return self._runner.submit(_credits())

    def request_for_image(self, image_id: int) -> concurrent.futures.Future[GenerationRequest]:
        """What made the image ``image_id`` (``request_for_image``), read off the caller's thread."""
        return self.run_in_background(lambda: request_for_image(self.library, image_id))

    def run_in_background(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Blocking work (disk, database) on the network thread's executor, off the caller's thread."""
        async def _call() -> T:
            return await asyncio.to_thread(fn)

        return self._runner.submit(_call())

    async def _shutdown(self) -> None:
        # Jobs stop where they are first (their rows stay resumable), then the clients close: a client
        # closed under a running poll would turn a billed job into a "failed" one.
        if self._pipeline is not None:
            await self._pipeline.aclose()
        # Then every other request on this loop (a credits read) ends before the client closes: httpx closes only
        # the connections its pool holds, so one still connecting would outlive the client, owned by nobody, and a
        # cancellation landing just after a connect succeeded leaves that socket open too (anyio's connect_tcp).
        # So they are given a moment to finish; only what is still running then is cancelled.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            _done, running = await asyncio.wait(others, timeout=READS_GRACE_SECONDS)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def stop_on_close(self, stop: Callable[[], object]) -> None:
        """Call ``stop`` once this session is closed (the demo's simulator, which it talks to)."""
        self._on_close.append(stop)

    def close(self, *, close_library: bool = True) -> None:
        """Stop the network thread (running jobs stay resumable in the journal) and close the library."""
        if self._runner.running and self._client is not None:
            with contextlib.suppress(Exception):  # closing must never raise over a shutdown
                self._runner.call(self._shutdown(), timeout=10)
        self._runner.stop()
        if close_library:
            self.library.close()
        while self._on_close:
            self._on_close.pop()()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


KEY_TEST_TIMEOUTS = dict(connect=4.0, read=6.0, write=6.0, pool=4.0)
"""A key test answers within seconds, offline too: one try, short timeouts (a generation's patience —
retries over a minute — would lock the dialog that asked)."""


def request_for_image(library: Library, image_id: int) -> GenerationRequest:
    """What made ``image_id``: its job's request (input images included) with the seed BFL used (``None`` when
    none was recorded). Reproduce sends it; Reuse settings loads it into the panel.

    Reads the library (blocking); raises ``ValueError`` saying why when there is nothing to read.
    """
    image = library.get_image(image_id)
    if image is None:
        raise ValueError("it is no longer in the library")
    job = library.get_job(image.job_id)
    if job is None:
        raise ValueError("its job record is missing")
    return job.request.with_seed(image.seed)


async def check_key(api_base: str, key: str) -> Decimal:
    """Ask ``api_base`` for the credits with ``key``, once. Run it on an ``AsyncRunner``: cancelling the
    runner's future drops the request at once."""
    from fluxdesk.api.client import Timeouts

    async with BflClient(api_base, key, retry=RetryPolicy(max_attempts=1, max_post_attempts=1),
                         timeouts=Timeouts(**KEY_TEST_TIMEOUTS)) as client:
        return await client.credits()
