"""Fetching a signed sample URL: no credentials, https-only redirects, a byte cap, an image check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from fluxdesk.api.errors import (
    DownloadError,
    NetworkError,
    RateLimitedError,
    ResultExpiredError,
    ServerError,
    parse_retry_after,
)
from fluxdesk.api.hosts import HostPolicy, host_of

MAX_REDIRECTS = 5
IMAGE_TYPES = {"image/jpeg": "jpeg", "image/jpg": "jpeg", "image/pjpeg": "jpeg", "image/png": "png",
               "image/webp": "webp"}
EXTENSIONS = {"jpeg": "jpeg", "jpg": "jpeg", "png": "png", "webp": "webp"}
UNTYPED = {"application/octet-stream", "binary/octet-stream"}
"""Blob stores sometimes send these for images: then the URL or the bytes tell what it is."""


@dataclass(frozen=True)
class Sample:
    data: bytes = field(repr=False)
    extension: str
    """``jpeg``, ``png`` or ``webp``, without the dot."""
    content_type: str | None


def extension_from_url(url: str | httpx.URL) -> str | None:
    """``…/sample.jpeg?se=…&rsct=image/jpeg`` → ``jpeg``: from the path only, never the query."""
    path = (url if isinstance(url, httpx.URL) else httpx.URL(url)).path
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return EXTENSIONS.get(name.rsplit(".", 1)[1].lower())


def media_type(header: str | None) -> str | None:
    if not header:
        return None
    return header.split(";", 1)[0].strip().lower() or None


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _check_type(ctype: str | None) -> None:
    if ctype is None or ctype in IMAGE_TYPES or ctype in UNTYPED:
        return
    if ctype.startswith("image/"):
        raise DownloadError(f"The image server sent {ctype}; FluxDesk expected a JPEG, PNG or WebP image.")
    raise DownloadError(f"The image server sent {ctype} instead of an image; the link may have expired "
                        "or been blocked on the way.")


def _size_error(limit: int) -> DownloadError:
    return DownloadError(f"The image is larger than {limit // 2**20} MiB; FluxDesk stopped downloading it.")


def _status_error(response: httpx.Response, expires_at: float | None) -> Exception:
    status = response.status_code
    if status in (401, 403, 404, 410):
        if expires_at is not None and time.time() < expires_at:
            when = time.strftime("%H:%M", time.localtime(expires_at))
            message = (f"The image server refused the download link (HTTP {status}) although it should "
                       f"work until {when}. The image was billed but cannot be fetched.")
        else:
            message = ("The image's download link has expired (links last 10 minutes after the image is "
                       "ready). The image was billed but can no longer be fetched.")
        return ResultExpiredError(message, status=status)
    if status == 429:
        return RateLimitedError("The image server is busy; FluxDesk will try again.", status=status,
                                retry_after=parse_retry_after(response.headers.get("retry-after")))
    if status >= 500:
        return ServerError(f"The image server is having trouble (HTTP {status}).", status=status,
                           retry_after=parse_retry_after(response.headers.get("retry-after")))
    return DownloadError(f"The image server answered HTTP {status}.", status=status)


def network_error(exc: httpx.RequestError, url: httpx.URL, what: str) -> NetworkError:
    host = host_of(url)
    if isinstance(exc, httpx.ConnectTimeout):
        reason = "the connection timed out"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not connect"
    elif isinstance(exc, httpx.TimeoutException):
        reason = "it stopped answering"
    else:
        reason = "the connection was lost"
    return NetworkError(f"Could not {what} from {host}: {reason}. Check your internet connection.",
                        detail=f"{type(exc).__name__}: {exc}")


async def fetch_sample(client: httpx.AsyncClient, url: httpx.URL, *, policy: HostPolicy, max_bytes: int,
                       expires_at: float | None = None) -> Sample:
    """One download attempt (redirects included). Raises a ``BflError``; the caller decides on retries."""
    current = url
    path_extension = extension_from_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            async with client.stream("GET", current) as response:
                if 300 <= response.status_code < 400:
                    location = response.headers.get("location")
                    if not location:
                        raise DownloadError(f"The image server answered HTTP {response.status_code} "
                                            "without saying where the image is.")
                    current = policy.check_sample_url(current.join(location))
                    continue
                if response.status_code != 200:
                    raise _status_error(response, expires_at)
                return await _read_image(response, path_extension or extension_from_url(current), max_bytes)
        except httpx.RequestError as exc:
            raise network_error(exc, current, "download the image") from None
    raise DownloadError("The image server redirected too many times.")


async def _read_image(response: httpx.Response, path_extension: str | None, max_bytes: int) -> Sample:
    ctype = media_type(response.headers.get("content-type"))
    _check_type(ctype)
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise _size_error(max_bytes)
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise _size_error(max_bytes)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise DownloadError("The image server sent an empty file.")
    extension = path_extension or IMAGE_TYPES.get(ctype or "") or sniff(data)
    if extension is None:
        raise DownloadError("The image server sent a file that is not a JPEG, PNG or WebP image.")
    return Sample(data=data, extension=extension, content_type=ctype)
