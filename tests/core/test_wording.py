"""The one plural rule (the window and the command line say "1 image", "2 images", "1,234 images") and the one
way a moment is shown (local, with or without seconds, or UTC saying so)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fluxdesk.core.pricing import credits_phrase
from fluxdesk.core.wording import moment_text, plural, plural_word, to_moment


@pytest.mark.parametrize(("count", "text"), [(0, "0 images"), (1, "1 image"), (2, "2 images"),
                                             (1234, "1,234 images")])
def test_plural_groups_the_count_and_adds_an_s_unless_there_is_one(count: int, text: str) -> None:
    assert plural(count, "image") == text


def test_plural_takes_the_plural_it_is_given() -> None:
    assert plural(1, "always-on GPU") == "1 always-on GPU"
    assert plural(3, "child", "children") == "3 children"
    assert plural(1, "child", "children") == "1 child"


def test_plural_word_chooses_the_words_alone() -> None:
    assert plural_word(1, "It is", "They are") == "It is"
    assert plural_word(2, "It is", "They are") == "They are"
    assert plural_word(0, "credit") == "credits"
    assert plural_word(2, "credit", "") == ""  # an empty plural is a plural, not "credits"


def test_a_decimal_count_of_exactly_one_is_singular() -> None:
    assert plural_word(Decimal("1.00"), "credit") == "credit"
    assert plural_word(Decimal("0.5"), "credit") == "credits"
    assert [credits_phrase(Decimal(v)) for v in ("1", "1.0", "4.50", "1500")] == \
        ["1 credit", "1 credit", "4.5 credits", "1,500 credits"]


# --- moments ------------------------------------------------------------------------------------------

BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"  # a POSIX rule: no time zone database needed


@pytest.fixture
def in_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local time zone is Berlin's (UTC+2 in May) for the test, and what it was afterwards."""
    monkeypatch.setenv("TZ", BERLIN)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


MAY_9 = datetime(2026, 5, 9, 7, 35, 25, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-05-09T07:35:25Z", "2026-05-09T07:35:25.000000Z", "2026-05-09T09:35:25+02:00",
                                   "2026-05-09T07:35:25", MAY_9.timestamp(), int(MAY_9.timestamp()), MAY_9,
                                   MAY_9.replace(tzinfo=None)])
def test_a_moment_reads_in_the_local_zone_from_iso_text_epoch_seconds_or_a_datetime(in_berlin, value: object) -> None:
    assert to_moment(value) == MAY_9
    assert moment_text(value) == "2026-05-09 09:35:25"
    assert moment_text(value, seconds=False) == "2026-05-09 09:35"
    assert moment_text(value, utc=True) == "2026-05-09 07:35:25 UTC"
    assert moment_text(value, seconds=False, utc=True) == "2026-05-09 07:35 UTC"


@pytest.mark.parametrize(("value", "text"), [(None, ""), ("", ""), ("yesterday", "yesterday"), (1e20, "1e+20"),
                                             (float("nan"), "nan"), (float("inf"), "inf"), (True, "True"),
                                             ([1], "[1]"), ("9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59-12:00")])
def test_what_is_no_moment_reads_as_itself_and_nothing_as_empty(in_berlin, value: object, text: str) -> None:
    assert to_moment(value) is None
    assert moment_text(value) == moment_text(value, utc=True) == text


def test_the_last_second_of_the_calendar_that_the_local_zone_cannot_hold_reads_as_itself(in_berlin) -> None:
    last = "9999-12-31T23:59:59Z"  # 01:59:59 on 1 January 10000 in Berlin: past the calendar's end
    assert to_moment(last) is not None
    assert moment_text(last) == last
    assert moment_text(last, utc=True) == "9999-12-31 23:59:59 UTC"
