"""The built-in offline curator: specific prose from the facts that cites nothing the facts lack."""

from __future__ import annotations

import re

import pytest

from billing.pricing import OFFLINE_MODEL
from engine.grounding import find_unsupported
from engine.records import LoraRef
from engine.reflection_facts import FactLineageEdge, SessionFacts, build_session_facts
from reflection.curator_output import ITEM_MAX_CHARS, ITEMS_MAX, SUMMARY_MAX_CHARS, CuratorReflection
from reflection.offline_curator import write_offline_reflection
from tests.engine.reflection_facts.fact_builders import (
    asset,
    bare_asset,
    long_session,
    one_phase_facts,
    phase,
)

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def texts(reflection: CuratorReflection) -> list[str]:
    return [reflection.title, reflection.summary, *reflection.style_patterns, *reflection.evolution_notes]


def lighthouse_evening() -> SessionFacts:
    """Exploration (4 prompts), refinement (two edits, a LoRA), optimization (CFG swept 5–9 on one seed)."""
    prompts = [
        "lighthouse on a cliff, stormy sea, oil painting",
        "lighthouse on a cliff, stormy sea, watercolor",
        "harbour at night, lanterns, oil painting",
        "lighthouse on a cliff, calm sea, oil painting",
    ]
    assets = [asset(f"e{i}", i * 2, prompt=prompts[i % 4], seed=100 + i, phase_ordinal=0) for i in range(16)]
    refined = "lighthouse on a cliff, calm sea, oil painting, (golden hour:1.2)"
    more = "lighthouse on a cliff, calm sea, oil painting, (golden hour:1.4), volumetric fog"
    for i in range(16):
        assets.append(
            asset(
                f"r{i}",
                40 + i * 2,
                prompt=refined if i < 8 else more,
                seed=300 + i,
                loras=(LoraRef("filmGrain_v2", 0.6),),
                phase_ordinal=1,
            )
        )
    for i in range(18):
        assets.append(
            asset(f"o{i}", 80 + i, prompt=more, seed=4242, cfg_scale=5 + (i % 9) * 0.5, phase_ordinal=2)
        )
    lineage = [FactLineageEdge("r3", "r4", "img2img"), FactLineageEdge("o17", "o16", "upscale")]
    phases = [
        phase(0, "exploration", assets[:16], "Coastal studies"),
        phase(1, "refinement", assets[16:32], "Golden hour"),
        phase(2, "optimization", assets[32:], "CFG sweep"),
    ]
    return build_session_facts(
        label="Lighthouse at golden hour",
        intent="convergent_selection",
        tool="comfyui",
        assets=assets,
        phases=phases,
        lineage=lineage,
    )


def test_the_reflection_is_valid_and_within_the_output_limits() -> None:
    reflection = write_offline_reflection(lighthouse_evening())
    assert CuratorReflection.model_validate(reflection.model_dump()) == reflection
    assert reflection.title == "Lighthouse at golden hour"
    assert len(reflection.summary) <= SUMMARY_MAX_CHARS
    assert (
        1 <= len(reflection.style_patterns) <= ITEMS_MAX and 1 <= len(reflection.evolution_notes) <= ITEMS_MAX
    )
    assert all(len(item) <= ITEM_MAX_CHARS for item in reflection.style_patterns + reflection.evolution_notes)
    assert OFFLINE_MODEL == "atelier-offline"


def test_it_is_specific_about_what_the_facts_hold() -> None:
    reflection = write_offline_reflection(lighthouse_evening())
    summary = reflection.summary
    assert "50 images" in summary and "comfyui" in summary and "sdxl_base_1.0" in summary
    assert "3 phases: exploration, then refinement, then optimization" in summary
    assert "6 distinct prompts" in summary and "14 March 2026" in summary
    patterns = " ".join(reflection.style_patterns)
    assert "filmGrain_v2 at weight 0.6 on 16 images" in patterns
    assert "4242" in patterns  # the seed held through the sweep
    notes = " ".join(reflection.evolution_notes)
    assert "Phase 3, optimization" in notes and "CFG swept 5–9" in notes
    assert "“volumetric fog”" in notes  # gained in the refinement phase
    assert "CFG ranged from 5 to 9" in notes


def test_every_number_it_writes_is_in_the_vocabulary() -> None:
    for facts in (lighthouse_evening(), build_session_facts(**long_session(700).facts_arguments())):
        vocabulary = facts.grounding_vocabulary()
        reflection = write_offline_reflection(facts)
        written = [float(number) for text in texts(reflection) for number in NUMBER.findall(text)]
        assert written
        assert [number for number in written if number not in vocabulary.numbers] == []


def test_it_passes_the_grounding_check_as_written() -> None:
    for facts in (lighthouse_evening(), build_session_facts(**long_session(5000).facts_arguments())):
        vocabulary = facts.grounding_vocabulary()
        reflection = write_offline_reflection(facts)
        assert [claim for text in texts(reflection) for claim in find_unsupported(text, vocabulary)] == []


def test_names_it_writes_come_from_the_facts() -> None:
    facts = build_session_facts(**long_session(700).facts_arguments())
    reflection = write_offline_reflection(facts)
    vocabulary = facts.grounding_vocabulary()
    identifiers = {word for text in texts(reflection) for word in re.findall(r"\b\w*_[\w.]*\w", text)}
    assert identifiers and identifiers <= vocabulary.names


@pytest.mark.parametrize(
    ("asset_count", "title"), [(1, "A session of 1 image"), (3, "A session of 3 images")]
)
def test_a_bare_session_still_gets_a_kind_reflection(asset_count: int, title: str) -> None:
    assets = [bare_asset(f"a{i}") for i in range(asset_count)]
    facts = build_session_facts(
        label="", intent="exploration", tool="unknown", assets=assets, phases=[], lineage=[]
    )
    reflection = write_offline_reflection(facts)
    assert reflection.title and reflection.summary
    assert reflection.title == (
        "A session of 1 image" if asset_count == 1 else f"A session of {asset_count} images"
    )
    vocabulary = facts.grounding_vocabulary()
    assert all(float(n) in vocabulary.numbers for text in texts(reflection) for n in NUMBER.findall(text))


def test_it_is_deterministic() -> None:
    assert write_offline_reflection(lighthouse_evening()) == write_offline_reflection(lighthouse_evening())


def test_it_never_says_all_when_some_images_have_no_model() -> None:
    """Upscales made by an upscale model alone record no checkpoint: 'all with' would be untrue."""
    assets = [asset(f"a{i}", i, model=None if i >= 8 else "sdxl_base_1.0") for i in range(10)]
    facts = build_session_facts(
        label="Lighthouse",
        intent="refinement",
        tool="comfyui",
        assets=assets,
        phases=[phase(0, "refinement", assets)],
        lineage=[],
    )
    written = write_offline_reflection(facts)
    assert "all with" not in written.summary and "8 of them with sdxl_base_1.0" in written.summary
    assert not any("throughout" in pattern and "sdxl" in pattern for pattern in written.style_patterns)


def _widest_sweep_sentence(values: list[float]) -> str:
    from engine.reflection_facts.parameter_trajectories import parameter_trajectory
    from reflection.offline_curator import _sweep_sentence, _widest_sweep

    trajectory = parameter_trajectory("denoise", list(range(1, len(values) + 1)), values, numeric=True)
    assert trajectory is not None
    sweep = _widest_sweep(trajectory.segments)
    assert sweep is not None
    return _sweep_sentence(sweep)


def test_a_sweep_is_said_without_contradicting_its_range() -> None:
    """ "ran 0.25–0.5 …, from 0.3 to 0.35" read as two ranges for one sweep; "ran 4–8 …, from 4 to 8"
    said the same thing twice."""
    rising = _widest_sweep_sentence([4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5])
    assert rising == "The widest sweep went from 4 to 8.5 across positions 1–10."
    wandering = _widest_sweep_sentence([0.3, 0.25, 0.3, 0.5, 0.45, 0.4, 0.35, 0.4, 0.3, 0.35])
    assert wandering == (
        "The widest sweep moved between 0.25 and 0.5 across positions 1–10, "
        "opening at 0.3 and closing at 0.35."
    )


def _grounded(facts: SessionFacts) -> CuratorReflection:
    """The offline reflection on ``facts``, checked to cite nothing the facts lack."""
    vocabulary = facts.grounding_vocabulary()
    reflection = write_offline_reflection(facts)
    assert [claim for text in texts(reflection) for claim in find_unsupported(text, vocabulary)] == []
    return reflection


def test_a_prompt_never_edited_makes_no_prompt_step_and_one_edit_is_one() -> None:
    """Found by a reflection content probe: the session's opening prompt was counted as a prompt change,
    so a prompt never edited was "one prompt step, ending where it began", and one edit "2 prompt
    steps" — in the prose and in the facts the language model is sent ("changes": 1 and 2)."""
    steady = one_phase_facts([asset(f"s{i}", i, seed=100 + i) for i in range(30)])
    edited = one_phase_facts(
        [
            asset(f"e{i}", i, seed=i, prompt="lighthouse, stormy sea" if i < 15 else "lighthouse, calm sea")
            for i in range(30)
        ]
    )
    steady_notes = " ".join(_grounded(steady).evolution_notes)
    edited_notes = " ".join(_grounded(edited).evolution_notes)
    assert "prompt step" not in steady_notes and "the prompt held steady" in steady_notes
    assert "one prompt step" in edited_notes and "2 prompt steps" not in edited_notes
    assert steady.to_json()["prompt_evolution"]["by_phase"][0]["changes"] == 0
    assert edited.to_json()["prompt_evolution"]["by_phase"][0]["changes"] == 1


def test_counts_of_one_and_seeds_only_some_images_recorded_read_as_they_are() -> None:
    """ "You wrote 1 distinct prompts and tried 1 seeds"; "Every image used seed 42" when 10 of 60 had one."""
    assets = [asset(f"a{i}", i, seed=42 if i < 10 else None) for i in range(60)]
    reflection = _grounded(one_phase_facts(assets))
    assert "You wrote 1 prompt and kept to 1 seed." in reflection.summary
    patterns = " ".join(reflection.style_patterns)
    assert "Every image used seed" not in patterns
    assert "Every image that recorded a seed (10 of 60) used seed 42." in patterns


def test_mostly_means_a_majority_and_unnamed_models_are_counted() -> None:
    """Six checkpoints of 10 images each read "mostly m0 (10 images), alongside m1 and m2" (three left
    out); a 30/30 split of sizes "Most images were 512x512"."""
    assets = [
        asset(f"a{i}", i, model=f"m{i // 10}.safetensors", width=512 if i % 2 else 768, height=512)
        for i in range(60)
    ]
    patterns = " ".join(_grounded(one_phase_facts(assets)).style_patterns)
    assert "mostly m0" not in patterns and "most often m0.safetensors (10 images)" in patterns
    assert "and 3 more" in patterns
    assert "Most images were" not in patterns and "The most used size was" in patterns


def test_rerolls_are_not_images_that_grew_from_earlier_ones() -> None:
    """ "59 images grew directly from earlier ones: 59 rerolls": a reroll takes up a prompt and settings
    with a new seed; it is not made from an image."""
    assets = [asset(f"a{i}", i, seed=i) for i in range(20)]
    lineage = [FactLineageEdge(f"a{i}", f"a{i + 1}", "reroll") for i in range(18)]
    lineage.append(FactLineageEdge("a18", "a19", "upscale"))
    summary = _grounded(one_phase_facts(assets, lineage=lineage)).summary
    assert "1 image grew directly from earlier ones: 1 upscale." in summary
    assert "18 images took up an earlier one's settings again: 18 rerolls." in summary


def test_a_session_over_several_days_is_dated_from_its_first_to_its_last() -> None:
    assets = [asset(f"a{i}", i * 60 * 6, seed=i) for i in range(12)]  # every six hours for three days
    summary = _grounded(one_phase_facts(assets)).summary
    start, end = assets[0].created_at, assets[-1].created_at
    assert start is not None and end is not None and start.date() != end.date()
    assert f"from {start.day} " in summary and f" to {end.day} " in summary


def test_an_ab_comparison_goes_back_and_forth_and_negative_prompt_edits_are_noted() -> None:
    """CFG 4, 8, 4, 8 … read "The widest sweep went from 4 to 8", a ramp; an artist who edited only the
    negative prompt read nothing about it (and "one prompt step, ending where it began")."""
    negatives = ["blurry", "blurry, lowres", "blurry, lowres, watermark", "watermark, extra fingers"]
    assets = [
        asset(f"a{i}", i, seed=7, cfg_scale=4.0 if i % 2 == 0 else 8.0, negative_prompt=negatives[i // 15])
        for i in range(60)
    ]
    notes = _grounded(one_phase_facts(assets, intent="optimization")).evolution_notes
    cfg = next(note for note in notes if note.startswith("CFG"))
    assert (
        "went back and forth between 4 and 8 across positions 1–60" in cfg and "went from 4 to 8" not in cfg
    )
    negative = next(note for note in notes if "negative prompt" in note)
    assert negative == (
        "The negative prompt was edited along the way, by the end it also kept out “watermark” and “extra "
        "fingers”, and no longer held “blurry”."
    )
