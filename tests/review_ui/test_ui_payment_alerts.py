"""Issue 18 item 5 in the review UI: the IBAN alert is prominent and its confirmation audited."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from ui_world import APP, World


def _review(world: World, doc_id: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = world.seed.anna
    at.query_params.update({"doc": str(doc_id)})
    at.run()
    at.switch_page("views/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_new_iban_is_shown_and_confirmed_with_an_audit_event(world: World) -> None:
    doc_id = world.seed.ubl  # the supplier's first invoice: its IBAN is new
    (alert,) = world.service.document(world.seed.anna, doc_id).row.alerts
    assert alert["code"] == "iban_unconfirmed"
    at = _review(world, doc_id)
    errors = [str(e.value) for e in at.error]
    assert any("NEW IBAN" in e for e in errors), errors
    key = f"rv_confirm_iban_{doc_id}"
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    detail = world.service.document(world.seed.anna, doc_id)
    assert detail.row.alerts == ()
    (event,) = [a for a in detail.audit if a["action"] == "iban_confirmed"]
    assert event["user_id"] == world.seed.anna.id
    assert event["iban"] == alert["iban"]
    assert event["via"] == "explicit"
    at = _review(world, doc_id)
    assert not [b for b in at.button if b.key == key]
    assert not any("NEW IBAN" in str(e.value) for e in at.error)


def test_inbox_marks_documents_with_a_payment_alert(world: World) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = world.seed.anna
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (table,) = [d.value for d in at.dataframe if "Notes" in d.value.columns]
    notes = dict(zip(table["#"], table["Notes"], strict=True))
    assert "IBAN to check" in notes[world.seed.ubl]


def test_booking_a_new_iban_needs_the_checkbox_and_the_history_says_who_confirmed(
    world: World,
) -> None:
    doc_id = world.seed.ubl  # the supplier's first invoice: its IBAN is new
    (alert,) = world.service.document(world.seed.anna, doc_id).row.alerts
    at = _review(world, doc_id)
    at.button(key="rv_confirm").click().run()  # without saying the IBAN was checked
    assert not at.exception, [e.value for e in at.exception]
    refused = [str(e.value) for e in at.error if "Not booked" in str(e.value)]
    assert refused, [str(e.value) for e in at.error]
    assert "new IBAN" in refused[0]
    assert world.service.document(world.seed.anna, doc_id).row.state == "proposed"

    at.checkbox(key=f"rv_iban_checked_{doc_id}").check().run()
    captions = [str(c.value) for c in at.caption]
    assert any(f"IBAN {alert['iban']} will be confirmed" in c for c in captions), captions
    at.button(key="rv_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    detail = world.service.document(world.seed.anna, doc_id)
    assert detail.row.state == "booked"
    (event,) = [a for a in detail.audit if a["action"] == "iban_confirmed"]
    assert (event["user_id"], event["iban"], event["via"]) == (
        world.seed.anna.id,
        alert["iban"],
        "booking",
    )
    assert event["supplier"] == "My Supplier Company"
    at = _review(world, doc_id)
    history = [str(t.value) for t in at.text]
    line = next(h for h in history if "confirmed new IBAN" in h)
    assert f"IBAN {alert['iban']} for supplier My Supplier Company (with the booking)" in line
