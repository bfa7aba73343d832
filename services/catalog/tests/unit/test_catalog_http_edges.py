"""The HTTP edges without a server: the one table from domain errors to problem types."""

from __future__ import annotations

import pytest

from catalog.domain.errors import (
    CatalogError,
    CodeAlreadyUsed,
    DraftChanged,
    InvalidEdit,
    NodeNotFound,
    NodeNotOffered,
    NoOnlineService,
    NothingToPublish,
    NotPublishable,
    NotPublishedYet,
    UnknownFund,
    VersionNotFound,
)
from catalog.entrypoints.http.errors import problem_for

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (NodeNotFound("x"), 404, "catalog-node-not-found"),
        (NodeNotOffered("x", "X"), 404, "catalog-node-not-offered"),
        (VersionNotFound(3), 404, "catalog-version-not-found"),
        (CodeAlreadyUsed("x"), 409, "catalog-code-taken"),
        (NoOnlineService("x"), 409, "catalog-no-online-service"),
        (NothingToPublish(3), 409, "catalog-nothing-to-publish"),
        (NotPublishable(["Aucun thème n'est actif."]), 409, "catalog-draft-not-publishable"),
        (DraftChanged(1, 2), 412, "catalog-draft-changed"),
        (UnknownFund("ZZZ"), 422, "unknown-fund"),
        (InvalidEdit("Le libellé est vide."), 422, "catalog-invalid-edit"),
        (NotPublishedYet(), 503, "catalog-not-published"),
    ],
)
def test_each_domain_error_has_its_problem_type(
    error: CatalogError, status: int, slug: str
) -> None:
    problem = problem_for(error)

    assert (problem.status, problem.slug) == (status, slug)
    assert problem.detail == str(error)


def test_a_catalog_not_yet_published_says_when_to_come_back() -> None:
    assert problem_for(NotPublishedYet()).headers == {"Retry-After": "30"}
