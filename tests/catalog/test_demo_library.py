"""The demo library: deterministic real PNGs whose metadata and mtimes match the ground truth.

These tests read the PNG chunks themselves (a tiny chunk walker) and parse the A1111 infotext with a
regex; they deliberately do not use ``engine.metadata``.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from catalog.demo_library import (
    A1111,
    ARTIST_UTC_OFFSET,
    COMFYUI,
    DemoImage,
    DemoLibrary,
    plan_demo_library,
    write_demo_library,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A1111's own pattern for "Key: value" pairs (modules/infotext_utils.py, re_param_code).
RE_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> DemoLibrary:
    return write_demo_library(tmp_path_factory.mktemp("demo") / "library")


def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    chunks: list[tuple[bytes, bytes]] = []
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, (path, kind)
        chunks.append((kind, body))
        offset += 12 + length
    return chunks


def text_chunks(path: Path) -> dict[str, str]:
    """``tEXt`` chunks only, in file order; fails on any other text chunk type."""
    texts: dict[str, str] = {}
    for kind, body in png_chunks(path):
        assert kind not in (b"iTXt", b"zTXt"), (path, kind)
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
    return texts


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.png"))
    }


def parse_infotext(text: str) -> tuple[str, str, dict[str, str]]:
    prompt, negative_and_params = text.split("\nNegative prompt: ", 1)
    negative, params_line = negative_and_params.rsplit("\n", 1)
    params = {key: value for key, value in RE_PARAM.findall(params_line)}
    return prompt, negative, params


# ---- determinism and counts -------------------------------------------------------------------------


def test_same_seed_writes_identical_bytes_and_mtimes(library: DemoLibrary, tmp_path: Path) -> None:
    other = write_demo_library(tmp_path / "again")
    assert digests(other.root) == digests(library.root)
    assert other.sessions == library.sessions
    assert other.images == library.images
    for image in library.images[::17]:
        assert (other.root / image.file_name).stat().st_mtime_ns == (
            library.root / image.file_name
        ).stat().st_mtime_ns


def test_rewriting_the_same_target_is_idempotent(tmp_path: Path) -> None:
    first = write_demo_library(tmp_path)
    before = digests(tmp_path)
    (tmp_path / first.images[0].file_name).write_bytes(b"clobbered")
    second = write_demo_library(tmp_path)
    assert digests(tmp_path) == before
    assert second == first


def test_another_seed_gives_another_library(library: DemoLibrary) -> None:
    other = plan_demo_library(library.root, seed=8)
    assert [s.key for s in other.sessions] == [s.key for s in library.sessions]
    assert {i.seed for i in other.images} != {i.seed for i in library.images}


def test_plan_matches_what_was_written(library: DemoLibrary) -> None:
    assert plan_demo_library(library.root) == library


def test_counts_and_layout(library: DemoLibrary) -> None:
    on_disk = sorted(p.relative_to(library.root).as_posix() for p in library.root.rglob("*.png"))
    assert library.file_count == len(library.images) == len(on_disk)
    assert 360 <= library.file_count <= 420
    assert sorted(i.file_name for i in library.images) == on_disk
    in_sessions = [name for s in library.sessions for name in s.file_names]
    assert sorted(in_sessions) == on_disk  # every file in exactly one session
    tools = Counter(i.tool for i in library.images)
    assert tools[COMFYUI] > 100 and tools[A1111] > 60
    intents = {s.intent for s in library.sessions}
    assert intents == {"exploration", "refinement", "optimization", "convergent_selection"}
    kinds = Counter(i.kind for i in library.images)
    assert {"txt2img", "img2img", "hires", "upscale", "upscale_refine"} <= set(kinds)
    assert any(i.kind == "hires" and i.tool == A1111 for i in library.images)
    assert any(i.kind == "hires" and i.tool == COMFYUI for i in library.images)
    for image in library.images:
        name = image.base_name
        if image.tool == COMFYUI:
            assert image.file_name.startswith("ComfyUI/output/")
            assert re.fullmatch(r"ComfyUI_\d{5}_\.png", name), name
        else:
            assert re.fullmatch(rf"\d{{5}}-{image.seed}\.png", name), name
            local_day = image.created_at.astimezone(ARTIST_UTC_OFFSET).date()
            assert image.file_name.startswith(f"stable-diffusion-webui/outputs/txt2img-images/{local_day}/")


def test_no_two_files_are_byte_identical(library: DemoLibrary) -> None:
    """The catalog keys files by content hash: a duplicate would silently shrink a session."""
    hashes = digests(library.root)
    assert len(set(hashes.values())) == len(hashes) == library.file_count


def test_tool_counters_follow_generation_order(library: DemoLibrary) -> None:
    comfy = [i for i in library.images if i.tool == COMFYUI]
    counters = [int(i.base_name.split("_")[1]) for i in comfy]
    assert counters == list(range(1, len(comfy) + 1))
    by_folder: dict[str, list[int]] = {}
    for image in library.images:
        if image.tool == A1111:
            folder, name = image.file_name.rsplit("/", 1)
            by_folder.setdefault(folder, []).append(int(name.split("-")[0]))
    for numbers in by_folder.values():
        assert numbers == list(range(len(numbers)))


# ---- ComfyUI chunks ---------------------------------------------------------------------------------


def _follow(graph: dict[str, Any], link: Any) -> dict[str, Any]:
    assert isinstance(link, list) and len(link) == 2, link
    return graph[link[0]]


def _primary_sampler(graph: dict[str, Any]) -> dict[str, Any] | None:
    samplers = [n for n in graph.values() if n["class_type"] == "KSampler"]
    primary = [
        s
        for s in samplers
        if _follow(graph, s["inputs"]["latent_image"])["class_type"] in ("EmptyLatentImage", "VAEEncode")
    ]
    assert len(primary) == (1 if samplers else 0)
    return primary[0] if primary else None


def _check_comfy_graph(image: DemoImage, graph: dict[str, Any]) -> None:
    sampler = _primary_sampler(graph)
    if image.seed is None:
        assert sampler is None
        assert image.kind == "upscale"
        upscaler = [n for n in graph.values() if n["class_type"] == "UpscaleModelLoader"]
        assert upscaler[0]["inputs"]["model_name"] == image.upscaler
    else:
        assert sampler is not None
        inputs = sampler["inputs"]
        assert (inputs["seed"], inputs["cfg"], inputs["steps"]) == (image.seed, image.cfg_scale, image.steps)
        assert (inputs["sampler_name"], inputs["scheduler"]) == (image.sampler, image.scheduler)
        assert _follow(graph, inputs["positive"])["inputs"]["text"] == image.prompt
        assert _follow(graph, inputs["negative"])["inputs"]["text"] == image.negative_prompt
        model = _follow(graph, inputs["model"])
        loras: list[tuple[str, float]] = []
        while model["class_type"] == "LoraLoader":
            loras.insert(0, (model["inputs"]["lora_name"], model["inputs"]["strength_model"]))
            model = _follow(graph, model["inputs"]["model"])
        assert model["class_type"] == "CheckpointLoaderSimple"
        assert model["inputs"]["ckpt_name"] == image.model
        assert tuple(loras) == image.loras
        latent = _follow(graph, inputs["latent_image"])
        if image.kind in ("txt2img", "hires"):
            assert inputs["denoise"] == 1.0
            assert latent["class_type"] == "EmptyLatentImage"
            size = (latent["inputs"]["width"], latent["inputs"]["height"], latent["inputs"]["batch_size"])
            assert size == (image.width, image.height, image.batch_size)
        else:
            assert inputs["denoise"] == image.denoise and 0 < inputs["denoise"] < 1
            assert latent["class_type"] == "VAEEncode"
        if image.kind == "hires":
            second = [n for n in graph.values() if n["class_type"] == "KSampler" and n is not sampler]
            assert len(second) == 1
            upscale = _follow(graph, second[0]["inputs"]["latent_image"])
            assert upscale["class_type"] == "LatentUpscaleBy"
            assert upscale["inputs"]["scale_by"] == image.upscale_factor
            assert second[0]["inputs"]["denoise"] == image.denoise
            assert second[0]["inputs"]["steps"] == image.hires_steps
    loads = [n["inputs"]["image"] for n in graph.values() if n["class_type"] == "LoadImage"]
    assert loads == ([image.source_image] if image.source_image else [])
    saves = [n for n in graph.values() if n["class_type"] == "SaveImage"]
    assert len(saves) == 1 and saves[0]["inputs"]["filename_prefix"] == "ComfyUI"


def _check_workflow(graph: dict[str, Any], workflow: dict[str, Any]) -> None:
    assert isinstance(workflow["nodes"], list) and isinstance(workflow["links"], list)
    nodes = {n["id"]: n for n in workflow["nodes"]}
    assert {str(i): n["type"] for i, n in nodes.items()} == {k: v["class_type"] for k, v in graph.items()}
    assert workflow["last_link_id"] == len(workflow["links"])
    api_links = sorted(
        (int(value[0]), int(node_id))
        for node_id, node in graph.items()
        for value in node["inputs"].values()
        if isinstance(value, list)
    )
    assert sorted((link[1], link[3]) for link in workflow["links"]) == api_links
    for link_id, origin, origin_slot, target, target_slot, link_type in workflow["links"]:
        assert link_id in nodes[origin]["outputs"][origin_slot]["links"]
        assert nodes[origin]["outputs"][origin_slot]["type"] == link_type
        assert nodes[target]["inputs"][target_slot]["link"] == link_id
    sampler_widgets = [n["widgets_values"] for n in nodes.values() if n["type"] == "KSampler"]
    for widgets in sampler_widgets:
        assert widgets[1] in ("randomize", "fixed", "increment", "decrement")


def test_comfyui_chunks_are_real_prompt_and_workflow(library: DemoLibrary) -> None:
    comfy = [i for i in library.images if i.tool == COMFYUI]
    assert comfy
    for image in comfy:
        texts = text_chunks(library.root / image.file_name)
        assert list(texts) == ["prompt", "workflow"]
        # Serialised exactly as ComfyUI's SaveImage does: json.dumps with default separators.
        graph = json.loads(texts["prompt"])
        assert json.dumps(graph) == texts["prompt"]
        for node in graph.values():
            assert set(node) == {"inputs", "class_type", "_meta"}
        _check_comfy_graph(image, graph)
        _check_workflow(graph, json.loads(texts["workflow"]))


def test_comfyui_batches_share_one_seed_and_one_second(library: DemoLibrary) -> None:
    batches = [i for i in library.images if i.tool == COMFYUI and i.batch_size > 1]
    assert batches
    for image in batches:
        first = next(
            i
            for i in library.images
            if i.session_key == image.session_key
            and i.batch_index == 0
            and i.created_at.replace(microsecond=0) == image.created_at.replace(microsecond=0)
        )
        assert first.seed == image.seed


def test_img2img_and_upscale_sources_exist_earlier(library: DemoLibrary) -> None:
    by_base = {i.base_name: i for i in library.images}
    derived = [i for i in library.images if i.source_image is not None]
    assert len(derived) > 20
    cross_tool = 0
    for image in derived:
        source = by_base[image.source_image or ""]
        assert source.created_at < image.created_at
        assert source.concept == image.concept
        cross_tool += source.tool != image.tool
    assert cross_tool > 0  # the ComfyUI img2img of an A1111 image


# ---- A1111 chunks -----------------------------------------------------------------------------------


def test_a1111_infotext_round_trips(library: DemoLibrary) -> None:
    a1111 = [i for i in library.images if i.tool == A1111]
    hires_seen = 0
    for image in a1111:
        texts = text_chunks(library.root / image.file_name)
        assert list(texts) == ["parameters"]
        prompt, negative, params = parse_infotext(texts["parameters"])
        assert (prompt, negative) == (image.prompt, image.negative_prompt)
        assert int(params["Steps"]) == image.steps
        assert params["Sampler"] == image.sampler
        assert params["Schedule type"] == image.scheduler
        assert float(params["CFG scale"]) == image.cfg_scale
        assert int(params["Seed"]) == image.seed
        assert params["Size"] == f"{image.width}x{image.height}"
        assert params["Model"] == image.model
        assert re.fullmatch(r"[0-9a-f]{10}", params["Model hash"])
        assert params["Version"] == "v1.10.1"
        assert list(params)[:6] == ["Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size"]
        if image.loras:
            assert params["Lora hashes"].startswith('"') and params["Lora hashes"].endswith('"')
            for name, weight in image.loras:
                assert f"<lora:{name}:{weight}>" in prompt
        if image.kind == "hires":
            hires_seen += 1
            assert float(params["Denoising strength"]) == image.denoise
            assert float(params["Hires upscale"]) == image.upscale_factor
            assert int(params["Hires steps"]) == image.hires_steps
            assert params["Hires upscaler"] == image.upscaler
        else:
            assert "Hires upscale" not in params and "Denoising strength" not in params
    assert hires_seen >= 3


def test_a1111_batches_use_consecutive_seeds(library: DemoLibrary) -> None:
    a1111 = [i for i in library.images if i.tool == A1111]
    for before, after in pairwise(a1111):
        if after.batch_index > 0:
            assert after.seed == (before.seed or 0) + 1
            assert after.created_at.replace(microsecond=0) == before.created_at.replace(microsecond=0)


# ---- times and sessions -----------------------------------------------------------------------------


def test_mtimes_are_the_schedule(library: DemoLibrary) -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for image in library.images:
        assert image.created_at.tzinfo is not None and image.created_at.utcoffset() == timedelta(0)
        assert image.created_at.microsecond % 1000 == 0  # millisecond precision
        expected_ns = (image.created_at - epoch) // timedelta(microseconds=1) * 1000
        assert (library.root / image.file_name).stat().st_mtime_ns == expected_ns
    times = [i.created_at for i in library.images]
    assert times == sorted(times)
    assert times[0].year == 2026


def test_sessions_are_separated_as_promised(library: DemoLibrary) -> None:
    by_name = {i.file_name: i for i in library.images}
    spans: list[tuple[str, datetime, datetime]] = []
    for session in library.sessions:
        images = [by_name[n] for n in session.file_names]
        assert {i.tool for i in images} == {session.tool}
        assert {i.session_key for i in images} == {session.key}
        for before, after in pairwise(images):
            gap = after.created_at.replace(microsecond=0) - before.created_at.replace(microsecond=0)
            gap_s = gap.total_seconds()
            if after.batch_index > 0:
                assert gap_s == 0
            else:
                assert 10 <= gap_s <= 240, (session.key, before.file_name, after.file_name, gap_s)
        spans.append((session.tool, images[0].created_at, images[-1].created_at))
    assert len(library.sessions) >= 10
    for (tool_a, _, end_a), (tool_b, start_b, _) in pairwise(spans):
        assert start_b > end_a
        if tool_a == tool_b:
            assert start_b - end_a >= timedelta(minutes=90)
    tool_switches = sum(a[0] != b[0] for a, b in pairwise(spans))
    assert tool_switches >= 3
    for tool in (COMFYUI, A1111):
        own = [s for s in spans if s[0] == tool]
        for (_, _, end_a), (_, start_b, _) in pairwise(own):
            assert start_b - end_a >= timedelta(minutes=90)
    # "a few evenings": several sessions share a day, and there are at least four distinct days.
    days = Counter(start.date() for _, start, _ in spans)
    assert len(days) >= 4 and max(days.values()) >= 3


def test_session_intents_match_their_content(library: DemoLibrary) -> None:
    by_name = {i.file_name: i for i in library.images}
    for session in library.sessions:
        images = [by_name[n] for n in session.file_names]
        prompts = {i.prompt for i in images}
        if session.intent == "exploration":
            assert len(prompts) >= len(images) / 4
            assert len({i.concept for i in images}) >= 4
        elif session.intent == "optimization":
            assert len({(i.prompt, i.seed) for i in images}) == 1
            cfgs = [i.cfg_scale or 0.0 for i in images]
            assert cfgs == sorted(cfgs) and len(set(cfgs)) == len(cfgs)
        elif session.intent == "refinement" and all(i.kind == "txt2img" for i in images):
            assert len(prompts) == 1 and len(images) >= 20
            assert len({i.seed for i in images}) >= len(images) / 4


def _session_images(library: DemoLibrary, key: str) -> list[DemoImage]:
    (session,) = [s for s in library.sessions if s.key == key]
    return [library.image(name) for name in session.file_names]


@pytest.mark.parametrize("seed", [7, 8])
def test_session_sizes_straddle_the_reflection_threshold(seed: int) -> None:
    """AI reflections need >= 50 assets: one long refinement evening is above, one session just below."""
    library = plan_demo_library(Path("unused"), seed=seed)
    sizes = {s.key: len(s.file_names) for s in library.sessions}
    assert len(library.sessions) == 15
    assert [k for k, n in sizes.items() if n >= 50] == ["e5-comfyui-portrait-evening"]
    assert 60 <= sizes["e5-comfyui-portrait-evening"] <= 80
    in_band = [k for k, n in sizes.items() if 40 <= n <= 49]
    assert "e5-a1111-refinement" in in_band
    if seed == 7:  # the shipped demo: exactly one session in 40-49 (explorations' batches are random)
        assert in_band == ["e5-a1111-refinement"]
    (below,) = [s for s in library.sessions if s.key == "e5-a1111-refinement"]
    assert below.tool == A1111


def test_the_long_evening_is_a_real_refinement(library: DemoLibrary) -> None:
    """Prompt edits (terms added, removed, reweighted), a re-weighted LoRA, CFG and steps sweeps on kept
    seeds, img2img and upscale children: the material a reflection talks about."""
    images = _session_images(library, "e5-comfyui-portrait-evening")
    assert {i.tool for i in images} == {COMFYUI} and {i.concept for i in images} == {"old_sailor"}
    duration = images[-1].created_at - images[0].created_at
    assert timedelta(minutes=90) <= duration <= timedelta(minutes=150)
    generated = [i for i in images if i.kind != "upscale"]
    assert len({i.model for i in generated}) == 1  # one checkpoint all evening

    txt2img = [i for i in images if i.kind == "txt2img"]
    prompts = list(dict.fromkeys(i.prompt or "" for i in txt2img))
    assert len(prompts) >= 5
    terms = [{t.strip() for t in prompt.split(",")} for prompt in prompts]
    assert all(a & b for a, b in pairwise(terms))  # edits of one prompt, not new ideas
    assert any(b - a for a, b in pairwise(terms)) and any(a - b for a, b in pairwise(terms))
    assert any(re.search(r"\(piercing blue eyes:1\.2\)", p) for p in prompts)
    assert any(re.search(r"\(piercing blue eyes:1\.3\d?\)", p) for p in prompts)
    prompts_per_seed = Counter(seed for seed, _ in {(i.seed, i.prompt) for i in txt2img})
    assert sum(count >= 2 for count in prompts_per_seed.values()) >= 2  # seeds kept across edits

    lora_weights = [weight for i in txt2img for _, weight in i.loras]
    assert len(set(lora_weights)) >= 3
    assert len({i.cfg_scale for i in txt2img}) >= 6 and len({i.steps for i in txt2img}) >= 4
    sweeps = [i for i in images if i.lineage_kind == "param_sweep"]
    assert len({(i.seed, i.prompt) for i in sweeps}) <= 3 and len(sweeps) >= 15

    by_base = {i.base_name: i for i in images}
    derived = [i for i in images if i.source_image is not None]
    assert {i.lineage_kind for i in derived} == {"img2img", "upscale"}
    assert {i.kind for i in derived} == {"img2img", "upscale", "upscale_refine"}
    assert all(i.source_image in by_base for i in derived)  # lineage stays inside the session
    depth: dict[str, int] = {}
    for image in images:
        depth[image.base_name] = depth.get(image.source_image or "", -1) + 1
    assert max(depth.values()) >= 3  # txt2img -> img2img -> img2img -> upscale
    for image in (i for i in derived if i.kind == "img2img"):
        assert image.loras and image.model == by_base[image.source_image or ""].model


def test_the_session_below_the_threshold(library: DemoLibrary) -> None:
    images = _session_images(library, "e5-a1111-refinement")
    assert 40 <= len(images) <= 49
    assert {i.tool for i in images} == {A1111} and len({i.prompt for i in images}) == 1
    assert {i.batch_size for i in images} == {4}
    assert (
        images[0].created_at.date()
        == _session_images(library, "e5-comfyui-portrait-evening")[0].created_at.date()
    )


# ---- pixels -----------------------------------------------------------------------------------------


def test_pixels_are_small_real_aspect_ratio_thumbnails(library: DemoLibrary) -> None:
    for image in library.images[::5]:
        with Image.open(library.root / image.file_name) as picture:
            assert picture.format == "PNG" and picture.mode == "RGB"
            assert max(picture.size) == 256
            if image.width and image.height:
                assert abs(picture.size[0] / picture.size[1] - image.width / image.height) < 0.02


def test_images_of_one_concept_look_alike(library: DemoLibrary) -> None:
    """A crude visual descriptor (4x4 mean colours) is closer within a concept than across concepts."""
    descriptors: dict[str, list[np.ndarray]] = {}
    for image in library.images[::3]:
        with Image.open(library.root / image.file_name) as picture:
            small = np.asarray(picture.convert("RGB").resize((4, 4), Image.Resampling.BOX), dtype=np.float64)
        descriptors.setdefault(image.concept, []).append(small.ravel())
    assert len(descriptors) >= 8
    centroids = {c: np.mean(v, axis=0) for c, v in descriptors.items()}
    for concept, vectors in descriptors.items():
        for vector in vectors:
            distances = {c: float(np.linalg.norm(vector - m)) for c, m in centroids.items()}
            assert min(distances, key=lambda c: distances[c]) == concept
