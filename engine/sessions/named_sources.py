"""What a record names as the image it was made from, and the keys a file is looked up by.

Shared by lineage (which image is the parent), the boundary signal (an edit of the work in hand
continues the session) and the catalog (parents named across a library). A reference and a file match
when their keys meet: as given, base name, base name without extension, with folders split on ``/`` or
``\\`` and ComfyUI's ``[input]`` / ``[output]`` / ``[temp]`` annotation left out.
"""

from __future__ import annotations

import re

from engine.records import GenerationRecord
from engine.sessions.record_stream import INIT_IMAGE_KEYS

_COMFY_ANNOTATION = re.compile(r"\s*\[(?:input|output|temp)\]$")
"""ComfyUI's folder annotation on a ``LoadImage`` value (``folder_paths.annotated_filepath``:
``sub/ComfyUI_00012_.png [output]`` names ``output/sub/ComfyUI_00012_.png``)."""


def name_keys(name: str) -> list[str]:
    """Lookup keys of a file reference or a file name: as given, base name, base name without extension
    (an annotation left out); at most three, each once, in that order."""
    text = _COMFY_ANNOTATION.sub("", name.strip()).replace("\\", "/")
    base = text.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return list(dict.fromkeys(k for k in (text, base, stem) if k))


def file_name_named(file_name: str, wanted: set[str]) -> bool:
    """Whether one of :func:`name_keys` of a tool's output ``file_name`` is in ``wanted`` (a set of
    reference keys), computed without building them: such a name carries no ComfyUI annotation, so its
    keys are the name, its base name and that without extension — string splits, no regular expression
    (the boundary signal asks this for every row it looks back over)."""
    if file_name in wanted:
        return True
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return base in wanted or ("." in base and base.rpartition(".")[0] in wanted)


def source_references(record: GenerationRecord) -> list[str]:
    """The source / init-image references ``record`` holds, as written (no parent job)."""
    references = [record.source_image] if record.source_image else []
    references += [str(record.extra[k]) for k in INIT_IMAGE_KEYS if record.extra.get(k)]
    return references


def named_references(record: GenerationRecord) -> tuple[list[str], list[str]]:
    """What ``record`` names as its parent, in the order evidence is tried: the parent job's keys
    (``parent_job_id`` as given), then the source image / init-image references' keys. Either list may
    be empty; both are empty for a record that names no parent."""
    jobs = [record.parent_job_id] if record.parent_job_id else []
    sources = list(
        dict.fromkeys(key for reference in source_references(record) for key in name_keys(reference))
    )
    return jobs, sources
