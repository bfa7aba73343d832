"""Cookies of the auth service: the session's (an access token per API, CSRF, refresh) and
FranceConnect's pending ones. Setting them is the HTTP side of issuing a session.

Each web app has its own: a member's session lives in the portal's cookies, an agent's in the
back office's (``servicekit.security.access_cookie``...), so both live side by side in one
browser and ending one leaves the other."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from fastapi import Request, Response

from auth.config import Settings
from auth.domain.model import Agent, IssuedSession
from auth.entrypoints.http.schemas import SessionPublic
from auth.service_layer.tokens import AUDIENCES
from servicekit.security import (
    App,
    access_cookie,
    app_of,
    csrf_cookie,
    refresh_cookie,
    requested_apps,
)

#: FranceConnect's pending cookies, the portal's own (agents never use FranceConnect):
#: ``fc`` ties a FranceConnect answer to the browser that asked for it; ``fc-lien`` holds the
#: FranceConnect login waiting for the member's number and password.
FranceConnectCookie = Literal["fc", "fc-lien"]
FRANCECONNECT_COOKIE: FranceConnectCookie = "fc"
FRANCECONNECT_LINK_COOKIE: FranceConnectCookie = "fc-lien"


def franceconnect_cookie(which: FranceConnectCookie, *, secure: bool) -> str:
    """``__Host-mm-portal-fc`` / ``__Host-mm-portal-fc-lien``, like the session's cookies:
    ``__Host-`` binds the cookie to our origin (Secure, ``Path=/``, no ``Domain``: no
    sibling site can plant one), left out only on plain http://localhost."""
    return f"{'__Host-' if secure else ''}mm-portal-{which}"


def franceconnect_cookie_value(
    request: Request, settings: Settings, which: FranceConnectCookie
) -> str | None:
    return request.cookies.get(franceconnect_cookie(which, secure=settings.secure_cookies))


def _cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int,
    path: str = "/",
    httponly: bool = True,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=settings.secure_cookies,
        httponly=httponly,
        samesite=samesite,
    )


def _api_path(settings: Settings) -> str:
    return urlsplit(settings.api_base_url).path.rstrip("/")


def refresh_cookie_path(settings: Settings) -> str:
    """The session routes alone (``/session``, ``/session/refresh``) receive the refresh
    token."""
    return _api_path(settings) + "/session"


def session_app(issued: IssuedSession) -> App:
    return app_of("agent" if isinstance(issued.account.subject, Agent) else "member")


def refresh_token_of(request: Request, settings: Settings) -> tuple[App, str] | None:
    """The refresh cookie the request carries: of the web app it names, or the first found."""
    for app in requested_apps(request):
        if token := request.cookies.get(refresh_cookie(app, secure=settings.secure_cookies)):
            return app, token
    return None


def set_session_cookies(response: Response, issued: IssuedSession, settings: Settings) -> None:
    app, secure = session_app(issued), settings.secure_cookies
    for api, token in issued.access_tokens.items():
        _cookie(
            response,
            settings,
            access_cookie(app, api, secure=secure),
            token,
            max_age=settings.access_token_seconds,
        )
    session_left = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    _cookie(
        response,
        settings,
        refresh_cookie(app, secure=secure),
        issued.refresh_token,
        max_age=session_left,
        path=refresh_cookie_path(settings),
        samesite="strict",
    )
    if issued.csrf_token is not None:
        _cookie(
            response,
            settings,
            csrf_cookie(app, secure=secure),
            issued.csrf_token,
            max_age=session_left,
            httponly=False,
        )


def session_answer(
    response: Response, issued: IssuedSession, settings: Settings, *, bearer: bool
) -> SessionPublic:
    """A session just opened or refreshed: in cookies for a browser, in the body for a tool
    that asked for a bearer token."""
    if not bearer:
        set_session_cookies(response, issued, settings)
    return SessionPublic.from_domain(
        issued, bearer=bearer, expires_in=settings.access_token_seconds
    )


def clear_session_cookies(response: Response, settings: Settings, app: App = "portal") -> None:
    """The cookies of ``app``'s session go (the other web app's stay)."""
    secure = settings.secure_cookies
    for name, path, httponly in (
        *((access_cookie(app, api, secure=secure), "/", True) for api in AUDIENCES),
        (csrf_cookie(app, secure=secure), "/", False),
        (refresh_cookie(app, secure=secure), refresh_cookie_path(settings), True),
    ):
        response.delete_cookie(
            name, path=path, secure=settings.secure_cookies, httponly=httponly, samesite="lax"
        )


def set_franceconnect_cookie(
    response: Response, settings: Settings, which: FranceConnectCookie, value: str
) -> None:
    _cookie(
        response,
        settings,
        franceconnect_cookie(which, secure=settings.secure_cookies),
        value,
        max_age=settings.franceconnect_request_seconds,
    )


def clear_franceconnect_cookie(
    response: Response, settings: Settings, which: FranceConnectCookie
) -> None:
    response.delete_cookie(
        franceconnect_cookie(which, secure=settings.secure_cookies),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
