"""Admins edit a draft, publish it as numbered versions and read what changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from catalog.config import Settings
from catalog.domain import commands
from catalog.domain.versions import Version
from catalog.main import create_app
from catalog.service_layer import handlers
from catalog.service_layer.published import LatestVersion
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import SystemClock
from servicekit.testing import MovableClock
from services.catalog.tests.support import PUBLIC_BASE_URL, find

pytestmark = pytest.mark.integration


async def test_edits_stay_in_the_draft_until_published_as_the_next_version(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()
    edits = [
        (
            "POST",
            "/admin/nodes",
            {
                "code": "af-naissance",
                "label": "La naissance de mon enfant",
                "parent": "famille-allocations",
                "position": 1,
                "response_time_days": 7,
            },
        ),
        ("PATCH", "/admin/nodes/af-dossier", {"label": "Mon dossier Famille en cours"}),
        ("PATCH", "/admin/nodes/famille-logement", {"position": 1}),
        ("PATCH", "/admin/nodes/af-quotient-familial", {"active": False}),
        ("PATCH", "/admin/nodes/fl-autre", {"parent": "famille-aides-sociales"}),
        (
            "PUT",
            "/admin/nodes/af-declaration-ressources/online-service",
            {
                "title": "Déclarer mes ressources",
                "url": "https://www.msa.fr/lfp/famille/declaration-ressources",
            },
        ),
        (
            "PUT",
            "/admin/nodes/af-changement-situation/online-service/fund-urls/CNO",
            {"url": "https://cotesnormandes.msa.fr/lfp/famille/changement-de-situation"},
        ),
        ("DELETE", "/admin/nodes/af-changement-situation/online-service/fund-urls/NPC", None),
    ]
    for method, path, body in edits:
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code in (200, 201), (path, response.text)
        assert response.headers["etag"] == f'"draft-{response.json()["revision"]}"'

    # Members still see version 1.
    tree = (await client.get("/tree")).json()
    assert tree["version"] == 1
    allocations = find(find(tree["themes"], "famille")["subjects"], "famille-allocations")
    assert "af-naissance" not in [motif["code"] for motif in allocations["motifs"]]

    draft = (await client.get("/admin/draft", headers=admin)).json()
    assert draft["based_on_version"] == 1
    pending = {(change["kind"], change["code"]) for change in draft["changes"]}
    assert {
        ("added", "af-naissance"),
        ("renamed", "af-dossier"),
        ("deactivated", "af-quotient-familial"),
        ("moved", "fl-autre"),
        ("reordered", "famille"),
        ("online_service_added", "af-declaration-ressources"),
        ("online_service_changed", "af-changement-situation"),
    } <= pending

    published = await client.post("/admin/publish", headers=admin)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    assert published.json()["origin"] == "admin"
    assert published.json()["published_by"] == str(tokens.admin_id)
    assert published.headers["location"].endswith("/admin/versions/2")

    tree = (await client.get("/tree", params={"fund": "CNO"})).json()
    assert tree["version"] == 2
    famille = find(tree["themes"], "famille")
    assert famille["subjects"][0]["code"] == "famille-logement"
    allocations = find(famille["subjects"], "famille-allocations")
    codes = [motif["code"] for motif in allocations["motifs"]]
    assert codes[0] == "af-naissance"
    assert "af-quotient-familial" not in codes
    assert find(allocations["motifs"], "af-dossier")["label"] == "Mon dossier Famille en cours"
    change = find(allocations["motifs"], "af-changement-situation")["online_service"]
    assert change["url"] == "https://cotesnormandes.msa.fr/lfp/famille/changement-de-situation"

    # A deactivated code still resolves, for the messages written under it.
    old = await client.get("/nodes/af-quotient-familial")
    assert old.status_code == 200
    assert old.json()["active"] is False
    assert old.json()["selectable"] is False
    assert old.json()["label"] == "Demande de quotient familial"

    versions = (await client.get("/admin/versions", headers=admin)).json()
    assert [version["version"] for version in versions["data"]] == [2, 1]
    assert versions["data"][1]["origin"] == "reference"
    assert versions["data"][0]["change_count"] == len(draft["changes"])

    changes = (await client.get("/admin/versions/2/changes", headers=admin)).json()
    assert changes["from_version"] == 1
    assert {(change["kind"], change["code"]) for change in changes["data"]} == pending
    renamed = next(change for change in changes["data"] if change["kind"] == "renamed")
    assert (renamed["before"], renamed["after"]) == (
        "Mon dossier Famille",
        "Mon dossier Famille en cours",
    )

    whole = await client.get("/admin/versions/1", headers=admin)
    assert whole.status_code == 200
    assert find(whole.json()["themes"], "famille")["label"].startswith("Famille")


async def test_a_second_publication_is_version_plus_one_and_an_unchanged_draft_is_not(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()

    unchanged = await client.post("/admin/publish", headers=admin)
    assert unchanged.status_code == 409
    assert "rien à publier" in unchanged.json()["detail"]

    for label, expected in (("Autre", 2), ("Autre demande", 3)):
        await client.patch("/admin/nodes/af-autre", json={"label": label + " !"}, headers=admin)
        response = await client.post("/admin/publish", headers=admin)
        assert response.status_code == 201
        assert response.json()["version"] == expected


async def test_a_draft_that_would_strand_members_is_not_published(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()
    for code in ("cr-declaration", "cr-correction", "cr-option-assiette", "cr-autre"):
        response = await client.patch(f"/admin/nodes/{code}", json={"active": False}, headers=admin)
        assert response.status_code == 200

    refused = await client.post("/admin/publish", headers=admin)

    assert refused.status_code == 409
    assert "cotisations-revenus" in refused.json()["detail"]
    assert refused.json()["problems"]
    assert (await client.get("/tree")).json()["version"] == 1


async def test_edits_are_checked_and_refused_in_french(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()
    cases = [
        # a code is never reused
        (
            "POST",
            "/admin/nodes",
            {
                "code": "af-autre",
                "label": "Autre",
                "parent": "famille-logement",
                "response_time_days": 5,
            },
            409,
        ),
        # nothing goes under a motif
        ("POST", "/admin/nodes", {"code": "sous-motif", "label": "X", "parent": "af-autre"}, 422),
        # a motif needs its response-time target
        (
            "POST",
            "/admin/nodes",
            {"code": "fl-nouveau", "label": "X", "parent": "famille-logement"},
            422,
        ),
        ("POST", "/admin/nodes", {"code": "Pas Un Code", "label": "X"}, 422),
        ("PATCH", "/admin/nodes/af-autre", {"parent": "famille"}, 422),
        ("PATCH", "/admin/nodes/inconnu", {"label": "X"}, 404),
        ("PATCH", "/admin/nodes/famille", {"skill": "famille"}, 422),
        (
            "PUT",
            "/admin/nodes/af-autre/online-service",
            {"title": "T", "url": "pas une adresse"},
            422,
        ),
        (
            "PUT",
            "/admin/nodes/af-autre/online-service/fund-urls/NPC",
            {"url": "https://x.msa.fr/"},
            409,
        ),
        (
            "PUT",
            "/admin/nodes/af-changement-situation/online-service/fund-urls/ZZZ",
            {"url": "https://x.msa.fr/"},
            422,
        ),
        ("DELETE", "/admin/nodes/af-autre/online-service", None, 409),
    ]
    for method, path, body, expected in cases:
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code == expected, (method, path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    draft = (await client.get("/admin/draft", headers=admin)).json()
    assert draft["changes"] == []


async def test_an_edit_based_on_a_stale_draft_is_refused(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()
    etag = (await client.get("/admin/draft", headers=admin)).headers["etag"]
    first = await client.patch(
        "/admin/nodes/af-autre", json={"label": "Premier"}, headers=admin | {"If-Match": etag}
    )
    second = await client.patch(
        "/admin/nodes/af-autre", json={"label": "Second"}, headers=admin | {"If-Match": etag}
    )

    assert first.status_code == 200
    assert second.status_code == 412
    draft = (await client.get("/admin/draft", headers=admin)).json()
    assert find(draft["changes"], "af-autre")["after"] == "Premier"


async def test_a_version_published_elsewhere_is_served_within_the_recheck_delay(
    settings: Settings, reference_published: Version, tokens: Any
) -> None:
    # A minute between rechecks, and a clock the test moves: no real delay can fall inside.
    clock = MovableClock()
    app = create_app(
        settings.model_copy(update={"latest_version_recheck_seconds": 60.0}), clock=clock
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
        ) as client,
    ):
        assert (await client.get("/tree")).json()["version"] == 1

        # Another replica (or the load-reference command) publishes version 2.
        other_replica = bootstrap(
            [handlers.edit_draft, handlers.publish],
            uow=lambda: CatalogUnitOfWork(app.state.runtime.sessions, producer="catalog"),
            clock=SystemClock(),
            latest_version=LatestVersion(app.state.runtime.sessions, clock=SystemClock()),
        )
        await other_replica.handle(
            commands.EditDraft(commands.ChangeNode(code="af-autre", label="Autre sujet"), by=None)
        )
        await other_replica.handle(commands.Publish(published_by=None))

        assert (await client.get("/tree")).json()["version"] == 1
        clock.advance(timedelta(seconds=61))
        assert (await client.get("/tree")).json()["version"] == 2

        # What this replica publishes is served at once.
        await client.patch(
            "/admin/nodes/af-autre", json={"label": "Autre"}, headers=tokens.as_admin()
        )
        assert (await client.post("/admin/publish", headers=tokens.as_admin())).status_code == 201
        assert (await client.get("/tree")).json()["version"] == 3
