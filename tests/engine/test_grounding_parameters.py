"""Grounding of parameter values: a number stated as a parameter's value ("CFG went from 2 to 19") is
grounded only by that parameter's values in the facts, not by the same number elsewhere in them —
while counts and other prose around a parameter ("over 3 phases", "54 images") are not mistaken for
its values, and a parameter the facts know nothing of is checked as any number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.grounding import (
    GroundingVocabulary,
    ReflectionText,
    find_unsupported,
    ground_reflection,
)
from engine.grounding_parameters import CFG, DENOISE, LORA_WEIGHT, PROMPT_WEIGHT, SEED, SIZE, STEPS
from engine.records import LoraRef
from engine.reflection_facts import SessionFacts, build_session_facts
from tests.engine.reflection_facts.fact_builders import asset, long_session, phase

DECOYS = frozenset({2.0, 3.0, 12.0, 19.0, 40.0, 54.0, 0.35, 0.6, 640.0, 4321.0})
"""Numbers the facts hold elsewhere (counts, minutes, positions …), never as a parameter's value."""

PARAMETERS = {
    CFG: frozenset({5.0, 6.0, 7.5}),
    STEPS: frozenset({20.0, 30.0}),
    DENOISE: frozenset({0.55}),
    SEED: frozenset({1234.0}),
    SIZE: frozenset({832.0, 1216.0, 1024.0}),
    LORA_WEIGHT: frozenset({0.8}),
    PROMPT_WEIGHT: frozenset({1.0, 1.2}),
}
VOCABULARY = GroundingVocabulary(
    numbers=DECOYS.union(*PARAMETERS.values()),
    names=frozenset({"add_detail", "juggernautXL_v9.safetensors"}),
    parameters=PARAMETERS,
)


def flagged(text: str, vocabulary: GroundingVocabulary = VOCABULARY) -> list[str]:
    return [claim.token for claim in find_unsupported(text, vocabulary)]


def qa_session() -> SessionFacts:
    """19 images in 2 phases with CFG 5, 6 and 7.5: the facts hold 2 and 19, but not as CFG values."""
    assets = [
        asset(
            f"q{i:02d}", i * 3, cfg_scale=(5.0, 6.0, 7.5)[i % 3], steps=30, phase_ordinal=0 if i < 10 else 1
        )
        for i in range(19)
    ]
    phases = [phase(0, "exploration", assets[:10]), phase(1, "refinement", assets[10:])]
    return build_session_facts(
        label="Harbour at dusk", intent="exploration", tool="a1111", assets=assets, phases=phases, lineage=[]
    )


# --- the QA case --------------------------------------------------------------------------------------


def test_an_invented_cfg_range_is_unsupported_though_its_numbers_occur_elsewhere_in_the_facts() -> None:
    facts = qa_session()
    vocabulary = facts.grounding_vocabulary()
    assert {2.0, 19.0} <= vocabulary.numbers  # phases and images: the numbers exist in the facts …
    assert vocabulary.parameters[CFG] == {5.0, 6.0, 7.5}  # … but not as CFG values

    assert flagged("CFG went from 2 to 19.", vocabulary) == ["2", "19"]
    assert flagged("CFG went from 5 to 7.5.", vocabulary) == []
    grounded = ground_reflection(
        ReflectionText(title="Harbour at dusk", summary="CFG went from 2 to 19. The harbour grew darker."),
        vocabulary,
        fallback_title="x",
        fallback_summary="y",
    )
    assert grounded.text.summary == "The harbour grew darker."
    assert grounded.dropped_sentences == ("CFG went from 2 to 19.",)


# --- each parameter: true statements kept, invented ones refused -------------------------------------


@pytest.mark.parametrize(
    ("true", "invented", "tokens"),
    [
        ("CFG 7.5 carried the evening.", "CFG 12 carried the evening.", ["12"]),
        ("You kept CFG at about 7.", "You kept CFG at about 12.", ["12"]),
        ("CFG went from 5 to 7.5.", "CFG went from 2 to 19.", ["2", "19"]),
        ("You cycled CFG through 5, 6 and 7.5.", "You cycled CFG through 5, 6 and 19.", ["19"]),
        ("CFG moved to 6, then 7.5.", "CFG moved to 6, then 12.", ["12"]),
        ("7.5 CFG suited the fog.", "12 CFG suited the fog.", ["12"]),
        ("A guidance scale of 6 held.", "A guidance scale of 3 held.", ["3"]),
        ("Most images took 30 steps.", "Most images took 40 steps.", ["40"]),
        ("Steps rose from 20 to 30.", "Steps rose from 12 to 40.", ["12", "40"]),
        ("Between 20 and 30 steps per image.", "Between 12 and 40 steps per image.", ["12", "40"]),
        ("A 30-step pass came next.", "A 12-step pass came next.", ["12-step"]),
        ("Well over 25 steps each time.", "Well over 35 steps each time.", ["35"]),
        ("Denoise settled at 0.55.", "Denoise settled at 0.35.", ["0.35"]),
        ("Denoise at 55% held the pose.", "Denoise at 60% held the pose.", ["60%"]),
        ("A denoising strength of roughly 0.5.", "A denoising strength of roughly 0.35.", ["0.35"]),
        ("Seed 1234 came back twice.", "Seed 4321 came back twice.", ["4321"]),
        ("The seed stayed at 1234.", "The seed stayed at 19.", ["19"]),
        (
            "Everything rendered at 1024x1024 resolution.",
            "Everything rendered at 640x640 resolution.",
            ["640x640"],
        ),
        ("A width of 832 throughout.", "A width of 640 throughout.", ["640"]),
        ("Sizes of 832x1216 and 1024x1024.", "Sizes of 832x1216 and 640x640.", ["640x640"]),
        (
            "The add_detail LoRA at 0.8 was the constant.",
            "The add_detail LoRA at 0.6 was the constant.",
            ["0.6"],
        ),
        ("LoRA weight stayed under 0.9.", "LoRA weight stayed under 0.4.", ["0.4"]),
        ("The fog term's weight rose to 1.2.", "The fog term's weight rose to 3.", ["3"]),
        ("CFG of six held, then twenty steps.", "CFG of twelve held, then forty steps.", ["twelve", "forty"]),
    ],
)
def test_a_parameter_value_is_grounded_by_that_parameter_only(
    true: str, invented: str, tokens: list[str]
) -> None:
    assert flagged(true) == []
    assert flagged(invented) == tokens


# --- what is not attached to a parameter -------------------------------------------------------------


def test_counts_after_a_parameter_clause_are_not_its_values() -> None:
    # 3 and 54 are numbers of the facts (phases, images), not CFG or steps values: checked as such
    assert flagged("CFG rose from 5 to 7.5 over 3 phases.") == []
    assert flagged("CFG rose from 2 to 7.5 over 3 phases.") == ["2"]
    assert flagged("At 30 steps and CFG 7.5, 54 images were made.") == []
    assert flagged("At 40 steps and CFG 12, 54 images were made.") == ["40", "12"]


def test_at_30_steps_and_cfg_7_attaches_30_to_steps_and_7_to_cfg_but_not_54() -> None:
    sentence = "At 30 steps and CFG 7, 54 images were made."

    def vocabulary(cfg: float, steps: float) -> GroundingVocabulary:
        return GroundingVocabulary(
            numbers=frozenset({7.0, 30.0, 54.0}),
            names=frozenset(),
            parameters={CFG: frozenset({cfg}), STEPS: frozenset({steps})},
        )

    assert flagged(sentence, vocabulary(cfg=7.0, steps=30.0)) == []  # 54: a count, grounded as a number
    assert flagged(sentence, vocabulary(cfg=5.0, steps=30.0)) == ["7"]
    assert flagged(sentence, vocabulary(cfg=7.0, steps=20.0)) == ["30"]


@pytest.mark.parametrize(
    "text",
    [
        "The CFG changed 3 times.",
        "3 CFG values were tried.",
        "2 denoise passes followed.",
        "Seeds climbed to 54 by the end.",
        "You tried 19 seeds.",
        "3 prompt steps followed in phase 2.",
        "The prompt grew over 12 steps.",
        "CFG 7.5 held for 54 images.",
        "Phase 2 kept CFG at 6 for 19 images.",
        "CFG stayed at 7.5 in phase 2.",
        "One step further, 3 LoRAs joined.",
        "The LoRA appeared on 54 images.",
        "CFG 6 for about 40 minutes.",
        "CFG 7.5, 19 images in all.",
        "CFG and steps held at 7.5 and 30.",  # respectively: 7.5 is CFG's, 30 the steps'
        "The CFG changed at 19 and again at 40.",  # positions
        "The LoRA was used from 12 to 19.",  # positions
        "A batch size of 2 throughout.",
        "Hires steps 12 on the upscales.",
        "Denoising strength 0.55 and LoRA weight 0.8.",
    ],
)
def test_prose_around_a_parameter_is_not_one_of_its_values(text: str) -> None:
    assert flagged(text) == []


# --- unknown parameters fall back to every number of the facts --------------------------------------


def test_a_parameter_the_facts_do_not_know_is_checked_against_every_number() -> None:
    no_seed = GroundingVocabulary(
        numbers=VOCABULARY.numbers,
        names=VOCABULARY.names,
        parameters={CFG: PARAMETERS[CFG], SEED: frozenset()},  # an empty entry is no knowledge either
    )
    assert flagged("Seed 19 came back twice.", no_seed) == []  # 19 is a number of the facts
    assert flagged("Seed 77 came back twice.", no_seed) == ["77"]  # … 77 is not
    assert flagged("Denoise at 60% held the pose.", no_seed) == []  # 0.6 is a number of the facts
    assert flagged("CFG went from 2 to 19.", no_seed) == ["2", "19"]


def test_without_any_parameter_values_the_check_is_the_whole_vocabulary() -> None:
    plain = GroundingVocabulary(numbers=VOCABULARY.numbers, names=VOCABULARY.names)
    assert plain.parameters == {}
    assert flagged("CFG went from 2 to 19.", plain) == []
    assert flagged("CFG went from 2 to 77.", plain) == ["77"]


def test_the_parameters_mapping_is_a_read_only_copy() -> None:
    given_values = {CFG: frozenset({7.0})}
    vocabulary = GroundingVocabulary(numbers=frozenset({7.0}), names=frozenset(), parameters=given_values)
    given_values[CFG] = frozenset({12.0})
    assert vocabulary.parameters == {CFG: {7.0}}
    with pytest.raises(TypeError):
        vocabulary.parameters[CFG] = frozenset()  # type: ignore[index]


# --- the vocabulary holds every value the facts state for each parameter ------------------------------


def test_the_vocabulary_holds_each_parameters_values_from_the_facts() -> None:
    assets = [
        asset(
            f"v{i}",
            i,
            prompt="owl, (fog:1.3), <lora:inkStyle_v2:0.7>" if i < 3 else "owl, [moon]",
            seed=4242 if i < 4 else 100 + i,
            cfg_scale=6.5 if i < 3 else 8.0,
            steps=28 if i < 5 else 40,
            denoise=0.45 if i == 5 else None,
            width=832 if i < 5 else 1024,
            height=1216 if i < 5 else 1024,
            loras=(LoraRef("inkStyle_v2", 0.7),) if i < 3 else (LoraRef("inkStyle_v2", 0.85),),
        )
        for i in range(6)
    ]
    facts = build_session_facts(
        label="Owls",
        intent="exploration",
        tool="a1111",
        assets=assets,
        phases=[phase(0, "exploration", assets)],
        lineage=[],
    )
    parameters = facts.grounding_vocabulary().parameters
    assert parameters[CFG] == {6.5, 8.0}
    assert parameters[STEPS] == {28.0, 40.0}
    assert parameters[DENOISE] == {0.45}
    assert parameters[SEED] == {4242.0}  # the reused seed; one-off seeds are not in the facts
    assert parameters[SIZE] == {832.0, 1216.0, 1024.0}
    assert parameters[LORA_WEIGHT] == {0.7, 0.85}
    assert {1.0, 1.3} <= parameters[PROMPT_WEIGHT] and 0.909 in parameters[PROMPT_WEIGHT]  # [moon]


def _json_values(trajectory: dict[str, Any]) -> Iterator[float]:
    """Every value a trajectory of the facts JSON states (not its counts or positions)."""
    for key in ("value", "first", "last"):
        if isinstance(trajectory.get(key), int | float):
            yield float(trajectory[key])
    yield from (float(bound) for bound in trajectory.get("range", []))
    if isinstance(trajectory.get("values"), list):
        yield from (float(value) for value, _ in trajectory["values"])
    if "most_used" in trajectory:
        yield float(trajectory["most_used"][0])
    for segment in trajectory.get("segments", []):
        if isinstance(segment, dict):
            yield from _json_values(segment)


def test_every_value_the_facts_json_shows_for_a_parameter_grounds_it() -> None:
    """So a true statement read off the facts is never refused (a long session: compressed sweeps)."""
    facts = build_session_facts(**long_session(1500).facts_arguments())
    document = facts.to_json()
    parameters = facts.grounding_vocabulary().parameters
    for name, key in (("cfg", CFG), ("steps", STEPS), ("denoise", DENOISE)):
        shown = set(_json_values(document["parameters"][name]))
        assert shown and shown <= parameters[key], name
    for lora in document["loras"]:
        assert set(_json_values(lora["weight"])) <= parameters[LORA_WEIGHT]
    seeds = document["seeds"]
    shown_seeds = {float(seed) for seed, _ in seeds.get("most_reused", [])} | {
        float(seeds["longest_fixed_run"]["seed"])
    }
    assert shown_seeds <= parameters[SEED]


# --- properties --------------------------------------------------------------------------------------


def _shown(value: float) -> str:
    """A number as the facts show it (an int when integral, else at most 3 decimals)."""
    rounded = round(value, 3)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


_CFG_VALUES = st.sampled_from([1.5, 2.0, 3.5, 4.0, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 9.0, 10.0, 12.0])
_STEP_VALUES = st.integers(5, 150).map(float)
_FRACTIONS = st.integers(5, 100).map(lambda hundredths: hundredths / 100)
_SEEDS = st.integers(0, 2**32).map(float)
_DIMENSIONS = st.integers(4, 32).map(lambda blocks: float(blocks * 64))


@st.composite
def sessions(draw: st.DrawFn) -> tuple[dict[str, frozenset[float]], frozenset[float]]:
    parameters = {
        CFG: frozenset(draw(st.lists(_CFG_VALUES, min_size=1, max_size=4))),
        STEPS: frozenset(draw(st.lists(_STEP_VALUES, min_size=1, max_size=4))),
        DENOISE: frozenset(draw(st.lists(_FRACTIONS, min_size=1, max_size=3))),
        SEED: frozenset(draw(st.lists(_SEEDS, min_size=1, max_size=3))),
        SIZE: frozenset(draw(st.lists(_DIMENSIONS, min_size=1, max_size=4))),
        LORA_WEIGHT: frozenset(draw(st.lists(_FRACTIONS, min_size=1, max_size=3))),
    }
    others = frozenset(draw(st.lists(st.integers(1, 500).map(float), max_size=6))) | {3.0, 54.0}
    return parameters, others


_TEMPLATES = {
    CFG: (
        "CFG {a}.",
        "CFG of {a} held.",
        "CFG went from {a} to {b}.",
        "CFG rose to {a} over 3 phases.",
        "{a} CFG suited the fog.",
        "A guidance scale of about {a}.",
        "At {steps} steps and CFG {a}, 54 images were made.",
    ),
    STEPS: (
        "{a} steps.",
        "Steps from {a} to {b}.",
        "Between {a} and {b} steps per image.",
        "A {a}-step pass.",
    ),
    DENOISE: ("Denoise {a}.", "Denoise at {percent}%.", "A denoising strength of roughly {a}."),
    SEED: ("Seed {a} came back.", "The seed stayed at {a}."),
    SIZE: ("{a}x{b} resolution.", "A width of {a}.", "Sizes of {a}x{b} and {b}x{a}."),
    LORA_WEIGHT: ("The LoRA at {a} was the constant.", "LoRA weight from {a} to {b}.", "LoRA strength {a}."),
}


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_a_sentence_stating_a_parameters_true_values_is_always_supported(
    session: tuple[dict[str, frozenset[float]], frozenset[float]], data: st.DataObject
) -> None:
    parameters, others = session
    vocabulary = GroundingVocabulary(
        numbers=others.union(*parameters.values()), names=frozenset(), parameters=parameters
    )
    name = data.draw(st.sampled_from(sorted(_TEMPLATES)))
    template = data.draw(st.sampled_from(_TEMPLATES[name]))
    values = sorted(parameters[name])
    a, b = data.draw(st.sampled_from(values)), data.draw(st.sampled_from(values))
    steps = data.draw(st.sampled_from(sorted(parameters[STEPS])))
    text = template.format(a=_shown(a), b=_shown(b), steps=_shown(steps), percent=_shown(round(a * 100, 4)))
    assert flagged(text, vocabulary) == [], text


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_a_value_found_only_elsewhere_in_the_facts_does_not_ground_a_parameter(
    session: tuple[dict[str, frozenset[float]], frozenset[float]], data: st.DataObject
) -> None:
    parameters, others = session
    name = data.draw(st.sampled_from([CFG, STEPS, SEED]))
    invented = data.draw(st.integers(5, 500).map(float).filter(lambda value: value not in parameters[name]))
    vocabulary = GroundingVocabulary(
        numbers=others.union(*parameters.values(), {invented}), names=frozenset(), parameters=parameters
    )
    true = _shown(min(parameters[name]))
    text = {
        CFG: f"CFG went from {true} to {_shown(invented)}.",
        STEPS: f"Steps from {true} to {_shown(invented)}.",
        SEED: f"The seed stayed at {_shown(invented)}.",
    }[name]
    assert flagged(text, vocabulary) == [_shown(invented)], text
