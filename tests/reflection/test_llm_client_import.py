"""The openai SDK is loaded by the first curator client, not by importing the app or the client module.

Importing ``openai`` costs 0.76-1.2 s (its ``types`` package); the API server only queues
reflections and paid for it in every process it started (``serve --workers`` too)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    command = [sys.executable, "-X", "importtime", "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}


def test_the_app_and_the_curator_modules_load_without_the_openai_sdk() -> None:
    imported = _modules_after("import api.app, api.worker, reflection.backends, reflection.llm_client")
    assert "reflection.llm_client" in imported and "api.app" in imported
    assert "openai" not in imported


def test_the_first_client_loads_it() -> None:
    imported = _modules_after(
        "from reflection.llm_client import CuratorLlm, LlmSettings\n"
        "CuratorLlm(LlmSettings(base_url='http://127.0.0.1:9/v1', api_key='k', model='m'))"
    )
    assert "openai" in imported
