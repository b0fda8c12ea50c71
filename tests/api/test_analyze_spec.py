"""``atelier analyze`` probed against ``shared/docs/generation-records.md`` (the interchange format and
the ``analyze --json`` document), DESIGN.md and the README's ``analyze`` section, as an outside
evaluator would: the installed entry point as a subprocess, its stdout parsed by a checker written
from the spec alone (no project module is imported here).

Written by a probe: the tests of a defect (each quoting the sentence it holds the command to) failed
before their fix; the others pin what held: the spec's own example, simulated libraries, hostile
lines, encodings, determinism, exit codes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ATELIER = Path(sys.executable).with_name("atelier")
ENV = {key: value for key, value in os.environ.items() if key != "ATELIER_TIMEZONE"} | {
    "DATABASE_URL": "postgresql://nowhere.invalid/none",
    "HF_HUB_OFFLINE": "1",
    "COLUMNS": "200",
}
INTENTS = {"exploration", "refinement", "optimization", "convergent_selection"}
LINEAGE_KINDS = {
    "upscale",
    "img2img",
    "inpaint",
    "variation",
    "remix",
    "reroll",
    "prompt_edit",
    "param_sweep",
}
SPEC_EXAMPLE = (
    '{"id": "g0000042", "tool": "comfyui", "created_at": "2026-02-25T20:14:03+01:00", "prompt": "neon alley '
    'at night, cinematic photo", "negative_prompt": "blurry", "seed": 1234, "cfg_scale": 7.0, "steps": 30, '
    '"sampler": "dpmpp_2m", "model": "sd_xl_base_1.0.safetensors", "loras": [{"name": "add_detail", '
    '"weight": 0.6}], "width": 1024, "height": 1024, "file_name": "ComfyUI_00042_.png"}'
)


# --------------------------------------------------------------------------------------------------
# helpers: run the command, check its document against the spec


def _analyze(*args: str | Path, timeout: int = 300) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(ATELIER), "analyze", *map(str, args)], capture_output=True, check=False, env=ENV, timeout=timeout
    )


def _document(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    document = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert isinstance(document, dict)
    return document


def _record(index: int, **fields: Any) -> dict[str, Any]:
    when = datetime(2026, 2, 25, 20, 0, tzinfo=UTC) + timedelta(minutes=index)
    return {
        "id": f"r{index}",
        "tool": "comfyui",
        "created_at": when.isoformat(),
        "prompt": "koi pond",
    } | fields


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def _skipped(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.startswith("skipped ")]


def _spec_problems(document: dict[str, Any], records: list[dict[str, Any]] | None = None) -> list[str]:
    """Everything in ``document`` that the analysis-output section of generation-records.md rules out;
    with ``records`` (the valid input records), also every record accounted for exactly once."""
    problems: list[str] = []
    if not isinstance(document.get("sessions"), list) or not isinstance(document.get("lineage"), list):
        return ["'sessions' and 'lineage' must be lists"]
    members: dict[tuple[Any, str], int] = {}
    session_ids: set[str] = set()
    by_key = {(record.get("user"), record["id"]): record for record in records or []}
    for number, session in enumerate(document["sessions"]):
        for name, kind in (
            ("id", str),
            ("tool", str),
            ("started_at", str),
            ("ended_at", str),
            ("label", str),
            ("intent", str),
            ("asset_ids", list),
            ("phases", list),
        ):
            if not isinstance(session.get(name), kind):
                problems.append(f"session {number}: {name} = {session.get(name)!r}")
        if "user" not in session:
            problems.append(f"session {number}: no user")
        if session.get("id") in session_ids:
            problems.append(f"session id {session.get('id')} twice")
        session_ids.add(session.get("id"))
        if session.get("intent") not in INTENTS:
            problems.append(f"session {number}: intent {session.get('intent')!r}")
        started = datetime.fromisoformat(session["started_at"])
        ended = datetime.fromisoformat(session["ended_at"])
        if started.tzinfo is None or ended.tzinfo is None or started > ended:
            problems.append(f"session {number}: {session['started_at']} .. {session['ended_at']}")
        asset_ids = session.get("asset_ids") or []
        if not asset_ids:
            problems.append(f"session {number}: no assets")
        for asset in asset_ids:
            key = (session.get("user"), asset)
            if key in members:
                problems.append(f"{key} in sessions {members[key]} and {number}")
            members[key] = number
        phases = session.get("phases") or []
        if [asset for phase in phases for asset in phase.get("asset_ids", [])] != asset_ids:
            problems.append(f"session {number}: phases do not partition its assets in order")
        for phase in phases:
            if phase.get("intent") not in INTENTS or not isinstance(phase.get("label"), str):
                problems.append(f"session {number}: phase {phase!r:.80}")
        if records is not None:
            for asset in asset_ids:
                record = by_key.get((session.get("user"), asset))
                if record is None:
                    problems.append(f"session {number}: {asset} of {session.get('user')!r} not in the input")
                elif record.get("tool", "unknown").lower() != session.get("tool"):
                    problems.append(
                        f"session {number}: tool {session.get('tool')} holds {record.get('tool')}"
                    )
    clustered = {asset for _, asset in members}
    for number, edge in enumerate(document["lineage"]):
        if edge.get("parent") not in clustered or edge.get("child") not in clustered:
            problems.append(f"lineage {number}: {edge!r} names an asset in no session")
        if edge.get("kind") not in LINEAGE_KINDS:
            problems.append(f"lineage {number}: kind {edge.get('kind')!r}")
        confidence = edge.get("confidence")
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0 <= confidence <= 1
        ):
            problems.append(f"lineage {number}: confidence {confidence!r}")
    if records is not None:
        timed = {(record.get("user"), record["id"]) for record in records if record.get("created_at")}
        if timed - set(members):
            problems.append(f"timed records in no session: {sorted(timed - set(members), key=str)[:5]}")
        if set(members) - timed:
            problems.append(
                f"sessions hold what is not in the input: {sorted(set(members) - timed, key=str)[:5]}"
            )
    return problems


# --------------------------------------------------------------------------------------------------
# defects


def test_records_of_two_users_that_share_an_id_are_both_analysed(tmp_path: Path) -> None:
    """generation-records.md: ``id`` is "unique per user" (and ``user`` is a field of the record), and
    DESIGN.md: "Clustering runs per user". Two artists' logs that both number their images r1, r2 are
    valid input; the second artist's records vanished from the output without a word (no session, not
    ``unclustered``, nothing on stderr). Cause: api/analyze_command.py:107 (and :100 for images)
    ``records.setdefault(line.id, line)`` keeps the first record per *id* across all users; the indexed
    path does the same (api/analyze_command.py:320, ``_plan_of``), as does ``split_timed``'s
    ``seen_undated`` (engine/session_analysis.py:105)."""
    lines = [_record(1, user="ada"), _record(2, user="ada"), _record(1, user="bo"), _record(2, user="bo")]
    log = _write(tmp_path / "two-artists.jsonl", lines)
    result = _analyze(log, "--json")
    assert result.returncode == 0
    document = _document(result)
    assert {session["user"] for session in document["sessions"]} == {"ada", "bo"}
    assert _spec_problems(document, lines) == []


def test_a_repeated_id_with_other_content_is_listed_as_skipped(tmp_path: Path) -> None:
    """README, analyze: "What it passes over is listed on stderr after `skipped`." A second line with an
    id already read (same user, another tool and day) is passed over — first line wins — but nothing
    says so: an evaluator cannot tell a record was dropped. Cause: api/analyze_command.py:107
    (``setdefault`` drops it silently)."""
    log = _write(
        tmp_path / "repeated.jsonl",
        [_record(1), _record(2), _record(1, tool="forge", created_at="2026-03-01T10:00:00+00:00")],
    )
    result = _analyze(log, "--json")
    assert result.returncode == 0
    assert [a for s in _document(result)["sessions"] for a in s["asset_ids"]] == ["r1", "r2"]
    expected = f"skipped {log}: record 'r1' repeats an earlier id with other values; the first is kept"
    assert expected in _skipped(result), result.stderr.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 7),
        ("seed", "1234"),
        ("steps", "30"),
        ("extra", []),
        ("extra", ""),
        ("extra", 0),
        ("extra", False),
    ],
    ids=[
        "integer-id",
        "string-seed",
        "string-steps",
        "extra-list",
        "extra-string",
        "extra-zero",
        "extra-false",
    ],
)
def test_a_value_of_the_wrong_type_is_a_line_error_naming_the_field(
    tmp_path: Path, field: str, value: Any
) -> None:
    """generation-records.md: "Values of the wrong type are a clear per-line error that names the line
    and the field; the rest of the file is still imported." (``id`` string, ``seed``/``steps``
    integer, ``extra`` object.) These lines were taken as records, without a word. Causes, in
    engine/record_codec.py: :141 accepts an ``int`` id; ``_as_int`` (:601, string branch :611) turns a
    digit string into an integer; :180 ``extra_in = obj.get("extra") or {}`` makes every falsy
    non-object (``[]``, ``""``, ``0``, ``false``) an empty ``extra``, so the "must be an object" check
    below it never sees them."""
    bad = _record(2) | {field: value}
    log = _write(tmp_path / "typed.jsonl", [_record(1), bad, _record(3)])
    result = _analyze(log, "--json")
    assert result.returncode == 0
    skipped = _skipped(result)
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped {log}:2: field '{field}'"), skipped
    analysed = [a for s in _document(result)["sessions"] for a in s["asset_ids"]]
    assert sorted(analysed) == ["r1", "r3"]


def test_an_iso_8601_basic_format_time_is_clustered_with_its_neighbours(tmp_path: Path) -> None:
    """generation-records.md: ``created_at`` is an "ISO 8601 string". ``20260225T200200Z`` (ISO 8601
    basic format, which the parser accepts) is read at the right instant but with *day* precision,
    and day-precision records are never mixed with precise ones: one minute after r1 and before r3,
    same tool and prompt, it became a session of its own. Cause: engine/record_codec.py:81
    ``_TIME_OF_DAY`` only recognises ``HH:MM`` with colons, so ``parse_timestamp`` (:121-124) calls
    any other time of day "no time of day" → ``TimePrecision.DAY``."""
    lines = [_record(0), _record(1), _record(2, created_at="20260225T200200Z"), _record(3), _record(4)]
    log = _write(tmp_path / "basic.jsonl", lines)
    result = _analyze(log, "--json")
    assert result.returncode == 0 and _skipped(result) == []
    sessions = _document(result)["sessions"]
    assert [session["asset_ids"] for session in sessions] == [["r0", "r1", "r2", "r3", "r4"]]


def test_a_named_log_that_is_a_pipe_makes_the_exit_code_3(tmp_path: Path) -> None:
    """README, analyze: "`3` when the analysis finished but some path or file could not be read";
    `0` "when every file was read". A named ``.jsonl`` that is a FIFO (what ``atelier analyze
    <(zcat log.jsonl.gz) --json`` passes as /dev/fd/N) is refused unread ("not a regular file:
    FIFO") yet the command exits 0 with an empty analysis, so a script takes "no sessions" for a
    result. Cause: catalog/importing/discovery.py:127 classes it ``FileKind.SKIPPED`` (a file of
    another type) and api/analyze_command.py ``_not_read`` reports it with ``unread_file=False``."""
    fifo = tmp_path / "records.jsonl"
    os.mkfifo(fifo)
    result = _analyze(fifo, "--json", timeout=60)
    assert "not a regular file" in result.stderr.decode()
    assert result.returncode == 3


def test_extreme_but_accepted_numbers_print_no_numpy_warnings(tmp_path: Path) -> None:
    """Lines the reader accepts (``width`` up to 64 bits, ``cfg_scale`` ±1e308 are finite numbers)
    make numpy print ``RuntimeWarning: invalid value encountered in cast`` / ``overflow encountered in
    subtract`` with source lines on stderr — not a message a user can act on, and not among what the
    README says stderr holds ("What it passes over is listed on stderr after `skipped`"). Causes:
    engine/sessions/parameter_signal.py:204 (``width * 100_003 + height`` cast to int64),
    :98, engine/sessions/phases.py:154 (differences of ±1e308)."""
    log = _write(
        tmp_path / "extreme.jsonl",
        [
            _record(0, cfg_scale=1e308),
            _record(1, cfg_scale=-1e308),
            _record(2, width=2**63 - 1, height=2**63 - 1),
            _record(3, width=512, height=512),
        ],
    )
    result = _analyze(log, "--json")
    assert result.returncode == 0
    assert _spec_problems(_document(result)) == []
    assert result.stderr.decode() == ""


def test_session_ids_are_unique_whatever_the_user_and_id_text(tmp_path: Path) -> None:
    """Session ``id`` identifies a session. Two users' sessions got the same id: user "a" whose first
    image is "b\\u0000c", and user "a\\u0000b" whose first image is "c". Cause:
    engine/sessions/session_builder.py:58 hashes ``f"{user or ''}\\x00{first_asset_id}"`` — NUL is
    both the separator and a legal character of either part (and ``user or ''`` folds the user ""
    into "no user")."""
    log = _write(
        tmp_path / "nul.jsonl",
        [
            {"id": "b\u0000c", "user": "a", "tool": "comfyui", "created_at": "2026-02-25T20:00:00Z"},
            {"id": "c", "user": "a\u0000b", "tool": "comfyui", "created_at": "2026-02-25T20:00:00Z"},
        ],
    )
    sessions = _document(_analyze(log, "--json"))["sessions"]
    assert len(sessions) == 2
    assert len({session["id"] for session in sessions}) == 2


def test_the_plain_table_keeps_one_line_per_session_whatever_the_tool_text(tmp_path: Path) -> None:
    """README: "plain aligned lines, one per session with its whole label, into a pipe". A tool id
    holding a newline (any string passes; it is lowercased, not checked) splits its row — and the
    label, which names the tool — over two lines. Cause: api/analyze_output.py ``plain_table`` writes
    tool and label as they are."""
    log = _write(
        tmp_path / "tool.jsonl",
        [_record(0), {"id": "x", "tool": "comfy\nui", "created_at": "2026-02-27T20:00:00Z"}],
    )
    result = _analyze(log)
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1 + 2, lines


# --------------------------------------------------------------------------------------------------
# what held


def test_the_spec_example_record_gives_a_document_of_the_spec_shape(tmp_path: Path) -> None:
    log = tmp_path / "example.jsonl"
    log.write_text(SPEC_EXAMPLE + "\n")
    result = _analyze(log, "--json")
    assert result.returncode == 0 and result.stderr == b""
    document = _document(result)
    assert _spec_problems(document, [json.loads(SPEC_EXAMPLE)]) == []
    (session,) = document["sessions"]
    assert session["asset_ids"] == ["g0000042"] and session["tool"] == "comfyui"
    assert datetime.fromisoformat(session["started_at"]) == datetime(2026, 2, 25, 19, 14, 3, tzinfo=UTC)
    assert session["started_at"] == session["ended_at"]
    assert document["lineage"] == []
    # not in the spec's example: ``user`` is null when the log names none (there is no importing user)
    assert session["user"] is None


def _simulated_log(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    code = (
        "import json, sys\n"
        "from bench.simulate import simulate_library\n"
        "from bench.simulate_docs import simulate_docs_library\n"
        "from engine.record_codec import record_to_json\n"
        "for library in (simulate_library(seed=3, artists=2, days=6, with_visual=False),\n"
        "                simulate_docs_library(seed=5, artists=2, days=6, with_visual=False)):\n"
        "    for record in library.records:\n"
        "        print(json.dumps(record_to_json(record)))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    written = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo, timeout=120
    )
    log = tmp_path / "simulated.jsonl"
    log.write_text(written.stdout)
    return log, [json.loads(line) for line in written.stdout.splitlines()]


def test_simulated_libraries_meet_the_spec_deterministically_and_in_any_line_order(tmp_path: Path) -> None:
    log, records = _simulated_log(tmp_path)
    first, second = _analyze(log, "--json"), _analyze(log, "--json")
    assert first.returncode == 0 and first.stderr == b""
    assert first.stdout == second.stdout  # the same input twice: the same bytes
    document = _document(first)
    assert len(document["sessions"]) > 10 and document["lineage"]
    assert _spec_problems(document, records) == []
    untimed = [record["id"] for record in records if not record.get("created_at")]
    assert sorted(document["unclustered"]) == sorted(untimed)

    lines = log.read_text().splitlines()
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(lines) + "\n")
    again = _document(_analyze(shuffled, "--json"))

    def shape(doc: dict[str, Any]) -> Any:
        return (
            sorted(json.dumps(session, sort_keys=True) for session in doc["sessions"]),
            sorted(json.dumps(edge, sort_keys=True) for edge in doc["lineage"]),
        )

    assert shape(again) == shape(document)


def test_hostile_lines_are_reported_by_line_and_field_and_the_rest_is_analysed(tmp_path: Path) -> None:
    lines: list[Any] = [
        _record(0),
        '{"id": "n1", "tool": "comfyui", "created_at": "2026-02-25T20:01:00Z", "cfg_scale": NaN}',
        '{"id": "n2", "tool": "comfyui", "created_at": "2026-02-25T20:02:00Z", "denoise": -Infinity}',
        '{"id": "n3", "tool": "comfyui", "created_at": "2026-02-25T20:03:00Z", "cfg_scale": 1e999}',
        "[1, 2]",
        '{"id": "s1", "tool": "comfyui", "created_at": "2026-02-25T20:04:00Z", "prompt": "x\\ud800"}',
        {"tool": "comfyui", "created_at": "2026-02-25T20:05:00Z"},
        _record(6, created_at="yesterday"),
        _record(7, created_at="10000-01-01T00:00:00Z"),
        _record(8, prompt=5),
        _record(9, tool=None),
        "{broken",
        _record(12, user="ユーザー", prompt="🐉 שלום", id="🐉"),
        _record(13, aesthetic=6.5, extra={"k": [1]}),
        _record(14, seed=2**200),
        _record(15, prompt="\ud83d\udc09 pair"),
    ]
    log = _write(tmp_path / "hostile.jsonl", lines)
    result = _analyze(log, "--json")
    assert result.returncode == 0
    numbers = [int(line.split(":")[1]) for line in _skipped(result)]
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "field 'cfg_scale': must be a finite number" in _skipped(result)[0]
    assert "unpaired surrogate" in _skipped(result)[4] and "field 'id'" in _skipped(result)[5]
    document = _document(result)
    assert sorted(a for s in document["sessions"] for a in s["asset_ids"]) == sorted(
        ["r0", "🐉", "r13", "r14", "r15"]
    )
    assert _spec_problems(document) == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n   \n\t\n",
        b"\xef\xbb\xbf" + json.dumps(_record(1)).encode() + b"\n" + json.dumps(_record(2)).encode() + b"\n",
        b"\r\n".join(json.dumps(_record(i)).encode() for i in range(3)) + b"\r\n",
        b"\n".join(json.dumps(_record(i)).encode() for i in range(3)),  # no final newline
        ("\n".join(json.dumps(_record(i)) for i in range(3)) + "\n").encode("utf-16"),
    ],
    ids=["empty", "blank-lines", "bom", "crlf", "no-final-newline", "utf-16"],
)
def test_encodings_and_line_endings_are_read_as_records(tmp_path: Path, content: bytes) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(content)
    result = _analyze(log, "--json")
    assert result.returncode == 0 and result.stderr == b""
    document = _document(result)
    assert _spec_problems(document) == []
    expected = 0 if not content.strip() else (2 if content.startswith(b"\xef") else 3)
    assert len([a for s in document["sessions"] for a in s["asset_ids"]]) == expected


def test_a_10_mb_line_is_analysed(tmp_path: Path) -> None:
    log = _write(tmp_path / "big.jsonl", [_record(1, prompt="x" * (10 * 1024 * 1024)), _record(2)])
    result = _analyze(log, "--json")
    assert result.returncode == 0 and result.stderr == b""
    assert sorted(a for s in _document(result)["sessions"] for a in s["asset_ids"]) == ["r1", "r2"]


def test_users_interleaved_and_records_out_of_order_are_sessions_per_user_in_time_order(
    tmp_path: Path,
) -> None:
    lines = [_record(i, user=["ada", "bo", "cy"][i % 3]) for i in range(30)]
    random.Random(3).shuffle(lines)
    log = _write(tmp_path / "users.jsonl", lines)
    document = _document(_analyze(log, "--json"))
    assert _spec_problems(document, lines) == []
    for session in document["sessions"]:
        numbers = [int(asset[1:]) for asset in session["asset_ids"]]
        assert numbers == sorted(numbers)
        assert {number % 3 for number in numbers} == {["ada", "bo", "cy"].index(session["user"])}


def test_times_with_offsets_naive_minute_and_day_precision_are_placed_by_instant(tmp_path: Path) -> None:
    lines = [
        _record(0, created_at="2026-02-25T20:00:00+05:30"),  # 14:30 UTC
        _record(1, created_at="2026-02-25T14:31:00Z"),
        _record(2, created_at="2026-02-25T14:32:00"),  # naive: --timezone, default UTC
        _record(3, created_at="2026-02-25T09:33:00-05:00"),
        _record(4, created_at="2026-02-25T14:34"),
        _record(5, created_at="2026-02-26"),
        _record(6, created_at="2026-02-26"),
    ]
    log = _write(tmp_path / "times.jsonl", lines)
    document = _document(_analyze(log, "--json"))
    assert _spec_problems(document, lines) == []
    by_first = {session["asset_ids"][0]: session for session in document["sessions"]}
    assert by_first["r0"]["asset_ids"] == ["r0", "r1", "r2", "r3", "r4"]
    assert by_first["r5"]["asset_ids"] == ["r5", "r6"]
    paris = _document(_analyze(log, "--json", "--timezone", "Europe/Paris"))
    started = {s["asset_ids"][0]: datetime.fromisoformat(s["started_at"]) for s in paris["sessions"]}
    assert started["r5"] == datetime(2026, 2, 25, 23, 0, tzinfo=UTC)


def test_named_parents_link_across_sessions_and_every_edge_names_clustered_assets(tmp_path: Path) -> None:
    lines = [
        {"id": "p0", "tool": "midjourney", "job_id": "j0", "prompt": "koi pond"},  # undated: no edge
        {"id": "c1", "tool": "midjourney", "created_at": "2026-02-25T20:00:00Z", "parent_job_id": "j0",
         "job_id": "j1", "prompt": "koi pond"},
        {"id": "c2", "tool": "comfyui", "created_at": "2026-02-28T20:00:00Z", "parent_job_id": "j1",
         "prompt": "lake"},
        {"id": "c3", "tool": "comfyui", "created_at": "2026-02-28T20:01:00Z", "job_id": "j3",
         "parent_job_id": "j3", "prompt": "lake"},  # names itself
        {"id": "c4", "tool": "comfyui", "created_at": "2026-02-28T20:02:00Z", "source_image": "c5"},
        {"id": "c5", "tool": "comfyui", "created_at": "2026-02-28T20:03:00Z", "source_image": "c4"},
    ]  # fmt: skip
    log = _write(tmp_path / "lineage.jsonl", lines)
    document = _document(_analyze(log, "--json"))
    assert _spec_problems(document, lines) == []
    edges = {(edge["parent"], edge["child"]) for edge in document["lineage"]}
    assert ("c1", "c2") in edges  # across sessions (another tool, days later)
    assert not {pair for pair in edges if "p0" in pair or pair == ("c3", "c3")}
    assert len(edges & {("c4", "c5"), ("c5", "c4")}) == 1  # files naming each other: no loop
    assert document["unclustered"] == ["p0"]


def test_exit_codes_and_output_for_missing_named_and_passed_over_paths(tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [_record(0)])
    missing = _analyze(log, tmp_path / "missing.jsonl", "--json")
    assert missing.returncode == 3
    assert _skipped(missing) == [f"skipped {tmp_path / 'missing.jsonl'}: no such file or folder"]
    assert [s["asset_ids"] for s in _document(missing)["sessions"]] == [["r0"]]
    gz = tmp_path / "log.jsonl.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00")  # the spec names no compressed format
    passed_over = _analyze(log, gz, "--json")
    assert (
        passed_over.returncode == 0 and "not an image or a .jsonl record file" in passed_over.stderr.decode()
    )
    no_paths = _analyze("--json")
    assert no_paths.returncode == 2 and no_paths.stdout == b"" and b"Traceback" not in no_paths.stderr


def test_a_folder_of_images_and_logs_accounts_for_every_image(tmp_path: Path, fixtures_dir: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(fixtures_dir / "images", folder)
    records = [_record(i, user="ada") for i in range(5)]
    _write(folder / "log.jsonl", records)
    (folder / "notes.txt").write_text("passed over quietly")
    result = _analyze(folder, "--json")
    assert result.returncode == 0, result.stderr.decode()
    document = _document(result)
    assert _spec_problems(document) == []
    inspected = subprocess.run(
        [str(ATELIER), "inspect", str(folder), "--json"], capture_output=True, text=True, env=ENV, timeout=300
    )
    image_ids = {json.loads(line)["id"] for line in inspected.stdout.splitlines()}
    assert len(image_ids) >= 80
    clustered = [a for s in document["sessions"] for a in s["asset_ids"]]
    accounted = clustered + document["unclustered"]
    assert len(accounted) == len(set(accounted))  # each once
    assert image_ids | {record["id"] for record in records} == set(accounted)


def test_the_plain_table_reads_without_tracebacks_for_hostile_text(tmp_path: Path) -> None:
    lines = [
        _record(0, prompt="line one\nline two"),
        _record(1, prompt="\x1b[31mred\x1b[0m fox", created_at="2026-02-26T20:00:00Z"),
        _record(2, prompt="\u202eevil rtl [/b]", created_at="2026-02-27T20:00:00Z"),
        {"id": "u", "tool": "comfyui"},
    ]
    log = _write(tmp_path / "text.jsonl", lines)
    result = _analyze(log)
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    out = result.stdout.decode().splitlines()
    assert out[0].split() == ["started", "tool", "images", "intent", "label"] and len(out) == 4
    assert "\x1b" not in result.stdout.decode()
    assert "1 record without a usable time was not clustered" in result.stderr.decode()
