"""The client against the simulator over real loopback sockets: every model family, every error."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from api_support import SIM_RETRY, FakeTime, free_port

from fluxdesk.api import (
    AuthError,
    BflClient,
    BflError,
    InsufficientCreditsError,
    ModeratedError,
    NetworkError,
    RateLimitedError,
    Result,
    ResultExpiredError,
    Sample,
    Submission,
    SubmitOutcomeUnknownError,
    TaskNotFoundError,
    ValidationError,
)
from fluxdesk.core.request import GenerationRequest
from fluxdesk.sim import SimConfig, Simulator

SIM_KEY = "bfl_sim_key_0123456789"
SMALL = 256 * 256


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimConfig(key=SIM_KEY, latency=0.15, max_output_pixels=SMALL)) as simulator:
        yield simulator


def client_for(sim: Simulator, key: str = SIM_KEY, **kwargs: object) -> BflClient:
    return BflClient(sim.api_base, key, retry=SIM_RETRY, **kwargs)  # type: ignore[arg-type]


async def generate(client: BflClient, req: GenerationRequest) -> tuple[Submission, Result, Sample]:
    submitted_at = time.monotonic()
    submission = await client.submit_request(req)
    result = await client.wait(submission.polling_url, submitted_at=submitted_at, deadline=20.0)
    sample = await client.download(result.sample_url, expires_at=result.expires_at)
    return submission, result, sample


def assert_clean(sim: Simulator) -> None:
    """No key outside the API, no poll off the polling URL, one POST per task, no prompt twice."""
    c = sim.counters_snapshot()
    assert c.delivery_requests_with_key == 0 and c.requests_with_key_outside_api == 0
    assert c.polls_wrong_origin == 0
    assert set(c.posts_per_task.values()) <= {1}
    assert set(c.prompts_posted.values()) <= {1}
    assert c.handler_errors == 0


FAMILIES = [
    GenerationRequest(model="flux-2-pro", prompt="a red fox in snow", width=512, height=256, seed=7, disable_pup=True),
    GenerationRequest(model="flux-2-flex", prompt="a lighthouse", width=256, height=256, steps=10,
                      output_format="png", prompt_upsampling=False),
    GenerationRequest(model="flux-pro-1.1", prompt="a teapot", width=512, height=256, seed=11),
    GenerationRequest(model="flux-pro-1.1-ultra", prompt="a canyon at dusk", aspect_ratio="21:9", raw=True),
    GenerationRequest(model="flux-kontext-pro", prompt="a paper crane", aspect_ratio="1:1", seed=3),
    GenerationRequest(model="flux-kontext-max", prompt="a glass city", output_format="jpeg"),
    GenerationRequest(model="flux-pro", prompt="a brass robot", width=256, height=256, steps=20, seed=5),
    GenerationRequest(model="flux-dev", prompt="a moss garden", width=256, height=256, guidance=3.5),
]


@pytest.mark.parametrize("req", FAMILIES, ids=[r.model for r in FAMILIES])
def test_submit_poll_download_for_every_model_family(sim: Simulator, req: GenerationRequest) -> None:
    async def main() -> tuple[Submission, Result, Sample, Decimal]:
        async with client_for(sim) as client:
            return (*await generate(client, req), await client.credits())

    submission, result, sample, credits = asyncio.run(main())
    assert submission.cost is not None and submission.cost > 0
    assert submission.output_mp is not None and submission.input_mp == 0
    assert result.id == submission.id and result.prompt == req.prompt
    assert result.seed is not None and (req.seed is None or result.seed == req.seed)
    assert result.duration is not None and result.end_time is not None and result.expires_at is not None
    default_format = "png" if req.model.startswith("flux-kontext") else "jpeg"
    assert sample.extension == (req.output_format or default_format)
    assert sample.content_type == f"image/{sample.extension}" and len(sample.data) > 100
    assert credits == Decimal(1000) - submission.cost
    c = sim.counters_snapshot()
    assert c.tasks_created == c.post_requests == 1 and c.billed_credits == submission.cost
    assert_clean(sim)


def test_progress_is_reported(sim: Simulator) -> None:
    sim.config.latency = 1.2
    seen: list[float | None] = []

    async def main() -> Result:
        async with client_for(sim) as client:
            sub = await client.submit({"prompt": "slow clouds", "width": 256, "height": 256}, "flux-2-pro")
            return await client.wait(sub.polling_url, on_progress=seen.append)

    asyncio.run(main())
    assert seen[-1] == 1.0 and len(seen) >= 2
    assert all(p is None or 0 <= p <= 1 for p in seen) and any(p is not None and 0 < p < 1 for p in seen)


def test_bad_key(sim: Simulator) -> None:
    async def main() -> None:
        async with client_for(sim, key="bfl_wrong") as client:
            with pytest.raises(AuthError, match="The API key was refused"):
                await client.credits()
            with pytest.raises(AuthError) as info:
                await client.submit({"prompt": "x"}, "flux-2-pro")
            assert "bfl_wrong" not in f"{info.value} {info.value!r} {info.value.detail}"

    asyncio.run(main())
    c = sim.counters_snapshot()
    assert c.post_requests == 1 and c.tasks_created == 0


def test_out_of_credits(sim: Simulator) -> None:
    sim.set_credits(Decimal(1))

    async def main() -> None:
        async with client_for(sim) as client:
            with pytest.raises(InsufficientCreditsError, match="Top up") as info:
                await client.submit({"prompt": "x", "width": 256, "height": 256}, "flux-2-pro")
            assert info.value.status == 402 and info.value.billed is False

    asyncio.run(main())
    assert sim.counters_snapshot().post_requests == 1


def test_server_side_validation_names_the_fields(sim: Simulator) -> None:
    async def main() -> ValidationError:
        async with client_for(sim) as client:
            with pytest.raises(ValidationError) as info:
                # Bypasses local validation on purpose: the server's 422 is what is under test.
                await client.submit({"prompt": "x", "width": 1000, "steps": 7}, "flux-pro-1.1")
            return info.value

    error = asyncio.run(main())
    assert error.status == 422
    assert [e.field for e in error.field_errors] == ["width", "steps"]
    assert "multiple of 32" in error.field_errors[0].message and "width: must be" in error.message
    assert sim.counters_snapshot().tasks_created == 0


def test_429_is_retried_then_succeeds(sim: Simulator) -> None:
    sim.config.burst_429, sim.config.burst_429_every = 1, 1  # POSTs: ok, 429, ok, 429…

    async def main() -> None:
        async with client_for(sim) as client:
            for prompt in ("first", "retry me"):
                await generate(client, GenerationRequest(model="flux-2-pro", prompt=prompt, width=256,
                                                         height=256))

    started = time.monotonic()
    asyncio.run(main())
    c = sim.counters_snapshot()
    assert c.faults_injected.get("burst_429") == 1 and c.post_requests == 3 and c.tasks_created == 2
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    assert_clean(sim)


def test_429_that_persists_is_reported_after_a_few_tries(sim: Simulator) -> None:
    sim.config.burst_429, sim.config.burst_429_every = 100, 0

    async def main() -> None:
        policy = SIM_RETRY.__class__(base_delay=0.01, max_delay=0.01, deadline=10.0, max_post_attempts=3)
        async with BflClient(sim.api_base, SIM_KEY, retry=policy, sleep=FakeTime().sleep) as client:
            with pytest.raises(RateLimitedError):
                await client.submit({"prompt": "never", "width": 256, "height": 256}, "flux-2-pro")

    asyncio.run(main())
    c = sim.counters_snapshot()
    assert c.post_requests == 3 and c.tasks_created == 0


def test_request_moderated(sim: Simulator) -> None:
    async def main() -> None:
        async with client_for(sim) as client:
            sub = await client.submit({"prompt": "something Forbidden", "width": 256, "height": 256},
                                      "flux-2-pro")
            with pytest.raises(ModeratedError) as info:
                await client.wait(sub.polling_url)
            assert info.value.kind == "request" and info.value.billed is False

    asyncio.run(main())
    assert sim.counters_snapshot().billed_credits == 0


def test_task_not_found(sim: Simulator) -> None:
    url = f"{sim.cluster_base}/v1/get_result?id=no-such-task"
    fake = FakeTime()

    async def main() -> None:
        async with client_for(sim) as client:
            with pytest.raises(TaskNotFoundError):
                await client.poll(url)
        # wait() tolerates "not found" for 5 s after submission, then gives up; on virtual time.
        async with client_for(sim, sleep=fake.sleep, clock=fake.clock) as client:
            with pytest.raises(TaskNotFoundError):
                await client.wait(url)

    asyncio.run(main())
    assert 5.0 <= fake.now - 1000.0 < 6.0
    assert sim.counters_snapshot().polls >= 10


def test_early_404_is_tolerated(sim: Simulator) -> None:
    sim.config.early_404_polls = 3

    async def main() -> None:
        async with client_for(sim) as client:
            await generate(client, GenerationRequest(model="flux-dev", prompt="patience", width=256, height=256))

    asyncio.run(main())
    c = sim.counters_snapshot()
    assert c.faults_injected.get("early_404") == 3
    assert_clean(sim)


def test_expired_sample(sim: Simulator) -> None:
    async def main() -> None:
        async with client_for(sim) as client:
            sub = await client.submit({"prompt": "fleeting", "width": 256, "height": 256}, "flux-2-pro")
            result = await client.wait(sub.polling_url)
            sim.advance_clock(700)
            with pytest.raises(ResultExpiredError) as info:
                await client.download(result.sample_url, expires_at=result.expires_at)
            assert info.value.billed is True and info.value.status == 403

    asyncio.run(main())
    assert sim.counters_snapshot().downloads == 1  # a refusal is final: not retried


def test_network_down() -> None:
    base = f"http://127.0.0.1:{free_port()}"

    async def main() -> None:
        async with BflClient(base, SIM_KEY, retry=SIM_RETRY, sleep=FakeTime().sleep) as client:
            with pytest.raises(NetworkError, match=r"127\.0\.0\.1"):
                await client.credits()
            # Nothing listening: the POST provably never arrived, so it is retried, then reported.
            with pytest.raises(NetworkError):
                await client.submit({"prompt": "x"}, "flux-2-pro")
            with pytest.raises(NetworkError):
                await client.download(f"{base}/results/x/sample.png")

    asyncio.run(main())


def test_dropped_post_after_create_is_unknown_and_never_resent(sim: Simulator) -> None:
    sim.config.drop_post_after_create_rate = 1.0

    async def main() -> None:
        async with client_for(sim) as client:
            with pytest.raises(SubmitOutcomeUnknownError) as info:
                await client.submit({"prompt": "only once", "width": 256, "height": 256}, "flux-2-pro")
            assert "unknown" in info.value.message and info.value.billed is None

    asyncio.run(main())
    c = sim.counters_snapshot()
    assert c.post_requests == 1 and c.tasks_created == 1 and c.prompts_posted == {"only once": 1}


def test_fault_injected_run_never_bills_twice(sim: Simulator) -> None:
    sim.config = SimConfig(key=SIM_KEY, latency=0.2, max_output_pixels=SMALL, fault_seed=1234,
                           poll_error_rate=0.2, drop_rate=0.05, early_404_polls=2, burst_429=2,
                           burst_429_every=8, delivery_failure_rate=0.1, drop_post_after_create_rate=0.05)
    prompts = [f"fault run job {i}" for i in range(30)]

    async def job(client: BflClient, index: int, prompt: str) -> str:
        # Staggered like a queue filling its slots: a burst of 30 connects at once overflows the
        # simulator's listen backlog (socketserver's default of 5), and a POST reset that way is,
        # rightly, reported as an unknown outcome too.
        await asyncio.sleep(0.03 * index)
        try:
            await generate(client, GenerationRequest(model="flux-2-klein-4b", prompt=prompt, width=256,
                                                     height=256))
        except BflError as err:
            return type(err).__name__
        return "done"

    async def main() -> list[str]:
        async with client_for(sim) as client:
            return list(await asyncio.gather(*(job(client, i, p) for i, p in enumerate(prompts))))

    outcomes = asyncio.run(main())
    c = sim.counters_snapshot()
    # Every job ends done, or with a named error that is allowed for its stage.
    assert set(outcomes) <= {"done", "SubmitOutcomeUnknownError"}, outcomes
    assert outcomes.count("done") >= 24
    # Exactly one POST per created task; no prompt posted twice; the only extra POSTs were 429s.
    assert set(c.posts_per_task.values()) == {1}
    assert sorted(c.prompts_posted) == sorted(prompts) and set(c.prompts_posted.values()) == {1}
    assert c.post_requests == c.tasks_created + c.faults_injected.get("burst_429", 0)
    assert outcomes.count("SubmitOutcomeUnknownError") == c.faults_injected.get("drop_post_after_create", 0)
    assert c.faults_injected.get("poll_error", 0) > 0 and c.faults_injected.get("delivery_failure", 0) > 0
    assert_clean(sim)


def test_ready_images_are_fetched_quickly_without_polling_hard(sim: Simulator) -> None:
    sim.config.latency = 1.5
    durations: dict[str, float] = {}

    async def job(client: BflClient, index: int) -> None:
        await asyncio.sleep(0.037 * index)
        started = time.monotonic()
        submission, _, _ = await generate(client, GenerationRequest(
            model="flux-2-pro", prompt=f"timing {index}", width=256, height=256))
        durations[submission.id] = time.monotonic() - started

    async def main() -> None:
        async with client_for(sim) as client:
            await asyncio.gather(*(job(client, i) for i in range(12)))

    asyncio.run(main())
    c = sim.counters_snapshot()
    delays = [c.first_download_at[task] - c.ready_at[task] for task in durations]
    rates = [c.polls_per_task[task] / durations[task] for task in durations]
    assert sum(delays) / len(delays) <= 0.3, delays
    assert sum(rates) / len(rates) <= 2.5, rates
    assert_clean(sim)
