"""Media in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO): the ``Storage`` of
fair/storage.py for app processes and workers on several machines.

The client is aioboto3 (aiobotocore underneath): its signed URLs take the response headers
a download needs (``response-content-disposition``, ``-type``, ``-cache-control``). Memory
stays bounded both ways: a staged file is uploaded in parts of ``PART_BYTES``, one at a
time, and a download is streamed on in chunks as the bucket sends them.

The client holds an HTTP connection pool tied to the event loop that made it, so it is made
on first use (in the loop of the app, the worker or the command) and closed by ``aclose``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import mimetypes
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

import aioboto3
import anyio
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from fair.config import Settings
from fair.storage import discard, new_staging_path

PART_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
# One "bytes=first-last" (either end may be missing): what a bucket answers as asked. Several
# ranges in one request are served whole, which RFC 9110 allows.
ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class Stat:
    size: int
    etag: str  # as the bucket gives it, quoted; an MD5 of the bytes unless uploaded in parts


class S3Storage:
    def __init__(self, settings: Settings) -> None:
        assert settings.s3_bucket, "FAIR_S3_BUCKET (checked by fair.config.validate)"
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self.staging = (settings.media_dir / "staging").resolve()
        self.presign_seconds = (
            settings.s3_presign_seconds if settings.s3_presigned_downloads else None
        )
        self.endpoint_url = settings.s3_endpoint_url
        # Unset: boto's own chain (AWS_ACCESS_KEY_ID..., ~/.aws, an instance role).
        self._session = aioboto3.Session(
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            region_name=settings.s3_region,
        )
        self._config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": "path" if settings.s3_path_style else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            # Checksums only where S3 requires them: R2 and older MinIO refuse the extra
            # checksum headers newer botocore sends by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = None
        self._stack: AsyncExitStack | None = None
        self._opening = asyncio.Lock()

    async def client(self) -> Any:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    stack = AsyncExitStack()
                    self._client = await stack.enter_async_context(
                        self._session.client(
                            "s3", endpoint_url=self.endpoint_url, config=self._config
                        )
                    )
                    self._stack = stack
        return self._client

    async def aclose(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def name(self, key: str) -> str:
        """The object's name in the bucket."""
        parts = key.split("/")
        # Keys are ours, but one that would climb out of the prefix is a bug we refuse loudly.
        if not key or key.startswith("/") or any(p in {"", ".", ".."} for p in parts):
            raise ValueError(f"storage key not a plain relative path: {key!r}")
        return self.prefix + key

    def staging_path(self) -> Path:
        return new_staging_path(self.staging)

    async def stat(self, key: str) -> Stat | None:
        try:
            head = await (await self.client()).head_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return None
            raise
        return Stat(size=head["ContentLength"], etag=head["ETag"])

    async def exists(self, key: str) -> bool:
        return await self.stat(key) is not None

    async def commit(self, staged: Path, key: str) -> None:
        try:
            if not await self.exists(key):  # else: the same content is stored already
                await self.upload(staged, key)
        finally:
            discard(staged)

    async def upload(self, source: Path, key: str) -> None:
        """Send a file on this machine's disk: in one request up to ``PART_BYTES``, else in
        parts of that size, one held in memory at a time. A failed upload in parts is
        aborted, so the bucket keeps no orphaned parts."""
        client, name = await self.client(), self.name(key)
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        async with await anyio.open_file(source, "rb") as file:
            part = await file.read(PART_BYTES)
            if len(part) < PART_BYTES:
                # A file object, not bytes: aiohttp sends a large bytes body in one write.
                await client.put_object(
                    Bucket=self.bucket, Key=name, Body=io.BytesIO(part), ContentType=content_type
                )
                return
            started = await client.create_multipart_upload(
                Bucket=self.bucket, Key=name, ContentType=content_type
            )
            upload_id = started["UploadId"]
            try:
                sent = []
                while part:
                    number = len(sent) + 1
                    answer = await client.upload_part(
                        Bucket=self.bucket,
                        Key=name,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=io.BytesIO(part),
                    )
                    sent.append({"PartNumber": number, "ETag": answer["ETag"]})
                    part = await file.read(PART_BYTES)
                await client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": sent},
                )
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await client.abort_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
                raise

    async def read(self, key: str) -> bytes:
        found = await (await self.client()).get_object(Bucket=self.bucket, Key=self.name(key))
        body = found["Body"]
        async with body:
            return await body.read()

    async def write(self, key: str, data: bytes) -> None:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        await (await self.client()).put_object(
            Bucket=self.bucket, Key=self.name(key), Body=data, ContentType=content_type
        )

    async def delete(self, key: str) -> None:
        # Deleting a missing object is no error in S3: removal stays idempotent.
        await (await self.client()).delete_object(Bucket=self.bucket, Key=self.name(key))

    @contextlib.asynccontextmanager
    async def local_file(self, key: str) -> AsyncIterator[Path | None]:
        target = self.staging_path()
        try:
            try:
                found = await (await self.client()).get_object(
                    Bucket=self.bucket, Key=self.name(key)
                )
            except ClientError as exc:
                if _code(exc) not in MISSING:
                    raise
                found = None
            if found is None:
                yield None
                return
            body = found["Body"]
            async with body, await anyio.open_file(target, "wb") as file:
                async for chunk in body.iter_chunks(CHUNK_BYTES * 16):
                    await file.write(chunk)
            yield target
        finally:
            discard(target)

    async def download(
        self, request: Request, key: str, *, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        if self.presign_seconds is not None and request.method == "GET":
            return await self._redirect(key, media_type=media_type, headers=headers)
        return await self._proxy(request, key, media_type=media_type, headers=headers)

    async def presigned_url(
        self, key: str, *, media_type: str | None = None, headers: Mapping[str, str] = {}
    ) -> str:
        """A URL of the bucket that serves the object for ``presign_seconds`` (default 300)
        with these response headers, to whoever holds it."""
        params = {"Bucket": self.bucket, "Key": self.name(key)}
        overrides = {
            "ResponseContentType": media_type,
            "ResponseContentDisposition": headers.get("Content-Disposition"),
            "ResponseCacheControl": headers.get("Cache-Control"),
        }
        params.update({name: value for name, value in overrides.items() if value})
        return await (await self.client()).generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.presign_seconds or 300
        )

    async def _redirect(
        self, key: str, *, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        if not await self.exists(key):
            return None  # a 404 of ours, not the bucket's XML
        url = await self.presigned_url(key, media_type=media_type, headers=headers)
        # The redirect may be reused while its URL holds; the bytes carry the caching headers.
        reuse = max(0, min(self.presign_seconds or 0, 3600) // 2)
        return RedirectResponse(
            url, status_code=302, headers={"Cache-Control": f"private, max-age={reuse}"}
        )

    async def _proxy(
        self, request: Request, key: str, *, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        client = await self.client()
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.name(key)}
        asked = request.headers.get("range", "").strip()
        if ONE_RANGE.fullmatch(asked) and asked != "bytes=-":
            params["Range"] = asked
        if request.headers.get("if-none-match"):
            params["IfNoneMatch"] = request.headers["if-none-match"]
        head = request.method == "HEAD"
        try:
            found = await (client.head_object if head else client.get_object)(**params)
            if_range = request.headers.get("if-range")
            if "Range" in params and if_range and if_range != found["ETag"]:
                # The client's copy is of other bytes: the whole file, as RFC 9110 says.
                if not head:
                    found["Body"].close()
                del params["Range"]
                found = await (client.head_object if head else client.get_object)(**params)
        except ClientError as exc:
            code = _code(exc)
            if code in MISSING:
                return None
            if code in {"304", "NotModified"}:
                return Response(status_code=304, headers=dict(headers))
            if code in {"416", "InvalidRange"}:
                stat = await self.stat(key)
                if stat is None:
                    return None
                return Response(status_code=416, headers={"Content-Range": f"bytes */{stat.size}"})
            raise
        sent = {
            **headers,
            "Content-Length": str(found["ContentLength"]),
            "Accept-Ranges": "bytes",
            "ETag": found["ETag"],
        }
        modified = found.get("LastModified")
        if isinstance(modified, datetime):
            sent["Last-Modified"] = formatdate(modified.timestamp(), usegmt=True)
        status = 200
        if found.get("ContentRange") and "Range" in params:
            sent["Content-Range"] = found["ContentRange"]
            status = 206
        if head:
            # A HEAD answer: the length of what GET would send, and no body.
            return Response(status_code=status, headers=sent, media_type=media_type)
        return StreamingResponse(
            _chunks(found["Body"]), status_code=status, headers=sent, media_type=media_type
        )


async def _chunks(body: Any) -> AsyncIterator[bytes]:
    """The object's bytes as the bucket sends them; the connection goes back to the pool
    (or is dropped) whether the client read to the end or went away."""
    # (``async with body as x`` would give aiohttp's response, not the body: enter, then use
    # the body itself.)
    async with body:
        async for chunk in body.iter_chunks(CHUNK_BYTES):
            yield chunk


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


def file_md5(path: Path) -> str:
    """The hex MD5 of a file, as the ETag of an object uploaded in one part."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
