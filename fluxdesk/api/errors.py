"""Everything that can go wrong talking to BFL, as typed errors a designer can read.

Each error says in plain words what happened and what to do, whether trying again may help
(``retryable``) and whether BFL charged for it (``billed``: ``None`` when nobody can tell).
No message ever contains the API key: messages are built from status codes, hosts and BFL's
own ``detail`` text only.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from fluxdesk.core.request import FieldError


class BflError(Exception):
    """Base of every error the BFL client raises."""

    retryable: bool = False
    billed: bool | None = None

    def __init__(self, message: str, *, status: int | None = None, retryable: bool | None = None,
                 billed: bool | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if retryable is not None:
            self.retryable = retryable
        if billed is not None:
            self.billed = billed
        self.detail = detail
        """Technical text for logs (the underlying exception or BFL's raw answer); never the key."""

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class BadRequestError(BflError):
    billed = False


class AuthError(BflError):
    billed = False


class InsufficientCreditsError(BflError):
    billed = False


class ValidationError(BflError):
    billed = False

    def __init__(self, message: str, field_errors: list[FieldError] | None = None, *,
                 status: int | None = 422, detail: str | None = None) -> None:
        super().__init__(message, status=status, detail=detail)
        self.field_errors: list[FieldError] = list(field_errors or [])


class RateLimitedError(BflError):
    retryable = True
    billed = False

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429,
                 detail: str | None = None) -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class ServerError(BflError):
    retryable = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class ModeratedError(BflError):
    billed = False

    def __init__(self, message: str, kind: str, *, reasons: list[str] | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.kind = kind
        """``"request"`` (the prompt or input was refused) or ``"content"`` (the image was)."""
        self.reasons: list[str] = list(reasons or [])


class TaskNotFoundError(BflError):
    pass


class ResultExpiredError(BflError):
    billed = True


class NetworkError(BflError):
    retryable = True


class SubmitOutcomeUnknownError(BflError):
    """The POST may have reached BFL: a task may exist and be billed. Never resent automatically."""

    billed = None


class HostPolicyError(BflError):
    pass


class DeadlineExceededError(BflError):
    def __init__(self, message: str, *, polling_url: str | None = None) -> None:
        super().__init__(message)
        self.polling_url = polling_url


class GenerationFailedError(BflError):
    billed = False


class DownloadError(BflError):
    billed = True


class UnexpectedResponseError(BflError):
    """An answer the protocol does not describe (a redirect, a missing field, not JSON)."""


# --- building errors from HTTP answers -------------------------------------------------------------

AUTH_MESSAGE = ("The API key was refused. Check the key in Settings (it starts with bfl_), "
                "or enter a new one from the BFL dashboard.")
CREDITS_MESSAGE = ("Your BFL account is out of credits (or has no payment method). "
                   "Top up at dashboard.bfl.ai, then try again.")
RATE_LIMIT_MESSAGE = "Too many images are being generated at once; wait for one to finish and try again."


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date); ``None`` when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def detail_text(payload: Any) -> str | None:
    """BFL's ``detail`` (or the whole answer) as one line of text."""
    detail = payload.get("detail", payload) if isinstance(payload, Mapping) else payload
    if detail is None or detail == "":
        return None
    if isinstance(detail, str):
        return detail.strip()[:500]
    if isinstance(detail, list):
        parts = []
        for item in detail:
            parts.append(str(item.get("msg", item)) if isinstance(item, Mapping) else str(item))
        return "; ".join(parts)[:500]
    return str(detail)[:500]


def field_errors_from(payload: Any) -> list[FieldError]:
    """422 ``detail`` list → one ``FieldError`` per item, named by the last element of ``loc``."""
    detail = payload.get("detail") if isinstance(payload, Mapping) else None
    if not isinstance(detail, list):
        return []
    errors = []
    for item in detail:
        if not isinstance(item, Mapping):
            errors.append(FieldError("request", str(item)))
            continue
        loc = item.get("loc")
        name = "request"
        if isinstance(loc, list | tuple) and loc:
            named = [str(part) for part in loc if isinstance(part, str) and part != "body"]
            name = named[-1] if named else str(loc[-1])
        errors.append(FieldError(name, str(item.get("msg", "is not valid"))))
    return errors


def error_for_status(status: int, payload: Any, headers: Mapping[str, str], *, host: str) -> BflError:
    """The error for a non-2xx answer of the BFL API (not of the delivery host)."""
    detail = detail_text(payload)
    if 300 <= status < 400:
        target = headers.get("location", "another address")
        return UnexpectedResponseError(
            f"The BFL API at {host} answered with a redirect (HTTP {status}). FluxDesk never follows "
            "redirects with your API key; check the API address in Settings.",
            status=status, detail=f"Location: {target}")
    if status == 400:
        return BadRequestError(f"BFL could not read the request: {detail or 'bad request'}.",
                               status=status, detail=detail)
    if status in (401, 403):
        return AuthError(AUTH_MESSAGE, status=status, detail=detail)
    if status == 402:
        return InsufficientCreditsError(CREDITS_MESSAGE, status=status, detail=detail)
    if status == 422:
        fields = field_errors_from(payload)
        if fields:
            text = "; ".join(str(f) for f in fields)
        else:
            text = detail or "the settings are not valid"
        return ValidationError(f"BFL refused these settings: {text}", fields, status=status, detail=detail)
    if status == 429:
        return RateLimitedError(RATE_LIMIT_MESSAGE, retry_after=parse_retry_after(headers.get("retry-after")),
                                detail=detail)
    if status >= 500:
        return ServerError(f"BFL's servers are having trouble (HTTP {status}). Try again in a few minutes.",
                           status=status, retry_after=parse_retry_after(headers.get("retry-after")),
                           detail=detail)
    return UnexpectedResponseError(f"BFL answered HTTP {status}: {detail or 'no explanation given'}.",
                                   status=status, detail=detail)
