"""ComfyUI's ``/history`` JSON -> generation times per output file name.

The server keeps, per ``prompt_id``::

    {"prompt": [number, prompt_id, api_graph, extra_data, outputs_to_execute],
     "outputs": {node_id: {"images": [{"filename", "subfolder", "type"}], ...}},
     "status": {"status_str": "success", "completed": true,
                "messages": [["execution_start", {"prompt_id", "timestamp"}],
                             ["execution_cached", {"nodes", "prompt_id", "timestamp"}],
                             ["execution_success", {"prompt_id", "timestamp"}]]},
     "meta": {...}}

``timestamp`` and ``extra_data.create_time`` are epoch **milliseconds** (``int(time.time() * 1000)``).

Choices (invariants):

- The time of an output is ``execution_success`` (the save nodes have just written the files),
  else ``execution_start`` (errored or interrupted runs that saved something first), else
  ``extra_data.create_time`` (queue time; older servers lack the status timestamps). All have
  millisecond precision; ``time_field`` says which one was used.
- One :class:`ExportTimeEvidence` per output file entry, keyed by its bare ``filename``
  (``subfolder`` and ``type`` go to ``extra``), with ``job_id`` = prompt id and ``graph`` = the API
  graph. Any node output list of ``{"filename": …}`` objects counts (``images``, ``gifs``, …).
  Only ``type == "output"`` files are kept by default: ``temp`` previews are deleted by ComfyUI.
- A bad entry (not an object, ``prompt`` not a list holding the graph, an unusable timestamp, files
  but no time at all, a prompt id that cannot be a key) is skipped and reported; a bad file item
  inside ``outputs`` (a ``filename`` that is not a bare file name a database can hold — see
  :func:`engine.exports.evidence.key_text` — or a ``type`` that is not text) drops only that item.
  An entry that wrote no files yields nothing and needs no time.

:func:`fetch_comfyui_history` asks a running server with one plain synchronous ``httpx`` GET; httpx
is imported inside it so the rest of the module stays free of network code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.exports.evidence import (
    EntryError,
    ExportFetchError,
    ExportFormatError,
    ExportParseResult,
    ExportProblem,
    ExportTimeEvidence,
    datetime_from_epoch_ms,
    key_text,
    load_json_export,
    sorted_evidence,
)
from engine.records import TimePrecision

SOURCE = "export:comfyui_history"
DEFAULT_OUTPUT_TYPES: frozenset[str] = frozenset({"output"})
_TIME_EVENTS = ("execution_success", "execution_start")


def read_comfyui_history(
    path: Path | str, *, output_types: Collection[str] = DEFAULT_OUTPUT_TYPES
) -> ExportParseResult:
    """Parse a saved ``/history`` (or ``/history/<prompt_id>``) JSON file."""
    return parse_comfyui_history(load_json_export(path), source=str(path), output_types=output_types)


def parse_comfyui_history(
    history: Any, *, source: str, output_types: Collection[str] = DEFAULT_OUTPUT_TYPES
) -> ExportParseResult:
    """Parse already-decoded ``/history`` JSON; ``source`` names it in errors and problems."""
    if not isinstance(history, dict):
        raise ExportFormatError(
            source, f"expected a JSON object of prompt_id -> history entry, got {type(history).__name__}"
        )
    evidence: list[ExportTimeEvidence] = []
    problems: list[ExportProblem] = []
    skipped = 0
    for prompt_id, entry in history.items():
        try:
            evidence += _entry_evidence(str(prompt_id), entry, source, output_types, problems)
        except EntryError as error:
            skipped += 1
            problems.append(ExportProblem(source, str(prompt_id), str(error)))
    if history and skipped == len(history):
        raise ExportFormatError(
            source, f"no entry is a ComfyUI history entry (first problem: {problems[0].reason})"
        )
    return ExportParseResult(source, sorted_evidence(evidence), tuple(problems))


def _entry_evidence(
    prompt_id: str,
    entry: Any,
    source: str,
    output_types: Collection[str],
    problems: list[ExportProblem],
) -> list[ExportTimeEvidence]:
    if not isinstance(entry, dict):
        raise EntryError(f"entry is {type(entry).__name__}, expected an object")
    queue_item = entry.get("prompt")
    if not isinstance(queue_item, list) or len(queue_item) < 3 or not isinstance(queue_item[2], dict):
        raise EntryError("field 'prompt' is not [number, prompt_id, graph, extra_data, outputs]")
    graph: dict[str, Any] = queue_item[2]
    extra_data = queue_item[3] if len(queue_item) > 3 and isinstance(queue_item[3], dict) else {}
    if queue_item[1] != prompt_id:
        raise EntryError(f"prompt id inside the entry ({queue_item[1]!r}) differs from its key")
    key_text(prompt_id, "prompt id")

    status = entry.get("status")
    if status is not None and not isinstance(status, dict):
        raise EntryError(f"field 'status' is {type(status).__name__}, expected an object")
    outputs = entry.get("outputs", {})
    if not isinstance(outputs, dict):
        raise EntryError(f"field 'outputs' is {type(outputs).__name__}, expected an object")
    files = list(_file_items(outputs))
    if not files:
        return []  # nothing was written (preview-only graph, or it failed early): no time needed
    created_at, time_field = _generation_time(status or {}, extra_data)
    common: dict[str, Any] = {"number": queue_item[0]}
    if status:
        common["status_str"] = status.get("status_str")
        common["completed"] = status.get("completed")
    evidence: list[ExportTimeEvidence] = []
    for node_id, list_name, index, item in files:
        where = f"outputs.{node_id}.{list_name}[{index}]"
        filename = item["filename"]
        if not isinstance(filename, str) or not filename or "/" in filename or "\\" in filename:
            reason = f"{where}.filename {filename!r} is not a file name; that output is skipped"
            problems.append(ExportProblem(source, prompt_id, reason, skipped=False))
            continue
        try:
            key_text(filename, f"{where}.filename")
        except EntryError as error:
            problems.append(
                ExportProblem(source, prompt_id, f"{error}; that output is skipped", skipped=False)
            )
            continue
        output_type = item.get("type", "output")
        if not isinstance(output_type, str):
            reason = f"{where}.type is {type(output_type).__name__}, expected text; that output is skipped"
            problems.append(ExportProblem(source, prompt_id, reason, skipped=False))
            continue
        if output_type not in output_types:
            continue
        extra = {
            **common,
            "node_id": node_id,
            "output_list": list_name,
            "subfolder": item.get("subfolder", ""),
            "output_type": output_type,
        }
        evidence.append(
            ExportTimeEvidence(
                key_kind="file_name",
                key=filename,
                created_at=created_at,
                source=SOURCE,
                precision=TimePrecision.MILLISECOND,
                time_field=time_field,
                job_id=prompt_id,
                graph=graph,
                extra=extra,
            )
        )
    return evidence


def _file_items(outputs: dict[str, Any]) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """``(node_id, list_name, index, item)`` for every ``{"filename": …}`` object in any node
    output list. Other values (``"animated": [false]``, ``"text": [...]``) are passed over."""
    for node_id, node_output in outputs.items():
        if not isinstance(node_output, dict):
            continue
        for list_name, items in node_output.items():
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if isinstance(item, dict) and "filename" in item:
                    yield str(node_id), str(list_name), index, item


def _generation_time(status: dict[str, Any], extra_data: dict[str, Any]) -> tuple[datetime, str]:
    """(aware UTC datetime, field name) by the module's ranking; raises :class:`EntryError`."""
    messages = status.get("messages", [])
    if not isinstance(messages, list):
        raise EntryError("field 'status.messages' is not a list")
    timestamps: dict[str, object] = {}
    for message in messages:
        if (
            isinstance(message, list | tuple)
            and len(message) == 2
            and message[0] in _TIME_EVENTS
            and isinstance(message[1], dict)
            and "timestamp" in message[1]
        ):
            timestamps.setdefault(message[0], message[1]["timestamp"])
    for event in _TIME_EVENTS:
        if event in timestamps:
            try:
                return datetime_from_epoch_ms(timestamps[event]), event
            except EntryError as error:
                raise EntryError(f"status.messages {event}: {error}") from error
    if "create_time" in extra_data:
        try:
            return datetime_from_epoch_ms(extra_data["create_time"]), "create_time"
        except EntryError as error:
            raise EntryError(f"extra_data.create_time: {error}") from error
    raise EntryError("no time: no execution_success/execution_start timestamp and no create_time")


def fetch_comfyui_history(
    base_url: str,
    *,
    max_items: int | None = 10_000,
    timeout_s: float = 30.0,
    output_types: Collection[str] = DEFAULT_OUTPUT_TYPES,
) -> ExportParseResult:
    """``GET {base_url}/history?max_items=N`` on a running ComfyUI server, then parse it.

    One synchronous request (ComfyUI keeps at most 10 000 history entries). Raises
    :class:`ExportFetchError` when the server cannot be reached or answers with an HTTP error, and
    :class:`ExportFormatError` when the body is not history JSON.
    """
    import httpx  # only this function talks to the network

    url = base_url.rstrip("/") + "/history"
    params = {} if max_items is None else {"max_items": str(max_items)}
    try:
        response = httpx.get(url, params=params, timeout=timeout_s, follow_redirects=True)
    except httpx.HTTPError as error:
        raise ExportFetchError(url, f"cannot reach ComfyUI ({type(error).__name__}: {error})") from error
    if response.status_code != 200:
        raise ExportFetchError(url, f"ComfyUI answered HTTP {response.status_code}")
    try:
        history = response.json()
    except ValueError as error:
        raise ExportFormatError(url, f"response is not JSON ({error})") from error
    except RecursionError:
        raise ExportFormatError(url, "response nests arrays or objects too deeply to be read") from None
    return parse_comfyui_history(history, source=url, output_types=output_types)
