"""The baseline of issue 11 §2: what a user could write in 20 lines instead of running ``atelier analyze``.

Reads a generation-records JSONL with ``json.loads`` per line, sorts by user and time, opens a session
at a tool switch or a gap over 30 minutes, and ``json.dump``s the sessions. Deliberately plain, and not
crippled: ``bench/engine_speed.py`` times the real command against it on the same file.

    python bench/naive_sessions.py records.jsonl > sessions.json
"""

import json
import sys
from datetime import datetime

GAP_SECONDS = 30 * 60


def main(path: str) -> None:
    with open(path, "rb") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    timed = [r for r in records if r.get("created_at")]
    for r in timed:
        r["_t"] = datetime.fromisoformat(r["created_at"]).timestamp()
    timed.sort(key=lambda r: (r.get("user") or "", r["_t"]))
    sessions: list[dict] = []
    previous: dict | None = None
    for r in timed:
        if (
            previous is None
            or (r.get("user"), r.get("tool")) != (previous.get("user"), previous.get("tool"))
            or r["_t"] - previous["_t"] > GAP_SECONDS
        ):
            sessions.append({"user": r.get("user"), "tool": r.get("tool"), "started_at": r["created_at"]})
            sessions[-1]["asset_ids"] = []
        sessions[-1]["asset_ids"].append(r["id"])
        sessions[-1]["ended_at"] = r["created_at"]
        previous = r
    unclustered = [r["id"] for r in records if not r.get("created_at")]
    json.dump({"sessions": sessions, "unclustered": unclustered}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
