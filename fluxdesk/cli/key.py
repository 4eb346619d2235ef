"""`fluxdesk key set | status | clear`: the BFL API key in the system keyring.

The key is read from standard input (or a hidden prompt at a terminal) and handed to the keyring;
it is never printed, logged or written to a file, and no message here contains any part of it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any, TextIO

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, print_json

if TYPE_CHECKING:
    from fluxdesk.storage.secrets import KeyStore

MAX_INPUT_CHARS = 4096
"""More than this on standard input is no key; the rest is not read."""
CLI_ALTERNATIVES = ('On the command line, set BFL_API_KEY in the environment instead (it wins over the '
                    'keyring). In the app, enter the key and choose "use for this session only".')


class KeyCommandError(Exception):
    """The keyring could not do what was asked: exit 1 with this message (never holding the key)."""


def read_key(stdin: TextIO | None) -> str:
    """The key from piped standard input, or typed at a hidden prompt; surrounding whitespace dropped."""
    if stdin is None:
        return ""
    try:
        if stdin.isatty():
            return getpass.getpass("BFL API key (the input is hidden): ").strip()
        return stdin.read(MAX_INPUT_CHARS + 1).strip()
    except EOFError:
        return ""
    except (UnicodeDecodeError, ValueError, OSError):
        raise UsageError("the key could not be read from standard input; nothing was stored") from None


def _probe(store: KeyStore) -> tuple[str, bool, str]:
    """The backend's name, whether it works, and why (not); a keyring that cannot even load is an error."""
    try:
        works, reason = store.backend_works()
        return store.backend_name(), works, reason
    except Exception as exc:  # a broken keyring configuration (PYTHON_KEYRING_BACKEND naming nothing, …)
        raise KeyCommandError(f"the system keyring could not be loaded ({type(exc).__name__}: {exc}). "
                              f"Check keyring's configuration. {CLI_ALTERNATIVES}") from None


def _stored_in_keyring() -> bool:
    """Whether the keyring holds a key, whatever BFL_API_KEY says."""
    from fluxdesk.storage.secrets import KeySource, KeyStore

    return KeyStore(environ={}).get()[1] is KeySource.KEYRING


def cmd_key_set(args: argparse.Namespace) -> int:
    from fluxdesk.storage.secrets import KeyStore, KeyStoreError, key_looks_valid

    store = KeyStore()
    name, works, reason = _probe(store)
    if not works:  # say so before asking for the key: it could not be kept anyway
        raise KeyCommandError(f"{reason}\n{CLI_ALTERNATIVES}")
    key = read_key(sys.stdin)
    if not key:
        raise UsageError("no key given: pipe it in (fluxdesk key set < file) or type it at the prompt; "
                         "nothing was stored")
    if not key_looks_valid(key):
        raise UsageError("that does not look like a BFL API key (one word of letters, digits and dashes, "
                         "like bfl_…); nothing was stored")
    try:
        store.set(key)
    except KeyStoreError as exc:
        raise KeyCommandError(str(exc)) from None
    print(f"Key stored in {name}.")
    if store.env_key_present():
        print("Note: BFL_API_KEY is set in this environment, and it wins over the stored key.")
    return EXIT_OK


def key_status() -> dict[str, Any]:
    """What ``key status --json`` prints: where the key would come from, without the key."""
    from fluxdesk.storage.secrets import KeyStore

    store = KeyStore()
    name, works, reason = _probe(store)
    stored = works and _stored_in_keyring()
    env = store.env_key_present()
    return {"backend": name, "backend_works": works, "reason": reason, "stored": stored, "env": env,
            "in_use": "env" if env else "keyring" if stored else "none"}


def status_lines(status: dict[str, Any]) -> list[str]:
    from fluxdesk.storage.secrets import ABSENT_BACKENDS

    name = status["backend"]
    state = "works" if status["backend_works"] else "" if name in ABSENT_BACKENDS else "does not work"
    lines = [f"System keyring: {name}" + (f" ({state})" if state else "")]
    if not status["backend_works"]:
        lines += [f"  {status['reason']}", f"  {CLI_ALTERNATIVES}"]
    lines.append(f"Key stored in the keyring: {'yes' if status['stored'] else 'no'}")
    lines.append("BFL_API_KEY: " + ("set (it wins over the keyring)" if status["env"] else "not set"))
    in_use = {"env": "the key from BFL_API_KEY",
              "keyring": f"the key stored in {name}",
              "none": "no key: store one with `fluxdesk key set`, or set BFL_API_KEY"}[status["in_use"]]
    lines.append(f"FluxDesk uses: {in_use}")
    return lines


def cmd_key_status(args: argparse.Namespace) -> int:
    status = key_status()
    if args.json:
        print_json(status)
    else:
        print("\n".join(status_lines(status)))
    return EXIT_OK


def cmd_key_clear(args: argparse.Namespace) -> int:
    from fluxdesk.storage.secrets import KeyStore, KeyStoreError

    store = KeyStore()
    name, works, reason = _probe(store)
    had_key = works and _stored_in_keyring()
    try:
        store.clear()
    except KeyStoreError as exc:
        raise KeyCommandError(str(exc)) from None
    if had_key:
        print(f"Key removed from {name}.")
    elif works:
        print(f"No key was stored in {name}: nothing to remove.")
    else:
        print(f"No key is stored: no system keyring works here.\n  {reason}")
    if store.env_key_present():
        print("Note: BFL_API_KEY is still set in this environment; unset it to stop FluxDesk using that key.")
    return EXIT_OK


def cmd_key(args: argparse.Namespace) -> int:
    try:
        return int(args.key_func(args))
    except KeyCommandError as exc:
        print(f"fluxdesk key {args.key_command}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def register(sub: Any) -> None:
    p = sub.add_parser("key", help="store, check or remove the BFL API key in the system keyring")
    actions = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    set_p = actions.add_parser("set", help="store the key (read from standard input, or typed at a hidden prompt)")
    set_p.set_defaults(key_func=cmd_key_set)
    status_p = actions.add_parser("status", help="which keyring is used, and whether a key is stored (never the key)")
    status_p.add_argument("--json", action="store_true", help="print one JSON object")
    status_p.set_defaults(key_func=cmd_key_status)
    clear_p = actions.add_parser("clear", help="remove the stored key")
    clear_p.set_defaults(key_func=cmd_key_clear)
    p.set_defaults(func=cmd_key)
