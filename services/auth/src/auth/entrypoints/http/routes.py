"""HTTP routes of the auth service (served by the gateway under ``/api/auth``).

Routes are thin: they turn a request into a command, call its handler, and turn the result
into a body and cookies. Browser flows answer JSON for fetch calls; the FranceConnect routes
redirect the browser.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Query, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from auth.domain import commands
from auth.domain.errors import (
    AlreadyRefreshed,
    AuthError,
    Forbidden,
    FranceConnectRefused,
    InvalidCredentials,
    InvalidRefreshToken,
)
from auth.domain.model import Agent
from auth.entrypoints.http import schemas
from auth.entrypoints.http.deps import (
    FRANCECONNECT_COOKIE,
    FRANCECONNECT_LINK_COOKIE,
    REFRESH_COOKIE,
    ClientAddress,
    LiveManager,
    LiveMember,
    LivePrincipal,
    SameOrigin,
    Services,
    ServicesDep,
    clear_franceconnect_cookie,
    clear_session_cookies,
    live_principal,
    problem_of,
    problems,
    require_same_origin,
    set_franceconnect_cookie,
    set_session_cookies,
)
from auth.service_layer import handlers
from auth.service_layer.handlers import IssuedSession
from contracts import all_funds
from servicekit.logging import get_logger
from servicekit.problems import Problem, problem_responses
from servicekit.security import CSRF_HEADER, authenticated, csrf_refused

logger = get_logger(__name__)

ACCEPTED = (
    "Si les informations correspondent à un compte, un courriel vient d'être envoyé : "
    "suivez ses instructions."
)


def _session_body(
    issued: IssuedSession, services: Services, *, bearer: bool, linked: bool = False
) -> schemas.SessionPublic:
    subject = issued.subject
    profile: schemas.MemberPublic | schemas.AgentPublic
    if isinstance(subject, Agent):
        profile = schemas.AgentPublic.of(subject)
    else:
        profile = schemas.MemberPublic.of(subject, franceconnect_linked=linked)
    body = schemas.SessionPublic(
        profile=profile,
        csrf_token=None if bearer else issued.csrf_token,
        expires_in=services.settings.access_token_seconds,
    )
    if bearer:
        body.access_token = issued.access_token
        body.refresh_token = issued.refresh_token
        body.token_type = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    return body


def _respond_with_session(
    issued: IssuedSession, services: Services, *, bearer: bool, linked: bool = False
) -> JSONResponse:
    body = _session_body(issued, services, bearer=bearer, linked=linked)
    response = JSONResponse(body.model_dump(mode="json", exclude_none=True))
    if not bearer:
        set_session_cookies(response, issued, services.settings)
    return response


# --------------------------------------------------------------------------- reference data

reference = APIRouter(tags=["reference"])


@reference.get("/funds", summary="The 35 MSA funds, for the registration form")
async def list_funds() -> schemas.FundsPublic:
    return schemas.FundsPublic(
        data=[
            schemas.FundPublic(code=fund.code, name=fund.name, site=fund.site)
            for fund in all_funds().values()
        ]
    )


@reference.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify access tokens",
    response_model=schemas.Jwks,
)
async def jwks(services: ServicesDep) -> JSONResponse:
    return JSONResponse(
        await services.keyring.jwks(), headers={"Cache-Control": "public, max-age=60"}
    )


# --------------------------------------------------------------------------- members

members = APIRouter(tags=["members"])


@members.post(
    "/members",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create a member account (an activation code is emailed)",
    responses=problem_responses(403, 422, 429),
    dependencies=[SameOrigin],
)
async def register(
    body: schemas.MemberCreate, services: ServicesDep, address: ClientAddress
) -> schemas.Accepted:
    with problems(services):
        await handlers.register_member(
            commands.RegisterMember(
                nir_with_key=body.nir,
                birth_date=body.birth_date,
                given_name=body.given_name,
                family_name=body.family_name,
                email=str(body.email),
                fund=body.fund,
                password=body.password,
                client_address=address,
            ),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
            settings=services.settings,
        )
    return schemas.Accepted(
        detail="Si ce numéro n'a pas encore de compte actif, un code d'activation vient d'être "
        "envoyé à l'adresse indiquée : il est valable 24 heures."
    )


@members.post(
    "/members/activation",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Activate an account with the emailed code",
    responses=problem_responses(400, 403, 422),
    dependencies=[SameOrigin],
)
async def activate(body: schemas.ActivationCreate, services: ServicesDep) -> Response:
    with problems(services):
        await handlers.activate_member(
            commands.ActivateMember(nir=body.nir, code=body.code),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@members.post(
    "/members/activation/renewal",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a new activation code",
    dependencies=[SameOrigin],
    responses=problem_responses(403, 422, 429),
)
async def renew_activation(
    body: schemas.ActivationRenewal, services: ServicesDep
) -> schemas.Accepted:
    with problems(services):
        await handlers.renew_activation_code(
            commands.RenewActivationCode(nir=body.nir),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=services.settings,
        )
    return schemas.Accepted(detail=ACCEPTED)


@members.get(
    "/me",
    summary="The account of the caller (member or agent)",
    responses=problem_responses(401),
)
async def me(principal: LivePrincipal, services: ServicesDep) -> schemas.Profile:
    with problems(services):
        subject, linked = await handlers.profile(
            principal.kind, principal.subject, unit_of_work=services.unit_of_work
        )
    if isinstance(subject, Agent):
        return schemas.AgentPublic.of(subject)
    return schemas.MemberPublic.of(subject, franceconnect_linked=linked)


@members.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the member's account and contact data",
    responses=problem_responses(401, 403),
)
async def delete_me(principal: LiveMember, services: ServicesDep) -> Response:
    with problems(services):
        await handlers.delete_member(
            commands.DeleteMember(member_id=principal.subject),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
        )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, services.settings)
    return response


@members.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Change the email address: a code is sent to the new one",
    responses=problem_responses(401, 403, 422, 429),
)
async def change_email(
    body: schemas.EmailChange, principal: LiveMember, services: ServicesDep
) -> schemas.EmailChangePending:
    with problems(services):
        expires_at = await handlers.request_email_change(
            commands.RequestEmailChange(member_id=principal.subject, new_email=str(body.email)),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=services.settings,
        )
    return schemas.EmailChangePending(
        detail="Un code de confirmation vient d'être envoyé à la nouvelle adresse : "
        "saisissez-le pour confirmer le changement.",
        expires_at=expires_at,
    )


@members.post(
    "/me/email/confirmation",
    summary="Confirm the new email address with its code",
    responses=problem_responses(400, 401, 403, 422),
)
async def confirm_email(
    body: schemas.EmailConfirmation, principal: LiveMember, services: ServicesDep
) -> schemas.MemberPublic:
    with problems(services):
        member = await handlers.confirm_email_change(
            commands.ConfirmEmailChange(member_id=principal.subject, code=body.code),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
        )
        _, linked = await handlers.profile("member", member.id, unit_of_work=services.unit_of_work)
    return schemas.MemberPublic.of(member, franceconnect_linked=linked)


# --------------------------------------------------------------------------- passwords

passwords = APIRouter(tags=["passwords"])


@passwords.post(
    "/password/forgotten",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a one-time link to set a new password",
    dependencies=[SameOrigin],
    responses=problem_responses(403, 422, 429),
)
async def forgotten(body: schemas.PasswordForgotten, services: ServicesDep) -> schemas.Accepted:
    with problems(services):
        await handlers.request_password_reset(
            commands.RequestPasswordReset(nir=body.nir),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=services.settings,
        )
    return schemas.Accepted(detail=ACCEPTED)


@passwords.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the emailed link (every session is closed)",
    dependencies=[SameOrigin],
    responses=problem_responses(400, 403, 422),
)
async def reset(body: schemas.PasswordReset, services: ServicesDep) -> Response:
    with problems(services):
        await handlers.reset_password(
            commands.ResetPassword(token=body.token, password=body.password),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@passwords.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change one's password (other sessions are closed)",
    responses=problem_responses(400, 401, 403, 422),
)
async def change_password(
    body: schemas.PasswordChange, principal: LivePrincipal, services: ServicesDep
) -> Response:
    try:
        await handlers.change_password(
            commands.ChangePassword(
                kind=principal.kind,
                subject_id=principal.subject,
                session_id=uuid.UUID(principal.session_id) if principal.session_id else None,
                current_password=body.current_password,
                new_password=body.new_password,
            ),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
        )
    except InvalidCredentials:
        raise Problem(
            400, "wrong-password", "Le mot de passe actuel n'est pas le bon : vérifiez-le."
        ) from None
    except AuthError as error:
        raise problem_of(error, now=services.clock.now()) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- sessions

sessions = APIRouter(tags=["sessions"])


@sessions.post(
    "/session",
    summary="Member login: number (13 characters) and password",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[SameOrigin],
)
async def log_in(
    body: schemas.SessionCreate, services: ServicesDep, address: ClientAddress
) -> JSONResponse:
    with problems(services):
        issued = await handlers.log_in_member(
            commands.LogInMember(nir=body.nir, password=body.password, client_address=address),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
            settings=services.settings,
            issuer=services.issuer,
        )
        _, linked = await handlers.profile(
            "member", issued.subject.id, unit_of_work=services.unit_of_work
        )
    return _respond_with_session(issued, services, bearer=body.bearer, linked=linked)


@sessions.post(
    "/agents/session",
    summary="Agent login for the back office: email and password",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 422, 429),
    dependencies=[SameOrigin],
)
async def log_in_agent(
    body: schemas.AgentSessionCreate, services: ServicesDep, address: ClientAddress
) -> JSONResponse:
    with problems(services, who="agent"):
        issued = await handlers.log_in_agent(
            commands.LogInAgent(email=body.email, password=body.password, client_address=address),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
            settings=services.settings,
            issuer=services.issuer,
        )
    return _respond_with_session(issued, services, bearer=body.bearer)


@sessions.post(
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
    services: ServicesDep,
    body: schemas.SessionRefresh | None = None,
    refresh_cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> JSONResponse:
    bearer = body is not None and body.refresh_token is not None
    if body is not None and body.refresh_token is not None:
        token, csrf_token = body.refresh_token, None
    elif refresh_cookie:
        # A browser: the cookie comes by itself, so the CSRF token must come too.
        token, csrf_token = refresh_cookie, request.headers.get(CSRF_HEADER, "")
        if not csrf_token:
            raise csrf_refused()
    else:
        raise problem_of(InvalidRefreshToken(), now=services.clock.now())
    try:
        issued = await handlers.refresh_session(
            commands.RefreshSession(refresh_token=token, csrf_token=csrf_token),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=services.settings,
            issuer=services.issuer,
        )
    except Forbidden:
        raise csrf_refused() from None
    except AlreadyRefreshed as error:
        # No new tokens, and the cookies stay: the other tab's refresh set them already.
        raise problem_of(error, now=services.clock.now()) from None
    except AuthError as error:
        problem = problem_of(error, now=services.clock.now())
        response = JSONResponse(
            problem.body(request.url.path),
            status_code=problem.status,
            media_type="application/problem+json",
        )
        if not bearer:
            clear_session_cookies(response, services.settings)
        return response
    linked = False
    if issued.session.kind == "member":
        _, linked = await handlers.profile(
            "member", issued.subject.id, unit_of_work=services.unit_of_work
        )
    return _respond_with_session(issued, services, bearer=bearer, linked=linked)


async def _end_session(session_id: uuid.UUID | None, services: Services) -> str | None:
    """Revoke the session; the FranceConnect logout address when it came from there."""
    if session_id is None:
        return None
    session = await handlers.log_out(
        commands.LogOut(session_id=session_id),
        unit_of_work=services.unit_of_work,
        clock=services.clock,
    )
    if session is None or not session.franceconnect_id_token:
        return None
    try:
        return await services.franceconnect.end_session_url(
            id_token=session.franceconnect_id_token,
            post_logout_uri=services.settings.franceconnect_post_logout_uri,
            state=uuid.uuid4().hex,
        )
    except FranceConnectRefused as error:
        logger.warning("franceconnect logout unavailable", reason=error.reason)
        return None


@sessions.delete(
    "/session",
    summary="Log out: the session is revoked and the cookies cleared",
    description="With a valid access token, or, once it has expired, with the refresh cookie "
    "and the CSRF header. Without either there is nothing to revoke: the cookies are cleared.",
    responses=problem_responses(403),
)
async def log_out(
    request: Request,
    services: ServicesDep,
    refresh_cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> JSONResponse:
    session_id: uuid.UUID | None = None
    try:
        principal = await live_principal(await authenticated(request), services)
        session_id = uuid.UUID(principal.session_id) if principal.session_id else None
    except Problem as problem:
        if problem.status != 401:
            raise
        if refresh_cookie:
            require_same_origin(request)
            try:
                session_id = await handlers.session_of_refresh_token(
                    refresh_cookie,
                    csrf_token=request.headers.get(CSRF_HEADER, ""),
                    unit_of_work=services.unit_of_work,
                )
            except Forbidden:
                raise csrf_refused() from None
    logout_url = await _end_session(session_id, services)
    response = JSONResponse(
        schemas.SessionEnded(franceconnect_logout_url=logout_url).model_dump(mode="json")
    )
    clear_session_cookies(response, services.settings)
    return response


# --------------------------------------------------------------------------- FranceConnect

franceconnect = APIRouter(prefix="/franceconnect", tags=["franceconnect"])


def _portal(services: Services, path: str, **query: str) -> str:
    base = services.settings.public_base_url.rstrip("/")
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


@franceconnect.get(
    "/login",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="Send the browser to FranceConnect",
    response_class=RedirectResponse,
)
async def franceconnect_login(services: ServicesDep) -> RedirectResponse:
    try:
        url, binding = await handlers.start_franceconnect(
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=services.settings,
            franceconnect=services.franceconnect,
        )
    except FranceConnectRefused as error:
        logger.warning("franceconnect unavailable", reason=error.reason)
        return RedirectResponse(_portal(services, "/connexion", erreur=error.code), 303)
    response = RedirectResponse(url, status.HTTP_303_SEE_OTHER)
    set_franceconnect_cookie(response, services.settings, FRANCECONNECT_COOKIE, binding)
    return response


@franceconnect.get(
    "/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="FranceConnect sends the browser back here",
    response_class=RedirectResponse,
)
async def franceconnect_callback(
    services: ServicesDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    iss: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    binding: Annotated[str | None, Cookie(alias=FRANCECONNECT_COOKIE)] = None,
) -> RedirectResponse:
    settings = services.settings
    try:
        outcome = await handlers.finish_franceconnect(
            commands.FinishFranceConnect(
                code=code, state=state, issuer=iss, error=error, browser_binding=binding
            ),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            settings=settings,
            franceconnect=services.franceconnect,
            issuer=services.issuer,
        )
    except FranceConnectRefused as refused:
        logger.warning("franceconnect login refused", code=refused.code, reason=refused.reason)
        response = RedirectResponse(
            _portal(services, "/connexion", erreur=refused.code), status.HTTP_303_SEE_OTHER
        )
        clear_franceconnect_cookie(response, settings, FRANCECONNECT_COOKIE)
        return response
    if outcome.issued is None:
        assert outcome.pending_token is not None
        response = RedirectResponse(
            _portal(services, "/connexion", franceconnect="lier"), status.HTTP_303_SEE_OTHER
        )
        set_franceconnect_cookie(
            response, settings, FRANCECONNECT_LINK_COOKIE, outcome.pending_token
        )
    else:
        response = RedirectResponse(_portal(services, "/messages"), status.HTTP_303_SEE_OTHER)
        set_session_cookies(response, outcome.issued, settings)
    clear_franceconnect_cookie(response, settings, FRANCECONNECT_COOKIE)
    return response


@franceconnect.post(
    "/link",
    summary="Link the FranceConnect identity to the account whose number and password are given",
    response_model=schemas.SessionPublic,
    response_model_exclude_none=True,
    responses=problem_responses(400, 401, 403, 409, 422, 429),
    dependencies=[SameOrigin],
)
async def franceconnect_link(
    body: schemas.FranceConnectLink,
    services: ServicesDep,
    address: ClientAddress,
    pending: Annotated[str | None, Cookie(alias=FRANCECONNECT_LINK_COOKIE)] = None,
) -> JSONResponse:
    if not pending:
        raise Problem(
            400,
            "invalid-link",
            "La connexion FranceConnect a expiré : reconnectez-vous avec FranceConnect.",
        )
    with problems(
        services, conflict="Ce compte est déjà relié à une autre identité FranceConnect."
    ):
        issued = await handlers.link_franceconnect(
            commands.LinkFranceConnect(
                pending_token=pending,
                nir=body.nir,
                password=body.password,
                client_address=address,
            ),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
            settings=services.settings,
            issuer=services.issuer,
        )
    response = _respond_with_session(issued, services, bearer=False, linked=True)
    clear_franceconnect_cookie(response, services.settings, FRANCECONNECT_LINK_COOKIE)
    return response


@franceconnect.post(
    "/logout",
    summary="Log out here and at FranceConnect: the session ends, the browser goes to logout_url",
    description="A state change, so never a GET (any page could send a browser to it): a "
    "browser sends the `X-CSRF-Token` header, as for every POST. The session is revoked and "
    "the cookies cleared; the browser then navigates to `logout_url`.",
    response_model=schemas.FranceConnectLogout,
    responses=problem_responses(401, 403),
)
async def franceconnect_logout(principal: LivePrincipal, services: ServicesDep) -> JSONResponse:
    session_id = uuid.UUID(principal.session_id) if principal.session_id else None
    logout_url = await _end_session(session_id, services)
    response = JSONResponse(
        schemas.FranceConnectLogout(logout_url=logout_url or _portal(services, "/")).model_dump(
            mode="json"
        )
    )
    clear_session_cookies(response, services.settings)
    return response


@franceconnect.get(
    "/logged-out",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="FranceConnect sends the browser back here after logging out",
    response_class=RedirectResponse,
)
async def franceconnect_logged_out(
    services: ServicesDep, state: Annotated[str | None, Query(max_length=512)] = None
) -> RedirectResponse:
    return RedirectResponse(_portal(services, "/"), status.HTTP_303_SEE_OTHER)


# --------------------------------------------------------------------------- agents

agents = APIRouter(prefix="/agents", tags=["agents"])


def _manager(principal: LiveManager) -> handlers.Manager:
    return (principal.role, principal.fund)


@agents.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an agent (admin: any fund; supervisor: their fund)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_agent(
    body: schemas.AgentCreate, principal: LiveManager, services: ServicesDep
) -> schemas.AgentPublic:
    with problems(services, conflict="Un conseiller utilise déjà cette adresse électronique."):
        agent = await handlers.create_agent(
            commands.CreateAgent(
                email=str(body.email),
                given_name=body.given_name,
                family_name=body.family_name,
                role=body.role,
                fund=body.fund,
                skills=tuple(body.skills),
                password=body.password,
            ),
            manager=_manager(principal),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
        )
    return schemas.AgentPublic.of(agent)


@agents.get(
    "",
    summary="Agents the caller manages (admin: all funds; supervisor: their fund)",
    responses=problem_responses(401, 403, 422),
)
async def list_agents(
    principal: LiveManager,
    services: ServicesDep,
    fund: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> schemas.AgentsPublic:
    found = await handlers.list_agents(
        manager=_manager(principal), fund=fund, unit_of_work=services.unit_of_work
    )
    return schemas.AgentsPublic(data=[schemas.AgentPublic.of(agent) for agent in found])


@agents.get("/{agent_id}", summary="One agent", responses=problem_responses(401, 403, 404, 422))
async def get_agent(
    agent_id: uuid.UUID, principal: LiveManager, services: ServicesDep
) -> schemas.AgentPublic:
    with problems(services):
        agent = await handlers.get_agent(
            agent_id, manager=_manager(principal), unit_of_work=services.unit_of_work
        )
    return schemas.AgentPublic.of(agent)


@agents.patch(
    "/{agent_id}",
    summary="Change an agent's names, role, skills, password or deactivate them",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_agent(
    agent_id: uuid.UUID, body: schemas.AgentUpdate, principal: LiveManager, services: ServicesDep
) -> schemas.AgentPublic:
    with problems(services):
        agent = await handlers.update_agent(
            commands.UpdateAgent(
                agent_id=agent_id,
                given_name=body.given_name,
                family_name=body.family_name,
                role=body.role,
                skills=tuple(body.skills) if body.skills is not None else None,
                active=body.active,
                password=body.password,
            ),
            manager=_manager(principal),
            unit_of_work=services.unit_of_work,
            clock=services.clock,
            hasher=services.hasher,
        )
    return schemas.AgentPublic.of(agent)


routers = [reference, members, passwords, sessions, franceconnect, agents]
