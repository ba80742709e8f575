"""The session cookie's name and the rule for where a log-in may send the browser."""

from __future__ import annotations

from urllib.parse import urlsplit

COOKIE = "boekbox_session"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path of this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
