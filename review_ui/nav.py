"""The page list per role; pages switch to each other through :func:`page`.

Each page is a script ``review_ui/views/<url path>.py`` that Streamlit runs
(as ``__main__``) when the page is shown; its ``render()`` does the work.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipeline.service import UserView

PAGES_DIR = Path(__file__).resolve().parent / "views"

#: url path -> (title, icon, admin only); the script is ``views/<url path>.py``
PAGES: dict[str, tuple[str, str, bool]] = {
    "inbox": ("Inbox", ":material/inbox:", False),
    "upload": ("Upload", ":material/upload_file:", False),
    "documents": ("Documents", ":material/folder_open:", False),
    "review": ("Review", ":material/fact_check:", False),
    "journals": ("Journals", ":material/menu_book:", False),
    "vat": ("VAT", ":material/percent:", False),
    "books": ("Books", ":material/account_balance:", False),
    "dashboard": ("Dashboard", ":material/monitoring:", False),
    "overview": ("Overview", ":material/dashboard:", False),
    "invoices": ("Invoices", ":material/receipt_long:", False),
    "customers": ("Customers", ":material/groups:", False),
    "items": ("Items", ":material/inventory_2:", False),
    "payments": ("Payments", ":material/payments:", False),
    "reminders": ("Reminders", ":material/notification_important:", False),
    "storage": ("Storage", ":material/storage:", False),
    "rights": ("Rights", ":material/manage_accounts:", False),
    "manual_entry": ("Manual entry", ":material/edit_note:", False),
    "approvals": ("Client bookings", ":material/approval:", False),
    "periods": ("Periods", ":material/lock_clock:", False),
    "analytics": ("Analytics", ":material/donut_small:", False),
    "account": ("My account", ":material/person:", False),
    "dossiers": ("Dossiers", ":material/folder_shared:", True),
    "users": ("Users", ":material/group:", True),
}


def page(url_path: str, *, default: bool | None = None) -> st.Page:
    """The page object for ``url_path`` (equal to the one in the navigation)."""
    title, icon, _admin = PAGES[url_path]
    return st.Page(
        PAGES_DIR / f"{url_path}.py",
        title=title,
        icon=icon,
        url_path=url_path,
        default=url_path == "inbox" if default is None else default,
    )


def all_pages(*, default: bool | None = None) -> list[st.Page]:
    return [page(path, default=default) for path in PAGES]


def pages_for(user: UserView) -> list[st.Page]:
    return [page(path) for path, spec in PAGES.items() if user.is_admin or not spec[2]]


def login_page() -> st.Page:
    """The logged-out default page; ``app.py`` draws the form itself."""
    return st.Page(
        PAGES_DIR / "login.py",
        title="Log in",
        icon=":material/login:",
        url_path="login",
        default=True,
    )


def open_document(doc_id: int) -> None:
    """Go to the Review page showing ``doc_id`` (never returns)."""
    st.switch_page(page("review"), query_params={"doc": str(doc_id)})
