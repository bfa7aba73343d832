"""Logging in with FranceConnect. The browser goes to the provider and back; every way it can
go wrong sends it to the portal's login page with a reason, never to an error page."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from auth.config import Settings
from auth.domain.commands import (
    FinishFranceConnect,
    LinkFranceConnect,
    LogOut,
    StartFranceConnect,
)
from auth.domain.errors import FranceConnectRefused
from auth.entrypoints.http import schemas
from auth.entrypoints.http.cookies import (
    FRANCECONNECT_COOKIE,
    FRANCECONNECT_LINK_COOKIE,
    clear_franceconnect_cookie,
    clear_session_cookies,
    franceconnect_cookie_value,
    session_answer,
    set_franceconnect_cookie,
    set_session_cookies,
)
from auth.entrypoints.http.deps import BusDep, ClientAddress, LivePrincipal, SameOrigin, SettingsDep
from servicekit.logging import get_logger
from servicekit.problems import problem_responses

logger = get_logger(__name__)

router = APIRouter(prefix="/franceconnect", tags=["franceconnect"])


def _portal(settings: Settings, path: str, **query: str) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


@router.get(
    "/login",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="Send the browser to FranceConnect",
    response_class=RedirectResponse,
)
async def franceconnect_login(bus: BusDep, settings: SettingsDep) -> RedirectResponse:
    try:
        started = await bus.handle(StartFranceConnect())
    except FranceConnectRefused as error:
        # A redirect, not a problem: the browser goes back to the login page with a reason.
        logger.warning("franceconnect unavailable", reason=error.reason)
        return RedirectResponse(_portal(settings, "/connexion", erreur=error.code), 303)
    response = RedirectResponse(started.authorization_url, status.HTTP_303_SEE_OTHER)
    set_franceconnect_cookie(response, settings, FRANCECONNECT_COOKIE, started.browser_binding)
    return response


@router.get(
    "/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="FranceConnect sends the browser back here",
    response_class=RedirectResponse,
)
async def franceconnect_callback(
    request: Request,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    iss: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> RedirectResponse:
    binding = franceconnect_cookie_value(request, settings, FRANCECONNECT_COOKIE)
    try:
        outcome = await bus.handle(
            FinishFranceConnect(
                code=code,
                state=state,
                issuer=iss,
                error=error,
                browser_binding=binding,
                client_address=address,
            )
        )
    except FranceConnectRefused as refused:
        # A redirect, not a problem: the browser goes back to the login page with a reason.
        logger.warning("franceconnect login refused", code=refused.code, reason=refused.reason)
        response = RedirectResponse(
            _portal(settings, "/connexion", erreur=refused.code), status.HTTP_303_SEE_OTHER
        )
        clear_franceconnect_cookie(response, settings, FRANCECONNECT_COOKIE)
        return response
    if outcome.issued is None:
        assert outcome.pending_token is not None
        response = RedirectResponse(
            _portal(settings, "/connexion", franceconnect="lier"), status.HTTP_303_SEE_OTHER
        )
        set_franceconnect_cookie(
            response, settings, FRANCECONNECT_LINK_COOKIE, outcome.pending_token
        )
    else:
        response = RedirectResponse(_portal(settings, "/messages"), status.HTTP_303_SEE_OTHER)
        set_session_cookies(response, outcome.issued, settings)
    clear_franceconnect_cookie(response, settings, FRANCECONNECT_COOKIE)
    return response


@router.post(
    "/link",
    summary="Link the FranceConnect identity to the account whose number and password are given",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(400, 401, 403, 409, 422, 429),
    dependencies=[SameOrigin],
)
async def franceconnect_link(
    body: schemas.FranceConnectLink,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
    request: Request,
) -> schemas.SessionPublic:
    pending = franceconnect_cookie_value(request, settings, FRANCECONNECT_LINK_COOKIE)
    issued = await bus.handle(
        LinkFranceConnect(
            pending_token=pending, nir=body.nir, password=body.password, client_address=address
        )
    )
    clear_franceconnect_cookie(response, settings, FRANCECONNECT_LINK_COOKIE)
    return session_answer(response, issued, settings, bearer=False)


@router.post(
    "/logout",
    summary="Log out here and at FranceConnect: the session ends, the browser goes to logout_url",
    description="A state change, so never a GET (any page could send a browser to it): a "
    "browser sends the `X-CSRF-Token` header, as for every POST. The session is revoked and "
    "the cookies cleared; the browser then navigates to `logout_url`.",
    response_model=schemas.FranceConnectLogout,
    responses=problem_responses(401, 403),
)
async def franceconnect_logout(
    principal: LivePrincipal,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
) -> schemas.FranceConnectLogout:
    session_id = uuid.UUID(principal.session_id) if principal.session_id else None
    logout_url = await bus.handle(LogOut(session_id=session_id, client_address=address))
    clear_session_cookies(response, settings)
    return schemas.FranceConnectLogout(logout_url=logout_url or _portal(settings, "/"))


@router.get(
    "/logged-out",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="FranceConnect sends the browser back here after logging out",
    response_class=RedirectResponse,
)
async def franceconnect_logged_out(
    settings: SettingsDep, state: Annotated[str | None, Query(max_length=512)] = None
) -> RedirectResponse:
    return RedirectResponse(_portal(settings, "/"), status.HTTP_303_SEE_OTHER)
