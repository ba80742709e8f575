"""Fast construction of the frozen model dataclasses for the XML mappers.

A frozen dataclass ``__init__`` sets every field through ``object.__setattr__``,
which costs about as much per invoice line as reading the line from the tree.  For
a frozen ``slots`` dataclass the same object is built by writing each slot with its
member descriptor: :func:`maker` returns such a constructor, taking the values of
the given fields positionally and giving every other field its declared default.
Like ``dataclasses`` itself, it generates that constructor's source once (from the
field names only, which are identifiers) so that no loop runs per object.

The result is equal to, and indistinguishable from, ``cls(**dict(zip(names, values)))``.
A class that needs its ``__init__`` (``__post_init__``, ``init=False`` fields, no
slots) gets a constructor that simply calls it, so a change to the model cannot be
silently bypassed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

__all__ = ["maker"]

T = TypeVar("T")


def maker(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """A constructor ``build(*values)`` for the fields ``names`` of dataclass ``cls``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = [n for n in names if n not in fields]
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"{cls.__name__} has no fields {unknown} (or names repeat)")
    rest = [f for name, f in fields.items() if name not in names]
    missing = [f.name for f in rest if _no_default(f)]
    if missing:
        raise TypeError(f"{cls.__name__} fields {missing} have no default; pass them")
    if not _plain_slots(cls, fields.values()):
        return _calling(cls, names)
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["    obj = _new(_cls)"]
    for i, name in enumerate(names):
        env[f"_s{i}"] = getattr(cls, name).__set__
        body.append(f"    _s{i}(obj, v{i})")
    for i, f in enumerate(rest):
        env[f"_r{i}"] = getattr(cls, f.name).__set__
        if f.default is not dataclasses.MISSING:
            env[f"_d{i}"] = f.default
            body.append(f"    _r{i}(obj, _d{i})")
        else:
            env[f"_f{i}"] = f.default_factory
            body.append(f"    _r{i}(obj, _f{i}())")
    params = ", ".join(f"v{i}" for i in range(len(names)))
    source = f"def build({params}):\n" + "\n".join(body) + "\n    return obj\n"
    exec(source, env)  # noqa: S102 (source built from field positions only, as dataclasses does)
    build: Callable[..., T] = env["build"]
    build.__qualname__ = f"maker({cls.__name__})"
    return build


def _no_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _plain_slots(cls: type, fields: Any) -> bool:
    """Frozen, slotted, every field in ``__init__``, nothing run after it."""
    params = getattr(cls, "__dataclass_params__", None)
    return (
        params is not None
        and params.frozen
        and "__slots__" in cls.__dict__
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in fields)
        and all(isinstance(cls.__dict__.get(f.name), MemberDescriptorType) for f in fields)
    )


def _calling(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    def build(*values: Any) -> T:
        return cls(**dict(zip(names, values, strict=True)))

    return build
