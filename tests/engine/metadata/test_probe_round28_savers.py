"""Round-28 probe shapes (/tmp/probe58): files written by ComfyUI's third-party save nodes that hold an
A1111-style ``parameters`` text next to the API graph. The text is the saver's own summary, built from
its own inputs or from the sampler it picked, so the record takes the graph's values (the sampler
behind the output that wrote the file) and keeps the text in ``extra``:

- nkchocoai ComfyUI-SaveImageWithMetaData (``py/nodes/node.py``: ``parameters`` from
  ``Capture.gen_parameters_str``, then ``prompt`` and the ``workflow``; Civitai sampler names, LoRAs
  only as hashes; ``sampler_selection_method="Farthest"`` summarises the first pass of a hires fix);
- alexopus ComfyUI-Image-Saver (``nodes.py`` ``ImageSaver.save_files``: ``…, Version: ComfyUI``;
  PNG ``parameters`` + ``prompt`` + ``workflow``; JPEG/WEBP Exif ``UserComment`` with the text, IFD0
  ``Make`` = ``Prompt:{…}`` and ``ImageDescription`` = ``Workflow:{…}``; its ``steps``/``cfg``/… inputs
  are widgets of their own that the user may leave unlinked).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from comfy_graph_builder import Graph, lora_sampled, node
from metadata_png_builder import build_png, text_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2025, 12, 1, 9, 0, 10, tzinfo=UTC)
POS = "cinematic photo of a lighthouse on a cliff at dusk, crashing waves"
NEG = "blurry, lowres, watermark"
CKPT = "juggernautXL_v9Rdphoto2Lightning.safetensors"


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _nk_graph(*, hires: bool = False) -> Graph:
    """SDXL + LoraLoader 0.8 + KSampler (dpmpp_2m / karras), saved by SaveImageWithMetaData; with
    ``hires`` a LatentUpscale and a second KSampler (seed + 1, 15 steps, denoise 0.45) feed the decode."""
    saver = node(
        "SaveImageWithMetaData",
        filename_prefix="nk",
        sampler_selection_method="Farthest",
        sampler_selection_node_id=0,
        images=["8", 0],
    )
    upscale = node("LatentUpscale", upscale_method="nearest-exact", width=1536, height=1536, crop="disabled")
    return lora_sampled(
        saver,
        checkpoint=CKPT,
        positive=POS,
        negative=NEG,
        seed=777001,
        lora_strength=0.8,
        upscale=upscale if hires else None,
        hires_seed=777002,
        hires_denoise=0.45,
    )


_NK_TEXT = (
    f"{POS}\nNegative prompt: {NEG}\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 777001, "
    f"Size: 1024x1024, Model: {CKPT}, Model hash: 1f2e3d4c5b, "
    'Hashes: {"model": "1f2e3d4c5b", "lora:add-detail-xl": "0d9bd1b873"}'
)


def _image_saver_graph(*, steps_linked: bool = True, extension: str = "png") -> Graph:
    """Image Saver's own loader / literal / selector nodes feed both the KSampler and the Image Saver."""
    graph: Graph = {
        "1": node(
            "Checkpoint Loader with Name (Image Saver)", ckpt_name="dreamshaperXL_v21TurboDPMSDE.safetensors"
        ),
        "2": node("Seed Generator (Image Saver)", seed=31415926),
        "3": node("String Literal (Image Saver)", string="watercolor fox in a snowy birch forest"),
        "4": node("String Literal (Image Saver)", string="photo, 3d render"),
        "5": node("Sampler Selector (Image Saver)", sampler_name="dpmpp_sde"),
        "6": node("Scheduler Selector (Image Saver)", scheduler="karras"),
        "7": node("Cfg Literal (Image Saver)", float=2.0),
        "8": node("Int Literal (Image Saver)", int=8),
        "9": node("Width/Height Literal (Image Saver)", int=832),
        "10": node("Width/Height Literal (Image Saver)", int=1216),
        "11": node("CLIPTextEncode", text=["3", 0], clip=["1", 1]),
        "12": node("CLIPTextEncode", text=["4", 0], clip=["1", 1]),
        "13": node("EmptyLatentImage", width=["9", 0], height=["10", 0], batch_size=1),
        "14": node(
            "KSampler",
            seed=["2", 0],
            steps=["8", 0],
            cfg=["7", 0],
            sampler_name=["5", 0],
            scheduler=["6", 0],
            denoise=1.0,
            model=["1", 0],
            positive=["11", 0],
            negative=["12", 0],
            latent_image=["13", 0],
        ),
        "15": node("VAEDecode", samples=["14", 0], vae=["1", 2]),
        "16": node(
            "Image Saver",
            filename="%time_%basemodelname_%seed",
            path="",
            extension=extension,
            steps=["8", 0] if steps_linked else 20,
            cfg=["7", 0],
            modelname=["1", 3],
            sampler_name=["5", 1],
            scheduler=["6", 1],
            positive=["3", 0],
            negative=["4", 0],
            seed_value=["2", 0],
            width=["9", 0],
            height=["10", 0],
            denoise=1.0,
            clip_skip=0,
            images=["15", 0],
        ),
    }
    return graph


def _image_saver_text(steps: int = 8) -> str:
    return (
        "watercolor fox in a snowy birch forest\nNegative prompt: photo, 3d render\n"
        f"Steps: {steps}, Sampler: DPM++ SDE Karras, CFG scale: 2.0, Seed: 31415926, Size: 832x1216, "
        'Model hash: 4496b36d48, Model: dreamshaperXL_v21TurboDPMSDE, Hashes: {"model": "4496b36d48"}, '
        "Version: ComfyUI"
    )


def _values(rec: GenerationRecord) -> tuple[Any, ...]:
    return (
        rec.tool,
        rec.prompt,
        rec.negative_prompt,
        rec.seed,
        rec.steps,
        rec.cfg_scale,
        rec.sampler,
        rec.scheduler,
        rec.model,
        rec.width,
        rec.height,
    )


def test_save_image_with_metadata_text_next_to_the_graph_gives_the_graphs_values() -> None:
    """SaveImageWithMetaData writes the Civitai sampler name (``DPM++ 2M Karras``) and the LoRA only as
    a hash without weight; the graph holds ``dpmpp_2m`` / ``karras``, the checkpoint file name and the
    LoRA loader's strength. The text stays in ``extra["parameters"]``; without the graph it is read."""
    graph = _nk_graph()
    png = build_png(text_chunk("parameters", _NK_TEXT), text_chunk("prompt", json.dumps(graph)))
    rec = _read(png, "nk_00001_.png")
    assert _values(rec) == ("comfyui", POS, NEG, 777001, 30, 6.5, "dpmpp_2m", "karras", CKPT, 1024, 1024)
    assert rec.loras == (LoraRef("add-detail-xl.safetensors", 0.8),)
    assert rec.extra["parameters"]["Sampler"] == "DPM++ 2M Karras"
    text_only = _read(build_png(text_chunk("parameters", _NK_TEXT)), "nk_00001_.png")
    assert (text_only.tool, text_only.sampler, text_only.seed) == ("comfyui", "DPM++ 2M Karras", 777001)


def test_save_image_with_metadata_first_pass_text_loses_to_the_pass_behind_the_output() -> None:
    """With ``sampler_selection_method="Farthest"`` the saver summarises the first pass of a hires fix
    (seed 777001, 30 steps, no denoise); the pass that made the pixels is the second (seed 777002,
    15 steps, denoise 0.45). The text's disagreeing values are kept in ``extra["saver_text_differs"]``."""
    graph = _nk_graph(hires=True)
    png = build_png(
        text_chunk("parameters", _NK_TEXT),
        text_chunk("prompt", json.dumps(graph)),
        text_chunk("workflow", json.dumps({"nodes": [], "links": []})),
    )
    rec = _read(png, "nk_00002_.png")
    assert (rec.seed, rec.steps, rec.denoise) == (777002, 15, 0.45)
    assert rec.extra["saver_text_differs"] == {"seed": 777001, "steps": 30}


def test_image_saver_jpeg_reads_the_graph_in_exif_make() -> None:
    """Image Saver's JPEG/WEBP path: the text in the Exif ``UserComment`` (``UNICODE`` + UTF-16), the API
    graph in IFD0 ``Make`` as ``Prompt:{…}`` and the UI graph in ``ImageDescription`` as
    ``Workflow:{…}``. Every sampler input is a link to one of Image Saver's literal/selector nodes."""
    exif = Image.Exif()
    exif[0x010F] = "Prompt:" + json.dumps(_image_saver_graph(extension="jpeg"))
    exif[0x010E] = "Workflow:" + json.dumps({"nodes": [], "links": []})
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + _image_saver_text().encode("utf-16-be")
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (110, 120, 130)).save(buffer, "JPEG", exif=exif.tobytes())
    rec = _read(buffer.getvalue(), "2025-12-01-101812_dreamshaperXL_v21TurboDPMSDE_31415926.jpeg")
    assert _values(rec) == (
        "comfyui",
        "watercolor fox in a snowy birch forest",
        "photo, 3d render",
        31415926,
        8,
        2.0,
        "dpmpp_sde",
        "karras",
        "dreamshaperXL_v21TurboDPMSDE.safetensors",
        832,
        1216,
    )


def test_image_saver_unlinked_steps_widget_loses_to_the_sampler() -> None:
    """Image Saver's ``steps`` is a widget of its own: left unlinked (20) while the KSampler ran 8 steps,
    its text says ``Steps: 20``. The record takes the sampler's 8 and notes the text's 20."""
    graph = _image_saver_graph(steps_linked=False)
    png = build_png(
        text_chunk("parameters", _image_saver_text(steps=20)), text_chunk("prompt", json.dumps(graph))
    )
    rec = _read(png, "2025-12-01-102533_dreamshaperXL_v21TurboDPMSDE_14142135.png")
    assert (rec.tool, rec.steps, rec.sampler, rec.model) == (
        "comfyui",
        8,
        "dpmpp_sde",
        "dreamshaperXL_v21TurboDPMSDE.safetensors",
    )
    assert rec.extra["saver_text_differs"] == {"steps": 20}
