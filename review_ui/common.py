"""What every page shares: the service, the logged-in user, caches, formatting.

Pages talk to :mod:`pipeline.service` only, through :func:`service`; the
logged-in :class:`~pipeline.service.UserView` lives in
``st.session_state["user"]``.  Cached read models are plain values (bytes,
tuples of frozen views), keyed so that nothing reaches a user who did not
pass the service's access check first.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import streamlit as st

from pipeline.service import AccountView, Service, ServiceError, UserView

USER_KEY = "user"
#: a log-in's one-time ticket, waiting to be exchanged for the session cookie
TICKET_KEY = "_login_ticket"
FLASH_KEY = "_flash"

#: the Inbox queues: label -> document states
QUEUES: dict[str, tuple[str, ...]] = {
    "To review": ("proposed",),
    "Failed": ("failed",),
    "Quarantined": ("quarantined",),
    "Duplicates": ("duplicate",),
    "No attachment": ("no_attachment",),
    "In progress": ("received", "extracted"),
    "Booked": ("booked",),
    "Rejected": ("rejected",),
}

REVIEW_STATES = ("proposed",)


@st.cache_resource
def service() -> Service:
    """One service per process; it opens a short transaction per call."""
    return Service()


#: every ASCII punctuation character: CommonMark lets a backslash make each one literal
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def esc(value: object) -> str:
    """Outside text (mail, document, file name, user input) as literal Markdown.

    Every string that comes from a mail or a document goes through here before
    Streamlit renders it as Markdown (``st.markdown``, ``st.caption``,
    ``st.warning``, titles, widget and link labels): each ASCII punctuation
    character is backslash-escaped, so no link, image, HTML tag, autolink,
    emphasis, heading, colour directive or formula can form; control
    characters and line breaks become spaces, so nothing starts a block.  Streamlit
    also turns bare addresses into links after parsing (GFM autolink literals), which no
    escape prevents: an invisible word joiner (U+2060) goes before the ``.`` of ``www.``,
    the ``:`` of ``http:``/``https:``/``mailto:`` and every ``@``, so a bare
    ``www.pay-here.example`` or ``pay@evil.example`` in a subject stays plain text.
    """
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _AUTOLINK.sub(lambda m: JOINER + m.group(0), text)


#: the invisible character that breaks autolinks (tests strip it to compare text)
JOINER = "\u2060"
#: the escaped ``.`` after ``www``, the escaped ``:`` after a scheme, every escaped ``@``
_AUTOLINK = re.compile(
    r"(?i)(?<=www)\\\.|(?:(?<=http)|(?<=https)|(?<=mailto)|(?<=xmpp)|(?<=ftp))\\:|\\@"
)


def current_user() -> UserView:
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, UserView):
        st.warning("Please log in.")
        st.stop()
    return user


def client_address() -> str | None:
    """The browser's address as the server saw it (None in tests)."""
    try:
        value = st.context.ip_address
    except Exception:
        return None
    return value if isinstance(value, str) else None


def flash(message: str, kind: str = "success") -> None:
    """Show ``message`` on the next run (after ``st.rerun``/``st.switch_page``)."""
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    item = st.session_state.pop(FLASH_KEY, None)
    if item:
        kind, message = item
        show = getattr(st, kind if kind in {"success", "info", "warning", "error"} else "info")
        show(esc(message))


def money(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)):,.2f}".replace(",", " ")


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def size(n: int) -> str:
    for unit, factor in (("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1_000)):
        if n >= factor:
            return f"{n / factor:,.2f} {unit}"
    return f"{n} B"


@st.cache_data(max_entries=64, show_spinner=False)
def page_image(
    sha256: str,
    page: int,
    dpi: int,
    box: tuple[float, ...] | None,
    _user: UserView,
    _doc_id: int,
) -> Any:
    """One rendered page by blob hash (the caller got the hash through an access check)."""
    return service().page_image(_user, _doc_id, page=page, dpi=dpi, box=box)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def accounts(user_id: int | None, dossier_id: int, _user: UserView) -> tuple[AccountView, ...]:
    return tuple(service().accounts(_user, dossier_id))


@st.cache_data(ttl=30, max_entries=64, show_spinner=False)
def dossier_names(user_id: int | None, role: str, _user: UserView) -> dict[int, str]:
    return {d.id: d.name for d in service().dossiers(_user)}


def clear_lists() -> None:
    """After a command: lists and counts must show the new state."""
    dossier_names.clear()


def run_command(label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service command; a refusal is shown with its reason and gives None."""
    try:
        result = fn(*args, **kwargs)
    except ServiceError as exc:
        st.error(f"{esc(label)} refused: {esc(exc)}")
        return None
    clear_lists()
    return result
