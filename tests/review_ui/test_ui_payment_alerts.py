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
