"""Exceptions of the mail splitter.  ``split_mail`` itself never raises: these travel
between its helpers and end up as quarantine entries with their ``reason``."""

from __future__ import annotations

__all__ = ["ArchiveRefused", "SplitError", "TnefError"]


class SplitError(Exception):
    """Base class: a part that cannot be unpacked; ``reason`` is the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class ArchiveRefused(SplitError):
    """A ZIP archive broke a limit (entries, size, ratio, depth) or is unreadable."""


class TnefError(SplitError):
    """A winmail.dat (TNEF) stream is malformed or breaks a limit."""
