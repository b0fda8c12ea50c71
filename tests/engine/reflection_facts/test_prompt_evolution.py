"""Prompt evolution: distinct prompts in order of first use, what changed, returns, time kept, phases."""

from __future__ import annotations

from engine.reflection_facts import NEW, RETURN, FactAsset, FactPhase, SessionFacts, build_session_facts
from tests.engine.reflection_facts.fact_builders import asset, phase

BASE = "lighthouse on a cliff, stormy sea, oil painting"
DUSK = "lighthouse on a cliff, stormy sea, (golden hour:1.2), oil painting"
DUSK_STRONGER = "lighthouse on a cliff, stormy sea, (golden hour:1.5), oil painting, <lora:filmGrain:0.6>"
INK = "lighthouse on a cliff, ink wash"


def refinement_session() -> tuple[list[FactAsset], list[FactPhase]]:
    """Minutes 0–3 BASE (phase 0), 4–5 DUSK, 6 DUSK_STRONGER (phase 1), 7–8 BASE again, 9 INK."""
    prompts: list[str | None] = [BASE, BASE, "  Lighthouse on a cliff,  stormy sea, OIL painting ", BASE]
    prompts += [DUSK, DUSK, DUSK_STRONGER, BASE, None, BASE, INK]
    ordinals = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    minutes = [0, 1, 2, 3, 4, 5, 6, 7, 7.5, 8, 9]
    assets = [
        asset(f"a{index}", minute, prompt=prompt, phase_ordinal=ordinal)
        for index, (prompt, ordinal, minute) in enumerate(zip(prompts, ordinals, minutes, strict=True))
    ]
    phases = [
        phase(0, "exploration", assets[:4]),
        phase(1, "refinement", assets[4:]),
    ]
    return assets, phases


def facts_of(assets: list[FactAsset], phases: list[FactPhase]) -> SessionFacts:
    return build_session_facts(
        label="Lighthouse", intent="refinement", tool="a1111", assets=assets, phases=phases, lineage=[]
    )


def test_distinct_prompts_in_order_of_first_use_ignoring_case_and_spacing() -> None:
    facts = facts_of(*refinement_session())
    versions = facts.prompt_evolution.versions
    assert [version.text for version in versions] == [BASE, DUSK, DUSK_STRONGER, INK]
    assert [version.number for version in versions] == [1, 2, 3, 4]
    assert [version.first_position for version in versions] == [1, 5, 7, 11]
    assert facts.distinct_prompt_count == 4
    assert facts.prompt_evolution.assets_without_prompt == 1


def test_a_prompt_that_comes_back_is_a_return_not_a_new_prompt() -> None:
    facts = facts_of(*refinement_session())
    changes = facts.prompt_evolution.changes
    assert [(change.kind, change.prompt, change.position) for change in changes] == [
        (NEW, 1, 1),
        (NEW, 2, 5),
        (NEW, 3, 7),
        (RETURN, 1, 8),
        (NEW, 4, 11),
    ]
    assert facts.prompt_evolution.return_count == 1
    base = facts.prompt_evolution.versions[0]
    assert (base.uses, base.runs) == (6, 2)  # four, then two more (the asset without a prompt is skipped)


def test_each_change_says_what_was_added_removed_and_reweighted_against_the_prompt_before() -> None:
    facts = facts_of(*refinement_session())
    dusk, stronger, ink = (change for change in facts.prompt_evolution.changes[1:] if change.kind == NEW)
    assert dusk.from_prompt == 1
    assert dusk.diff is not None and [term.display() for term in dusk.diff.added] == ["(golden hour:1.2)"]
    assert dusk.diff.removed == () and dusk.diff.reweighted == ()
    assert stronger.diff is not None
    assert [term.display() for term in stronger.diff.added] == ["<lora:filmGrain:0.6>"]
    assert [moved.display() for moved in stronger.diff.reweighted] == ["golden hour 1.2→1.5"]
    # INK follows the return to BASE, so it is compared with BASE, not with DUSK_STRONGER.
    assert ink.from_prompt == 1 and ink.diff is not None
    assert [term.text for term in ink.diff.added] == ["ink wash"]
    assert [term.text for term in ink.diff.removed] == ["stormy sea", "oil painting"]


def test_how_long_each_prompt_was_kept() -> None:
    facts = facts_of(*refinement_session())
    changes = facts.prompt_evolution.changes
    # A run lasts until the next run starts; the last run until its own last asset.
    assert [(change.uses, change.minutes) for change in changes] == [
        (4, 4.0),
        (2, 2.0),
        (1, 1.0),
        (2, 2.0),
        (1, 0.0),
    ]
    assert facts.prompt_evolution.versions[0].minutes == 6.0


def test_json_groups_the_changes_by_phase_with_diffs_and_texts() -> None:
    document = facts_of(*refinement_session()).to_json()["prompt_evolution"]
    assert document["distinct"] == 4 and document["returns"] == 1
    assert [group["phase"] for group in document["by_phase"]] == [1, 2]
    first, second = document["by_phase"]
    assert first["changes"] == 0 and first["steps"][0]["text"] == BASE  # the opening is no change
    steps = second["steps"]
    assert steps[0] == {
        "at": 5,
        "prompt": 2,
        "from": 1,
        "added": ["(golden hour:1.2)"],
        "n": 2,
        "minutes": 2,
        "text": DUSK,
    }
    assert steps[1]["reweighted"] == ["golden hour 1.2→1.5"]
    assert steps[2] == {"at": 8, "return_to": 1, "n": 2, "minutes": 2}
    assert steps[3]["removed"] == ["stormy sea", "oil painting"]


def test_phases_know_their_prompts() -> None:
    facts = facts_of(*refinement_session())
    first, second = facts.phases
    assert (first.first_position, first.last_position, first.distinct_prompts, first.opening_prompt) == (
        1,
        4,
        1,
        1,
    )
    assert (second.first_position, second.last_position, second.distinct_prompts, second.opening_prompt) == (
        5,
        11,
        4,
        2,
    )


def test_a_prompt_kept_across_a_phase_boundary_opens_the_next_phase() -> None:
    assets = [asset(f"a{i}", i, prompt=BASE, phase_ordinal=0 if i < 3 else 1) for i in range(6)]
    facts = facts_of(assets, [phase(0, "refinement", assets[:3]), phase(1, "optimization", assets[3:])])
    assert [(p.distinct_prompts, p.opening_prompt) for p in facts.phases] == [(1, 1), (1, 1)]


def test_negative_prompts_evolve_separately() -> None:
    assets = [
        asset("a0", 0, negative_prompt="blurry"),
        asset("a1", 1, negative_prompt="blurry"),
        asset("a2", 2, negative_prompt="blurry, watermark"),
    ]
    facts = facts_of(assets, [phase(0, "refinement", assets)])
    negative = facts.to_json()["negative_prompt_evolution"]
    assert negative["distinct"] == 2
    assert negative["by_phase"][0]["steps"][1]["added"] == ["watermark"]
    assert facts.distinct_prompt_count == 1
