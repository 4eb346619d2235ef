"""The one plural rule: the window and the command line say "1 image", "2 images", "1,234 images"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fluxdesk.core.pricing import credits_phrase
from fluxdesk.core.wording import plural, plural_word


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
