"""Signed, expiring sample URLs on the delivery origin, like BFL's ``delivery-*.bfl.ai`` links."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class SampleSigner:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def _signature(self, task_id: str, ext: str, expires: str, content_type: str) -> str:
        message = "\n".join((task_id, ext, expires, content_type)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, delivery_base: str, task_id: str, ext: str, expires: int) -> str:
        content_type = CONTENT_TYPES[ext]
        query = urlencode({"se": str(expires), "sig": self._signature(task_id, ext, str(expires), content_type),
                           "rsct": content_type}, safe="/")
        return f"{delivery_base}/results/{task_id}/sample.{ext}?{query}"

    def verify(self, task_id: str, ext: str, query: Mapping[str, str]) -> int | None:
        """The expiry epoch the URL was signed with, or ``None`` when the signature does not match."""
        expires, sig, content_type = query.get("se", ""), query.get("sig", ""), query.get("rsct", "")
        if ext not in CONTENT_TYPES or content_type != CONTENT_TYPES[ext] or not expires.isdigit():
            return None
        expected = self._signature(task_id, ext, expires, content_type)
        if not hmac.compare_digest(sig.encode(), expected.encode()):
            return None
        return int(expires)
