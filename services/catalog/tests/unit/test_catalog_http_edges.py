"""The HTTP edges without a server: If-Match parsing, and the one table from domain errors to
problem types."""

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
from catalog.entrypoints.http.deps import draft_revision
from catalog.entrypoints.http.errors import problem_for
from servicekit.problems import Problem

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("header", "revision"),
    [
        (None, None),
        ("", None),
        ("*", None),
        ('"draft-12"', 12),
        ('W/"draft-12"', 12),
        ("draft-7", 7),
        (' "draft-123456789" ', 123456789),
    ],
)
def test_an_if_match_names_a_draft_revision_or_none(header: str | None, revision: int) -> None:
    assert draft_revision(header) == revision


@pytest.mark.parametrize(
    "header",
    ['"draft-²"', '"draft-Â²"', '"draft-١٢"', '"draft-12a"', '"draft-1234567890"', '"v-1"'],
)
def test_an_if_match_that_names_no_revision_is_a_412(header: str) -> None:
    with pytest.raises(Problem) as refused:
        draft_revision(header)
    assert refused.value.status == 412
    assert refused.value.slug == "precondition-failed"


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
