"""The accountant's day without friction (issue 16), through streamlit's AppTest on SQLite:
the Users page, visible answers on the Dossiers page, the storage chart with one day of data,
Inbox and Journals that name journals, years and accounts and open documents in the same tab."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest
from ui_world import APP, PASSWORD, World


def app(user: object, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in getattr(at, kind)]


def users_frame(at: AppTest):  # type: ignore[no-untyped-def]
    found = [d.value for d in at.dataframe if "Dossiers" in d.value.columns]
    assert len(found) == 1
    return found[0].set_index("User")


# ----------------------------------------------------------------------------- users


def test_users_page_lists_creates_and_refuses_visibly(world: World) -> None:
    at = app(world.seed.root, "users")
    table = users_frame(at)
    assert set(table.index) >= {"anna", "erik", "root"}
    assert table.loc["anna", "Role"] == "accountant"
    assert "Bakkerij Janssens (accountant)" in table.loc["anna", "Dossiers"]

    at.text_input(key="users_new_name").input("bert")
    at.text_input(key="users_new_pw").input("long-enough-1")
    at.selectbox(key="users_new_role").select("entrepreneur")
    at.button(key="FormSubmitter:users_create-Create user").click().run()
    assert not at.exception
    assert any("User bert created as entrepreneur" in s for s in texts(at, "success"))
    assert users_frame(at).loc["bert", "Active"] == "yes"

    # the same name again: refused with the service's reason, not silently
    at.text_input(key="users_new_name").input("bert")
    at.text_input(key="users_new_pw").input("long-enough-1")
    at.button(key="FormSubmitter:users_create-Create user").click().run()
    assert "Create user refused: user bert already exists" in texts(at, "error")


def test_users_page_resets_a_password_disables_and_changes_a_role(world: World) -> None:
    at = app(world.seed.root, "users")
    at.selectbox(key="users_pick").select("erik").run()
    at.text_input(key="users_reset_pw").input("short")
    at.button(key="FormSubmitter:users_reset-Reset password").click().run()
    assert any(
        "Reset password refused: a password needs at least 8" in e for e in texts(at, "error")
    )
    at.text_input(key="users_reset_pw").input("a-new-secret")
    at.button(key="FormSubmitter:users_reset-Reset password").click().run()
    assert any("Password of erik reset" in s for s in texts(at, "success"))
    assert world.service.authenticate("erik", "a-new-secret") is not None
    assert world.service.authenticate("erik", PASSWORD) is None

    at.selectbox(key="users_role_erik").select("accountant")
    at.button(key="FormSubmitter:users_role-Change role").click().run()
    assert "erik is now accountant." in texts(at, "success")
    assert users_frame(at).loc["erik", "Role"] == "accountant"

    at.button(key="users_toggle").click().run()
    assert any("User erik disabled" in s for s in texts(at, "success"))
    assert users_frame(at).loc["erik", "Active"] == "disabled"
    assert world.service.authenticate("erik", "a-new-secret") is None
    at.button(key="users_toggle").click().run()  # now labelled "Enable user"
    assert any("User erik enabled again" in s for s in texts(at, "success"))

    at.selectbox(key="users_pick").select("root").run()
    at.button(key="users_toggle").click().run()
    assert "Disable user refused: you cannot disable your own account" in texts(at, "error")


def test_users_page_is_for_admins_only(world: World) -> None:
    at = app(world.seed.anna)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/users.py")


# ----------------------------------------------------------------------------- dossiers


def test_dossiers_page_refuses_an_unknown_member_visibly(world: World) -> None:
    seed = world.seed
    at = app(seed.root, "dossiers")
    form = f"ds_edit_{seed.dossier_a}"
    at.text_input(key=f"ds_member_{seed.dossier_a}").input("nobody-here")
    at.button(key=f"FormSubmitter:{form}-Save").click().run()
    assert not at.exception
    assert "Add member refused: unknown user nobody-here" in texts(at, "error")
    assert not any("saved" in s for s in texts(at, "success"))

    at.text_input(key=f"ds_member_{seed.dossier_a}").input("root")
    at.button(key=f"FormSubmitter:{form}-Save").click().run()
    assert any("root is now accountant of it" in s for s in texts(at, "success"))
    assert ("root", "accountant") in world.service.members(seed.root, seed.dossier_a)


# ----------------------------------------------------------------------------- storage


def test_storage_chart_shows_a_bar_for_a_single_day(world: World) -> None:
    import datetime as dt

    from storage.models import UsageDay

    with world.runtime.tx() as s:
        s.query(UsageDay).delete()
        s.add(
            UsageDay(dossier_id=world.seed.dossier_a, day=dt.date(2026, 3, 2), used_bytes=5_000_000)
        )
    at = app(world.seed.anna, "storage")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert '"bar"' in spec  # one day: a bar, not an invisible one-point line

    with world.runtime.tx() as s:
        s.add(
            UsageDay(dossier_id=world.seed.dossier_a, day=dt.date(2026, 3, 3), used_bytes=6_000_000)
        )
    at = app(world.seed.anna, "storage")
    assert '"line"' in at.get("vega_lite_chart")[0].proto.spec


# ----------------------------------------------------------------------------- inbox


def test_inbox_table_fits_and_opens_a_row_in_the_same_tab(world: World) -> None:
    seed = world.seed
    at = app(seed.anna)
    table = [d for d in at.dataframe if "Notes" in d.value.columns]
    assert len(table) == 1
    frame = table[0].value.set_index("#")
    assert list(frame.columns) == ["Dossier", "Supplier", "Invoice", "Date", "Total", "Notes"]
    assert frame.loc[seed.pdf, "Total"] == "4.11"
    # no link column (links open a new tab and a new login): a row click switches the page
    assert (
        not frame.astype(str)
        .apply(lambda col: col.str.contains("review?doc", regex=False))
        .any()
        .any()
    )
    at.session_state["inbox_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    assert texts(at, "subheader")[0].startswith("#")


def test_inbox_booked_queue_shows_no_none_total(world: World) -> None:
    seed = world.seed
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    world.service.confirm(seed.anna, seed.pdf)
    at = app(seed.anna)
    at.segmented_control(key="inbox_queue").set_value("Booked").run()
    frame = next(d.value for d in at.dataframe if "Notes" in d.value.columns)
    assert list(frame["#"]) == [seed.pdf]
    assert frame["Total"][0] == "4.11"
    assert not frame.isna().any().any()


# ----------------------------------------------------------------------------- journals


def test_journals_name_journal_year_and_accounts(world: World) -> None:
    seed = world.seed
    world.service.set_rate(seed.anna, seed.pdf, "1,34")  # a USD invoice: 1 EUR = 1.34 USD given
    entry = world.service.confirm(seed.anna, seed.pdf)
    at = app(seed.anna, "journals")
    at.selectbox(key="jr_dossier").select(seed.dossier_a).run()
    frame = next(d.value for d in at.dataframe if "VAT period" in d.value.columns)
    assert list(frame.columns) == [
        "Number",
        "Date",
        "VAT period",
        "Description",
        "Amount",
        "Document",
    ]
    year = world.service.entries(seed.anna, seed.dossier_a)[0].bookyear
    assert list(frame["Number"]) == [f"purchases {year}/0001"]
    assert list(frame["Document"]) == [f"#{seed.pdf}"]
    assert list(frame["Amount"]) == ["3.07"]  # USD 4.11 / 1.34, in euro
    assert not frame.isna().any().any()
    lines = next(d.value for d in at.dataframe if "Grids" in d.value.columns)
    names = {a.number: a.name_nl for a in world.service.accounts(seed.anna, seed.dossier_a)}
    for shown in lines["Account"]:
        number, _, name = shown.partition(" ")
        assert name == names[number], (shown, entry)
    # the entry picker names the number too
    assert (
        at.selectbox(key="jr_entry")
        .format_func(at.selectbox(key="jr_entry").value)
        .startswith(f"purchases {year}/0001")
    )
