"""What the routes depend on: the message bus, the settings, who is calling and from where.

Every dependency is a coroutine: FastAPI runs a plain function in a worker thread, a hand-off
per dependency per request for what is a few attribute reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from auth.config import Settings
from auth.domain.commands import GetLiveSession
from auth.domain.model import Manager
from servicekit import throttling
from servicekit.deps import BusDep as BusDep
from servicekit.problems import Problem
from servicekit.security import CurrentPrincipal, Principal, same_origin, unauthenticated


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


#: For what is HTTP's own: cookies, redirects to the portal, the access token's lifetime.
SettingsDep = Annotated[Settings, Depends(get_settings)]


# --------------------------------------------------------------------------- the caller


async def client_address(request: Request, settings: SettingsDep) -> str:
    """The browser's address: the socket peer, or what a trusted proxy says it forwarded."""
    return throttling.client_address(request, settings.trusted_proxies)


ClientAddress = Annotated[str, Depends(client_address)]


async def require_same_origin(request: Request, settings: SettingsDep) -> None:
    """Forms that act without a session must come from our site when the browser says where
    from (requests with a session get the same check from servicekit, with the CSRF one)."""
    if not same_origin(request, settings.public_base_url):
        raise Problem(403, "origin", "Cette demande ne provient pas du site attendu.")


SameOrigin = Depends(require_same_origin)


async def live_principal(principal: CurrentPrincipal, bus: BusDep) -> Principal:
    """The caller, whose session must still be open (logout or a password reset ends it)."""
    session = await bus.handle(GetLiveSession(principal.session_id))
    if session is None or session.subject_id != principal.subject:
        raise unauthenticated("Votre session est terminée : reconnectez-vous.")
    return principal


LivePrincipal = Annotated[Principal, Depends(live_principal)]


async def live_member(principal: LivePrincipal) -> Principal:
    if not principal.is_member:
        raise Problem(403, "members-only", "Cette fonction est réservée aux adhérents.")
    return principal


async def live_manager(principal: LivePrincipal) -> Manager:
    """The calling supervisor or admin, as the ``manager`` of the agents' commands."""
    if not principal.is_agent or principal.role not in ("supervisor", "admin"):
        if principal.is_agent:
            raise Problem(403, "role", "Votre profil ne permet pas cette action.")
        raise Problem(403, "agents-only", "Cette fonction est réservée aux conseillers.")
    return (principal.role, principal.fund)


LiveMember = Annotated[Principal, Depends(live_member)]
LiveManager = Annotated[Manager, Depends(live_manager)]
