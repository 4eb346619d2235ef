"""Helpers for the dialog tests: an in-memory keyring, a key tester you answer yourself."""

from __future__ import annotations

import concurrent.futures
from decimal import Decimal

from keyring_support import MemoryKeyring


class BrokenKeyring(MemoryKeyring):
    """Reads fine, refuses to store (a locked or misbehaving Secret Service), echoing what it was given."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"cannot store {password}")


class FakeKeyTester:
    """Stands in for the owner's key tester (a temporary client asking BFL for the credits).

    With an ``answer`` (a balance or an exception), each call answers it from a worker thread, as the
    network thread would; with ``answer=None`` the futures stay pending until the test calls
    ``resolve`` or ``fail``.
    """

    def __init__(self, answer: Decimal | BaseException | None = Decimal(1234)) -> None:
        self.answer = answer
        self.calls: list[str] = []
        self.futures: list[concurrent.futures.Future] = []
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fake-bfl")

    def __call__(self, key: str) -> concurrent.futures.Future:
        self.calls.append(key)
        answer = self.answer
        if answer is None:
            future: concurrent.futures.Future = concurrent.futures.Future()
            future.set_running_or_notify_cancel()  # in flight, like a real request: it cannot be cancelled
        else:
            future = self._pool.submit(self._answer, answer)
        self.futures.append(future)
        return future

    @staticmethod
    def _answer(answer: Decimal | BaseException) -> Decimal:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def resolve(self, credits: Decimal, index: int = -1) -> None:
        self.futures[index].set_result(credits)

    def fail(self, exc: BaseException, index: int = -1) -> None:
        self.futures[index].set_exception(exc)

    def close(self) -> None:
        for future in self.futures:
            if not future.done():
                future.set_exception(ConnectionAbortedError("the test is over"))
        self._pool.shutdown(wait=True)
