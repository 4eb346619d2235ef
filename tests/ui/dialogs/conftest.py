"""The dialogs' shared fixtures: a key store over the test's ``keyring_backend`` (each test module says what the
keyring holds), a key tester the test answers itself, a home folder with the app's one settings writer, and the
settings dialog shown (``make_dialog``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dialog_support import FakeKeyTester
from keyring_support import MemoryKeyring

from fluxdesk.core.pricing import PriceTable
from fluxdesk.services.library_views import ProjectAdmin
from fluxdesk.storage.secrets import KeyStore
from fluxdesk.storage.settings import Settings
from fluxdesk.ui.dialogs.settings import SettingsDialog
from fluxdesk.ui.engine.controller import SettingsWriter


@pytest.fixture
def store(keyring_backend: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=keyring_backend, environ={})


@pytest.fixture
def tester() -> Iterator[FakeKeyTester]:
    fake = FakeKeyTester()
    yield fake
    fake.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def writer(home: Path) -> Iterator[SettingsWriter]:
    writer = SettingsWriter(home)
    yield writer
    writer.close()


@pytest.fixture
def make_dialog(qtbot, store: KeyStore, tester: FakeKeyTester, home: Path, price_table: PriceTable,
                writer: SettingsWriter):
    def make(settings: Settings | None = None, *, key_store: KeyStore | None = None, demo: bool = False,
             table: PriceTable | None = None, projects: ProjectAdmin | None = None) -> SettingsDialog:
        dialog = SettingsDialog(settings or Settings(), key_store or store, tester, writer=writer, home=home,
                                price_table=table or price_table, demo=demo, projects=projects)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: dialog.key_status() is not None)
        return dialog

    return make
