"""What the routes depend on: the wired services, the caller, cookies, and errors as problems."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response

from auth.adapters.franceconnect import FranceConnectClient
from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.errors import (
    AccountNotActivated,
    AlreadyRefreshed,
    AuthError,
    Conflict,
    Forbidden,
    FranceConnectRefused,
    InvalidCode,
    InvalidCredentials,
    InvalidData,
    InvalidLink,
    InvalidRefreshToken,
    NotFound,
    TooManyAttempts,
    TooManyRequests,
)
from auth.service_layer import handlers
from auth.service_layer.clock import Clock
from auth.service_layer.handlers import IssuedSession, UnitOfWorkFactory
from auth.service_layer.tokens import KeyRing, TokenIssuer
from servicekit.problems import Problem
from servicekit.security import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CurrentPrincipal,
    Principal,
    same_origin,
    unauthenticated,
)

REFRESH_COOKIE = "mm_refresh"
#: Ties a FranceConnect answer to the browser that asked for it.
FRANCECONNECT_COOKIE = "mm_fc"
#: Holds the FranceConnect login waiting for the member's number and password.
FRANCECONNECT_LINK_COOKIE = "mm_fc_lien"
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Services:
    """Everything the handlers need, wired once in ``create_app``."""

    settings: Settings
    unit_of_work: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher
    keyring: KeyRing
    issuer: TokenIssuer
    franceconnect: FranceConnectClient


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


# --------------------------------------------------------------------------- the caller


def client_address(request: Request) -> str:
    """The browser's address: the socket peer, or what a trusted proxy says it forwarded."""
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else "unknown"
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in settings.trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(peer):
        return peer
    forwarded = [
        part.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for part in header.split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if not trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer
    return forwarded[0] if forwarded else peer


ClientAddress = Annotated[str, Depends(client_address)]


def require_same_origin(request: Request) -> None:
    """Forms that act without a session must come from our site when the browser says where
    from (requests with a session get the same check from servicekit, with the CSRF one)."""
    settings: Settings = request.app.state.settings
    if not same_origin(request, settings.public_base_url):
        raise Problem(403, "origin", "Cette demande ne provient pas du site attendu.")


SameOrigin = Depends(require_same_origin)


async def live_principal(principal: CurrentPrincipal, services: ServicesDep) -> Principal:
    """The caller, whose session must still be open (logout or a password reset ends it)."""
    session = await handlers.live_session(
        principal.session_id, unit_of_work=services.unit_of_work, clock=services.clock
    )
    if session is None or session.subject_id != principal.subject:
        raise unauthenticated("Votre session est terminée : reconnectez-vous.")
    return principal


LivePrincipal = Annotated[Principal, Depends(live_principal)]


def live_member(principal: LivePrincipal) -> Principal:
    if not principal.is_member:
        raise Problem(403, "members-only", "Cette fonction est réservée aux adhérents.")
    return principal


def live_manager(principal: LivePrincipal) -> Principal:
    if not principal.is_agent or principal.role not in ("supervisor", "admin"):
        if principal.is_agent:
            raise Problem(403, "role", "Votre profil ne permet pas cette action.")
        raise Problem(403, "agents-only", "Cette fonction est réservée aux conseillers.")
    return principal


LiveMember = Annotated[Principal, Depends(live_member)]
LiveManager = Annotated[Principal, Depends(live_manager)]


# --------------------------------------------------------------------------- cookies


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


# --------------------------------------------------------------------------- errors


def _paris_time(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}"


def _seconds(count: int) -> str:
    return "1 seconde" if count <= 1 else f"{count} secondes"


def problem_of(
    error: AuthError, *, now: datetime, who: Literal["member", "agent"] = "member"
) -> Problem:
    if isinstance(error, InvalidCredentials):
        detail = (
            "Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie."
            if who == "member"
            else "Adresse électronique ou mot de passe incorrect : vérifiez votre saisie."
        )
        return Problem(401, "invalid-credentials", detail)
    if isinstance(error, TooManyAttempts):
        refusal = error.refusal
        seconds = refusal.seconds_left(now)
        if refusal.locked:
            detail = (
                "Trop de tentatives : par sécurité, la connexion est bloquée jusqu'à "
                f"{_paris_time(refusal.retry_at)}. Vous pourrez réessayer ensuite, ou "
                "réinitialiser votre mot de passe."
            )
        else:
            detail = f"Trop de tentatives : réessayez dans {_seconds(seconds)}."
        return Problem(
            429,
            "too-many-attempts",
            detail,
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
            retry_at=refusal.retry_at.isoformat(),
            locked=refusal.locked,
        )
    if isinstance(error, TooManyRequests):
        refusal = error.refusal
        seconds = refusal.seconds_left(now)
        # Worded for the request, never for what was sent: an anonymous request is refused
        # the same way whether an account has the number or not.
        if refusal.locked:
            detail = (
                "Trop de demandes en peu de temps : par sécurité, vous pourrez faire une "
                f"nouvelle demande à partir de {_paris_time(refusal.retry_at)}."
            )
        else:
            detail = (
                f"Une demande vient d'être faite : réessayez dans {_seconds(seconds)}. "
                "Un courriel peut mettre quelques minutes à arriver."
            )
        return Problem(
            429,
            "too-many-requests",
            detail,
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
            retry_at=refusal.retry_at.isoformat(),
            locked=refusal.locked,
        )
    if isinstance(error, AccountNotActivated):
        return Problem(
            403,
            "account-not-activated",
            "Votre compte n'est pas encore activé : saisissez le code reçu par courriel, "
            "ou demandez un nouveau code.",
        )
    if isinstance(error, InvalidData):
        errors = [{"field": field, "message": message} for field, message in error.errors]
        detail = (
            errors[0]["message"]
            if len(errors) == 1
            else "Certaines informations sont invalides : corrigez les champs indiqués."
        )
        return Problem(422, "invalid-request", detail, errors=errors)
    if isinstance(error, InvalidCode):
        return Problem(
            400,
            "invalid-code",
            "Ce code n'est pas valide ou a expiré : vérifiez-le, ou demandez un nouveau code.",
            # The forms show it beside the code's field, linked from their error summary.
            field="code",
        )
    if isinstance(error, InvalidLink):
        return Problem(
            400,
            "invalid-link",
            "Ce lien n'est plus valide (il a déjà servi ou a expiré) : faites une nouvelle demande.",
        )
    if isinstance(error, InvalidRefreshToken):
        return Problem(401, "session-expired", "Votre session a expiré : reconnectez-vous.")
    if isinstance(error, AlreadyRefreshed):
        return Problem(
            409,
            "already-refreshed",
            "La session vient d'être renouvelée par un autre onglet : réessayez votre demande.",
        )
    if isinstance(error, NotFound):
        return Problem(404, "not-found", "Cette ressource n'existe pas.")
    if isinstance(error, Forbidden):
        return Problem(403, "forbidden", "Votre profil ne permet pas cette action.")
    if isinstance(error, Conflict):
        return Problem(409, "conflict", "Cette ressource existe déjà.")
    if isinstance(error, FranceConnectRefused):
        return Problem(400, error.code, "La connexion avec FranceConnect n'a pas abouti.")
    return Problem(400, "refused", "Cette demande ne peut pas aboutir.")


@contextmanager
def problems(
    services: Services, *, who: Literal["member", "agent"] = "member", conflict: str | None = None
) -> Iterator[None]:
    """Turn the domain's errors into French problems."""
    try:
        yield
    except AuthError as error:
        problem = problem_of(error, now=services.clock.now(), who=who)
        if conflict is not None and isinstance(error, Conflict):
            problem = Problem(409, "conflict", conflict)
        raise problem from None
