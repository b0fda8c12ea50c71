"""``Analysis.to_json_bytes``: the same document as ``to_json``, in one UTF-8 buffer."""

from __future__ import annotations

import json

import numpy as np

from engine.analysis import Analysis, Intent, LineageEdge, LineageKind, PhaseResult, SessionResult
from engine.session_analysis import analyze_records
from tests.engine.session_records import MOUNTAIN, NEON, T0, paced


def test_bytes_decode_to_the_to_json_document() -> None:
    records = [
        *paced("n", 0, 12, 1.0, NEON),
        *paced("m", 200, 8, 0.5, MOUNTAIN, cfg_scale=5.0),
        *paced("c", 400, 6, 2.0, "café au crépuscule, 夜の街"),
    ]
    analysis = analyze_records(records)

    encoded = analysis.to_json_bytes()

    assert json.loads(encoded) == analysis.to_json()
    assert len(analysis.sessions) >= 3
    assert b"\\u" not in encoded  # non-ASCII text is written as UTF-8, never escaped


def test_non_ascii_is_written_as_utf8_and_scalar_subclasses_as_plain_values() -> None:
    session = SessionResult(
        id="ses_1",
        user="zoë",
        tool="comfyui",
        started_at=T0,
        ended_at=T0,
        label="Café — 夜",
        intent=Intent.OPTIMIZATION,
        asset_ids=["a", "b"],
        phases=[
            PhaseResult(Intent.OPTIMIZATION, "sweep", ["a", "b"], {"values": [np.float64(5.5), 7.0]}),
        ],
        confidence=0.123456,
    )
    analysis = Analysis(
        sessions=[session],
        lineage=[LineageEdge("a", "b", LineageKind.PARAM_SWEEP, 0.987654)],
        unclustered=["u"],
    )

    encoded = analysis.to_json_bytes()

    assert "Café — 夜".encode() in encoded
    assert json.loads(encoded) == analysis.to_json()
    assert json.loads(encoded)["sessions"][0]["confidence"] == 0.1235
    assert json.loads(encoded)["sessions"][0]["phases"][0]["detail"] == {"values": [5.5, 7.0]}
