"""One log record, one line: outside text in log arguments is escaped.

File names, subjects, reasons and exception texts that came from a mail can hold
newlines, terminal escapes or right-to-left overrides; formatted into a log line
they would forge lines or hide text.  :func:`install` wraps the log record factory
(process-wide, handler-independent, so it also covers dramatiq's worker processes)
so that every string argument, exception argument and the message itself pass
through :func:`extractors.safe_text.log_safe`.  Tracebacks (``exc_info``) are not
touched: they are multi-line by nature and printed by the handler.
"""

from __future__ import annotations

import logging
from typing import Any

from extractors.safe_text import log_safe

__all__ = ["install", "safe_args"]

_ARG_LIMIT = 4000
_MSG_LIMIT = 8000
_MARK = "_boekbox_log_safe"


def _safe(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str | BaseException):
        text = str(value)
        cleaned = log_safe(text, _ARG_LIMIT)
        return value if cleaned == text else cleaned
    return value


def safe_args(args: Any) -> Any:
    """Log record arguments with every string (and exception) made one-line safe."""
    if isinstance(args, tuple):
        return tuple(_safe(a) for a in args)
    if isinstance(args, dict):
        return {k: _safe(v) for k, v in args.items()}
    return args


def install() -> None:
    """Wrap the process's log record factory once (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*a: Any, **kw: Any) -> logging.LogRecord:
        record = previous(*a, **kw)
        if isinstance(record.msg, str):
            msg = log_safe(record.msg, _MSG_LIMIT)
            if msg != record.msg:
                record.msg = msg
        if record.args:
            record.args = safe_args(record.args)
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
