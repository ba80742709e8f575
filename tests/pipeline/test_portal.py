"""The client portal service: upload (files, ZIP, duplicates), full-text search and
filters, filing under a tag, storage use; and no way from dossier A into dossier B."""

from __future__ import annotations

import io
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CORPUS, dossier, run_all

sys.path.append(str(Path(__file__).resolve().parents[1] / "extractors"))
from pdfgen import make_pdf

from pipeline.runtime import Runtime
from pipeline.service import (
    SYSTEM,
    AccessDenied,
    DocumentFilter,
    Service,
    ServiceError,
    UserView,
)
from pipeline.steps import NextStep, extract_step
from storage import fulltext, repo

UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"


def _contract(word: str = "Kantoorruimte") -> bytes:
    return make_pdf(
        [
            [(50, 50, "Huurovereenkomst"), (50, 80, f"{word} te Gent"), (50, 110, "Factuur")],
            [(50, 50, "Bijlage plan van de verdieping")],
        ]
    )


def _process(rt: Runtime, row_id: int, kind: str) -> None:
    run_all(rt, [NextStep("split" if kind == "mail" else "extract", row_id)])


def _entrepreneur(svc: Service, name: str, dossier_id: int) -> UserView:
    user = svc.add_user(SYSTEM, name, "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, dossier_id, name, "client_portal")
    return user


def _ids(svc: Service, user: UserView, did: int, **kw: object) -> list[int]:
    return [r.id for r in svc.search_documents(user, did, DocumentFilter(**kw)).rows]  # type: ignore[arg-type]


def test_upload_search_and_file(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    ann = _entrepreneur(svc, "ann", did)
    pdf = _contract()
    row = svc.upload(ann, did, pdf, "huur.pdf")
    assert row.state == "received"
    assert [i.working for i in svc.upload_progress(ann, did, [row.id])] == [True]
    _process(runtime, row.id, row.kind)
    (item,) = svc.upload_progress(ann, did, [row.id])
    assert not item.working
    assert item.state == "proposed"
    # found by a word on page 1 and one on page 2, a prefix, any case; not by another word
    assert _ids(svc, ann, did, text="kantoorruimte") == [row.id]
    assert _ids(svc, ann, did, text="VERDIEPING plan") == [row.id]
    assert _ids(svc, ann, did, text="huurover") == [row.id]
    assert _ids(svc, ann, did, text="zwembad") == []
    assert _ids(svc, ann, did, text='"kantoor*" -te: ^(') == [row.id]  # not syntax
    # the same file again is a duplicate of the first, the one code path as mail
    again = svc.upload(ann, did, pdf, "huur (1).pdf")
    assert again.state == "duplicate"
    assert again.duplicate_of == row.id
    with runtime.tx() as s:  # counts stop past the cap: "1+" rather than a full count
        assert fulltext.count_documents(s, [did], DocumentFilter(), cap=1) == 2
        assert fulltext.count_documents(s, [did], DocumentFilter(), cap=5) == 2
    # a contract is filed under a tag, leaves the review queue and is never booked
    filed = svc.file_document(ann, row.id, "  Contracts  ")
    assert filed.state == "filed"
    assert svc.review_queue_count(SYSTEM) == 0
    assert svc.document_tags(ann, did) == ["Contracts"]
    assert _ids(svc, ann, did, tag="Contracts") == [row.id]
    assert _ids(svc, ann, did, doc_type="filed") == [row.id]
    assert _ids(svc, ann, did, doc_type="invoice") == []
    assert svc.document_filing(ann, row.id).tag == "Contracts"
    assert "Kantoorruimte" in svc.document_filing(ann, row.id).text_excerpt
    with pytest.raises(ServiceError, match="name the tag"):
        svc.file_document(ann, row.id, " \n ")
    with pytest.raises(ServiceError, match="cannot be filed"):
        svc.file_document(ann, again.id, "x")  # a duplicate stays one


def test_fields_filters_and_dutch_word_forms(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    row = svc.upload(SYSTEM, did, UBL.read_bytes(), UBL.name)
    _process(runtime, row.id, row.kind)
    doc = svc.document(SYSTEM, row.id).row
    assert doc.supplier_name
    total = doc.total_incl_vat
    assert total is not None
    word = doc.supplier_name.split()[0]
    assert _ids(svc, SYSTEM, did, text=word) == [row.id]
    assert _ids(svc, SYSTEM, did, party=word.lower()) == [row.id]
    assert _ids(svc, SYSTEM, did, party="nobody at all") == []
    assert _ids(svc, SYSTEM, did, amount_min=total, amount_max=total) == [row.id]
    assert _ids(svc, SYSTEM, did, amount_min=total + Decimal("0.01")) == []
    assert doc.invoice_date is not None
    assert _ids(svc, SYSTEM, did, date_from=doc.invoice_date, date_to=doc.invoice_date) == [row.id]
    assert _ids(svc, SYSTEM, did, date_to=doc.invoice_date.replace(year=2000)) == []
    assert _ids(svc, SYSTEM, did, states=("proposed",), doc_type="invoice") == [row.id]
    assert _ids(svc, SYSTEM, did, states=("booked",)) == []
    # a replayed extract step stores the text once
    svc.reprocess(SYSTEM, row.id)
    run_all(runtime, [NextStep("extract", row.id)])
    extract_step(runtime, row.id)
    assert _ids(svc, SYSTEM, did, text=word) == [row.id]
    with pytest.raises(ServiceError, match="unknown document type"):
        svc.search_documents(SYSTEM, did, DocumentFilter(doc_type="poem"))


def test_dutch_and_french_word_forms(runtime: Runtime) -> None:
    """Another form of a word finds it: SQLite through the stored Snowball stems (FTS5),
    PostgreSQL through its Dutch and French tsvectors."""
    svc = Service(runtime)
    did = dossier(runtime)
    pdfs = {
        "nl": [[(50, 50, "Factuur voor de herstelling"), (50, 80, "Facturen van de leveranciers")]],
        "fr": [[(50, 50, "Facture du chauffagiste"), (50, 80, "Les livraisons du mois")]],
        "other": [[(50, 50, "Contract zonder woordvormen")]],
    }
    ids = {}
    for name, pages in pdfs.items():
        row = svc.upload(SYSTEM, did, make_pdf(pages), f"{name}.pdf")
        _process(runtime, row.id, row.kind)
        ids[name] = row.id
    nl, fr = ids["nl"], ids["fr"]
    assert nl in _ids(svc, SYSTEM, did, text="facturen")  # finds "factuur"
    assert fr in _ids(svc, SYSTEM, did, text="factures")  # finds "facture"
    assert _ids(svc, SYSTEM, did, text="herstellingen") == [nl]  # finds "herstelling"
    assert _ids(svc, SYSTEM, did, text="factuur leverancier") == [nl]  # Dutch forms
    assert _ids(svc, SYSTEM, did, text="livraison") == [fr]  # French forms
    assert _ids(svc, SYSTEM, did, text="chauffagistes") == [fr]
    assert _ids(svc, SYSTEM, did, text="herstellingen livraison") == []  # every word
    assert ids["other"] not in _ids(svc, SYSTEM, did, text="facturen")


def test_a_zip_is_split_like_a_mailed_archive(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/contract.pdf", _contract("Magazijn"))
        z.writestr("b.xml", UBL.read_bytes())
        z.writestr("notes.exe", b"MZ not a document")
    row = svc.upload(SYSTEM, did, buf.getvalue(), "batch.zip")
    assert row.kind == "mail"
    _process(runtime, row.id, row.kind)
    items = svc.upload_progress(SYSTEM, did, [row.id])
    assert items[0].id == row.id
    assert items[0].state == "split"
    parts = {i.filename: i for i in items[1:]}
    assert {n for n in parts if n and n.endswith((".pdf", ".xml"))} == {"contract.pdf", "b.xml"}
    assert not any(i.working for i in items)
    assert _ids(svc, SYSTEM, did, text="magazijn") == [parts["contract.pdf"].id]


def test_a_saved_mail_is_split_like_a_received_one(runtime: Runtime) -> None:
    from email.message import EmailMessage

    svc = Service(runtime)
    did = dossier(runtime)
    msg = EmailMessage()
    msg["From"] = "Verhuurder <verhuur@example.test>"
    msg["Subject"] = "Uw contract"
    msg.set_content("In bijlage het contract.")
    pdf = _contract("Loods")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="contract.pdf")
    row = svc.upload(SYSTEM, did, msg.as_bytes(), "Uw contract.eml")
    assert row.kind == "mail"
    _process(runtime, row.id, row.kind)
    items = svc.upload_progress(SYSTEM, did, [row.id])
    assert [(i.filename, i.state) for i in items[1:]] == [("contract.pdf", "proposed")]
    # the same PDF uploaded on its own later is a duplicate of the mailed one
    again = svc.upload(SYSTEM, did, pdf, "contract.pdf")
    assert again.duplicate_of == items[1].id
    assert _ids(svc, SYSTEM, did, text="loods") == [items[1].id]


def test_storage_use_and_cost(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    svc.upload(SYSTEM, did, _contract(), "c.pdf")
    use = svc.storage_use(SYSTEM, did)
    assert use.used_bytes > 0
    assert (use.extra_gb, use.monthly_cost_eur) == (0, Decimal("0"))
    with runtime.tx() as s:
        d = repo.get_dossier(s, did)
        d.used_bytes = d.free_bytes + 1_500_000_000  # 1.5 GB over: two started GB
    use = svc.storage_use(SYSTEM, did)
    assert (use.extra_gb, use.monthly_cost_eur) == (2, Decimal("2"))


def test_upload_refuses_empty_and_oversized(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    with pytest.raises(ServiceError, match="is empty"):
        svc.upload(SYSTEM, did, b"", "x.pdf")
    big = b"%PDF-1.4\n" + b"0" * runtime.settings.smtp_max_bytes
    with pytest.raises(ServiceError, match="over the limit"):
        svc.upload(SYSTEM, did, big, "x.pdf")


def test_a_user_of_dossier_a_gets_nothing_of_dossier_b(runtime: Runtime) -> None:
    svc = Service(runtime)
    a = dossier(runtime)
    b = dossier(runtime, "Garage Peeters", "BE0403019261", "garage-peeters")
    ann = _entrepreneur(svc, "ann", a)
    bob = _entrepreneur(svc, "bob", b)
    theirs = svc.upload(bob, b, _contract(), "b.pdf")
    _process(runtime, theirs.id, theirs.kind)
    calls = {
        "upload": lambda: svc.upload(ann, b, _contract("X"), "x.pdf"),
        "upload_progress": lambda: svc.upload_progress(ann, b, [theirs.id]),
        "search_documents": lambda: svc.search_documents(ann, b),
        "document_tags": lambda: svc.document_tags(ann, b),
        "document_filing": lambda: svc.document_filing(ann, theirs.id),
        "file_document": lambda: svc.file_document(ann, theirs.id, "mine"),
        "storage_use": lambda: svc.storage_use(ann, b),
    }
    for name, call in calls.items():
        with pytest.raises(ServiceError) as caught:
            call()
        assert isinstance(caught.value, AccessDenied) or "does not exist" in str(caught.value), name
    # ann's own progress list never shows bob's document, even by id
    assert svc.upload_progress(ann, a, [theirs.id]) == []
    assert svc.search_documents(ann, a, DocumentFilter(text="kantoorruimte")).total == 0
    assert svc.document_filing(bob, theirs.id).tag is None


def test_many_matches_are_paged_newest_first_and_counted_to_the_cap(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    rows = []
    for n in range(3):
        row = svc.upload(SYSTEM, did, _contract(f"Opslag{n}"), f"c{n}.pdf")
        _process(runtime, row.id, row.kind)
        rows.append(row.id)
    monkeypatch.setattr(fulltext, "COUNT_CAP", 2)  # more matches than the cap: dense path
    page = svc.search_documents(SYSTEM, did, DocumentFilter(text="huurovereenkomst"), limit=2)
    assert [r.id for r in page.rows] == rows[::-1][:2]
    assert (page.total, page.more) == (2, True)
    page = svc.search_documents(SYSTEM, did, DocumentFilter(text="opslag1"))
    assert ([r.id for r in page.rows], page.total, page.more) == ([rows[1]], 1, False)
