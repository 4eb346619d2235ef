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

from fluxdesk.api.client import BflClient
from fluxdesk.api.hosts import region_base
from fluxdesk.api.retry import RetryPolicy
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.events import CreditsChanged, Event, Listener
from fluxdesk.services.pipeline import Pipeline
from fluxdesk.services.runner import AsyncRunner
from fluxdesk.storage.library import Library
from fluxdesk.storage.price_table import load_price_table

API_BASE_ENV = "FLUXDESK_API_BASE"


def resolve_api_base(region: str = "global") -> str:
    """``FLUXDESK_API_BASE`` (the simulator, tests) wins over the region chosen in settings."""
    return os.environ.get(API_BASE_ENV) or region_base(region)


@dataclass(frozen=True)
class SessionOptions:
    api_base: str
    key: str
    demo: bool = False
    poll_deadline: float = 600.0
    retry: RetryPolicy | None = None
    library_dir: Path | None = None
    sweep_temp_files: bool = True
    """Clear a crash's leftover temp files while opening (it walks the whole library folder); the window
    says False and sweeps on a worker once it is running, so a large library starts as fast as a small one."""


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

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _dispatch(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    # --- work -----------------------------------------------------------------------------------

    @property
    def pipeline(self) -> Pipeline:
        assert self._pipeline is not None
        return self._pipeline

    def generate(self, request: GenerationRequest, count: int = 1) -> concurrent.futures.Future[list[str]]:
        """Queue ``count`` jobs; the future answers their ids (or raises ``InvalidRequestError``)."""
        return self._runner.submit(self.pipeline.enqueue(request, count))

    def cancel(self, job_id: str) -> concurrent.futures.Future[bool]:
        async def _cancel() -> bool:
            return self.pipeline.cancel(job_id)

        return self._runner.submit(_cancel())

    def resume(self) -> concurrent.futures.Future[list[str]]:
        """Finish what a previous run left behind (never resending a POST)."""
        return self._runner.submit(self.pipeline.resume())

    def wait_idle(self, timeout: float | None = None) -> None:
        self._runner.call(self.pipeline.wait_idle(), timeout)

    def credits(self) -> concurrent.futures.Future[Decimal]:
        async def _credits() -> Decimal:
            assert self._client is not None
            credits = await self._client.credits()
            self._dispatch(CreditsChanged(credits))
            return credits

        return self._runner.submit(_credits())

    def run_in_background(self, fn: Callable[[], object]) -> concurrent.futures.Future[object]:
        """Blocking work (disk, database) on the network thread's executor, off the caller's thread."""
        async def _call() -> object:
            return await asyncio.to_thread(fn)

        return self._runner.submit(_call())

    async def _shutdown(self) -> None:
        # Jobs stop where they are first (their rows stay resumable), then the clients close: a client
        # closed under a running poll would turn a billed job into a "failed" one.
        if self._pipeline is not None:
            await self._pipeline.aclose()
        if self._client is not None:
            await self._client.aclose()

    def close(self, *, close_library: bool = True) -> None:
        """Stop the network thread (running jobs stay resumable in the journal) and close the library."""
        if self._runner.running and self._client is not None:
            with contextlib.suppress(Exception):  # closing must never raise over a shutdown
                self._runner.call(self._shutdown(), timeout=10)
        self._runner.stop()
        if close_library:
            self.library.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
