"""The public and admin HTTP API, in process, on a real database with the reference data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog.domain.model import Version

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


def find(nodes: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(node for node in nodes if node["code"] == code)


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
