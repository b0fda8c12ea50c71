"""``python -m catalog.sessions.recluster_process USER_ID``: one full re-cluster, in a process of its own.

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


async def _recluster(database_url: str, user_id: uuid.UUID) -> ReclusterSummary:
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            return await recluster_user(session, user_id)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    database_url = os.environ.get("ATELIER_RECLUSTER_DATABASE_URL", "")
    if len(argv) != 1 or not database_url:
        print(f"usage: ATELIER_RECLUSTER_DATABASE_URL=... python -m {__spec__.name} USER_ID", file=sys.stderr)
        return 2
    summary = asyncio.run(_recluster(database_url, uuid.UUID(argv[0])))
    print(json.dumps(summary.to_json()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
