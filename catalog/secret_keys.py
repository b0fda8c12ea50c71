"""The key that signs thumbnail URLs: what a usable one is, and where ``atelier serve`` gets it.

Invariants:

- a usable key is at least :data:`MIN_SECRET_KEY_BYTES` bytes of UTF-8 text without NUL, white space
  around it ignored (``atelier serve`` hands it to its workers in an environment variable); a shorter
  one would let anyone who guesses it forge thumbnail URLs, so it is refused wherever it comes from —
  ``ATELIER_SECRET_KEY`` (:class:`catalog.settings.AtelierSettings`), ``ATELIER_HOME/secret.key``
  (:func:`load_or_create_secret`) or a backup (:mod:`catalog.backup_files`);
- a key file is made once per home, written whole under another name and linked into place (mode
  0600), so a process starting beside another never reads it half-written, and two never make two.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from typing import TYPE_CHECKING

from catalog.settings_error import SettingsError

if TYPE_CHECKING:
    from catalog.settings import AtelierSettings

MIN_SECRET_KEY_BYTES = 32
"""The shortest signing key accepted (``secrets.token_hex(32)``, what Atelier makes, is 64)."""
KEY_FILE_NAME = "secret.key"


def secret_key_material(raw: bytes) -> bytes | None:
    """The usable key ``raw`` holds (surrounding white space removed), ``None`` when it holds none."""
    material = raw.strip()
    if len(material) < MIN_SECRET_KEY_BYTES or b"\x00" in material:
        return None
    try:
        material.decode()
    except UnicodeDecodeError:
        return None
    return material


def load_or_create_secret(settings: AtelierSettings) -> bytes:
    """``ATELIER_SECRET_KEY`` when set (already checked by the settings), else the key kept in
    ``ATELIER_HOME/secret.key``, made there (64 random hex digits) when there is none.

    A key file holding no usable key (empty, short, binary) is a :class:`SettingsError` naming the
    file and what to do; it is never used, and left as it is for the user to look at."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.home / KEY_FILE_NAME
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        handle, part = tempfile.mkstemp(dir=settings.home, prefix=f".{KEY_FILE_NAME}.")  # mode 0600
        try:
            with os.fdopen(handle, "w") as written:
                written.write(secrets.token_hex(32))
            os.link(part, path)
        except FileExistsError:
            pass  # another process made it first: use that one
        except OSError:  # a file system without hard links: move the whole file into place instead
            if not path.exists():
                os.replace(part, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SettingsError(f"{path} cannot be read ({error.strerror or error})") from None
    material = secret_key_material(raw)
    if material is None:
        raise SettingsError(
            f"{path} holds no usable thumbnail-signing key ({len(raw.strip())} bytes; at least "
            f"{MIN_SECRET_KEY_BYTES} bytes of text are needed). Put back the secret.key of a backup, or "
            "delete the file and a new key is made (thumbnail URLs signed with the old one stop working)"
        )
    return material


def checked_environment_key(value: str | None) -> str | None:
    """``ATELIER_SECRET_KEY`` as the settings keep it: ``None`` when unset or blank (the home's key
    file is used then), else the key without surrounding white space, or :class:`ValueError` saying
    why it is refused — never quoting it."""
    if value is None or not value.strip():
        return None
    material = secret_key_material(value.encode())
    if material is None:
        raise ValueError(
            f"a thumbnail-signing key needs at least {MIN_SECRET_KEY_BYTES} bytes of text (this one has "
            f"{len(value.strip().encode())}); a short key lets anyone forge thumbnail URLs. Make one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return material.decode()
