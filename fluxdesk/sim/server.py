"""The BFL-compatible simulator: three loopback origins (API, cluster, delivery) in daemon threads."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from decimal import Decimal
from types import TracebackType

from fluxdesk.core.network import is_loopback
from fluxdesk.core.pricing import PriceTable
from fluxdesk.sim.clock import SimClock
from fluxdesk.sim.config import SimConfig, SimCounters
from fluxdesk.sim.faults import FaultDice
from fluxdesk.sim.handler import App, OriginServer
from fluxdesk.sim.images import ImageCache
from fluxdesk.sim.routes import Origins
from fluxdesk.sim.signing import SampleSigner
from fluxdesk.sim.tasks import Task, TaskSnapshot, TaskStore
from fluxdesk.storage.price_table import bundled_price_table

TICK_SECONDS = 0.05
"""How often tasks are settled (finished and billed) when nobody is asking."""
SHUTDOWN_POLL_SECONDS = 0.02
"""How often the accept loops look for a stop request: ``stop`` waits about this long."""


class Simulator:
    """Speaks BFL's protocol on loopback. ``config`` is read on every request: tests may change it."""

    def __init__(self, config: SimConfig | None = None, price_table: PriceTable | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"the simulator listens on loopback only, not on {host!r}")
        self.config = config if config is not None else SimConfig()
        self.counters = SimCounters()
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._clock = SimClock()
        self._signer = SampleSigner()
        self._store = TaskStore(self._lock, self.counters, self._clock, lambda: self.config, self._sign)
        self._origins = Origins(
            config=lambda: self.config, lock=self._lock, counters=self.counters, clock=self._clock,
            store=self._store, dice=FaultDice(self._lock, self.counters, self.config.fault_seed),
            prices=price_table if price_table is not None else bundled_price_table(),
            images=ImageCache(), signer=self._signer)
        self._servers: dict[str, OriginServer] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._started = False
        self._stopped = False

    # --- life ----------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind the three origins and serve them; returns once they accept connections."""
        if self._started:
            raise RuntimeError("the simulator was already started")
        self._started = True
        apps: dict[str, tuple[App, int]] = {"api": (self._origins.api, self._port),
                                            "cluster": (self._origins.cluster, 0),
                                            "delivery": (self._origins.delivery, 0)}
        try:
            for name, (app, port) in apps.items():
                self._servers[name] = OriginServer((self._host, port), app, self._count_error)
        except OSError:
            for server in self._servers.values():
                server.server_close()
            raise
        self._origins.cluster_base = self.cluster_base
        for name, server in self._servers.items():
            self._spawn(f"fluxdesk-sim-{name}", server.serve_forever, SHUTDOWN_POLL_SECONDS)
        self._spawn("fluxdesk-sim-ticker", self._tick)
        return self

    def _spawn(self, name: str, target: Callable[..., object], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self._store.settle()

    def stop(self) -> None:
        """Shut down all three origins and join their threads. Safe to call twice."""
        if self._stopped or not self._started:
            self._stopped = True
            return
        self._stopped = True
        self._stop.set()
        for server in self._servers.values():
            server.shutdown()
        for server in self._servers.values():
            server.close()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- addresses -----------------------------------------------------------------------------

    def _base(self, name: str) -> str:
        server = self._servers.get(name)
        if server is None:
            raise RuntimeError("the simulator is not started")
        host, port = server.server_address[:2]
        host = str(host)  # the bound socket's name: a str (the stubs allow bytes for AF_INET)
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        return self._base("api")

    @property
    def cluster_base(self) -> str:
        return self._base("cluster")

    @property
    def delivery_base(self) -> str:
        return self._base("delivery")

    # --- state for tests and the demo ----------------------------------------------------------

    @property
    def credits(self) -> Decimal:
        return self._store.credits

    def set_credits(self, credits: Decimal) -> None:
        self._store.set_credits(credits)

    def task(self, task_id: str) -> TaskSnapshot:
        """A snapshot of one task; ``KeyError`` for an unknown id."""
        return self._store.snapshot(task_id)

    def task_ids(self) -> list[str]:
        return self._store.ids()

    def counters_snapshot(self) -> SimCounters:
        """A consistent copy of the counters (the live ``counters`` keep changing)."""
        with self._lock:
            self._store.settle()
            return copy.deepcopy(self.counters)

    def settle(self) -> None:
        """Finish and bill every task whose time has come (the ticker does it too)."""
        self._store.settle()

    def advance_clock(self, seconds: float) -> None:
        """Move the simulator's time forward: tasks progress and finish, samples expire."""
        self._store.advance_clock(seconds)

    def expire_all_samples(self) -> None:
        """Make every sample URL issued so far expired, without moving the clock."""
        self._store.expire_all_samples()

    # --- internals -----------------------------------------------------------------------------

    def _sign(self, task: Task, expires: int) -> str:
        return self._signer.url(self.delivery_base, task.id, task.image.output_format, expires)

    def _count_error(self) -> None:
        with self._lock:
            self.counters.handler_errors += 1
