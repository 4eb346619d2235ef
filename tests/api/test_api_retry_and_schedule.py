"""The pure parts: the poll schedule, the backoff, Retry-After."""

from __future__ import annotations

import asyncio
import itertools
import statistics

import pytest
from api_support import FakeTime

from fluxdesk.api import NetworkError, RetryPolicy, ServerError, poll_delay
from fluxdesk.api.errors import AuthError, parse_retry_after
from fluxdesk.api.polling import FAST_INTERVAL, MAX_INTERVAL, MAX_POLL_RATE, poll_times, predict_remaining
from fluxdesk.api.retry import run_with_retries


def test_first_poll_after_half_a_second() -> None:
    assert poll_delay(0.0) == pytest.approx(0.5)
    assert poll_delay(0.3) == pytest.approx(0.2)
    assert poll_delay(-1.0) == pytest.approx(0.5)


def test_schedule_is_fast_then_grows_gently_to_two_seconds() -> None:
    delays = [poll_delay(t / 10) for t in range(5, 1200)]
    assert all(0.4 <= d <= MAX_INTERVAL for d in delays)
    assert delays == sorted(delays)  # never speeds up
    assert poll_delay(5.0) == FAST_INTERVAL
    assert poll_delay(60.0) == MAX_INTERVAL
    times = poll_times(120.0)
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert all(b / a <= 1.5 for a, b in itertools.pairwise(steps))


def _detection(ready_at: float) -> tuple[float, float]:
    """Delay from ``ready_at`` to the first poll after it, and polls per second until then."""
    times = poll_times(ready_at)
    return times[-1] - ready_at, len(times) / times[-1]


def test_mean_detection_delay_and_poll_rate_for_typical_jobs() -> None:
    jobs = [2 + 8 * i / 400 for i in range(401)]  # jobs of 2 to 10 s
    delays, rates = zip(*(_detection(t) for t in jobs), strict=True)
    assert statistics.mean(delays) < 0.25
    assert statistics.mean(rates) <= 2.5 and max(rates) <= 2.5


def test_long_jobs_poll_at_most_every_two_seconds_and_rarely() -> None:
    delay, rate = _detection(300.0)
    assert delay <= MAX_INTERVAL and rate < 0.6


def test_backoff_grows_caps_and_jitters_down() -> None:
    policy = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittery = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=5.0, jitter=0.5, rand=lambda: 1.0)
    assert jittery.backoff(2) == pytest.approx(1.0)
    assert policy.backoff(1, retry_after=3.0) == 3.0  # Retry-After is honoured
    assert policy.backoff(3, retry_after=0.5) == 4.0


@pytest.mark.parametrize("kwargs", [{"factor": 0.5}, {"jitter": 2.0}, {"base_delay": -1.0},
                                    {"max_attempts": 0}])
def test_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)


def _flaky(errors: list[Exception]):
    calls = []

    async def attempt() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return attempt, calls


def test_retries_transient_errors_then_succeeds() -> None:
    fake = FakeTime()
    attempt, calls = _flaky([NetworkError("down"), ServerError("503", status=503, retry_after=2.0)])
    policy = RetryPolicy(base_delay=0.1, jitter=0.0)
    result = asyncio.run(run_with_retries(attempt, policy, max_attempts=5, sleep=fake.sleep, clock=fake.clock))
    assert result == "ok" and len(calls) == 3
    assert fake.sleeps == [0.1, 2.0]


def test_never_retries_a_final_error() -> None:
    fake = FakeTime()
    attempt, calls = _flaky([AuthError("no")])
    with pytest.raises(AuthError):
        asyncio.run(run_with_retries(attempt, RetryPolicy(), max_attempts=5, sleep=fake.sleep,
                                     clock=fake.clock))
    assert len(calls) == 1 and fake.sleeps == []


def test_gives_up_at_max_attempts_and_at_the_deadline() -> None:
    fake = FakeTime()
    attempt, calls = _flaky([NetworkError("down")] * 10)
    with pytest.raises(NetworkError):
        asyncio.run(run_with_retries(attempt, RetryPolicy(base_delay=0.1, jitter=0), max_attempts=3,
                                     sleep=fake.sleep, clock=fake.clock))
    assert len(calls) == 3

    fake = FakeTime()
    attempt, calls = _flaky([NetworkError("down")] * 10)
    with pytest.raises(NetworkError):
        asyncio.run(run_with_retries(attempt, RetryPolicy(base_delay=1.0, jitter=0, deadline=3.5),
                                     max_attempts=10, sleep=fake.sleep, clock=fake.clock))
    assert fake.sleeps == [1.0, 2.0]  # the next wait (4 s) would end past the deadline


def test_prediction_from_two_progress_readings() -> None:
    assert predict_remaining((1.0, 0.25), (2.0, 0.5)) == pytest.approx(2.0)
    assert predict_remaining(None, (2.0, 0.5)) is None
    assert predict_remaining((1.0, 0.5), (2.0, 0.5)) is None  # no progress: no rate
    assert predict_remaining((1.0, 0.6), (2.0, 0.5)) is None  # going backwards
    assert predict_remaining((1.0, 0.5), (2.0, 1.0)) is None  # done but not Ready: fall back
    assert predict_remaining((2.0, 0.2), (2.0, 0.5)) is None


def test_poll_delay_follows_a_prediction() -> None:
    assert poll_delay(1.4, polls=2, remaining=0.2) == pytest.approx(0.23)  # earlier than scheduled
    assert poll_delay(1.4, polls=3, remaining=0.6) == pytest.approx(0.63)  # a bit later: saves a poll
    assert poll_delay(1.4, polls=3, remaining=5.0) == FAST_INTERVAL  # far off: the schedule
    assert poll_delay(0.2, polls=0, remaining=0.0) == pytest.approx(0.3)  # never before the first poll
    assert poll_delay(0.95, polls=2, remaining=0.0) == pytest.approx(3 / 2.4 - 0.95)  # the rate budget


def _run_job(length: float, progress_known: bool) -> tuple[float, float]:
    """A job that ends ``length`` s after submission with linear progress: detection delay and polls/s."""
    t, polls, readings, predicted_end = 0.0, 0, [], None
    while True:
        remaining = None if predicted_end is None else max(0.0, predicted_end - t)
        t += poll_delay(t, polls=polls, remaining=remaining)
        polls += 1
        if t >= length:
            return t - length, polls / t
        if progress_known:
            readings = [*readings[-1:], (t, t / length)]
            left = predict_remaining(*readings) if len(readings) == 2 else None
            predicted_end = None if left is None else t + left


def test_with_progress_a_ready_job_is_noticed_almost_at_once() -> None:
    jobs = [_run_job(1 + i / 50, progress_known=True) for i in range(451)]  # 1 to 10 s
    delays, rates = zip(*jobs, strict=True)
    assert statistics.mean(delays) < 0.05 and max(delays) <= FAST_INTERVAL
    assert max(rates) <= 2.5


def test_without_progress_the_schedule_alone_is_good_enough() -> None:
    jobs = [_run_job(2 + i / 50, progress_known=False) for i in range(401)]  # 2 to 10 s
    delays, rates = zip(*jobs, strict=True)
    assert statistics.mean(delays) < 0.25 and max(rates) <= 2.5


def test_wrong_predictions_cannot_flood_the_server() -> None:
    t, polls = 0.0, 0
    while t < 60:
        # A job whose progress always claims it is about to finish, and never does.
        t += poll_delay(t, polls=polls, remaining=0.0 if polls else None)
        polls += 1
        assert polls / t <= MAX_POLL_RATE + 1e-9
