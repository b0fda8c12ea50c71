"""A local S3-compatible server for tests: moto's server mode on loopback (a real HTTP server speaking
the S3 API, in a thread of the test process), with one bucket made for the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Loopback:
    endpoint_url: str
    bucket: str

    def client(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def settings_update(self, **extra: object) -> dict[str, object]:
        """Fields of ``AtelierSettings`` that point thumbnail storage at this server."""
        return {
            "s3_bucket": self.bucket,
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY,
            "s3_secret_access_key": SECRET_KEY,
            "s3_prefix": "thumbs/",
            **extra,
        }


@contextmanager
def s3_loopback() -> Iterator[S3Loopback]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        loopback = S3Loopback(endpoint_url=f"http://{host}:{port}", bucket=f"atelier-{uuid.uuid4().hex[:12]}")
        loopback.client().create_bucket(Bucket=loopback.bucket)  # type: ignore[attr-defined]
        yield loopback
    finally:
        server.stop()
