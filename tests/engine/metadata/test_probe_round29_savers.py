"""Round-29 probe shapes (/tmp/probe59): ComfyUI save nodes not probed before, transcribed from their
source:

- SD Prompt Reader's ``SDPromptSaver`` (receyuki ``nodes.py``) behind an ``SDParameterGenerator``: every
  KSampler input (seed, steps, cfg, sampler, scheduler) and the latent's width/height are links to that
  node's typed outputs (MODEL_NAME, VAE_NAME, MODEL, CLIP, VAE, SEED, STEPS, REFINER_START_STEP, CFG,
  SAMPLER_NAME, SCHEDULER, …, WIDTH, HEIGHT, BATCH_SIZE, PARAMETERS); an ``aspect_ratio`` preset lists one
  size per ``model_version``;
- tinyterra's ``ttN imageOutput`` (``ttNsave.images``): an output node whose class names no save, with
  an ``image`` input and a ``save_prefix``;
- WAS ``Image Save`` with ``filename_number_start`` (``{counter:06}-{prefix}.png`` in its default
  ``[time(%Y-%m-%d)]`` folder) and Save Image Extended with ``counter_position`` "first": the leading
  counter is no time of day;
- Crystools' ``Save image with extra metadata`` with ``with_workflow`` off: only its ``metadata_extra``
  keys, ``json.dumps``'d by ComfyUI's SaveImage (``Software`` = ``"ComfyUI"``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from comfy_graph_builder import Graph, lora_sampled, node
from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef, TimePrecision

MTIME = datetime(2025, 12, 1, 10, 31, 15, tzinfo=UTC)
POS = "cinematic photo of an old lighthouse keeper mending fishing nets, golden hour"
NEG = "blurry, lowres, watermark"
CKPT = "juggernautXL_v9Rdphoto2Lightning.safetensors"


def _read(data: bytes, name: str, folder: str | None = None) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME, folder_name=folder).record


def _png(graph: Graph, *extra: bytes) -> bytes:
    return build_png(*extra, text_chunk("prompt", json.dumps(graph)))


def _sampled(saver: dict[str, Any], *, hires: bool = False) -> Graph:
    """Checkpoint + LoRA 0.7 + KSampler (seed 5, 30 steps, dpmpp_2m / karras), decoded into ``saver``
    (whose ``images`` input the caller links to ``["8", 0]``); ``hires``: LatentUpscaleBy and a 2nd
    KSampler (15 steps, denoise 0.5) feed the decode."""
    upscale = node("LatentUpscaleBy", upscale_method="nearest-exact", scale_by=1.5) if hires else None
    return lora_sampled(
        saver, checkpoint=CKPT, positive=POS, negative=NEG, seed=5, lora_strength=0.7, upscale=upscale
    )


def _sd_prompt_saver_graph(*, aspect_ratio: str = "custom", width: int = 896, height: int = 1152) -> Graph:
    """SDParameterGenerator ``1`` feeds the checkpoint, the KSampler's values and the latent size;
    SDLoraLoader ``11`` applies the LoRA; SDPromptSaver ``7`` takes the same outputs for its text."""
    return {
        "1": node(
            "SDParameterGenerator",
            ckpt_name=CKPT,
            vae_name="baked VAE",
            model_version="SDXL 1024px",
            config_name="none",
            seed=1234567,
            steps=28,
            refiner_start=1.0,
            cfg=7.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            positive_ascore=6.0,
            negative_ascore=2.5,
            aspect_ratio=aspect_ratio,
            width=width,
            height=height,
            batch_size=1,
        ),
        "11": node(
            "SDLoraLoader",
            lora_name="add-detail-xl.safetensors",
            strength_model=0.7,
            strength_clip=0.7,
            model=["1", 2],
            clip=["1", 3],
        ),
        "2": node("CLIPTextEncode", text=POS, clip=["11", 1]),
        "3": node("CLIPTextEncode", text=NEG, clip=["11", 1]),
        "4": node("EmptyLatentImage", width=["1", 13], height=["1", 14], batch_size=["1", 15]),
        "5": node(
            "KSampler",
            seed=["1", 5],
            steps=["1", 6],
            cfg=["1", 8],
            sampler_name=["1", 9],
            scheduler=["1", 10],
            denoise=1.0,
            model=["11", 0],
            positive=["2", 0],
            negative=["3", 0],
            latent_image=["4", 0],
        ),
        "6": node("VAEDecode", samples=["5", 0], vae=["1", 4]),
        "7": node(
            "SDPromptSaver",
            filename="ComfyUI_%time_%seed_%counter",
            path="%date/",
            model_name=["1", 0],
            vae_name=["1", 1],
            seed=["1", 5],
            steps=["1", 6],
            cfg=["1", 8],
            sampler_name=["1", 9],
            scheduler=["1", 10],
            lora_name=["11", 2],
            width=["1", 13],
            height=["1", 14],
            positive=POS,
            negative=NEG,
            extension="png",
            images=["6", 0],
        ),
    }


def _sd_prompt_saver_text(width: int, height: int) -> str:
    return (
        f"{POS}\nNegative prompt: {NEG}\nSteps: 28, Sampler: dpmpp_2m_karras, CFG scale: 7.0, Seed: 1234567, "
        f"Size: {width}x{height}, Model hash: 1f2e3d4c5b, Model: juggernautXL_v9Rdphoto2Lightning, "
        'Lora hashes: "add-detail-xl: 0d9bd1b873", TI hashes: "", Version: ComfyUI, '
        'Hashes: {"model": "1f2e3d4c5b", "lora:add-detail-xl": "0d9bd1b873"}'
    )


def test_sd_prompt_saver_values_come_from_the_parameter_generators_outputs() -> None:
    """Each link into SDParameterGenerator is the input behind that output (STEPS is ``steps``, not
    the node's seed), and its WIDTH/HEIGHT are the size it makes."""
    png = _png(_sd_prompt_saver_graph(), text_chunk("parameters", _sd_prompt_saver_text(896, 1152)))
    rec = _read(png, "ComfyUI_105000_1234567_00001.png", "2025-12-01")
    assert (rec.tool, rec.prompt, rec.negative_prompt, rec.seed) == ("comfyui", POS, NEG, 1234567)
    assert (rec.steps, rec.cfg_scale, rec.sampler, rec.scheduler) == (28, 7.0, "dpmpp_2m", "karras")
    assert (rec.model, rec.width, rec.height) == (CKPT, 896, 1152)
    assert rec.loras == (LoraRef("add-detail-xl.safetensors", 0.7),)
    assert "saver_text_differs" not in rec.extra


def test_sd_parameter_generator_aspect_preset_takes_the_model_versions_size() -> None:
    """``aspect_ratio`` "3:4 - 448x576 | 672x864 | 896x1152" with ``model_version`` "SDXL 1024px" makes
    896x1152 (the width/height widgets are ignored); an unknown model version names no size."""
    graph = _sd_prompt_saver_graph(aspect_ratio="3:4 - 448x576 | 672x864 | 896x1152", width=512, height=512)
    rec = _read(_png(graph), "ComfyUI_105400_1234567_00003.png")
    assert (rec.width, rec.height, rec.steps) == (896, 1152, 28)
    graph["1"]["inputs"]["model_version"] = "SDv2 768px"
    assert (_read(_png(graph), "x.png").width, _read(_png(graph), "x.png").height) == (672, 864)
    graph["1"]["inputs"]["model_version"] = "SD3 1024px"
    rec = _read(_png(graph), "x.png")
    assert (rec.width, rec.height) == (None, None)


def test_ttn_image_output_is_the_output_that_wrote_the_file() -> None:
    """``ttN imageOutput`` (no "save" in its class name, an ``image`` input) writes the file: the
    pass behind it is the hires fix's second KSampler, not the first."""
    saver = node(
        "ttN imageOutput",
        image=["8", 0],
        image_output="Save",
        output_path="/ComfyUI/output",
        save_prefix="keeper_%date:yyyy-MM-dd%",
        number_padding=5,
        file_type="png",
        overwrite_existing=False,
        embed_workflow=True,
    )
    rec = _read(_png(_sampled(saver, hires=True)), "keeper_2025-12-01_00001.png")
    assert (rec.steps, rec.denoise, rec.seed) == (15, 0.5, 5)
    assert rec.extra["output_node"]["node_id"] == "9"


def test_counter_first_savers_leading_counter_is_no_time_of_day() -> None:
    """WAS ``Image Save`` with ``filename_number_start`` "true" and padding 6 writes ``000001-keeper.png``
    in its dated folder (Save Image Extended ``000001-…`` with 6 counter digits first): the day is the
    folder's, the time the mtime's, never 00:00:01."""
    saver = node(
        "Image Save",
        images=["8", 0],
        output_path="[time(%Y-%m-%d)]",
        filename_prefix="keeper",
        filename_delimiter="-",
        filename_number_padding=6,
        filename_number_start="true",
        extension="png",
        embed_workflow="true",
    )
    rec = _read(_png(_sampled(saver)), "000001-keeper.png", "2025-12-01")
    assert rec.created_at == MTIME
    assert rec.created_at_source == "folder+file:mtime"
    assert rec.created_at_precision is TimePrecision.SECOND
    assert rec.extra["output_node"]["counter_first"] is True
    extended = node(
        "SaveImageExtended",
        images=["8", 0],
        filename_prefix="ComfyUI",
        filename_keys="3.seed",
        foldername_keys="%F",
        delimiter="-",
        counter_digits=6,
        counter_position="first",
        output_ext=".png",
    )
    rec = _read(_png(_sampled(extended)), "000001-ComfyUI-5.png", "2025-12-01")
    assert (rec.created_at, rec.created_at_source) == (MTIME, "folder+file:mtime")
    # the same name from ComfyUI's own %date:hhmmss% prefix is still read as the time of day
    core = node("SaveImage", images=["8", 0], filename_prefix="%date:yyyy-MM-dd%/%date:hhmmss%")
    rec = _read(_png(_sampled(core)), "103010_00001_.png", "2025-12-01")
    assert rec.created_at == datetime(2025, 12, 1, 10, 30, 10, tzinfo=UTC)


def test_crystools_extra_metadata_without_workflow_names_comfyui() -> None:
    """With ``with_workflow`` off the file holds only the ``metadata_extra`` keys, each JSON text;
    ``Software`` = ``"ComfyUI"`` names the tool, and nothing else is read from them."""
    extra = {
        "Title": "Image generated by Crystian",
        "Description": "More info: https://www.instagram.com/crystian.ia",
        "Author": "crystian.ia",
        "Software": "ComfyUI",
        "Category": "StableDiffusion",
        "Rating": 5,
        "UserComment": "",
        "Keywords": [""],
        "Copyrights": "",
    }
    png = build_png(*(text_chunk(key, json.dumps(value)) for key, value in extra.items()))
    rec = _read(png, "ComfyUI_00009_.png")
    assert rec.tool == "comfyui"
    assert (rec.prompt, rec.seed, rec.model, rec.width) == (None, None, None, None)
    assert rec.extra["provenance"] == {"png_software": '"ComfyUI"'}
    plain = _read(build_png(text_chunk("Software", "ComfyUI")), "ComfyUI_00010_.png")
    assert plain.tool == "comfyui"
    other = _read(build_png(text_chunk("Software", '"Krita"')), "ComfyUI_00011_.png")
    assert other.tool == "unknown"
