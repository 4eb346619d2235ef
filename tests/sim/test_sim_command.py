"""``fluxdesk sim``: the command prints its API origin first, serves, and stops cleanly on signals."""

from __future__ import annotations

import argparse
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from fluxdesk.cli import sim as command

RUN = ("import sys, argparse; from fluxdesk.cli import sim as command; p = argparse.ArgumentParser(); "
       "command.add_arguments(p); sys.exit(command.run(p.parse_args(sys.argv[1:])))")


def _readline(proc: subprocess.Popen[str], timeout: float = 10.0) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the simulator printed nothing in time"
    return proc.stdout.readline()


@pytest.fixture
def start_command() -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", RUN, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_first_line_is_the_api_origin_and_a_signal_stops_it_cleanly(start_command: object,
                                                                          sig: signal.Signals) -> None:
    proc = start_command("--latency", "0.2", "--key", "bfl_cli", "--credits", "42")  # type: ignore[operator]
    first = _readline(proc)
    assert first.startswith("API http://127.0.0.1:")
    api = first.split()[1]
    with httpx.Client(trust_env=False, timeout=5) as http:
        assert http.get(f"{api}/v1/credits", headers={"x-key": "bfl_cli"}).json() == {"credits": 42.0}
        assert http.get(f"{api}/v1/credits", headers={"x-key": "other"}).status_code == 403
    proc.send_signal(sig)
    assert proc.wait(timeout=10) == 0
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()  # not communicate(): readline buffered stdout
    assert "Traceback" not in err
    assert "Cluster http://127.0.0.1:" in out and "Delivery http://127.0.0.1:" in out


def test_a_non_loopback_host_is_refused_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.run(parser.parse_args(["--host", "0.0.0.0"])) == 2
    assert "loopback" in capsys.readouterr().err


def test_fault_options_reach_the_config() -> None:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args([
        "--key", "k", "--credits", "7.5", "--latency", "0.3", "--poll-error-rate", "0.1", "--drop-rate", "0.2",
        "--drop-post-after-create-rate", "0.3", "--slow-rate", "0.4", "--slow-seconds", "2",
        "--burst-429", "3", "--early-404-polls", "2", "--delivery-failure-rate", "0.5", "--fault-seed", "9",
        "--moderation-word", "nope",
    ])
    config = command.config_from_args(args)
    assert (config.key, config.credits, config.latency) == ("k", Decimal("7.5"), 0.3)
    assert (config.poll_error_rate, config.drop_rate, config.drop_post_after_create_rate) == (0.1, 0.2, 0.3)
    assert (config.slow_rate, config.slow_seconds, config.burst_429) == (0.4, 2.0, 3)
    assert (config.early_404_polls, config.delivery_failure_rate, config.fault_seed) == (2, 0.5, 9)
    assert config.moderation_word == "nope"


@pytest.mark.parametrize("bad", [["--drop-rate", "1.5"], ["--latency", "-1"], ["--credits", "lots"]])
def test_bad_option_values_are_usage_errors(bad: list[str]) -> None:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(bad)
    assert exit_info.value.code == 2
