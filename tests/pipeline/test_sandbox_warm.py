"""The sandbox's fork server preloads what a child needs for a document (pipeline.sandbox_warm):
a child forked for a text PDF imports none of the decoding libraries itself, starts with
the collector frozen, and reads the same invoice as an extraction in this process."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from extractors import ExtractOptions, extract_with_text
from extractors.model import InvoiceData
from pipeline import sandbox
from pipeline.steps import extract_in_child

# packages whose import cost every document when a child imported them (measured
# 55-85 ms of a text PDF's 80-110 ms in its child before the warm-up)
_HEAVY = ("peppol", "lxml", "stdnum", "PIL", "numpy", "pypdfium2", "extractors", "encodings")


def _extract_counting_imports(
    data: bytes, name: str
) -> tuple[tuple[InvoiceData, str], list[str], int]:
    before = set(sys.modules)
    found = extract_in_child(data, name, ExtractOptions())
    new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in _HEAVY)
    return found, new, gc.get_freeze_count()


def test_a_child_reads_a_text_pdf_without_importing_and_as_this_process_does(
    corpus_dir: Path,
) -> None:
    path = corpus_dir / "pdf" / "i2d_AzureInterior.pdf"  # text layer, embedded-XML check
    data = path.read_bytes()
    found, new_modules, frozen = sandbox.run(_extract_counting_imports, data, path.name)
    assert new_modules == []
    assert frozen > 0
    assert found == extract_with_text(data, filename=path.name, options=ExtractOptions())
    assert found[0].invoice_number  # a real reading, not an empty result
