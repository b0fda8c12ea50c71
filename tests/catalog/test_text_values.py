"""The one rule for text that reaches PostgreSQL: no NUL, no unpaired surrogate."""

from __future__ import annotations

import pytest

from catalog.text_values import UnstorableText, storable_text, text_problem


@pytest.mark.parametrize(
    "value", ["", "koi pond", "日本語 ✨", "🎨", "tab\tnew\nline", "\u200b", "\U0010ffff"]
)
def test_storable_text_passes_unchanged(value: str) -> None:
    assert text_problem(value) is None
    assert storable_text(value, what="the label") is value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x00b", "contains a NUL character (U+0000) at position 1"),
        ("\ud800", "contains an unpaired surrogate (U+D800) at position 0"),
        ("ok \udfff", "contains an unpaired surrogate (U+DFFF) at position 3"),
        # the two halves of a UTF-16 pair are still two unpaired surrogates in a Python str
        ("\ud83d\ude00", "contains an unpaired surrogate (U+D83D) at position 0"),
    ],
)
def test_unstorable_text_is_named_with_its_position(value: str, expected: str) -> None:
    assert text_problem(value) == expected
    with pytest.raises(UnstorableText, match=r"^the label contains"):
        storable_text(value, what="the label")


def test_length_is_counted_in_characters() -> None:
    assert storable_text("é" * 5, what="the name", max_chars=5) == "é" * 5
    with pytest.raises(UnstorableText, match="has 6 characters; at most 5"):
        storable_text("é" * 6, what="the name", max_chars=5)
