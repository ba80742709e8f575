"""Keep the cyclic garbage collector off what a process built to issue invoices.

Issuing renders a PDF with WeasyPrint and validates the UBL with the compiled CEN
stylesheet: the first issue builds about a hundred thousand long-lived objects (font
tables, stylesheets, compiled XSLT, templates).  Every full (generation 2) collection
then walks all of them, and a render allocates enough to trigger one every few
invoices: that walk was the slow tail of issuing (p50 about 90 ms, p95 about 155 ms,
of which 60-75 ms garbage collection; bench/invoicing_bench.py).

:func:`settle_once` collects once and moves every object alive at that moment to the
permanent generation (:func:`gc.freeze`), so later collections only walk what was
made after it.  Call it after the first issue of the process (``Service.issue`` does);
it runs once per process, later calls return at once.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["settle_once"]

_LOCK = threading.Lock()
_settled = False


def settle_once() -> bool:
    """Collect and freeze the objects alive now, the first time only; True if it ran."""
    global _settled
    if _settled:
        return False
    with _LOCK:
        if _settled:
            return False
        gc.collect()  # what is garbage now is freed, not frozen for the life of the process
        gc.freeze()
        _settled = True
        return True
