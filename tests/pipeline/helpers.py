"""Test helpers: drive the pipeline steps synchronously on a real runtime."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service
from pipeline.steps import NextStep, extract_step, propose_step, split_step
from storage import repo
from storage.models import Document

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

#: the corpus's Danish-krone e-invoice (2019-01-25; DKK 625743.54 + VAT 156435.89 = 782179.43)
DKK_UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
#: a small ECB reference-rate file (eurofxref-hist.csv format) with a DKK rate for its date
ECB_DKK = b"Date,USD,DKK,\n2019-01-25,1.1416,7.4657,\n2019-01-24,1.1332,7.4661,\n"
DKK_PER_EUR = Decimal("7.4657")


def dkk_in_eur(amount: str) -> Decimal:
    """A DKK amount of that invoice in euro at :data:`DKK_PER_EUR` (half-up to the cent)."""
    return (Decimal(amount) / DKK_PER_EUR).quantize(Decimal("0.01"), ROUND_HALF_UP)


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
