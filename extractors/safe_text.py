"""Names and text from outside, made safe to store, show and log (standard library only).

Every file name that arrives from outside (a mail part's ``filename``, a ZIP member, a
TNEF attachment, a file embedded in an e-invoice, an upload, a path given to
``boekbox ingest``) goes through :func:`safe_filename`, the one function for it, so
they all come out the same way:

* undecodable bytes (surrogate escapes) are read as UTF-8, else cp1252;
* Unicode NFC;
* only the last path component is kept (``/`` and ``\\`` are separators), so ``../``
  cannot climb; ``.`` and ``..`` alone are no name;
* every character of the categories Cc (C0/C1 controls: newlines, ESC of terminal
  escapes, NUL), Cf (format: right-to-left and other bidi overrides and isolates,
  zero-width characters, BOM, soft hyphen), Cs (lone surrogates), Co (private use),
  Cn (unassigned) and the line/paragraph separators Zl/Zp is removed; other white space
  becomes one plain space; leading and trailing spaces and dots are dropped;
* at most 255 characters, the extension kept when the name is cut.

:func:`safe_path` does the same per component of an archive member path, and
:func:`log_safe` makes any outside text fit on one log line (controls shown as escapes).
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_NAME", "log_safe", "safe_filename", "safe_path", "safe_text"]

MAX_NAME = 255
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MAX_EXTENSION = 16


def _as_text(value: str | bytes) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
    elif any("\udc80" <= ch <= "\udcff" for ch in value):
        raw = value.encode("utf-8", "surrogateescape")
    else:
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _is_dropped(ch: str) -> bool:
    return unicodedata.category(ch) in _DROP_CATEGORIES


def safe_text(value: str | bytes | None, limit: int = 1000) -> str:
    """One line of outside text: dropped characters removed, white space runs as one
    space, stripped, at most ``limit`` characters (for subjects, reasons, labels)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", _as_text(value))
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        elif not _is_dropped(ch):
            out.append(ch)
    return "".join(out).strip()[:limit]


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= _MAX_EXTENSION:
        return stem[: limit - len(ext) - 1].rstrip(" .") + "." + ext
    return name[:limit]


def safe_filename(name: str | bytes | None, limit: int = MAX_NAME) -> str | None:
    """The display name of a file from outside, or None when nothing usable is left."""
    if not name:
        return None
    text = safe_text(_as_text(name).replace("\\", "/"), limit=10 * limit + 100)
    text = text.rsplit("/", 1)[-1].strip(" .")
    if not text:
        return None
    return _shorten(text, limit).strip(" ") or None


def safe_path(path: str | bytes | None, limit: int = 1000) -> str | None:
    """An archive member path: each component as :func:`safe_filename`, joined by ``/``;
    empty, ``.`` and ``..`` components dropped (no absolute paths, no climbing)."""
    if not path:
        return None
    parts = [safe_filename(p) for p in _as_text(path).replace("\\", "/").split("/")]
    joined = "/".join(p for p in parts if p)
    return joined[:limit] or None


def log_safe(value: object, limit: int = 300) -> str:
    """Outside text for one log line: never a raw newline or control character.

    Dropped characters (see the module) are shown as ``\\xNN``/``\\uNNNN`` escapes so
    a forged line or a terminal escape is visible but harmless; cut at ``limit``.
    """
    text = _as_text(value) if isinstance(value, str | bytes) else str(value)
    out: list[str] = []
    size = 0
    for ch in text:
        if _is_dropped(ch) or (ch.isspace() and ch != " "):
            code = ord(ch)
            if code < 0x100:
                piece = f"\\x{code:02x}"
            elif code < 0x10000:
                piece = f"\\u{code:04x}"
            else:
                piece = f"\\U{code:08x}"
        elif ch == "\\":
            piece = "\\\\"
        else:
            piece = ch
        size += len(piece)
        if size > limit:
            out.append("…")
            break
        out.append(piece)
    return "".join(out)
