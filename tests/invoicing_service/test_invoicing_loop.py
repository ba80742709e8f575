"""The loop closes inside boekbox: dossier A invoices dossier B by mail to B's dossier
address, through boekbox's own SMTP server on loopback; B's intake takes the UBL in and
B's purchase proposal has exactly A's supplier, amounts and VAT."""

from __future__ import annotations

import sys
from decimal import Decimal as D
from pathlib import Path

from dbfixtures import make_runtime
from test_invoicing_service import SELLER

from intake.server import ServerThread
from pipeline.runtime import Runtime, reset_runtime
from pipeline.service import SYSTEM, Service
from pipeline.steps import NextStep

sys.path.insert(0, str(Path(__file__).parents[1] / "pipeline"))
from helpers import run_all

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement


class _Enqueued(list[int]):
    def __call__(self, ids: list[int]) -> None:
        self.extend(ids)


def test_dossier_a_invoices_dossier_b_by_mail_and_b_gets_the_proposal(
    runtime: Runtime, tmp_path: Path
) -> None:
    enqueued = _Enqueued()
    server = ServerThread(runtime, enqueue=enqueued, hostname="mx.boekbox.test")
    smtp = server.start()
    try:
        reset_runtime(None)
        rt = make_runtime(
            runtime.settings.database_url,
            tmp_path,
            outgoing_smtp_url=f"smtp://127.0.0.1:{smtp.port}?starttls=0",
            mail_auth="header",
            mail_auth_trusted_authserv_id="mx.upstream.test",
        )
        svc = Service(rt)
        a = svc.create_dossier(SYSTEM, "Bakkerij De Smet BV", vat_number="BE0403170701").id
        b = svc.create_dossier(SYSTEM, "Klant NV", vat_number="BE0202239951")
        svc.set_invoicing_settings(SYSTEM, a, seller=SELLER, prefix="F")
        cid = svc.create_customer(
            SYSTEM, a,
            {"name": "Klant NV", "country": "BE", "vat": "BE0202239951", "street": "Markt 2",
             "postal_code": "1000", "city": "Brussel", "email": b.mailbox},
        ).id  # fmt: skip
        draft = svc.create_draft(
            SYSTEM, a,
            {"customer_id": cid, "issue_date": "2026-03-02", "lines": [
                {"description": "Advies", "quantity": "2", "unit_price": "100", "vat_rate": "21"},
                {"description": "Brood", "quantity": "10", "unit_price": "2.50", "vat_rate": "6",
                 "kind": "goods"},
            ]},
        )  # fmt: skip
        inv = svc.issue(SYSTEM, draft.id)
        sent = svc.send(SYSTEM, inv.id, channel="email", now=True)
        assert sent.state == "sent", sent.reason
        assert enqueued, "boekbox's SMTP server took no mail"
        run_all(rt, [NextStep("split", doc_id) for doc_id in enqueued])
        docs = [d for d in svc.documents(SYSTEM, dossier_id=b.id) if d.state == "proposed"]
        (doc,) = [d for d in docs if (d.filename or "").endswith(".xml")]
        detail = svc.document(SYSTEM, doc.id)
        assert detail.row.supplier_name == "Bakkerij De Smet BV"
        assert "0403170701" in str(detail.fields)  # A's VAT number, read from the UBL
        assert detail.row.invoice_number == inv.number
        assert detail.row.total_incl_vat == inv.total == D("268.50")
        lines = detail.entry.lines
        credit_440 = sum((ln.credit for ln in lines if ln.account.startswith("440")), D(0))
        vat_411 = sum((ln.debit for ln in lines if ln.account.startswith("411")), D(0))
        assert credit_440 == D("268.50")
        assert vat_411 == inv.vat_total == D("43.50")
        # B books it and pays it: B's bank statement matches the purchase on A's OGM
        svc.confirm(SYSTEM, doc.id, iban_checked=True)  # A's IBAN is new to B
        statement = coda_statement([(D("-268.50"), inv.structured_communication, "")])
        report = svc.import_coda(SYSTEM, b.id, statement)
        assert report.matched == 1
        assert report.matches[0]["side"] == "purchase"
        assert report.matches[0]["target"] == svc.document(SYSTEM, doc.id).entry.id
    finally:
        server.stop()
