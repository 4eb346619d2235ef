"""``fluxdesk sim``: the BFL-compatible simulator on loopback (the offline demo's server), in the foreground until
Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, decimal_arg
from fluxdesk.sim.config import SimConfig


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a share from 0 to 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 0 seconds")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 0")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SimConfig()
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_count, default=0,
                        help="port of the API origin (default 0: any free port); the cluster and "
                             "delivery origins always take free ports")
    parser.add_argument("--key", default=None, help="accept only this x-key (default: any non-empty key)")
    parser.add_argument("--credits", type=decimal_arg, default=defaults.credits,
                        help=f"starting balance in credits (default {defaults.credits})")
    parser.add_argument("--latency", type=_seconds, default=defaults.latency,
                        help=f"seconds from submission to Ready (default {defaults.latency:g})")
    parser.add_argument("--sample-ttl", type=_seconds, default=defaults.sample_ttl,
                        help=f"seconds a sample URL stays valid after end_time (default {defaults.sample_ttl:g})")
    parser.add_argument("--max-output-pixels", type=_count, default=None,
                        help="cap the drawn image size (faster demo of 4 MP models)")
    parser.add_argument("--moderation-word", default=defaults.moderation_word,
                        help=f"prompts containing it end 'Request Moderated' (default {defaults.moderation_word!r}; "
                             "empty disables)")
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--poll-error-rate", type=_rate, default=0.0, help="share of polls answering 500/503")
    faults.add_argument("--drop-rate", type=_rate, default=0.0,
                        help="share of polls and downloads whose connection is closed without an answer")
    faults.add_argument("--drop-post-after-create-rate", type=_rate, default=0.0,
                        help="share of POSTs that create a task, then drop the connection")
    faults.add_argument("--slow-rate", type=_rate, default=0.0, help="share of requests answered late")
    faults.add_argument("--slow-seconds", type=_seconds, default=defaults.slow_seconds,
                        help=f"how late (default {defaults.slow_seconds:g})")
    faults.add_argument("--burst-429", type=_count, default=0,
                        help="answer this many POSTs 429 after every --burst-429-every POSTs")
    faults.add_argument("--burst-429-every", type=_count, default=defaults.burst_429_every,
                        help=f"(default {defaults.burst_429_every})")
    faults.add_argument("--early-404-polls", type=_count, default=0,
                        help="the first N polls of every task answer 404 'Task not found'")
    faults.add_argument("--delivery-failure-rate", type=_rate, default=0.0,
                        help="share of sample downloads answering 500")
    faults.add_argument("--fault-seed", type=int, default=defaults.fault_seed,
                        help="seed of the fault dice, for repeatable runs")


def config_from_args(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        key=args.key or None, credits=args.credits, latency=args.latency, sample_ttl=args.sample_ttl,
        moderation_word=args.moderation_word, max_output_pixels=args.max_output_pixels or None,
        poll_error_rate=args.poll_error_rate, drop_rate=args.drop_rate,
        drop_post_after_create_rate=args.drop_post_after_create_rate, slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds, burst_429=args.burst_429, burst_429_every=args.burst_429_every,
        early_404_polls=args.early_404_polls, delivery_failure_rate=args.delivery_failure_rate,
        fault_seed=args.fault_seed)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop``; the previous handlers come back afterwards."""

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop."""
    from fluxdesk.sim.server import Simulator

    try:
        sim = Simulator(config_from_args(args), host=args.host, port=args.port)
    except ValueError:  # not a loopback address
        print(f"fluxdesk sim: refusing to listen on {args.host!r}: the simulator serves loopback only "
              "(use 127.0.0.1, ::1 or localhost)", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    with _stop_on_signals(stop):
        try:
            sim.start()
        except OSError as exc:
            print(f"fluxdesk sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                  file=sys.stderr)
            return EXIT_FAILED
        try:
            print(f"API {sim.api_base}", flush=True)
            print(f"Cluster {sim.cluster_base}", flush=True)
            print(f"Delivery {sim.delivery_base}", flush=True)
            print("FluxDesk BFL simulator running; Ctrl+C stops it.", file=sys.stderr, flush=True)
            while not stop.wait(0.2):
                pass
        finally:
            sim.stop()
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("sim", help="run the BFL-compatible simulator on loopback (the offline demo's server)")
    add_arguments(p)
    p.set_defaults(func=run)
