"""Random walks through the real API: corrections, removals, uploads, time-zone changes and whole-library
re-clusterings in random order, every count and summary the API reports checked against the data it
returns after every step (``slow``: run by ``make fuzz``, not ``make test``).

The library: a week of evenings (3-4 runs a day of 6-15 images, exploration / refinement / a sweep,
some tool switches mid-run, source-image and parent-job links within and across days) plus 8 images
without a generation time, imported as generation records for one user; the app's clock is fixed on the
week's Wednesday evening, so TODAY, THIS_WEEK and EARLIER all hold sessions.

Each step is one of: merge 2-3 neighbouring sessions, split a session at a random image, move 1-3
images from one end of a session into another (usually a neighbour), relabel (or unpin) a session,
undo a correction (often the one just made), remove 1-4 random images (sometimes a whole small session)
plus an id that does not exist, upload one shared fixture image with a ``lastModified`` inside a
session's span or on a fresh evening, change the viewer's time zone, or re-cluster the whole library in
a real arq worker. After every step the whole library is read again and
:func:`tests.api.consistency_invariants.check_snapshot` runs (sessions, phases, gallery, parent links,
corrections; see that module); every third step and the last one also check session groups, lanes,
lineage and search (``check_views``). What each step's own answer must agree with:

- a correction applied (merge, split, move, relabel): every session of the payload exists afterwards
  with the payload's ``assetCount`` (also the number of its images) and times; the payload's sessions
  are in time order; its ``thresholdOffset`` is the calibration's; its corrections are the newest in
  the history.
- merge: one correction per joined gap; all the merged sessions' images end in one session; each
  summary reads ``Merged <k> sessions (<n> images)``.
- split: the images either side of the split end in different sessions; the payload is those two
  sessions (in time order, as above: two starting at the same instant may come either way).
- move: the moved images end in the target session (the one holding its first other image), which is
  the payload.
- relabel: the label (runs of whitespace made one space) is set and pinned, or null unpins it; the
  grouping does not change.
- a correction refused (NotFound, InvalidCorrection): nothing recorded or learned (history and
  calibration as they were), the grouping unchanged.
- undo: the answer agrees with ``canUndo`` / ``undone`` read before; the payload's sessions exist with
  its counts; its ``thresholdOffset`` is the calibration's; undoing the correction just made restores
  the grouping before it (and, for a relabel, every label and pin).
- remove: ``removedIds`` are the ids asked for that existed, in order; ``notFound`` is the made-up id;
  the gallery shrank by ``removedIds``; ``sessionsDeleted`` is the number of sessions gone;
  ``sessionsChanged`` lies between (sessions created + sessions whose images or times changed) and
  (sessions created + sessions with any visible change).
- upload: ``importedCount`` is the number of IMPORTED results and the gallery grew by it;
  ``sessionsChanged`` within the same bounds as a removal's; every result's image is in the gallery.
- time zone: ``updateViewer`` answers the zone set.
- re-cluster: the job is queued and the worker runs it without failure; every pinned label survives
  on a session holding some of its images.

Seeds and length: ``ATELIER_WALK_SEEDS`` (comma-separated, default ``1,2,3``) and
``ATELIER_WALK_STEPS`` (default 40, about 75-90 s a seed). A failure names the seed, the step, the
operation and the invariant with its details and the last steps, and writes the whole walk (every
step's arguments and results, the library before and after the failing step) to ``walk-seed<N>.json``
in the test's ``tmp_path`` (kept after a failed run). A GraphQL error or non-200 answer during the walk
fails the same way. The walk's choices go by times and file names, never by generated ids, so a seed
takes the same steps every run, and the failure message's ``ATELIER_WALK_SEEDS=<seed>
ATELIER_WALK_STEPS=<step>`` replays it up to the failing step.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from catalog.tasks import CATALOG_FUNCTIONS
from tests.api.conftest import app_http, make_user_with_token
from tests.api.consistency_invariants import (
    Checker,
    LibraryReader,
    Node,
    Snapshot,
    at,
    check_snapshot,
    check_views,
)
from tests.api.record_library import import_records
from tests.arq_worker import run_worker_burst

SEEDS = [int(seed) for seed in os.environ.get("ATELIER_WALK_SEEDS", "1,2,3").split(",") if seed.strip()]
STEPS = int(os.environ.get("ATELIER_WALK_STEPS", "40"))
VIEWS_EVERY = 3
OPS = [
    *["merge", "merge", "split", "split", "move", "relabel"],
    *["undo", "undo", "remove", "upload", "recluster", "timezone"],
]
"""Each step draws one (merges, splits and undos twice as often)."""

NOW = datetime(2026, 3, 11, 22, 0, tzinfo=UTC)  # a Wednesday: TODAY, THIS_WEEK and EARLIER all hold sessions
FIRST_DAY = datetime(2026, 3, 5, tzinfo=UTC)
DAYS = 7
UNDATED = 8
UPLOAD_POOL = [
    "no_metadata/sdmetadata__png__empty.png",
    "no_metadata/sdmetadata__webp__empty.webp",
    "no_metadata/sdmetadata__jpg__empty.jpg",
    "no_metadata/ktiseos__data__ComfyUI_nometadata_.jpg",
    "no_metadata/ktiseos__data__jpeg_nometadata_dog_notAi.jpg",
    "Forge/sdmetadata__webp__forge-classic.webp",
    "AUTOMATIC1111/sdmetadata__jpg__sd-webui.jpg",
    "Civitai_trainer_samples/ktiseos__Comfy_UI_DATA__Faux_Tarot_e000010_00_20250607174543.png",
    "Civitai_trainer_samples/ktiseos__Comfy_UI_DATA__Faux_Tarot_e000010_01_20250607174555.png",
]
ZONES = ["UTC", "Pacific/Auckland", "America/Los_Angeles", "Europe/Paris", "Asia/Kolkata"]
PROMPTS = [
    "a lighthouse in a storm, oil painting",
    "koi pond in autumn, watercolor",
    "cyberpunk alley at night, neon rain",
    "portrait of an old sailor, charcoal",
    "a castle on a cliff at dusk",
    "still life with lemons and a blue jug",
    "desert caravan under a violet sky",
    "forest spirit made of moss, macro photo",
    "art deco poster of a zeppelin",
    "isometric tiny bakery, 3d render",
    "a snowy mountain village, ukiyo-e",
    "underwater cathedral with jellyfish",
]
MODELS = ["sdxl.safetensors", "juggernaut.safetensors", "flux-dev.safetensors"]
VARIATIONS = ["dramatic", "soft light", "wide shot", "close up", "misty"]

CORRECTION_FIELDS = """__typename
  ... on CorrectionApplied { thresholdOffset
    sessions { id assetCount startedAt endedAt label labelPinned }
    corrections { id kind undone summary boundaryMargin } }
  ... on NotFound { message } ... on InvalidCorrection { message }"""
MERGE = "mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) { " + CORRECTION_FIELDS + " } }"
SPLIT = (
    "mutation($s: ID!, $a: ID!) { splitSession(sessionId: $s, atAssetId: $a) { " + CORRECTION_FIELDS + " } }"
)
MOVE = (
    "mutation($ids: [ID!]!, $to: ID!) { moveAssets(assetIds: $ids, toSessionId: $to) { "
    + CORRECTION_FIELDS
    + " } }"
)
RELABEL = (
    "mutation($s: ID!, $l: String) { relabelSession(sessionId: $s, label: $l) { " + CORRECTION_FIELDS + " } }"
)
UNDO = """mutation($id: ID!) { undoCorrection(id: $id) { __typename
  ... on CorrectionUndone { correction { id undone canUndo undoneAt }
    sessions { id assetCount startedAt endedAt label labelPinned } thresholdOffset }
  ... on AlreadyUndone { message } ... on CannotUndo { message } ... on NotFound { message } } }"""
REMOVE = """mutation($ids: [ID!]!) { removeAssets(assetIds: $ids) {
  removedIds notFound sessionsChanged sessionsDeleted } }"""
UPLOAD = """mutation($files: [Upload!]!, $lastModified: [DateTime!]) {
  uploadAssets(files: $files, lastModified: $lastModified) { importedCount sessionsChanged
    results { fileName outcome reason asset { id createdAt } } } }"""
RECLUSTER = """mutation { reclusterLibrary { __typename
  ... on LibraryReclusterQueued { jobId alreadyQueued state thresholdOffset }
  ... on JobQueueUnavailable { message } } }"""
TIMEZONE = "mutation($tz: String) { updateViewer(timezone: $tz) { timezone } }"


def zulu(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def build_records(rng: random.Random) -> list[Node]:
    """The week's generation records (see the module docstring), then the undated ones."""
    records: list[Node] = []
    previous_day_files: list[str] = []
    for day in range(DAYS):
        today_files: list[str] = []
        hours = sorted(rng.sample([8, 10, 13, 15, 18, 20, 22], rng.randint(3, 4)))
        for hour in hours:
            when = FIRST_DAY + timedelta(days=day, hours=hour, minutes=rng.randint(0, 40))
            prompt, model = rng.choice(PROMPTS), rng.choice(MODELS)
            tool = "comfyui" if rng.random() < 0.8 else "a1111"
            size = rng.randint(6, 15)
            cfg = 7.0
            for index in range(size):
                record_id = f"r{len(records) + 1:04d}"
                third = index * 3 // size  # exploration: prompts vary; refinement: new seeds; then a sweep
                if third == 2:
                    cfg += 0.5
                line: Node = {
                    "id": record_id,
                    "tool": tool,
                    "created_at": zulu(when),
                    "prompt": f"{prompt}, {rng.choice(VARIATIONS)}" if third == 0 else prompt,
                    "seed": 4242 if third == 2 else rng.randint(1, 10**6),
                    "cfg_scale": cfg,
                    "steps": 30 if third < 2 else 20 + index,
                    "model": model,
                    "width": 1024,
                    "height": 1024,
                    "file_name": f"{record_id}.png",
                }
                if tool == "comfyui" and index == size // 2 and rng.random() < 0.3:
                    line["tool"] = "a1111"  # a forced boundary mid-run
                draw = rng.random()
                if today_files and draw < 0.12:
                    line["source_image"] = f"input/{rng.choice(today_files[-5:])}"
                elif previous_day_files and draw < 0.17:
                    line["source_image"] = f"input/{rng.choice(previous_day_files)}"  # across sessions
                elif draw < 0.20 and records:
                    line["parent_job_id"] = rng.choice(records)["id"]
                records.append(line)
                today_files.append(line["file_name"])
                when += timedelta(seconds=rng.choice([30, 45, 60, 90, 120, 180]))
        previous_day_files = today_files
    for _ in range(UNDATED):
        record_id = f"u{len(records) + 1:04d}"
        records.append(
            {
                "id": record_id,
                "tool": "comfyui",
                "prompt": rng.choice(PROMPTS),
                "file_name": f"{record_id}.png",
            }
        )
    return records


def session_diff(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """How the sessions changed between two snapshots (by session id): ``gone``, ``created``,
    ``changed_members`` (images, times or count changed), ``changed_any`` (that, or the label, phases,
    intent, tool or confidence)."""

    def signature(session: Node) -> tuple[Any, ...]:
        members = frozenset(asset["id"] for asset in session["asset_list"])
        return members, session["startedAt"], session["endedAt"], session["assetCount"]

    visible = ("label", "phases", "intent", "tool", "confidence")
    old, new = before.sessions, after.sessions
    kept = [sid for sid in new if sid in old]
    return {
        "gone": sum(sid not in new for sid in old),
        "created": sum(sid not in old for sid in new),
        "changed_members": sum(signature(new[sid]) != signature(old[sid]) for sid in kept),
        "changed_any": sum(
            signature(new[sid]) != signature(old[sid]) or any(new[sid][k] != old[sid][k] for k in visible)
            for sid in kept
        ),
    }


def groupings_apart(after: Snapshot, before: Snapshot) -> Node:
    """The sessions (first 3 image ids and the count) found in one grouping and not the other."""

    def shown(parts: set[frozenset[str]]) -> list[list[Any]]:
        return [[*sorted(part)[:3], len(part)] for part in parts][:4]

    now, then = after.partition(), before.partition()
    return {
        "only_now": shown(now - then),
        "only_before": shown(then - now),
        "sessions_before": len(before.sessions),
    }


Op = Callable[[Snapshot, Node], Awaitable[Snapshot | None]]


class Walk(Checker):
    """One seeded walk: chooses each step from the library as last read, performs it through the API
    and checks its answer and the library afterwards; fails the test on the first violated invariant."""

    def __init__(
        self,
        seed: int,
        http: httpx.AsyncClient,
        token: str,
        factory: SessionFactory,
        settings: AtelierSettings,
        images: Path,
        trace: Path,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.rng = random.Random(seed)
        self.http = http
        self.token = token
        self.reader = LibraryReader(http, token)
        self.factory = factory
        self.settings = settings
        self.images = images
        self.trace = trace
        self.step = 0
        self.op = "initial"
        self.log: list[Node] = []
        self.before: Snapshot | None = None
        self.after: Snapshot | None = None
        self.last_correction: tuple[str, Snapshot, str] | None = None
        """(id, library before it, kind) of the correction the previous step made, for an exact undo."""
        self.ops: dict[str, Op] = {
            "merge": self.merge,
            "split": self.split,
            "move": self.move,
            "relabel": self.relabel,
            "undo": self.undo,
            "remove": self.remove,
            "upload": self.upload,
            "recluster": self.recluster,
            "timezone": self.timezone,
        }

    # ------------------------------------------------------------ running and failing

    async def run(self, steps: int) -> None:
        snap = await self.reader.snapshot()
        self.after = snap
        self.log.append(
            {"step": 0, "op": "initial", "sessions": len(snap.sessions), "assets": len(snap.gallery)}
        )
        try:
            await self.check_library(snap, views=True)
        except AssertionError as error:
            self.violated("the API answers without errors", {"error": str(error)[:4000]})
        for step in range(1, steps + 1):
            self.step = step
            self.op = self.rng.choice(OPS)
            entry: Node = {"step": step, "op": self.op}
            self.log.append(entry)
            self.before, self.after = snap, None
            try:
                after = await self.ops[self.op](snap, entry)
                if after is None:
                    entry["skipped"] = True
                    continue
                self.after = after
                await self.check_library(after, views=step % VIEWS_EVERY == 0 or step == steps)
            except AssertionError as error:  # the reader's: a non-200 answer or GraphQL errors
                self.violated("the API answers without errors", {"error": str(error)[:4000]})
            snap = after

    async def check_library(self, snap: Snapshot, *, views: bool) -> None:
        check_snapshot(self, snap)
        if views:
            await check_views(self, self.reader, snap, NOW)

    def violated(self, name: str, detail: dict[str, Any]) -> NoReturn:
        failure = {"seed": self.seed, "step": self.step, "op": self.op, "invariant": name, "detail": detail}
        self.trace.write_text(
            json.dumps(
                {
                    **failure,
                    "log": self.log,
                    "before": self.before and self.before.compact(),
                    "after": self.after and self.after.compact(),
                },
                indent=1,
                default=str,
            )
        )
        pytest.fail(
            f"seed {self.seed}, step {self.step} ({self.op}): invariant {name!r} violated\n"
            f"  detail: {json.dumps(detail, default=str)}\n"
            f"  last steps: {json.dumps(self.log[-3:], default=str)}\n"
            f"  trace (every step, the library before and after this one): {self.trace}\n"
            f"  replay: ATELIER_WALK_SEEDS={self.seed} ATELIER_WALK_STEPS={self.step} "
            "pytest -m slow tests/api/test_api_consistency_walks.py"
        )

    async def query(self, document: str, **variables: Any) -> Node:
        return await self.reader.query(document, **variables)

    # ------------------------------------------------------------ choices (never by generated ids)

    def by_time(self, snap: Snapshot) -> list[Node]:
        """Sessions oldest first, ties by their first image's file name."""
        return sorted(
            snap.sessions.values(),
            key=lambda s: (at(s["startedAt"]), snap.file_names.get(s["asset_list"][0]["id"], "")),
        )

    @staticmethod
    def gallery_by_time(snap: Snapshot) -> list[Node]:
        return sorted(snap.gallery, key=lambda a: (a["createdAt"] or "", a["fileName"]))

    # ------------------------------------------------------------ corrections

    def check_applied(self, result: Node, after: Snapshot) -> None:
        """What every CorrectionApplied must agree with afterwards."""
        op = self.op
        for session in result["sessions"]:
            now = after.sessions.get(session["id"])
            self.check(f"{op}: payload session exists afterwards", now is not None, session=session["id"])
            assert now is not None
            self.check(
                f"{op}: payload session assetCount == afterwards",
                session["assetCount"] == now["assetCount"] == len(now["asset_list"]),
                session=session["id"],
                payload=session["assetCount"],
                now=now["assetCount"],
                paged=len(now["asset_list"]),
            )
            self.check(
                f"{op}: payload session times == afterwards",
                (session["startedAt"], session["endedAt"]) == (now["startedAt"], now["endedAt"]),
                session=session["id"],
                payload=[session["startedAt"], session["endedAt"]],
                now=[now["startedAt"], now["endedAt"]],
            )
        starts = [at(session["startedAt"]) for session in result["sessions"]]
        self.check(
            f"{op}: payload sessions in time order", starts == sorted(starts), payload=result["sessions"]
        )
        self.check(
            f"{op}: payload thresholdOffset == calibration",
            abs(result["thresholdOffset"] - after.calibration["thresholdOffset"]) < 1e-9,
            payload=result["thresholdOffset"],
            calibration=after.calibration["thresholdOffset"],
        )
        ids = [correction["id"] for correction in result["corrections"]]
        newest = [correction["id"] for correction in after.history[: len(ids)]]
        self.check(
            f"{op}: recorded corrections are the newest in history",
            sorted(newest) == sorted(ids),
            payload=ids,
            history=newest,
        )

    def check_refused(self, before: Snapshot, after: Snapshot) -> None:
        """A correction refused (NotFound, InvalidCorrection) is rolled back: nothing recorded or
        learned, the grouping as it was."""
        self.check(
            f"{self.op} refused: nothing recorded or learned",
            [c["id"] for c in after.history] == [c["id"] for c in before.history]
            and after.calibration == before.calibration,
            history=[len(before.history), len(after.history)],
            calibration=[before.calibration, after.calibration],
        )
        self.check(
            f"{self.op} refused: grouping unchanged",
            after.partition() == before.partition(),
            **groupings_apart(after, before),
        )

    async def merge(self, before: Snapshot, entry: Node) -> Snapshot | None:
        ordered = self.by_time(before)
        if len(ordered) < 2:
            return None
        first = self.rng.randrange(len(ordered) - 1)
        count = 3 if self.rng.random() < 0.2 and first + 2 < len(ordered) else 2
        chosen = ordered[first : first + count]
        ids = [session["id"] for session in chosen]
        entry["args"] = ids
        result = (await self.query(MERGE, ids=ids))["mergeSessions"]
        entry["result"] = result["__typename"]
        after = await self.reader.snapshot()
        self.after = after
        if result["__typename"] != "CorrectionApplied":
            entry["message"] = result.get("message")
            self.check_refused(before, after)
            return after
        self.check_applied(result, after)
        self.check(
            "merge: one correction per joined gap",
            len(result["corrections"]) == count - 1,
            recorded=len(result["corrections"]),
            sessions=count,
        )
        members = {asset["id"] for session in chosen for asset in session["asset_list"]}
        holders = sorted({after.where.get(member, "(none)") for member in members})
        self.check("merge: merged sessions' images end in one session", len(holders) == 1, holders=holders)
        summary = f"Merged {count} sessions ({sum(session['assetCount'] for session in chosen)} images)"
        for correction in result["corrections"]:
            self.check(
                "merge: summary counts",
                summary in correction["summary"],
                summary=correction["summary"],
                expected=summary,
            )
        self.last_correction = (result["corrections"][-1]["id"], before, "merge") if count == 2 else None
        return after

    async def split(self, before: Snapshot, entry: Node) -> Snapshot | None:
        candidates = [session for session in self.by_time(before) if session["assetCount"] >= 2]
        if not candidates:
            return None
        session = self.rng.choice(candidates)
        index = self.rng.randrange(1, len(session["asset_list"]))
        left, right = session["asset_list"][index - 1]["id"], session["asset_list"][index]["id"]
        entry["args"] = [session["id"], right, index]
        result = (await self.query(SPLIT, s=session["id"], a=right))["splitSession"]
        entry["result"] = result["__typename"]
        after = await self.reader.snapshot()
        self.after = after
        if result["__typename"] != "CorrectionApplied":
            entry["message"] = result.get("message")
            self.check_refused(before, after)
            return after
        self.check_applied(result, after)
        sides = [str(after.where.get(left)), str(after.where.get(right))]
        self.check("split: the two images end in different sessions", sides[0] != sides[1], sessions=sides)
        payload = [s["id"] for s in result["sessions"]]
        # each once; their order is "time order" (checked above): sessions starting at the same instant
        # (an upload dated exactly at an image's time) may come either way
        self.check(
            "split: payload lists the sessions of both sides",
            sorted(payload) == sorted(set(sides)),
            payload=payload,
            sides=sides,
            starts=[after.sessions[sid]["startedAt"] for sid in payload if sid in after.sessions],
        )
        entry["summary"] = result["corrections"][0]["summary"]
        self.last_correction = (result["corrections"][0]["id"], before, "split")
        return after

    async def move(self, before: Snapshot, entry: Node) -> Snapshot | None:
        ordered = self.by_time(before)
        if len(ordered) < 2:
            return None
        index = self.rng.randrange(len(ordered))
        source = ordered[index]
        others = [session for session in ordered if session["id"] != source["id"]]
        neighbours = [ordered[j] for j in (index - 1, index + 1) if 0 <= j < len(ordered)]
        target = self.rng.choice(neighbours if neighbours and self.rng.random() < 0.7 else others)
        count = min(len(source["asset_list"]), self.rng.randint(1, 3))
        end = source["asset_list"][-count:] if self.rng.random() < 0.5 else source["asset_list"][:count]
        moved = [asset["id"] for asset in end]
        entry["args"] = [moved, target["id"]]
        result = (await self.query(MOVE, ids=moved, to=target["id"]))["moveAssets"]
        entry["result"] = result["__typename"]
        after = await self.reader.snapshot()
        self.after = after
        if result["__typename"] != "CorrectionApplied":
            entry["message"] = result.get("message")
            self.check_refused(before, after)
            return after
        self.check_applied(result, after)
        holders = sorted({str(after.where.get(asset_id)) for asset_id in moved})
        anchors = [asset["id"] for asset in target["asset_list"] if asset["id"] not in moved]
        target_now = after.where.get(anchors[0]) if anchors else None
        self.check(
            "move: moved images end in the target session (with its first other image)",
            holders == [str(target_now)],
            holders=holders,
            target=target_now,
        )
        payload = [s["id"] for s in result["sessions"]]
        self.check(
            "move: payload is the target session", payload == [target_now], payload=payload, target=target_now
        )
        self.last_correction = (result["corrections"][0]["id"], before, "move")
        return after

    async def relabel(self, before: Snapshot, entry: Node) -> Snapshot | None:
        ordered = self.by_time(before)
        if not ordered:
            return None
        session = self.rng.choice(ordered)
        label = None if self.rng.random() < 0.3 else f"  label   {self.rng.randint(1, 999)} "
        entry["args"] = [session["id"], label]
        result = (await self.query(RELABEL, s=session["id"], l=label))["relabelSession"]
        entry["result"] = result["__typename"]
        after = await self.reader.snapshot()
        self.after = after
        if result["__typename"] != "CorrectionApplied":
            entry["message"] = result.get("message")
            self.check_refused(before, after)
            return after
        self.check_applied(result, after)
        now = after.sessions.get(session["id"])
        shown = None if now is None else [now["label"], now["labelPinned"]]
        if label is not None:
            wanted = " ".join(label.split())
            self.check(
                "relabel: label set and pinned",
                now is not None and now["label"] == wanted and now["labelPinned"],
                now=shown,
                wanted=wanted,
            )
        else:
            self.check("relabel null: unpinned", now is not None and not now["labelPinned"], now=shown)
        self.check(
            "relabel: grouping unchanged",
            after.partition() == before.partition(),
            **groupings_apart(after, before),
        )
        self.last_correction = (result["corrections"][0]["id"], before, "relabel")
        return after

    async def undo(self, before: Snapshot, entry: Node) -> Snapshot | None:
        if not before.history:
            return None
        prior: Snapshot | None = None
        if self.last_correction and self.rng.random() < 0.6:
            target, prior, kind = self.last_correction
        else:
            names = before.file_names
            history = sorted(
                before.history,
                key=lambda c: (c["createdAt"], c["summary"], [names.get(a["id"], "") for a in c["assets"]]),
            )
            picked = self.rng.choice(history)
            target, kind = picked["id"], picked["kind"].lower()
        self.last_correction = None
        known = next(correction for correction in before.history if correction["id"] == target)
        entry["args"] = [target, kind, "the one just made" if prior is not None else "any"]
        result = (await self.query(UNDO, id=target))["undoCorrection"]
        entry["result"] = result["__typename"]
        after = await self.reader.snapshot()
        self.after = after
        if known["canUndo"]:
            expected = "CorrectionUndone"
        else:
            expected = "AlreadyUndone" if known["undone"] else "CannotUndo"
        self.check(
            "undo: result agrees with canUndo before",
            result["__typename"] == expected,
            canUndo=known["canUndo"],
            undone=known["undone"],
            got=result["__typename"],
            reason=known["undoBlockedReason"],
            message=result.get("message"),
        )
        if result["__typename"] != "CorrectionUndone":
            return after
        for session in result["sessions"]:
            now = after.sessions.get(session["id"])
            self.check("undo: payload session exists afterwards", now is not None, session=session["id"])
            assert now is not None
            self.check(
                "undo: payload session assetCount == afterwards",
                session["assetCount"] == now["assetCount"],
                session=session["id"],
                payload=session["assetCount"],
                now=now["assetCount"],
            )
        self.check(
            "undo: payload thresholdOffset == calibration",
            abs(result["thresholdOffset"] - after.calibration["thresholdOffset"]) < 1e-9,
            payload=result["thresholdOffset"],
            calibration=after.calibration["thresholdOffset"],
        )
        if prior is not None:
            self.check(
                f"undo of the last {kind} restores the grouping before it",
                after.partition() == prior.partition(),
                **groupings_apart(after, prior),
            )
            if kind == "relabel":
                labels_then = {sid: (s["label"], s["labelPinned"]) for sid, s in prior.sessions.items()}
                labels_now = {sid: (s["label"], s["labelPinned"]) for sid, s in after.sessions.items()}
                changed = {
                    sid: [labels_then.get(sid), label]
                    for sid, label in labels_now.items()
                    if labels_then.get(sid) != label
                }
                self.check("undo of the last relabel restores labels", not changed, changed=changed)
        return after

    # ------------------------------------------------------------ library changes

    def check_sessions_changed(self, sessions_changed: int, before: Snapshot, after: Snapshot) -> None:
        """``sessionsChanged`` counts at least the sessions created and those whose images or times
        changed, at most the sessions created and those with any visible change."""
        diff = session_diff(before, after)
        self.check(
            f"{self.op}: sessionsChanged <= created + sessions with any visible change",
            sessions_changed <= diff["created"] + diff["changed_any"],
            sessionsChanged=sessions_changed,
            **diff,
        )
        self.check(
            f"{self.op}: sessionsChanged >= created + sessions whose members/times changed",
            sessions_changed >= diff["created"] + diff["changed_members"],
            sessionsChanged=sessions_changed,
            **diff,
        )

    async def remove(self, before: Snapshot, entry: Node) -> Snapshot | None:
        gallery = self.gallery_by_time(before)
        if not gallery:
            return None
        picked = [
            asset["id"] for asset in self.rng.sample(gallery, min(self.rng.randint(1, 4), len(gallery)))
        ]
        if self.rng.random() < 0.3:  # a whole small session sometimes
            small = [session for session in self.by_time(before) if session["assetCount"] <= 4]
            if small:
                picked = [asset["id"] for asset in self.rng.choice(small)["asset_list"]]
        made_up = f"Asset:{uuid.uuid4()}"
        entry["args"] = picked
        result = (await self.query(REMOVE, ids=[*picked, made_up]))["removeAssets"]
        entry["result"] = result
        after = await self.reader.snapshot()
        self.after = after
        entry["diff"] = session_diff(before, after)
        self.last_correction = None
        self.check(
            "remove: removedIds == asked that existed",
            result["removedIds"] == picked,
            removedIds=result["removedIds"],
            asked=picked,
        )
        self.check(
            "remove: notFound == the made-up id", result["notFound"] == [made_up], notFound=result["notFound"]
        )
        self.check(
            "remove: gallery shrank by removedIds",
            len(before.gallery) - len(after.gallery) == len(result["removedIds"]),
            before=len(before.gallery),
            after=len(after.gallery),
        )
        self.check(
            "remove: sessionsDeleted == sessions gone",
            result["sessionsDeleted"] == entry["diff"]["gone"],
            sessionsDeleted=result["sessionsDeleted"],
            **entry["diff"],
        )
        self.check_sessions_changed(result["sessionsChanged"], before, after)
        return after

    async def upload(self, before: Snapshot, entry: Node) -> Snapshot | None:
        name = self.rng.choice(UPLOAD_POOL)
        ordered = self.by_time(before)
        if ordered and self.rng.random() < 0.7:  # inside a session's span
            session = self.rng.choice(ordered)
            start, end = at(session["startedAt"]), at(session["endedAt"])
            when = start + (end - start) * self.rng.random()
        else:  # early morning or late evening of one of the days
            when = FIRST_DAY + timedelta(days=self.rng.randrange(DAYS), hours=self.rng.choice([6, 23]))
        file_name = f"up{self.step}_{Path(name).name}"
        entry["args"] = [name, when.isoformat()]
        operations = {"query": UPLOAD, "variables": {"files": [None], "lastModified": [when.isoformat()]}}
        response = await self.http.post(
            "/graphql",
            headers={"Authorization": f"Bearer {self.token}"},
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.files.0"]})},
            files=[("0", (file_name, (self.images / name).read_bytes(), "application/octet-stream"))],
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        result = body["data"]["uploadAssets"]
        entry["result"] = result
        after = await self.reader.snapshot()
        self.after = after
        entry["diff"] = session_diff(before, after)
        self.last_correction = None
        imported = sum(item["outcome"] == "IMPORTED" for item in result["results"])
        self.check(
            "upload: importedCount == IMPORTED results",
            result["importedCount"] == imported,
            importedCount=result["importedCount"],
            results=result["results"],
        )
        self.check(
            "upload: gallery grew by importedCount",
            len(after.gallery) - len(before.gallery) == result["importedCount"],
            grew=len(after.gallery) - len(before.gallery),
            importedCount=result["importedCount"],
        )
        self.check_sessions_changed(result["sessionsChanged"], before, after)
        for item in result["results"]:
            if item["asset"]:
                self.check(
                    "upload: result asset is in the gallery",
                    item["asset"]["id"] in after.gallery_ids,
                    asset=item["asset"]["id"],
                )
        return after

    async def timezone(self, before: Snapshot, entry: Node) -> Snapshot | None:
        zone = self.rng.choice(ZONES)
        entry["args"] = zone
        answered = (await self.query(TIMEZONE, tz=zone))["updateViewer"]["timezone"]
        self.check("updateViewer returns the zone", answered == zone, answered=answered, zone=zone)
        return await self.reader.snapshot()

    async def recluster(self, before: Snapshot, entry: Node) -> Snapshot | None:
        result = (await self.query(RECLUSTER))["reclusterLibrary"]
        entry["result"] = result
        self.check(
            "recluster: queued (the job queue is up)",
            result["__typename"] == "LibraryReclusterQueued",
            result=result,
        )
        worker = await run_worker_burst(self.factory, self.settings, CATALOG_FUNCTIONS)
        entry["worker"] = {"complete": worker.jobs_complete, "failed": worker.jobs_failed}
        self.check(
            "recluster: the worker ran the job without failure",
            worker.jobs_complete >= 1 and worker.jobs_failed == 0,
            **entry["worker"],
        )
        after = await self.reader.snapshot()
        self.after = after
        self.last_correction = None
        for sid, session in before.sessions.items():
            if not session["labelPinned"]:
                continue
            holders = {after.where.get(member) for member in before.members(sid)}
            kept = any(after.sessions[h]["label"] == session["label"] for h in holders if h is not None)
            self.check("recluster: pinned labels hold", kept, label=session["label"], session=sid)
        return after


@pytest.mark.slow
@pytest.mark.timeout(600 + 30 * STEPS)
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{seed}" for seed in SEEDS])
async def test_a_random_walk_keeps_the_api_consistent(
    seed: int,
    queue_settings: AtelierSettings,
    session_factory: SessionFactory,
    fixtures_dir: Path,
    tmp_path: Path,
) -> None:
    settings = queue_settings.model_copy(update={"api_max_query_cost": 10_000_000, "api_cost_budget": 10**12})
    records = build_records(random.Random(seed * 7919))
    await import_records(session_factory, settings, tmp_path / "records", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    async with app_http(settings, clock=lambda: NOW) as http:
        walk = Walk(
            seed,
            http,
            token,
            session_factory,
            settings,
            images=fixtures_dir / "images",
            trace=tmp_path / f"walk-seed{seed}.json",
        )
        await walk.run(STEPS)
    applied = [
        entry for entry in walk.log if entry.get("result") in ("CorrectionApplied", "CorrectionUndone")
    ]
    assert applied or STEPS < 20, f"seed {seed}: {STEPS} steps applied no correction (the walk tested little)"
