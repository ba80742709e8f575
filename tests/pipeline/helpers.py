"""Test helpers: drive the pipeline steps synchronously on a real runtime."""

from __future__ import annotations

from pathlib import Path

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service
from pipeline.steps import NextStep, extract_step, propose_step, split_step
from storage import repo
from storage.models import Document

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

STEPS = {"split": split_step, "extract": extract_step, "propose": propose_step}


def store_eml(rt: Runtime, dossier_id: int, raw: bytes, key: str = "k") -> int:
    ref = rt.blobs.put(raw)
    with rt.tx() as s:
        doc, _ = repo.store_mail(
            s,
            dossier=repo.get_dossier(s, dossier_id),
            raw=ref,
            dedup_key=key,
            envelope_from="supplier@example.test",
            envelope_to=["x@dossiers.boekbox.test"],
            message_id=None,
            peer_ip="127.0.0.1",
        )
        return doc.id


def run_all(rt: Runtime, first: list[NextStep]) -> list[NextStep]:
    """Run steps until none is left; returns every step that ran."""
    ran, todo = [], list(first)
    while todo:
        nxt = todo.pop(0)
        ran.append(nxt)
        todo.extend(STEPS[nxt.step](rt, nxt.document_id))
    return ran


def documents(rt: Runtime, dossier_id: int) -> list[Document]:
    with rt.tx() as s:
        return repo.list_documents(
            s, dossier_ids=[dossier_id], kind=None, limit=1000, newest_first=False
        )


def dossier(
    rt: Runtime,
    name: str = "Bakkerij Janssens",
    vat: str = "BE0712345630",
    local: str = "bakkerij-janssens",
) -> int:
    return Service(rt).create_dossier(SYSTEM, name, vat_number=vat, mailbox_local=local).id
