"""The invoicing pages (Invoices, Customers, Items, Payments, Reminders) through AppTest,
on the seeded SQLite world plus invoicing data made through the service."""

from __future__ import annotations

import re
import socket
import sys
from dataclasses import dataclass, replace
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline import send_actor
from pipeline.service import SYSTEM, UserView
from review_ui.common import JOINER

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement
from sendworker import send_worker

SELLER = {
    "street": "Kerkstraat 1",
    "postal_code": "9000",
    "city": "Gent",
    "enterprise_number": "0743.182.920",
    "iban": "BE71 0961 2345 6769",
    "bic": "GKCCBEBB",
    "email": "facturen@janssens.example",
}
CUSTOMER = {
    "name": "Klant NV",
    "country": "BE",
    "vat": "BE0202239951",
    "street": "Markt 2",
    "postal_code": "1000",
    "city": "Brussel",
    "email": "boekhouding@klant.example",
    "payment_terms_days": 30,
}
HOSTILE = "<b>**Evil**</b> [click](http://evil.example)"


@dataclass(frozen=True)
class Inv:
    dossier: int
    customer: int
    hostile: int
    item: int
    issued: int
    number: str
    draft: int
    ogm: str


def _line(desc: str, qty: str, price: str, rate: str) -> dict[str, str]:
    return {"description": desc, "quantity": qty, "unit_price": price, "vat_rate": rate}


@pytest.fixture
def inv(world: World) -> Inv:
    svc, did = world.service, world.seed.dossier_a
    svc.set_invoicing_settings(SYSTEM, did, seller=SELLER, prefix="F")
    cid = svc.create_customer(SYSTEM, did, CUSTOMER).id
    hostile = svc.create_customer(
        SYSTEM, did, {"name": HOSTILE, "country": "BE", "is_consumer": True}
    ).id
    item = svc.create_item(
        SYSTEM, did, {"description": "Taart", "unit_price": "20", "vat_rate": "6", "kind": "goods"}
    ).id
    first = svc.create_draft(
        SYSTEM,
        did,
        {
            "customer_id": cid,
            "issue_date": "2026-03-02",
            "lines": [_line("Advies", "2", "100", "21")],
        },
    )
    issued = svc.issue(SYSTEM, first.id)
    draft = svc.create_draft(
        SYSTEM, did, {"customer_id": hostile, "lines": [_line("Brood", "3", "2.50", "6")]}
    )
    assert issued.number
    assert issued.structured_communication
    return Inv(
        did, cid, hostile, item, issued.id, issued.number, draft.id, issued.structured_communication
    )


def app(user: UserView, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.run()
    at.switch_page(f"views/{page}.py").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest, kind: str) -> list[str]:
    """As shown: outside text is sent backslash-escaped (common.esc)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)).replace(JOINER, "") for e in getattr(at, kind)]


def table(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def picker(at: AppTest) -> Any:
    """The invoice picker (its key changes after each command)."""
    try:
        version = int(at.session_state["inv_pick_v"])
    except KeyError:
        version = 0
    return at.selectbox(key=f"inv_pick_{version}")


def pick_dossier(at: AppTest, key: str, dossier_id: int) -> None:
    at.selectbox(key=key).select(dossier_id).run()
    ok(at)


# ----------------------------------------------------------------------------- invoices


def test_invoice_list_filters_by_state_paid_and_overdue(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    rows = table(at, "Number").set_index("Number")
    assert rows.loc[inv.number, "Total"] == "242.00"
    assert rows.loc[inv.number, "State"] == "overdue"  # due 2026-04-01
    assert f"draft #{inv.draft}" in rows.index
    at.selectbox(key="inv_filter").select("Drafts").run()
    assert list(table(at, "Number")["Number"]) == [f"draft #{inv.draft}"]
    at.selectbox(key="inv_filter").select("Overdue").run()
    assert list(table(at, "Number")["Number"]) == [inv.number]
    at.selectbox(key="inv_filter").select("Paid").run()
    assert not [d for d in at.dataframe if "Number" in d.value.columns]


def test_draft_editor_live_totals_save_and_issue(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    assert picker(at).value == 0  # a new draft
    gen = at.session_state["inv_gen"]
    at.selectbox(key=f"inv_cust_{gen}").select(inv.customer).run()
    at.text_input(key=f"inv_l{gen}_0_description").input("Advies").run()
    at.number_input(key=f"inv_l{gen}_0_quantity").set_value(3.0).run()
    at.number_input(key=f"inv_l{gen}_0_unit_price").set_value(100.0).run()
    ok(at)
    assert any("Total **363.00 EUR**" in m for m in texts(at, "markdown"))
    # an item line at 6 %: VAT per rate on the totals
    at.selectbox(key="inv_item_pick").select(inv.item).run()
    at.button(key="inv_add_item").click().run()
    ok(at)
    rates = table(at, "VAT rate").set_index("VAT rate")
    assert rates.loc["21 % (S)", "VAT"] == "63.00"
    assert rates.loc["6 % (S)", "VAT"] == "1.20"
    assert any("Total **384.20 EUR**" in m for m in texts(at, "markdown"))
    at.button(key="inv_save").click().run()
    ok(at)
    new = max(world.service.invoices(SYSTEM, inv.dossier, state="draft"), key=lambda r: r.id)
    assert new.total == D("384.20")
    assert f"Draft #{new.id} saved: total 384.20 EUR" in texts(at, "success")
    assert picker(at).value == new.id
    at.button(key="inv_issue").click().run()
    ok(at)
    issued = world.service.invoice(SYSTEM, new.id).row
    assert issued.number == "F2026-0002"
    assert "Issued as F2026-0002" in texts(at, "success")
    assert "Invoice F2026-0002" in texts(at, "subheader")
    assert next(b.label for b in at.get("download_button")) == "Download F2026-0002.pdf"


def test_a_refused_draft_shows_its_reason_and_hostile_names_stay_text(
    world: World, inv: Inv
) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    picker(at).select(inv.draft).run()
    ok(at)
    gen = at.session_state["inv_gen"]
    assert at.selectbox(key=f"inv_cust_{gen}").value == inv.hostile
    assert any("Total **7.95 EUR**" in m for m in texts(at, "markdown"))
    # intra-EU services need the customer's VAT number: refused where the user looks
    at.selectbox(key=f"inv_case_{gen}").select("intra_eu_services").run()
    ok(at)
    assert any(w.startswith("Cannot compute the totals yet") for w in texts(at, "warning"))
    at.button(key="inv_save").click().run()
    assert any(e.startswith("Saving refused") for e in texts(at, "error"))
    # no Markdown formed from the customer's name anywhere
    for element in (*at.markdown, *at.caption, *at.success):
        assert "<b>" not in str(element.value).replace("\\<b\\>", "")
        assert "](http" not in str(element.value)


def test_issued_invoice_send_mandate_warning_credit_note_and_book(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    picker(at).select(inv.issued).run()
    ok(at)
    assert f"Invoice {inv.number}" in texts(at, "subheader")
    assert any(inv.ogm[:3] in c and "+++" in c for c in texts(at, "caption"))
    at.selectbox(key=f"inv_channel_{inv.issued}").select("email").run()
    assert any("must be sent over Peppol" in w for w in texts(at, "warning"))
    at.selectbox(key=f"inv_channel_{inv.issued}").select("peppol").run()
    assert not any("must be sent over Peppol" in w for w in texts(at, "warning"))
    at.button(key=f"inv_send_{inv.issued}").click().run()  # no access point configured here
    assert any(
        "Sending refused: sending by peppol is not configured" in e for e in texts(at, "error")
    )
    at.button(key="inv_credit").click().run()
    ok(at)
    cn = world.service.invoices(SYSTEM, inv.dossier, kind="credit_note")[0]
    assert (cn.state, cn.credits_id, cn.total) == ("draft", inv.issued, D("242.00"))
    assert picker(at).value == cn.id
    at.button(key="inv_issue").click().run()
    ok(at)
    assert world.service.invoice(SYSTEM, cn.id).row.number == "F2026-0002"
    # book the invoice: the sales proposal opens in the review flow
    picker(at).select(inv.issued).run()
    at.button(key="inv_book").click().run()
    ok(at)
    doc_id = world.service.invoice(SYSTEM, inv.issued).row.document_id
    assert doc_id is not None
    assert world.service.document(SYSTEM, doc_id).row.state == "proposed"
    assert texts(at, "subheader")[0].startswith(f"#{doc_id} ")


def test_a_user_without_the_invoice_right_sees_no_dossier(world: World, inv: Inv) -> None:
    at = app(world.seed.erik, "invoices")
    assert at.selectbox(key="inv_dossier").options == ["Bakkerij Janssens"]
    world.service.set_rights(world.seed.root, inv.dossier, "erik", revoke=["invoice"])
    at = app(world.seed.erik, "invoices")  # the right is read again on each run
    assert any("invoice right in any dossier" in i for i in texts(at, "info"))
    assert not at.dataframe


# ----------------------------------------------------------------------------- customers, items


def test_customers_add_edit_validation_and_csv_import(world: World, inv: Inv) -> None:
    at = app(world.seed.erik, "customers")  # the entrepreneur invoices too
    names = set(table(at, "Name")["Name"])
    assert {"Klant NV", HOSTILE} <= names
    at.text_input(key="cust_name_new").input("Nieuwe BV")
    at.text_input(key="cust_vat_new").input("BE0202239952")  # bad check digits
    _submit(at, "cust_form_new")
    assert any("Saving the customer refused" in e and "VAT" in e for e in texts(at, "error"))
    at.text_input(key="cust_vat_new").input("BE0403170701")
    at.text_input(key="cust_peppol_new").input("9999:nothing")
    _submit(at, "cust_form_new")
    assert any("Peppol id" in e for e in texts(at, "error"))
    at.text_input(key="cust_peppol_new").input("")
    _submit(at, "cust_form_new")
    ok(at)
    assert "Customer Nieuwe BV saved" in texts(at, "success")
    made = next(c for c in world.service.customers(SYSTEM, inv.dossier) if c.name == "Nieuwe BV")
    assert made.peppol_id == "0208:0403170701"
    assert at.selectbox(key="cust_pick").value == made.id
    at.text_input(key=f"cust_email_{made.id}").input("bv@nieuw.example")
    _submit(at, f"cust_form_{made.id}")
    ok(at)
    assert world.service.customer(SYSTEM, inv.dossier, made.id).email == "bv@nieuw.example"
    csv = (
        b"name;country;vat;email\nImport NV;BE;BE0202239951;a@b.example\nSlecht;BE;BE0000000000;\n"
    )
    at.file_uploader(key="cust_csv").upload("klanten.csv", csv, "text/csv").run()
    at.button(key="cust_import").click().run()
    ok(at)
    assert "1 customers added." in texts(at, "success")
    assert any(e.startswith("Line 3:") for e in texts(at, "error"))


def _submit(at: AppTest, form: str) -> None:
    buttons = [b for b in at.get("button") if getattr(b, "form_id", "") == form]
    assert buttons, form
    buttons[0].click().run()


def test_items_add_and_edit(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "items")
    pick_dossier(at, "item_dossier", inv.dossier)
    assert table(at, "Description").set_index("Description").loc["Taart", "VAT"] == "6 %"
    at.text_input(key="item_desc_new").input("Uur advies")
    at.text_input(key="item_price_new").input("85")
    _submit(at, "item_form_new")
    ok(at)
    assert "Item Uur advies saved" in texts(at, "success")
    made = next(
        i for i in world.service.items(SYSTEM, inv.dossier) if i.description == "Uur advies"
    )
    assert (made.unit_price, made.vat_rate, made.account) == (D("85"), D("21"), "705000")
    at.text_input(key=f"item_price_{made.id}").input("abc")
    _submit(at, f"item_form_{made.id}")
    assert any("Saving the item refused" in e and "not a number" in e for e in texts(at, "error"))


# ----------------------------------------------------------------------------- payments


def test_payments_coda_upload_manual_match_and_mark_paid(world: World, inv: Inv) -> None:
    svc = world.service
    second = svc.issue(
        SYSTEM,
        svc.create_draft(
            SYSTEM,
            inv.dossier,
            {
                "customer_id": inv.customer,
                "issue_date": "2026-11-02",
                "lines": [_line("X", "1", "50", "21")],
            },
        ).id,
    )
    data = coda_statement([(D("100.00"), inv.ogm, ""), (D("30.00"), None, "voorschot F2026-0002")])
    at = app(world.seed.anna, "payments")
    pick_dossier(at, "pay_dossier", inv.dossier)
    at.file_uploader(key="pay_coda").upload("stat.cod", b"0bad", "text/plain").run()
    at.button(key="pay_import").click().run()
    assert any(e.startswith("CODA import refused") for e in texts(at, "error"))
    at.file_uploader(key="pay_coda").clear().run()
    at.file_uploader(key="pay_coda").upload("stat.cod", data, "text/plain").run()
    at.button(key="pay_import").click().run()
    ok(at)
    assert any("2 movements, 1 matched, 1 to match by hand" in s for s in texts(at, "success")), (
        texts(at, "success"),
        texts(at, "error"),
    )
    unmatched = table(at, "Counterparty")
    assert list(unmatched["Amount"]) == ["30.00"]
    at.selectbox(key="pay_target").select(second.id).run()
    at.button(key="pay_match").click().run()
    ok(at)
    assert svc.invoice(SYSTEM, second.id).row.open_amount == D("30.50")
    assert any("matched to F2026-0002" in s for s in texts(at, "success"))
    # the first invoice got 100 of 242 by CODA: mark 42 more paid by hand
    at.selectbox(key="pay_invoice").select(inv.issued).run()
    at.text_input(key="pay_amount").input("42").run()
    at.button(key="pay_mark").click().run()
    ok(at)
    row = svc.invoice(SYSTEM, inv.issued).row
    assert (row.payment_state, row.open_amount) == ("partial", D("100.00"))
    at.text_input(key="pay_amount").input("1000").run()
    at.button(key="pay_mark").click().run()
    assert any("more than" in e for e in texts(at, "error"))


# ----------------------------------------------------------------------------- reminders


def test_reminders_ageing_dry_run_then_send(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "reminders")
    pick_dossier(at, "rem_dossier", inv.dossier)
    ageing = table(at, "Customer").set_index("Customer")
    assert ageing.loc["Klant NV", "> 90 days"] == "242.00"
    at.button(key="rem_dry").click().run()
    ok(at)
    assert any("would be sent" in s for s in texts(at, "success"))
    assert svc_reminders(world, inv) == ()
    assert any(h == "Sent" for h in texts(at, "subheader"))
    assert "No reminders sent for the open invoices." in texts(at, "caption")
    at.button(key="rem_send").click().run()
    ok(at)
    assert any("recorded" in s for s in texts(at, "success"))
    sent = svc_reminders(world, inv)
    assert len(sent) == 1
    assert table(at, "Level")["Invoice"].tolist() == [inv.number]
    at.button(key="rem_send").click().run()  # the run is idempotent
    assert "No reminder is due today." in texts(at, "info")
    assert len(svc_reminders(world, inv)) == 1


def svc_reminders(world: World, inv: Inv) -> tuple[object, ...]:
    return world.service.invoice(SYSTEM, inv.issued).reminders


def test_every_invoicing_page_renders_for_the_entrepreneur(world: World, inv: Inv) -> None:
    for page in ("invoices", "customers", "items", "payments", "reminders"):
        at = app(world.seed.erik, page)
        assert texts(at, "header")[0] == page.capitalize()
    # the entrepreneur may not manage payments: no dossier to pick there
    at = app(world.seed.erik, "payments")
    assert any("manage_payments right" in i for i in texts(at, "info"))


def test_editor_adds_and_removes_lines_and_starts_afresh_in_another_dossier(
    world: World, inv: Inv
) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    gen = at.session_state["inv_gen"]
    at.text_input(key=f"inv_l{gen}_0_description").input("Eerste").run()
    at.number_input(key=f"inv_l{gen}_0_unit_price").set_value(10.0).run()
    at.button(key=f"inv_add_line_{gen}").click().run()
    ok(at)
    at.text_input(key=f"inv_l{gen}_1_description").input("Tweede").run()
    at.number_input(key=f"inv_l{gen}_1_unit_price").set_value(5.0).run()
    assert any("Total **18.15 EUR**" in m for m in texts(at, "markdown"))
    at.button(key=f"inv_l{gen}_0_remove").click().run()
    ok(at)
    gen = at.session_state["inv_gen"]
    assert at.text_input(key=f"inv_l{gen}_0_description").value == "Tweede"
    assert any("Total **6.05 EUR**" in m for m in texts(at, "markdown"))
    # Garage Peeters has no customers yet; back in the first dossier the editor is new
    pick_dossier(at, "inv_dossier", world.seed.dossier_b)
    assert "Add a customer first (Customers page)." in texts(at, "info")
    pick_dossier(at, "inv_dossier", inv.dossier)
    gen = at.session_state["inv_gen"]
    assert at.text_input(key=f"inv_l{gen}_0_description").value == ""


class _Relay:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def test_send_by_mail_through_a_real_relay_shows_state_and_the_mandate_warning(
    world: World, inv: Inv
) -> None:
    from aiosmtpd.controller import Controller

    from pipeline.runtime import build_runtime, reset_runtime

    handler = _Relay()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        url = f"smtp://127.0.0.1:{port}?starttls=0"
        reset_runtime(build_runtime(replace(world.runtime.settings, outgoing_smtp_url=url)))
        at = app(world.seed.anna, "invoices")
        pick_dossier(at, "inv_dossier", inv.dossier)
        picker(at).select(inv.issued).run()
        at.selectbox(key=f"inv_channel_{inv.issued}").select("email").run()
        assert any("must be sent over Peppol" in w for w in texts(at, "warning"))
        workers = send_worker()  # the send actor's worker, on a fresh broker
        broker = next(workers)
        try:
            at.button(key=f"inv_send_{inv.issued}").click().run()
            ok(at)
            # queued for the worker (or sent already, when the worker was that quick)
            shown = r"email to boekhouding@klant\.example: ((queued|sending) \(a worker|sent)"
            assert any(re.search(shown, m) for m in texts(at, "success")), texts(at, "success")
            broker.join(send_actor.SEND_QUEUE, timeout=60_000)  # the worker sent it
        finally:
            workers.close()
        at.run()
    finally:
        ctl.stop()
    assert len(handler.messages) == 1
    assert any(
        "by email to boekhouding@klant.example: **sent**" in m for m in texts(at, "markdown")
    )
    assert any(
        "not a valid invoice under the e-invoicing mandate" in w for w in texts(at, "warning")
    )


def test_invoicing_settings_are_asked_for_before_the_first_invoice(world: World, inv: Inv) -> None:
    b = world.seed.dossier_b  # Garage Peeters: no invoicing details yet
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", b)
    assert any("before the first invoice" in w for w in texts(at, "warning"))
    for key, value in {
        "street": "Stationsstraat 5",
        "postal_code": "2000",
        "city": "Antwerpen",
        "enterprise_number": "0428.759.498",  # bad check digits
        "iban": "BE71 0961 2345 6769",
        "bic": "GKCCBEBB",
    }.items():
        at.text_input(key=f"set_{key}_{b}").input(value)
    at.text_input(key=f"set_prefix_{b}").input("GP")
    _submit(at, f"set_{b}")
    assert any(e.startswith("Saving the settings refused") for e in texts(at, "error"))
    assert not world.service.invoicing_settings(SYSTEM, b)
    at.text_input(key=f"set_enterprise_number_{b}").input("0428.759.497")
    _submit(at, f"set_{b}")
    ok(at)
    assert "Invoicing settings saved" in texts(at, "success")
    cfg = world.service.invoicing_settings(SYSTEM, b)
    assert (cfg["prefix"], cfg["seller"]["city"]) == ("GP", "Antwerpen")
    assert not any("before the first invoice" in w for w in texts(at, "warning"))


def test_editor_discounts_and_charges_with_live_totals(world: World, inv: Inv) -> None:
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    gen = at.session_state["inv_gen"]
    at.selectbox(key=f"inv_cust_{gen}").select(inv.customer).run()
    at.text_input(key=f"inv_l{gen}_0_description").input("Advies").run()
    at.number_input(key=f"inv_l{gen}_0_quantity").set_value(2.0).run()
    at.number_input(key=f"inv_l{gen}_0_unit_price").set_value(100.0).run()
    assert any("Total **242.00 EUR**" in m for m in texts(at, "markdown"))
    at.button(key=f"inv_add_adj_{gen}").click().run()
    at.text_input(key=f"inv_a{gen}_0_reason").input("Trouwe klant").run()
    at.number_input(key=f"inv_a{gen}_0_value").set_value(10.0).run()  # 10 % off
    ok(at)
    assert any("Total **217.80 EUR**" in m for m in texts(at, "markdown"))
    at.button(key=f"inv_add_adj_{gen}").click().run()
    at.selectbox(key=f"inv_a{gen}_1_kind").select("charge").run()
    at.text_input(key=f"inv_a{gen}_1_reason").input("Verzending").run()
    at.selectbox(key=f"inv_a{gen}_1_mode").select("amount").run()
    at.number_input(key=f"inv_a{gen}_1_value").set_value(15.0).run()
    at.selectbox(key=f"inv_a{gen}_1_rate").select("21").run()
    ok(at)
    assert "Lines 200.00 · discounts −20.00 · charges +15.00" in texts(at, "caption")
    assert any("Net **195.00** · VAT **40.95** · Total **235.95 EUR**" in m
               for m in texts(at, "markdown"))  # fmt: skip
    at.button(key="inv_save").click().run()
    ok(at)
    new = max(world.service.invoices(SYSTEM, inv.dossier, state="draft"), key=lambda r: r.id)
    assert new.total == D("235.95")
    # opened again (another invoice in between): the discount and the charge are back
    picker(at).select(inv.issued).run()
    picker(at).select(new.id).run()
    ok(at)
    gen = at.session_state["inv_gen"]
    assert at.text_input(key=f"inv_a{gen}_0_reason").value == "Trouwe klant"
    assert at.selectbox(key=f"inv_a{gen}_1_mode").value == "amount"
    assert at.number_input(key=f"inv_a{gen}_1_value").value == 15.0
    assert any("Total **235.95 EUR**" in m for m in texts(at, "markdown"))
    # removing the charge counts live
    at.button(key=f"inv_a{gen}_1_remove").click().run()
    ok(at)
    assert any("Total **217.80 EUR**" in m for m in texts(at, "markdown"))
    at.button(key="inv_save").click().run()
    at.button(key="inv_issue").click().run()
    ok(at)
    issued = world.service.invoice(SYSTEM, new.id)
    assert (issued.row.state, issued.row.total) == ("issued", D("217.80"))
    assert issued.has_ubl  # the discount is in the validated UBL


def test_partial_credit_note_of_some_lines_and_part_of_a_quantity(world: World, inv: Inv) -> None:
    svc = world.service
    draft = svc.create_draft(SYSTEM, inv.dossier, {
        "customer_id": inv.customer, "issue_date": "2026-03-03",
        "lines": [_line("Advies", "2", "100", "21"), _line("Brood", "3", "2.50", "6")],
        "adjustments": [{"is_charge": False, "reason": "Trouwe klant", "percent": "10"}],
    })  # fmt: skip
    row = svc.issue(SYSTEM, draft.id)
    at = app(world.seed.anna, "invoices")
    pick_dossier(at, "inv_dossier", inv.dossier)
    picker(at).select(row.id).run()
    ok(at)
    assert "Tick the lines to credit." in texts(at, "caption")
    at.checkbox(key=f"inv_cr_{row.id}_0_on").check().run()
    at.number_input(key=f"inv_cr_{row.id}_0_qty").set_value(1.0).run()  # one of the two
    ok(at)
    # one Advies at 100.00, less the invoice's 10 %: 90.00 + 21 % VAT
    assert any("Credit note: net **90.00** · VAT **18.90** · total **108.90 EUR**" in m
               for m in texts(at, "markdown"))  # fmt: skip
    at.button(key=f"inv_credit_lines_{row.id}").click().run()
    ok(at)
    cn = svc.invoices(SYSTEM, inv.dossier, kind="credit_note")[0]
    assert (cn.state, cn.credits_id, cn.total) == ("draft", row.id, D("108.90"))
    assert picker(at).value == cn.id
    at.button(key="inv_issue").click().run()
    ok(at)
    assert svc.invoice(SYSTEM, row.id).row.open_amount == row.total - D("108.90")
