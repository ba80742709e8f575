"""JSON round trip of the invoicing dataclasses, for storage (one JSON column per object).

``to_json(obj)`` gives JSON-compatible data (Decimals and dates as strings, bytes as
base64, enums by value); ``from_json(cls, data)`` rebuilds the object through its own
constructor, so a stored customer or draft is checked again when it is read back.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from invoicing.errors import InvoicingError

__all__ = ["from_json", "to_json"]

T = TypeVar("T")
_HINTS: dict[type, dict[str, Any]] = {}


def to_json(obj: Any) -> Any:
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return [[to_json(k), to_json(v)] for k, v in obj.items()]
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        if raw is None:
            return None
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(members[0], raw)
    if raw is None:
        return None
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in raw)
        return tuple(_decode(a, item) for a, item in zip(args, raw, strict=True))
    if origin is dict:
        key_t, value_t = typing.get_args(tp)
        return {_decode(key_t, k): _decode(value_t, v) for k, v in raw}
    if tp is Decimal:
        return Decimal(str(raw))
    if tp is _dt.date:
        return _dt.date.fromisoformat(raw)
    if tp is bytes:
        return base64.b64decode(raw, validate=True)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(raw)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: _decode(hints[f.name], raw[f.name])
            for f in dataclasses.fields(tp)
            if f.name in raw
        }
        return tp(**kwargs)
    return raw


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild a ``cls`` stored with :func:`to_json`; InvoicingError if the data is bad."""
    try:
        result = _decode(cls, data)
    except InvoicingError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvoicingError(f"stored {cls.__name__} cannot be read: {exc}") from exc
    assert isinstance(result, cls)
    return result
