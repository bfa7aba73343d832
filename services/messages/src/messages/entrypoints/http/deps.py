"""Dependencies of the routes: the unit of work, the clock, who calls, the idempotency key."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from contracts import all_funds
from messages.domain.commands import Agent, Idempotency, Member
from messages.domain.routing import normalised_skills
from messages.domain.text import has_control_characters
from messages.service_layer.catalog import CatalogHolder
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.problems import Problem
from servicekit.security import CurrentAgent, CurrentMember, CurrentSupervisor, Principal

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def get_uow(request: Request) -> MessagesUnitOfWork:
    factory: Callable[[], MessagesUnitOfWork] = request.app.state.unit_of_work
    return factory()


def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def get_catalog_holder(request: Request) -> CatalogHolder:
    holder: CatalogHolder = request.app.state.catalog
    return holder


UnitOfWorkDep = Annotated[MessagesUnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
CatalogDep = Annotated[CatalogHolder, Depends(get_catalog_holder)]


def _known_fund(principal: Principal) -> str:
    if principal.fund not in all_funds():
        raise Problem(403, "unknown-fund", "Votre compte n'est rattaché à aucune caisse connue.")
    return principal.fund


def _claim(principal: Principal, name: str) -> str:
    value = principal.claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def current_member(principal: CurrentMember) -> Member:
    return Member(
        id=principal.subject,
        fund=_known_fund(principal),
        given_name=_claim(principal, "given_name"),
        family_name=_claim(principal, "family_name"),
    )


def _agent(principal: Principal) -> Agent:
    name = " ".join(
        part for part in (_claim(principal, "given_name"), _claim(principal, "family_name")) if part
    )
    return Agent(
        id=principal.subject,
        fund=_known_fund(principal),
        name=name or "Conseiller",
        supervisor=principal.role in ("supervisor", "admin"),
        skills=normalised_skills(principal.skills),
    )


def current_agent(principal: CurrentAgent) -> Agent:
    return _agent(principal)


def current_supervisor(principal: CurrentSupervisor) -> Agent:
    return _agent(principal)


MemberDep = Annotated[Member, Depends(current_member)]
AgentDep = Annotated[Agent, Depends(current_agent)]
SupervisorDep = Annotated[Agent, Depends(current_supervisor)]


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=(
                "A key the client generates once per intended request (a UUID) and sends again "
                "when it retries: the same key with the same content returns the first result; "
                "with other content, 409."
            ),
        ),
    ] = None,
) -> str:
    if key is None:
        raise Problem(
            428,
            "idempotency-key-required",
            "L'en-tête Idempotency-Key est obligatoire pour cet envoi : "
            "générez une clé (un UUID) et renvoyez la demande avec.",
        )
    if not _IDEMPOTENCY_KEY.match(key):
        raise Problem(
            400,
            "invalid-idempotency-key",
            "L'en-tête Idempotency-Key doit comporter de 1 à 200 caractères ASCII visibles.",
        )
    return key


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]


def idempotency(request: Request, key: str, payload: Any) -> Idempotency:
    """The key and the fingerprint of what this request asks (method, path, canonical body)."""
    canonical = json.dumps(
        {"method": request.method, "path": request.url.path, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


def plain_query(value: str | None, *, field: str) -> str | None:
    """A query parameter free of control characters (they can be neither typed nor stored)."""
    if value is not None and has_control_characters(value):
        raise Problem(
            422,
            "invalid-request",
            "Ce paramètre contient des caractères non autorisés : retirez-les.",
            errors=[{"field": field, "message": "Caractères non autorisés."}],
        )
    return value
