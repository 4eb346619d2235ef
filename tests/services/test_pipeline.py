"""The job pipeline on its own, against the simulator over loopback and a real library: billed exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from fluxdesk.api.client import BflClient, Submission
from fluxdesk.api.retry import RetryPolicy
from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.events import Event, JobDone, JobFailed, JobSending, JobSubmitted, QueueStopped
from fluxdesk.services.pipeline import CANCELLED_BEFORE_SENT, Pipeline
from fluxdesk.services.session import Session, SessionOptions
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.library import Library
from fluxdesk.storage.price_table import load_price_table

KEY = "bfl_pipeline-test-key-0123456789"
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=0.0, deadline=20.0)
"""Retries in milliseconds, so a fault-injected run stays quick."""


def request(prompt: str, seed: int = 5) -> GenerationRequest:
    return GenerationRequest(model="flux-2-klein-4b", prompt=prompt, width=256, height=256, seed=seed)


def simulator(**config: Any) -> Simulator:
    config.setdefault("latency", 0.2)
    return Simulator(SimConfig(key=KEY, max_output_pixels=256 * 256, **config))


class Events:
    """What the pipeline said, gathered from the network thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def of(self, kind: type, job_id: str | None = None) -> list[Any]:
        with self._lock:
            return [e for e in self._events if isinstance(e, kind) and getattr(e, "job_id", job_id) == job_id]

    def wait_for(self, kind: type, job_id: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while not self.of(kind, job_id):
            assert time.monotonic() < deadline, f"no {kind.__name__} for {job_id}"
            time.sleep(0.02)
        return self.of(kind, job_id)[0]


def open_session(home: Path, sim: Simulator, events: Events) -> Session:
    session = Session(home, SessionOptions(api_base=sim.api_base, key=KEY, retry=FAST))
    session.add_listener(events)
    return session


def run_pipeline(home: Path, sim: Simulator, events: Events, work: Callable[[Pipeline], Awaitable[None]], *,
                 concurrency: int = 24, key: str = KEY, client: type[BflClient] = BflClient) -> None:
    """Drive a Pipeline directly on a fresh event loop; ``aclose`` leaves unfinished rows as a crash would."""
    async def main() -> None:
        async with client(sim.api_base, key, retry=FAST) as bfl:
            pipeline = Pipeline(library, bfl, listener=events, concurrency=concurrency,
                                price_table=load_price_table())
            try:
                await work(pipeline)
            finally:
                await pipeline.aclose()

    with Library.open(home) as library:
        asyncio.run(main())


def test_a_submission_whose_answer_is_lost_is_billed_once_and_never_resent(tmp_path: Path) -> None:
    events = Events()
    with simulator(drop_post_after_create_rate=1.0) as sim:
        session = open_session(tmp_path, sim, events)
        try:
            [job_id] = session.generate(request("a lost answer")).result(30)
            session.wait_idle(60)
            failed = events.wait_for(JobFailed, job_id)
            assert failed.status is JobStatus.UNKNOWN and "not send it again" in failed.reason
            assert session.library.get_job(job_id).status is JobStatus.UNKNOWN
            assert session.resume().result(30) == []  # its outcome is unknown: never sent again
            session.wait_idle(60)
            counters = sim.counters_snapshot()
            assert (counters.post_requests, counters.tasks_created) == (1, 1)
        finally:
            session.close()


def test_answers_lost_on_polls_and_downloads_are_retried_and_each_image_billed_once(tmp_path: Path) -> None:
    events = Events()
    with simulator(drop_rate=0.3, poll_error_rate=0.3, fault_seed=11) as sim:
        session = open_session(tmp_path, sim, events)
        try:
            job_ids = session.generate(request("lossy network"), 3).result(30)
            session.wait_idle(60)
            assert [session.library.get_job(j).status for j in job_ids] == [JobStatus.DONE] * 3
            counters = sim.counters_snapshot()
            assert counters.faults_injected.get("drop", 0) + counters.faults_injected.get("poll_error", 0) > 0
            assert counters.tasks_created == 3 and set(counters.posts_per_task.values()) == {1}
            ledger = session.library.ledger_rows(include_demo=True)
            assert sorted(row.job_id for row in ledger) == sorted(job_ids) and all(row.billed for row in ledger)
            assert sum(row.credits for row in ledger) == counters.billed_credits
            assert len(events.of(JobDone, None)) == 0 and all(len(events.of(JobDone, j)) == 1 for j in job_ids)
        finally:
            session.close()


def test_out_of_credits_stops_the_queue_and_nothing_more_is_sent(tmp_path: Path) -> None:
    events = Events()

    async def three_jobs(pipeline: Pipeline) -> None:
        job_ids.extend(await pipeline.enqueue(request("no money"), 3))
        await pipeline.wait_idle()

    job_ids: list[str] = []
    with simulator(credits=Decimal(0)) as sim:
        run_pipeline(tmp_path, sim, events, three_jobs, concurrency=1)
        assert sim.counters_snapshot().post_requests == 1
    [stopped] = events.of(QueueStopped)
    assert stopped.needs_credits and not stopped.needs_key and "Jobs not yet sent were cancelled." in stopped.reason
    with Library.open(tmp_path) as library:
        statuses = [library.get_job(j).status for j in job_ids]
    assert statuses == [JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.CANCELLED]
    assert [e.billed for j in job_ids for e in events.of(JobFailed, j)] == [False, False, False]


def test_a_refused_key_stops_the_queue_and_asks_for_a_key(tmp_path: Path) -> None:
    events = Events()

    async def two_jobs(pipeline: Pipeline) -> None:
        await pipeline.enqueue(request("wrong key"), 2)
        await pipeline.wait_idle()

    with simulator() as sim:
        run_pipeline(tmp_path, sim, events, two_jobs, concurrency=1, key="bfl_not-the-key-0123456789")
        counters = sim.counters_snapshot()
    assert (counters.post_requests, counters.tasks_created) == (1, 0)
    [stopped] = events.of(QueueStopped)
    assert stopped.needs_key and not stopped.needs_credits


def test_resume_after_a_crash_downloads_without_resubmitting(tmp_path: Path) -> None:
    events = Events()
    with simulator(latency=1.5) as sim:
        session = open_session(tmp_path, sim, events)
        try:
            [job_id] = session.generate(request("interrupted")).result(30)
            events.wait_for(JobSubmitted, job_id)
        finally:
            session.close()  # "killed": the job's row says submitted, its image never came
        with Library.open(tmp_path) as library:
            assert library.get_job(job_id).status is JobStatus.SUBMITTED
        session = open_session(tmp_path, sim, events)
        try:
            assert session.resume().result(30) == [job_id]
            session.wait_idle(60)
            assert session.library.get_job(job_id).status is JobStatus.DONE
            assert session.library.image_for_job(job_id) is not None
        finally:
            session.close()
        counters = sim.counters_snapshot()
        assert (counters.post_requests, counters.tasks_created) == (1, 1)


class NoCostClient(BflClient):
    """BFL as older answers had it: an accepted submission that does not say what it costs."""

    async def submit(self, body: dict[str, Any], model: str) -> Submission:
        return dataclasses.replace(await super().submit(body, model), cost=None)


def test_a_job_bfl_answers_without_a_cost_counts_its_estimate(tmp_path: Path) -> None:
    events = Events()
    job_ids: list[str] = []

    async def one_job(pipeline: Pipeline) -> None:
        job_ids.extend(await pipeline.enqueue(request("priceless")))
        await pipeline.wait_idle()

    with simulator() as sim:
        run_pipeline(tmp_path, sim, events, one_job, client=NoCostClient)
    [job_id] = job_ids
    assert events.wait_for(JobSubmitted, job_id).cost_credits is None
    with Library.open(tmp_path) as library:
        job = library.get_job(job_id)
        [row] = library.ledger_rows(include_demo=True)
    assert job.status is JobStatus.DONE and job.cost_credits is None and job.estimated_credits > 0
    assert row.billed and row.estimated and row.credits == job.estimated_credits


def test_a_moderated_job_is_not_billed(tmp_path: Path) -> None:
    events = Events()
    with simulator() as sim:
        session = open_session(tmp_path, sim, events)
        try:
            [job_id] = session.generate(request("something forbidden")).result(30)
            session.wait_idle(60)
            failed = events.wait_for(JobFailed, job_id)
            assert failed.status is JobStatus.MODERATED and failed.billed is False
            [row] = session.library.ledger_rows(include_demo=True)
            assert row.status is JobStatus.MODERATED and not row.billed
            assert session.library.image_for_job(job_id) is None
        finally:
            session.close()
        assert sim.counters_snapshot().billed_credits == 0


def test_a_cancelled_job_is_journalled_and_never_sent_even_after_a_crash(tmp_path: Path) -> None:
    events = Events()
    ids: dict[str, str] = {}

    async def cancel_the_waiting_one(pipeline: Pipeline) -> None:
        [ids["busy"]] = await pipeline.enqueue(request("holds the only slot"))
        while not events.of(JobSubmitted, ids["busy"]):
            await asyncio.sleep(0.02)
        [ids["waiting"]] = await pipeline.enqueue(request("waits its turn"))
        assert await pipeline.cancel(ids["waiting"])
        assert not await pipeline.cancel(ids["waiting"])  # once is enough
        [failed] = events.of(JobFailed, ids["waiting"])
        assert (failed.status, failed.reason, failed.billed) == (JobStatus.CANCELLED, CANCELLED_BEFORE_SENT, False)
        # The process dies here, long before the busy job would free the slot.

    with simulator(latency=30.0) as sim:
        run_pipeline(tmp_path, sim, events, cancel_the_waiting_one, concurrency=1)
        with Library.open(tmp_path) as library:
            assert library.get_job(ids["waiting"]).status is JobStatus.CANCELLED  # journalled, not only flagged
        session = open_session(tmp_path, sim, events)
        try:
            assert session.resume().result(30) == [ids["busy"]]  # followed; the cancelled one left alone
            assert session.library.get_job(ids["waiting"]).status is JobStatus.CANCELLED
            assert session.library.get_job(ids["waiting"]).error == CANCELLED_BEFORE_SENT
        finally:
            session.close()
        assert sim.counters_snapshot().prompts_posted == {"holds the only slot": 1}


def test_a_cancelled_job_whose_turn_comes_is_not_sent_and_said_once(tmp_path: Path) -> None:
    events = Events()
    ids: list[str] = []

    async def cancel_then_finish(pipeline: Pipeline) -> None:
        ids.extend(await pipeline.enqueue(request("first")))
        ids.extend(await pipeline.enqueue(request("second")))
        assert await pipeline.cancel(ids[1])
        await pipeline.wait_idle()
        assert not await pipeline.cancel(ids[0])  # done: nothing to cancel

    with simulator() as sim:
        run_pipeline(tmp_path, sim, events, cancel_then_finish, concurrency=1)
        assert sim.counters_snapshot().prompts_posted == {"first": 1}
    assert len(events.of(JobFailed, ids[1])) == 1 and len(events.of(JobDone, ids[0])) == 1


def test_a_job_whose_turn_came_says_so_before_its_post_and_cannot_be_cancelled(tmp_path: Path) -> None:
    """From ``JobSending`` on, the job is BFL's: the queue stops offering Cancel (which would be refused)."""
    events = Events()
    ids: list[str] = []

    async def one_sent_one_waiting(pipeline: Pipeline) -> None:
        ids.extend(await pipeline.enqueue(request("taken at once"), 2))
        while not events.of(JobSending, ids[0]):
            await asyncio.sleep(0.02)
        assert not await pipeline.cancel(ids[0])  # on its way already
        assert not events.of(JobSending, ids[1])  # still waiting for the one slot
        assert await pipeline.cancel(ids[1])
        await pipeline.wait_idle()

    with simulator(latency=0.5) as sim:
        run_pipeline(tmp_path, sim, events, one_sent_one_waiting, concurrency=1)
        assert sim.counters_snapshot().prompts_posted == {"taken at once": 1}
    assert len(events.of(JobSending, ids[0])) == 1 and len(events.of(JobDone, ids[0])) == 1
    assert not events.of(JobSending, ids[1]) and events.of(JobFailed, ids[1])[0].status is JobStatus.CANCELLED
