"""S3-compatible blob store (for workers on several machines).

Objects are written with one PUT (atomic: nothing is visible before it is
complete) under ``prefix/ab/cd/<sha256>``, with a ``ContentMD5`` check so a
torn upload is refused by the server.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from storage.blobs import BlobRef, sha256_hex
from storage.errors import BlobCorrupt, NotFound, StorageError, StorageUnavailable

#: concurrent PUTs of one put_many batch
PUT_CONCURRENCY = 8


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

    def put(self, data: bytes) -> BlobRef:
        from botocore.exceptions import BotoCoreError, ClientError

        ref = BlobRef(sha256_hex(data), len(data))
        if self.exists(ref.sha256):
            return ref
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
