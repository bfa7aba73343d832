"""The authorization matrix, against the four services running for real: every route of
every OpenAPI document, without a token, with forged, expired and misdirected tokens, with
each caller the route must refuse, across members and across funds, and with a cookie but
without the CSRF header. Nothing answers 500; nothing tells that another's thing exists."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from servicekit.security import access_cookie
from tests.security.conftest import DEMO_MEMBER, OTHER_MEMBER, Product
from tests.security.matrix import MATRIX, MESSAGE, Rule, callers_refused, entries

pytestmark = pytest.mark.integration

PROTECTED = [entry for entry in entries() if entry[3].access != "public"]
STATE_CHANGING = [entry for entry in PROTECTED if entry[1] != "GET"]
MEMBER_SCOPED = [entry for entry in entries() if entry[3].scoped == "member"]
FUND_SCOPED = [entry for entry in entries() if entry[3].scoped == "fund"]
#: "every-audience": signed by the auth service's real key, ``aud`` listing the four APIs (the
#: API called among them): one token per API, so such a token opens none.
FORGERIES = (
    "foreign-key",
    "no-signature",
    "expired",
    "other-audience",
    "every-audience",
    "unknown-key",
)
#: Genuine tokens of the caller's own session, minted for another API: refused as well.
APIS = ("auth", "catalog", "messages", "notifier")


def _id(entry: tuple[str, str, str, Rule]) -> str:
    return f"{entry[0]} {entry[1]} {entry[2]}"


class World:
    """Tokens of each kind of caller, and things that belong to member A and fund NPC."""

    def __init__(self) -> None:
        #: Each caller's access tokens, one per API.
        self.tokens: dict[str, dict[str, str]] = {}
        self.ids: dict[str, str] = {}

    def bearer(self, caller: str, api: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[caller][api]}"}


@pytest.fixture(scope="session")
async def world(product: Product) -> World:
    world = World()
    world.tokens["member"] = (await product.log_in_member(DEMO_MEMBER))["access_tokens"]
    world.tokens["other_member"] = (await product.log_in_member(OTHER_MEMBER))["access_tokens"]
    for role in ("agent", "supervisor", "admin", "other_fund_agent"):
        world.tokens[role] = (await product.log_in_agent(role))["access_tokens"]
    admin = world.bearer("admin", "auth")
    password = "Granit-Menhir-2026"
    created = await product.create_agent(
        admin,
        password,
        email=f"superviseur.{uuid.uuid4().hex[:8]}@msa.example",
        given_name="Yann",
        family_name="KERMARREC",
        role="supervisor",
        fund="CNO",
    )
    session = await product.log_in_agent(email=created["email"], password=password)
    world.tokens["other_fund_supervisor"] = session["access_tokens"]

    me = (
        await product.http.get(product.url("auth", "/me"), headers=world.bearer("member", "auth"))
    ).json()
    member = world.bearer("member", "messages")
    world.ids["member_id"] = str(me.get("id") or me.get("member_id") or uuid.uuid4())
    agents = await product.http.get(product.url("auth", "/agents"), headers=admin)
    world.ids["agent_id"] = next(
        agent["id"] for agent in _items(agents.json()) if agent["email"] == "agent.npc@msa.example"
    )

    async def thread_sent() -> Any:
        response = await product.http.post(
            product.url("messages", "/threads"),
            json=MESSAGE,
            headers=member | {"Idempotency-Key": str(uuid.uuid4())},
        )
        return response if response.status_code == 201 else None

    from servicekit.testing import eventually

    sent = (await eventually(thread_sent, timeout=30, message="catalog reached messages")).json()
    world.ids["thread_id"] = str(sent["id"] if "id" in sent else sent["thread_id"])
    thread = await product.http.get(
        product.url("messages", f"/threads/{world.ids['thread_id']}"), headers=member
    )
    world.ids["message_id"] = str(thread.json()["messages"][0]["id"])
    agent = world.bearer("agent", "messages")
    reply = await product.http.post(
        product.url("messages", f"/agent/threads/{world.ids['thread_id']}/replies"),
        json={"text": "Bonjour, votre dossier est en cours d'examen."},
        headers=agent | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text
    world.ids["reply_id"] = str(reply.json()["reply"]["id"])
    return world


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    for key in ("items", "agents", "data"):
        if isinstance(body.get(key), list):
            return list(body[key])
    raise AssertionError(f"no list in {body!r}")


PLACEHOLDER = re.compile(r"\{(\w+)\}")
FIXED = {"code": "famille", "fund": "NPC", "version": "1"}


def _path(path: str, world: World) -> str:
    return PLACEHOLDER.sub(
        lambda match: world.ids.get(match.group(1)) or FIXED.get(match.group(1), str(uuid.uuid4())),
        path,
    )


async def _served(product: Product) -> dict[str, set[tuple[str, str]]]:
    if not product.routes:
        for service, running in product.services.items():
            document = (await product.http.get(running.url + "/openapi.json")).json()
            product.routes[service] = {
                (method.upper(), path)
                for path, operations in document["paths"].items()
                for method in operations
                if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")
            }
    return product.routes


async def _call(
    product: Product,
    world: World,
    entry: tuple[str, str, str, Rule],
    headers: dict[str, str],
    *,
    valid_body: bool = False,
) -> Any:
    service, method, path, rule = entry
    if (method, path) not in (await _served(product))[service]:
        # An entry written ahead of its route (several teams work at once): nothing to call.
        pytest.skip(f"{service} does not serve {method} {path} in this build")
    body = (rule.body if valid_body and rule.body is not None else {}) if method != "GET" else None
    return await product.http.request(
        method,
        product.url(service, _path(path, world)),
        json=body,
        headers={**rule.headers, **headers},
    )


def _assert_problem(response: Any, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/problem+json"), what


# --------------------------------------------------------------------------- coverage


async def test_every_route_of_every_service_has_an_entry(product: Product) -> None:
    missing = [
        f"{service} {method} {path}"
        for service, routes in (await _served(product)).items()
        for method, path in sorted(routes)
        if (method, path) not in MATRIX[service]
    ]
    assert not missing, f"routes with no entry in tests/security/matrix.py: {missing}"


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("entry", entries(), ids=_id)
async def test_without_a_token(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    response = await _call(product, world, entry, {})
    assert response.status_code < 500, response.text
    if entry[3].access == "public":
        assert entry[3].anonymous_401 or response.status_code != 401, response.text
    else:
        _assert_problem(response, 401, _id(entry))
        assert response.headers["www-authenticate"].startswith("Bearer")


async def _forged(product: Product, world: World, how: str, service: str) -> str:
    genuine = world.tokens["admin"][service]
    claims: dict[str, Any] = jwt.decode(genuine, options={"verify_signature": False})
    header = jwt.get_unverified_header(genuine)
    now = int(time.time())
    if how == "no-signature":
        head, payload, _ = genuine.split(".")
        return f"{head}.{payload}."
    if how in ("foreign-key", "unknown-key"):
        foreign = ec.generate_private_key(ec.SECP256R1())
        kid = header["kid"] if how == "foreign-key" else uuid.uuid4().hex
        return jwt.encode(claims, foreign, algorithm="ES256", headers={"kid": kid})
    from auth.adapters.keys import sign

    kid, private = await product.services["auth"].app.state.adapters.keyring.signing_key()
    if how == "expired":
        claims |= {"iat": now - 3600, "nbf": now - 3600, "exp": now - 120}
    elif how == "every-audience":
        claims |= {"aud": [f"urn:mes-messages:{api}" for api in APIS]}
    else:
        claims |= {"aud": ["urn:mes-messages:elsewhere"]}
    return sign(claims, kid=kid, private=private)


@pytest.mark.parametrize("how", FORGERIES)
@pytest.mark.parametrize("entry", PROTECTED, ids=_id)
async def test_forged_expired_and_misdirected_tokens_are_refused(
    product: Product, world: World, entry: tuple[str, str, str, Rule], how: str
) -> None:
    token = await _forged(product, world, how, entry[0])
    response = await _call(product, world, entry, {"Authorization": f"Bearer {token}"})
    _assert_problem(response, 401, f"{how} on {_id(entry)}")


@pytest.mark.parametrize("entry", PROTECTED, ids=_id)
async def test_a_token_minted_for_another_api_is_refused(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    """One audience per API: the caller's own genuine, unexpired tokens for the other APIs
    open nothing here (the one for this API does: see the role and ownership tests)."""
    caller = _allowed_caller(entry[3])
    for api in APIS:
        if api != entry[0]:
            response = await _call(product, world, entry, world.bearer(caller, api))
            _assert_problem(response, 401, f"a {api} token on {_id(entry)}")


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("entry", [e for e in PROTECTED if callers_refused(e[3].access)], ids=_id)
async def test_callers_without_the_role_are_refused(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    for caller in callers_refused(entry[3].access):
        response = await _call(product, world, entry, world.bearer(caller, entry[0]))
        _assert_problem(response, 403, f"{caller} on {_id(entry)}")


# --------------------------------------------------------------------------- ownership


@pytest.mark.parametrize("entry", MEMBER_SCOPED, ids=_id)
async def test_a_member_never_reaches_another_members_thread(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    token = world.bearer("other_member", entry[0])
    response = await _call(product, world, entry, token, valid_body=True)
    _assert_problem(response, 404, f"another member on {_id(entry)}")


@pytest.mark.parametrize("entry", FUND_SCOPED, ids=_id)
async def test_an_agent_never_reaches_another_funds(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    caller = "other_fund_agent" if entry[3].access == "agent" else "other_fund_supervisor"
    token = world.bearer(caller, entry[0])
    response = await _call(product, world, entry, token, valid_body=True)
    _assert_problem(response, 404, f"{caller} on {_id(entry)}")


# --------------------------------------------------------------------------- CSRF


def _allowed_caller(rule: Rule) -> str:
    return "member" if rule.access in ("member", "principal") else rule.access


@pytest.mark.parametrize("entry", STATE_CHANGING, ids=_id)
async def test_a_cookie_without_the_csrf_header_changes_nothing(
    product: Product, world: World, entry: tuple[str, str, str, Rule]
) -> None:
    caller = _allowed_caller(entry[3])
    app = "portal" if caller in ("member", "other_member") else "backoffice"
    name = access_cookie(app, entry[0], secure=False)
    cookie = {"Cookie": f"{name}={world.tokens[caller][entry[0]]}"}
    response = await _call(product, world, entry, cookie, valid_body=True)
    _assert_problem(response, 403, f"no CSRF header on {_id(entry)}")
    wrong = cookie | {"X-CSRF-Token": "pas-le-bon"}
    response = await _call(product, world, entry, wrong, valid_body=True)
    _assert_problem(response, 403, f"a wrong CSRF header on {_id(entry)}")


async def test_the_member_and_agent_tokens_used_here_do_work(
    product: Product, world: World
) -> None:
    """The refusals above mean something: the same tokens open what they should."""
    member = world.bearer("member", "messages")
    thread = await product.http.get(
        product.url("messages", f"/threads/{world.ids['thread_id']}"), headers=member
    )
    assert thread.status_code == 200
    agent = world.bearer("agent", "messages")
    seen = await product.http.get(
        product.url("messages", f"/agent/threads/{world.ids['thread_id']}"), headers=agent
    )
    assert seen.status_code == 200


async def test_a_plain_download_link_reads_the_cookie_of_its_own_web_app(
    product: Product, world: World
) -> None:
    """A member logged in to the portal and an agent to the back office in one browser: a
    download link (a plain GET, without the web apps' ``X-Mes-Messages-App``) on the agent's
    route reads the back office's cookie, on the member's route the portal's. Either way the
    caller is the right one: an unknown file is 404, never « réservée aux conseillers »."""
    both = "; ".join(
        (
            f"{access_cookie('portal', 'messages', secure=False)}="
            f"{world.tokens['member']['messages']}",
            f"{access_cookie('backoffice', 'messages', secure=False)}="
            f"{world.tokens['agent']['messages']}",
        )
    )
    unknown = uuid.uuid4()
    for path in (f"/agent/attachments/{unknown}/content", f"/attachments/{unknown}/content"):
        response = await product.http.get(product.url("messages", path), headers={"Cookie": both})
        _assert_problem(response, 404, f"a plain link to {path} with both sessions")
    member_only = {"Cookie": both.split("; ")[0]}
    response = await product.http.get(
        product.url("messages", f"/agent/attachments/{unknown}/content"), headers=member_only
    )
    _assert_problem(response, 401, "the agent's route never takes the portal's session")
