"""Project names: two names are one project whatever their case and Unicode form."""

from __future__ import annotations

from fluxdesk.core.projects import same_project


def test_names_are_the_same_project_whatever_their_case_and_form() -> None:
    assert same_project("Acme", "ACME ") and same_project("Café", "cafe\u0301".upper())
    assert not same_project("Acme", "Acme Corp") and not same_project("Acme", None) and not same_project(None, "Acme")
    assert same_project(None, None)
