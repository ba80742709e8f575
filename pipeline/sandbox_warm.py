"""Imported once by the sandbox's fork server (last of :data:`pipeline.sandbox.PRELOAD`).

Every document is decoded in a fresh child forked from that server, so whatever a
child imports on its first use is imported again for every document: measured on the
corpus, a text PDF's child spent 55-85 ms of its 80-110 ms importing ``peppol`` (the
embedded-XML check), ``lxml``, python-stdnum's country VAT modules and Pillow's image
plugins; and every child, even one that only returns, spent 5 ms importing
``pipeline.sandbox`` itself (the child's entry point and :class:`SandboxLimits` are
unpickled by name) and ``multiprocessing.popen_forkserver``.  Imported here, in the
server, every child starts with them (copy-on-write pages).

Then :func:`gc.freeze` moves every object alive in the server to the permanent
generation, so a child's full collections do not walk (and write to, copying the
pages) the hundreds of thousands of module objects it inherited.

No extraction result depends on this module: it only imports, initialises Pillow's
plugin registry (as the first ``Image.open`` does) and freezes the collector.
"""

from __future__ import annotations

import encodings.utf_16_le  # noqa: F401  (pdfium's text, first text PDF)
import fractions  # noqa: F401  (first photo)
import gc
import multiprocessing.popen_forkserver  # noqa: F401  (every child, unpickling its process)

import lxml.etree  # noqa: F401
import numpy.ma  # noqa: F401  (first scan or photo)
import stdnum.be.ogm_vcs
import stdnum.eu.vat
from PIL import Image
from stdnum.util import get_cc_module

import extractors.safe_text  # noqa: F401
import peppol  # noqa: F401  (embedded XML of every PDF)
import pipeline.sandbox  # noqa: F401  (every child: its entry point and limits are unpickled)

__all__: list[str] = []


def _warm() -> None:
    Image.preinit()
    Image.init()
    for cc in sorted(stdnum.eu.vat.MEMBER_STATES):
        # what stdnum.eu.vat imports on the first VAT number of that country (None if absent)
        get_cc_module({"xi": "gb"}.get(cc, cc), "vat")
    gc.collect()
    gc.freeze()


_warm()
