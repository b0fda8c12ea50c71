"""``uploadAssets(files, lastModified)``: images sent over HTTP, imported like files on disk.

The files arrive as a multipart request (:mod:`api.graphql.multipart`: limits, 413s); this resolver
checks the arguments, then :func:`catalog.importing.uploads.import_uploads` stores and imports them
(one unit of work per import batch, as any import) and answers one result per file, in the order
sent. Scope ``library:write``: a token without it is refused before anything is read or stored.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import InvalidArgument
from api.graphql.types import Asset
from api.observability.metrics import record_import_outcome
from catalog.importing.discovery import IMAGE_SUFFIX_TEXT
from catalog.importing.uploads import IMPORT_OUTCOME_OF_UPLOAD, IncomingFile, import_uploads


@strawberry.enum(name="UploadOutcome", description="What became of one uploaded file")
class UploadOutcomeKind(Enum):
    IMPORTED = strawberry.enum_value("imported", description="Stored as a new image (`asset` is it)")
    DUPLICATE = strawberry.enum_value(
        "duplicate",
        description=(
            "The viewer already has these exact bytes, or they came earlier in this upload; `asset` is "
            "that image and nothing new was stored"
        ),
    )
    IGNORED = strawberry.enum_value(
        "ignored", description=f"Not an image file name ({IMAGE_SUFFIX_TEXT}); not stored"
    )
    PROBLEM = strawberry.enum_value(
        "problem", description="The file could not be imported (`reason` says why); the others still were"
    )


@strawberry.type(description="What became of one uploaded file")
class UploadResult:
    file_name: str = strawberry.field(
        description=(
            "The name the client sent, without any folder part and with control characters replaced by "
            "`_`: the image's fileName"
        )
    )
    outcome: UploadOutcomeKind = strawberry.field(description="Imported, duplicate, ignored or problem")
    reason: str | None = strawberry.field(
        description="Why it is a problem, ignored or a duplicate; for an import, a warning (or null)"
    )
    asset: Asset | None = strawberry.field(
        description="The image imported, or the one that already holds these bytes; null otherwise"
    )


@strawberry.type(description="The result of uploadAssets: one entry per file, in the order sent")
class UploadAssetsPayload:
    results: list[UploadResult] = strawberry.field(description="One per uploaded file, in the order sent")
    imported_count: int = strawberry.field(description="How many files became new images")
    sessions_changed: int = strawberry.field(
        description="Sessions the re-clustering after the import created or changed"
    )


async def upload_assets(
    info: Info[RequestContext, None],
    files: list[Upload],
    last_modified: list[datetime] | None,
) -> UploadAssetsPayload:
    context = info.context
    limits = context.settings
    if not files:
        raise InvalidArgument("`files` is empty: send at least one file.")
    if len(files) > limits.upload_max_files:
        raise InvalidArgument(
            f"`files` holds {len(files)} files; at most {limits.upload_max_files} per request."
        )
    uploads: list[UploadFile] = []
    for index, file in enumerate(files):
        if not isinstance(file, UploadFile):
            raise InvalidArgument(
                f"`files[{index}]` is not a file: send files as parts of a multipart/form-data request "
                "(GraphQL multipart request spec: fields `operations`, `map`, then the files)."
            )
        uploads.append(file)
    if last_modified is not None:
        if len(last_modified) != len(files):
            raise InvalidArgument(
                f"`lastModified` holds {len(last_modified)} times for {len(files)} files: give one per file."
            )
        for index, moment in enumerate(last_modified):
            if moment.tzinfo is None:
                raise InvalidArgument(
                    f"`lastModified[{index}]` has no UTC offset (e.g. 2026-03-14T20:00:00Z)."
                )
    incoming = []
    for index, upload in enumerate(uploads):
        await upload.seek(0)  # a part the map places twice is read twice
        incoming.append(
            IncomingFile(
                name=upload.filename,
                source=upload.file,
                modified=None if last_modified is None else last_modified[index],
            )
        )
    principal = context.principal
    assert principal is not None  # the permission classes ran first
    report = await import_uploads(
        context.session_factory,
        context.settings,
        user_id=principal.user_id,
        user_handle=principal.user_handle,
        files=incoming,
    )
    for result in report.results:  # an upload is an import: /metrics counts its files
        record_import_outcome(str(IMPORT_OUTCOME_OF_UPLOAD[result.outcome]))
    return UploadAssetsPayload(
        results=[
            UploadResult(
                file_name=result.file_name,
                outcome=UploadOutcomeKind(str(result.outcome)),
                reason=result.reason,
                asset=None if result.asset is None else Asset.from_row(result.asset),
            )
            for result in report.results
        ],
        imported_count=report.imported_count,
        sessions_changed=report.sessions_changed,
    )


UPLOAD_FILES_DESCRIPTION = (
    "The files, as parts of a multipart/form-data request (GraphQL multipart request spec); limits per "
    "file, per request and on their number answer 413"
)
LAST_MODIFIED_DESCRIPTION = (
    "Each file's last modification time (with a time zone), in the order of `files` (a browser's "
    "File.lastModified): kept as the stored file's mtime, which the readers use only when the file holds "
    "no better time. Null: the time of the upload, as a plain copy onto disk would have"
)
