"""Session facts at scale: a prompt is parsed by its segments, each distinct segment once.

A large session's distinct prompts are mostly one-term edits of one another. Reading each distinct
prompt from scratch made a 5,000-image session of long prompts cost seconds; the reader now parses
only the comma-separated segments no earlier prompt had. These tests count the characters the
weight parser reads (deterministic, no timing), and check that reading by segments gives exactly the
terms of reading each prompt whole.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from engine.records import LoraRef
from engine.reflection_facts import (
    FactAsset,
    FactLineageEdge,
    FactPhase,
    build_session_facts,
    reset_term_caches,
    weighted_terms,
)

T0 = datetime(2026, 3, 14, 19, 30, tzinfo=UTC)
WORDS = ("lighthouse", "cliff", "storm", "fox", "forest", "snow", "neon", "alley", "koi", "temple", "owl")
DETAILS = ("volumetric fog", "golden hour", "rim light", "muted palette", "soft bokeh", "film grain", "8k")


def _term(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(DETAILS)
    if roll < 0.45:
        return f"({rng.choice(DETAILS)}:{rng.choice((0.8, 0.9, 1.1, 1.2, 1.3))})"
    if roll < 0.52:
        return rng.choice(("杰作", "最高质量", "悬崖上的灯塔", "夕焼け", "고품질"))
    if roll < 0.58:
        return f"<lora:{rng.choice(('ink', 'grain', 'detail'))}:{rng.choice((0.4, 0.6, 0.8))}>"
    if roll < 0.62:
        return f"(({rng.choice(WORDS)}))"
    if roll < 0.65:
        return f"[{rng.choice(WORDS)}]"
    if roll < 0.67:
        return f"[{rng.choice(WORDS)}:{rng.choice(WORDS)}:0.5]"
    if roll < 0.7:
        return f"({rng.choice(WORDS)}, {rng.choice(DETAILS)}:1.2)"
    if roll < 0.72:
        return "BREAK"
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))


def _prompts(count: int, seed: int) -> Iterator[str]:
    """``count`` long prompts, each a one-term edit of the one before (now and then a fresh one); every
    prompt holds an escaped bracket, so none can be read chunk by chunk."""
    rng = random.Random(seed)
    terms = [_term(rng) for _ in range(50)]
    for _ in range(count):
        if rng.random() < 0.02:
            terms = [_term(rng) for _ in range(rng.randint(30, 70))]
        elif rng.random() < 0.6:
            move = rng.randrange(3)
            at = rng.randrange(len(terms))
            if move == 0 and len(terms) > 5:
                terms.pop(at)
            elif move == 1:
                terms.insert(at, _term(rng))
            else:
                terms[at] = _term(rng)
        yield ", ".join(["lucy \\(cyberpunk\\)", *terms])


def _session(count: int, seed: int = 3) -> tuple[list[FactAsset], list[FactPhase], list[FactLineageEdge]]:
    rng = random.Random(seed)
    assets = [
        FactAsset(
            id=f"a{index:05d}",
            created_at=T0 + timedelta(seconds=20 * index),
            prompt=prompt,
            negative_prompt="blurry, (worst quality:1.4), lowres",
            seed=rng.randrange(2**32),
            cfg_scale=rng.choice((5.0, 7.0, 7.5)),
            steps=rng.choice((25, 30)),
            sampler="dpmpp_2m",
            scheduler="karras",
            model="sdxl",
            loras=(LoraRef("ink", rng.choice((0.6, 0.8))),),
            width=832,
            height=1216,
            denoise=None,
            phase_ordinal=index * 4 // count,
            visual_embedding=None,
            has_thumbnail=True,
        )
        for index, prompt in enumerate(_prompts(count, seed))
    ]
    phases = [
        FactPhase(ordinal, "refinement", f"phase {ordinal + 1}", count // 4, T0, T0 + timedelta(hours=1))
        for ordinal in range(4)
    ]
    lineage = [
        FactLineageEdge(f"a{index - 1:05d}", f"a{index:05d}", "upscale") for index in range(1, count, 9)
    ]
    return assets, phases, lineage


def _parsed_characters(monkeypatch: pytest.MonkeyPatch, count: int) -> tuple[int, int]:
    """Characters the weight parser read to build the facts of a ``count``-asset session, and the
    characters of its distinct comma-separated chunks (the text that is new somewhere)."""
    parsed = [0]
    parse = weighted_terms._attention_pieces

    def counting(text: str) -> list[tuple[str, float]]:
        parsed[0] += len(text)
        return parse(text)

    monkeypatch.setattr(weighted_terms, "_attention_pieces", counting)
    assets, phases, lineage = _session(count)
    reset_term_caches()
    build_session_facts(
        label="x", intent="refinement", tool="a1111", assets=assets, phases=phases, lineage=lineage
    )
    texts = {text for asset in assets for text in (asset.prompt, asset.negative_prompt) if text}
    chunks = {chunk for text in texts for chunk in text.split(",")}
    return parsed[0], sum(map(len, chunks))


def test_each_distinct_segment_is_parsed_about_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading every distinct prompt whole parsed ~60 times the new text here (1,200 distinct prompts
    of ~600 characters, each holding an escape); by segments, the parser reads each distinct chunk
    about once, so the cost follows the new text, not the number of prompts times their length."""
    parsed, distinct_chunks = _parsed_characters(monkeypatch, 2_000)
    assert parsed <= 3 * distinct_chunks, (parsed, distinct_chunks)


def _read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the reader take each prompt as one segment and parse weight groups across the whole text."""
    monkeypatch.setattr(weighted_terms, "_prompt_segments", lambda prompt: [prompt])
    monkeypatch.setattr(
        weighted_terms, "_segmented_items", lambda text: list(weighted_terms._weighted_items(text))
    )


SYNTAX = (
    *("(", ")", "[", "]", "\\(", "\\)", "\\", ":", ":1.2)", ": 1.3 )", ":1.2.3)", ":\n1.1)", ",", ", "),
    *(";", "|", "\n", " BREAK ", "<lora:ink:0.6>", "<lora:a", "b:1>", "<emb>", ">", " --ar 2:3", "--no a;b"),
    *("-", "fog", "of the", "Sea", "词", "，", "、", "；", "｜", "。", "1.5", "12:30", " ", "(x:1.1)"),
    *("[dog:wolf:0.5]", "[a|b]", "[[c]]", "((d))", "(red hair", "blue eyes:1.2)", "[dog", "wolf:0.5]"),
)


def _awkward_prompts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prompts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 20)):
            pieces.append("".join(rng.choice(SYNTAX) for _ in range(rng.choice((0, 1, 1, 2, 3)))))
            pieces.append(rng.choice((",", ", ", "，", "、", ",-", ",,")))
        prompts.append("".join(pieces[: rng.randint(1, len(pieces))]))
    return prompts


def test_reading_by_segments_gives_the_terms_of_reading_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = [*_awkward_prompts(3_000, seed=11), *_prompts(300, seed=5)]
    reset_term_caches()
    by_segments = [weighted_terms.prompt_terms(prompt) for prompt in prompts]
    with monkeypatch.context() as patched:
        _read_whole(patched)
        reset_term_caches()
        whole = [weighted_terms.prompt_terms(prompt) for prompt in prompts]
    reset_term_caches()
    assert by_segments == whole
