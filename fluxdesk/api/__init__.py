"""The BFL API client: host policy, typed errors, retries that never bill twice."""

from fluxdesk.api.client import BflClient, Submission, Timeouts
from fluxdesk.api.download import Sample
from fluxdesk.api.errors import (
    AuthError,
    BadRequestError,
    BflError,
    DeadlineExceededError,
    DownloadError,
    GenerationFailedError,
    HostPolicyError,
    InsufficientCreditsError,
    ModeratedError,
    NetworkError,
    RateLimitedError,
    ResultExpiredError,
    ServerError,
    SubmitOutcomeUnknownError,
    TaskNotFoundError,
    UnexpectedResponseError,
    ValidationError,
)
from fluxdesk.api.hosts import REGIONS, HostPolicy, region_base
from fluxdesk.api.polling import Result, poll_delay
from fluxdesk.api.retry import RetryPolicy

__all__ = [
    "REGIONS",
    "AuthError",
    "BadRequestError",
    "BflClient",
    "BflError",
    "DeadlineExceededError",
    "DownloadError",
    "GenerationFailedError",
    "HostPolicy",
    "HostPolicyError",
    "InsufficientCreditsError",
    "ModeratedError",
    "NetworkError",
    "RateLimitedError",
    "Result",
    "ResultExpiredError",
    "RetryPolicy",
    "Sample",
    "ServerError",
    "Submission",
    "SubmitOutcomeUnknownError",
    "TaskNotFoundError",
    "Timeouts",
    "UnexpectedResponseError",
    "ValidationError",
    "poll_delay",
    "region_base",
]
