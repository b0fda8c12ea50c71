"""The analysis's bulk / incremental shortcuts agree with their plain definitions on awkward inputs."""

from __future__ import annotations

import random

import numpy as np

from engine.features.prompt_similarity import PromptContext
from engine.features.prompt_text import prompt_token_weights
from engine.sessions.record_stream import MISSING_CODE, _dense_codes, _seed_codes


def _reference_dense_codes(values: list[object]) -> tuple[list[int], list[object]]:
    distinct: dict[object, int] = {}
    codes = []
    for value in values:
        if value is None:
            codes.append(MISSING_CODE)
            continue
        codes.append(distinct.setdefault(value, len(distinct)))
    return codes, list(distinct)


def test_dense_codes_number_values_in_first_occurrence_order_with_none_missing() -> None:
    nan = float("nan")
    values: list[object] = [None, "b", 1, 1.0, True, "a", None, "b", nan, nan, (1, 2), 0, False, None]
    codes, distinct = _dense_codes(values)
    expected_codes, expected_distinct = _reference_dense_codes(values)
    assert codes.tolist() == expected_codes
    assert len(distinct) == len(expected_distinct)
    # Equal values (1, 1.0, True) share a code represented by the first-seen object.
    assert all(a is b for a, b in zip(distinct, expected_distinct, strict=True))
    empty_codes, empty_distinct = _dense_codes([])
    assert empty_codes.size == 0 and empty_distinct == []
    assert _dense_codes([None, None])[0].tolist() == [MISSING_CODE, MISSING_CODE]
    assert _dense_codes([None, None])[1] == []


def test_seeds_beyond_int64_get_dense_codes_numbered_per_user() -> None:
    huge, other = 2**70, 2**65 + 3
    first_user: list[int | None] = [huge, 5, None, -1, huge, other]
    second_user: list[int | None] = [other, huge, 7, other]
    codes = _seed_codes([*first_user, *second_user], np.array([0] * 6 + [1] * 4)).tolist()
    alone = _seed_codes(second_user, np.zeros(4, dtype=np.int64)).tolist()

    assert codes[:6] == [0, 1, MISSING_CODE, MISSING_CODE, 0, 2]  # equal seeds, equal codes
    assert [code - min(codes[6:]) for code in codes[6:]] == alone == [0, 1, 2, 0]  # as if alone
    assert set(codes[:6]).isdisjoint(codes[6:])  # codes only ever meet codes of the same user
    one_user = np.zeros(4, dtype=np.int64)
    assert _seed_codes([3, None, -2, 3], one_user).tolist() == [3, MISSING_CODE, MISSING_CODE, 3]


def _reference_fit(recent: list[str], prompt: str) -> float:
    if not recent or not prompt:
        return 0.0
    tokens = set().union(*(prompt_token_weights(p) for p in recent))
    total = contained = 0.0
    for token, weight in prompt_token_weights(prompt).items():
        total += weight
        if token in tokens:
            contained += weight
    return contained / total if total > 0 else 0.0


def test_prompt_context_fit_equals_containment_in_the_last_distinct_prompts() -> None:
    words = ["red", "fox", "snow", "castle", "gothic", "neon", "alley", "rain", "ice", "forest"]
    rng = random.Random(5)
    prompts = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(12)]
    context = PromptContext(capacity=3)
    recent: list[str] = []
    for step in range(400):
        prompt = rng.choice(prompts)
        assert context.fit(prompt) == _reference_fit(recent, prompt)
        if step % 97 == 96:
            context.clear()
            recent.clear()
            continue
        context.push(prompt)
        if prompt in recent:
            recent.remove(prompt)
        recent.append(prompt)
        del recent[:-3]
