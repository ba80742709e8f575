"""Storage errors.

::

    StorageError
    ├── NotFound            a row or blob that should exist does not
    ├── StorageUnavailable  the database or blob store cannot be reached (transient)
    │   └── StorageFull     no space left (transient for the sender: 452)
    ├── BlobCorrupt         a stored blob no longer matches its hash (not transient)
    ├── NotInitialised      the database has no schema yet (run ``boekbox init``)
    └── Conflict            a concurrent change won (retry the command)
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage error."""


class NotFound(StorageError):
    pass


class StorageUnavailable(StorageError):
    pass


class StorageFull(StorageUnavailable):
    pass


class BlobCorrupt(StorageError):
    pass


class NotInitialised(StorageError):
    pass


class Conflict(StorageError):
    pass
