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


def _modules_imported_here(names: tuple[str, ...]) -> dict[str, bool]:
    """For each module: was it imported in this process (tracked by the collector) rather
    than inherited from the fork server (frozen there, so not in any generation)?"""
    tracked = {id(obj) for obj in gc.get_objects()}
    return {name: id(sys.modules[name]) in tracked for name in names}


def test_a_child_does_not_import_its_own_entry_point() -> None:
    # every child unpickles pipeline.sandbox._child and SandboxLimits, and its process
    # object needs multiprocessing.popen_forkserver: 5 ms per child when imported there
    names = ("pipeline.sandbox", "multiprocessing.popen_forkserver")
    assert sandbox.run(_modules_imported_here, names) == dict.fromkeys(names, False)
