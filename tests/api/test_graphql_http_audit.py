"""graphql-http's server audit (the GraphQL-over-HTTP reference implementation's conformance suite)
run with Node against a real ``atelier serve``: every audit passes (issue 9, item 12).

Skipped, with the reason, where ``node``/``npm`` are missing or the package cannot be installed (no
registry); the package is installed into pytest's temporary folder, never into the repository.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import atelier_env, free_port, make_user_with_token, start_serve, until_healthy

AUDIT_SCRIPT = Path(__file__).with_name("graphql_http_audit.mjs")
PACKAGES = ["graphql-http@^1.22", "graphql@^16"]


@pytest.fixture(scope="session")
def graphql_http_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``node_modules`` folder holding graphql-http (installed once per session, in pytest's tmp)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the graphql-http audit needs `node` and `npm`, and this machine lacks them")
    prefix = tmp_path_factory.mktemp("graphql-http")
    modules = prefix / "node_modules"
    if not (modules / "graphql-http" / "package.json").exists():
        try:
            installed = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), *PACKAGES],
                capture_output=True, text=True, timeout=180,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.skip("`npm install graphql-http` timed out (no registry reachable?)")
        if installed.returncode != 0:
            pytest.skip(
                f"`npm install graphql-http` failed (no registry reachable?): {installed.stderr[-500:]}"
            )
    return modules


async def test_the_graphql_http_server_audit_passes_in_full(
    graphql_http_modules: Path, queue_settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "auditor")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = atelier_env(queue_settings, ATELIER_PROMPT_EMBEDDINGS="false")
    process = await start_serve(env, port, stderr=asyncio.subprocess.DEVNULL)
    try:
        await until_healthy(base_url, process)
        audit = await asyncio.create_subprocess_exec(
            "node", str(AUDIT_SCRIPT), f"{base_url}/graphql",
            env=os.environ | {"NODE_PATH": str(graphql_http_modules), "GRAPHQL_HTTP_TOKEN": token},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(audit.communicate(), timeout=120)
        assert audit.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=60)

    results = json.loads(out)
    assert len(results) >= 61, results  # graphql-http 1.22 has 61 server audits
    failures = [
        f"{r['id']} {r['status']}: {r['name']} — {r['reason']}" for r in results if r["status"] != "ok"
    ]
    assert not failures, "\n".join(failures)
