"""ComfyUI /history parsing, against a realistic saved history and a real HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.exports import (
    ExportFetchError,
    ExportFormatError,
    fetch_comfyui_history,
    parse_comfyui_history,
    read_comfyui_history,
)
from engine.exports.evidence import EntryError, datetime_from_epoch_ms
from engine.records import TimePrecision

SAMPLE = Path(__file__).parent / "samples" / "comfyui_history.json"
PROMPT_A = "6f1c2a4e-3b7d-4f0e-9a51-0c2d8e7b9f10"
PROMPT_B = "a83d51c0-7e2f-4c1b-8d9a-5f6e0b1c2d3e"
PROMPT_C = "c2e94b7d-1a0f-4e8c-b6d2-9f3a5c7e1b04"
PROMPT_D = "e4b0f6a2-9c3d-4b5e-8f1a-2d7c9e0b3a56"
PROMPT_E = "f9a71c3e-5b2d-4e6f-a8c0-1d3b5f7e9a21"
PROMPT_F = "0b6e2d4f-8a1c-4f3e-9b5d-7c0e2a4f6b88"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_output_files_get_the_execution_success_time() -> None:
    result = read_comfyui_history(SAMPLE)
    assert result.source == str(SAMPLE)
    by_name = {e.key: e for e in result.evidence}
    assert set(by_name) == {
        "ComfyUI_00042_.png",
        "ComfyUI_00043_.png",
        "ComfyUI_00044_.png",
        "ComfyUI_00045_.png",
        "AnimateDiff_00003.mp4",
    }
    batch = [by_name["ComfyUI_00042_.png"], by_name["ComfyUI_00043_.png"]]
    for item in batch:
        assert item.key_kind == "file_name"
        assert item.created_at == utc("2026-02-24 19:02:26.517")
        assert item.created_at.tzinfo is UTC
        assert item.precision is TimePrecision.MILLISECOND
        assert item.time_field == "execution_success"
        assert item.source == "export:comfyui_history"
        assert item.job_id == PROMPT_A
        assert item.graph is not None and item.graph["3"]["inputs"]["seed"] == 806698555123
        assert item.extra == {
            "number": 41,
            "status_str": "success",
            "completed": True,
            "node_id": "9",
            "output_list": "images",
            "subfolder": "",
            "output_type": "output",
        }
    upscaled = by_name["ComfyUI_00044_.png"]
    assert upscaled.extra["subfolder"] == "upscaled"
    assert upscaled.graph is not None and upscaled.graph["10"]["inputs"]["image"] == "ComfyUI_00042_.png"
    assert upscaled.created_at == utc("2026-02-24 19:05:31.774")


def test_time_fallbacks_start_then_create_time() -> None:
    by_name = {e.key: e for e in read_comfyui_history(SAMPLE).evidence}
    errored = by_name["ComfyUI_00045_.png"]  # saved before a later node ran out of memory
    assert (errored.time_field, errored.created_at) == ("execution_start", utc("2026-02-24 19:07:02.311"))
    assert errored.extra["status_str"] == "error" and errored.extra["completed"] is False
    older_server = by_name["AnimateDiff_00003.mp4"]  # no timestamps in the status messages
    assert (older_server.time_field, older_server.created_at) == (
        "create_time",
        utc("2026-02-24 19:09:15.250"),
    )
    assert older_server.extra["output_list"] == "gifs"


def test_bad_entries_are_skipped_and_reported_the_rest_parsed() -> None:
    result = read_comfyui_history(SAMPLE)
    skipped = {p.entry: p.reason for p in result.problems if p.skipped}
    assert set(skipped) == {PROMPT_E, PROMPT_F}
    assert "execution_success" in skipped[PROMPT_E] and "'1771960200000'" in skipped[PROMPT_E]
    assert skipped[PROMPT_F].startswith("no time")
    kept_with_a_dropped_output = [p for p in result.problems if not p.skipped]
    assert len(kept_with_a_dropped_output) == 1
    assert kept_with_a_dropped_output[0].entry == PROMPT_B
    assert "outputs.9.images[1].filename None" in kept_with_a_dropped_output[0].reason
    assert all(p.source == str(SAMPLE) for p in result.problems)
    assert not {e.job_id for e in result.evidence} & {PROMPT_E, PROMPT_F}


def test_evidence_is_in_time_order_and_deterministic() -> None:
    first = read_comfyui_history(SAMPLE)
    times = [e.created_at for e in first.evidence]
    assert times == sorted(times)
    assert read_comfyui_history(SAMPLE) == first


def test_temp_previews_only_on_request() -> None:
    history = json.loads(SAMPLE.read_text())
    default = parse_comfyui_history(history, source="mem")
    assert not any(e.extra["output_type"] == "temp" for e in default.evidence)
    with_temp = parse_comfyui_history(history, source="mem", output_types={"output", "temp"})
    temp = [e for e in with_temp.evidence if e.extra["output_type"] == "temp"]
    assert [e.key for e in temp] == ["ComfyUI_temp_qhxzd_00001_.png"]
    assert with_temp.by_key()[("file_name", "ComfyUI_00042_.png")][0].job_id == PROMPT_A


def test_single_prompt_history_shape_is_accepted() -> None:
    history = json.loads(SAMPLE.read_text())
    result = parse_comfyui_history({PROMPT_B: history[PROMPT_B]}, source="history/one")
    assert [e.key for e in result.evidence] == ["ComfyUI_00044_.png"]


def test_prompt_id_mismatch_and_bad_shapes_are_entry_problems() -> None:
    history = json.loads(SAMPLE.read_text())
    tampered = {
        "x1": history[PROMPT_A],  # key differs from the id inside the entry
        "x2": {"prompt": "not a list"},
        "x3": ["not", "an", "object"],
        PROMPT_B: history[PROMPT_B],
    }
    result = parse_comfyui_history(tampered, source="mem")
    reasons = {p.entry: p.reason for p in result.problems if p.skipped}
    assert set(reasons) == {"x1", "x2", "x3"}
    assert "differs from its key" in reasons["x1"]
    assert "'prompt'" in reasons["x2"]
    assert "expected an object" in reasons["x3"]
    assert [e.key for e in result.evidence] == ["ComfyUI_00044_.png"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object of prompt_id"),
        (b'{"a": {"prompt": 1}, "b": 2}', "no entry is a ComfyUI history entry"),
        (b"\xfe\x00garbage", "is not UTF-8"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),  # a UTF-16 byte order mark: read as UTF-16
        (b"\xff\xfe{\x00\x00\xd8}\x00", "is not UTF-16-LE text"),  # a lone surrogate
    ],
)
def test_unusable_files_raise_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "history.json"
    path.write_bytes(content)
    with pytest.raises(ExportFormatError) as caught:
        read_comfyui_history(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and caught.value.source == str(path)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ExportFormatError, match=r"missing\.json: cannot be read"):
        read_comfyui_history(tmp_path / "missing.json")


def test_an_entry_without_files_needs_no_time() -> None:
    history = json.loads(SAMPLE.read_text())
    failed_early = dict(history[PROMPT_F], outputs={})  # no time either, but nothing to match
    result = parse_comfyui_history({PROMPT_F: failed_early, PROMPT_B: history[PROMPT_B]}, source="mem")
    assert not any(p.entry == PROMPT_F for p in result.problems)
    assert [e.key for e in result.evidence] == ["ComfyUI_00044_.png"]


def test_empty_history_is_empty() -> None:
    result = parse_comfyui_history({}, source="mem")
    assert result.evidence == () and result.problems == ()


def test_epoch_milliseconds_conversion_and_unit_guard() -> None:
    assert datetime_from_epoch_ms(1771959746517) == datetime(2026, 2, 24, 19, 2, 26, 517000, tzinfo=UTC)
    assert datetime_from_epoch_ms(1771959746517.4) == datetime(2026, 2, 24, 19, 2, 26, 517000, tzinfo=UTC)
    with pytest.raises(EntryError, match="looks like epoch seconds"):
        datetime_from_epoch_ms(1771959746)
    for bad in (True, None, "1771959746517", float("nan"), 10**18, 0):
        with pytest.raises(EntryError):
            datetime_from_epoch_ms(bad)


# ---- fetching from a running server (a real HTTP server on 127.0.0.1) ------------------------------


@dataclass
class FakeComfyServer:
    """What the loopback server answers, and the requests it saw."""

    status: int = 200
    body: bytes = b"{}"
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def comfy_server() -> Iterator[tuple[str, FakeComfyServer]]:
    state = FakeComfyServer(body=SAMPLE.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if urlsplit(self.path).path != "/history":
                self.send_error(404)
                return
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_fetch_asks_history_with_max_items_and_parses(comfy_server: tuple[str, FakeComfyServer]) -> None:
    url, state = comfy_server
    result = fetch_comfyui_history(url + "/", max_items=250)
    assert len(state.requests) == 1
    request = urlsplit(state.requests[0])
    assert request.path == "/history" and parse_qs(request.query) == {"max_items": ["250"]}
    assert result.source == f"{url}/history"
    assert result == parse_comfyui_history(json.loads(SAMPLE.read_text()), source=f"{url}/history")
    assert len(result.evidence) == 5


def test_fetch_without_max_items_sends_no_query(comfy_server: tuple[str, FakeComfyServer]) -> None:
    url, state = comfy_server
    fetch_comfyui_history(url, max_items=None)
    assert state.requests == ["/history"]


def test_fetch_http_error_is_a_fetch_error(comfy_server: tuple[str, FakeComfyServer]) -> None:
    url, state = comfy_server
    state.status, state.body = 500, b'{"error": "boom"}'
    with pytest.raises(ExportFetchError, match="HTTP 500"):
        fetch_comfyui_history(url)


def test_fetch_non_json_is_a_format_error(comfy_server: tuple[str, FakeComfyServer]) -> None:
    url, state = comfy_server
    state.body = b"<html>ComfyUI</html>"
    with pytest.raises(ExportFormatError, match="response is not JSON") as caught:
        fetch_comfyui_history(url)
    assert caught.value.source == f"{url}/history"


def test_fetch_from_a_closed_port_is_a_fetch_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ExportFetchError, match="cannot reach ComfyUI"):
        fetch_comfyui_history(f"http://127.0.0.1:{port}", timeout_s=2.0)
