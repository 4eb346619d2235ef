"""Client projects: what a job was sent for, so its spend can be put on that client's invoice.

A project is a name (unique whatever its case), archived or not, with an optional budget in US dollars. The rules
for a name live here, so the library, the command line and the prompt panel refuse the same names in the same
words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

MAX_NAME_CHARS = 80
NO_PROJECT = "No project"
"""What the picker and the lists call jobs sent for no project."""


class ProjectError(ValueError):
    """A project cannot be made, named, used or deleted as asked; the message says why in plain words."""


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    archived: bool
    """Hidden from the prompt panel's picker and refused for new jobs; kept with its history."""
    budget_usd: Decimal | None
    """A budget of its own, in US dollars; ``None``: none."""
    created_at: str
    last_used_at: str | None
    """When a job was last sent for it (ISO UTC); ``None``: never."""


def project_name(text: object) -> str:
    """``text`` as a project's name: trimmed; ``ProjectError`` when it is blank, too long or holds line breaks or
    other control characters."""
    if not isinstance(text, str):
        raise ProjectError("a project's name is text")
    name = text.strip()
    if not name:
        raise ProjectError("a project needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise ProjectError(f"a project's name has at most {MAX_NAME_CHARS} characters, not {len(name)}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise ProjectError("a project's name is one line of text, without control characters")
    return name


def name_key(name: str) -> str:
    """What two names must not share to be different projects: case and Unicode forms set aside."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()


def same_project(a: str | None, b: str | None) -> bool:
    """Whether two names name the same project (``name_key``); ``None`` (no project) is the same as no name only."""
    return (a is None and b is None) or (a is not None and b is not None and name_key(a) == name_key(b))


def is_no_project(text: str) -> bool:
    """Whether typed text means "no project": empty, or the words the picker shows for it."""
    return not text.strip() or name_key(text) == name_key(NO_PROJECT)
