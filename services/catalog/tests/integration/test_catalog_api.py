"""The public and admin HTTP API, in process, on a real database with the reference data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog.domain.versions import Version
from services.catalog.tests.support import find

pytestmark = pytest.mark.integration

SEED_THEMES = [
    "Santé, Carte Vitale, remboursements, CMU, invalidité...",
    "Famille, Allocations familiales, aides au logement",
    "RSA, Prime d'activité, Aides aux personnes handicapées",
    "Retraite, carrière, réversion",
    "Cotisations Exploitants, parcellaire, affiliation, facture",
]
DEFAULT_CHANGE_URL = "https://www.msa.fr/lfp/famille/changement-de-situation"
NPC_CHANGE_URL = "https://nord-pasdecalais.msa.fr/lfp/famille/changement-de-situation"


def change_motif(tree: dict[str, Any]) -> dict[str, Any]:
    famille = find(tree["themes"], "famille")
    allocations = find(famille["subjects"], "famille-allocations")
    return find(allocations["motifs"], "af-changement-situation")


async def test_the_wizard_gets_the_seed_catalog_in_one_call(
    client: httpx.AsyncClient, reference_published: Version
) -> None:
    response = await client.get("/tree")

    assert response.status_code == 200
    tree = response.json()
    assert tree["version"] == reference_published.number
    assert [theme["label"] for theme in tree["themes"]] == SEED_THEMES
    famille = find(tree["themes"], "famille")
    assert [subject["code"] for subject in famille["subjects"]] == [
        "famille-paiements",
        "famille-attestations",
        "famille-allocations",
        "famille-logement",
        "famille-aides-sociales",
    ]
    motif = change_motif(tree)
    assert motif["online_service"] == {
        "title": "Déclarer un changement de situation",
        "description": motif["online_service"]["description"],
        "url": DEFAULT_CHANGE_URL,
        "call_to_action": "J'utilise le service en ligne",
    }
    assert response.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert response.headers["etag"] == '"1-default"'


async def test_the_online_service_address_is_the_callers_funds(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    npc_member = await client.get("/tree", headers=tokens.bearer(tokens.member("NPC")))
    cno_member = await client.get("/tree", headers=tokens.bearer(tokens.member("CNO")))
    anonymous_npc = await client.get("/tree", params={"fund": "NPC"})
    # The token's fund wins over a fund asked for in the query.
    npc_member_asking_cno = await client.get(
        "/tree", params={"fund": "CNO"}, headers=tokens.bearer(tokens.member("NPC"))
    )

    assert change_motif(npc_member.json())["online_service"]["url"] == NPC_CHANGE_URL
    assert change_motif(cno_member.json())["online_service"]["url"] == DEFAULT_CHANGE_URL
    assert change_motif(anonymous_npc.json())["online_service"]["url"] == NPC_CHANGE_URL
    assert change_motif(npc_member_asking_cno.json())["online_service"]["url"] == NPC_CHANGE_URL
    # Answers that depend on the token are for the browser's cache only.
    assert npc_member.headers["cache-control"] == "private, max-age=60, must-revalidate"
    assert anonymous_npc.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert npc_member.headers["etag"] != cno_member.headers["etag"]
    assert "Cookie" in npc_member.headers["vary"]


async def test_an_expired_cookie_still_gets_the_public_tree_but_a_bad_bearer_does_not(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    expired = tokens.minter.mint(kind="member", fund="NPC", lifetime=-3600)

    with_cookie = await client.get("/tree", headers={"Cookie": f"mm-portal-catalog={expired}"})
    with_bearer = await client.get("/tree", headers=tokens.bearer(expired))

    assert with_cookie.status_code == 200
    assert with_cookie.headers["cache-control"].startswith("public")
    assert with_bearer.status_code == 401
    assert with_bearer.headers["content-type"] == "application/problem+json"


async def test_an_unknown_fund_is_refused_in_french(
    client: httpx.AsyncClient, reference_published: Version
) -> None:
    response = await client.get("/tree", params={"fund": "ZZZ"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "n'est pas le code d'une caisse MSA" in response.json()["detail"]


async def test_a_revalidation_costs_a_304_until_a_new_version_is_published(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    first = await client.get("/tree", params={"fund": "NPC"})
    etag = first.headers["etag"]

    revalidated = await client.get("/tree", params={"fund": "NPC"}, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == etag
    assert revalidated.headers["cache-control"] == "public, max-age=60, must-revalidate"

    renamed = await client.patch(
        "/admin/nodes/af-autre", json={"label": "Autre demande"}, headers=tokens.as_admin()
    )
    assert renamed.status_code == 200, renamed.text
    published = await client.post("/admin/publish", headers=tokens.as_admin())
    assert published.status_code == 201, published.text

    after_publish = await client.get(
        "/tree", params={"fund": "NPC"}, headers={"If-None-Match": etag}
    )
    assert after_publish.status_code == 200
    assert after_publish.headers["etag"] != etag
    allocations = find(
        find(after_publish.json()["themes"], "famille")["subjects"], "famille-allocations"
    )
    assert allocations["motifs"][-1] == {
        "code": "af-autre",
        "label": "Autre demande",
        "response_time_days": 10,
    }


async def test_node_lookup_answers_any_level_with_its_path_and_routing(
    client: httpx.AsyncClient, reference_published: Version
) -> None:
    motif = await client.get("/nodes/af-changement-situation", params={"fund": "NPC"})
    theme = await client.get("/nodes/famille")
    unknown = await client.get("/nodes/cette-demande-n-existe-pas")

    assert motif.status_code == 200
    body = motif.json()
    assert body["level"] == "motif"
    assert body["label"] == "Mon changement de situation"
    assert body["active"] is True
    assert body["selectable"] is True
    assert [(item["code"], item["label"]) for item in body["path"]] == [
        ("famille", "Famille, Allocations familiales, aides au logement"),
        ("famille-allocations", "Allocations familiales"),
    ]
    assert body["skill"] == "famille"
    assert body["response_time_days"] == 10
    assert body["online_service"]["url"] == NPC_CHANGE_URL
    assert motif.headers["etag"]
    assert theme.json()["level"] == "theme"
    assert len(theme.json()["children"]) == 5
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "ne correspond à aucun élément" in unknown.json()["detail"]


async def test_before_any_publication_the_tree_is_unavailable_not_broken(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/tree")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]


ADMIN_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/admin/draft", None),
    ("POST", "/admin/nodes", {"code": "x-nouveau", "label": "Nouveau", "parent": None}),
    ("PATCH", "/admin/nodes/af-autre", {"label": "Autre chose"}),
    ("PUT", "/admin/nodes/af-autre/online-service", {"title": "T", "url": "https://msa.fr/"}),
    ("DELETE", "/admin/nodes/af-changement-situation/online-service", None),
    (
        "PUT",
        "/admin/nodes/af-changement-situation/online-service/fund-urls/CNO",
        {"url": "https://cotesnormandes.msa.fr/x"},
    ),
    ("DELETE", "/admin/nodes/af-changement-situation/online-service/fund-urls/NPC", None),
    ("POST", "/admin/publish", None),
    ("GET", "/admin/versions", None),
    ("GET", "/admin/versions/1", None),
    ("GET", "/admin/versions/1/changes", None),
]


async def test_admin_endpoints_refuse_anyone_but_admins(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    callers = {
        "anonymous": ({}, 401),
        "member": (tokens.bearer(tokens.member()), 403),
        "agent": (tokens.bearer(tokens.agent("agent")), 403),
        "supervisor": (tokens.bearer(tokens.agent("supervisor")), 403),
    }
    for method, path, body in ADMIN_CALLS:
        for who, (headers, expected) in callers.items():
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == expected, (who, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    draft = await client.get("/admin/draft", headers=tokens.as_admin())
    assert draft.status_code == 200
    # Nothing the refused callers sent reached the draft.
    assert draft.json()["changes"] == []
    assert draft.json()["revision"] == 1


async def test_an_admin_in_a_browser_must_send_the_csrf_token(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    token = tokens.admin(csrf="csrf-secret")
    cookies = f"mm-backoffice-catalog={token}; mm-backoffice-csrf=csrf-secret"
    body = {"label": "Autre question"}

    forged = await client.patch("/admin/nodes/af-autre", json=body, headers={"Cookie": cookies})
    genuine = await client.patch(
        "/admin/nodes/af-autre",
        json=body,
        headers={
            "Cookie": cookies,
            "X-CSRF-Token": "csrf-secret",
            "Origin": "http://localhost:8080",
        },
    )

    assert forged.status_code == 403
    assert forged.json()["type"].endswith("/csrf")
    assert genuine.status_code == 200
    assert genuine.json()["node"]["label"] == "Autre question"


async def test_a_branch_of_the_wizard_is_found_while_it_is_offered(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    subject = await client.get("/tree/famille-allocations", params={"fund": "NPC"})
    assert subject.status_code == 200
    body = subject.json()
    assert body["level"] == "subject"
    assert [item["code"] for item in body["path"]] == ["famille"]
    assert body["node"]["label"] == "Allocations familiales"
    assert len(body["node"]["motifs"]) == 8
    assert (
        change_motif({"themes": [{"code": "famille", "subjects": [body["node"]]}]})[
            "online_service"
        ]["url"]
        == NPC_CHANGE_URL
    )

    await client.patch(
        "/admin/nodes/famille-allocations", json={"active": False}, headers=tokens.as_admin()
    )
    assert (await client.post("/admin/publish", headers=tokens.as_admin())).status_code == 201

    for code in ("famille-allocations", "af-changement-situation"):
        gone = await client.get(f"/tree/{code}")
        assert gone.status_code == 404, code
        assert gone.headers["content-type"] == "application/problem+json"
        assert "n'est plus proposé" in gone.json()["detail"]
    # ... while its code still resolves, flagged, for the messages written under it.
    kept = (await client.get("/nodes/af-changement-situation")).json()
    assert kept["active"] is True
    assert kept["selectable"] is False
    assert (await client.get("/tree/inconnu")).status_code == 404
