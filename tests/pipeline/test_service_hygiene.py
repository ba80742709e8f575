"""Service paths for outside ids and names (issue 18.7, 18.11): a document of a dossier
the caller cannot see answers exactly like a missing one, on every method that takes a
document id; an uploaded file's name is cleaned like every outside name."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from helpers import dossier

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ARGS: dict[str, Any] = {
    "lines": [],
    "reason": "niet van ons",
    "field_name": "invoice_number",
    "value": "F-1",
    "iban": "BE68539007547034",
    "tag": "contracten",
    "comment": "graag nakijken",
    "rate": "1.0850",
    "currency": "USD",
}


def _doc_id_methods(svc: Service) -> list[str]:
    names = []
    for name in dir(svc):
        if name.startswith("_"):
            continue
        method = getattr(svc, name)
        if callable(method) and "doc_id" in inspect.signature(method).parameters:
            names.append(name)
    return names


def _outcome(svc: Service, name: str, user: Any, doc_id: int, other: int) -> tuple[str, str]:
    method = getattr(svc, name)
    kwargs: dict[str, Any] = {}
    for param in list(inspect.signature(method).parameters.values())[2:]:
        if param.default is inspect.Parameter.empty:
            kwargs[param.name] = other if param.name == "of_id" else ARGS[param.name]
    try:
        method(user, doc_id, **kwargs)
    except Exception as exc:
        return type(exc).__name__, str(exc).replace(str(doc_id), "N")
    return "no error", ""


def test_a_foreign_document_answers_like_a_missing_one(sqlite_runtime: Runtime) -> None:
    svc = Service(sqlite_runtime)
    mine = dossier(sqlite_runtime, "Eigen BV", "BE0712345630", "eigen")
    theirs = dossier(sqlite_runtime, "Andere NV", "BE0428759497", "andere")
    user = svc.add_user(SYSTEM, "boekhouder", "lang-genoeg-1", "accountant", dossiers=[mine])
    own = svc.ingest(SYSTEM, mine, PDF, "eigen.pdf").id
    foreign = svc.ingest(SYSTEM, theirs, PDF + b"%x", "vreemd.pdf").id
    missing = foreign + 1000
    methods = _doc_id_methods(svc)
    assert {"document", "document_bytes", "reprocess", "reject", "confirm_iban"} <= set(methods)
    for name in methods:
        foreign_outcome = _outcome(svc, name, user, foreign, own)
        missing_outcome = _outcome(svc, name, user, missing, own)
        assert foreign_outcome == missing_outcome, name
        assert foreign_outcome[0] != "no error", name
        assert "access" not in foreign_outcome[1].lower(), name


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/factuur.pdf", "factuur.pdf"),
        ("fact\nuur\u202efdp.exe", "fact uurfdp.exe"),
        ("\x1b[31mrood.pdf", "[31mrood.pdf"),
    ],
)
def test_an_uploaded_file_name_is_cleaned(sqlite_runtime: Runtime, given: str, stored: str) -> None:
    svc = Service(sqlite_runtime)
    did = dossier(sqlite_runtime)
    row = svc.ingest(SYSTEM, did, PDF, given)
    assert row.filename == stored
