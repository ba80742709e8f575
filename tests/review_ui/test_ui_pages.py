"""Every page of the review UI through streamlit's AppTest, on a real SQLite database."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from ui_world import APP, PASSWORD, World

from pipeline.service import UserView
from review_ui.common import JOINER


def app(user: UserView | None, page: str | None = None, **query: str) -> AppTest:
    """An AppTest run as ``user`` (None: logged out), optionally on ``page``."""
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.session_state["user"] = user
    at.query_params.update(query)
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


#: a column that names each page's table (AppTest does not expose a dataframe's key)
TABLES = {
    "inbox_counts": "Quarantined",
    "inbox_table": "Notes",
    "rv_fields": "Found by",
    "jr_table": "VAT period",
    "vat_table": "Meaning",
    "storage_table": "EUR / month",
    "storage_alerts": "Alert",
}


def frame(at: AppTest, name: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if TABLES[name] in d.value.columns]
    assert len(found) == 1, (name, [list(d.value.columns) for d in at.dataframe])
    return found[0]


def texts(at: AppTest, kind: str) -> list[str]:
    """The text of the elements as shown: outside text is sent backslash-escaped (common.esc)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)).replace(JOINER, "") for e in getattr(at, kind)]


# ----------------------------------------------------------------------------- login


def test_login_refuses_a_wrong_password_and_admits_the_right_one(world: World) -> None:
    at = app(None)
    assert "User name" in [t.label for t in at.text_input]
    at.text_input(key="login_username").input("anna")
    at.text_input(key="login_password").input("wrong")
    at.button[0].click().run()
    assert "Unknown user or wrong password." in texts(at, "error")
    assert "user" not in at.session_state

    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].username == "anna"
    # the first page after a log-in only sends the browser to trade its ticket for the
    # cookie (AppTest runs no script): nothing is shown that would vanish under the user
    assert "Signing in…" in texts(at, "caption")
    assert "Inbox" not in texts(at, "header")
    at.run()  # the browser is back
    assert "Inbox" in texts(at, "header")


def test_deep_link_survives_the_login(world: World) -> None:
    at = app(None, "review", doc=str(world.seed.pdf))  # /review?doc=N while logged out
    assert "Password" in [t.label for t in at.text_input]
    at.text_input(key="login_username").input("anna")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Signing in…" in texts(at, "caption")
    at.run()  # back from the ticket trade
    assert texts(at, "subheader")[0].startswith(f"#{world.seed.pdf} ")


def test_logout_forgets_the_user(world: World) -> None:
    at = app(world.seed.anna)
    at.button(key="logout").click().run()
    assert not at.exception
    assert "user" not in at.session_state
    assert "Password" in [t.label for t in at.text_input]


# ----------------------------------------------------------------------------- inbox


def test_inbox_lists_the_review_queue_with_counts(world: World) -> None:
    at = app(world.seed.anna)
    counts = frame(at, "inbox_counts")
    by_name = counts.set_index("Dossier")
    assert by_name.loc["Bakkerij Janssens", "To review"] == 2
    assert by_name.loc["Bakkerij Janssens", "Quarantined"] == 1
    assert by_name.loc["Garage Peeters", "To review"] == 1
    table = frame(at, "inbox_table")
    assert set(table["#"]) == {world.seed.ubl, world.seed.pdf, world.seed.other}
    aws = table.set_index("#").loc[world.seed.pdf]
    assert aws["Supplier"] == "Amazon Web Services, Inc."
    assert aws["Total"] == "4.11"


def test_inbox_filters_by_dossier_and_queue(world: World) -> None:
    at = app(world.seed.anna)
    at.selectbox(key="inbox_dossier").select(world.seed.dossier_a).run()
    at.segmented_control(key="inbox_queue").set_value("Quarantined").run()
    table = frame(at, "inbox_table")
    assert list(table["#"]) == [world.seed.broken]
    assert "cannot be opened" in table["Notes"][0]
    at.segmented_control(key="inbox_queue").set_value("Duplicates").run()
    assert list(frame(at, "inbox_table")["#"]) == [world.seed.embedded]


def test_inbox_opens_a_document_by_number(world: World) -> None:
    at = app(world.seed.anna)
    at.number_input(key="inbox_id").set_value(world.seed.other).run()
    at.button(key="inbox_open").click().run()
    assert not at.exception
    assert texts(at, "subheader")[0].startswith(f"#{world.seed.other} ")


# ----------------------------------------------------------------------------- review


def test_review_shows_page_fields_highlight_and_entry(world: World) -> None:
    at = app(world.seed.anna, "review", doc=str(world.seed.pdf))
    assert texts(at, "subheader")[0] == f"#{world.seed.pdf} · Amazon Web Services, Inc. · 42183017"
    assert len(at.image) == 1
    fields = frame(at, "rv_fields").set_index("Field")
    assert fields.loc["Total incl. VAT", "Value"] == "4.11"
    assert at.selectbox(key=f"rv_field_{world.seed.pdf}").value == "total_incl_vat"
    lines = at.data_editor[0].value
    assert list(lines["account"].str.split().str[0]) == ["619000", "440000"]
    assert lines["debit"].sum() == pytest.approx(4.11)
    assert any("balanced" in c for c in texts(at, "caption"))
    # the e-invoice shows its embedded PDF as the page image
    at = app(world.seed.anna, "review", doc=str(world.seed.ubl))
    assert len(at.image) == 1
    assert any("UBL.BE customization" in w for w in texts(at, "warning"))
    # an e-invoice without an embedded PDF: its data are the fields, no page image
    at = app(world.seed.anna, "review", doc=str(world.seed.other))
    assert len(at.image) == 0
    assert any("without an embedded PDF" in i for i in texts(at, "info"))
    assert frame(at, "rv_fields").set_index("Field").loc["Invoice number", "Value"]


def test_confirm_books_the_entry_and_opens_the_next_document(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.button(key="rv_confirm").click().run()  # a USD invoice and no rate known: refused
    assert not at.exception
    assert "in USD and no exchange rate is known" in " ".join(texts(at, "error"))
    assert world.service.document(seed.anna, seed.pdf).row.state == "proposed"
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.button(key="rv_confirm").click().run()
    assert not at.exception
    detail = world.service.document(seed.anna, seed.pdf)
    assert detail.row.state == "booked"
    assert detail.entry is not None
    assert detail.entry.number == 1
    assert at.query_params["doc"] == str(seed.ubl)  # the next one in the queue
    assert any("booked in the purchase journal as #1" in s for s in texts(at, "success"))
    assert texts(at, "subheader")[0].startswith(f"#{seed.ubl} ")
    actions = [e["action"] for e in detail.audit]
    assert "confirm" in actions


def test_confirm_takes_the_edited_lines_as_decimals(world: World) -> None:
    seed = world.seed
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    at = app(seed.anna, "review", doc=str(seed.pdf))
    key = at.data_editor[0].key
    at.session_state[key] = {
        "edited_rows": {0: {"account": "612000 Water, gas en elektriciteit"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="rv_confirm").click().run()
    assert not at.exception, texts(at, "error")
    entry = world.service.document(seed.anna, seed.pdf).entry
    assert entry is not None
    assert entry.status == "booked"
    assert [ln.account for ln in entry.lines] == ["612000", "440000"]
    assert entry.lines[0].debit == Decimal("3.07")  # USD 4.11 / 1.34, in euro


def test_confirm_of_an_unbalanced_entry_is_refused_with_the_reason(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    key = at.data_editor[0].key
    at.session_state[key] = {
        "edited_rows": {0: {"debit": 4.1}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any("not balanced" in c for c in texts(at, "caption"))
    at.button(key="rv_confirm").click().run()
    errors = texts(at, "error")
    assert any("does not balance: debit 4.10 vs credit 4.11" in e for e in errors), errors
    assert world.service.document(seed.anna, seed.pdf).row.state == "proposed"
    assert at.query_params["doc"] == str(seed.pdf)


def test_confirm_in_a_locked_period_is_refused(world: World) -> None:
    seed = world.seed
    world.service.update_dossier(seed.root, seed.dossier_a, settings={"locked_through": "2014-12"})
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.button(key="rv_confirm").click().run()
    assert any("period 2014-08 is locked" in e for e in texts(at, "error"))
    assert world.service.document(seed.anna, seed.pdf).row.state == "proposed"


def test_save_draft_keeps_the_edit_without_booking(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    key = at.data_editor[0].key
    at.session_state[key] = {
        "edited_rows": {0: {"description": "AWS July"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="rv_draft").click().run()
    assert "Draft saved." in texts(at, "success")
    detail = world.service.document(seed.anna, seed.pdf)
    assert detail.row.state == "proposed"
    assert detail.entry is not None
    assert detail.entry.status == "draft"
    assert detail.entry.lines[0].description == "AWS July"


def test_field_correction_recomputes_the_proposal(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    form = f"FormSubmitter:rv_correct_{seed.pdf}-Save correction"
    at.selectbox(key=f"rv_cfield_{seed.pdf}").select("issue_date")
    at.text_input(key=f"rv_cvalue_{seed.pdf}").input("3 August")
    at.button(key=form).click().run()
    assert any("must be a date YYYY-MM-DD" in e for e in texts(at, "error"))
    at.selectbox(key=f"rv_cfield_{seed.pdf}").select("issue_date")
    at.text_input(key=f"rv_cvalue_{seed.pdf}").input("2014-09-15")
    at.button(key=form).click().run()
    assert not at.exception
    assert any("Invoice date corrected" in s for s in texts(at, "success"))
    detail = world.service.document(seed.anna, seed.pdf)
    assert detail.fields["issue_date"] == "2014-09-15"
    assert detail.entry is not None
    assert (detail.entry.period, detail.entry.vat_period) == ("2014-09", "2014-Q3")
    assert any("period 2014-09" in m for m in texts(at, "markdown"))


def test_reject_needs_a_reason_then_rejects(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.button(key="rv_reject").click().run()
    assert any("a rejection needs a reason" in e for e in texts(at, "error"))
    at.text_input(key=f"rv_reject_reason_{seed.pdf}").input("private purchase").run()
    at.button(key="rv_reject").click().run()
    assert f"Document #{seed.pdf} rejected." in texts(at, "success")
    row = world.service.document(seed.anna, seed.pdf).row
    assert (row.state, row.reason) == ("rejected", "private purchase")


def test_mark_duplicate_points_to_the_original(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    at.number_input(key="rv_dup_of").set_value(seed.ubl).run()
    at.button(key="rv_duplicate").click().run()
    row = world.service.document(seed.anna, seed.pdf).row
    assert (row.state, row.duplicate_of) == ("duplicate", seed.ubl)
    # a document of another dossier is refused with the reason
    at = app(seed.anna, "review", doc=str(seed.ubl))
    at.number_input(key="rv_dup_of").set_value(seed.other).run()
    at.button(key="rv_duplicate").click().run()
    assert any("same dossier" in e for e in texts(at, "error"))


def test_release_and_reprocess_send_the_document_back_to_the_pipeline(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.broken))
    assert any("cannot be opened" in c for c in texts(at, "caption"))
    at.button(key="rv_release").click().run()
    assert world.service.document(seed.anna, seed.broken).row.state == "received"
    at = app(seed.anna, "review", doc=str(seed.ubl))
    at.button(key="rv_reprocess").click().run()
    assert world.service.document(seed.anna, seed.ubl).row.state == "received"
    assert world.service.document(seed.anna, seed.ubl).entry is None


def test_next_and_previous_walk_the_queue(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "review", doc=str(seed.pdf))
    assert at.button(key="rv_next").disabled is False
    at.button(key="rv_next").click().run()
    assert at.query_params["doc"] == str(seed.ubl)
    at.button(key="rv_prev").click().run()
    assert at.query_params["doc"] == str(seed.pdf)


def test_entrepreneur_reads_but_cannot_book(world: World) -> None:
    seed = world.seed
    at = app(seed.erik, "review", doc=str(seed.pdf))
    assert not [b for b in at.button if b.key == "rv_confirm"]
    assert any("Read only" in c for c in texts(at, "caption"))
    at = app(seed.erik, "review", doc=str(seed.other))
    assert f"document {seed.other} does not exist" in texts(at, "error")
    assert len(at.image) == 0


# ----------------------------------------------------------------------------- other pages


def test_journals_list_the_booked_entry_one_click_from_its_document(world: World) -> None:
    seed = world.seed
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    world.service.confirm(seed.anna, seed.pdf)
    at = app(seed.anna, "journals")
    at.selectbox(key="jr_dossier").select(seed.dossier_a).run()
    table = frame(at, "jr_table")
    assert list(table["Number"]) == ["purchases 2014/0001"]
    assert list(table["Document"]) == [f"#{seed.pdf}"]
    assert table["Amount"][0] == "3.07"  # USD 4.11 / 1.34, in euro
    at.text_input(key="jr_period").input("2014-09").run()
    assert "No booked entries for this selection." in texts(at, "info")
    at.text_input(key="jr_period").input("2014-08").run()
    at.button(key="jr_open").click().run()
    assert not at.exception
    assert texts(at, "subheader")[0].startswith(f"#{seed.pdf} ")


def test_vat_page_shows_grid_totals_per_period(world: World) -> None:
    seed = world.seed
    world.service.confirm(seed.anna, seed.ubl, iban_checked=True)  # its IBAN is new
    at = app(seed.anna, "vat")
    at.selectbox(key="vat_dossier").select(seed.dossier_a).run()
    grid = frame(at, "vat_table").set_index("Grid")
    assert grid.loc["82", "2018-Q2"] == pytest.approx(400.0)
    assert grid.loc["59", "2018-Q2"] == pytest.approx(84.0)
    assert grid.loc["59", "Meaning"] == "deductible VAT"


def test_storage_page_puts_dossiers_over_the_limit_first(world: World) -> None:
    from storage.models import Dossier

    with world.runtime.tx() as s:
        s.get(Dossier, world.seed.dossier_b).used_bytes = 2_300_000_000
    at = app(world.seed.anna, "storage")
    table = frame(at, "storage_table")
    assert list(table["Dossier"]) == ["Garage Peeters", "Bakkerij Janssens"]
    first = table.iloc[0]
    assert (first["Status"], first["Extra GB"], first["EUR / month"]) == (
        "over the free allowance",
        2,
        "2.00",
    )
    assert table.iloc[1]["Extra GB"] == 0
    assert [m.value for m in at.metric][1:] == ["1", "EUR 2.00"]


def test_storage_page_lists_the_intake_alerts_of_the_users_dossiers(world: World) -> None:
    from storage import intake_guard

    with world.runtime.tx() as s:
        intake_guard.raise_alert(
            s, intake_guard.INTAKE_LIMIT_ALERT, dossier_id=world.seed.dossier_b,
            since=intake_guard.day_start(), message="Daily intake limit of 100 bytes reached",
        )  # fmt: skip
    at = app(world.seed.anna, "storage")
    alerts = frame(at, "storage_alerts")
    assert list(alerts["Dossier"]) == ["Garage Peeters"]
    assert list(alerts["Alert"]) == ["Daily intake limit of 100 bytes reached"]


def test_dossiers_page_creates_a_dossier_for_admins_only(world: World) -> None:
    at = app(world.seed.root, "dossiers")
    at.text_input(key="ds_name").input("Frituur De Zon")
    at.text_input(key="ds_vat").input("BE0417497106")
    at.text_area(key="ds_senders").input("boekhouding@dezon.be")
    at.button(key="FormSubmitter:dossier_create-Create dossier").click().run()
    assert not at.exception
    made = [d for d in world.service.dossiers(world.seed.root) if d.name == "Frituur De Zon"]
    assert made
    assert made[0].allowed_senders == ("boekhouding@dezon.be",)
    assert any(made[0].mailbox in s for s in texts(at, "success"))
    # not in an accountant's navigation, and refused by the service anyway
    at = app(world.seed.anna)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/dossiers.py")


# ----------------------------------------------------------------------------- rights


def test_rights_page_sets_a_members_rights_and_shows_the_history(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "rights")
    assert "Rights" in texts(at, "header")
    at.selectbox(key="rights_dossier").select(seed.dossier_a).run()
    at.text_input(key="rights_user").input("erik")
    at.selectbox(key="rights_role").select("client_bookkeeper")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert any("Rights of erik saved" in s for s in texts(at, "success"))
    rights = {r.username: r for r in world.service.rights(seed.anna, seed.dossier_a)}
    assert "book_purchases" in rights["erik"].permissions
    assert rights["erik"].role == "client_bookkeeper"


def test_rights_page_refuses_an_unknown_user_visibly(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "rights")
    at.selectbox(key="rights_dossier").select(seed.dossier_a).run()
    at.text_input(key="rights_user").input("nobody-here")
    at.button[0].click().run()
    assert any(e.startswith("Rights refused: unknown user nobody") for e in texts(at, "error"))


def test_rights_page_tells_a_client_without_the_right(world: World) -> None:
    at = app(world.seed.erik, "rights")
    assert "You do not manage the users of any dossier." in texts(at, "info")
