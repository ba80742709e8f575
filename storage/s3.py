"""S3-compatible blob store (for workers on several machines).

Objects are written with one PUT (atomic: nothing is visible before it is
complete) under ``prefix/ab/cd/<sha256>``, with a ``ContentMD5`` check so a
torn upload is refused by the server.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from storage.blobs import BlobRef, sha256_hex
from storage.errors import BlobCorrupt, NotFound, StorageError, StorageUnavailable

#: concurrent PUTs of one put_many batch
PUT_CONCURRENCY = 8
#: an existing object older than this is PUT again when reused (restarts its age)
REFRESH_AFTER_SECONDS = 3600.0


def _is_sha(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        create_bucket: bool = True,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path"},
            ),
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        if create_bucket:
            self._ensure_bucket()

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, sha256: str) -> str:
        key = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{key}" if self.prefix else key

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self._client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StorageUnavailable(f"cannot create bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError:
            return False
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc
        return True

    def _last_modified(self, sha256: str) -> float | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError:
            return None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc
        return float(head["LastModified"].timestamp())

    # -- garbage collection (storage.blobgc) --------------------------------------------
    #: a reused object is PUT again once older than REFRESH_AFTER_SECONDS: the grace
    #: period must be longer, or a reused old object could look unreferenced
    min_gc_grace_seconds = 2.0 * REFRESH_AFTER_SECONDS

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        """Every stored blob as ``(sha256, LastModified)``."""
        from botocore.exceptions import BotoCoreError, ClientError

        prefix = f"{self.prefix}/" if self.prefix else ""
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(prefix) :]
                    sha = name.rsplit("/", 1)[-1]
                    if name == f"{sha[:2]}/{sha[2:4]}/{sha}" and _is_sha(sha):
                        yield sha, float(obj["LastModified"].timestamp())
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot list blobs in S3: {exc}") from exc

    def delete_if_older(self, sha256: str, cutoff: float) -> int | None:
        """Delete the object if it was last PUT before ``cutoff``; its size, or None.

        S3 has no atomic rename: the age is read again just before the DELETE, so only
        a PUT of the same content in the milliseconds between the two can be lost
        (and a re-PUT happens only for content older than REFRESH_AFTER_SECONDS).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._key(sha256)
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc
        if head["LastModified"].timestamp() >= cutoff:
            return None
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot delete blob from S3: {exc}") from exc
        return int(head.get("ContentLength", 0))

    def put(self, data: bytes) -> BlobRef:
        from botocore.exceptions import BotoCoreError, ClientError

        ref = BlobRef(sha256_hex(data), len(data))
        modified = self._last_modified(ref.sha256)
        if modified is not None and time.time() - modified < REFRESH_AFTER_SECONDS:
            return ref
        # absent, or old enough for the garbage collector to consider it: PUT it
        # (again), so its LastModified restarts before a row refers to it
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self._key(ref.sha256), Body=data, ContentMD5=md5
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot store blob in S3: {exc}") from exc
        return ref

    def put_many(self, datas: Sequence[bytes]) -> list[BlobRef | StorageError]:
        """Several PUTs at once (each is atomic and durable when it returns)."""
        if len(datas) <= 1:
            return [self._put_or_error(d) for d in datas]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PUT_CONCURRENCY, thread_name_prefix="s3-put")
        return list(self._pool.map(self._put_or_error, datas))

    def _put_or_error(self, data: bytes) -> BlobRef | StorageError:
        try:
            return self.put(data)
        except StorageError as exc:
            return exc

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            obj = self._client.get_object(Bucket=self.bucket, Key=self._key(sha256))
            data: bytes = obj["Body"].read()
        except ClientError as exc:
            raise NotFound(f"blob {sha256} is missing from {self.describe()}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc
        if sha256_hex(data) != sha256:
            raise BlobCorrupt(f"blob {sha256} read back corrupt from S3")
        return data
