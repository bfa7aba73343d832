"""An S3-compatible object storage client: the few calls attachments need, signed with AWS
Signature Version 4 over httpx, path-style (``<endpoint>/<bucket>/<key>``).

Any S3 endpoint does (AWS S3, OVHcloud, Scaleway, Outscale, MinIO, Ceph RGW; locally the
s3proxy of the devstack). Bodies stream both ways: an upload is sent from its file in chunks
(its SHA-256, computed while it was checked, is signed), a download is passed on chunk by
chunk; nothing holds a whole file in memory.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlsplit

import anyio
import httpx

_SERVICE = "s3"
_CHUNK = 256 * 1024
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class ObjectStorageError(ConnectionError):
    """The object storage could not be reached or refused a request: a dependency away (an
    HTTP request is answered 503, a consumer retries for as long as it takes)."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class ObjectStorage:
    """One bucket of an S3-compatible object storage."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self._access_key = access_key
        self._secret_key = secret_key
        self.region = region
        self._host = urlsplit(self.endpoint).netloc
        self._base_path = urlsplit(self.endpoint).path.rstrip("/")
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=15.0))

    async def __aenter__(self) -> ObjectStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._client.aclose()

    # --- signing ----------------------------------------------------------------------------

    def _path(self, key: str | None) -> str:
        path = f"{self._base_path}/{quote(self.bucket, safe='')}"
        return f"{path}/{quote(key, safe='/')}" if key else path

    def _signed_headers(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        payload_sha256: str = _EMPTY_SHA256,
        extra: dict[str, str] | None = None,
    ) -> dict[str, str]:
        now = datetime.now(UTC)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        headers = {
            "host": self._host,
            "x-amz-content-sha256": payload_sha256,
            "x-amz-date": amz_date,
            **{name.lower(): value for name, value in (extra or {}).items()},
        }
        names = sorted(headers)
        canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in names)
        signed = ";".join(names)
        canonical_request = "\n".join(
            (method, path, query, canonical_headers, signed, payload_sha256)
        )
        scope = f"{day}/{self.region}/{_SERVICE}/aws4_request"
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256",
                amz_date,
                scope,
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            )
        )
        key = _hmac(f"AWS4{self._secret_key}".encode(), day)
        for part in (self.region, _SERVICE, "aws4_request"):
            key = _hmac(key, part)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        del headers["host"]
        return headers

    async def _request(
        self,
        method: str,
        key: str | None,
        *,
        query: str = "",
        payload_sha256: str = _EMPTY_SHA256,
        extra: dict[str, str] | None = None,
        content: AsyncIterator[bytes] | bytes | None = None,
    ) -> httpx.Response:
        path = self._path(key)
        headers = self._signed_headers(
            method, path, query=query, payload_sha256=payload_sha256, extra=extra
        )
        url = f"{self.endpoint}{path[len(self._base_path) :]}" + (f"?{query}" if query else "")
        try:
            return await self._client.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as error:
            raise ObjectStorageError(
                f"object storage unreachable: {type(error).__name__}"
            ) from error

    # --- calls ------------------------------------------------------------------------------

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (the local stack and tests; in production
        the bucket is made, with its encryption and versioning, by the operators)."""
        head = await self._request("HEAD", None)
        if head.status_code == 200:
            return
        made = await self._request("PUT", None)
        if made.status_code not in (200, 409):
            raise ObjectStorageError(f"cannot create bucket: HTTP {made.status_code}")

    async def ready(self) -> bool:
        try:
            return (await self._request("HEAD", None)).status_code == 200
        except ObjectStorageError:
            return False

    async def put_file(self, key: str, path: Path, *, sha256: str, media_type: str) -> None:
        size = (await anyio.Path(path).stat()).st_size

        async def chunks() -> AsyncIterator[bytes]:
            async with await anyio.open_file(path, "rb") as source:
                while chunk := await source.read(_CHUNK):
                    yield chunk

        response = await self._request(
            "PUT",
            key,
            payload_sha256=sha256,
            extra={"content-type": media_type, "content-length": str(size)},
            content=chunks(),
        )
        if response.status_code != 200:
            raise ObjectStorageError(f"upload refused: HTTP {response.status_code}")

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, chunk by chunk."""
        path = self._path(key)
        headers = self._signed_headers("GET", path)
        url = f"{self.endpoint}{path[len(self._base_path) :]}"
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    raise ObjectStorageError(f"download refused: HTTP {response.status_code}")
                async for chunk in response.aiter_bytes(_CHUNK):
                    yield chunk
        except httpx.HTTPError as error:
            raise ObjectStorageError(
                f"object storage unreachable: {type(error).__name__}"
            ) from error

    async def exists(self, key: str) -> bool:
        response = await self._request("HEAD", key)
        if response.status_code not in (200, 404):
            raise ObjectStorageError(f"look-up refused: HTTP {response.status_code}")
        return response.status_code == 200

    async def copy(self, source_key: str, target_key: str) -> None:
        source = f"/{quote(self.bucket, safe='')}/{quote(source_key, safe='/')}"
        response = await self._request("PUT", target_key, extra={"x-amz-copy-source": source})
        if response.status_code != 200 or b"<Error>" in response.content:
            raise ObjectStorageError(f"copy refused: HTTP {response.status_code}")

    async def delete(self, key: str) -> None:
        """Remove an object; one already gone is no failure."""
        response = await self._request("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise ObjectStorageError(f"deletion refused: HTTP {response.status_code}")
