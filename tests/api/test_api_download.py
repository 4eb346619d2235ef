"""Downloads over a mock transport: no credentials, type and size checks, the extension, expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from fluxdesk.api import DownloadError, HostPolicyError, NetworkError, ResultExpiredError
from fluxdesk.api.download import extension_from_url, sniff

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
SAMPLE = "https://delivery-eu1.bfl.ai/results/t1/sample.jpeg?se=2025-01-01&rsct=image/jpeg&sp=r/x.png"


def run(coro):
    return asyncio.run(coro)


def image(data: bytes = JPEG, ctype: str | None = "image/jpeg", code: int = 200) -> httpx.Response:
    return httpx.Response(code, content=data, headers={"Content-Type": ctype} if ctype else {})


def test_extension_from_the_path_not_the_query() -> None:
    assert extension_from_url(SAMPLE) == "jpeg"
    assert extension_from_url("https://d.bfl.ai/r/sample.PNG?a=b.jpeg") == "png"
    assert extension_from_url("https://d.bfl.ai/r/sample.webp") == "webp"
    assert extension_from_url("https://d.bfl.ai/r/sample?rsct=image/jpeg&x=a/b.png") is None
    assert extension_from_url("https://d.bfl.ai/a.b/sample") is None
    assert (sniff(JPEG), sniff(PNG), sniff(b"RIFF\0\0\0\0WEBPVP8 "), sniff(b"<html>")) == \
        ("jpeg", "png", "webp", None)


def test_download_sends_no_credentials(mock_client) -> None:
    client, rec = mock_client(lambda r: image())
    sample = run(client.download(SAMPLE))
    run(client.download(SAMPLE))
    assert (sample.data, sample.extension, sample.content_type) == (JPEG, "jpeg", "image/jpeg")
    for req in rec.requests:
        assert "x-key" not in req.headers and "authorization" not in req.headers
        assert "cookie" not in req.headers


def test_set_cookie_is_not_kept(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=JPEG, headers={"Content-Type": "image/jpeg",
                                                          "Set-Cookie": "track=1; Path=/"})

    client, rec = mock_client(handler)
    run(client.download(SAMPLE))
    run(client.download(SAMPLE))
    assert "cookie" not in rec.requests[1].headers


@pytest.mark.parametrize(("url", "response", "extension"), [
    ("https://d.bfl.ai/r/sample?rsct=image/png", image(PNG, "image/png"), "png"),
    ("https://d.bfl.ai/r/sample", image(PNG, "application/octet-stream"), "png"),
    ("https://d.bfl.ai/r/sample.webp", image(b"RIFF\0\0\0\0WEBPVP8 ", None), "webp"),
    ("https://d.bfl.ai/r/sample.png", image(PNG, "image/png; charset=binary"), "png"),
])
def test_extension_from_path_type_or_bytes(mock_client, url, response, extension) -> None:
    client, _ = mock_client(lambda r: response)
    assert run(client.download(url)).extension == extension


@pytest.mark.parametrize(("response", "words"), [
    (image(b"<html>denied</html>", "text/html"), "text/html instead of an image"),
    (image(b"<svg/>", "image/svg+xml"), "sent image/svg"),
    (image(b"", "image/jpeg"), "empty"),
    (image(b"garbage", "application/octet-stream"), "not a JPEG"),
    (image(JPEG, "image/jpeg", code=400), "400"),
])
def test_refused_downloads(mock_client, response, words) -> None:
    client, rec = mock_client(lambda r: response)
    with pytest.raises(DownloadError, match=words) as info:
        run(client.download("https://d.bfl.ai/r/sample"))
    assert info.value.billed is True and len(rec.requests) == 1


def test_size_cap_from_content_length_and_while_streaming(mock_client) -> None:
    client, _ = mock_client(lambda r: image(JPEG * 20), max_download_bytes=1000)
    with pytest.raises(DownloadError, match="larger than"):
        run(client.download(SAMPLE))

    chunks_sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(10_000):
            chunks_sent.append(1)
            yield b"\xff" * 1024

    client, _ = mock_client(lambda r: httpx.Response(200, content=endless(),
                                                     headers={"Content-Type": "image/jpeg"}),
                            max_download_bytes=4096)
    with pytest.raises(DownloadError, match="larger than"):
        run(client.download(SAMPLE))
    assert len(chunks_sent) < 10


def test_server_errors_and_drops_are_retried(mock_client) -> None:
    answers = [image(b"fail", "text/plain", code=500), "drop", image(JPEG)]

    def handler(request: httpx.Request) -> httpx.Response:
        item = answers.pop(0)
        if item == "drop":
            raise httpx.RemoteProtocolError("peer closed", request=request)
        return item  # type: ignore[return-value]

    client, rec = mock_client(handler)
    assert run(client.download(SAMPLE)).data == JPEG
    assert len(rec.requests) == 3


def test_network_down(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = mock_client(handler)
    with pytest.raises(NetworkError, match=r"delivery-eu1\.bfl\.ai"):
        run(client.download(SAMPLE))


@pytest.mark.parametrize("code", [403, 404])
def test_expired_sample(mock_client, code: int) -> None:
    client, rec = mock_client(lambda r: image(b"Signature expired.", "text/plain", code=code))
    with pytest.raises(ResultExpiredError) as info:
        run(client.download(SAMPLE, expires_at=time.time() - 5))
    assert info.value.billed is True and "expired" in info.value.message and len(rec.requests) == 1
    with pytest.raises(ResultExpiredError, match="should work until"):
        run(client.download(SAMPLE, expires_at=time.time() + 300))


def test_redirects_only_to_https_and_without_credentials(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "delivery-eu1.bfl.ai":
            return httpx.Response(302, headers={"Location": "https://blob.example.net/x/sample.png?s=1"})
        return image(PNG, "image/png")

    client, rec = mock_client(handler)
    sample = run(client.download(SAMPLE))
    assert sample.extension == "jpeg"  # the original URL's path names the file
    assert [r.url.host for r in rec.requests] == ["delivery-eu1.bfl.ai", "blob.example.net"]
    assert all("x-key" not in r.headers for r in rec.requests)

    client, rec = mock_client(lambda r: httpx.Response(302, headers={"Location": "http://blob.example.net/x"}))
    with pytest.raises(HostPolicyError):
        run(client.download(SAMPLE))
    assert len(rec.requests) == 1

    client, rec = mock_client(lambda r: httpx.Response(302, headers={"Location": "/again"}))
    with pytest.raises(DownloadError, match="too many"):
        run(client.download(SAMPLE))
    assert len(rec.requests) == 6
