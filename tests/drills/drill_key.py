"""Key drills: where the key may go, the keyring for real, and a scan of everything the run left.

- hosts: an ``http`` API base off loopback is refused with exit 2 and nothing is sent (a recorder
  listening on the machine's own non-loopback address sees no request); an API answering 302 to a
  second server is not followed: the second server sees nothing, let alone an ``x-key``.
- keyring: a real Secret Service (gnome-keyring under ``dbus-run-session`` and ``.ci/with-keyring``)
  for set, read, replace and clear through ``fluxdesk key`` and ``KeyStore``; then the keyring
  locked: plain words, and ``BFL_API_KEY`` works. Without a Secret Service: "skipped (no Secret
  Service)", or a failure under FLUXDESK_REQUIRE_SECRET_SERVICE=1.
- no keyring: ``PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring``: ``key set`` explains and
  suggests BFL_API_KEY; with BFL_API_KEY set, ``generate`` works.
- leaks (last): every file the run left (homes, databases and WAL files, images — their metadata
  decoded too, settings, the stdout and stderr of every child process, killed ones included) is
  scanned for every key the run used; every simulator's counters say no request carried the key
  anywhere but the API.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cli_support import child_env, secret_service_or_reason
from drill_support import MODEL_ARGS, Context, Recorder, json_lines, no_traceback
from keyring.errors import KeyringLocked
from test_api_redirects import image, redirect_to, serve

from fluxdesk.storage.secrets import SERVICE, USERNAME, KeySource, KeyStore

THROWAWAY_KEYRING = "FLUXDESK_THROWAWAY_KEYRING"
"""Set by `make drills` when it starts its own gnome-keyring: only then is the keyring locked."""


# --- hosts ---------------------------------------------------------------------------------------------

def _own_address() -> str | None:
    """This machine's address on its default route, if it has one that is not loopback."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent by a UDP connect
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@contextmanager
def _recorder(host: str) -> Iterator[tuple[int, list[str]]]:
    """Any request to ``host`` on the returned port is recorded (and answered 500)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _record(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_error(500)

        do_GET = do_POST = _record

    server = ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hosts(ctx: Context, rec: Recorder) -> None:
    home = ctx.work / "plain-http-home"
    out = ctx.run_cli(ctx.env(home, "http://api.bfl.ai"), "generate", "--prompt", "x", *MODEL_ARGS,
                      name="http-base")
    no_traceback(rec, out.stderr, "http API base")
    rec.check(out.returncode == 2 and "https" in out.stderr, f"http://api.bfl.ai: exit {out.returncode}, "
                                                             f"{out.stderr[-300:]!r}")
    rec.check(not home.exists(), "http://api.bfl.ai: a library was created for a refused API base")
    rec.figure("http://api.bfl.ai", f"exit {out.returncode}")

    address = _own_address()
    if address is None:
        rec.note("no non-loopback address here: the 'nothing is sent' check over the network was not run")
    else:
        with _recorder("0.0.0.0") as (port, seen):
            base = f"http://{address}:{port}"
            out = ctx.run_cli(ctx.env(ctx.work / "lan-http-home", base), "generate", "--prompt", "x", *MODEL_ARGS,
                              name="lan-http-base")
            no_traceback(rec, out.stderr, "LAN http API base")
            rec.check(out.returncode == 2 and not seen, f"{base}: exit {out.returncode}, requests {seen}")
            rec.figure("http on the LAN address", f"exit {out.returncode}, {len(seen)} requests received")
            # The same server over https is not a BFL host either.
            out = ctx.run_cli(ctx.env(ctx.work / "lan-https-home", f"https://{address}:{port}"), "generate",
                              "--prompt", "x", *MODEL_ARGS, name="lan-https-base")
            rec.check(out.returncode == 2 and not seen, f"https on the LAN address: exit {out.returncode}, {seen}")

    with serve(image) as (target, second), serve(redirect_to(target)) as (api, first):
        home = ctx.home("redirect")
        out = ctx.run_cli(ctx.env(home, api), "generate", "--prompt", "redirected", *MODEL_ARGS, "--json",
                          name="api-redirect")
        no_traceback(rec, out.stderr, "API redirect")
        lines = json_lines(out.stdout)
        rec.check(out.returncode == 1 and lines and lines[0]["status"] == "failed"
                  and "redirect" in (lines[0].get("error") or ""), f"API redirect: exit {out.returncode}, {lines}")
        rec.check(second.requests == [], f"the redirect target was contacted: {second.requests}")
        keyed = [r for r in second.requests if "x-key" in r[2]]
        rec.figure("redirect: requests at the API", len(first.requests))
        rec.figure("redirect: requests at the target", len(second.requests))
        rec.figure("redirect: x-key at the target", len(keyed))


# --- the keyring ---------------------------------------------------------------------------------------

def keyring_drill(ctx: Context, rec: Recorder) -> None:
    backend, reason = secret_service_or_reason()
    if backend is None:
        if os.environ.get("FLUXDESK_REQUIRE_SECRET_SERVICE") == "1":
            rec.problem(f"FLUXDESK_REQUIRE_SECRET_SERVICE=1 but {reason}")
            return
        rec.skip(f"skipped (no Secret Service): {reason}")
    if backend.get_password(SERVICE, USERNAME) is not None:
        rec.problem("a FluxDesk key is already stored in this Secret Service; the drill will not replace it "
                    "(run it in a throwaway keyring: `make drills` does)")
        return
    first, second = (f"bfl_drill-keyring-{secrets.token_hex(12)}" for _ in range(2))
    ctx.other_keys += [first, second]
    home = ctx.home("keyring")
    env = child_env(home)
    try:
        stored = _key_cli(ctx, env, "set", stdin=first)
        rec.check(stored.returncode == 0 and "Secret Service" in stored.stdout, f"key set: {stored.stderr[-300:]}")
        rec.check(backend.get_password(SERVICE, USERNAME) == first, "key set: the Secret Service does not hold it")
        rec.check(KeyStore(environ={}).get() == (first, KeySource.KEYRING), "KeyStore does not read it back")
        status = _key_cli(ctx, env, "status", "--json")
        data = json_lines(status.stdout)[0] if status.returncode == 0 else {}
        rec.check((data.get("stored"), data.get("in_use")) == (True, "keyring"), f"key status: {data}")
        replaced = _key_cli(ctx, env, "set", stdin=second)
        rec.check(replaced.returncode == 0 and backend.get_password(SERVICE, USERNAME) == second,
                  "key set did not replace the key")
        rec.check(KeyStore(environ={}).get() == (second, KeySource.KEYRING), "KeyStore does not read the new key")

        sim = ctx.sim(latency=0.3, key=second)  # the API accepts only the key from the keyring
        generated = ctx.run_cli({**env, "FLUXDESK_API_BASE": sim.api_base}, "generate", "--prompt", "from the keyring",
                                *MODEL_ARGS, "--json", name="keyring-generate")
        rec.check(generated.returncode == 0, f"generate with the keyring's key: {generated.stdout[-300:]} "
                                             f"{generated.stderr[-300:]}")
        rec.figure("generate with the keyring's key", "done" if generated.returncode == 0 else "failed")

        cleared = _key_cli(ctx, env, "clear")
        rec.check(cleared.returncode == 0 and "Key removed" in cleared.stdout, f"key clear: {cleared.stderr[-300:]}")
        rec.check(backend.get_password(SERVICE, USERNAME) is None, "key clear left the key in the Secret Service")
        store = KeyStore(environ={})  # the same round trip through the API the app uses
        store.set(first)
        got_first = store.get()
        store.set(second)
        got_second = store.get()
        store.clear()
        rec.check((got_first, got_second, store.get()) == ((first, KeySource.KEYRING), (second, KeySource.KEYRING),
                                                           (None, KeySource.NONE)),
                  "KeyStore set/replace/clear round trip")
        rec.figure("round trips", "CLI set, status, replace, generate, clear; KeyStore set, replace, clear")
        for run in (stored, status, replaced, generated, cleared):
            no_traceback(rec, run.stderr, "keyring")
        _locked(ctx, rec, env)
    finally:
        with contextlib.suppress(KeyringLocked):  # locked at the end: it was emptied before
            if backend.get_password(SERVICE, USERNAME) in (first, second):
                backend.delete_password(SERVICE, USERNAME)


def _key_cli(ctx: Context, env: dict[str, str], *args: str, stdin: str | None = None):
    from cli_support import run_fluxdesk

    done = run_fluxdesk("key", *args, env=env, stdin=None if stdin is None else stdin + "\n")
    ctx.output(f"key-{args[0]}.out").write_text(done.stdout)
    ctx.output(f"key-{args[0]}.err").write_text(done.stderr)
    return done


def _locked(ctx: Context, rec: Recorder, env: dict[str, str]) -> None:
    if os.environ.get(THROWAWAY_KEYRING) != "1":
        rec.note(f"the keyring was not locked: it is not a throwaway one ({THROWAWAY_KEYRING} unset)")
        return
    import secretstorage

    connection = secretstorage.dbus_init()
    secretstorage.get_default_collection(connection).lock()
    status = _key_cli(ctx, env, "status", "--json")
    data = json_lines(status.stdout)[0] if status.returncode == 0 else {}
    rec.check(data.get("backend_works") is False and "locked" in str(data.get("reason")),
              f"a locked keyring is not said so: {data}")
    refused = _key_cli(ctx, env, "set", stdin=f"bfl_drill-locked-{secrets.token_hex(8)}")
    rec.check(refused.returncode == 1 and "locked" in refused.stderr and "BFL_API_KEY" in refused.stderr,
              f"key set on a locked keyring: exit {refused.returncode}, {refused.stderr[-300:]!r}")
    no_traceback(rec, refused.stderr, "key set, locked")
    sim = ctx.sim(latency=0.3)
    home = ctx.home("keyring-locked")
    real_keyring = {k: v for k, v in ctx.env(home, sim.api_base).items() if k != "PYTHON_KEYRING_BACKEND"}
    done = ctx.run_cli(real_keyring, "generate", "--prompt", "locked keyring, key from the environment", *MODEL_ARGS,
                       "--json", name="locked-generate")
    rec.check(done.returncode == 0, f"generate with BFL_API_KEY and a locked keyring: {done.stderr[-300:]}")
    rec.figure("locked keyring", f"status says locked; key set exit {refused.returncode}; "
                                 f"generate with BFL_API_KEY exit {done.returncode}")


def no_keyring(ctx: Context, rec: Recorder) -> None:
    sim = ctx.sim(latency=0.3)
    home = ctx.home("no-keyring")
    env = {**ctx.env(home, sim.api_base), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    without = {k: v for k, v in env.items() if k != "BFL_API_KEY"}
    typed = f"bfl_drill-nokeyring-{secrets.token_hex(12)}"
    ctx.other_keys.append(typed)
    refused = _key_cli(ctx, without, "set", stdin=typed)
    no_traceback(rec, refused.stderr, "key set without a keyring")
    rec.check(refused.returncode == 1 and "No working system keyring" in refused.stderr
              and "BFL_API_KEY" in refused.stderr, f"key set without a keyring: exit {refused.returncode}, "
                                                   f"{refused.stderr[-300:]!r}")
    status = _key_cli(ctx, without, "status")
    rec.check(status.returncode == 0 and "no system keyring found" in status.stdout,
              f"key status: {status.stdout[-300:]}")
    nokey = ctx.run_cli(without, "generate", "--prompt", "x", *MODEL_ARGS, name="no-keyring-no-key")
    rec.check(nokey.returncode == 2 and "BFL_API_KEY" in nokey.stderr, f"generate without any key: "
                                                                       f"{nokey.stderr[-300:]!r}")
    done = ctx.run_cli(env, "generate", "--prompt", "no keyring, key from the environment", *MODEL_ARGS, "--json",
                       name="no-keyring-generate")
    rec.check(done.returncode == 0 and json_lines(done.stdout)[0]["status"] == "done",
              f"generate with BFL_API_KEY and no keyring: {done.stdout[-300:]} {done.stderr[-300:]}")
    rec.check(sim.counters_snapshot().post_requests == 1, "a POST was sent without a key")
    rec.figure("key set", f"exit {refused.returncode}, suggests BFL_API_KEY")
    rec.figure("generate with BFL_API_KEY", "done" if done.returncode == 0 else "failed")


# --- the scan ----------------------------------------------------------------------------------------

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def leaks(ctx: Context, rec: Recorder) -> None:
    from fluxdesk.core.metadata import MetadataError, to_json
    from fluxdesk.storage.metadata_io import read_metadata

    keys = [ctx.key, *ctx.other_keys]
    needles = [k.encode() for k in keys] + [k[5:21].encode() for k in keys]
    files = [p for p in ctx.work.rglob("*") if p.is_file() and not p.is_symlink()]
    scanned = decoded = 0
    found: list[str] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        scanned += len(data)
        texts = [data]
        if path.suffix.lower() in IMAGE_SUFFIXES:  # compressed text chunks hide from a byte scan
            try:
                record, a1111 = read_metadata(data)
            except MetadataError:
                record = a1111 = None
            if record is not None or a1111 is not None:
                decoded += 1
                texts.append(((to_json(record) if record else "") + repr(a1111)).encode())
        if any(needle in text for needle in needles for text in texts):
            found.append(str(path.relative_to(ctx.work)))
    outputs = [p for p in ctx.outputs if p.exists()]
    rec.figure("keys looked for", len(keys))
    rec.figure("files scanned", len(files))
    rec.figure("MB scanned", round(scanned / 2**20, 1))
    rec.figure("images with metadata decoded", decoded)
    rec.figure("process outputs scanned", len(outputs))
    rec.figure("homes", len([h for h in ctx.homes if h.exists()]))
    rec.figure("files with the key", len(found))
    rec.check(not found, f"the key is in: {found[:20]}")
    outside = delivery = wrong = 0
    for sim in ctx.sims:
        c = sim.counters_snapshot()
        outside += c.requests_with_key_outside_api
        delivery += c.delivery_requests_with_key
        wrong += c.polls_wrong_origin
    rec.figure("simulators", len(ctx.sims))
    rec.figure("requests with the key outside the API", outside)
    rec.figure("delivery requests with the key", delivery)
    rec.check(outside == 0 and delivery == 0, f"requests carried the key elsewhere: {outside}, delivery {delivery}")
    rec.check(wrong == 0, f"{wrong} polls went somewhere other than the polling URL")
    rec.check(len(files) > 0, "nothing to scan: run the other drills first")

