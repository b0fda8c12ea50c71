"""Parameter trajectories compressed to change points and ranges; LoRAs and their weights; seeds."""

from __future__ import annotations

import numpy as np

from engine.records import LoraRef
from engine.reflection_facts import FactAsset, SessionFacts
from engine.reflection_facts.parameter_trajectories import MAX_SEGMENTS
from tests.engine.reflection_facts.fact_builders import asset, one_phase_facts


def facts_of(assets: list[FactAsset]) -> SessionFacts:
    return one_phase_facts(assets, intent="optimization")


def cfg_sweep_session() -> list[FactAsset]:
    """40 images at CFG 7, then a sweep 5, 5.5 … 12 twice over (30 images), then 30 at CFG 7.5."""
    sweep = [5 + 0.5 * (step % 15) for step in range(30)]
    cfgs = [7.0] * 40 + sweep + [7.5] * 30
    return [asset(f"a{i}", i, cfg_scale=cfg, seed=1234) for i, cfg in enumerate(cfgs)]


def test_a_cfg_sweep_is_one_range_segment_between_two_holds() -> None:
    cfg = facts_of(cfg_sweep_session()).parameter("cfg")
    assert cfg is not None
    assert (cfg.count, cfg.distinct, cfg.low, cfg.high) == (100, 15, 5.0, 12.0)  # the sweep passes 7 and 7.5
    assert cfg.changes == 31  # 7→5, 29 steps inside the sweep, 9.5→7.5
    assert cfg.most_used == (7, 42)
    first, sweep, last = cfg.segments
    assert (first.first_position, first.last_position, first.first_value, first.is_hold) == (1, 40, 7, True)
    assert (sweep.first_position, sweep.last_position, sweep.count) == (41, 70, 30)
    assert (sweep.low, sweep.high, sweep.first_value, sweep.last_value) == (5.0, 12.0, 5, 12)
    assert (sweep.distinct, sweep.changes, sweep.is_hold) == (15, 29, False)
    assert (last.first_position, last.last_position, last.first_value) == (71, 100, 7.5)


def test_the_json_shows_holds_and_the_sweep_range_not_one_row_per_asset() -> None:
    document = facts_of(cfg_sweep_session()).to_json()["parameters"]["cfg"]
    assert document["range"] == [5, 12] and document["changes"] == 31
    assert document["segments"] == [
        {"at": [1, 40], "n": 40, "value": 7},
        {"at": [41, 70], "n": 30, "range": [5, 12], "first": 5, "last": 12, "values": 15, "changes": 29},
        {"at": [71, 100], "n": 30, "value": 7.5},
    ]
    assert document["most_used"] == [7, 42]


def test_a_parameter_that_never_changed_is_one_value() -> None:
    document = facts_of(cfg_sweep_session()).to_json()["parameters"]
    assert document["steps"] == {"value": 30, "n": 100}
    assert document["model"] == {"value": "sdxl_base_1.0", "n": 100}
    assert document["size"] == {"value": "832x1216", "n": 100}


def test_few_changes_are_kept_as_change_points() -> None:
    samplers = ["euler_a"] * 10 + ["dpmpp_2m"] * 5 + ["euler_a"] * 3
    sampler = facts_of([asset(f"a{i}", i, sampler=s) for i, s in enumerate(samplers)]).parameter("sampler")
    assert sampler is not None
    assert [(s.first_position, s.last_position, s.first_value) for s in sampler.segments] == [
        (1, 10, "euler_a"),
        (11, 15, "dpmpp_2m"),
        (16, 18, "euler_a"),
    ]
    assert sampler.values == (("euler_a", 13), ("dpmpp_2m", 5))


def test_a_long_noisy_trajectory_stays_within_the_segment_bound() -> None:
    rng = np.random.default_rng(3)
    steps = [int(value) for value in rng.choice([20, 25, 30, 35, 40], size=5000)]
    steps[1000:1600] = [30] * 600  # one long hold survives compression
    trajectory = facts_of([asset(f"a{i}", i / 10, steps=s) for i, s in enumerate(steps)]).parameter("steps")
    assert trajectory is not None
    assert len(trajectory.segments) <= MAX_SEGMENTS
    assert sum(segment.count for segment in trajectory.segments) == 5000
    holds = [segment for segment in trajectory.segments if segment.is_hold]
    assert any(segment.first_position <= 1001 and segment.last_position >= 1600 for segment in holds)
    assert trajectory.values == tuple((value, steps.count(value)) for value in (20, 25, 30, 35, 40))


def test_missing_values_are_skipped_and_do_not_break_a_hold() -> None:
    assets = [asset(f"a{i}", i, denoise=None if i % 2 else 0.4) for i in range(6)]
    denoise = facts_of(assets).parameter("denoise")
    assert denoise is not None
    assert (denoise.count, denoise.changes, len(denoise.segments)) == (3, 0, 1)


def test_loras_with_their_weights_over_time() -> None:
    assets = [asset(f"a{i}", i) for i in range(3)]
    assets += [asset(f"b{i}", 3 + i, loras=(LoraRef("filmGrain", 0.5 + 0.1 * i),)) for i in range(4)]
    assets += [asset("c0", 8, loras=(LoraRef("filmGrain", 0.8), LoraRef("detailer", None)))]
    lora, detailer = facts_of(assets).loras
    assert (lora.name, lora.uses, lora.first_position, lora.last_position, lora.spans) == (
        "filmGrain",
        5,
        4,
        8,
        1,
    )
    assert lora.weights is not None
    assert (lora.weights.low, lora.weights.high, lora.weights.changes) == (0.5, 0.8, 3)
    assert (detailer.name, detailer.uses, detailer.weights) == ("detailer", 1, None)


def test_seeds_fixed_random_and_most_reused() -> None:
    fixed = facts_of(cfg_sweep_session()).seeds
    assert (fixed.pattern, fixed.distinct, fixed.most_reused) == ("fixed", 1, ((1234, 100),))
    assert fixed.longest_fixed_run is not None and fixed.longest_fixed_run.count == 100

    seeds = [11, 11, 11, 42, 42, 7, 8, 9, 10, 99, 100, 101, 11]
    varied = facts_of([asset(f"a{i}", i, seed=s) for i, s in enumerate(seeds)]).seeds
    assert varied.distinct == 9 and varied.assets_with_seed == 13
    assert varied.most_reused == ((11, 4), (42, 2))
    assert varied.longest_fixed_run is not None
    assert (varied.longest_fixed_run.seed, varied.longest_fixed_run.first_position) == (11, 1)
    assert varied.longest_fixed_run.last_position == 3
    assert varied.pattern == "mixed"  # new seeds, some kept, some stepped: no habit dominates

    batches = [500, 501, 502, 503, 900, 901, 902, 903, 77, 78, 79]
    stepped = facts_of([asset(f"a{i}", i, seed=s) for i, s in enumerate(batches)]).seeds
    assert stepped.pattern == "incrementing"  # 8 of 10 steps add one

    random = facts_of([asset(f"a{i}", i, seed=1000 + 37 * i) for i in range(20)]).seeds
    assert (random.pattern, random.most_reused, random.longest_fixed_run) == ("random", (), None)
