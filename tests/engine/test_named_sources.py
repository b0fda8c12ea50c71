"""engine.sessions.named_sources: the keys a reference and a file are matched by."""

from __future__ import annotations

import itertools

from engine.sessions.named_sources import file_name_named, name_keys

FILE_NAMES = ["ComfyUI_00012_.png", "out/sub/ComfyUI_00012_.png", "C:\\x\\a.b.png", "noext", "a.png"]
REFERENCES = ["ComfyUI_00012_.png [output]", "sub/ComfyUI_00012_.png", "ComfyUI_00012_", "a.b", "noext", "a"]


def test_name_keys_are_the_name_its_base_and_its_stem_without_a_comfyui_annotation() -> None:
    assert name_keys("sub/ComfyUI_00012_.png [output]") == [
        "sub/ComfyUI_00012_.png",
        "ComfyUI_00012_.png",
        "ComfyUI_00012_",
    ]


def test_the_fast_file_name_match_agrees_with_the_name_keys() -> None:
    """``file_name_named`` is what the boundary signal asks for every row it looks back over; it must
    answer as comparing the two names' keys would."""
    for file_name, reference in itertools.product(FILE_NAMES, REFERENCES):
        wanted = set(name_keys(reference))
        expected = not wanted.isdisjoint(name_keys(file_name))
        assert file_name_named(file_name, wanted) is expected, (file_name, reference)
