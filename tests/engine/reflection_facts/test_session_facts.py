"""Session facts as a whole: counts, durations, phases, lineage summary, JSON, vocabulary, determinism."""

from __future__ import annotations

import json
from datetime import timedelta

from engine.records import LoraRef
from engine.reflection_facts import FactLineageEdge, SessionFacts, build_session_facts
from tests.engine.reflection_facts.fact_builders import T0, asset, bare_asset, long_session, phase


def evening() -> SessionFacts:
    """An evening of 12 images over 150 minutes in two phases, with a small lineage forest."""
    assets = [
        asset(
            f"a{i:02d}",
            i * 150 / 11,
            prompt="owl, moonlight" if i < 6 else "owl, moonlight, (fog:1.3)",
            seed=700 + (i % 4),
            cfg_scale=6.5 if i < 6 else 8.0,
            steps=28,
            loras=(LoraRef("inkStyle_v2", 0.7),) if i >= 6 else (),
            phase_ordinal=0 if i < 6 else 1,
            model="dreamshaperXL_v21.safetensors",
        )
        for i in range(12)
    ]
    lineage = [
        FactLineageEdge("a01", "a02", "img2img"),
        FactLineageEdge("a02", "a03", "upscale"),
        FactLineageEdge("a08", "a09", "upscale"),
        FactLineageEdge("a08", "a10", "variation"),
        FactLineageEdge("a08", "zz99", "upscale"),  # the child is not in this session: ignored
    ]
    phases = [phase(0, "exploration", assets[:6], "Moonlit owls"), phase(1, "refinement", assets[6:], "Fog")]
    return build_session_facts(
        label="Owls by moonlight",
        intent="convergent_selection",
        tool="a1111",
        assets=assets,
        phases=phases,
        lineage=lineage,
    )


def test_session_counts_and_duration() -> None:
    facts = evening()
    assert (facts.label, facts.intent, facts.tool) == ("Owls by moonlight", "convergent_selection", "a1111")
    assert facts.started_at == T0 and facts.ended_at == T0 + timedelta(minutes=150)
    assert facts.duration_minutes == 150.0
    assert (facts.asset_count, facts.distinct_prompt_count, facts.distinct_seed_count) == (12, 2, 4)
    assert [(p.ordinal, p.intent, p.label, p.asset_count) for p in facts.phases] == [
        (0, "exploration", "Moonlit owls", 6),
        (1, "refinement", "Fog", 6),
    ]
    assert facts.phases[0].minutes == round(5 * 150 / 11, 1)


def test_lineage_summary() -> None:
    lineage = evening().lineage
    assert lineage.edges == 4
    assert lineage.by_kind == (("upscale", 2), ("img2img", 1), ("variation", 1))
    assert (lineage.roots, lineage.deepest_chain, lineage.final_descendants) == (2, 2, 3)
    assert (lineage.assets, lineage.largest_family) == (6, 3)


def test_to_json_is_plain_json_with_a_stable_key_order() -> None:
    document = evening().to_json()
    assert list(document) == [
        "session",
        "phases",
        "prompt_evolution",
        "parameters",
        "loras",
        "seeds",
        "lineage",
        "representatives",
    ]
    assert json.loads(json.dumps(document)) == document
    assert document["session"] == {
        "label": "Owls by moonlight",
        "intent": "convergent_selection",
        "tool": "a1111",
        "started_at": "2026-03-14T19:30:00+00:00",
        "ended_at": "2026-03-14T22:00:00+00:00",
        "minutes": 150,
        "assets": 12,
        "distinct_prompts": 2,
        "distinct_seeds": 4,
        "phases": 2,
    }
    assert document["phases"][1] == {
        "phase": 2,
        "intent": "refinement",
        "label": "Fog",
        "assets": 6,
        "minutes": 68.2,
        "at": [7, 12],
        "prompts": 1,
        "opening_prompt": 2,
    }
    assert document["lineage"]["by_kind"] == {"upscale": 2, "img2img": 1, "variation": 1}
    assert document["loras"] == [
        {"name": "inkStyle_v2", "uses": 6, "at": [7, 12], "weight": {"value": 0.7, "n": 6}}
    ]


def test_vocabulary_holds_what_the_facts_say() -> None:
    facts = evening()
    vocabulary = facts.grounding_vocabulary()
    numbers = vocabulary.numbers
    expected = {
        12.0,  # images
        2.0,  # distinct prompts, phases
        4.0,  # seeds tried, lineage edges
        6.5,  # CFG before
        8.0,  # CFG after
        28.0,  # steps
        1.3,  # the fog weight in the prompt
        0.7,  # the LoRA weight
        700.0,  # a seed, most reused
        832.0,  # width
        1216.0,  # height
        150.0,  # minutes
        2.5,  # … as hours
        3.0,  # … rounded up to whole hours
        2026.0,  # year
        14.0,  # day
        19.0,  # the hour it started
        7.0,  # … on a 12-hour clock
        30.0,  # the minute it started
    }
    assert expected <= numbers
    assert vocabulary.names == {
        "a1111",
        "dreamshaperXL_v21.safetensors",
        "dpmpp_2m",
        "karras",
        "inkStyle_v2",
        "img2img",
        "upscale",
        "variation",
    }


def test_vocabulary_holds_no_value_the_facts_do_not_state() -> None:
    facts = evening()
    numbers = facts.grounding_vocabulary().numbers
    for invented in (7.5, 35.0, 1024.0, 512.0, 0.8, 703.5, 2025.0, 99.0, 13.7, 704.0):
        assert invented not in numbers, invented
    assert "sd_xl_base_1.0" not in facts.grounding_vocabulary().names


def test_vocabulary_ignores_digits_of_asset_ids() -> None:
    assets = [asset("9f3c-4711", 0, cfg_scale=7.0), asset("b2e8-4712", 1, cfg_scale=7.0)]
    facts = build_session_facts(
        label="x",
        intent="exploration",
        tool="comfyui",
        assets=assets,
        phases=[phase(0, "exploration", assets)],
        lineage=[],
    )
    numbers = facts.grounding_vocabulary().numbers
    assert 4711.0 not in numbers and 4712.0 not in numbers


def test_the_same_input_gives_equal_facts_and_identical_json() -> None:
    session = long_session(600, seed=11)
    first = build_session_facts(**session.facts_arguments())
    second = build_session_facts(**long_session(600, seed=11).facts_arguments())
    assert first == second
    assert json.dumps(first.to_json()) == json.dumps(second.to_json())
    assert first.grounding_vocabulary() == second.grounding_vocabulary()


def test_a_session_with_nothing_but_ids_still_has_facts() -> None:
    assets = [bare_asset(f"a{i}", has_thumbnail=False) for i in range(3)]
    facts = build_session_facts(
        label="", intent="exploration", tool="unknown", assets=assets, phases=[], lineage=[]
    )
    assert (facts.started_at, facts.duration_minutes, facts.distinct_prompt_count) == (None, 0.0, 0)
    assert facts.parameters == () and facts.representatives == ()
    document = facts.to_json()
    assert json.loads(json.dumps(document)) == document
    assert "prompt_evolution" not in document and document["lineage"] == {"edges": 0}


def test_a_long_session_stays_compact() -> None:
    facts = build_session_facts(**long_session(3000).facts_arguments())
    document = facts.to_json()
    for name, trajectory in document["parameters"].items():
        assert len(trajectory.get("segments", [])) <= 8, name
    assert len(document["representatives"]) == 8
    assert document["representatives"][0]["reasons"][0] == "session opener"
    assert document["session"]["distinct_prompts"] == len(facts.prompt_evolution.versions) > 100
