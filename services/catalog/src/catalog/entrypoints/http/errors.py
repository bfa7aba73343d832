"""The catalog's one table from domain errors to problem+json answers.

Domain errors carry no HTTP status: this module alone decides what each one is on the wire
(status, stable ``type`` slug, extension fields). ``create_app`` registers it once for every
route: ``install_domain_errors(app, CatalogError, problem_for)``. The ``detail`` is the
error's own French sentence.
"""

from __future__ import annotations

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
from servicekit.problems import Problem

#: How long a client should wait before asking again for a catalog not yet published.
NOT_PUBLISHED_RETRY_AFTER_SECONDS = 30


def problem_for(error: CatalogError) -> Problem:
    detail = str(error)
    match error:
        case NodeNotFound():
            return Problem(404, "catalog-node-not-found", detail, code=error.code)
        case NodeNotOffered():
            return Problem(404, "catalog-node-not-offered", detail, code=error.code)
        case VersionNotFound():
            return Problem(404, "catalog-version-not-found", detail, version=error.version)
        case CodeAlreadyUsed():
            return Problem(409, "catalog-code-taken", detail, code=error.code)
        case NoOnlineService():
            return Problem(409, "catalog-no-online-service", detail, code=error.code)
        case NothingToPublish():
            return Problem(409, "catalog-nothing-to-publish", detail, version=error.version)
        case NotPublishable():
            return Problem(409, "catalog-draft-not-publishable", detail, problems=error.problems)
        case DraftChanged():
            return Problem(412, "catalog-draft-changed", detail, revision=error.actual)
        case UnknownFund():
            return Problem(
                422,
                "unknown-fund",
                detail,
                errors=[{"field": "fund", "message": "Cette caisse n'existe pas."}],
            )
        case InvalidEdit():
            return Problem(422, "catalog-invalid-edit", detail)
        case NotPublishedYet():
            return Problem(
                503,
                "catalog-not-published",
                detail,
                headers={"Retry-After": str(NOT_PUBLISHED_RETRY_AFTER_SECONDS)},
            )
        case _:
            # A new error class answers as an invalid edit until it gets its own line here.
            return Problem(422, "catalog-invalid-edit", detail)
