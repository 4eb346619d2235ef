"""The client over a mock transport: requests sent, answers mapped to errors, what is (not) retried."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from api_support import KEY, FakeTime

from fluxdesk.api import (
    AuthError,
    BadRequestError,
    BflError,
    DeadlineExceededError,
    GenerationFailedError,
    InsufficientCreditsError,
    ModeratedError,
    NetworkError,
    RateLimitedError,
    RetryPolicy,
    SubmitOutcomeUnknownError,
    TaskNotFoundError,
    UnexpectedResponseError,
    ValidationError,
)
from fluxdesk.core.request import FieldError, GenerationRequest

POLL = "https://api.eu2.bfl.ai/v1/get_result?id=t1"
SAMPLE = "https://delivery-eu1.bfl.ai/results/t1/sample.jpeg?se=2025-01-01T00%3A00&rsct=image/jpeg&sig=a/b"
CREATED = {"id": "t1", "polling_url": POLL, "cost": 4.5, "input_mp": 0.0, "output_mp": 1.05}


def run(coro):
    return asyncio.run(coro)


def answers(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler giving these answers in turn (an exception is raised instead), the last one forever."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise type(item)(str(item), request=request)  # type: ignore[call-arg]
        return item

    return handler


def ok(payload: object) -> httpx.Response:
    return httpx.Response(200, json=payload)


def status(code: int, payload: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(code, json=payload if payload is not None else {"detail": "x"}, headers=headers)


def test_submit_sends_the_body_with_the_key_and_parses_decimals(mock_client) -> None:
    client, rec = mock_client(answers(ok(CREATED)))
    body = {"prompt": "a fox", "width": 1024, "webhook_url": "https://x", "webhook_secret": "s"}
    sub = run(client.submit(body, "flux-2-pro"))
    assert (sub.id, sub.polling_url) == ("t1", POLL)
    assert sub.cost == Decimal("4.5") and sub.output_mp == Decimal("1.05") and sub.input_mp == Decimal("0.0")
    [req] = rec.requests
    assert req.method == "POST" and str(req.url) == "https://api.bfl.ai/v1/flux-2-pro"
    assert req.headers["x-key"] == KEY
    assert json.loads(req.content) == {"prompt": "a fox", "width": 1024}  # never webhook fields


def test_older_answers_without_cost(mock_client) -> None:
    client, _ = mock_client(answers(ok({"id": "t1", "polling_url": POLL, "cost": None})))
    sub = run(client.submit({"prompt": "p"}, "flux-pro-1.1"))
    assert sub.cost is None and sub.input_mp is None and sub.output_mp is None


def test_legacy_host_without_polling_url_uses_get_result(mock_client) -> None:
    client, _ = mock_client(answers(ok({"id": "a b"})), api_base="https://api.eu1.bfl.ai")
    assert run(client.submit({"prompt": "p"}, "flux-dev")).polling_url == \
        "https://api.eu1.bfl.ai/v1/get_result?id=a%20b"
    client, _ = mock_client(answers(ok({"id": "t9"})))
    with pytest.raises(UnexpectedResponseError, match="t9"):
        run(client.submit({"prompt": "p"}, "flux-dev"))


def test_invalid_request_is_refused_locally(mock_client) -> None:
    client, rec = mock_client(answers(ok(CREATED)))
    with pytest.raises(ValidationError) as info:
        run(client.submit_request(GenerationRequest(model="flux-pro-1.1", prompt="", width=1000)))
    assert {e.field for e in info.value.field_errors} == {"prompt", "width"}
    with pytest.raises(ValidationError):
        run(client.submit({"prompt": "x"}, "../v1/credits"))
    assert rec.requests == []
    client, rec = mock_client(answers(ok(CREATED)))
    run(client.submit_request(GenerationRequest(model="flux-pro-1.1", prompt="a cat", seed=3)))
    assert json.loads(rec.requests[0].content) == {"prompt": "a cat", "seed": 3}


@pytest.mark.parametrize(("code", "payload", "error", "words"), [
    (400, {"detail": "Malformed JSON"}, BadRequestError, "Malformed JSON"),
    (403, {"detail": "Not authenticated - Invalid Authentication"}, AuthError, "The API key was refused"),
    (402, {"detail": "Insufficient credits"}, InsufficientCreditsError, "Top up"),
    (404, {"detail": "Not Found"}, UnexpectedResponseError, "404"),
])
def test_submit_errors(mock_client, code, payload, error, words) -> None:
    client, rec = mock_client(answers(status(code, payload)))
    with pytest.raises(error) as info:
        run(client.submit({"prompt": "p"}, "flux-2-pro"))
    assert words in info.value.message and info.value.status == code
    assert info.value.billed in (False, None) and not info.value.retryable
    assert len(rec.requests) == 1


def test_422_field_messages(mock_client) -> None:
    detail = [{"loc": ["body", "width"], "msg": "must be a multiple of 32", "type": "value_error"},
              {"loc": ["body", "steps"], "msg": "too many", "type": "value_error"}]
    client, _ = mock_client(answers(status(422, {"detail": detail})))
    with pytest.raises(ValidationError) as info:
        run(client.submit({"prompt": "p"}, "flux-pro"))
    assert info.value.field_errors == [FieldError("width", "must be a multiple of 32"),
                                       FieldError("steps", "too many")]
    assert "width: must be a multiple of 32" in info.value.message

    client, _ = mock_client(answers(status(422, {"detail": "prompt too long"})))
    with pytest.raises(ValidationError) as info:
        run(client.submit({"prompt": "p"}, "flux-pro"))
    assert info.value.field_errors == [] and "prompt too long" in info.value.message


def test_429_is_retried_honouring_retry_after(mock_client, fake_time: FakeTime) -> None:
    client, rec = mock_client(answers(status(429, headers={"Retry-After": "1"}), ok(CREATED)))
    assert run(client.submit({"prompt": "p"}, "flux-2-pro")).id == "t1"
    assert len(rec.requests) == 2 and fake_time.sleeps == [1.0]


def test_post_retries_are_capped(mock_client) -> None:
    client, rec = mock_client(answers(status(429)))
    with pytest.raises(RateLimitedError) as info:
        run(client.submit({"prompt": "p"}, "flux-2-pro"))
    assert len(rec.requests) == client.retry.max_post_attempts == 5
    assert info.value.billed is False


@pytest.mark.parametrize("first", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"),
                                   status(503, {"detail": "Service Unavailable"})])
def test_post_that_never_arrived_is_resent(mock_client, first) -> None:
    client, rec = mock_client(answers(first, ok(CREATED)))
    assert run(client.submit({"prompt": "p"}, "flux-2-pro")).id == "t1"
    assert len(rec.requests) == 2


@pytest.mark.parametrize("first", [httpx.ReadTimeout("no answer"), httpx.RemoteProtocolError("dropped"),
                                   httpx.WriteError("broken pipe"), httpx.ReadError("reset"),
                                   status(500), status(502), status(504), httpx.Response(200, text="<html>")])
def test_post_with_unknown_outcome_is_never_resent(mock_client, first) -> None:
    client, rec = mock_client(answers(first, ok(CREATED)))
    with pytest.raises(SubmitOutcomeUnknownError) as info:
        run(client.submit({"prompt": "p"}, "flux-2-pro"))
    assert len(rec.requests) == 1
    assert "unknown" in info.value.message and "billed" in info.value.message
    assert info.value.billed is None and not info.value.retryable


def test_redirect_from_the_api_is_an_error_not_followed(mock_client) -> None:
    client, rec = mock_client(answers(httpx.Response(302, headers={"Location": "https://evil.example.com/"})))
    with pytest.raises(UnexpectedResponseError, match="redirect"):
        run(client.submit({"prompt": "p"}, "flux-2-pro"))
    with pytest.raises(UnexpectedResponseError):
        run(client.credits())
    assert {r.url.host for r in rec.requests} == {"api.bfl.ai"}


def test_network_down_on_get_is_retried_then_reported(mock_client) -> None:
    client, rec = mock_client(answers(httpx.ConnectError("refused")))
    with pytest.raises(NetworkError) as info:
        run(client.credits())
    assert len(rec.requests) == client.retry.max_attempts
    assert "api.bfl.ai" in info.value.message and info.value.retryable


def test_credits(mock_client) -> None:
    client, rec = mock_client(answers(status(500), ok({"credits": 123.45})))
    assert run(client.credits()) == Decimal("123.45")
    assert [str(r.url) for r in rec.requests] == ["https://api.bfl.ai/v1/credits"] * 2
    assert rec.requests[0].headers["x-key"] == KEY


def test_poll_retries_5xx_and_sends_the_key_to_bfl_clusters(mock_client) -> None:
    client, rec = mock_client(answers(status(503), httpx.ReadTimeout("slow"), ok({"status": "Pending"})))
    assert run(client.poll(POLL))["status"] == "Pending"
    assert [str(r.url) for r in rec.requests] == [POLL] * 3
    assert all(r.headers["x-key"] == KEY for r in rec.requests)


def test_poll_not_found(mock_client) -> None:
    client, _ = mock_client(answers(status(404, {"status": "Task not found"})))
    with pytest.raises(TaskNotFoundError):
        run(client.poll(POLL))
    client, _ = mock_client(answers(ok({"id": "t1", "status": "Task not found"})))
    with pytest.raises(TaskNotFoundError):
        run(client.poll(POLL))


READY = {"id": "t1", "status": "Ready", "result": {
    "sample": SAMPLE, "prompt": "a fox, upsampled", "seed": 42, "start_time": 1700000000.5,
    "end_time": 1700000004.0, "duration": 3.5}}


def pending(progress: float | None) -> httpx.Response:
    return ok({"id": "t1", "status": "Pending", "progress": progress, "result": None})


def test_wait_reports_progress_and_returns_the_result(mock_client, fake_time: FakeTime) -> None:
    client, rec = mock_client(answers(pending(None), pending(0.4), ok({"status": "Queued?"}), ok(READY)))
    seen: list[float | None] = []
    result = run(client.wait(POLL, on_progress=seen.append))
    assert seen == [None, 0.4, None, 1.0]
    assert (result.id, result.sample_url, result.prompt, result.seed) == ("t1", SAMPLE, "a fox, upsampled", 42)
    assert (result.start_time, result.end_time, result.duration) == (1700000000.5, 1700000004.0, 3.5)
    assert result.expires_at == 1700000004.0 + 600
    assert result.raw == READY
    assert fake_time.sleeps[0] == pytest.approx(0.5) and len(rec.requests) == 4


def test_wait_tolerates_an_early_not_found(mock_client) -> None:
    not_found = status(404, {"id": "t1", "status": "Task not found"})
    client, rec = mock_client(answers(not_found, ok({"status": "Task not found"}), not_found, ok(READY)))
    assert run(client.wait(POLL)).seed == 42
    assert len(rec.requests) == 4


def test_wait_gives_up_on_a_task_that_stays_not_found(mock_client, fake_time: FakeTime) -> None:
    client, _ = mock_client(answers(status(404, {"status": "Task not found"})))
    start = fake_time.now
    with pytest.raises(TaskNotFoundError):
        run(client.wait(POLL))
    assert 5.0 <= fake_time.now - start < 6.0



def test_an_early_not_found_after_seconds_of_server_errors_is_still_tolerated(mock_client,
                                                                             fake_time: FakeTime) -> None:
    # Found by the fault soak: the first polls of a job failed (503, a dropped connection) for more than
    # the 5 s grace, so the simulator's early "not found" that came next ended a billed job as "failed,
    # not charged". The grace now counts from the first "not found", not from the submission.
    not_found = status(404, {"id": "t1", "status": "Task not found"})
    slow = RetryPolicy(base_delay=2.0, factor=2.0, max_delay=8.0, jitter=0.0, deadline=60.0)
    client, rec = mock_client(answers(status(503), status(503), status(503), not_found, not_found, ok(READY)),
                              retry=slow)
    start = fake_time.now
    assert run(client.wait(POLL)).seed == 42
    assert fake_time.now - start > 5.0 + 0.5 and len(rec.requests) == 6

@pytest.mark.parametrize(("answer", "error", "kind"), [
    ({"status": "Request Moderated", "details": {"Moderation Reasons": ["Derivative Works Filter"]}},
     ModeratedError, "request"),
    ({"status": "Content Moderated"}, ModeratedError, "content"),
    ({"status": "Error", "details": "out of memory"}, GenerationFailedError, None),
    ({"status": "Failed", "details": {"reason": "nsfw"}}, GenerationFailedError, None),
])
def test_wait_final_failures(mock_client, answer, error, kind) -> None:
    client, _ = mock_client(answers(pending(0.1), ok(answer)))
    with pytest.raises(error) as info:
        run(client.wait(POLL))
    assert info.value.billed is False
    if kind:
        assert info.value.kind == kind and "Nothing was charged" in info.value.message
    else:
        assert "BFL could not generate this image" in info.value.message and info.value.detail


def test_wait_deadline(mock_client, fake_time: FakeTime) -> None:
    client, rec = mock_client(answers(pending(0.5)))
    start = fake_time.now
    with pytest.raises(DeadlineExceededError) as info:
        run(client.wait(POLL, deadline=30.0))
    assert fake_time.now - start == pytest.approx(30.0)
    assert info.value.polling_url == POLL
    assert len(rec.requests) < 45


def test_wait_counts_the_schedule_from_submission(mock_client, fake_time: FakeTime) -> None:
    client, _ = mock_client(answers(ok(READY)))
    run(client.wait(POLL, submitted_at=fake_time.now - 20.0))
    assert fake_time.sleeps == [pytest.approx(1.25)]


def _all_error_texts(err: BflError) -> str:
    return f"{err} {err!r} {err.message} {err.detail} {err.args}"


def test_the_key_never_appears_in_an_error(mock_client) -> None:
    cases: list[httpx.Response | Exception] = [
        status(403), status(402), status(422), status(500), httpx.ReadTimeout("t"), httpx.ConnectError("c"),
        httpx.Response(302, headers={"Location": "https://x"})]
    for case in cases:
        client, _ = mock_client(answers(case))
        for call in (client.submit({"prompt": "p"}, "flux-2-pro"), client.credits(), client.wait(POLL)):
            with pytest.raises(BflError) as info:
                run(call)
            assert KEY not in _all_error_texts(info.value)
