"""Settings from the environment: a value that cannot be used is one error naming its variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.settings import load_settings
from catalog.settings_error import SettingsError

ATELIER = Path(sys.executable).with_name("atelier")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ATELIER_PORT", "99999", "ATELIER_PORT: Input should be less than or equal to 65535 (got '99999')"),
        ("ATELIER_PORT", "-1", "ATELIER_PORT: Input should be greater than or equal to 0 (got '-1')"),
        ("ATELIER_DEBUG", "maybe", "ATELIER_DEBUG: Input should be a valid boolean"),
        # credits past GraphQL's 32-bit Int would break every balance and price an app reads
        (
            "ATELIER_SIGNUP_CREDITS",
            "2147483648",
            "ATELIER_SIGNUP_CREDITS: Input should be less than or equal",
        ),
        ("ATELIER_DEMO_CREDITS", "99999999999", "ATELIER_DEMO_CREDITS: Input should be less than or equal"),
        (
            "ATELIER_CURATOR_CREDIT_RATE",
            "1e12",
            "ATELIER_CURATOR_CREDIT_RATE: Input should be less than or equal",
        ),
    ],
)
def test_a_setting_that_cannot_be_used_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("command", [["migrate"], ["serve"], ["import", "."]])
def test_every_command_reports_a_bad_setting_in_one_line(tmp_path: Path, command: list[str]) -> None:
    result = subprocess.run(
        [str(ATELIER), *command],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=os.environ | {"ATELIER_HOME": str(tmp_path), "ATELIER_PORT": "99999", "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        "error: invalid setting: ATELIER_PORT: Input should be less than or equal to 65535" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_folders_are_absolute_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative ``ATELIER_HOME=data`` must name the same folder for the embedded servers (which run
    in their own working directory) and for a later command started elsewhere."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ATELIER_HOME", "data")
    monkeypatch.setenv("ATELIER_THUMBNAIL_DIR", "thumbs")
    monkeypatch.setenv("ATELIER_UPLOAD_DIR", "~/uploads")
    monkeypatch.setenv("ATELIER_WATCH_FOLDERS", '["inbox"]')
    settings = load_settings()
    assert settings.home == tmp_path / "data"
    assert settings.embedded_redis_dir == tmp_path / "data" / "redis"
    assert settings.thumbnails_dir == tmp_path / "thumbs"
    assert settings.uploads_dir == Path.home() / "uploads"
    assert settings.watch_folders == [tmp_path / "inbox"]
