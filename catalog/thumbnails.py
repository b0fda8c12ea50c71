"""WEBP thumbnails, 256 px on the long side, content-addressed in a thumbnail store.

Content-addressed: ``sha`` is the SHA-256 of the thumbnail bytes, so identical thumbnails are stored
once and an address never changes meaning. Bytes go to a :class:`~catalog.storage.ThumbnailStore`
(a local folder, ``<thumbnails_dir>/<sha[:2]>/<sha>.webp``, or an S3-compatible bucket); a reader
never sees half an object.
This module decodes pixels; it is never on the metadata path (imports call it after the records
are stored). The built-in visual descriptor is computed here from the thumbnail's pixels, so the
engine's visual signal costs no extra decode.

Formats: whatever the metadata readers accept (PNG, JPEG, WEBP, AVIF). AVIF needs Pillow's AVIF plugin
(built into Pillow ≥ 11.3 with libavif): without it an AVIF source is a lasting failure that says so
(:data:`AVIF_DECODING`), and :data:`THUMBNAIL_DECODER` names the missing support, so the file is tried
again once a Pillow that has it is installed.

Hostile files: the source is opened without blocking (a FIFO is refused, never waited on), its
declared size is checked against :data:`MAX_THUMBNAIL_SOURCE_PIXELS` and :data:`MAX_SIDE_PX` before
any pixel is decoded, and broken EXIF only costs the orientation (the thumbnail is made unrotated).
Whatever else goes wrong with one file — Pillow raises ``struct.error``, ``OverflowError``,
``MemoryError`` on some inputs — :func:`render_thumbnail` raises :class:`ThumbnailError` with the
cause, so callers handle one exception type per file and go on with the next. The error says whether
it is *lasting*: the file opened and its content cannot be rendered (broken pixels, a refused declared
size), which no retry of the same bytes changes; a file that cannot be opened (moved, unreadable, not a
regular file) or an I/O or memory failure is not lasting, and is tried again later.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import PIL
from PIL import Image, ImageOps, UnidentifiedImageError, features

from catalog.storage.local import LocalThumbnailStore
from catalog.storage.thumbnail_store import InvalidAddress, ThumbnailStore
from engine.features.visual_descriptor import visual_descriptor
from engine.metadata.container import sniff_format
from engine.regular_files import NotARegularFile, open_regular_file

MAX_THUMBNAIL_SOURCE_PIXELS = 200_000_000
"""Largest source (width × height) decoded for a thumbnail: well above real generations (a 16k × 12k
upscale is 192 M); larger declared sizes are refused before decoding (decompression bombs)."""
MAX_SIDE_PX = 65_535
"""Longest side decoded (the JPEG and WEBP formats' own limit; a PNG claiming more is refused)."""
MAX_WEBP_SOURCE_PIXELS = 8192 * 8192
"""Largest WEBP source (width × height; an animation's canvas) decoded: a 4× upscale of a 2048² render.
Pillow decodes every WEBP through libwebp's animation decoder, which keeps its own canvas (two, for an
animation) that Pillow then copies: some 16 bytes a pixel where a PNG or JPEG costs 4, so a WEBP at
:data:`MAX_THUMBNAIL_SOURCE_PIXELS` took 3.7 GB (a 102-byte animated WEBP declaring a 16000 × 12000
canvas). At this bound a WEBP costs about what a PNG near the general bound does (measured: 1.08 GB for
an 8192 × 8192 WEBP, 1.55 GB for a 14000 × 14000 RGBA PNG, whose resize premultiplies a full copy)."""
Image.MAX_IMAGE_PIXELS = MAX_THUMBNAIL_SOURCE_PIXELS
AVIF_DECODING = bool(features.check("avif"))
"""Whether this Pillow decodes AVIF (its ``_avif`` extension, built with libavif, is importable)."""
if AVIF_DECODING:
    from PIL import AvifImagePlugin

    AvifImagePlugin.DEFAULT_MAX_THREADS = 1
    """libavif decodes on every core by default; thumbnails are made by a pool of one process per core."""
THUMBNAIL_DECODER = (
    f"Pillow {PIL.__version__}; at most {MAX_THUMBNAIL_SOURCE_PIXELS} pixels "
    f"({MAX_WEBP_SOURCE_PIXELS} for WEBP), {MAX_SIDE_PX} a side; "
    "PNG text chunks and colour profiles skipped" + ("" if AVIF_DECODING else "; no AVIF support")
)
"""What decides whether a file's content can be rendered. A lasting failure is lasting for this decoder
only: it is recorded with it (``assets.thumbnail_error_decoder``) and tried again once it changes (a
Pillow upgrade reads what an older one could not; a raised limit accepts a refused size)."""
# Pillow warns between 1x and 2x its bound and refuses beyond; we refuse from 1x ourselves
# (``_check_declared_size``), so its warning would only be noise on stderr.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ThumbnailError(ValueError):
    """Why a thumbnail cannot be made; its text is ``"<source>: <reason>"`` when the file is known."""

    def __init__(self, reason: str, *, lasting: bool = False, source: Path | None = None) -> None:
        super().__init__(reason if source is None else f"{source}: {reason}")
        self.reason = reason
        """Why, without the file's path (what a report beside the path shows)."""
        self.lasting = lasting
        """The file's content cannot be rendered: the same bytes would fail again (see the module)."""
        self.source = source

    def __reduce__(self) -> tuple[Any, tuple[str, bool, Path | None]]:
        # raised in a pool worker, it crosses to the parent pickled: keep every field on the way
        return _thumbnail_error, (self.reason, self.lasting, self.source)


def _thumbnail_error(reason: str, lasting: bool, source: Path | None) -> ThumbnailError:
    return ThumbnailError(reason, lasting=lasting, source=source)


VISUAL_MODEL = "atelier-descriptor-160"
"""``assets.visual_model`` of the built-in descriptor (``engine.features.visual_descriptor``)."""


@dataclass(frozen=True, slots=True)
class MadeThumbnail:
    sha256: str
    """Content address of the stored WEBP."""
    descriptor: np.ndarray
    """The built-in visual descriptor of the thumbnail (unit float32 vector)."""


def render_thumbnail(source: Path, *, size_px: int = 256) -> tuple[bytes, np.ndarray]:
    """WEBP bytes of ``source`` scaled to ``size_px`` on its long side (never upscaled), and the
    visual descriptor of those same pixels (computed before encoding: no second decode)."""
    try:
        handle = open_regular_file(source)
    except NotARegularFile as error:  # a FIFO where the image was: not the content's fault
        raise ThumbnailError(str(error), source=source) from error
    except OSError as error:  # moved, unreadable: the file may be back later
        raise ThumbnailError(f"cannot open the file ({_describe(error)})", source=source) from error
    try:
        with handle:
            _check_decodable_format(handle)
            with Image.open(_without_png_text(handle)) as opened:
                _check_declared_size(opened.size, opened.format)
                opened.draft("RGB", (size_px, size_px))  # JPEG: decode at reduced scale
                opened.load()  # decode now: a broken pixel stream is this file's error, never hidden below
                # scaled in place before it is turned upright: turning copies the image, which at full
                # size doubled the memory a large source costs (2.3 GB for a 14000 x 14000 PNG)
                opened.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
                image = _upright(opened)
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                descriptor = visual_descriptor(image.convert("RGB"))
                buffer = io.BytesIO()
                image.save(buffer, format="WEBP", quality=80, method=4)
    except ThumbnailError as error:
        raise ThumbnailError(error.reason, lasting=error.lasting, source=source) from error
    except Exception as error:  # any decoder failure is this file's problem only
        raise ThumbnailError(
            f"cannot render a thumbnail ({_describe(error)})", lasting=_lasting(error), source=source
        ) from error
    return buffer.getvalue(), descriptor


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_SKIPPED_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt", b"iCCP"})
"""PNG chunks a thumbnail is decoded without: the text chunks (metadata) and the embedded colour profile,
which the thumbnail does not use (Pillow applies no profile when decoding, and the WEBP it writes
carries none) but Pillow inflates, refusing the whole picture past 1 MB: a valid image would never get a
thumbnail because of a hostile (or merely huge) profile."""


def _without_png_text(handle: BinaryIO) -> BinaryIO:
    """``handle``, or for a PNG with text chunks (or a colour profile) a read-only view of it without
    them (:data:`_PNG_SKIPPED_CHUNKS`).

    Text chunks are metadata, which the readers read (bounded there, :mod:`engine.metadata`); the
    thumbnail needs none of it. Pillow inflates every zTXt and compressed iTXt and refuses the whole
    picture when one inflates past 1 MB or all of them past 64 MB (``Decompressed data too large``):
    a valid image would never get a thumbnail because of its metadata. The chunks around them are
    kept byte for byte, so a file that is broken otherwise fails exactly as before (a chunk cut by the
    end of the file ends the scan and is passed on as it is)."""
    handle.seek(0)
    if handle.read(8) != _PNG_SIGNATURE:
        handle.seek(0)
        return handle
    size = os.fstat(handle.fileno()).st_size
    kept: list[tuple[int, int]] = []  # (start, end) of the ranges before each skipped chunk
    start, position = 0, len(_PNG_SIGNATURE)
    while position + 8 <= size:
        handle.seek(position)
        length, kind = struct.unpack(">I4s", handle.read(8))
        end = position + 12 + length
        if end > size:
            break
        if kind in _PNG_SKIPPED_CHUNKS:
            kept.append((start, position))
            start = end
        if kind == b"IEND":
            break
        position = end
    handle.seek(0)
    if not kept:
        return handle
    kept.append((start, size))
    return cast(BinaryIO, io.BufferedReader(_Spans(handle, kept), buffer_size=1 << 16))


class _Spans(io.RawIOBase):
    """A read-only, seekable view of the byte ranges ``spans`` (``(start, end)`` in ``handle``, in
    order, not overlapping) of an open file, joined end to end."""

    def __init__(self, handle: BinaryIO, spans: list[tuple[int, int]]) -> None:
        super().__init__()
        self._handle = handle
        self._spans = [(first, last) for first, last in spans if last > first]
        self._starts: list[int] = []  # where each span begins in the view
        total = 0
        for first, last in self._spans:
            self._starts.append(total)
            total += last - first
        self._size = total
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        first, last = self._spans[index]
        at = first + self._position - self._starts[index]
        view = memoryview(buffer).cast("B")
        count = min(len(view), last - at)
        self._handle.seek(at)
        data = self._handle.read(count)
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


_SNIFF_BYTES = 4096
"""Leading bytes read to tell the format (an AVIF's ``ftyp`` box lists its brands there)."""


def _check_decodable_format(handle: BinaryIO) -> None:
    """Refuse an AVIF source when this Pillow cannot decode AVIF (:data:`AVIF_DECODING`), with a reason
    that says so, rather than Pillow's "cannot identify image file". Lasting: the same bytes fail
    again with this decoder (:data:`THUMBNAIL_DECODER` names the missing support)."""
    if AVIF_DECODING:
        return
    handle.seek(0)
    head = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    if sniff_format(head) == "avif":
        raise ThumbnailError(
            "cannot decode AVIF images: this Pillow has no AVIF support (Pillow ≥ 11.3 built with libavif)",
            lasting=True,
        )


def _lasting(error: Exception) -> bool:
    """Whether a failure while decoding an opened file is its content's: Pillow reports broken data as
    plain exceptions (``OSError`` without an errno for a truncated stream, ``SyntaxError``,
    ``ValueError`` …); an ``OSError`` with an errno is the system's (EIO on a failing disk or share)
    and running out of memory is this machine's, so those are tried again."""
    if isinstance(error, MemoryError):
        return False
    return not (isinstance(error, OSError) and error.errno is not None)


def _check_declared_size(size: tuple[int, int], image_format: str | None = None) -> None:
    """Refuse (lasting) a declared size out of range, or over the pixel bound of its format
    (:data:`MAX_THUMBNAIL_SOURCE_PIXELS`, :data:`MAX_WEBP_SOURCE_PIXELS`), before any pixel is decoded."""
    width, height = size
    if width <= 0 or height <= 0 or width > MAX_SIDE_PX or height > MAX_SIDE_PX:
        raise ThumbnailError(f"declared image size {width}x{height} is out of range", lasting=True)
    limit = MAX_WEBP_SOURCE_PIXELS if image_format == "WEBP" else MAX_THUMBNAIL_SOURCE_PIXELS
    if width * height > limit:
        kind = "WEBP " if image_format == "WEBP" else ""
        raise ThumbnailError(
            f"declared {kind}image size {width}x{height} is over {limit} pixels "
            "(possible decompression bomb)",
            lasting=True,
        )


def _upright(opened: Image.Image) -> Image.Image:
    """``opened`` (already decoded) turned by its EXIF orientation; unturned when the EXIF block
    cannot be parsed (Pillow raises ``struct.error`` on a truncated TIFF header). Only EXIF errors
    can reach this guard: pixel decoding happened before, so a broken image is never hidden here."""
    try:
        return ImageOps.exif_transpose(opened)
    except Exception:
        opened.info.pop("exif", None)
        with contextlib.suppress(Exception):
            opened.getexif().clear()  # keep a broken block from failing the WEBP save as well
        return opened


def _describe(error: BaseException) -> str:
    """``error`` in one line for a report. Pillow's "cannot identify image file <_io.BufferedReader
    name=21>" names an open file object of this process, which a report (an upload's ``reason``) must
    not show: it is said in words instead."""
    if isinstance(error, UnidentifiedImageError):
        return f"{type(error).__name__}: Pillow cannot identify the image (its data is cut short or unknown)"
    message = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def thumbnail_path(thumbnails_dir: Path, sha256_hex: str) -> Path:
    """Where a local folder keeps the thumbnail (the layout of :class:`LocalThumbnailStore`)."""
    try:
        return LocalThumbnailStore(thumbnails_dir).path_of(sha256_hex)
    except InvalidAddress as error:
        raise ThumbnailError(str(error)) from error


def store_thumbnail(store: ThumbnailStore | Path, webp: bytes) -> str:
    """Store ``webp`` under its content address (idempotent) and return the address. ``store`` is a
    :class:`~catalog.storage.ThumbnailStore`, or a local folder (a :class:`Path`)."""
    sha = hashlib.sha256(webp).hexdigest()
    _as_store(store).put(sha, webp)
    return sha


def make_thumbnail(source: Path, store: ThumbnailStore | Path, *, size_px: int = 256) -> MadeThumbnail:
    webp, descriptor = render_thumbnail(source, size_px=size_px)
    return MadeThumbnail(store_thumbnail(store, webp), descriptor)


def _as_store(store: ThumbnailStore | Path) -> ThumbnailStore:
    return LocalThumbnailStore(store) if isinstance(store, Path) else store
