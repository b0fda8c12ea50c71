"""Lineage: explicit evidence first, then inferred parents inside a session; always a forest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from engine.analysis import Analysis, LineageKind
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records
from engine.sessions.lineage import NAMED_CONFIDENCE, grid_position, parent_grid_position

T0 = datetime(2026, 5, 3, 14, 0, tzinfo=UTC)
PROMPT = "lighthouse on a cliff, stormy sea, oil painting"


class Clock:
    def __init__(self) -> None:
        self.time = T0
        self.count = 0

    def record(
        self, prompt: str | None = PROMPT, *, same_batch: bool = False, **fields: Any
    ) -> GenerationRecord:
        if not same_batch:
            self.time += timedelta(seconds=45)
        self.count += 1
        fields.setdefault("tool", "a1111")
        fields.setdefault("user", "ada")
        fields.setdefault("model", "sdxl")
        fields.setdefault("width", 832)
        fields.setdefault("height", 1216)
        fields.setdefault("cfg_scale", 7.0)
        fields.setdefault("steps", 30)
        fields.setdefault("seed", 100 + self.count)
        fields.setdefault("file_name", f"{self.count:05d}-{fields['seed']}.png")
        return GenerationRecord(id=f"r{self.count:03d}", created_at=self.time, prompt=prompt, **fields)


def _edges(analysis: Analysis) -> dict[str, tuple[str, LineageKind, float]]:
    return {e.child: (e.parent, e.kind, e.confidence) for e in analysis.lineage}


def _assert_forest(analysis: Analysis) -> None:
    children = [e.child for e in analysis.lineage]
    assert len(children) == len(set(children)), "a child has at most one parent"
    session_of = {a: s.id for s in analysis.sessions for a in s.asset_ids}
    position = {a: i for s in analysis.sessions for i, a in enumerate(s.asset_ids)}
    for edge in analysis.lineage:
        assert session_of[edge.parent] == session_of[edge.child]
        assert position[edge.parent] < position[edge.child]
        assert 0.0 <= edge.confidence <= 1.0


def test_source_image_by_file_name_is_img2img_inpaint_or_upscale() -> None:
    clock = Clock()
    base = clock.record()
    img2img = clock.record(source_image=f"C:\\outputs\\{base.file_name}", denoise=0.5)
    inpaint = clock.record(source_image=base.file_name, extra={"mask_blur": 4})
    upscale = clock.record(source_image=base.id, width=1664, height=2432)
    analysis = analyze_records([base, img2img, inpaint, upscale])
    edges = _edges(analysis)
    assert edges[img2img.id][:2] == (base.id, LineageKind.IMG2IMG)
    assert edges[inpaint.id][:2] == (base.id, LineageKind.INPAINT)
    assert edges[upscale.id][:2] == (base.id, LineageKind.UPSCALE)
    assert all(edges[r.id][2] >= 0.9 for r in (img2img, inpaint, upscale))
    _assert_forest(analysis)


def test_midjourney_parent_jobs_give_variation_upscale_and_remix() -> None:
    clock = Clock()
    grid = clock.record(tool="midjourney", job_id="job-1", width=1024, height=1024)
    variation = clock.record(
        tool="midjourney", job_id="job-2", parent_job_id="job-1", width=1024, height=1024
    )
    upscale = clock.record(
        tool="midjourney",
        job_id="job-3",
        parent_job_id="job-1",
        width=2048,
        height=2048,
        extra={"job_type": "upscale"},
    )
    remix = clock.record(
        "lighthouse on a cliff, calm sea at dawn",
        tool="midjourney",
        job_id="job-4",
        parent_job_id="job-2",
        width=1024,
        height=1024,
    )
    edges = _edges(analyze_records([grid, variation, upscale, remix]))
    assert edges[variation.id][:2] == (grid.id, LineageKind.VARIATION)
    assert edges[upscale.id][:2] == (grid.id, LineageKind.UPSCALE)
    assert edges[remix.id][:2] == (variation.id, LineageKind.REMIX)


JOB = "d7e2a9c4-6b1f-4e83-a5d0-3c9b8f2e1a47"


def _grid(clock: Clock, *, named: str) -> list[GenerationRecord]:
    """Four images of one Midjourney job rendered together; ``named`` how each says where it sits:
    ``"file"`` (the download's ``…_<job>_<n>.png``), ``"extra"`` (``grid_index``) or ``"none"``."""
    images = []
    for index in range(4):
        fields: dict[str, Any] = {"tool": "midjourney", "job_id": JOB, "seed": None, "width": 1024}
        fields["height"] = 1024
        if named == "file":
            fields["file_name"] = f"ada_lighthouse_on_a_cliff_{JOB}_{index}.png"
        else:
            fields["file_name"] = f"ada_lighthouse_on_a_cliff_{JOB}.png"
        if named == "extra":
            fields["extra"] = {"grid_index": index}
        images.append(clock.record(same_batch=index > 0, **fields))
    return images


def test_a_child_naming_an_image_of_its_parent_grid_links_to_that_image() -> None:
    """Midjourney's job JSON names the grid cell an upscale or a vary came from (``parent_grid``)."""
    for named in ("file", "extra"):
        clock = Clock()
        grid = _grid(clock, named=named)
        upscale = clock.record(
            tool="midjourney",
            job_id="job-u3",
            parent_job_id=JOB,
            seed=None,
            width=2048,
            height=2048,
            extra={"parent_grid": 2},
        )
        vary = clock.record(
            tool="midjourney", job_id="job-v1", parent_job_id=JOB, seed=None, extra={"parent_grid_index": "1"}
        )
        analysis = analyze_records([*grid, upscale, vary])
        edges = _edges(analysis)
        assert edges[upscale.id][:2] == (grid[2].id, LineageKind.UPSCALE), named
        assert edges[vary.id][0] == grid[1].id, named
        _assert_forest(analysis)


def test_without_a_named_cell_the_visually_closest_image_of_the_grid_is_the_parent() -> None:
    clock = Clock()
    grid = _grid(clock, named="none")
    upscale = clock.record(
        tool="midjourney", job_id="job-u", parent_job_id=JOB, seed=None, width=2048, height=2048
    )
    vectors = {image.id: np.eye(4)[index] for index, image in enumerate(grid)}
    vectors[upscale.id] = np.array([0.1, 0.05, 0.2, 0.97])
    records = [*grid, upscale]
    assert _edges(analyze_records(records, visual_embeddings=vectors))[upscale.id][0] == grid[3].id
    assert _edges(analyze_records(records))[upscale.id][0] == grid[0].id  # nothing says which: the first


def test_a_grid_position_is_read_only_where_the_record_says_it() -> None:
    clock = Clock()
    plain = clock.record(tool="midjourney", job_id=JOB, file_name=f"{JOB}_2.png")
    other_job = clock.record(tool="midjourney", job_id="job-9", file_name=f"{JOB}_2.png")
    counter = clock.record(file_name="00012-1234.png")
    assert grid_position(plain) == 2
    assert grid_position(other_job) is None  # the name ends with another job's id
    assert grid_position(counter) is None
    assert parent_grid_position(clock.record(parent_job_id=JOB, extra={"parent_grid": True})) is None
    assert parent_grid_position(clock.record(extra={"parent_grid": 1})) is None  # no parent job
    assert parent_grid_position(clock.record(parent_job_id=JOB, extra={"parent_grid": " 3 "})) == 3
    for hostile in ("²", "1" * 5000, "-1", "64", "٣"):  # superscript and Arabic digits pass str.isdigit
        assert parent_grid_position(clock.record(parent_job_id=JOB, extra={"parent_grid": hostile})) is None


def test_hires_pass_with_same_prompt_and_seed_and_larger_size_is_an_upscale_of_that_image() -> None:
    clock = Clock()
    originals = [clock.record(seed=s) for s in (11, 12, 13, 14)]
    hires = clock.record(seed=12, width=1248, height=1824, denoise=0.35)
    edges = _edges(analyze_records([*originals, hires]))
    assert edges[hires.id][:2] == (originals[1].id, LineageKind.UPSCALE)


def test_a_clip_upscaled_frame_by_frame_pairs_its_frames_in_order() -> None:
    """Frames of one clip (or a ComfyUI batch) share their seed; upscaled as one, frame k comes from
    frame k — not every upscaled frame from the clip's last frame. An earlier clip of the same prompt
    and seed, minutes before, is another batch and takes no part."""
    clock = Clock()
    earlier_clip = [clock.record(seed=7, same_batch=at > 0) for at in range(4)]
    clip = [clock.record(seed=7, same_batch=at > 0) for at in range(4)]
    upscaled = [clock.record(seed=7, same_batch=at > 0, width=1664, height=2432) for at in range(4)]
    edges = _edges(analyze_records([*earlier_clip, *clip, *upscaled]))
    assert [edges[frame.id][:2] for frame in upscaled] == [(frame.id, LineageKind.UPSCALE) for frame in clip]


def test_an_upscale_of_one_image_of_a_batch_of_one_seed_keeps_the_latest_smaller_image() -> None:
    clock = Clock()
    batch = [clock.record(seed=7, same_batch=at > 0) for at in range(4)]
    hires = clock.record(seed=7, width=1664, height=2432)
    assert _edges(analyze_records([*batch, hires]))[hires.id][:2] == (batch[-1].id, LineageKind.UPSCALE)


def test_upscales_after_a_sweep_on_one_seed_come_from_the_image_whose_sampling_they_repeat() -> None:
    """A CFG sweep on one seed saved at once is no batch of like images: two upscales of its CFG 6
    image both come from it, not one from each place of the sweep."""
    clock = Clock()
    sweep = [clock.record(seed=7, cfg_scale=cfg, same_batch=cfg > 5.0) for cfg in (5.0, 6.0)]
    upscales = [
        clock.record(seed=7, cfg_scale=6.0, same_batch=at > 0, width=1664, height=2432) for at in range(2)
    ]
    edges = _edges(analyze_records([*sweep, *upscales]))
    assert [edges[upscale.id][:2] for upscale in upscales] == [(sweep[1].id, LineageKind.UPSCALE)] * 2


def test_variation_seed_points_at_the_base_image() -> None:
    clock = Clock()
    base = clock.record(seed=500)
    other = clock.record(seed=501)
    variation = clock.record(seed=500, extra={"subseed": 9876, "subseed_strength": 0.1})
    assert _edges(analyze_records([base, other, variation]))[variation.id][:2] == (
        base.id,
        LineageKind.VARIATION,
    )


def test_inferred_param_sweep_reroll_and_prompt_edit() -> None:
    clock = Clock()
    first = clock.record(seed=1)
    reroll = clock.record(seed=2)
    sweep_start = clock.record(seed=3, cfg_scale=5.0)
    sweep_next = clock.record(seed=3, cfg_scale=6.0)
    edited = clock.record("lighthouse on a cliff, stormy sea, oil painting, seagulls", seed=4)
    analysis = analyze_records([first, reroll, sweep_start, sweep_next, edited])
    edges = _edges(analysis)
    assert edges[reroll.id][:2] == (first.id, LineageKind.REROLL)
    assert edges[sweep_next.id][:2] == (sweep_start.id, LineageKind.PARAM_SWEEP)
    assert edges[edited.id][1] is LineageKind.PROMPT_EDIT
    assert all(edges[r.id][2] < 0.9 for r in (reroll, sweep_next, edited))
    _assert_forest(analysis)


def test_batch_siblings_share_their_parent_and_new_ideas_have_none() -> None:
    clock = Clock()
    first = clock.record(seed=1)
    batch = [clock.record(seed=10 + i, same_batch=i > 0) for i in range(4)]
    new_idea = clock.record("a red bicycle leaning on a wall, watercolor", seed=99)
    edges = _edges(analyze_records([first, *batch, new_idea]))
    assert all(edges[r.id][:2] == (first.id, LineageKind.REROLL) for r in batch)
    assert new_idea.id not in edges


def test_a_named_parent_in_an_earlier_session_is_linked() -> None:
    """An img2img of yesterday's keeper names it: named evidence, whichever session the parent is in
    (an inferred link never leaves its session)."""
    clock = Clock()
    base = clock.record()
    clock.time += timedelta(hours=6)
    later = clock.record(source_image=base.file_name, denoise=0.4)
    analysis = analyze_records([base, later])
    assert len(analysis.sessions) == 2
    assert [(e.parent, e.child, e.kind, e.confidence) for e in analysis.lineage] == [
        (base.id, later.id, LineageKind.IMG2IMG, NAMED_CONFIDENCE)
    ]
    # a name only a later image holds is no parent
    child = clock.record(source_image="99999-7.png", denoise=0.4)
    clock.time += timedelta(hours=6)
    assert analyze_records([child, clock.record(file_name="99999-7.png")]).lineage == []


def test_among_images_of_one_name_the_own_session_then_the_latest_earlier_is_the_parent() -> None:
    """ComfyUI's counters restart per output folder, so ``ComfyUI_00012_.png`` names several files; a
    ``LoadImage`` value carries the folder and a ``[output]`` annotation."""
    clock = Clock()
    first = clock.record(file_name="portraits/ComfyUI_00012_.png")
    clock.time += timedelta(hours=6)
    second = clock.record(file_name="landscapes/ComfyUI_00012_.png")
    clock.time += timedelta(hours=6)
    third = clock.record(file_name="ComfyUI_00012_.png")
    by_folder = clock.record(source_image="portraits/ComfyUI_00012_.png [output]", denoise=0.5)
    by_name = clock.record(source_image="ComfyUI_00012_.png [output]", denoise=0.5)
    edges = {e.child: e.parent for e in analyze_records([first, second, third, by_folder, by_name]).lineage}
    assert edges[by_folder.id] == first.id  # the folder decides, though another session
    assert edges[by_name.id] == third.id  # the child's own session first
    edges = {e.child: e.parent for e in analyze_records([first, second, by_name]).lineage}
    assert edges[by_name.id] == second.id  # else the latest earlier one


def test_lineage_is_a_forest_on_a_mixed_history() -> None:
    clock = Clock()
    records: list[GenerationRecord] = []
    for round_number in range(6):
        prompt = f"{PROMPT}, variation {round_number % 2}"
        parent = clock.record(prompt, seed=round_number)
        records += [parent, *(clock.record(prompt, seed=round_number, cfg_scale=c) for c in (5.0, 8.0))]
        records.append(clock.record(prompt, source_image=parent.file_name, denoise=0.5, seed=77))
        records.append(clock.record(prompt, seed=round_number, width=1664, height=2432))
    _assert_forest(analyze_records(records))


def test_an_a1111_grid_file_is_no_upscale_of_its_first_cell() -> None:
    """An X/Y/Z plot saves each cell, then ``xyz_grid-0007.png``: the cells side by side, with the first
    cell's prompt and seed at three times its size. A hires pass of the same seed is an upscale."""
    clock = Clock()
    cells = [clock.record(seed=42, cfg_scale=cfg, width=512, height=768) for cfg in (4.0, 7.0, 10.0)]
    grid = clock.record(seed=42, cfg_scale=4.0, width=1536, height=2304, file_name="xyz_grid-0007.png")
    batch_grid = clock.record(
        seed=42, width=1536, height=2304, file_name="outputs/txt2img-grids/grid-0012.png"
    )
    hires = clock.record(seed=42, cfg_scale=10.0, width=1024, height=1536)
    edges = _edges(analyze_records([*cells, grid, batch_grid, hires]))
    assert edges.get(grid.id, (None, None))[1] is not LineageKind.UPSCALE
    assert edges.get(batch_grid.id, (None, None))[1] is not LineageKind.UPSCALE
    assert edges[hires.id][:2] == (cells[2].id, LineageKind.UPSCALE)


def test_a_child_naming_a_source_not_among_the_records_gets_no_inferred_parent() -> None:
    """Its parent is the file it names; the catalog links it when that file is imported. A reroll or
    prompt-edit guess at its neighbour would stand in the named link's place."""
    clock = Clock()
    first = clock.record(seed=1)
    named = [clock.record(seed=2 + i, source_image=f"elsewhere_{i}.png", denoise=0.5) for i in range(3)]
    edges = _edges(analyze_records([first, *named]))
    assert all(child.id not in edges for child in named), edges
