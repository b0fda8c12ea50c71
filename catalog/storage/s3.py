"""Thumbnails in an S3-compatible bucket (AWS S3, MinIO, R2, …) through boto3.

Keys are ``<prefix><sha>.webp``; ``put_object`` is atomic on the server side, so a reader never sees
half an object and writing an address twice stores the same bytes. One boto3 client per store
(boto3 clients are thread-safe); every call is blocking, run from a thread by async callers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from catalog.settings import AtelierSettings
from catalog.storage.thumbnail_store import check_address

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3ThumbnailStore:
    def __init__(self, client: Any, bucket: str, *, prefix: str = "", presigned_seconds: int = 300) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix
        self.presigned_seconds = presigned_seconds

    @classmethod
    def from_settings(cls, settings: AtelierSettings) -> S3ThumbnailStore:
        if not settings.s3_bucket:
            raise ValueError("ATELIER_S3_BUCKET is not set")
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4"),
        )
        return cls(
            client,
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            presigned_seconds=settings.s3_presigned_seconds,
        )

    def key_of(self, sha256_hex: str) -> str:
        return f"{self.prefix}{check_address(sha256_hex)}.webp"

    def put(self, sha256_hex: str, data: bytes) -> None:
        self._client.put_object(
            Bucket=self.bucket,
            Key=self.key_of(sha256_hex),
            Body=data,
            ContentType="image/webp",
            CacheControl="private, max-age=3600",
        )

    def read(self, sha256_hex: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key_of(sha256_hex))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, sha256_hex: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key_of(sha256_hex))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def delete(self, sha256_hex: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self.key_of(sha256_hex))  # none there: no error

    def local_path(self, sha256_hex: str) -> Path | None:
        return None

    def presigned_url(self, sha256_hex: str) -> str | None:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.key_of(sha256_hex)},
            ExpiresIn=self.presigned_seconds,
        )
        return url


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING_CODES
