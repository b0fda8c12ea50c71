"""Five processes' worth of ``upgrade`` on one fresh database at the same instant: all succeed and the
schema is made exactly once (the migration advisory lock serialises them)."""

from __future__ import annotations

import threading

from catalog.migration_runner import upgrade
from tests.conftest import applied_versions

RUNNERS = 5


def test_concurrent_upgrades_on_a_fresh_database_all_succeed(empty_database_url: str) -> None:
    start = threading.Barrier(RUNNERS)
    errors: list[BaseException] = []

    def migrate() -> None:
        start.wait()
        try:
            upgrade(empty_database_url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    runners = [threading.Thread(target=migrate) for _ in range(RUNNERS)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)

    assert errors == []
    assert all(not runner.is_alive() for runner in runners)


async def test_after_concurrent_upgrades_the_database_is_at_head_once(empty_database_url: str) -> None:
    import asyncio

    from alembic.script import ScriptDirectory

    from catalog.migration_runner import alembic_config, upgrade_async

    results = await asyncio.gather(
        *(upgrade_async(empty_database_url) for _ in range(RUNNERS)), return_exceptions=True
    )

    assert [result for result in results if isinstance(result, BaseException)] == []
    head = ScriptDirectory.from_config(alembic_config(empty_database_url)).get_current_head()
    assert await applied_versions(empty_database_url) == [head]
