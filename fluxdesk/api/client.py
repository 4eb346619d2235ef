"""The async BFL client: submit, poll, download, credits.

Two HTTP clients: the API client adds ``x-key`` per request, only to hosts the policy allows, and never
follows redirects; the download client carries no credentials at all (no key, no auth, no cookies).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import quote

import httpx

from fluxdesk.api.download import Sample, fetch_sample, network_error
from fluxdesk.api.errors import (
    BflError,
    DeadlineExceededError,
    SubmitOutcomeUnknownError,
    TaskNotFoundError,
    UnexpectedResponseError,
    ValidationError,
    error_for_status,
)
from fluxdesk.api.hosts import HostPolicy, host_of
from fluxdesk.api.polling import (
    NOT_FOUND,
    NOT_FOUND_GRACE,
    READY,
    Result,
    poll_delay,
    predict_remaining,
    progress_of,
    raise_if_final_failure,
    result_from,
)
from fluxdesk.api.retry import RetryPolicy, run_with_retries
from fluxdesk.core.request import FieldError, GenerationRequest, validate
from fluxdesk.core.values import as_decimal

__all__ = ["BflClient", "Result", "Sample", "Submission", "Timeouts"]

USER_AGENT = "FluxDesk/0.1"
DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 2**20
WEBHOOK_FIELDS = ("webhook_url", "webhook_secret")
"""A desktop app has no public endpoint: these are never sent (the answer would lack polling_url)."""
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")

UNKNOWN_OUTCOME = ("The connection to BFL was lost after the request was sent, so it is unknown whether "
                   "BFL started this image (it may have been billed). FluxDesk will not send it again on "
                   "its own; check your BFL dashboard before trying again.")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0
    download_read: float = 60.0

    def for_api(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)

    def for_download(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.download_read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class Submission:
    id: str
    polling_url: str
    cost: Decimal | None
    """Credits, as BFL billed them (``None`` in older answers)."""
    input_mp: Decimal | None
    output_mp: Decimal | None
    raw: dict[str, Any] = field(repr=False)


class _Secret:
    """Holds the key so that no repr, traceback-with-locals or log line can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__


class _KeyAuth(httpx.Auth):
    """Adds ``x-key`` to each request whose URL the host policy allows; to no other."""

    def __init__(self, key: _Secret, policy: HostPolicy) -> None:
        self._key = key
        self._policy = policy

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._policy.may_send_key(request.url):
            request.headers["x-key"] = self._key.reveal()
        else:
            request.headers.pop("x-key", None)
        yield request


def _no_cookies() -> CookieJar:
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _check_key(key: str) -> None:
    if not isinstance(key, str) or any(not 0x20 < ord(c) < 0x7F for c in key):
        # The key itself is left out: this message may end up in a log.
        raise ValueError("the API key may only contain visible ASCII characters (no spaces or line breaks)")


class BflClient:
    """Talks to one BFL API base (or the simulator on loopback) with one key."""

    def __init__(self, api_base: str, key: str, *, retry: RetryPolicy | None = None,
                 timeouts: Timeouts | None = None, max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
                 transport: httpx.AsyncBaseTransport | None = None,
                 download_transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = HostPolicy(api_base)
        _check_key(key)
        self._key = _Secret(key)
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts = timeouts or Timeouts()
        self.max_download_bytes = max_download_bytes
        self._sleep = sleep
        self._clock = clock
        # Proxies from the environment are fine for BFL over https, but the local simulator is never
        # sent through one.
        trust_env = not self._policy.loopback
        self._api = httpx.AsyncClient(
            auth=_KeyAuth(self._key, self._policy), follow_redirects=False, timeout=timeouts.for_api(),
            transport=transport, trust_env=trust_env, cookies=_no_cookies(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._download = httpx.AsyncClient(
            follow_redirects=False, timeout=timeouts.for_download(),
            transport=download_transport or transport, trust_env=trust_env, cookies=_no_cookies(),
            headers={"User-Agent": USER_AGENT, "Accept": "image/*"})

    @property
    def api_base(self) -> str:
        return self._policy.api_base

    @property
    def loopback(self) -> bool:
        return self._policy.loopback

    def __repr__(self) -> str:
        return f"BflClient(api_base={self.api_base!r}, key=<hidden>)"

    async def __aenter__(self) -> BflClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._download.aclose()

    # --- submit -------------------------------------------------------------------------------------

    async def submit_request(self, req: GenerationRequest) -> Submission:
        """Validate ``req`` locally (nothing is sent when it is invalid), then submit it."""
        validation = validate(req)
        if not validation.ok:
            raise ValidationError(f"These settings are not valid: {validation.message()}",
                                  list(validation.errors), status=None)
        assert validation.body is not None
        return await self.submit(validation.body, req.model)

    async def submit(self, body: dict[str, Any], model: str) -> Submission:
        """POST one generation. Retried only when the request provably never reached BFL."""
        if not isinstance(model, str) or not _MODEL_ID.match(model):
            raise ValidationError("This is not a BFL model name.", [FieldError("model", "is not a BFL model")],
                                  status=None)
        payload = {k: v for k, v in body.items() if k not in WEBHOOK_FIELDS}
        url = self._policy.check_api_url(f"{self.api_base}/v1/{model}")
        return await run_with_retries(lambda: self._post_once(url, payload), self.retry,
                                      max_attempts=self.retry.max_post_attempts, sleep=self._sleep,
                                      clock=self._clock, what=f"submit to {model}")

    async def _post_once(self, url: httpx.URL, payload: dict[str, Any]) -> Submission:
        try:
            response = await self._api.post(url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection was made (or none was free): the body cannot have reached BFL.
            raise network_error(exc, url, "reach BFL") from None
        except httpx.RequestError as exc:
            raise SubmitOutcomeUnknownError(UNKNOWN_OUTCOME, detail=f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return self._submission(_json(response))
        error = error_for_status(status, _json(response), response.headers, host=host_of(url))
        if status >= 500 and status != 503:
            # A 503 means BFL answered without creating a task; after 500/502/504 nobody can tell.
            raise SubmitOutcomeUnknownError(
                f"BFL answered HTTP {status} to the submission, so it is unknown whether it started this "
                "image (it may have been billed). FluxDesk will not send it again on its own; check your "
                "BFL dashboard before trying again.", status=status, detail=error.detail)
        raise error

    def _submission(self, answer: Any) -> Submission:
        task_id = answer.get("id") if isinstance(answer, Mapping) else None
        if not isinstance(task_id, str) or not task_id:
            raise SubmitOutcomeUnknownError(
                "BFL's answer to the submission could not be read, so it is unknown whether it started "
                "this image (it may have been billed). FluxDesk will not send it again on its own.",
                status=200, detail=str(answer)[:500])
        assert isinstance(answer, Mapping)
        polling_url = answer.get("polling_url")
        if not isinstance(polling_url, str) or not polling_url:
            if not self._policy.legacy_single_cluster:
                raise UnexpectedResponseError(
                    f"BFL accepted the image (job {task_id}) but gave no address to follow it; it may "
                    "be billed. Check your BFL dashboard.", status=200, detail=str(answer)[:500])
            polling_url = f"{self.api_base}/v1/get_result?id={quote(task_id, safe='')}"
        return Submission(id=task_id, polling_url=polling_url, cost=as_decimal(answer.get("cost"), negative=True),
                          input_mp=as_decimal(answer.get("input_mp"), negative=True),
                          output_mp=as_decimal(answer.get("output_mp"), negative=True), raw=dict(answer))

    # --- GETs: polls and credits --------------------------------------------------------------------

    async def _get_json_once(self, url: httpx.URL, what: str) -> Any:
        try:
            response = await self._api.get(url)
        except httpx.RequestError as exc:
            raise network_error(exc, url, what) from None
        if response.status_code == 200:
            answer = _json(response)
            if answer is None:
                raise UnexpectedResponseError(f"BFL's answer from {host_of(url)} could not be read.",
                                              status=200, retryable=True, detail=response.text[:200])
            return answer
        raise error_for_status(response.status_code, _json(response), response.headers, host=host_of(url))

    async def _poll_once(self, url: httpx.URL) -> dict[str, Any]:
        try:
            answer = await self._get_json_once(url, "check on the image")
        except BflError as err:
            if err.status == 404:
                raise _not_found(url) from None
            raise
        if not isinstance(answer, dict):
            raise UnexpectedResponseError("BFL's answer about the image could not be read.", status=200)
        if answer.get("status") == NOT_FOUND:
            raise _not_found(url)
        return answer

    async def _poll(self, url: httpx.URL, deadline_at: float | None = None) -> dict[str, Any]:
        return await run_with_retries(lambda: self._poll_once(url), self.retry,
                                      max_attempts=self.retry.max_attempts, sleep=self._sleep,
                                      clock=self._clock, deadline_at=deadline_at, what="poll")

    async def poll(self, polling_url: str) -> dict[str, Any]:
        """One poll of exactly ``polling_url`` (transient failures retried). ``TaskNotFoundError`` on 404."""
        return await self._poll(self._policy.check_polling_url(polling_url))

    async def wait(self, polling_url: str, *, on_progress: Callable[[float | None], object] | None = None,
                   deadline: float = 600.0, submitted_at: float | None = None) -> Result:
        """Poll until the image is ready; raise the matching ``BflError`` otherwise.

        ``deadline`` counts from this call. ``submitted_at`` is the client clock's reading
        (``time.monotonic()`` by default) just before the POST; the poll schedule counts from it. An early
        "not found" is tolerated for ``NOT_FOUND_GRACE`` seconds from the first of a run of them: polls
        that failed with server errors first must not use up the grace (the job was accepted and may
        well be billed).
        """
        url = self._policy.check_polling_url(polling_url)
        start = self._clock()
        origin = start if submitted_at is None else min(submitted_at, start)
        end = start + deadline
        polls = 0
        readings: list[tuple[float, float]] = []
        predicted_end: float | None = None  # seconds after origin
        not_found_since: float | None = None
        while True:
            now = self._clock()
            if now >= end:
                raise DeadlineExceededError(
                    f"BFL has not finished the image after {deadline:.0f} s. It may still finish (and be "
                    "billed); FluxDesk can check on it again later.", polling_url=polling_url)
            elapsed = now - origin
            remaining = None if predicted_end is None else max(0.0, predicted_end - elapsed)
            await self._sleep(min(poll_delay(elapsed, polls=polls, remaining=remaining), end - now))
            polls += 1
            try:
                answer = await self._poll(url, deadline_at=end)
            except TaskNotFoundError:
                now = self._clock()
                not_found_since = now if not_found_since is None else not_found_since
                if now - not_found_since < NOT_FOUND_GRACE:
                    continue
                raise
            not_found_since = None
            if answer.get("status") == READY:
                result = result_from(answer)
                if on_progress is not None:
                    on_progress(1.0)
                return result
            raise_if_final_failure(answer)
            progress = progress_of(answer)
            if progress is not None:
                readings = [*readings[-1:], (self._clock() - origin, progress)]
                left = predict_remaining(*readings) if len(readings) == 2 else None
                predicted_end = None if left is None else readings[-1][0] + left
            if on_progress is not None:
                on_progress(progress)

    async def credits(self) -> Decimal:
        """The organisation's credit balance (1 credit = US$0.01)."""
        url = self._policy.check_api_url(f"{self.api_base}/v1/credits")
        answer = await run_with_retries(lambda: self._get_json_once(url, "read the credits"), self.retry,
                                        max_attempts=self.retry.max_attempts, sleep=self._sleep,
                                        clock=self._clock, what="credits")
        value = as_decimal(answer.get("credits"), negative=True) if isinstance(answer, Mapping) else None
        if value is None:
            raise UnexpectedResponseError("BFL's answer about the credits could not be read.", status=200,
                                          detail=str(answer)[:200])
        return value

    # --- download -----------------------------------------------------------------------------------

    async def download(self, sample_url: str, *, expires_at: float | None = None) -> Sample:
        """Fetch a signed sample URL without credentials. ``expires_at``: epoch seconds (``Result.expires_at``)."""
        url = self._policy.check_sample_url(sample_url)
        return await run_with_retries(
            lambda: fetch_sample(self._download, url, policy=self._policy, max_bytes=self.max_download_bytes,
                                 expires_at=expires_at),
            self.retry, max_attempts=self.retry.max_attempts, sleep=self._sleep, clock=self._clock,
            what="download")


def _not_found(url: httpx.URL) -> TaskNotFoundError:
    return TaskNotFoundError("BFL does not know this image job (it may be too old, or its address is wrong).",
                             status=404, detail=f"polling host {host_of(url)}")
