"""The review UI as an ASGI app: Streamlit plus the two routes that manage the cookie.

``streamlit run review_ui/server.py`` (what ``boekbox ui`` does) serves the pages of
:mod:`review_ui.app` and:

* ``GET /auth/session?ticket=…&next=…``: exchanges the one-time ticket of a log-in
  (made by the service when the password was right) for a session token, sets it as
  an HttpOnly, SameSite=Lax cookie and sends the browser on to ``next`` (a path of
  this site only);
* ``GET /auth/logout``: ends the session and deletes the cookie.

A reload or a new tab then finds the user through the cookie until log-out, the idle
timeout or the maximum session age (the service decides; see
``pipeline.service.sessions``).
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.service import Service, ServiceError
from review_ui.cookies import COOKIE, safe_next

log = logging.getLogger("boekbox.ui")

_service: Service | None = None


def _svc() -> Service:
    global _service
    if _service is None:
        _service = Service()
    return _service


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def open_session(request: Request) -> Response:
    ticket = request.query_params.get("ticket", "")[:200]
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if not ticket:
        return response
    try:
        token, lifetime = await run_in_threadpool(
            _svc().open_session,
            ticket,
            address=_address(request),
            user_agent=request.headers.get("user-agent", "")[:300],
        )
    except ServiceError as exc:
        log.info("log-in ticket refused: %s", exc)
        return response
    secure = _svc().rt.settings.ui_cookie_secure
    response.set_cookie(
        COOKIE,
        token,
        max_age=lifetime,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(_svc().logout, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response


def _preload() -> None:
    """Import the chart libraries before the first Dashboard asks for them (Altair's
    import alone is a good part of that page's first load)."""
    for name in ("altair", "pandas"):
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - dependencies of streamlit
            logging.getLogger(__name__).warning("preloading %s failed", name)


threading.Thread(target=_preload, name="boekbox-preload", daemon=True).start()

app = st.App(
    str(Path(__file__).with_name("app.py")),
    routes=[
        Route("/auth/session", open_session, methods=["GET"]),
        Route("/auth/logout", logout, methods=["GET"]),
    ],
)
