"""Issues 13 and 17: the Users page shows a user's e-mail address, sets and removes it,
refuses a bad one visibly, and shows an address escaped (AppTest on SQLite)."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest
from ui_world import APP, PASSWORD, World

from review_ui.common import JOINER


def app(user: object, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    """As shown: outside text is sent backslash-escaped with word joiners (common.esc)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)).replace(JOINER, "") for e in getattr(at, kind)]


def emails(at: AppTest) -> dict[str, str]:
    found = [d.value for d in at.dataframe if "E-mail" in d.value.columns]
    assert len(found) == 1
    return dict(zip(found[0]["User"], found[0]["E-mail"], strict=True))


def test_users_page_sets_shows_and_removes_an_email_address(world: World) -> None:
    at = app(world.seed.root, "users")
    assert emails(at)["erik"] == ""
    at.selectbox(key="users_pick").select("erik").run()
    assert any("erik: entrepreneur, active, e-mail not set" in c for c in texts(at, "caption"))

    at.text_input(key="users_email_erik").input("erik@localhost")
    at.button(key="FormSubmitter:users_email-Save e-mail address").click().run()
    assert any(
        "Save e-mail address refused: the part after the @ is not a valid domain" in e
        for e in texts(at, "error")
    )
    assert {r.username: r.email for r in world.service.list_users(world.seed.root)}["erik"] is None

    at.text_input(key="users_email_erik").input(" Erik@Janssens.BE ")
    at.button(key="FormSubmitter:users_email-Save e-mail address").click().run()
    assert not at.exception
    assert "E-mail address of erik: Erik@janssens.be." in texts(at, "success")
    assert emails(at)["erik"] == "Erik@janssens.be"
    assert at.text_input(key="users_email_erik").value == "Erik@janssens.be"
    # shown through esc(): punctuation escaped, a word joiner before the @ (no autolink)
    raw = [str(c.value) for c in at.caption if "e-mail" in str(c.value)]
    assert raw
    assert f"Erik{JOINER}\\@janssens\\.be" in raw[0]
    erik = world.service.user("erik")
    assert erik is not None
    assert erik.email == "Erik@janssens.be"

    at.text_input(key="users_email_erik").input("")
    at.button(key="FormSubmitter:users_email-Save e-mail address").click().run()
    assert "E-mail address of erik: removed." in texts(at, "success")
    assert emails(at)["erik"] == ""


def test_users_page_creates_a_user_with_an_email_address(world: World) -> None:
    at = app(world.seed.root, "users")
    at.text_input(key="users_new_name").input("bert")
    at.text_input(key="users_new_pw").input(PASSWORD)
    at.text_input(key="users_new_email").input("bert@kantoor.be, boss@evil.example")
    at.button(key="FormSubmitter:users_create-Create user").click().run()
    assert any("Create user refused: an e-mail address has exactly one @" in e
               for e in texts(at, "error"))  # fmt: skip
    assert world.service.user("bert") is None
    at.text_input(key="users_new_email").input("bert@kantoor.be")
    at.button(key="FormSubmitter:users_create-Create user").click().run()
    assert any("User bert created" in s for s in texts(at, "success"))
    assert emails(at)["bert"] == "bert@kantoor.be"


def test_every_user_sets_their_own_address_on_my_account(world: World) -> None:
    at = app(world.seed.erik, "account")  # an entrepreneur: no Users page
    assert any("erik: entrepreneur, e-mail not set" in c for c in texts(at, "caption"))
    at.text_input(key="account_email_value").input("erik@localhost")
    at.button(key="FormSubmitter:account_email-Save my e-mail address").click().run()
    assert any(
        "Save my e-mail address refused: the part after the @ is not a valid domain" in e
        for e in texts(at, "error")
    )
    at.text_input(key="account_email_value").input("erik@janssens.be")
    at.button(key="FormSubmitter:account_email-Save my e-mail address").click().run()
    assert "Your e-mail address: erik@janssens.be." in texts(at, "success")
    stored = world.service.user("erik")
    assert stored is not None
    assert stored.email == "erik@janssens.be"
    assert any("erik: entrepreneur, e-mail erik@janssens.be" in c for c in texts(at, "caption"))
    at.text_input(key="account_email_value").input("")
    at.button(key="FormSubmitter:account_email-Save my e-mail address").click().run()
    assert "Your e-mail address: removed." in texts(at, "success")
    stored = world.service.user("erik")
    assert stored is not None
    assert stored.email is None
