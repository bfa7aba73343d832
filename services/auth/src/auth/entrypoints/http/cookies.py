"""Cookies of the auth service: the session's (access, CSRF, refresh) and FranceConnect's
pending ones. Setting them is the HTTP side of issuing a session."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from fastapi import Response

from auth.config import Settings
from auth.domain.model import IssuedSession
from auth.entrypoints.http.schemas import SessionPublic
from servicekit.security import ACCESS_COOKIE, CSRF_COOKIE

REFRESH_COOKIE = "mm_refresh"
#: Ties a FranceConnect answer to the browser that asked for it.
FRANCECONNECT_COOKIE = "mm_fc"
#: Holds the FranceConnect login waiting for the member's number and password.
FRANCECONNECT_LINK_COOKIE = "mm_fc_lien"


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


def refresh_cookie_path(settings: Settings) -> str:
    return urlsplit(settings.api_base_url).path.rstrip("/") + "/"


def franceconnect_cookie_path(settings: Settings) -> str:
    return refresh_cookie_path(settings) + "franceconnect/"


def set_session_cookies(response: Response, issued: IssuedSession, settings: Settings) -> None:
    _cookie(
        response,
        settings,
        ACCESS_COOKIE,
        issued.access_token,
        max_age=settings.access_token_seconds,
    )
    session_left = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    _cookie(
        response,
        settings,
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=session_left,
        path=refresh_cookie_path(settings),
        samesite="strict",
    )
    if issued.csrf_token is not None:
        _cookie(
            response,
            settings,
            CSRF_COOKIE,
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


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name, path, httponly in (
        (ACCESS_COOKIE, "/", True),
        (CSRF_COOKIE, "/", False),
        (REFRESH_COOKIE, refresh_cookie_path(settings), True),
    ):
        response.delete_cookie(
            name, path=path, secure=settings.secure_cookies, httponly=httponly, samesite="lax"
        )


def set_franceconnect_cookie(response: Response, settings: Settings, name: str, value: str) -> None:
    _cookie(
        response,
        settings,
        name,
        value,
        max_age=settings.franceconnect_request_seconds,
        path=franceconnect_cookie_path(settings),
    )


def clear_franceconnect_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name,
        path=franceconnect_cookie_path(settings),
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
