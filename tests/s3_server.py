"""A real S3-protocol server for the bucket backend's tests: moto's standalone server in a
thread on a free port of this machine (``moto[server]``, a dev dependency). Missing, it
fails the run under CI=true and skips elsewhere, like every other service the tests use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from helpers import free_port, missing

from fair.config import Settings

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    url: str

    def client(self) -> Any:
        """A plain boto3 client: what the tests look into the bucket with."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION, **KEYS)

    def new_bucket(self) -> str:
        name = f"kk-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, settings: Settings, bucket: str, **overrides: Any) -> Settings:
        """``settings`` with media in ``bucket`` (under a prefix, as shared buckets use)."""
        return settings.with_overrides(
            storage="s3",
            s3_bucket=bucket,
            s3_endpoint_url=self.url,
            s3_region=REGION,
            s3_prefix="media/",
            s3_access_key_id=KEYS["aws_access_key_id"],
            s3_secret_access_key=KEYS["aws_secret_access_key"],
            s3_path_style=True,
            **overrides,
        )

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def body(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def run_s3_server() -> Iterator[S3Server]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing("moto[server] is not installed: pip install -e '.[dev]'")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
