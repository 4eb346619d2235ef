"""Demo and real never mix on the command line: `--demo` runs on the app's demo, and a simulator reached
through FLUXDESK_API_BASE fills the demo library, never the real one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import keyless_demo_home

from fluxdesk.cli import main as cli_main
from fluxdesk.services.demo import DEMO_CREDITS, demo_credits_left
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path, demo_home

KEY = "bfl_cli-demo-test-key"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No key anywhere: no BFL_API_KEY, and a keyring that holds nothing."""
    with keyless_demo_home(tmp_path, monkeypatch, 0.2) as home:
        yield home


def generated(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert cli_main(["generate", "--prompt", "a demo fox", "--model", "flux-dev", "--seed", "7",
                     "--width", "512", "--height", "512", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])


def test_reproduce_demo_runs_on_the_demo_without_a_key(home: Path, capsys) -> None:
    original = generated(capsys, "--demo")
    assert Path(original["path"]).is_relative_to(demo_home(home))

    assert cli_main(["reproduce", original["job_id"]]) == 2  # the real library: no key, and no such job
    assert "no API key" in capsys.readouterr().err

    assert cli_main(["reproduce", "--demo", original["job_id"], "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["status"] == "done" and again["identical"] is True and again["seed"] == 7
    assert Path(again["path"]).is_relative_to(demo_home(home))
    with Library.open(demo_home(home)) as library:
        with closing(GalleryQueries.for_library(library)) as queries:
            ids = queries.ids(GalleryQuery())
        assert len(ids) == 2 and all(library.get_image(image_id).demo for image_id in ids)
        # The demo's balance carries on from what it spent, as in the app.
        assert demo_credits_left(library) == DEMO_CREDITS - Decimal("5")
    assert not database_path(home).exists()  # the real library was never even created


def test_a_loopback_simulator_fills_the_demo_library_never_the_real_one(home: Path, capsys,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with Simulator(SimConfig(latency=0.2, key=KEY, credits=Decimal(100))) as sim:
        monkeypatch.setenv("FLUXDESK_API_BASE", sim.api_base)
        monkeypatch.setenv("BFL_API_KEY", KEY)
        result = generated(capsys)
        assert sim.counters.tasks_created == 1
    assert result["status"] == "done" and Path(result["path"]).is_relative_to(demo_home(home))
    with Library.open(demo_home(home)) as library:
        image = library.image_for_job(result["job_id"])
        assert image is not None and image.demo and library.get_job(result["job_id"]).demo
    assert not database_path(home).exists()  # not one row in the real library, demo-marked or not
    monkeypatch.delenv("FLUXDESK_API_BASE")
    assert cli_main(["spend", "--json"]) == 0  # the real ledger: nothing pretended was spent
    real = json.loads(capsys.readouterr().out)
    assert real["total_credits"] == 0 and real["jobs"] == 0
