"""The light index of JSONL record files: every non-blank line found, its bytes given back exactly."""

from __future__ import annotations

import json
import pickle
from datetime import UTC
from pathlib import Path

import pytest

from engine.record_codec import decode_record_lines, read_records_jsonl
from engine.record_index import index_block, index_record_files, join_block_keys, read_record_blocks


def _line(record_id: str, **fields: object) -> str:
    return json.dumps({"id": record_id, "tool": "comfyui", **fields})


def test_every_line_is_found_with_its_keys_and_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.record_index.BLOCK_BYTES", 64)  # many blocks, lines across their edges
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(
        (
            _line("r1", user="ada", created_at="2026-01-01T10:00:00+00:00", prompt="a fox")
            + "\n\n  \t \n"
            + _line("r2", prompt="no time", unknown_field=[1, {"x": None}])
            + "\r\n"
            + _line("r3", user=None, created_at="2026-01-01T10:01:00Z", extra={"k": "ü 夜"})
            + "\n"
        ).encode()
    )
    second.write_bytes(_line("r1", user="bo", created_at="2026-01-02T10:00:00+00:00").encode())  # no newline

    index = index_record_files([first, second])

    assert index is not None and len(index) == 4
    assert index.ids == ["r1", "r2", "r3", "r1"]
    assert index.users == ["ada", None, None, "bo"]
    assert index.timed.tolist() == [True, False, True, True]
    expected = [line for path in (first, second) for line in path.read_bytes().splitlines() if line.strip()]
    assert [index.lines([row]).rstrip(b"\r\n") for row in range(4)] == expected
    assert all(index.lines([row]).endswith(b"\n") for row in range(4))
    # any rows, any order: decoded exactly as the file reader decodes those lines
    read = [record for path in (first, second) for record in read_records_jsonl(path)]
    assert decode_record_lines(index.lines([3, 0, 2]), local_tz=UTC) == [
        read[3],
        read[0],
        read[2],
    ]


@pytest.mark.parametrize(
    "line",
    [
        "{broken",
        "[1, 2]",
        '{"tool": "comfyui"}',
        '{"id": 7}',
        '{"id": "x", "user": 3}',
        '{"id": "x", "created_at": 20260101}',
        '{"id": "x", "created_at": "2026-01-01T10:00:00Z", "created_at_source": "file:mtime"}',
        '{"id": "x", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=["broken", "array", "no-id", "integer-id", "integer-user", "integer-time", "mtime", "very-deep"],
)
def test_input_it_does_not_take_gives_no_index(tmp_path: Path, line: str) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(_line("ok", created_at="2026-01-01T10:00:00Z") + "\n" + line + "\n")
    assert index_record_files([path]) is None


def test_a_line_the_index_takes_but_the_full_decoder_refuses_decodes_to_none(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(_line("ok") + "\n" + _line("bad", created_at="yesterday") + "\n")
    index = index_record_files([path])
    assert index is not None
    assert decode_record_lines(index.lines([0]), local_tz=UTC) is not None
    assert decode_record_lines(index.lines([0, 1]), local_tz=UTC) is None


def test_a_line_longer_than_a_block_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.record_index.BLOCK_BYTES", 16)
    long_prompt = "a fox in the snow, " * 200
    path = tmp_path / "records.jsonl"
    path.write_text(
        _line("r1", prompt=long_prompt) + "\n" + _line("r2") + "\n" + _line("r3", prompt=long_prompt)
    )
    index = index_record_files([path])
    assert index is not None and index.ids == ["r1", "r2", "r3"]
    assert index.lines([0, 1, 2]) == path.read_bytes() + b"\n"


def test_blocks_indexed_apart_and_sent_back_give_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a worker sends back for a block (pickled) joins into the index one process builds: users
    numbered across blocks in the order first met, rows and bytes in file order."""
    monkeypatch.setattr("engine.record_index.BLOCK_BYTES", 100)
    path = tmp_path / "records.jsonl"
    users = ["bo", None, "ada", "bo", "cy", None, "ada"]
    path.write_text(
        "".join(
            _line(f"r{at}", user=user, created_at="2026-01-01T10:00:00Z" if at % 3 else None) + "\n"
            for at, user in enumerate(users)
        )
    )
    blocks = read_record_blocks([path])
    assert len(blocks) > 2 and b"".join(blocks) == path.read_bytes()
    sent_back = [pickle.loads(pickle.dumps(index_block(block))) for block in blocks]
    joined = join_block_keys(blocks, sent_back)
    alone = index_record_files([path])
    assert joined is not None and alone is not None
    assert joined.users == alone.users == users
    assert joined.user_names == ["bo", None, "ada", "cy"]
    assert joined.ids == alone.ids and joined.timed.tolist() == alone.timed.tolist()
    assert joined.lines(range(len(users))) == path.read_bytes()
    assert join_block_keys(blocks, [*sent_back[:-1], None]) is None  # one block refused: no index


def test_an_empty_file_has_no_blocks_and_an_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert read_record_blocks([path]) == []
    index = index_record_files([path])
    assert index is not None and len(index) == 0 and index.users == []


def test_a_file_that_cannot_be_mapped_is_read_into_the_same_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.record_index.BLOCK_BYTES", 100)
    path = tmp_path / "records.jsonl"
    path.write_text("".join(_line(f"r{at}", prompt="a fox " * at) + "\n" for at in range(12)) + _line("last"))
    mapped = [bytes(block) for block in read_record_blocks([path])]

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(19, "No such device")  # what a file system that cannot map says

    monkeypatch.setattr("engine.record_index.mmap.mmap", refuse)
    assert [bytes(block) for block in read_record_blocks([path])] == mapped
    assert b"".join(mapped) == path.read_bytes() + b"\n" and len(mapped) > 3
