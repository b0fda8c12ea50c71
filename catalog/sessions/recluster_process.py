"""``python -m catalog.sessions.recluster_process USER_ID [--keep-sessions]``: one full re-cluster (or,
with ``--keep-sessions``, a re-description: :mod:`catalog.sessions.redescription`), in a process of
its own.

Started by :func:`catalog.sessions.off_loop.recluster_user_in_child_process`; the database URL comes
in ``ATELIER_RECLUSTER_DATABASE_URL`` (kept off the command line, where other users could read it).
One transaction: committed when the re-cluster succeeds, rolled back when the process is killed.
Prints the summary as one JSON line on stdout; exits 1 with the error on stderr otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.sessions.reclustering import recluster_user
from catalog.sessions.reclustering_summary import ReclusterSummary

KEEP_SESSIONS = "--keep-sessions"


async def _recluster(database_url: str, user_id: uuid.UUID, keep_sessions: bool) -> ReclusterSummary:
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            return await recluster_user(session, user_id, keep_sessions=keep_sessions)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    database_url = os.environ.get("ATELIER_RECLUSTER_DATABASE_URL", "")
    keep_sessions = KEEP_SESSIONS in argv
    arguments = [argument for argument in argv if argument != KEEP_SESSIONS]
    if len(arguments) != 1 or not database_url:
        print(
            f"usage: ATELIER_RECLUSTER_DATABASE_URL=... python -m {__spec__.name} USER_ID [{KEEP_SESSIONS}]",
            file=sys.stderr,
        )
        return 2
    summary = asyncio.run(_recluster(database_url, uuid.UUID(arguments[0]), keep_sessions))
    print(json.dumps(summary.to_json()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
