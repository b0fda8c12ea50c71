"""Session segmentation: adaptive time, batches, tool switch, parameter discontinuity, users, precision."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

import numpy as np

from engine.records import GenerationRecord, TimePrecision
from engine.session_analysis import analyze_records
from engine.sessions.temporal_signal import TemporalSettings, temporal_signal
from tests.engine.session_records import MOUNTAIN, NEON, PORTRAIT, T0, memberships, paced, record


def _evidence_after(pace_minutes: float, gap_minutes: float) -> float:
    times = [i * pace_minutes * 60.0 for i in range(12)]
    times.append(times[-1] + gap_minutes * 60.0)
    times.extend(times[-1] + (i + 1) * pace_minutes * 60.0 for i in range(8))
    count = len(times)
    signal = temporal_signal(
        np.array(times),
        np.ones(count),
        np.zeros(count, dtype=np.int64),
        np.zeros(count, dtype=bool),
        TemporalSettings(),
    )
    return float(signal.evidence[12])


def test_a_gap_is_judged_against_the_local_pace() -> None:
    assert (
        _evidence_after(pace_minutes=1, gap_minutes=20)
        > _evidence_after(pace_minutes=10, gap_minutes=20) + 2.0
    )
    assert _evidence_after(pace_minutes=10, gap_minutes=20) < 2.0


def test_batches_are_one_step_not_several() -> None:
    """Four images per second every minute: the pace is a minute, not ~0 s, so a 3-minute gap is ordinary-ish
    and a batch row carries no break evidence."""
    times: list[float] = []
    for step in range(12):
        times.extend([step * 60.0] * 4)
    count = len(times)
    signal = temporal_signal(
        np.array(times),
        np.ones(count),
        np.zeros(count, dtype=np.int64),
        np.zeros(count, dtype=bool),
        TemporalSettings(),
    )
    assert signal.is_batch.sum() == 12 * 3
    step_rows = np.flatnonzero(~signal.is_batch)[1:]
    assert np.allclose(signal.local_pace_seconds[step_rows], 60.0, rtol=0.2)


def test_new_context_after_a_pause_splits_and_same_context_after_a_pause_does_not() -> None:
    records = [
        *paced("a", 0, 10, 1, NEON),
        *paced("b", 9 + 25, 10, 1, NEON),  # 25-minute pause, same context
        *paced("c", 43 + 20, 10, 1, MOUNTAIN),  # 20-minute pause, new context
    ]
    sessions = memberships(analyze_records(records))
    assert len(sessions) == 2
    assert sessions[0][0] == "a000" and sessions[0][-1] == "b009"
    assert sessions[1][0] == "c000"


def test_tool_switch_is_always_a_boundary() -> None:
    records = [*paced("a", 0, 5, 1, NEON), *paced("b", 4.1, 5, 1, NEON, tool="a1111")]
    analysis = analyze_records(records)
    assert memberships(analysis) == [[f"a{i:03d}" for i in range(5)], [f"b{i:03d}" for i in range(5)]]
    assert analysis.sessions[1].confidence == 1.0
    assert [s.tool for s in analysis.sessions] == ["comfyui", "a1111"]


def test_model_change_splits_even_after_a_short_gap() -> None:
    records = [*paced("a", 0, 6, 1, NEON), *paced("b", 6, 6, 1, PORTRAIT, model="flux_dev")]
    assert len(analyze_records(records).sessions) == 2


def test_trying_the_same_prompt_on_another_model_size_or_graph_stays_in_the_session() -> None:
    """A/B comparisons: the prompt is the creative intent; the set-up around it changed for a moment."""
    records = [
        *paced("a", 0, 6, 1, NEON),
        *paced("b", 6, 4, 1, NEON, model="flux_dev"),
        *paced("c", 10, 4, 1, NEON, width=1216, height=832),
        *paced("d", 14, 4, 1, NEON, workflow_hash="graph-with-a-lora-loader"),
    ]
    assert len(analyze_records(records).sessions) == 1


def test_a_small_tweak_made_with_the_switch_to_another_model_is_still_a_comparison() -> None:
    """The comparison discount follows the prompt's context similarity, not identity alone: one phrase
    added while switching model is the same idea tried elsewhere. A new subject with the switch is not."""
    tweak = [*paced("a", 0, 6, 1, NEON), *paced("b", 6, 6, 1, NEON + ", rim light", model="flux_dev")]
    assert len(analyze_records(tweak).sessions) == 1
    new_subject = [*paced("a", 0, 6, 1, NEON), *paced("b", 6, 6, 1, PORTRAIT, model="flux_dev")]
    assert len(analyze_records(new_subject).sessions) == 2


def test_midjourney_versions_compared_on_one_prompt_stay_in_the_session() -> None:
    """``--v 6.1`` then ``--v 7`` on the same words: the version flag is the model, not a new prompt."""
    words = "a lighthouse in a storm, oil painting --ar 2:3 --stylize 250"
    records = [
        *paced("a", 0, 6, 1, f"{words} --v 6.1", tool="midjourney", model="v6.1"),
        *paced("b", 6, 6, 1, f"{words} --v 7", tool="midjourney", model="v7"),
        *paced("c", 12, 6, 1, f"{words} --v 6.1", tool="midjourney", model="v6.1"),
    ]
    assert len(analyze_records(records).sessions) == 1


def test_the_same_prompt_on_another_model_after_a_break_is_a_new_session() -> None:
    """Beyond ``comparison_seconds`` (the first result no longer on screen) a new model is a new start."""
    records = [*paced("a", 0, 6, 1, NEON), *paced("b", 6 + 20, 6, 1, NEON, model="flux_dev")]
    assert len(analyze_records(records).sessions) == 2


def test_a_queue_rendering_every_15_seconds_with_a_new_idea_every_two_minutes_is_one_exploration() -> None:
    """Each idea queued three times (an image every 15 s), then 90 s of typing the next one: judged
    against the render pace alone, every new idea looked like a pause (five sessions)."""
    ideas = [
        "cyberpunk cityscape at night, neon signs, rain",
        "futuristic street market, holographic billboards",
        "hacker den full of monitors, cables, dim light",
        "rainy megacity rooftop, chrome reflections",
        "underground club, lasers, crowd silhouettes",
        "abandoned subway station, flickering lights",
        "floating market in a flooded city, lanterns",
        "robot street vendor frying noodles, steam",
    ]
    records, seconds = [], 0.0
    for index, idea in enumerate(ideas):
        seconds += 90
        for take in range(3):
            seconds += 15
            records.append(record(f"i{index}t{take}", seconds / 60, idea, seed=100 * index + take))
    assert len(analyze_records(records).sessions) == 1


def test_seed_changes_at_the_usual_pace_never_split() -> None:
    records = list(paced("a", 0, 40, 1.5, NEON))
    assert len(analyze_records(records).sessions) == 1


def test_users_are_clustered_separately_even_when_interleaved() -> None:
    ada = list(paced("a", 0, 8, 1, NEON, user="ada"))
    bob = list(paced("b", 0.5, 8, 1, NEON, user="bob"))
    analysis = analyze_records([*ada, *bob])
    assert {s.user for s in analysis.sessions} == {"ada", "bob"}
    assert sorted(map(len, memberships(analysis))) == [8, 8]


def test_records_without_time_are_unclustered_and_nowhere_else() -> None:
    undated = GenerationRecord(id="undated", tool="comfyui", prompt=NEON)
    analysis = analyze_records([*paced("a", 0, 3, 1, NEON), undated])
    assert analysis.unclustered == ["undated"]
    assert all("undated" not in s.asset_ids for s in analysis.sessions)


def test_ties_are_ordered_by_file_counter_then_name() -> None:
    same_time = [
        record("z", 0, NEON, extra={"file_counter": 2}),
        record("y", 0, NEON, extra={"file_counter": 1}),
        record("b", 1, NEON, file_name="img_b.png"),
        record("a", 1, NEON, file_name="img_c.png"),
        record("c", 1, NEON, file_name="img_a.png"),
    ]
    analysis = analyze_records(same_time)
    assert memberships(analysis) == [["y", "z", "c", "b", "a"]]


def test_a_counter_of_digits_int_cannot_read_sorts_last_instead_of_failing() -> None:
    """``"²"`` and ``"٣"`` pass ``str.isdigit``; ``int("²")`` raised out of the analysis (a JSONL record's
    ``extra.file_counter`` could stop ``atelier analyze``)."""
    same_time = [
        record("odd", 0, NEON, extra={"file_counter": "²"}),
        record("text", 0, NEON, extra={"file_counter": " 3 "}),
        record("int", 0, NEON, extra={"file_counter": 1}),
    ]
    assert memberships(analyze_records(same_time)) == [["int", "text", "odd"]]


def test_day_precision_records_are_never_mixed_with_timed_ones() -> None:
    day_one = T0.replace(hour=0)
    timed = list(paced("t", 0, 4, 1, NEON))
    dated = [
        GenerationRecord(
            id=f"d{i}",
            tool="comfyui",
            user="ada",
            prompt=NEON,
            created_at=day_one + timedelta(days=i // 3),
            created_at_precision=TimePrecision.DAY,
            file_name=f"{i:05d}.png",
        )
        for i in range(6)
    ]
    analysis = analyze_records([*dated, *timed])
    assert memberships(analysis) == [
        ["t000", "t001", "t002", "t003"],
        ["d0", "d1", "d2"],
        ["d3", "d4", "d5"],
    ]
    assert "min" not in analysis.sessions[1].label


def test_session_ids_are_deterministic_and_survive_appending_later_records() -> None:
    first = analyze_records(list(paced("a", 0, 5, 1, NEON)))
    again = analyze_records(list(paced("a", 0, 5, 1, NEON)))
    extended = analyze_records([*paced("a", 0, 5, 1, NEON), *paced("b", 5, 3, 1, NEON)])
    assert first.sessions[0].id == again.sessions[0].id == extended.sessions[0].id


def test_input_order_does_not_matter() -> None:
    records = [*paced("a", 0, 10, 1, NEON), *paced("b", 40, 10, 1, MOUNTAIN), *paced("c", 41, 5, 2, PORTRAIT)]
    forward = analyze_records(records).to_json()
    backward = analyze_records(list(reversed(records))).to_json()
    assert forward == backward


def test_boundary_margins_cover_every_gap_and_are_infinite_when_forced() -> None:
    records = [*paced("a", 0, 3, 1, NEON), *paced("b", 3, 2, 1, NEON, tool="forge")]
    margins = analyze_records(records).boundary_margins
    assert set(margins) == {"a001", "a002", "b000", "b001"}
    assert margins["b000"] == float("inf")
    assert margins["a001"] < 0


def test_the_garbage_collector_state_is_restored_after_an_analysis() -> None:
    records = list(paced("a", 0, 5, 1, NEON))
    assert gc.isenabled()
    analyze_records(records)
    assert gc.isenabled()
    gc.disable()
    try:
        analyze_records(records)
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- issue 11 §1: prompt changes judged against the local rate of subject change --------------------

HOPS = [
    "dragon perched on castle ruins",
    "elven city in giant trees",
    "starship bridge with holographic maps",
    "ink drops blooming in water",
    "tokyo crosswalk in the rain",
    "owl with moth wings",
    "pomegranates on a silver plate",
    "glacier cave with blue ice",
]
LOOK = "oil painting, muted palette"


def _exploration(prefix: str, start_minutes: float, **fields: object) -> list[GenerationRecord]:
    """A new subject every ~2 minutes: two takes each, 40 s apart, 80 s to type the next prompt; a take
    is a batch of two images saved across a second boundary (written 1 s apart)."""
    records: list[GenerationRecord] = []
    minutes = start_minutes
    for number, subject in enumerate(HOPS):
        for take in range(2):
            for image in range(2):
                records.append(
                    record(
                        f"{prefix}{number:02d}{take}{image}",
                        minutes + image / 60,
                        f"{subject}, {LOOK}",
                        seed=number * 10 + take * 2 + image,
                        **fields,
                    )
                )
            minutes += 40 / 60
        minutes += 80 / 60
    return records


def _settled_run(prefix: str, start_minutes: float, prompt: str, **fields: object) -> list[GenerationRecord]:
    return list(paced(prefix, start_minutes, 15, 0.7, prompt, **fields))


def test_an_exploration_that_changes_subject_every_two_minutes_is_one_session() -> None:
    analysis = analyze_records(_exploration("x", 0.0, negative_prompt="lowres"))
    assert len(analysis.sessions) == 1


def test_a_new_subject_after_a_settled_run_is_a_new_session_even_after_a_short_gap() -> None:
    settled = _settled_run("r", 0.0, f"wizard tower on a floating island, {LOOK}", negative_prompt="lowres")
    switch = _settled_run(
        "p", 14.0, "portrait of a boxer wrapping his hands, 35mm photograph", negative_prompt="text"
    )
    analysis = analyze_records(settled + switch)
    assert memberships(analysis) == [[r.id for r in settled], [r.id for r in switch]]


def test_a_pivot_to_new_ideas_in_the_same_look_after_a_coffee_break_stays_in_the_session() -> None:
    settled = _settled_run("r", 0.0, f"wizard tower on a floating island, {LOOK}", negative_prompt="lowres")
    pivot = _exploration("x", 10.0 + 30.0, negative_prompt="lowres")
    analysis = analyze_records(settled + pivot)
    assert len(analysis.sessions) == 1


QUEUED_IDEAS = [
    "croissant and espresso on a cafe table, tarot card",
    "young woman with freckles in golden light, comic book inks",
    "grandmother knitting by the window, film noir photograph",
    "skatepark at sunset, ink wash painting",
    "kaleidoscope mandala, double exposure",
    "neon light trails, flat vector illustration",
    "rolling green hills after rain, gouache illustration",
    "iridescent soap film, macro photography",
]


def _queued_exploration(prefix: str, start_minutes: float, takes: int) -> list[GenerationRecord]:
    """A new subject *and* medium every ~2 minutes, each queued ``takes`` times (an image every 10 s)."""
    records: list[GenerationRecord] = []
    seconds = start_minutes * 60
    for number, idea in enumerate(QUEUED_IDEAS):
        seconds += 75  # typing the next idea
        for take in range(takes):
            seconds += 10
            records.append(
                record(f"{prefix}{number:02d}{take:02d}", seconds / 60, idea, seed=1000 * number + take)
            )
    return records


def test_an_exploration_that_queues_many_images_of_each_subject_is_one_session() -> None:
    """Eight images of each idea, one idea every ~2½ minutes: counted in takes the stretch looked settled
    (most steps keep their prompt), so every new idea split; in time it hops as fast as any exploration."""
    analysis = analyze_records(_queued_exploration("q", 0.0, takes=8))
    assert len(analysis.sessions) == 1


def test_a_new_subject_after_minutes_of_queued_rerolls_is_still_a_new_session() -> None:
    """The time floor of the subject-change rate fades: ten minutes of one prompt is a settled run."""
    settled = [
        record(f"r{take:02d}", take * 10 / 60, "wizard tower on a floating island, oil painting", seed=take)
        for take in range(60)
    ]
    switch = [
        record(
            f"s{take:02d}", 10 + 1.5 + take * 10 / 60, "portrait of a boxer, 35mm photograph", seed=500 + take
        )
        for take in range(20)
    ]
    analysis = analyze_records(settled + switch)
    assert memberships(analysis) == [[r.id for r in settled], [r.id for r in switch]]


def _embeddings_alike(prompts: Iterable[str]) -> dict[str, np.ndarray]:
    """Prompt embeddings that call every prompt the same (cosine 1): the worst a sentence model can do
    (all-MiniLM-L6-v2 gives 0.69 for the two Chinese prompts below, an unrelated dragon and cat)."""
    same = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    return {prompt: same for prompt in prompts}


def _embeddings_apart(prompts: Iterable[str]) -> dict[str, np.ndarray]:
    """Prompt embeddings that call every two prompts unrelated (random unit vectors, cosine ~0)."""
    generator = np.random.default_rng(7)
    vectors = {}
    for prompt in sorted(prompts):
        vector = generator.standard_normal(384).astype(np.float32)
        vectors[prompt] = vector / np.linalg.norm(vector)
    return vectors


def test_an_english_sentence_model_does_not_join_unrelated_chinese_prompts() -> None:
    """all-MiniLM-L6-v2 reads English: any two Chinese prompts look alike to it (a dragon on castle ruins
    and a black cat on a windowsill), and blending it in joined them. The catalog passes these
    embeddings whenever the worker has made them, so a new subject after a settled run was lost.
    Embeddings that call the two prompts identical (worse than the model's 0.69) must not join them."""
    dragon = "城堡废墟上栖息的巨龙，黄昏，油画"
    cat = "一只黑猫坐在窗台上，清晨的阳光，胶片摄影"
    settled = list(paced("d", 0.0, 15, 0.7, dragon, negative_prompt="低质量"))
    switch = list(paced("c", 14.0, 15, 0.7, cat, negative_prompt="低质量"))
    analysis = analyze_records(settled + switch, prompt_embeddings=_embeddings_alike([dragon, cat]))
    assert memberships(analysis) == [[r.id for r in settled], [r.id for r in switch]]


def test_an_edit_of_the_image_just_made_continues_the_session_whatever_its_model_and_prompt() -> None:
    """Qwen-Image-Edit (or Kontext, or an inpainting model) run on the image just made: another model,
    an instruction for a prompt, another negative prompt — but the file names the image it edits, the
    work in hand. A source named from hours ago (a morning review of last night's images) does not."""
    settled = [
        record(
            f"g{index:03d}",
            index * 0.8,
            f"wizard tower on a floating island, {LOOK}",
            seed=index,
            negative_prompt="lowres",
            file_name=f"ComfyUI_{index + 1:05d}_.png",
        )
        for index in range(12)
    ]
    edits = [
        record(
            f"e{index:02d}",
            11.0 + 1.5 * (index + 1),
            instruction,
            model="qwen_image_edit_fp8",
            negative_prompt="",
            seed=500 + index,
            source_image="ComfyUI_00012_.png [output]",
        )
        for index, instruction in enumerate(
            ["make the sky a sunset", "add falling petals", "remove the bird"]
        )
    ]
    analysis = analyze_records(settled + edits)
    assert len(analysis.sessions) == 1
    review = record(
        "m00",
        11.0 + 9 * 60,
        "make the sky a sunset",
        model="qwen_image_edit_fp8",
        source_image="ComfyUI_00012_.png",
    )
    assert len(analyze_records([*settled, *edits, review]).sessions) == 2


GALLERY_PROMPTS = [
    "masterpiece, best quality, 1girl, silver hair, kimono, cherry blossoms, depth of field",
    "cyberpunk samurai on a neon rooftop, rain, volumetric lighting, 8k, artstation",
    "cozy cabin interior, fireplace, warm light, wooden furniture, photorealistic, 35mm",
    "majestic dragon over a stormy sea, epic fantasy, dramatic clouds, concept art",
    "portrait of an astronaut with flowers in the helmet, pastel colors, detailed",
    "steampunk airship above a victorian city, golden hour, intricate details",
    "cute corgi wearing a wizard hat, studio lighting, bokeh, high detail",
    "ancient temple in a jungle, god rays, mossy stones, cinematic, unreal engine",
    "art nouveau poster of a woman with peacock feathers, alphonse mucha style",
    "futuristic sports car on a desert highway, sunset, motion blur, octane render",
    "underwater city with bioluminescent coral, fantasy, ultra wide angle",
    "knight in ornate armor in a misty forest, dark fantasy, highly detailed",
]
GALLERY_NEGATIVES = [
    "lowres, bad anatomy, bad hands, text, error, missing fingers",
    "worst quality, low quality, jpeg artifacts, watermark, signature",
    "blurry, deformed, disfigured, extra limbs, ugly",
]
CHECKPOINTS = ["dreamshaper_8", "realisticVision_v60", "revAnimated_v122", "juggernautXL_v9"]


def test_a_newcomer_pasting_gallery_prompts_and_swapping_checkpoints_is_one_session() -> None:
    """A click a minute, each a different copied prompt with the negative prompt it came with, the
    checkpoint swapped every third click: a set-up that changes at every click is a knob being turned,
    not a new project at each swap (family I's newcomers; split at every swap, into four, before the
    negative prompt counted as set-up churn)."""
    records = [
        record(
            f"n{click:02d}",
            click * 1.1,
            prompt,
            seed=1000 + click,
            negative_prompt=GALLERY_NEGATIVES[click % len(GALLERY_NEGATIVES)],
            model=CHECKPOINTS[click // 3 % len(CHECKPOINTS)],
            tool="a1111",
        )
        for click, prompt in enumerate(GALLERY_PROMPTS)
    ]
    analysis = analyze_records(records)
    assert memberships(analysis) == [[r.id for r in records]]


def test_a_new_project_with_its_own_checkpoint_and_negative_prompt_after_an_exploration_is_new() -> None:
    """The other side: an exploration that keeps one checkpoint and negative prompt, then, two minutes
    later, a new subject on another checkpoint with another negative prompt — a new project."""
    exploration = _exploration("x", 0.0, negative_prompt="lowres")
    last = (exploration[-1].created_at - T0).total_seconds() / 60
    project = _settled_run(
        "p",
        last + 2.0,
        "portrait of a boxer wrapping his hands, 35mm photograph",
        negative_prompt="text, logo",
    )
    project = [replace(each, model="realvis_xl") for each in project]
    analysis = analyze_records(exploration + project)
    assert memberships(analysis) == [[r.id for r in exploration], [r.id for r in project]]


PRODUCT_TEMPLATE = "seamless white background, softbox lighting, 85mm, high detail, commercial photography"
PRODUCTS = [
    "a bottle of cold-pressed olive oil",
    "a linen throw pillow in terracotta",
    "a glass jar of wildflower honey",
    "a brushed steel water bottle, bamboo lid",
    "a pair of noise cancelling headphones",
    "an amber glass serum bottle with a pipette",
    "a slim leather bifold wallet",
    "a pair of white knit running shoes",
    "a ceramic pour-over coffee dripper",
    "a scented soy candle in a tin",
]
PRODUCT_EDITS = ["softer shadow", "tiny dust removed", "more negative space", "crisper edges"]


def _product_days() -> list[GenerationRecord]:
    """Five working days of a product photographer: two products a day in one client template, each
    refined for ~10 minutes (edits appended), the next product 12 minutes later."""
    records: list[GenerationRecord] = []
    for day in range(5):
        minutes = day * 24 * 60.0
        for number in range(2):
            product = PRODUCTS[2 * day + number]
            for take in range(12):
                edits = "".join(
                    f"{PRODUCT_EDITS[index % len(PRODUCT_EDITS)]}, " for index in range(take // 3)
                )
                records.append(
                    record(
                        f"d{day}p{number}t{take:02d}",
                        minutes,
                        f"studio product photo of {product}, {edits}{PRODUCT_TEMPLATE}",
                        seed=100 * day + 10 * number + take,
                        negative_prompt="lowres, watermark",
                    )
                )
                minutes += 0.8
            minutes += 12.0
    return records


def test_session_boundaries_do_not_depend_on_prompt_embeddings() -> None:
    """The next product in the artist's template is a new session, with or without sentence embeddings:
    an embedding sees the template and calls two products alike (the library, whose embeddings the
    worker makes after an import, joined each day's two products into one session before). Embeddings
    at both extremes — every prompt alike, every two prompts unrelated — leave the boundaries as
    they are without any (the real model's, in between, is used by the catalog's own tests)."""
    records = _product_days()
    prompts = {each.prompt for each in records if each.prompt}
    lexical = analyze_records(records)
    assert len(lexical.sessions) == 10
    for embeddings in (_embeddings_alike(prompts), _embeddings_apart(prompts)):
        semantic = analyze_records(records, prompt_embeddings=embeddings)
        assert memberships(semantic) == memberships(lexical)
