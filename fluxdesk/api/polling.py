"""When to poll, and what a poll answer means. Pure: no I/O here.

The schedule: the first poll 0.5 s after submission (BFL's own examples poll every 0.5 s), then every
0.45 s while the job is young — most jobs finish within 2–12 s — then the interval grows by 0.1 s per
second of waiting, up to 2 s for long jobs. On its own that notices a Ready image half an interval
(≈ 0.23 s) after it is ready, on average.

When BFL reports ``progress``, two rising readings predict when the job will be done, and the next poll
is moved to just after that moment (earlier than the schedule, or a little later to save a poll). Early
polls are limited by a budget of ``MAX_POLL_RATE`` polls per second over the job's life, so a wrong
prediction can cost a few extra polls but never a flood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fluxdesk.api.errors import GenerationFailedError, ModeratedError, UnexpectedResponseError
from fluxdesk.core.values import as_float, is_int

FIRST_POLL = 0.5
FAST_INTERVAL = 0.45
FAST_FOR = 12.0
"""Seconds after submission during which polls stay ``FAST_INTERVAL`` apart."""
RAMP = 0.1
"""Extra seconds of interval per second of waiting after ``FAST_FOR``."""
MAX_INTERVAL = 2.0
PREDICTION_MARGIN = 0.03
"""Poll this long after the predicted end: answers are a round trip old."""
MIN_EARLY_DELAY = 0.05
STRETCH = 1.5
"""A predicted end up to this many scheduled intervals away is waited for instead of polled before."""
MAX_POLL_RATE = 2.4
"""Polls per second over a job's life that early (predicted) polls may not push it beyond."""
NOT_FOUND_GRACE = 5.0
"""BFL may answer 404 / ``Task not found`` for a few seconds right after a submission."""
SAMPLE_TTL = 600.0
"""Signed sample URLs expire this many seconds after ``end_time``."""


def scheduled_delay(elapsed: float) -> float:
    """Seconds to wait before the next poll, ``elapsed`` seconds after submission, without a prediction."""
    if elapsed < FIRST_POLL:
        return FIRST_POLL - max(0.0, elapsed)
    if elapsed < FAST_FOR:
        return FAST_INTERVAL
    return min(MAX_INTERVAL, FAST_INTERVAL + RAMP * (elapsed - FAST_FOR))


def predict_remaining(earlier: tuple[float, float] | None, later: tuple[float, float] | None) -> float | None:
    """Seconds until progress reaches 1, from two ``(elapsed, progress)`` readings; ``None`` if unknowable."""
    if earlier is None or later is None:
        return None
    (t0, p0), (t1, p1) = earlier, later
    if not (t1 > t0 and 0 <= p0 < p1 < 1):
        return None
    return (1 - p1) * (t1 - t0) / (p1 - p0)


def poll_delay(elapsed: float, *, polls: int = 0, remaining: float | None = None) -> float:
    """Seconds to wait before the next poll.

    ``elapsed``: seconds since submission; ``polls``: polls made so far; ``remaining``: the predicted
    seconds until the job is done (``predict_remaining``), measured at ``elapsed``.
    """
    delay = scheduled_delay(elapsed)
    if remaining is None or elapsed < FIRST_POLL:
        return delay
    target = remaining + PREDICTION_MARGIN
    if target > delay * STRETCH:
        return delay
    if target >= delay:
        return target
    budget = (polls + 1) / MAX_POLL_RATE - elapsed
    return min(delay, max(target, MIN_EARLY_DELAY, budget))


def poll_times(duration: float) -> list[float]:
    """The moments (seconds after submission) of scheduled polls up to ``duration``, ignoring round trips."""
    times, t = [], 0.0
    while True:
        t += scheduled_delay(t)
        times.append(t)
        if t >= duration:
            return times


@dataclass(frozen=True)
class Result:
    """A finished generation: where to fetch it and what the server actually used."""

    id: str | None
    sample_url: str
    prompt: str | None
    seed: int | None
    start_time: float | None
    end_time: float | None
    duration: float | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def expires_at(self) -> float | None:
        """When the signed sample URL stops working (epoch seconds), if BFL said when it finished."""
        return None if self.end_time is None else self.end_time + SAMPLE_TTL


PENDING = "Pending"
READY = "Ready"
MODERATED = {"Request Moderated": "request", "Content Moderated": "content"}
FAILED = ("Error", "Failed")
NOT_FOUND = "Task not found"


def progress_of(answer: Mapping[str, Any]) -> float | None:
    value = as_float(answer.get("progress"))
    return None if value is None else min(1.0, max(0.0, value))


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == {} or value == []:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v) or ''}".rstrip(": ") for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def result_from(answer: Mapping[str, Any]) -> Result:
    """The ``Result`` of a ``Ready`` answer."""
    result = answer.get("result")
    sample = result.get("sample") if isinstance(result, Mapping) else None
    if not isinstance(sample, str) or not sample:
        raise UnexpectedResponseError("BFL said the image is ready but gave no address to download it.",
                                      billed=True, detail=str(answer)[:500])
    assert isinstance(result, Mapping)
    seed = result.get("seed")
    prompt = result.get("prompt")
    job_id = answer.get("id")
    return Result(
        id=job_id if isinstance(job_id, str) else None,
        sample_url=sample,
        prompt=prompt if isinstance(prompt, str) else None,
        seed=seed if is_int(seed) else None,
        start_time=as_float(result.get("start_time")),
        end_time=as_float(result.get("end_time")),
        duration=as_float(result.get("duration")),
        raw=dict(answer),
    )


def raise_if_final_failure(answer: Mapping[str, Any]) -> None:
    """Raise ``ModeratedError`` / ``GenerationFailedError`` for those statuses; return otherwise."""
    status = answer.get("status")
    details = _text(answer.get("details"))
    if status in MODERATED:
        kind = MODERATED[status]
        reasons = _moderation_reasons(answer.get("details"))
        what = "the prompt or input image" if kind == "request" else "the generated image"
        why = f" ({', '.join(reasons)})" if reasons else ""
        raise ModeratedError(f"BFL's safety filter blocked {what}{why}. Nothing was charged; "
                             "try rewording the prompt.", kind, reasons=reasons, detail=details)
    if status in FAILED:
        raise GenerationFailedError(f"BFL could not generate this image: {details or 'no reason given'}. "
                                    "Nothing was charged.", detail=details)


def _moderation_reasons(details: Any) -> list[str]:
    if isinstance(details, Mapping):
        reasons = details.get("Moderation Reasons") or details.get("moderation_reasons")
        if isinstance(reasons, list):
            return [str(r) for r in reasons]
    return []
