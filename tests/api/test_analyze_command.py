"""``atelier analyze`` as a user runs it: the installed entry point, no database."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api import analyze_command
from api.analyze_command import Skipped
from engine.copy_times import reject_copy_times
from engine.record_codec import record_from_json
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records, split_timed
from tests.api.conftest import modules_imported_by

ATELIER = Path(sys.executable).with_name("atelier")


def _write_log(path: Path) -> list[str]:
    start = datetime(2026, 2, 25, 19, 0, tzinfo=UTC)
    lines, ids = [], []
    for evening in range(3):
        for step in range(12):
            record_id = f"g{evening:02d}{step:03d}"
            ids.append(record_id)
            when = start + timedelta(days=evening, seconds=45 * step)
            lines.append(
                {
                    "id": record_id,
                    "tool": "comfyui" if evening != 1 else "a1111",
                    "created_at": when.isoformat(),
                    "prompt": ["neon alley at night", "misty forest", "koi pond"][evening],
                    "seed": 1000 + step,
                    "cfg_scale": 7.0,
                    "steps": 30,
                }
            )
    lines.append({"id": "undated", "tool": "comfyui", "prompt": "no time"})
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    return ids


def test_analyze_jsonl_assigns_every_timed_record_to_exactly_one_session(tmp_path: Path) -> None:
    log = tmp_path / "records.jsonl"
    ids = _write_log(log)
    result = subprocess.run(
        [str(ATELIER), "analyze", str(log), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none", "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assigned = [asset for session in document["sessions"] for asset in session["asset_ids"]]
    assert sorted(assigned) == sorted(ids)  # each timed record exactly once
    assert document["unclustered"] == ["undated"]
    assert len(document["sessions"]) == 3
    for session in document["sessions"]:
        assert {"id", "tool", "started_at", "ended_at", "label", "intent", "asset_ids", "phases"} <= set(
            session
        )
        assert session["intent"] in {"exploration", "refinement", "optimization", "convergent_selection"}
        phase_members = [asset for phase in session["phases"] for asset in phase["asset_ids"]]
        assert sorted(phase_members) == sorted(session["asset_ids"])
    assert f"{log}:38: not valid JSON" in result.stderr  # the broken line is reported, not fatal


def test_analyze_does_not_group_unrelated_images_that_share_a_copy_mtime(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    """A checkout gives every file one mtime: unrelated A1111/Forge images must not become a session."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    copied = []
    for tool_folder in ("AUTOMATIC1111", "Forge", "reForge"):
        for source in sorted((fixtures_dir / "images" / tool_folder).iterdir()):
            target = folder / f"{tool_folder}-{source.name}"
            target.write_bytes(source.read_bytes())
            copied.append(target)
    moment = datetime(2026, 11, 1, 9, 30, tzinfo=UTC).timestamp()
    for index, path in enumerate(copied):
        os.utime(path, (moment + index * 0.05, moment + index * 0.05))
    run = subprocess.run(
        [str(ATELIER), "analyze", str(folder), "--json"], capture_output=True, text=True, check=True
    )
    document = json.loads(run.stdout)
    inspected = subprocess.run(
        [str(ATELIER), "inspect", str(folder), "--json"], capture_output=True, text=True, check=True
    )
    by_id = {}
    for line in inspected.stdout.splitlines():
        entry = json.loads(line)
        by_id[entry["id"]] = entry
    mtime_only = [entry for entry in by_id.values() if "time_rejected" in entry.get("extra", {})]
    assert len(mtime_only) >= 5, "the fixtures hold several A1111-family images timed only by mtime"
    assert sum("copy time" in entry["extra"]["time_rejected"] for entry in mtime_only) >= 5
    for entry in mtime_only:
        assert entry.get("created_at") is None
        reason = entry["extra"]["time_rejected"]
        assert "copy time" in reason or "copied since" in reason
        assert entry["id"] in document["unclustered"]
    clustered = {asset for session in document["sessions"] for asset in session["asset_ids"]}
    assert not clustered & {entry["id"] for entry in mtime_only}


def _artists_log(path: Path) -> None:
    """Three artists' evenings (pauses, prompt changes, a tool switch, non-ASCII prompts, loras,
    unknown fields) plus an undated record, a line with a wrong type and a line nested 10,000 deep."""
    rng = random.Random(5)
    prompts = ["neon alley at night", "café au crépuscule, 夜の街", "misty forest, oil painting", "koi pond"]
    lines: list[str] = []
    for artist in range(3):
        when = datetime(2026, 2, 25, 19, 0, tzinfo=UTC) + timedelta(hours=artist)
        for step in range(400):
            when += timedelta(seconds=rng.choice([20, 45, 90, 300, 2400]))
            line: dict[str, object] = {
                "id": f"a{artist}-{step:04d}",
                "user": f"artist{artist}",
                "tool": "comfyui" if step % 150 < 120 else "forge",
                "created_at": when.isoformat(),
                "prompt": prompts[(step // rng.choice([7, 13, 29])) % len(prompts)],
                "seed": rng.randrange(2**32),
                "cfg_scale": rng.choice([5, 7.0, 7.5]),
                "steps": 30,
                "model": "sdxl_base.safetensors",
                "extra": {"file_counter": step},
            }
            if step % 11 == 0:
                line["loras"] = [{"name": "add_detail", "weight": 0.6}]
            if step % 17 == 0:
                line["aesthetic_score"] = 6.5
            lines.append(json.dumps(line, ensure_ascii=bool(step % 2)))
    lines.insert(10, json.dumps({"id": "undated", "tool": "comfyui", "prompt": "no time"}))
    lines.insert(20, json.dumps({"id": "bad-seed", "tool": "comfyui", "seed": "many"}))
    lines.insert(30, '{"a":' * 10_000)
    path.write_text("\n".join(lines) + "\n")


def _previous_implementation(path: Path) -> dict[str, Any]:
    """What ``atelier analyze --json`` printed before the fast path: json.loads per line,
    record_from_json, first record per id, copy times judged, analysed, ``to_json``."""
    records: dict[str, GenerationRecord] = {}
    for raw in path.read_text().splitlines():
        try:
            record = record_from_json(json.loads(raw))
        except (ValueError, RecursionError):
            continue
        records.setdefault(record.id, record)
    collected = list(records.values())
    reject_copy_times(collected)
    return json.loads(json.dumps(analyze_records(collected).to_json(), ensure_ascii=False))


def test_analyze_json_equals_the_previous_implementation_buffered_or_not(tmp_path: Path) -> None:
    log = tmp_path / "artists.jsonl"
    _artists_log(log)
    expected = _previous_implementation(log)
    assert len(expected["sessions"]) >= 6

    for extra_env in ({}, {"PYTHONUNBUFFERED": "1"}):
        result = subprocess.run(
            [str(ATELIER), "analyze", str(log), "--json"],
            capture_output=True,
            check=False,
            env=os.environ | {"HF_HUB_OFFLINE": "1"} | extra_env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected
        assert "—".encode() in result.stdout  # labels' dashes: UTF-8, like json.dump(ensure_ascii=False)
        assert b"\\u" not in result.stdout
        stderr = result.stderr.decode()
        assert f"{log}:21: field 'seed'" in stderr
        assert f"{log}:31: field 'a': nested deeper than 64 levels" in stderr
        assert "RecursionError" not in stderr


def test_analyze_starts_without_the_database_stack_or_ml_libraries(tmp_path: Path) -> None:
    log = tmp_path / "one.jsonl"
    log.write_text('{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z"}\n')
    imported, stdout = modules_imported_by("analyze", str(log), "--json")
    assert "engine.session_analysis" in imported  # the report is real: the analysis was imported
    heavy = ("sqlalchemy", "alembic", "asyncpg", "torch", "sklearn", "sentence_transformers", "strawberry")
    heavy += ("asyncio",)  # no event loop runs: ~40 ms of imports the CLI used to load for every command
    heavy += ("PIL",)  # records need no image library
    assert not {name for name in imported if name.split(".")[0] in heavy}
    # nor the image readers (their package loads every reader, numpy and Pillow: ~0.25 s)
    assert not {name for name in imported if name.startswith("engine.metadata")}
    assert json.loads(stdout)["sessions"][0]["asset_ids"] == ["a"]


def _die_in_worker(position: int) -> object:
    """Stands in for a worker's analysis: the worker process dies without a word."""
    os._exit(3)


def _several_artists_log(path: Path) -> None:
    """:func:`_artists_log` twice over with other user names, so the input holds six artists."""
    _artists_log(path)
    text = path.read_text()
    path.write_text(
        text
        + (
            text.replace('"artist', '"painter')
            .replace('"id": "a', '"id": "p')
            .replace('"undated"', '"undated-2"')
        )
    )


def test_analysis_on_several_cores_prints_what_one_process_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut into runs of users (the run size and threshold lowered so a small log is split), analysed
    on forked workers or one after another here, the JSON document and the table are byte for byte /
    row for row those of one analysis of everything; a worker that dies has its run analysed in this
    process instead."""
    log = tmp_path / "artists.jsonl"
    _several_artists_log(log)
    one_json, problems = analyze_command.analyze_paths_json([log], workers=1)
    one_table, _ = analyze_command.analyze_paths_table([log], workers=1)
    assert len(problems) == 4  # each copy has a wrong type and a line nested too deep
    assert json.loads(one_json) == json.loads(
        json.dumps(analyze_records(analyze_command.collect_records([log], timezone="UTC")[0]).to_json())
    )

    monkeypatch.setattr(analyze_command, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(analyze_command, "RUN_RECORDS", 300)
    timed, _ = split_timed(analyze_command.collect_records([log], timezone="UTC")[0])
    assert len(analyze_command.user_runs(timed, -(-len(timed) // 300))) == 6  # one artist a run
    for workers in (1, 2, 3, 8):
        assert analyze_command.analyze_paths_json([log], workers=workers)[0] == one_json
        assert analyze_command.analyze_paths_table([log], workers=workers)[0] == one_table
    assert len({row.label for row in one_table.sessions}) > 1 and one_table.unclustered == 2

    monkeypatch.setattr(analyze_command, "_run_forked_task", _die_in_worker)
    assert analyze_command.analyze_paths_json([log], workers=3)[0] == one_json


def test_user_runs_are_consecutive_whole_users_in_stream_order_and_even() -> None:
    counts = {None: 5, "ada": 40, "bo": 10, "cy": 10, "di": 30, "eve": 5}
    when = datetime(2026, 2, 25, tzinfo=UTC)
    timed = [
        GenerationRecord(id=f"{user}-{i}", user=user, tool="comfyui", created_at=when + timedelta(minutes=i))
        for i in range(40)
        for user, count in counts.items()
        if i < count
    ]
    for count in (1, 2, 3, 4, 10):
        runs = analyze_command.user_runs(timed, count)
        users = [user for run in runs for user in dict.fromkeys(record.user for record in run)]
        assert users == [None, "ada", "bo", "cy", "di", "eve"]  # each user in one run, stream order
        assert [record.id for run in runs for record in run] == [
            record.id for user in users for record in timed if record.user == user
        ]
        assert len(runs) <= count
    assert [len(run) for run in analyze_command.user_runs(timed, 2)] == [55, 45]
    assert [len(run) for run in analyze_command.user_runs(timed, 3)] == [45, 20, 35]


def test_users_without_records_take_no_place_in_the_runs() -> None:
    """The index knows users whose lines are all undated or repeated: they cut no run."""
    names = ["zed", "ada", None, "bo", "cy"]  # "zed" and "cy" have no record here
    codes = np.array([3, 1, 1, 2, 3, 1], dtype=np.int64)
    runs = analyze_command._runs_by_user(codes, names, 3)
    assert [run.tolist() for run in runs] == [[3], [1, 2, 5], [0, 4]]  # None, then ada, then bo
    assert [run.tolist() for run in analyze_command._runs_by_user(codes[:0], names, 3)] == [[]]


_worker_pids_folder: Path | None = None


def _sleep_in_worker(position: int) -> Any:
    assert _worker_pids_folder is not None
    (_worker_pids_folder / str(os.getpid())).touch()
    time.sleep(120)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_during_a_parallel_analysis_ends_its_workers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the workers analyse: the runs not started are dropped and the workers end now
    (the pool's own shutdown would wait for every run already handed to them)."""
    global _worker_pids_folder
    log = tmp_path / "artists.jsonl"
    _several_artists_log(log)
    _worker_pids_folder = tmp_path / "pids"
    _worker_pids_folder.mkdir()
    monkeypatch.setattr(analyze_command, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(analyze_command, "RUN_RECORDS", 300)
    monkeypatch.setattr(analyze_command, "_run_forked_task", _sleep_in_worker)

    def interrupted_once_both_work(future: Any, task: Any) -> Any:
        deadline = time.monotonic() + 30
        assert _worker_pids_folder is not None
        while len(list(_worker_pids_folder.iterdir())) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.01)
        raise KeyboardInterrupt  # what Ctrl-C raises in the waiting parent

    monkeypatch.setattr(analyze_command, "_result_of", interrupted_once_both_work)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        analyze_command.analyze_paths_json([log], workers=2)
    assert time.monotonic() - started < 30  # not after the 120 s runs
    pids = [int(path.name) for path in _worker_pids_folder.iterdir()]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a worker outlived the interrupted analysis"
        time.sleep(0.02)


def _clean_logs(tmp_path: Path) -> list[Path]:
    """Two JSONL files of six artists with nothing a record cannot be, but every shape the index must
    place right: undated records, records repeated (once each), blank and CRLF lines, unknown fields,
    and a last line without its newline."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    _several_artists_log(first)
    lines = [
        line for line in first.read_text().splitlines() if "bad-seed" not in line and '{"a":{"a":' not in line
    ]
    repeated = lines[100:140]  # the same records again
    first.write_text("\n".join(lines[:900]) + "\n\n   \n" + "\r\n".join(lines[900:1500]) + "\r\n")
    second.write_text("\n".join(lines[1500:] + repeated))  # no final newline
    return [first, second]


@pytest.mark.usefixtures("indexed_on_small_input")
def test_an_id_repeated_with_other_values_is_listed_by_workers_as_by_one_process(tmp_path: Path) -> None:
    """The first record of an id is kept, a later one with other values is listed as skipped (ids are
    unique per user: another user's record of that id is analysed); the workers' path gives the same."""
    first, second = _clean_logs(tmp_path)
    lines = first.read_text().splitlines()
    with second.open("a") as out:
        out.write("\n" + "\n".join(line.replace('"seed": ', '"seed": 1') for line in lines[200:203] if line))
    one = analyze_command.analyze_paths_json([first, second], workers=1)
    assert len(one[1]) == 3 and all("repeats an earlier id with other values" in each.text for each in one[1])
    assert analyze_command.analyze_paths_json([first, second], workers=2) == one


@pytest.fixture
def indexed_on_small_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small logs take the indexed path, cut into many runs and check tasks."""
    monkeypatch.setattr(analyze_command, "INDEX_MIN_BYTES", 0)
    monkeypatch.setattr(analyze_command, "PARALLEL_INDEX_BYTES", 0)  # the light pass on the workers too
    monkeypatch.setattr(analyze_command, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(analyze_command, "RUN_RECORDS", 300)
    monkeypatch.setattr(analyze_command, "CHECK_LINES", 7)


@pytest.mark.usefixtures("indexed_on_small_input")
def test_workers_decoding_their_own_lines_print_what_one_process_prints(tmp_path: Path) -> None:
    files = _clean_logs(tmp_path)
    (tmp_path / "notes.txt").write_text("met inside a folder: passed over quietly")
    (tmp_path / "prompts.csv").write_text("prompt,seed\na fox,1\n")
    with_missing = [*files, tmp_path / "missing.jsonl", tmp_path / "prompts.csv"]
    one_json = analyze_command.analyze_paths_json(with_missing, workers=1)  # one core: read here
    one_table = analyze_command.analyze_paths_table(with_missing, workers=1)
    assert one_json[1] == [
        Skipped(f"{tmp_path / 'missing.jsonl'}: no such file or folder", unread_file=True),
        Skipped(  # named: says why, but ignoring it is not a failure
            f"{tmp_path / 'prompts.csv'}: not an image or a .jsonl record file", unread_file=False
        ),
    ]
    assert analyze_command.analyze_paths_json([*files, tmp_path], workers=1)[1] == []
    assert len(json.loads(one_json[0])["unclustered"]) == 2 and one_table[0].unclustered == 2

    indexed = analyze_command._analyze_indexed(with_missing, "UTC", analyze_command._json_parts, 2)
    assert indexed is not None and len(indexed[0]) == 6  # this path was taken: a run per artist
    for workers in (2, 3):
        assert analyze_command.analyze_paths_json(with_missing, workers=workers) == one_json
        assert analyze_command.analyze_paths_table(with_missing, workers=workers) == one_table


@pytest.mark.usefixtures("indexed_on_small_input")
@pytest.mark.parametrize(
    "bad_line",
    [
        '{"id": "x1", "tool": "comfyui", "created_at": "2026-02-25T20:00:00+00:00", "seed": "many"}',
        '{"id": "x2", "tool": "comfyui", "created_at": "yesterday"}',
        '{"id": "x3", "tool": "comfyui", "created_at": "2026-02-25T20:00:00+00:00", "extra": '
        + '{"a":' * 100
        + "1"
        + "}" * 101,
        '{"id": "x4", "extra": ' + "[" * 10_000,
        "[1, 2]",
        '{"id": 5, "created_at": "2026-02-25T20:00:00+00:00"}',
        '{"id": "x6", "created_at": "2026-02-25T20:00:00+00:00", "created_at_source": "file:mtime"}',
        '{"id": "a1-0005", "created_at": "2026-02-25T20:00:00+00:00", "steps": 1.5}',
    ],
    ids=[
        "wrong-type",
        "bad-time",
        "too-deep",
        "unbalanced",
        "not-an-object",
        "integer-id",
        "mtime",
        "repeated-id",
    ],
)
def test_input_with_a_line_that_is_not_a_plain_record_is_read_the_ordinary_way(
    tmp_path: Path, bad_line: str
) -> None:
    files = _clean_logs(tmp_path)
    text = files[0].read_text().splitlines(keepends=True)
    files[0].write_text("".join(text[:700]) + bad_line + "\n" + "".join(text[700:]))
    one = analyze_command.analyze_paths_json(files, workers=1)

    assert analyze_command._analyze_indexed(files, "UTC", analyze_command._json_parts, 2) is None
    assert analyze_command.analyze_paths_json(files, workers=2) == one


def _analyze_started_at(log: Path, environment: dict[str, str], *flags: str) -> str:
    result = subprocess.run(
        [str(ATELIER), "analyze", "--json", *flags, str(log)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (session,) = json.loads(result.stdout)["sessions"]
    started_at: str = session["started_at"]
    return started_at


def test_atelier_timezone_is_the_default_of_analyze_timezone(tmp_path: Path) -> None:
    """README: ATELIER_TIMEZONE is the IANA zone for naive tool times; analyze read them as UTC. The
    variable is read by the option itself: analyze's start-up does not load the settings module."""
    log = tmp_path / "naive.jsonl"
    log.write_text('{"id": "a", "tool": "comfyui", "created_at": "2025-06-12T21:07:45"}\n')
    without = {key: value for key, value in os.environ.items() if key != "ATELIER_TIMEZONE"}
    tokyo = without | {"ATELIER_TIMEZONE": "Asia/Tokyo"}
    utc = _analyze_started_at(log, without)
    assert datetime.fromisoformat(utc) == datetime(2025, 6, 12, 21, 7, 45, tzinfo=UTC)
    in_tokyo = _analyze_started_at(log, tokyo)
    assert datetime.fromisoformat(in_tokyo) == datetime(2025, 6, 12, 12, 7, 45, tzinfo=UTC)
    overridden = _analyze_started_at(log, tokyo, "--timezone", "UTC")
    assert datetime.fromisoformat(overridden) == datetime(2025, 6, 12, 21, 7, 45, tzinfo=UTC)

    help_text = subprocess.run(
        [str(ATELIER), "analyze", "--help"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "ATELIER_TIMEZONE" in help_text

    bad = subprocess.run(
        [str(ATELIER), "analyze", str(log)],
        capture_output=True,
        text=True,
        check=False,
        env=without | {"ATELIER_TIMEZONE": "Mars/Olympus"},
        timeout=120,
    )
    assert bad.returncode == 2 and not bad.stdout and "Traceback" not in bad.stderr
    message = " ".join(bad.stderr.replace("│", " ").split())
    assert "unknown time zone 'Mars/Olympus': give an IANA name such as 'Europe/Paris'" in message

    imported, _ = modules_imported_by("analyze", str(log), "--json", env=tokyo)
    assert "catalog.settings" not in imported
    assert not {name for name in imported if name.split(".")[0] == "pydantic_settings"}


def test_the_table_lists_each_users_sessions_by_start_day_precision_ones_included(tmp_path: Path) -> None:
    """The engine keeps a user's day-precision images in a stream of their own, after the timed one;
    the table a person reads interleaves them by start, users still one after another."""
    lines = []
    for user, day in (("ada", 1), ("ada", 5), ("bo", 2)):
        for step in range(3):
            when = datetime(2026, 3, day, 20, step, tzinfo=UTC).isoformat()
            lines.append({"id": f"{user}{day}{step}", "user": user, "tool": "comfyui", "created_at": when})
    for step in range(2):  # ada's copied files whose only time is the day in their folder's name
        lines.append(
            {
                "id": f"ada-day{step}",
                "user": "ada",
                "tool": "a1111",
                "created_at": "2026-03-03T00:00:00+00:00",
                "created_at_precision": "day",
            }
        )
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))

    table, problems = analyze_command.analyze_paths_table([log], workers=1)

    assert problems == []
    assert [(row.started_at, row.tool) for row in table.sessions] == [
        ("2026-03-01 20:00", "comfyui"),
        ("2026-03-03 00:00", "a1111"),
        ("2026-03-05 20:00", "comfyui"),
        ("2026-03-02 20:00", "comfyui"),
    ]


_SPRING_FORWARD_SUBJECTS = [
    "red fox in snow",
    "lighthouse in a storm",
    "elven city in giant trees",
    "dragon on castle ruins",
    "sea serpent at dawn",
    "desert caravan",
    "neon street market",
    "mountain cabin",
    "old fisherman",
    "koi pond",
    "robot gardener",
    "paper boat",
    "clockwork owl",
    "glass whale",
    "lantern festival",
    "ice cave",
]


def test_a_session_across_spring_forward_lasts_its_real_minutes(tmp_path: Path) -> None:
    """Found by a time-semantics probe: 16 prompts a minute apart, 06:52Z–07:07Z on 2026-03-08, written
    as naive New York wall times (01:52 EST … 03:07 EDT): `atelier analyze --timezone America/New_York`
    labelled the session "(75 min, 16 images)", the wall clocks' difference — times localised with one
    ``ZoneInfo`` subtract by wall clock. It is 15 minutes of work; the times keep their wall clock."""
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 8, 6, 52, tzinfo=UTC)

    def naive_new_york(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).astimezone(new_york).replace(tzinfo=None).isoformat()

    lines = [
        {
            "id": f"e{index}",
            "tool": "comfyui",
            "created_at": naive_new_york(index),
            "prompt": f"{subject}, digital painting",
            "seed": 100 + index,
            "model": "sdxl.safetensors",
        }
        for index, subject in enumerate(_SPRING_FORWARD_SUBJECTS)
    ]
    assert (lines[0]["created_at"], lines[-1]["created_at"]) == ("2026-03-08T01:52:00", "2026-03-08T03:07:00")
    log = tmp_path / "spring.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))

    document, problems = analyze_command.analyze_paths_json([log], timezone="America/New_York")

    assert problems == []
    (session,) = json.loads(document)["sessions"]
    assert "(15 min, 16 images)" in session["label"], session["label"]
    assert (session["started_at"], session["ended_at"]) == (
        "2026-03-08T01:52:00-05:00",
        "2026-03-08T03:07:00-04:00",
    )
