"""Header decoding for the mail splitter: never raises, never returns surrogates.

The stdlib parser (``email.message_from_bytes``) keeps 8-bit header bytes as lone
surrogates and its compat32 helpers hand back ``Header`` objects or replacement
characters.  Everything here works from the raw stored value instead:

* 8-bit bytes are decoded as UTF-8, then cp1252 (the two encodings real mailers use);
* RFC 2047 encoded-words are decoded by a small tolerant decoder (also inside quoted
  parameter values, which is not RFC-compliant but what many mailers write);
* RFC 2231 parameters (``filename*=``, ``filename*0*=`` continuations) are joined and
  decoded with their declared charset;
* filenames are reduced to an NFC display basename (storage is by hash).
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re
import urllib.parse
from email.message import Message

from extractors.safe_text import safe_filename

__all__ = [
    "decode_8bit",
    "decode_header_value",
    "decode_rfc2047",
    "header_text",
    "header_values",
    "parse_params",
    "part_filename",
    "safe_basename",
    "unfold_raw",
]

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def decode_8bit(raw: str | bytes) -> str:
    """Turn a stored header value (str with surrogate escapes, or bytes) into text."""
    if isinstance(raw, str):
        # ASCII text holds no surrogate escape: skip the per-character scan
        if raw.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in raw):
            return raw
        data = raw.encode("utf-8", "surrogateescape")
    else:
        data = raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _lookup_charset(charset: str) -> str | None:
    name = charset.strip().lower()
    # a charset name is ASCII; a byte escaped from a broken header (a surrogate) would
    # make codecs.lookup raise UnicodeEncodeError rather than LookupError
    if not name.isascii() or name in {"unknown-8bit", "x-unknown", "unknown", "8bit"}:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset when it exists, else UTF-8 then cp1252."""
    codec = _lookup_charset(charset) if charset else None
    if codec is not None:
        try:
            return data.decode(codec, "replace")
        except (LookupError, ValueError):  # pragma: no cover - codec refused to run
            pass
    return decode_8bit(data)


def _decode_word(match: re.Match[str]) -> str:
    charset, kind, text = match.group(1), match.group(2).upper(), match.group(3)
    try:
        if kind == "B":
            cleaned = text.rstrip("=")
            if re.search(r"[^A-Za-z0-9+/]", cleaned):
                return match.group(0)  # not base64 at all: keep the literal text
            cleaned += "=" * (-len(cleaned) % 4)
            if len(cleaned) % 4 == 1:  # a lone trailing sextet carries no byte
                cleaned = cleaned[:-1]
            data = binascii.a2b_base64(cleaned.encode("ascii"))
        else:
            data = binascii.a2b_qp(text.replace("_", " ").encode("utf-8", "surrogateescape"))
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset)


def decode_rfc2047(text: str) -> str:
    """Decode every encoded-word in ``text``; whitespace between words is dropped."""
    if "=?" not in text:
        return text
    joined = _BETWEEN_WORDS.sub(r"\1\2", text)
    return _ENCODED_WORD.sub(_decode_word, joined)


_FOLD = re.compile(r"\r?\n[ \t]*")


def _unfold(text: str) -> str:
    return _FOLD.sub(" ", text).strip()


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def decode_header_value(value: str | bytes) -> str:
    """One stored header value as clean text: 8-bit decoded, unfolded, RFC 2047 decoded."""
    return _clean(decode_rfc2047(_unfold(decode_8bit(value)))).strip()


def unfold_raw(value: str | bytes) -> str:
    """One stored header value 8-bit decoded and unfolded, not RFC 2047 decoded."""
    return _unfold(decode_8bit(value))


def header_values(msg: Message, name: str) -> list[str]:
    """All occurrences of header ``name``, decoded (8-bit and RFC 2047), unfolded."""
    wanted = name.lower()
    return [
        decode_header_value(value if isinstance(value, bytes) else str(value))
        for key, value in msg.raw_items()
        if key.lower() == wanted
    ]


def header_text(msg: Message, name: str) -> str | None:
    """The first occurrence of header ``name`` as clean text (a duplicate is ignored)."""
    values = header_values(msg, name)
    return values[0] if values else None


def raw_header(msg: Message, name: str) -> str | None:
    """First occurrence of a header, 8-bit decoded and unfolded, but not RFC 2047 decoded."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return unfold_raw(str(value))
    return None


def _split_params(value: str) -> list[str]:
    items: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            buf.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == ";" and not quoted:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    return items


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if value.startswith('"'):
        return value[1:]
    return value


def parse_params(value: str | None) -> dict[str, str]:
    """Parameters of a structured header (lower-case names), RFC 2231 joined and decoded."""
    if not value:
        return {}
    # the same Content-Type / Content-Disposition value is asked for several times per
    # part (file name, body test, charset): parsed once, a fresh dict each time; a long
    # (hostile) value is not kept
    if len(value) > _CACHED_PARAMS_MAX:
        return dict(_params(value))
    return dict(_cached_params(value))


_CACHED_PARAMS_MAX = 2048


def _params(value: str) -> tuple[tuple[str, str], ...]:
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for item in _split_params(value)[1:]:
        if "=" not in item:
            continue
        key, _, val = item.partition("=")
        key = key.strip().lower()
        val = _unquote(val)
        match = re.fullmatch(r"([^*]+)\*(?:(\d{1,3})(\*)?)?", key)
        if match is None:
            plain.setdefault(key, val)
            continue
        base, index, star = match.group(1), match.group(2), match.group(3)
        encoded = star is not None or index is None
        extended.setdefault(base, {}).setdefault(int(index or 0), (val, encoded))
    result = {k: decode_rfc2047(v) for k, v in plain.items()}
    for base, segments in extended.items():
        result[base] = _join_rfc2231(segments)
    return tuple(result.items())


_cached_params = functools.lru_cache(maxsize=1024)(_params)


def _join_rfc2231(segments: dict[int, tuple[str, bool]]) -> str:
    charset: str | None = None
    data = bytearray()
    for position, index in enumerate(sorted(segments)):
        value, encoded = segments[index]
        if position == 0 and encoded and value.count("'") >= 2:
            charset, _lang, value = value.split("'", 2)
        if encoded:
            data += urllib.parse.unquote_to_bytes(value.encode("utf-8", "surrogateescape"))
        else:
            data += value.encode("utf-8", "surrogateescape")
    return decode_bytes(bytes(data), charset or None)


def safe_basename(name: str | None) -> str | None:
    """Display basename of a name from the mail: :func:`extractors.safe_text.safe_filename`,
    the one sanitiser every outside file name goes through."""
    return safe_filename(name)


def part_filename(part: Message) -> str | None:
    """Filename from Content-Disposition ``filename`` else Content-Type ``name``."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = parse_params(raw_header(part, header)).get(param)
        if value:
            return safe_basename(value)
    return None


def disposition(part: Message) -> str | None:
    """The disposition type (``attachment``/``inline``), lower-case, or None."""
    value = raw_header(part, "content-disposition")
    if not value:
        return None
    kind = _split_params(value)[0].strip().lower()
    return kind or None
