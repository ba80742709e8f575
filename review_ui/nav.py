"""The page list per role; pages switch to each other through :func:`page`.

Each page is a script ``review_ui/pages/<url path>.py`` that Streamlit runs
(as ``__main__``) when the page is shown; its ``render()`` does the work.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipeline.service import UserView

PAGES_DIR = Path(__file__).resolve().parent / "pages"

#: url path -> (title, icon, admin only); the script is ``pages/<url path>.py``
PAGES: dict[str, tuple[str, str, bool]] = {
    "inbox": ("Inbox", ":material/inbox:", False),
    "review": ("Review", ":material/fact_check:", False),
    "journals": ("Journals", ":material/menu_book:", False),
    "vat": ("VAT", ":material/percent:", False),
    "storage": ("Storage", ":material/storage:", False),
    "dossiers": ("Dossiers", ":material/folder_shared:", True),
}


def page(url_path: str) -> st.Page:
    """The page object for ``url_path`` (equal to the one in the navigation)."""
    title, icon, _admin = PAGES[url_path]
    return st.Page(
        PAGES_DIR / f"{url_path}.py",
        title=title,
        icon=icon,
        url_path=url_path,
        default=url_path == "inbox",
    )


def pages_for(user: UserView) -> list[st.Page]:
    return [page(path) for path, spec in PAGES.items() if user.is_admin or not spec[2]]


def login_page() -> st.Page:
    return st.Page(
        PAGES_DIR / "login.py", title="Log in", icon=":material/login:", url_path="login"
    )


def open_document(doc_id: int) -> None:
    """Go to the Review page showing ``doc_id`` (never returns)."""
    st.switch_page(page("review"), query_params={"doc": str(doc_id)})
