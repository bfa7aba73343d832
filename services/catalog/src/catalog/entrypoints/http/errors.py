"""Domain errors as problem+json answers, registered once on the app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from catalog.domain.errors import (
    CatalogError,
    CodeAlreadyUsed,
    DraftChanged,
    InvalidEdit,
    NodeNotFound,
    NoOnlineService,
    NothingToPublish,
    NotPublishable,
    VersionNotFound,
)
from servicekit.problems import Problem, problem_response


def problem_for(error: CatalogError) -> Problem:
    detail = str(error)
    match error:
        case NodeNotFound():
            return Problem(404, "catalog-node-not-found", detail, code=error.code)
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
        case InvalidEdit():
            return Problem(422, "catalog-invalid-edit", detail)
    return Problem(422, "catalog-invalid-edit", detail)


def install_catalog_errors(app: FastAPI) -> None:
    @app.exception_handler(CatalogError)
    async def _catalog_error(request: Request, error: CatalogError) -> JSONResponse:
        return problem_response(problem_for(error), request)
