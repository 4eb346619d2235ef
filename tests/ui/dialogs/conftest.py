"""The dialogs' shared fixtures: a key store over the test's ``keyring_backend`` (each test module says what the
keyring holds) and a key tester the test answers itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dialog_support import FakeKeyTester
from keyring_support import MemoryKeyring

from fluxdesk.storage.secrets import KeyStore


@pytest.fixture
def store(keyring_backend: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=keyring_backend, environ={})


@pytest.fixture
def tester() -> Iterator[FakeKeyTester]:
    fake = FakeKeyTester()
    yield fake
    fake.close()
