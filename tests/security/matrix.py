"""Who may call what: one entry per route of every service's OpenAPI document.

``access`` is the least a caller needs:
- ``public``: anyone, no token (a token that does not verify may still be refused);
- ``member``: a member's token; agents are refused (403);
- ``principal``: any logged-in member or agent;
- ``agent`` / ``supervisor`` / ``admin``: an agent of at least that role; members and agents
  below are refused (403).

``scoped`` says the route names something that belongs to a member (``member``: another
member gets 404) or to a fund (``fund``: an agent of another fund gets 404). ``body`` is a
valid request body for the owner-scoped checks (the answer must be 404 before any other
check could answer otherwise). A route added to a service without an entry here fails
``test_every_route_of_every_service_has_an_entry``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Access = Literal["public", "member", "principal", "agent", "supervisor", "admin"]


@dataclass(frozen=True)
class Rule:
    access: Access
    scoped: Literal["member", "fund"] | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: A public route that answers 401 to whoever brings no credential of its own (a
    #: refresh without a refresh token).
    anonymous_401: bool = False


PUBLIC = Rule("public")
MEMBER = Rule("member")
PRINCIPAL = Rule("principal")
AGENT = Rule("agent")
SUPERVISOR = Rule("supervisor")
ADMIN = Rule("admin")
OPERATIONS = {("GET", "/healthz"): PUBLIC, ("GET", "/readyz"): PUBLIC}

MESSAGE = {
    "theme": "famille",
    "subject": "famille-paiements",
    "motif": "fp-montant",
    "text": "Bonjour, le montant versé ce mois-ci me paraît différent du précédent.",
}
IDEMPOTENT = {"Idempotency-Key": "00000000-0000-4000-8000-000000000001"}

MATRIX: dict[str, dict[tuple[str, str], Rule]] = {
    "auth": {
        **OPERATIONS,
        ("GET", "/funds"): PUBLIC,
        ("GET", "/.well-known/jwks.json"): PUBLIC,
        ("POST", "/members"): PUBLIC,
        ("GET", "/members/{member_id}/identity"): Rule("agent", scoped="fund"),
        ("POST", "/members/activation"): PUBLIC,
        ("POST", "/members/activation/renewal"): PUBLIC,
        ("GET", "/me"): PRINCIPAL,
        ("DELETE", "/me"): MEMBER,
        ("POST", "/me/email"): MEMBER,
        ("POST", "/me/email/confirmation"): MEMBER,
        ("POST", "/password/forgotten"): PUBLIC,
        ("POST", "/password/reset"): PUBLIC,
        ("POST", "/password"): PRINCIPAL,
        ("POST", "/session"): PUBLIC,
        ("DELETE", "/session"): PUBLIC,
        ("POST", "/agents/session"): PUBLIC,
        ("POST", "/session/refresh"): Rule("public", anonymous_401=True),
        ("GET", "/franceconnect/login"): PUBLIC,
        ("GET", "/franceconnect/callback"): PUBLIC,
        ("POST", "/franceconnect/link"): PUBLIC,
        ("POST", "/franceconnect/logout"): PRINCIPAL,
        ("GET", "/franceconnect/logged-out"): PUBLIC,
        ("POST", "/agents"): SUPERVISOR,
        ("GET", "/agents"): SUPERVISOR,
        ("GET", "/agents/{agent_id}"): Rule("supervisor", scoped="fund"),
        ("PATCH", "/agents/{agent_id}"): Rule("supervisor", scoped="fund", body={"skills": []}),
        ("POST", "/agents/{agent_id}/password-reset"): Rule("supervisor", scoped="fund"),
        ("POST", "/agents/password/reset"): PUBLIC,
        ("DELETE", "/me/franceconnect"): MEMBER,
        ("GET", "/security-events"): SUPERVISOR,
    },
    "catalog": {
        **OPERATIONS,
        ("GET", "/tree"): PUBLIC,
        ("GET", "/tree/{code}"): PUBLIC,
        ("GET", "/nodes/{code}"): PUBLIC,
        ("GET", "/admin/draft"): ADMIN,
        ("POST", "/admin/nodes"): ADMIN,
        ("PATCH", "/admin/nodes/{code}"): ADMIN,
        ("PUT", "/admin/nodes/{code}/online-service"): ADMIN,
        ("DELETE", "/admin/nodes/{code}/online-service"): ADMIN,
        ("PUT", "/admin/nodes/{code}/online-service/fund-urls/{fund}"): ADMIN,
        ("DELETE", "/admin/nodes/{code}/online-service/fund-urls/{fund}"): ADMIN,
        ("POST", "/admin/publish"): ADMIN,
        ("GET", "/admin/versions"): ADMIN,
        ("GET", "/admin/versions/{version}"): ADMIN,
        ("GET", "/admin/versions/{version}/changes"): ADMIN,
    },
    "messages": {
        **OPERATIONS,
        ("POST", "/messages/prepare"): MEMBER,
        ("POST", "/threads"): MEMBER,
        ("GET", "/threads"): MEMBER,
        ("GET", "/threads/{thread_id}"): Rule("member", scoped="member"),
        ("POST", "/threads/{thread_id}/messages"): Rule(
            "member",
            scoped="member",
            body={"text": MESSAGE["text"]},
            headers=IDEMPOTENT,
        ),
        ("POST", "/threads/{thread_id}/replies/{reply_id}/not-understood"): Rule(
            "member", scoped="member", body={}
        ),
        ("PUT", "/threads/{thread_id}/replies/{reply_id}/satisfaction"): Rule(
            "member", scoped="member", body={"helpful": True}
        ),
        ("GET", "/threads/{thread_id}/messages/{message_id}/receipt"): Rule(
            "member", scoped="member"
        ),
        ("GET", "/threads/{thread_id}/attachments"): Rule("member", scoped="member"),
        ("POST", "/receipts/verify"): PUBLIC,
        ("GET", "/attachments/limits"): PUBLIC,
        ("POST", "/attachments"): MEMBER,
        ("GET", "/attachments/{attachment_id}"): MEMBER,
        ("DELETE", "/attachments/{attachment_id}"): MEMBER,
        ("GET", "/attachments/{attachment_id}/content"): MEMBER,
        ("GET", "/agent/threads"): AGENT,
        ("GET", "/agent/threads/counts"): AGENT,
        ("GET", "/agent/threads/{thread_id}"): Rule("agent", scoped="fund"),
        ("POST", "/agent/threads/{thread_id}/claim"): Rule("agent", scoped="fund"),
        ("POST", "/agent/threads/{thread_id}/assign"): Rule(
            "supervisor",
            scoped="fund",
            body={"agent_id": "00000000-0000-4000-8000-000000000002", "agent_name": "X Y"},
        ),
        ("POST", "/agent/threads/{thread_id}/replies"): Rule(
            "agent", scoped="fund", body={"text": "Bonjour, voici la réponse."}, headers=IDEMPOTENT
        ),
        ("POST", "/agent/threads/{thread_id}/notes"): Rule(
            "agent", scoped="fund", body={"text": "Note interne."}
        ),
        ("POST", "/agent/threads/{thread_id}/close"): Rule("agent", scoped="fund"),
        ("POST", "/agent/threads/{thread_id}/reopen"): Rule("agent", scoped="fund"),
        ("GET", "/agent/threads/{thread_id}/audit"): Rule("supervisor", scoped="fund"),
        ("GET", "/agent/audit"): SUPERVISOR,
        ("GET", "/agent/threads/{thread_id}/canned-replies/{canned_reply_id}"): Rule(
            "agent", scoped="fund"
        ),
        ("GET", "/agent/threads/{thread_id}/attachments"): Rule("agent", scoped="fund"),
        ("GET", "/agent/canned-replies"): AGENT,
        ("POST", "/agent/canned-replies"): SUPERVISOR,
        ("PUT", "/agent/canned-replies/{canned_reply_id}"): SUPERVISOR,
        ("DELETE", "/agent/canned-replies/{canned_reply_id}"): SUPERVISOR,
        ("POST", "/agent/attachments"): AGENT,
        ("GET", "/agent/attachments/{attachment_id}"): AGENT,
        ("DELETE", "/agent/attachments/{attachment_id}"): AGENT,
        ("GET", "/agent/attachments/{attachment_id}/content"): AGENT,
        ("GET", "/agent/dashboard"): SUPERVISOR,
        ("GET", "/agent/dashboard.csv"): SUPERVISOR,
    },
    "notifier": {
        **OPERATIONS,
        ("GET", "/deliveries"): AGENT,
        ("GET", "/dead-letters"): SUPERVISOR,
        ("POST", "/dead-letters/{delivery_id}/replay"): SUPERVISOR,
        ("GET", "/preferences"): MEMBER,
        ("PUT", "/preferences"): MEMBER,
        ("POST", "/unsubscribe"): PUBLIC,
        ("GET", "/unsubscribe"): PUBLIC,
    },
}

#: From the least to the most a caller may do (``member`` is apart: neither above nor below).
AGENT_RANKS = ("agent", "supervisor", "admin")


def callers_refused(access: Access) -> list[str]:
    """The callers (by the role of their token) that must get 403 on a route."""
    if access in ("public", "principal"):
        return []
    if access == "member":
        return ["agent"]
    below = AGENT_RANKS[: AGENT_RANKS.index(access)]
    return ["member", *below]


def entries() -> list[tuple[str, str, str, Rule]]:
    return [
        (service, method, path, rule)
        for service, routes in MATRIX.items()
        for (method, path), rule in routes.items()
    ]
