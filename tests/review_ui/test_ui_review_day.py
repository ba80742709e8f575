"""Issue 16 on the Review page (AppTest, real SQLite): book without a proposal, a foreign
currency, the same invoice twice, reject-and-next, reopen asks, fields in words, history."""

from __future__ import annotations

from decimal import Decimal

from test_ui_pages import app, frame, texts
from ui_world import CORPUS, World

from pipeline.service import SYSTEM

DKK_UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"  # DKK, 2019-01-25, 782179.43


def _ingest(world: World, data: bytes, name: str) -> int:
    from pipeline import steps

    row = world.service.ingest(SYSTEM, world.seed.dossier_a, data, name)
    for nxt in steps.extract_step(world.runtime, row.id):
        steps.propose_step(world.runtime, nxt.document_id)
    return row.id


def _dkk_without_rate(world: World) -> int:
    world.service.import_rates(SYSTEM, b"Date,DKK\n2026-01-05,7.46\n")  # none for 2019
    doc = _ingest(world, DKK_UBL.read_bytes(), "dkk.xml")
    assert world.service.document(SYSTEM, doc).entry is None
    return doc


def test_a_document_without_proposal_is_booked_by_hand(world: World) -> None:
    doc = _dkk_without_rate(world)
    anna = world.seed.anna
    at = app(anna, "review", doc=str(doc))
    assert any("No proposed entry" in w for w in texts(at, "warning"))
    assert not [b for b in at.button if b.key == "rv_confirm"]
    at.button(key=f"rv_by_hand_{doc}").click().run()
    assert not at.exception
    assert any("booked by hand" in w for w in texts(at, "warning"))
    assert any("cannot be booked until you give the rate" in w for w in texts(at, "warning"))
    at.button(key="rv_confirm").click().run()
    assert not at.exception
    refused = " ".join(texts(at, "error"))  # DKK amounts are never booked as euro
    assert "Not booked: the invoice is in DKK and no exchange rate is known" in refused
    assert world.service.document(anna, doc).row.state == "proposed"
    at.text_input(key=f"rv_rate_value_{doc}").input("7,46")
    at.button(key=f"FormSubmitter:rv_rate_{doc}-Book in euro at this rate").click().run()
    assert not at.exception
    at.button(key="rv_confirm").click().run()
    assert not at.exception
    detail = world.service.document(anna, doc)
    assert detail.row.state == "booked"
    assert detail.entry is not None
    assert detail.entry.label == "purchase 2019/1"
    history = world.service.document(anna, doc).audit
    assert [e["user"] for e in history if e["action"] == "confirm"] == ["anna"]
    at = app(anna, "review", doc=str(doc))
    assert any("booked as **purchase 2019/1**" in m for m in texts(at, "markdown"))
    assert any(": confirm" in t and "anna" in t for t in texts(at, "text"))


def test_a_foreign_currency_invoice_asks_for_a_rate_and_shows_it(world: World) -> None:
    doc = _dkk_without_rate(world)
    at = app(world.seed.anna, "review", doc=str(doc))
    assert any("no exchange rate is known" in w for w in texts(at, "warning"))
    form = f"FormSubmitter:rv_rate_{doc}-Book in euro at this rate"
    at.text_input(key=f"rv_rate_value_{doc}").input("zero")
    at.button(key=form).click().run()
    assert any("Exchange rate refused" in e for e in texts(at, "error"))
    at.text_input(key=f"rv_rate_value_{doc}").input("7,4657")
    at.button(key=form).click().run()
    assert not at.exception
    info = " ".join(texts(at, "info"))
    assert "1 EUR = 7.4657 DKK" in info
    assert "given by the accountant" in info
    assert "original total DKK" in info
    entry = world.service.document(SYSTEM, doc).entry
    assert entry is not None
    assert max(max(ln.debit, ln.credit) for ln in entry.lines) == Decimal("104769.74")


def test_the_same_invoice_twice_warns_and_marks_in_one_click(world: World) -> None:
    first = _ingest(world, DKK_UBL.read_bytes(), "invoice.xml")
    copy = DKK_UBL.read_bytes().replace(b"<cbc:ID>12345</cbc:ID>", b"<cbc:ID>0012345</cbc:ID>", 1)
    second = _ingest(world, copy, "photo.xml")
    at = app(world.seed.anna, "review", doc=str(second))
    assert any(f"Possible duplicate: document #{first}" in e for e in texts(at, "error"))
    at.button(key=f"rv_same_invoice_{second}").click().run()
    assert not at.exception
    row = world.service.document(SYSTEM, second).row
    assert (row.state, row.duplicate_of) == ("duplicate", first)
    assert at.query_params.get("doc") != str(second)  # on to the next document


def test_reject_moves_to_the_next_document(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.text_input(key=f"rv_reject_reason_{seed.pdf}").input("private purchase").run()
    at.button(key="rv_reject").click().run()
    assert not at.exception
    assert f"Document #{seed.pdf} rejected." in texts(at, "success")
    assert at.query_params["doc"] != str(seed.pdf)
    assert world.service.document(seed.anna, seed.pdf).row.state == "rejected"


def test_reopening_a_booked_entry_asks_first(world: World) -> None:
    seed = world.seed
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    world.service.confirm(seed.anna, seed.pdf)
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.button(key="rv_reopen").click().run()
    assert not at.exception
    assert world.service.document(seed.anna, seed.pdf).row.state == "booked"  # only asked
    at.button(key="rv_reopen_yes").click().run()
    assert not at.exception
    assert world.service.document(seed.anna, seed.pdf).row.state == "proposed"


def test_corrections_take_a_decimal_comma_and_errors_name_fields_in_words(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    form = f"FormSubmitter:rv_correct_{seed.pdf}-Save correction"
    at.selectbox(key=f"rv_cfield_{seed.pdf}").select("total_incl_vat")
    at.text_input(key=f"rv_cvalue_{seed.pdf}").input("abc")
    at.button(key=form).click().run()
    errors = " ".join(texts(at, "error"))
    assert "Total incl. VAT must be an amount" in errors
    assert "total_incl_vat" not in errors
    inside = [str(e.value) for x in at.expander for e in x.error]
    assert not [e for e in inside if "Correction refused" in e]  # not in a collapsed section
    at.selectbox(key=f"rv_cfield_{seed.pdf}").select("total_incl_vat")
    at.text_input(key=f"rv_cvalue_{seed.pdf}").input("1.234,56")
    at.button(key=form).click().run()
    assert not at.exception
    assert world.service.document(seed.anna, seed.pdf).fields["total_incl_vat"] == "1234.56"


def test_field_table_shows_every_row_and_the_found_by_column(world: World) -> None:
    seed = world.seed
    detail = world.service.document(seed.anna, seed.pdf)
    at = app(seed.anna, "review", doc=str(seed.pdf))
    table = frame(at, "rv_fields")
    assert "Found by" in table.columns
    assert len(table) >= len([k for k in detail.fields if k in detail.confidence])
    assert at.segmented_control(key=f"rv_zoom_{seed.pdf}").value == "Page width"
    at.segmented_control(key=f"rv_zoom_{seed.pdf}").set_value("200 %").run()
    assert not at.exception
