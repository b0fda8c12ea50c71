"""What can be checked of the container packaging without a Docker engine."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from typer.main import get_command

from api.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _cli_commands() -> set[str]:
    return set(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_image_entry_point_and_its_commands_exist() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["atelier"] == "api.cli:app"
    assert {"serve", "worker", "import", "analyze", "migrate", "demo", "user", "token"} <= _cli_commands()


def test_dockerfile_is_multi_stage_non_root_cpu_torch_with_healthcheck() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert sum(line.startswith("FROM ") for line in lines) >= 2
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    torch_installs = [line for line in lines if "torch==" in line]
    assert torch_installs and all("torch==2.13.0" in line for line in torch_installs)
    assert "$TORCH_INDEX_URL" in torch_installs[0]  # the CPU wheel index, never PyPI's CUDA builds
    assert 'ENTRYPOINT ["atelier"]' in lines and 'CMD ["serve"]' in lines
    assert any("ATELIER_REQUIRE_SERVICES=true" in line for line in lines)
    for copied in ("api", "engine", "catalog", "billing", "reflection", "migrations"):
        assert f"COPY {copied} ./{copied}" in lines


def test_compose_wires_postgres_redis_api_and_worker() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "api", "worker"} <= set(services)
    assert "pgvector" in services["db"]["image"]
    for name, command in (("api", "serve"), ("worker", "worker")):
        service = services[name]
        assert service["command"] == [command] and command in _cli_commands()
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert service["environment"]["REDIS_URL"].startswith("redis://")
        assert any(volume.endswith(":/data") for volume in service["volumes"])
        # production needs one shared signing key and shared thumbnails for every service
        assert service["environment"]["ATELIER_SECRET_KEY"].startswith("${ATELIER_SECRET_KEY:?")
        assert service["environment"]["ATELIER_REQUIRE_SERVICES"] == "true"
        assert service["environment"]["ATELIER_THUMBNAIL_DIR"].startswith("/data/")
    assert services["api"]["environment"]["ATELIER_EMBED_WORKER"] == "false"
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "atelier", "worker", "--check"]
    assert "atelier-data" in compose["volumes"]
