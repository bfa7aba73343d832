"""Sessions and passwords: logging in and out, refreshing tokens, forgotten, reset and
changed passwords. Cookies are set here (an HTTP matter); tokens come from the handlers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from auth.domain.commands import (
    ChangePassword,
    FindSessionOfRefreshToken,
    LogInAgent,
    LogInMember,
    LogOut,
    RefreshSession,
    RequestPasswordReset,
    ResetPassword,
)
from auth.domain.errors import InvalidRefreshToken
from auth.entrypoints.http import schemas
from auth.entrypoints.http.cookies import (
    clear_session_cookies,
    refresh_token_of,
    session_answer,
)
from auth.entrypoints.http.deps import (
    BusDep,
    ClientAddress,
    LivePrincipal,
    SameOrigin,
    SettingsDep,
    live_principal,
    require_same_origin,
)
from auth.entrypoints.http.errors import problem_for
from servicekit.problems import Problem, problem_response, problem_responses
from servicekit.security import (
    CSRF_HEADER,
    app_of,
    authenticated,
    csrf_refused,
    requested_apps,
)

router = APIRouter(tags=["sessions"])
passwords = APIRouter(tags=["passwords"])


@router.post(
    "/session",
    summary="Member login: number (13 characters) and password",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[SameOrigin],
)
async def log_in(
    body: schemas.SessionCreate,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
) -> schemas.SessionPublic:
    issued = await bus.handle(
        LogInMember(nir=body.nir, password=body.password, client_address=address)
    )
    return session_answer(response, issued, settings, bearer=body.bearer)


@router.post(
    "/agents/session",
    summary="Agent login for the back office: email and password",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[SameOrigin],
)
async def log_in_agent(
    body: schemas.AgentSessionCreate,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
) -> schemas.SessionPublic:
    issued = await bus.handle(
        LogInAgent(email=body.email, password=body.password, client_address=address)
    )
    return session_answer(response, issued, settings, bearer=body.bearer)


@router.post(
    "/session/refresh",
    summary="New access token (and refresh token) for the session",
    description="A refresh token used twice ends the session (401), except when it comes "
    "again within `AUTH_REFRESH_REUSE_GRACE_SECONDS` of its use and its successor is still "
    "unused: another tab refreshed at the same time, the browser holds the new cookies "
    "already, and the answer is 409 `already-refreshed` (retry the request).",
    dependencies=[SameOrigin],
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 409, 422),
)
async def refresh(
    request: Request,
    bus: BusDep,
    settings: SettingsDep,
    response: Response,
    body: schemas.SessionRefresh | None = None,
) -> schemas.SessionPublic | Response:
    bearer = body is not None and body.refresh_token is not None
    # The refresh cookie of the web app the request names (X-Mes-Messages-App), or the first.
    found = refresh_token_of(request, settings)
    if body is not None and body.refresh_token is not None:
        token, csrf_token = body.refresh_token, None
    elif found:
        # A browser: the cookie comes by itself, so the CSRF token must come too.
        token, csrf_token = found[1], request.headers.get(CSRF_HEADER, "")
        if not csrf_token:
            raise csrf_refused()
    else:
        raise InvalidRefreshToken()
    try:
        issued = await bus.handle(RefreshSession(refresh_token=token, csrf_token=csrf_token))
    except InvalidRefreshToken as error:
        if bearer:
            raise
        # Deliberate: the problem must also clear the browser's cookies of the ended session
        # (an already-refreshed 409 keeps them: the other tab's refresh has just set them).
        expired = problem_response(problem_for(error), request)
        clear_session_cookies(expired, settings, found[0] if found else "portal")
        return expired
    return session_answer(response, issued, settings, bearer=bearer)


@router.delete(
    "/session",
    summary="Log out: the session is revoked and the cookies cleared",
    description="With a valid access token, or, once it has expired, with the refresh cookie "
    "and the CSRF header. Without either there is nothing to revoke: the cookies are cleared.",
    response_model=schemas.SessionEnded,
    responses=problem_responses(403),
)
async def log_out(
    request: Request,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
) -> schemas.SessionEnded:
    session_id: uuid.UUID | None = None
    found = refresh_token_of(request, settings)
    # Whose cookies go: the web app of the session, else the one the request names.
    app = found[0] if found else requested_apps(request)[0]
    try:
        principal = await live_principal(await authenticated(request), bus)
        session_id = uuid.UUID(principal.session_id) if principal.session_id else None
        app = app_of(principal.kind)
    except Problem as problem:
        if problem.status != 401:
            raise
        if found:
            await require_same_origin(request, settings)
            session_id = await bus.handle(
                FindSessionOfRefreshToken(
                    refresh_token=found[1], csrf_token=request.headers.get(CSRF_HEADER, "")
                )
            )
    logout_url = await bus.handle(LogOut(session_id=session_id, client_address=address))
    clear_session_cookies(response, settings, app)
    return schemas.SessionEnded(franceconnect_logout_url=logout_url)


# --------------------------------------------------------------------------- passwords


@passwords.post(
    "/password/forgotten",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a one-time link to set a new password",
    response_model=schemas.Accepted,
    dependencies=[SameOrigin],
    responses=problem_responses(403, 422, 429),
)
async def forgotten(
    body: schemas.PasswordForgotten, bus: BusDep, address: ClientAddress
) -> schemas.Accepted:
    await bus.handle(RequestPasswordReset(nir=body.nir, client_address=address))
    return schemas.Accepted(detail=schemas.ACCEPTED)


@passwords.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the emailed link (every session is closed)",
    response_class=Response,
    dependencies=[SameOrigin],
    responses=problem_responses(400, 403, 422),
)
async def reset(body: schemas.PasswordReset, bus: BusDep, address: ClientAddress) -> None:
    await bus.handle(
        ResetPassword(token=body.token, password=body.password, client_address=address)
    )


@passwords.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change one's password (other sessions are closed, the address is told)",
    description="`current_password` may be left out within 5 minutes of a FranceConnect login "
    "(`403 reauthentication-required` otherwise); a wrong one answers `400 wrong-password` and "
    "counts as a failed login (`429` once the login's delays apply).",
    response_class=Response,
    responses=problem_responses(400, 401, 403, 422, 429),
)
async def change_password(
    body: schemas.PasswordChange, principal: LivePrincipal, bus: BusDep, address: ClientAddress
) -> None:
    await bus.handle(
        ChangePassword(
            kind=principal.kind,
            subject_id=principal.subject,
            session_id=uuid.UUID(principal.session_id) if principal.session_id else None,
            current_password=body.current_password,
            new_password=body.new_password,
            client_address=address,
        )
    )
