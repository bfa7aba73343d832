"""Dependencies of the routes: the message bus, who calls, the idempotency key."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from contracts import all_funds
from messages.domain.commands import Agent, Idempotency, Member
from messages.domain.routing import normalised_skills
from messages.domain.text import has_control_characters
from messages.domain.views import Sent
from servicekit.deps import BusDep as BusDep
from servicekit.problems import Problem
from servicekit.security import CurrentAgent, CurrentMember, CurrentSupervisor, Principal

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _known_fund(principal: Principal) -> str:
    if principal.fund not in all_funds():
        raise Problem(403, "unknown-fund", "Votre compte n'est rattaché à aucune caisse connue.")
    return principal.fund


def _claim(principal: Principal, name: str) -> str:
    value = principal.claims.get(name)
    return value.strip() if isinstance(value, str) else ""


async def current_member(principal: CurrentMember) -> Member:
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


async def current_agent(principal: CurrentAgent) -> Agent:
    return _agent(principal)


async def current_supervisor(principal: CurrentSupervisor) -> Agent:
    return _agent(principal)


MemberDep = Annotated[Member, Depends(current_member)]
AgentDep = Annotated[Agent, Depends(current_agent)]
SupervisorDep = Annotated[Agent, Depends(current_supervisor)]


async def idempotency_key(
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


def idempotent_answer(sent: Sent, response: Response) -> Mapping[str, Any]:
    """The body of a sending request's answer, with its status; a repeat's answer is the
    first one's, with ``Idempotent-Replayed: true``."""
    response.status_code = sent.status_code
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return sent.body


Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="``next_cursor`` of the previous page."),
]
