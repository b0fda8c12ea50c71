"""What the engine returns: sessions with phases, and lineage edges — plain data, JSON-ready.

The shape is the ``analyze`` output of ``shared/docs/generation-records.md``. Invariants:

- every record with a ``created_at`` belongs to exactly one session; records without one are listed
  in ``Analysis.unclustered`` and nowhere else;
- ``asset_ids`` inside a session (and inside each phase) are in stream order (time, then the tool's
  file counter, then file name), and the phases of a session partition its assets;
- lineage is a forest: a child has at most one parent, and parent and child share a session.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

DESCRIPTION_VERSION = 12
"""Version of how the engine *describes* a given set of sessions: their labels, intents, phases and
lineage. Bump it with any change that alters these for the same memberships (a stored library is
then re-described once, its sessions kept: ``catalog.sessions.redescription``); a change of where
boundaries fall alone does not need it (corrections and the learned offset reach stored sessions by
re-clustering) — except to have stored libraries learn something once (version 10: their recurring
words). ``tests/engine/test_description_version.py`` fails when the description of its reference
libraries changes while this stays the same.
"""


class Intent(enum.StrEnum):
    EXPLORATION = "exploration"
    REFINEMENT = "refinement"
    OPTIMIZATION = "optimization"
    CONVERGENT_SELECTION = "convergent_selection"


class LineageKind(enum.StrEnum):
    UPSCALE = "upscale"
    IMG2IMG = "img2img"
    INPAINT = "inpaint"
    VARIATION = "variation"
    REMIX = "remix"
    REROLL = "reroll"
    PROMPT_EDIT = "prompt_edit"
    PARAM_SWEEP = "param_sweep"


@dataclass(slots=True)
class PhaseResult:
    intent: Intent
    label: str
    asset_ids: list[str]
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SessionResult:
    """One creative session. ``id`` is derived from the first member, so it is stable while the
    session keeps its first asset; the catalog maps it onto persisted identities by membership."""

    id: str
    user: str | None
    tool: str
    started_at: datetime
    ended_at: datetime
    label: str
    intent: Intent
    asset_ids: list[str]
    phases: list[PhaseResult] = field(default_factory=list)
    confidence: float = 1.0
    """Confidence (0–1) that the boundary opening this session is a real break."""


@dataclass(frozen=True, slots=True)
class LineageEdge:
    parent: str
    child: str
    kind: LineageKind
    confidence: float


@dataclass(slots=True)
class Analysis:
    sessions: list[SessionResult]
    lineage: list[LineageEdge]
    unclustered: list[str] = field(default_factory=list)
    boundary_margins: dict[str, float] = field(default_factory=dict)
    """Boundary score of the gap before each clustered asset, as score − threshold *before* the user's
    learned offset (+inf where forced: tool switch, long pause, new day); absent for the first asset of
    a user's stream. The catalog stores it with a merge/split correction to learn the offset
    (``engine.calibration``). Not part of ``to_json``."""

    def to_json(self) -> dict[str, Any]:
        """The ``atelier analyze --json`` document (fresh lists: the caller may change it freely)."""
        return self._document(copy_lists=True)

    def to_json_bytes(self) -> bytes:
        """:meth:`to_json` encoded as compact UTF-8 JSON in one buffer (non-ASCII text kept as is).

        ``json.loads(analysis.to_json_bytes()) == analysis.to_json()`` always holds; only the
        whitespace differs from ``json.dumps``. Building it shares the id lists instead of copying
        them, and the encoder (msgspec) writes one ``bytes`` object, so a large analysis costs one
        ``write`` to print rather than one per JSON token.
        """
        return join_json_parts([self.json_parts()], self.unclustered)

    def json_parts(self) -> AnalysisJsonParts:
        """This analysis's sessions and lineage as encoded JSON array *contents*, for
        :func:`join_json_parts` (analyses of disjoint sets of users, made apart, printed as one)."""
        document = self._document(copy_lists=False)
        return AnalysisJsonParts(
            sessions=_ENCODER.encode(document["sessions"])[1:-1],
            lineage=_ENCODER.encode(document["lineage"])[1:-1],
        )

    def _document(self, *, copy_lists: bool) -> dict[str, Any]:
        ids = list if copy_lists else _same
        return {
            "sessions": [
                {
                    "id": s.id,
                    "user": s.user,
                    "tool": s.tool,
                    "started_at": s.started_at.isoformat(),
                    "ended_at": s.ended_at.isoformat(),
                    "label": s.label,
                    "intent": str(s.intent),
                    "confidence": round(s.confidence, 4),
                    "asset_ids": ids(s.asset_ids),
                    "phases": [
                        {"intent": str(p.intent), "label": p.label, "asset_ids": ids(p.asset_ids)}
                        | ({"detail": p.detail} if p.detail else {})
                        for p in s.phases
                    ],
                }
                for s in self.sessions
            ],
            "lineage": [
                {
                    "parent": e.parent,
                    "child": e.child,
                    "kind": str(e.kind),
                    "confidence": round(e.confidence, 4),
                }
                for e in self.lineage
            ],
            "unclustered": ids(self.unclustered),
        }


def _same(values: list[str]) -> list[str]:
    return values


def _plain_json_value(value: Any) -> Any:
    """What ``json.dumps`` makes of subclasses of JSON's scalar types (e.g. ``numpy.float64``)."""
    for plain in (float, int, str):
        if isinstance(value, plain):
            return plain(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain_json_value)


@dataclass(frozen=True, slots=True)
class AnalysisJsonParts:
    """The comma-separated, already encoded items of an analysis's ``sessions`` and ``lineage``
    arrays (empty bytes when there are none)."""

    sessions: bytes
    lineage: bytes


def join_json_parts(parts: Sequence[AnalysisJsonParts], unclustered: list[str]) -> bytes:
    """The ``analyze --json`` document of ``parts`` in their order plus ``unclustered``.

    Byte for byte what :meth:`Analysis.to_json_bytes` gives for one analysis holding every part's
    sessions and lineage in that order: the engine analyses each user apart (see
    :mod:`engine.sessions.record_stream`) and lists users in stream order, so analyses of
    consecutive runs of users, joined in user order, print exactly what one analysis of all of them
    prints.
    """
    pieces = [b'{"sessions":[']
    _comma_separated(pieces, [part.sessions for part in parts if part.sessions])
    pieces.append(b'],"lineage":[')
    _comma_separated(pieces, [part.lineage for part in parts if part.lineage])
    pieces += (b'],"unclustered":', _ENCODER.encode(unclustered), b"}")
    return b"".join(pieces)  # one copy of the parts (120 MB at 1,000,000 records)


def _comma_separated(pieces: list[bytes], items: list[bytes]) -> None:
    for at, item in enumerate(items):
        if at:
            pieces.append(b",")
        pieces.append(item)
