"""The single source of truth: database (SQLAlchemy) and content-addressed blobs.

Only this package imports SQLAlchemy.  ``storage.repo`` holds the queries,
``storage.db`` engines/sessions/migrations, ``storage.blobs`` the blob stores.
"""

from storage.blobs import (
    BlobRef,
    BlobStore,
    LocalBlobStore,
    open_blob_store,
    put_one,
    sha256_hex,
)
from storage.errors import (
    BlobCorrupt,
    Conflict,
    NotFound,
    NotInitialised,
    StorageError,
    StorageFull,
    StorageUnavailable,
)

__all__ = [
    "BlobCorrupt",
    "BlobRef",
    "BlobStore",
    "Conflict",
    "LocalBlobStore",
    "NotFound",
    "NotInitialised",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "open_blob_store",
    "put_one",
    "sha256_hex",
]
