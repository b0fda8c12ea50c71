"""Where thumbnail bytes live: one interface (:class:`ThumbnailStore`), a local folder or an
S3-compatible bucket, chosen by the settings (:func:`thumbnail_store`)."""

from catalog.storage.thumbnail_store import ThumbnailStore, thumbnail_store

__all__ = ["ThumbnailStore", "thumbnail_store"]
