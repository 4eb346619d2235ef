"""The BFL API client: host policy, typed errors, retries that never bill twice.

Names load lazily: ``import fluxdesk.api`` alone loads no submodule, and so no httpx.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "REGIONS": "hosts",
    "AuthError": "errors",
    "BadRequestError": "errors",
    "BflClient": "client",
    "BflError": "errors",
    "DeadlineExceededError": "errors",
    "DownloadError": "errors",
    "GenerationFailedError": "errors",
    "HostPolicy": "hosts",
    "HostPolicyError": "errors",
    "InsufficientCreditsError": "errors",
    "ModeratedError": "errors",
    "NetworkError": "errors",
    "RateLimitedError": "errors",
    "Result": "polling",
    "ResultExpiredError": "errors",
    "RetryPolicy": "retry",
    "Sample": "download",
    "ServerError": "errors",
    "Submission": "client",
    "SubmitOutcomeUnknownError": "errors",
    "TaskNotFoundError": "errors",
    "Timeouts": "client",
    "UnexpectedResponseError": "errors",
    "ValidationError": "errors",
    "poll_delay": "polling",
    "region_base": "hosts",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'fluxdesk.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fluxdesk.api.{module}"), name)
    globals()[name] = value
    return value
