"""Shapes from the fifth probing round: animation workflows (AnimateDiff-Evolved loaders on the model
path, VideoHelperSuite's first-frame PNG and WEBP times, core ``SaveAnimatedPNG``'s private ``comf``
chunks), conditioning joins on the positive path, and Lora Manager's ``Save Image`` infotext whose
LoRAs are only ``Hashes`` keys. Each test names the writer whose code it follows."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from comfy_graph_builder import node, read, sampled
from metadata_png_builder import build_jpeg, build_png, jpeg_segment, png_chunk, text_chunk, tiff_user_comment
from PIL import ExifTags, Image

from engine.metadata import read_image_bytes
from engine.metadata.timestamps import parse_exif_datetime
from engine.records import GenerationRecord, LoraRef, TimePrecision

MTIME = datetime(2025, 6, 30, 18, 0, 0, tzinfo=UTC)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


# -- AnimateDiff-Evolved loaders pass the checkpoint's model on ------------------------------------


@pytest.mark.parametrize(
    ("class_type", "motion_module"),
    [
        ("ADE_AnimateDiffLoaderWithContext", "mm_sd_v15_v2.ckpt"),
        ("ADE_AnimateDiffLoaderGen1", "AnimateLCM_sd15_t2v.ckpt"),
    ],
)
def test_an_animatediff_loader_names_its_motion_module_and_passes_the_checkpoint_on(
    class_type: str, motion_module: str
) -> None:
    """ComfyUI-AnimateDiff-Evolved ``animatediff/nodes_gen1.py`` / ``nodes.py``: required ``model``
    (the checkpoint's MODEL) and ``model_name`` (a motion module from ``models/animatediff_models``);
    the node returns the patched MODEL."""
    graph = sampled(model=["10", 0])
    graph["4"] = node("CheckpointLoaderSimple", ckpt_name="dreamshaper_8.safetensors")
    graph["11"] = node("LoraLoader", model=["4", 0], clip=["4", 1], lora_name="koi.safetensors",
                       strength_model=0.7, strength_clip=0.7)  # fmt: skip
    graph["10"] = node(
        class_type,
        model=["11", 0],
        model_name=motion_module,
        beta_schedule="sqrt_linear (AnimateDiff)",
        context_options=["12", 0],
    )
    graph["12"] = node("ADE_AnimateDiffUniformContextOptions", context_length=16, context_overlap=4)
    record = read(graph)
    assert record.model == "dreamshaper_8.safetensors"
    assert record.loras == (LoraRef("koi.safetensors", 0.7),)


def test_a_node_that_patches_a_linked_model_is_never_taken_for_the_checkpoint() -> None:
    """The general rule behind the AnimateDiff loaders: a node given a MODEL to patch (a linked
    ``model`` input) names what it patches in, not the checkpoint (kijai's IC-Light
    ``LoadAndApplyICLightUnet``: ``model`` + ``model_path``)."""
    graph = sampled(model=["10", 0])
    graph["10"] = node("LoadAndApplyICLightUnet", model=["4", 0], model_path="iclight_sd15_fc.safetensors")
    assert read(graph).model == "sd_xl_base_1.0.safetensors"


# -- core SaveAnimatedPNG: the graph in private 'comf' chunks after the image data -----------------


def _comf_chunk(key: str, value: Any) -> bytes:
    """As ``comfy_extras/nodes_images.py`` ``SaveAnimatedPNG`` adds it: ``key\\0json`` (Latin-1)."""
    return png_chunk(b"comf", key.encode("latin-1") + b"\0" + json.dumps(value).encode("latin-1"))


def test_save_animated_png_comf_chunks_hold_the_graph() -> None:
    graph = sampled()
    data = build_png(
        after_idat=_comf_chunk("prompt", graph) + _comf_chunk("workflow", {"nodes": [], "links": []})
    )
    record = _read(data, "ComfyUI_00045_.png")
    assert record.tool == "comfyui"
    assert (record.prompt, record.negative_prompt, record.seed) == ("a lighthouse at dusk", "blurry", 11)
    assert (record.model, record.width, record.height) == ("sd_xl_base_1.0.safetensors", 1024, 1024)
    assert "texts" not in record.extra  # prompt and workflow were consumed as the graph


def test_a_comf_chunk_over_the_text_limit_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.metadata.png.MAX_TEXT_BYTES", 64)
    data = build_png(after_idat=_comf_chunk("prompt", sampled()))
    record = _read(data, "ComfyUI_00045_.png")
    assert record.tool == "unknown"
    assert any("comf 'prompt'" in message for message in record.extra["metadata_errors"])


# -- VideoHelperSuite times ------------------------------------------------------------------------


def _vhs_graph() -> dict[str, Any]:
    graph = sampled()
    del graph["9"]
    graph["12"] = node("VHS_VideoCombine", images=["8", 0], frame_rate=8, filename_prefix="AnimateDiff",
                       format="video/h264-mp4", save_output=True)  # fmt: skip
    return graph


def test_vhs_video_combine_first_frame_png_creation_time_is_the_generation_time() -> None:
    """VideoHelperSuite ``videohelpersuite/nodes.py`` ``VideoCombine.combine_video``: the first frame's
    PNG gets ``prompt``, ``workflow`` and ``CreationTime`` = ``datetime.now().isoformat(" ")[:19]``
    (the machine's local wall clock, no offset)."""
    data = build_png(
        text_chunk("prompt", json.dumps(_vhs_graph())),
        text_chunk("workflow", "{}"),
        text_chunk("CreationTime", "2025-06-12 21:07:45"),
    )
    record = _read(data, "AnimateDiff_00001.png")
    assert record.tool == "comfyui"
    assert record.created_at == datetime(2025, 6, 12, 21, 7, 45, tzinfo=UTC)
    assert record.created_at_source == "metadata:CreationTime"
    assert record.created_at_precision is TimePrecision.SECOND


def test_a_creation_time_without_a_vhs_node_is_not_taken_for_the_generation_time() -> None:
    data = build_png(
        text_chunk("prompt", json.dumps(sampled())), text_chunk("CreationTime", "2025-06-12 21:07:45")
    )
    record = _read(data, "ComfyUI_00001_.png")
    assert record.created_at_source == "file:mtime"
    assert record.extra["texts"]["CreationTime"] == "2025-06-12 21:07:45"


def test_vhs_webp_dashed_date_time_original_is_read() -> None:
    """VideoHelperSuite, ``format`` image/webp: ``exif[ExifTags.IFD.Exif] = {36867:
    datetime.now().isoformat(" ")[:19]}`` — DateTimeOriginal with dashes, not EXIF's colons."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[36867] = "2025-06-12 21:09:10"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "navy").save(buffer, "WEBP", exif=exif)
    record = _read(buffer.getvalue(), "AnimateDiff_00002.webp")
    assert record.created_at == datetime(2025, 6, 12, 21, 9, 10, tzinfo=UTC)
    assert record.created_at_source == "exif:DateTimeOriginal"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025:06:12 21:09:10", datetime(2025, 6, 12, 21, 9, 10)),
        ("2025-06-12 21:09:10", datetime(2025, 6, 12, 21, 9, 10)),
        ("2025-06:12 21:09:10", None),
        ("2025/06/12 21:09:10", None),
        ("2025-06-12T21:09:10", None),
        ("2025-02-30 21:09:10", None),
    ],
)
def test_only_exif_colons_or_dashes_throughout_the_date_are_read(
    text: str, expected: datetime | None
) -> None:
    assert parse_exif_datetime(text) == expected


# -- conditioning joins on the positive path -------------------------------------------------------


def test_conditioning_concat_keeps_the_base_text_then_the_appended_one() -> None:
    """Core ``nodes.py`` ``ConditioningConcat(conditioning_to, conditioning_from)``: the tokens of
    ``conditioning_from`` are appended to those of ``conditioning_to``."""
    graph = sampled(positive=["20", 0])
    graph["6"] = node("CLIPTextEncode", text="an ancient library inside a hollow tree", clip=["4", 1])
    graph["21"] = node("CLIPTextEncode", text="floating books, dust motes in god rays", clip=["4", 1])
    graph["20"] = node("ConditioningConcat", conditioning_to=["6", 0], conditioning_from=["21", 0])
    record = read(graph)
    assert record.prompt == "an ancient library inside a hollow tree\nfloating books, dust motes in god rays"
    assert record.negative_prompt == "blurry"


def test_conditioning_combine_keeps_both_regions_first_one_first() -> None:
    """Core ``ConditioningCombine(conditioning_1, conditioning_2)`` with ``ConditioningSetArea`` on one
    branch (the area-composition example)."""
    graph = sampled(positive=["20", 0])
    graph["6"] = node("CLIPTextEncode", text="a vast desert landscape at dusk", clip=["4", 1])
    graph["21"] = node("CLIPTextEncode", text="a red hot air balloon", clip=["4", 1])
    graph["22"] = node("ConditioningSetArea", conditioning=["21", 0], width=512, height=512, x=64, y=0,
                       strength=1.0)  # fmt: skip
    graph["20"] = node("ConditioningCombine", conditioning_1=["6", 0], conditioning_2=["22", 0])
    assert read(graph).prompt == "a vast desert landscape at dusk\na red hot air balloon"


def test_a_join_of_one_encoder_with_itself_or_a_zeroed_branch_gives_its_text_once() -> None:
    graph = sampled(positive=["20", 0])
    graph["22"] = node("ConditioningZeroOut", conditioning=["6", 0])
    graph["21"] = node("ConditioningCombine", conditioning_1=["6", 0], conditioning_2=["22", 0])
    graph["20"] = node("ConditioningConcat", conditioning_to=["21", 0], conditioning_from=["6", 0])
    assert read(graph).prompt == "a lighthouse at dusk"


# -- Lora Manager's Save Image: LoRAs only as Hashes keys ------------------------------------------

LORA_MANAGER_PARAMETERS = (
    "masterpiece, 1girl, autumn forest\nNegative prompt: lowres, bad anatomy\n"
    "Steps: 28, Sampler: Euler a, CFG scale: 5.5, Seed: 918273645, Size: 832x1216, Model hash: 7F6B1C3A2D, "
    'Model: waiNSFWIllustrious_v140, Hashes: {"model":"7F6B1C3A2D","LORA:illustrious_autumn_style":'
    '"A1B2C3D4E5","LORA:detailer_v2":"0F1E2D3C4B"}, Version: ComfyUI, Civitai resources: '
    '[{"air":"urn:air:illustrious:checkpoint:civitai:827184@1410435","versionName":"v14.0"},'
    '{"weight":0.75,"air":"urn:air:illustrious:lora:civitai:901234@1009876","versionName":"v1.0"},'
    '{"weight":0.4,"air":"urn:air:illustrious:lora:civitai:765432@876543","versionName":"v2"}]'
)
"""As willmiao/ComfyUI-Lora-Manager ``py/nodes/save_image.py`` ``SaveImageLM.format_metadata`` writes
it: LoRAs only in ``Hashes`` (``LORA:<name>``, for those with a known hash) and in ``Civitai
resources`` (weight, air, versionName; no model name, for those Civitai knows)."""


def test_lora_manager_png_hashes_keys_are_the_loras() -> None:
    data = build_png(text_chunk("parameters", LORA_MANAGER_PARAMETERS), text_chunk("workflow", "{}"))
    record = _read(data, "ComfyUI_00057_.png")
    assert (record.tool, record.model, record.seed) == ("comfyui", "waiNSFWIllustrious_v140", 918273645)
    assert record.loras == (LoraRef("illustrious_autumn_style", None), LoraRef("detailer_v2", None))


def test_lora_manager_jpeg_flux_lora_only_as_a_hashes_key() -> None:
    """The JPEG form: piexif ``UserComment`` with ``UNICODE\\0`` + UTF-16BE text."""
    text = (
        "an astronaut riding a horse on the moon\nSteps: 20, Sampler: Euler, CFG scale: 3.5, Seed: 5551234, "
        'Size: 1024x1024, Model hash: 8E91B68084, Model: flux1-dev-fp8, Hashes: {"model":"8E91B68084",'
        '"LORA:flux_film_grain":"3C2B1A0F9E"}, Version: ComfyUI'
    )
    comment = tiff_user_comment(b"UNICODE\0" + text.encode("utf-16-be"))
    record = _read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + comment)), "flux_5551234_00001_.jpg")
    assert (record.tool, record.model) == ("comfyui", "flux1-dev-fp8")
    assert record.loras == (LoraRef("flux_film_grain", None),)


def test_hashes_loras_do_not_repeat_loras_the_infotext_names_with_weights() -> None:
    """SaveImageWithMetaData writes ``Lora_N Model name`` rows and the same LoRAs as ``lora:`` hashes:
    the weighted rows stand."""
    text = (
        "a cat\nSteps: 20, Sampler: euler, CFG scale: 7, Seed: 1, Size: 512x512, Model: m.safetensors, "
        'Hashes: {"model": "45a21ea00a", "lora:film": "f1380a97cf"}, Lora_0 Model name: film.safetensors, '
        "Lora_0 Strength model: 0.4"
    )
    record = _read(build_png(text_chunk("parameters", text)), "ComfyUI_00001_.png")
    assert record.loras == (LoraRef("film.safetensors", 0.4),)


def test_image_saver_lists_civitai_known_loras_in_resources_and_the_others_in_hashes() -> None:
    """alexopus/ComfyUI-Image-Saver ``nodes.py`` ``save_files``: a LoRA whose Civitai info loads goes
    to ``Civitai resources`` (modelName, weight), any other to ``Hashes`` as ``LORA:<name>``; the
    prompt's tags are stripped (``easy_remix``)."""
    resources = json.dumps(
        [{"modelName": "Detail Tweaker XL", "weight": 0.8, "air": "urn:air:sdxl:lora:civitai:122359@135867"}]
    )
    text = (
        "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7.0, Seed: 1, Size: 1024x1024, Model: sdxl, "
        f'Hashes: {{"LORA:my_local_style":"0A1B2C3D4E"}}, Version: ComfyUI, Civitai resources: {resources}'
    )
    record = _read(build_png(text_chunk("parameters", text)), "a.png")
    assert record.loras == (LoraRef("my_local_style", None), LoraRef("Detail Tweaker XL", 0.8))
