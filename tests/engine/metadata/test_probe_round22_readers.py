"""Round-22 probe shapes (/tmp/probe52): files real tools and converters write in 2025-26 that the readers
got wrong. Each test names the writer whose output it follows:

- the A1111 / Forge / reForge Extras tab upscaling a generation (``modules/postprocessing.py``);
- Microsoft's C2PA manifests naming its own MAI-Image models (Bing Image Creator / Copilot);
- exiv2's ``charset=Unicode`` UserComment when its UCS-2 conversion fails (``CommentValue::read``);
- an infotext moved into a photo caption (XMP ``dc:description``, IPTC ``Caption-Abstract``, EXIF
  ``ImageDescription``, Windows ``XPComment``);
- ComfyUI UI-only workflows of node packs: rgthree's SDXL Power Prompt, ssitu's UltimateSDUpscale,
  Impact's FaceDetailerPipe, cubiq's IPAdapterUnifiedLoaderFaceID.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from comfy_graph_builder import node, read, read_workflow, sampled, ui_node
from metadata_png_builder import build_jpeg, build_png, jpeg_segment, png_chunk, text_chunk, tiff_user_comment
from test_c2pa import TSD, manifest, manifest_store

from engine.analysis import LineageKind
from engine.metadata import read_image_bytes
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records

MTIME = datetime(2025, 10, 1, 10, 0, 0, tzinfo=UTC)
PROMPT = "a lighthouse on a basalt cliff at dusk, crashing waves"
NEGATIVE = "lowres, blurry"
PARAMS = (
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1311, Size: 64x48, "
    "Model hash: 879db523c3, Model: dreamshaper_8, Version: v1.10.1"
)
INFOTEXT = f"{PROMPT}\nNegative prompt: {NEGATIVE}\n{PARAMS}"
UPSCALE_BY_2 = "Postprocess upscale by: 2, Postprocess upscaler: R-ESRGAN 4x+"


def _read(data: bytes, name: str, mtime: datetime = MTIME) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=mtime).record


def _extras_png(postprocess: str, width: int, height: int) -> bytes:
    """What A1111 1.10's Extras tab saves for a PNG source: the source's ``parameters`` kept
    (``existing_pnginfo``), the postprocess text added as ``postprocessing`` and ``extras``."""
    chunks = (text_chunk("parameters", INFOTEXT), text_chunk("postprocessing", postprocess))
    return build_png(*chunks, text_chunk("extras", postprocess), width=width, height=height)


# ------------------------------------------------------------------ Extras upscale of a generation
def test_an_extras_upscale_png_has_the_upscaled_size_and_is_linked_as_an_upscale() -> None:
    """The Extras PNG repeats the original's prompt, seed and ``Size``; only its pixels (2x) and the
    postprocess texts tell it is an upscale. It takes its pixel size, so lineage sees the same prompt and
    seed grown at the same aspect ratio and links it to the original (no parent file name is made up)."""
    original = _read(build_png(text_chunk("parameters", INFOTEXT), width=64, height=48), "00099-1311.png")
    upscale = _read(_extras_png(UPSCALE_BY_2, 128, 96), "00101-1311.png", MTIME + timedelta(minutes=3))
    assert (original.width, original.height) == (64, 48)
    assert (upscale.width, upscale.height) == (128, 96)
    assert upscale.extra["generation_size"] == "64x48"
    assert upscale.extra["postprocess"]["Postprocess upscale by"] == "2"
    assert (upscale.prompt, upscale.seed, upscale.source_image) == (PROMPT, 1311, None)

    edges = analyze_records([original, upscale]).lineage
    assert [(edge.parent, edge.child, edge.kind) for edge in edges] == [
        (original.id, upscale.id, LineageKind.UPSCALE)
    ]

    # face restoration alone is no upscale; pixels smaller than Size are not this upscale's (shrunk later)
    for postprocess, pixels in (
        ("CodeFormer visibility: 1, CodeFormer weight: 0.5", (128, 96)),
        (UPSCALE_BY_2, (32, 24)),
    ):
        record = _read(_extras_png(postprocess, *pixels), "00106-1311.png")
        assert (record.width, record.height, record.extra.get("generation_size")) == (64, 48, None)


def test_a_fork_extras_jpeg_with_the_postprocess_line_appended_takes_its_pixel_size() -> None:
    """A fork's Extras JPEG: ``original + "\\n" + postprocess line`` in the UserComment (reForge names
    itself ``f1.…``); ``Postprocess upscale to`` (the "Scale to" mode) is an upscale too."""
    text = INFOTEXT.replace("v1.10.1", "f1.0.0v2-v1.10.1RC-latest-2498-g5120e679")
    comment = b"UNICODE\0" + f"{text}\nPostprocess upscale to: 96x72, Postprocess upscaler: Lanczos".encode(
        "utf-16-be"
    )
    data = build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(comment)), width=96, height=72)
    record = _read(data, "00103-1311.jpg")
    assert (record.tool, record.width, record.height) == ("reforge", 96, 72)
    assert record.extra["generation_size"] == "64x48"


# ------------------------------------------------------------------ hosted services (C2PA)
@pytest.mark.parametrize(
    ("agent", "model"),
    [
        ("MAI-Image-1", "MAI-Image-1"),  # v1 manifests write the agent as text
        ({"name": "MAI-Image-2", "version": "2.0"}, "MAI-Image-2"),  # v2: {name, version}
    ],
)
def test_microsoft_manifests_naming_an_mai_image_model_are_not_dalle(agent: Any, model: str) -> None:
    """Bing Image Creator / Copilot sign every model they offer as Microsoft; when the software agent
    names Microsoft's own MAI-Image model the file is no DALL·E generation: Bing Image Creator's
    (``bing``), and the model says which one."""
    store = manifest_store(
        manifest(
            "urn:c2pa:3f9c1e7a-8b2d-4c6e-9a1f-5d7e2b4c8a90",
            "Microsoft Responsible AI Image Provenance",
            [
                {
                    "action": "c2pa.created",
                    "softwareAgent": agent,
                    "when": "2025-11-14T19:22:41Z",
                    "digitalSourceType": TSD,
                }
            ],
            "20251114192240Z",
        )
    )
    record = _read(build_png(png_chunk(b"caBX", store)), "_3f9c1e7a.png")
    assert (record.tool, record.model) == ("bing", model)
    assert record.created_at == datetime(2025, 11, 14, 19, 22, 41, tzinfo=UTC)

    # the same signer with the product as agent stays DALL·E 3
    designer = manifest_store(
        manifest(
            "urn:c2pa:0a7e5c3b-19f2-4d8a-a6b1-c2e9f4d7b3a5",
            "Microsoft Responsible AI Image Provenance",
            [
                {
                    "action": "c2pa.created",
                    "softwareAgent": "Image Creator from Designer",
                    "digitalSourceType": TSD,
                }
            ],
            "20250309101111Z",
        )
    )
    assert _read(build_png(png_chunk(b"caBX", designer)), "_0a7e5c3b.png").tool == "dalle"


# ------------------------------------------------------------------ exiv2 UserComment
def test_an_exiv2_unicode_comment_left_in_utf8_is_read() -> None:
    """exiv2 (digiKam, gThumb, ``exiv2 -M"set Exif.Photo.UserComment charset=Unicode …"``) converts the
    text to UCS-2 with iconv; a character outside the BMP (an emoji) makes that fail, and exiv2 then
    writes the UTF-8 text unchanged after ``UNICODE\\0``."""
    prompt = "🌸 spring festival in kyoto, lanterns, 🎆 fireworks over the river"
    comment = b"UNICODE\0" + f"{prompt}\nNegative prompt: {NEGATIVE}\n{PARAMS}".encode()
    record = _read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(comment))), "00117.jpg")
    assert (record.tool, record.prompt, record.seed, record.width) == ("a1111", prompt, 1311, 64)


# ------------------------------------------------------------------ infotext moved into a caption
def _xmp_jpeg(prefix: str, namespace: str, text: str) -> bytes:
    """An XMP APP1 whose ``prefix:Property`` (``dc:description`` / ``exif:UserComment``) is an ``rdf:Alt``
    x-default, as Adobe's XMP toolkit serialises a caption (newlines as ``&#xA;``)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("\n", "&#xA;")
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:{namespace}><{prefix}><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt></{prefix}></rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    return build_jpeg(jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + packet.encode()))


def _iptc_caption_jpeg(text: str) -> bytes:
    """Photoshop's APP13: an 8BIM 0x0404 IPTC-IIM resource with 1:90 = UTF-8 and 2:120 Caption-Abstract."""

    def dataset(record: int, tag: int, value: bytes) -> bytes:
        return b"\x1c" + bytes([record, tag]) + struct.pack(">H", len(value)) + value

    iim = dataset(1, 90, b"\x1b%G") + dataset(2, 120, text.encode())
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iim)) + iim
    return build_jpeg(jpeg_segment(0xED, b"Photoshop 3.0\0" + resource + b"\0" * (len(iim) % 2)))


def _ifd0_jpeg(tag: int, kind: int, value: bytes) -> bytes:
    """A little-endian EXIF block holding one IFD0 entry (``ImageDescription`` ASCII, ``XPComment`` BYTE)."""
    entry = struct.pack("<HHII", tag, kind, len(value), 26)
    tiff = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0) + value
    return build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff))


def test_an_infotext_moved_into_a_caption_is_read_and_an_ordinary_caption_is_no_prompt() -> None:
    """Lightroom's export (XMP ``dc:description``), Photoshop / digiKam (IPTC caption), digiKam's caption
    sync (EXIF ``ImageDescription``) and Windows Explorer's "Comments" (``XPComment``) each hold the
    infotext the artist moved there; a caption that is no infotext is never taken for a prompt."""
    dc = 'dc="http://purl.org/dc/elements/1.1/"'
    captions = {
        "xmp-dc-description": _xmp_jpeg("dc:description", dc, INFOTEXT),
        "iptc-caption": _iptc_caption_jpeg(INFOTEXT),
        "exif-image-description": _ifd0_jpeg(0x010E, 2, INFOTEXT.encode() + b"\0"),
        "xp-comment": _ifd0_jpeg(0x9C9C, 1, INFOTEXT.encode("utf-16-le") + b"\0\0"),
    }
    for where, data in captions.items():
        record = _read(data, "00111-1311.jpg")
        assert (record.tool, record.prompt, record.negative_prompt) == ("a1111", PROMPT, NEGATIVE), where
        assert (record.seed, record.steps, record.model, record.width) == (1311, 28, "dreamshaper_8", 64), (
            where
        )

    record = _read(_xmp_jpeg("dc:description", dc, "Evening walk, Steps from the pier"), "IMG_1.jpg")
    assert (record.tool, record.prompt) == ("unknown", None)


# ------------------------------------------------------------------ ComfyUI UI-only workflows
class _Ui:
    """A UI-format workflow: nodes added in order, each link ``[id, from, slot, to, slot, type]``."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.links: list[list[Any]] = []

    def add(
        self,
        node_id: int,
        node_type: str,
        ins: tuple[str, ...] = (),
        outs: tuple[str, ...] = (),
        widgets: list[Any] | None = None,
    ) -> None:
        inputs = tuple((name, name.upper(), None) for name in ins)
        outputs: tuple[tuple[str, str, list[int]], ...] = tuple((name, name.upper(), []) for name in outs)
        self.nodes.append(ui_node(node_id, node_type, inputs=inputs, outputs=outputs, widgets=widgets or []))

    def link(self, source: int, slot: int, target: int, name: str) -> None:
        link_id = len(self.links) + 1
        by_id = {item["id"]: item for item in self.nodes}
        target_inputs = by_id[target]["inputs"]
        index = next(i for i, item in enumerate(target_inputs) if item["name"] == name)
        target_inputs[index]["link"] = link_id
        by_id[source]["outputs"][slot]["links"].append(link_id)
        self.links.append([link_id, source, slot, target, index, "*"])

    def doc(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "links": self.links, "version": 0.4}


def _txt2img(ui: _Ui, ckpt: str = "sd_xl_base_1.0.safetensors", texts: bool = True) -> None:
    """Checkpoint 4, latent 5 (512 x 768), encoders 6/7 (when ``texts``), KSampler 3 (seed 111, 25 steps,
    cfg 6.5, dpmpp_2m), VAEDecode 8; the sampler's model is linked by the caller."""
    ui.add(4, "CheckpointLoaderSimple", outs=("model", "clip", "vae"), widgets=[ckpt])
    ui.add(5, "EmptyLatentImage", outs=("latent",), widgets=[512, 768, 1])
    ui.add(
        3,
        "KSampler",
        ins=("model", "positive", "negative", "latent_image"),
        outs=("latent",),
        widgets=[111, "randomize", 25, 6.5, "dpmpp_2m", "karras", 1],
    )
    ui.add(8, "VAEDecode", ins=("samples", "vae"), outs=("image",))
    ui.link(5, 0, 3, "latent_image")
    ui.link(3, 0, 8, "samples")
    ui.link(4, 2, 8, "vae")
    if texts:
        ui.add(6, "CLIPTextEncode", ins=("clip",), outs=("conditioning",), widgets=[PROMPT])
        ui.add(7, "CLIPTextEncode", ins=("clip",), outs=("conditioning",), widgets=[NEGATIVE])
        for encoder, role in ((6, "positive"), (7, "negative")):
            ui.link(4, 1, encoder, "clip")
            ui.link(encoder, 0, 3, role)


def _save(ui: _Ui, source: int) -> None:
    ui.add(9, "SaveImage", ins=("images",), widgets=["ComfyUI"])
    ui.link(source, 0, 9, "images")


def test_rgthree_sdxl_power_prompt_texts_and_lora_tags_are_read() -> None:
    """rgthree ``SDXL Power Prompt - Positive``: widgets ``prompt_g``, ``prompt_l``, insert_lora,
    insert_embedding, insert_saved, target/crop sizes; with model and clip linked it loads the
    ``<lora:…>`` tags of both texts. The ``Simple / Negative`` node has no insert_lora."""
    ui = _Ui()
    _txt2img(ui, texts=False)
    ui.add(
        10,
        "SDXL Power Prompt - Positive (rgthree)",
        ins=("opt_model", "opt_clip", "opt_clip_width", "opt_clip_height"),
        outs=("conditioning", "model", "clip", "text_g", "text_l"),
        widgets=[
            f"{PROMPT} <lora:fox_fur_xl:0.75>",
            "<lora:film_grain:0.3>",
            "CHOOSE",
            "CHOOSE",
            "CHOOSE",
            -1,
            -1,
            -1,
            -1,
        ],
    )
    ui.add(
        11,
        "SDXL Power Prompt - Simple / Negative (rgthree)",
        ins=("opt_clip", "opt_clip_width", "opt_clip_height"),
        outs=("conditioning", "text_g", "text_l"),
        widgets=[NEGATIVE, "", "CHOOSE", "CHOOSE", -1, -1, -1, -1],
    )
    ui.link(4, 0, 10, "opt_model")
    ui.link(4, 1, 10, "opt_clip")
    ui.link(10, 2, 11, "opt_clip")
    ui.link(10, 1, 3, "model")
    ui.link(10, 0, 3, "positive")
    ui.link(11, 0, 3, "negative")
    _save(ui, 8)
    record = read_workflow(ui.doc())
    assert record.prompt is not None and record.prompt.startswith(PROMPT)
    assert record.negative_prompt == NEGATIVE
    assert [(lora.name, lora.weight) for lora in record.loras] == [("fox_fur_xl", 0.75), ("film_grain", 0.3)]


USDU_WIDGETS = [
    333444,
    "randomize",
    18,
    6,
    "euler",
    "normal",
    0.3,
    "Linear",
    1024,
    1024,
    8,
    32,
    "None",
    1,
    64,
    8,
    16,
    True,
    False,
]


@pytest.mark.parametrize(
    ("node_type", "image_input", "widgets"),
    [
        ("UltimateSDUpscale", "image", [2, *USDU_WIDGETS]),
        ("UltimateSDUpscaleNoUpscale", "upscaled_image", [*USDU_WIDGETS, 4]),  # 2026: + batch_size
    ],
)
def test_an_ultimate_sd_upscale_pass_before_the_output_fills_the_record(
    node_type: str, image_input: str, widgets: list[Any]
) -> None:
    """ssitu's UltimateSDUpscale: ``upscale_by`` (not in NoUpscale), ``seed`` + its control widget, steps,
    cfg, sampler, scheduler, denoise, tiling and seam-fix widgets. It samples the decoded image again,
    nearest the output: its settings fill the record; the size stays the first pass's latent."""
    ui = _Ui()
    _txt2img(ui)
    ui.link(4, 0, 3, "model")
    ui.add(
        30,
        node_type,
        ins=(image_input, "model", "positive", "negative", "vae", "upscale_model"),
        outs=("image",),
        widgets=widgets,
    )
    for source, slot, name in (
        (8, 0, image_input),
        (4, 0, "model"),
        (6, 0, "positive"),
        (7, 0, "negative"),
        (4, 2, "vae"),
    ):
        ui.link(source, slot, 30, name)
    _save(ui, 30)
    record = read_workflow(ui.doc())
    assert (record.seed, record.steps, record.cfg_scale, record.sampler, record.denoise) == (
        333444,
        18,
        6.0,
        "euler",
        0.3,
    )
    assert (record.prompt, record.negative_prompt, record.width, record.height) == (
        PROMPT,
        NEGATIVE,
        512,
        768,
    )


def test_a_face_detailer_pipe_takes_its_prompts_from_the_detailer_pipe() -> None:
    """Impact's ``FaceDetailerPipe``: the FaceDetailer widgets (guide_size, guide_size_for, max_size, seed +
    control, steps, cfg, sampler, scheduler, denoise, …) and a ``detailer_pipe`` made by
    ``BasicPipeToDetailerPipe`` from a ``ToBasicPipe`` of model, clip, vae, positive, negative."""
    ui = _Ui()
    _txt2img(ui, ckpt="epicrealism_naturalSinRC1VAE.safetensors")
    ui.link(4, 0, 3, "model")
    ui.add(41, "ToBasicPipe", ins=("model", "clip", "vae", "positive", "negative"), outs=("basic_pipe",))
    for source, slot, name in (
        (4, 0, "model"),
        (4, 1, "clip"),
        (4, 2, "vae"),
        (6, 0, "positive"),
        (7, 0, "negative"),
    ):
        ui.link(source, slot, 41, name)
    ui.add(
        42,
        "BasicPipeToDetailerPipe",
        ins=("basic_pipe", "bbox_detector"),
        outs=("detailer_pipe",),
        widgets=["", "Select the LoRA to add to the text", "Select the Wildcard to add to the text"],
    )
    ui.link(41, 0, 42, "basic_pipe")
    ui.add(
        40,
        "FaceDetailerPipe",
        ins=("image", "detailer_pipe"),
        outs=("image",),
        widgets=[
            512,
            True,
            1024,
            888999,
            "randomize",
            20,
            5.5,
            "euler_ancestral",
            "simple",
            0.45,
            5,
            True,
            True,
            0.5,
            10,
            3,
            "center-1",
            0,
            0.93,
            0,
            0.7,
            "False",
            10,
            0.2,
            1,
            False,
            20,
            False,
            False,
        ],
    )
    ui.link(8, 0, 40, "image")
    ui.link(42, 0, 40, "detailer_pipe")
    _save(ui, 40)
    record = read_workflow(ui.doc())
    assert (record.seed, record.steps, record.cfg_scale, record.sampler, record.denoise) == (
        888999,
        20,
        5.5,
        "euler_ancestral",
        0.45,
    )
    assert (record.prompt, record.negative_prompt, record.model) == (
        PROMPT,
        NEGATIVE,
        "epicrealism_naturalSinRC1VAE.safetensors",
    )


@pytest.mark.parametrize(
    ("ckpt", "preset", "lora"),
    [
        (
            "juggernautXL_v9Rundiffusionphoto2.safetensors",
            "FACEID PLUS V2",
            "ip-adapter-faceid-plusv2_sdxl_lora",
        ),
        ("realisticVisionV60B1_v51HyperVAE.safetensors", "FACEID", "ip-adapter-faceid_sd15_lora"),
    ],
)
def test_the_faceid_unified_loader_applies_its_preset_lora(ckpt: str, preset: str, lora: str) -> None:
    """cubiq's ``IPAdapterUnifiedLoaderFaceID`` (widgets preset, lora_strength, provider) loads the FaceID
    LoRA its preset names for the checkpoint's family, at ``lora_strength`` on the model; a portrait
    preset loads none. Read the same from the UI workflow and from the API graph."""
    ui = _Ui()
    _txt2img(ui, ckpt=ckpt)
    ui.add(
        11,
        "IPAdapterUnifiedLoaderFaceID",
        ins=("model", "ipadapter"),
        outs=("model", "ipadapter"),
        widgets=[preset, 0.6, "CUDA"],
    )
    ui.link(4, 0, 11, "model")
    ui.link(11, 0, 3, "model")
    _save(ui, 8)
    assert [(item.name, item.weight) for item in read_workflow(ui.doc()).loras] == [(lora, 0.6)]

    graph = sampled(model=["11", 0]) | {
        "11": node(
            "IPAdapterUnifiedLoaderFaceID", model=["4", 0], preset=preset, lora_strength=0.6, provider="CUDA"
        )
    }
    graph["4"]["inputs"]["ckpt_name"] = ckpt
    assert [(item.name, item.weight) for item in read(graph).loras] == [(lora, 0.6)]
    graph["11"]["inputs"]["preset"] = "FACEID PORTRAIT (style transfer)"
    assert read(graph).loras == ()
