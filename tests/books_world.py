"""A small booked dossier for the books tests (service and UI): hand-computed figures.

Six booked entries (the same as tests/ledger/test_ledger_reports.py): a 2025 sale to
Klant A, two 2026 purchases (Lev X goods, Lev Y services), two 2026 sales (Klant B,
Klant A) and Klant A's bank payment.  Counterparties are stored suppliers; the
documents are stored files, so the ledger links to them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import select

from pipeline.runtime import Runtime
from storage import repo
from storage.blobs import BlobRef, sha256_hex
from storage.models import Supplier

D = Decimal

ENTRIES: list[tuple[str, str, str, bool, str | None, list[tuple[str, str, str, list[str]]]]] = [
    ("2025-03-10", "VKP", "Klant A", True, None, [
        ("400000", "1210.00", "0", []),
        ("700000", "0", "1000.00", ["03"]),
        ("451000", "0", "210.00", ["54"]),
    ]),
    ("2026-01-05", "AKP", "Lev X", True, "2026-02-10", [
        ("604000", "500.00", "0", ["81"]),
        ("411000", "105.00", "0", ["59"]),
        ("440000", "0", "605.00", []),
    ]),
    ("2026-01-20", "AKP", "Lev Y", True, "2026-01-31", [
        ("613000", "200.00", "0", ["82"]),
        ("411000", "42.00", "0", ["59"]),
        ("440000", "0", "242.00", []),
    ]),
    ("2026-03-02", "VKP", "Klant B", True, "2026-04-01", [
        ("400000", "2420.00", "0", []),
        ("700000", "0", "2000.00", ["03"]),
        ("451000", "0", "420.00", ["54"]),
    ]),
    ("2026-03-15", "VKP", "Klant A", True, "2026-03-30", [
        ("400000", "363.00", "0", []),
        ("705000", "0", "300.00", ["03"]),
        ("451000", "0", "63.00", ["54"]),
    ]),
    ("2026-03-20", "FIN", "Klant A", False, None, [
        ("550000", "1210.00", "0", []),
        ("400000", "0", "1210.00", []),
    ]),
]  # fmt: skip


def seed_books(rt: Runtime, dossier_id: int) -> list[int]:
    """Book the six entries in ``dossier_id``; returns their entry ids in order."""
    ids = []
    with rt.tx() as s:
        suppliers: dict[str, int] = {}
        for n, (day, journal, party, with_doc, due, lines) in enumerate(ENTRIES, start=1):
            if party not in suppliers:
                key = f"name:{party.lower()}"
                sup = s.scalar(
                    select(Supplier).where(Supplier.dossier_id == dossier_id, Supplier.key == key)
                )
                if sup is None:
                    sup = Supplier(dossier_id=dossier_id, key=key, name=party)
                    s.add(sup)
                    s.flush()
                suppliers[party] = sup.id
            doc_id = None
            if with_doc:
                token = secrets.token_hex(8)
                content = f"%PDF-1.4\n% books test document {token}\n%%EOF\n".encode()
                ref = BlobRef(sha256_hex(content), len(content))
                rt.blobs.put(content)
                doc, _ = repo.add_document(
                    s,
                    dossier_id=dossier_id,
                    ref=ref,
                    filename=f"{journal}-{n}.pdf",
                    content_type="application/pdf",
                    origin="books test",
                    channel="upload",
                )
                doc_id = doc.id
            date = dt.date.fromisoformat(day)
            entry = repo.replace_entry(
                s,
                dossier_id=dossier_id,
                document_id=doc_id,
                fields={
                    "supplier_id": suppliers[party],
                    "journal": journal,
                    "bookyear": day[:4],
                    "period": day[:7],
                    "vat_period": day[:7],
                    "number": n,
                    "date": date,
                    "due_date": dt.date.fromisoformat(due) if due else None,
                    "status": "booked",
                },
                lines=[
                    {"account": acc, "debit": D(d), "credit": D(c), "vat_grids": grids}
                    for acc, d, c, grids in lines
                ],
            )
            ids.append(entry.id)
    return ids
