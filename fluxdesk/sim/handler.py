"""The HTTP plumbing of one origin: quiet, keep-alive safe, and never killed by a handler error.

An origin is a function ``Request -> Response``; this module turns sockets into those calls.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    """The first value of each query parameter."""
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False
    """Close the connection without answering (the other fields are ignored)."""

    @classmethod
    def json(cls, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        return cls(status, json.dumps(payload).encode(), "application/json", headers)

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode(), "text/plain; charset=utf-8")

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop=True)


App = Callable[[Request], Response]


@dataclass
class _Connections:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sockets: set[socket.socket] = field(default_factory=set)
    threads: set[threading.Thread] = field(default_factory=set)


class OriginServer(ThreadingHTTPServer):
    """One origin on its own port. ``close`` also ends kept-alive connections and their threads."""

    daemon_threads = True
    request_queue_size = 128
    """Bursts of 24+ connections at once (the benchmark, fault drills) must not be reset by the kernel."""
    block_on_close = False  # ``close`` joins the handler threads itself, with a time limit

    def __init__(self, address: tuple[str, int], app: App, on_error: Callable[[], None]) -> None:
        self.app = app
        self.on_error = on_error
        self.connections = _Connections()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Quiet (the default prints a traceback); a client that went away is not our error.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.on_error()

    def close(self, timeout: float = 2.0) -> None:
        """After ``shutdown``: close the listening socket and every open connection."""
        self.server_close()
        with self.connections.lock:
            sockets, threads = list(self.connections.sockets), list(self.connections.threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    server: OriginServer
    protocol_version = "HTTP/1.1"
    server_version = "FluxDeskSim/1.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this
    # One buffered write per response (flushed by handle_one_request) and no Nagle: headers and
    # body in separate small packets would stall keep-alive clients on delayed ACKs (~40 ms each).
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.connections.lock:
            self.server.connections.sockets.add(self.connection)
            self.server.connections.threads.add(threading.current_thread())

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections.lock:
                self.server.connections.sockets.discard(self.connection)
                self.server.connections.threads.discard(threading.current_thread())

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # the buffered writer would otherwise hold "100 Continue" back
        return answered

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _read_body(self) -> bytes | None:
        """The request body; ``None`` after answering a body this server cannot take."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(Response.json(411, {"detail": "Content-Length required"}))
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._send(Response.json(413 if length > 0 else 400, {"detail": "Bad Content-Length"}))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        responded = False
        try:
            body = self._read_body()
            if body is None:
                return
            url = urlsplit(self.path)
            query: dict[str, str] = {}
            for key, value in parse_qsl(url.query, keep_blank_values=True):
                query.setdefault(key, value)
            response = self.server.app(Request(self.command, url.path, query, self.headers, body))
            if response.drop:
                self._drop()
                return
            responded = True
            self._send(response)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            self.server.on_error()
            self.close_connection = True
            if not responded:
                with contextlib.suppress(OSError):
                    self._send(Response.json(500, {"detail": "Internal Server Error"}))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
