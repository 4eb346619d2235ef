"""Redirects over real loopback sockets: the API's 3xx is never followed; a delivery hop sees no key."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_support import FAST_RETRY, KEY

from fluxdesk.api import BflClient, UnexpectedResponseError

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class Recorded:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []


@contextmanager
def serve(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[tuple[str, Recorded]]:
    """A tiny loopback server that records each request, then lets ``answer`` reply."""
    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            recorded.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            answer(self)

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def redirect_to(target: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def image(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(len(PNG)))
    handler.end_headers()
    handler.wfile.write(PNG)


def test_api_redirect_is_not_followed_with_the_key() -> None:
    with serve(image) as (target, second), serve(redirect_to(target)) as (api, first):
        async def main() -> None:
            async with BflClient(api, KEY, retry=FAST_RETRY) as client:
                with pytest.raises(UnexpectedResponseError, match="redirect"):
                    await client.submit({"prompt": "p"}, "flux-2-pro")
                with pytest.raises(UnexpectedResponseError, match="redirect"):
                    await client.credits()
                with pytest.raises(UnexpectedResponseError, match="redirect"):
                    await client.poll(f"{api}/v1/get_result?id=1")

        asyncio.run(main())
    assert [r[0] for r in first.requests] == ["POST", "GET", "GET"]  # a 3xx is final: no retry either
    assert all(r[2].get("x-key") == KEY for r in first.requests)
    assert second.requests == []


def test_download_redirect_carries_no_credentials() -> None:
    with serve(image) as (target, second), serve(redirect_to(target)) as (delivery, first):
        async def main() -> bytes:
            async with BflClient("http://127.0.0.1:9", KEY, retry=FAST_RETRY) as client:
                return (await client.download(f"{delivery}/results/1/sample.png?sig=a/b")).data

        assert asyncio.run(main()) == PNG
    assert len(first.requests) == len(second.requests) == 1
    for _, _, headers in first.requests + second.requests:
        assert "x-key" not in headers and "authorization" not in headers and "cookie" not in headers
    assert second.requests[0][1] == "/results/1/sample.png?sig=a/b"
