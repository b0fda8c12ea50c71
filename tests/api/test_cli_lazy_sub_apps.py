"""The ``credits`` / ``import-export`` sub-apps: listed by ``atelier --help`` without being imported,
loaded when a command line names them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import LAZY_SUB_APPS, app, load_sub_app
from tests.api.conftest import modules_imported_by


def test_help_lists_the_sub_apps_without_importing_them() -> None:
    imported, stdout = modules_imported_by("--help")
    assert "api.cli" in imported  # the report is real: the command line was imported
    sub_app_modules = {module for module, _, _ in LAZY_SUB_APPS.values()}
    assert not imported & sub_app_modules
    assert not {name for name in imported if name.split(".")[0] in ("sqlalchemy", "alembic", "asyncpg")}
    listing = " ".join(stdout.replace("│", " ").split())
    assert "credits Grant and inspect credits (admin)." in listing
    assert "import-export Import a tool's own record of generation times" in listing


@pytest.mark.parametrize("name", sorted(LAZY_SUB_APPS))
def test_the_listed_help_is_the_sub_apps_own(name: str) -> None:
    """The help written in ``LAZY_SUB_APPS`` cannot drift from the sub-app's."""
    assert load_sub_app(name).help == LAZY_SUB_APPS[name][2]


@pytest.mark.parametrize(("name", "subcommand"), [("credits", "grant"), ("import-export", "comfyui-history")])
def test_naming_a_sub_app_loads_and_runs_it(name: str, subcommand: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"], prog_name="atelier")
    assert result.exit_code == 0, result.output
    assert f"atelier {name} [OPTIONS] COMMAND" in " ".join(result.output.split())
    assert subcommand in result.output
