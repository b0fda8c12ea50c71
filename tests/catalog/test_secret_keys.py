"""The thumbnail-signing key (:mod:`catalog.secret_keys`).

What failed before (backup/restore QA probe): any ``secret.key`` was used as it was — an empty one
signed every thumbnail URL with the key ``b''``, which anyone can forge.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from catalog.secret_keys import load_or_create_secret
from catalog.settings import AtelierSettings, load_settings
from catalog.settings_error import SettingsError


def _settings(home: Path, secret_key: str | None = None) -> AtelierSettings:
    return AtelierSettings(home=home, database_url=None, redis_url=None, secret_key=secret_key)


def test_a_home_without_a_key_gets_a_random_one_kept_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "home")
    key = load_or_create_secret(settings)
    path = settings.home / "secret.key"
    assert re.fullmatch(rb"[0-9a-f]{64}", key)
    assert path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(settings) == key
    assert [child.name for child in settings.home.iterdir()] == ["secret.key"]  # no temporary file left


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"short key\n", b"\x00" * 40, b"\xff" * 40],
    ids=["empty", "newline", "short", "nul", "not-utf-8"],
)
def test_an_empty_short_or_binary_key_file_is_refused_with_what_to_do(tmp_path: Path, content: bytes) -> None:
    settings = _settings(tmp_path / "home")
    settings.home.mkdir()
    (settings.home / "secret.key").write_bytes(content)
    with pytest.raises(SettingsError) as raised:
        load_or_create_secret(settings)
    message = str(raised.value)
    assert str(settings.home / "secret.key") in message
    assert "at least 32 bytes" in message and "delete the file and a new key is made" in message
    assert (settings.home / "secret.key").read_bytes() == content  # left for the user to look at


def test_a_key_file_is_read_without_the_white_space_around_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "home")
    settings.home.mkdir()
    (settings.home / "secret.key").write_text("  " + "a" * 32 + "\n")
    assert load_or_create_secret(settings) == b"a" * 32


def test_atelier_secret_key_is_used_as_set_and_no_file_is_made(tmp_path: Path) -> None:
    shared = "f" * 64
    settings = _settings(tmp_path / "home", secret_key=shared)
    assert load_or_create_secret(settings) == shared.encode()
    assert not (settings.home / "secret.key").exists()


@pytest.mark.parametrize("given", ["hunter2", "x" * 31, " " + "é" * 15 + " "], ids=["5", "31", "30-bytes"])
def test_a_short_atelier_secret_key_is_refused_without_being_quoted(
    given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to be taken as set ("its length is the operator's choice"): a guessable key signs
    thumbnail URLs anyone can forge. The error names the variable and the rule, never the key."""
    monkeypatch.setenv("ATELIER_SECRET_KEY", given)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("ATELIER_SECRET_KEY: a thumbnail-signing key needs at least 32 bytes")
    assert "secrets.token_hex(32)" in message
    assert given.strip() not in message


def test_a_blank_atelier_secret_key_means_the_homes_key_and_white_space_around_one_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ATELIER_SECRET_KEY", "  \n")
    blank = load_settings()
    assert blank.secret_key is None
    assert re.fullmatch(rb"[0-9a-f]{64}", load_or_create_secret(blank))
    monkeypatch.setenv("ATELIER_SECRET_KEY", " " + "k" * 32 + "\n")
    assert load_or_create_secret(load_settings()) == b"k" * 32
