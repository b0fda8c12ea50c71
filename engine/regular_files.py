"""Opening a file for reading without ever blocking on something that is not a file.

``open(path)`` on a FIFO waits until a writer appears (forever, in a folder nobody writes to), and a
character device may never stop producing bytes. :func:`open_regular_file` opens with
``O_NONBLOCK`` — which returns at once for a FIFO and changes nothing for a regular file — checks
the opened descriptor with ``fstat`` (so a file swapped for a FIFO after it was listed is caught
too) and only then hands back an ordinary blocking binary file object.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KIND_NAMES = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDIR, "directory"),
)


class NotARegularFile(OSError):
    """The path names a FIFO, socket, device or folder; ``str()`` says which."""


def kind_of(mode: int) -> str:
    """A short name for the file type in ``st_mode`` (``"FIFO"``, ``"socket"``, …)."""
    for test, name in _KIND_NAMES:
        if test(mode):
            return name
    return "regular file" if stat.S_ISREG(mode) else "special file"


def open_regular_file(path: Path | str) -> BinaryIO:
    """``path`` opened for binary reading, or :class:`NotARegularFile` (never blocks on a FIFO).
    Other failures raise the usual :class:`OSError` subclasses. The caller closes the file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket (or a device with no driver) cannot be opened
            raise NotARegularFile(f"not a regular file: {kind_of(os.stat(path).st_mode)}") from None
        raise
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"not a regular file: {kind_of(mode)}")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
