"""API errors as ``application/problem+json`` (RFC 9457), with French words for members.

A route raises ``Problem``; validation errors and unexpected exceptions are turned into
problems by the handlers that ``install_problem_handlers`` registers, so no error leaves a
service as an HTML page or a bare 500 with a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from servicekit.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://mes-messages.msa.fr/problems/"

logger = get_logger(__name__)

#: Default French titles, by status, for problems raised without one.
FRENCH_TITLES: dict[int, str] = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    406: "Format de réponse non disponible",
    409: "Conflit",
    410: "Ressource expirée",
    412: "Condition préalable non remplie",
    413: "Requête trop volumineuse",
    415: "Format de requête non pris en charge",
    422: "Données invalides",
    428: "En-tête requis manquant",
    429: "Trop de tentatives",
    431: "En-têtes de requête trop volumineux",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


class Problem(Exception):
    """An error with a stable ``type`` (a slug under PROBLEM_TYPE_BASE) and a French detail."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or FRENCH_TITLES.get(status) or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.body(instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


# French messages for pydantic's error types, so members read what to fix.
_FRENCH_ERRORS: dict[str, str] = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce champ est trop court.",
    "string_too_long": "Ce champ est trop long.",
    "string_pattern_mismatch": "Ce champ n'a pas le format attendu.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "int_type": "Ce champ doit être un nombre entier.",
    "bool_parsing": "Ce champ doit valoir vrai ou faux.",
    "uuid_parsing": "Cet identifiant n'est pas valide.",
    "uuid_type": "Cet identifiant n'est pas valide.",
    "date_from_datetime_parsing": "Cette date n'est pas valide (format AAAA-MM-JJ).",
    "date_parsing": "Cette date n'est pas valide (format AAAA-MM-JJ).",
    "datetime_parsing": "Cette date et heure ne sont pas valides.",
    "enum": "Cette valeur ne fait pas partie des choix possibles.",
    "literal_error": "Cette valeur ne fait pas partie des choix possibles.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "model_attributes_type": "Le corps de la requête doit être un objet JSON.",
    "dict_type": "Le corps de la requête doit être un objet JSON.",
    "greater_than_equal": "Cette valeur est trop petite.",
    "less_than_equal": "Cette valeur est trop grande.",
    "value_error": "Cette valeur n'est pas valide.",
    "extra_forbidden": "Ce champ n'est pas attendu.",
}


def french_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic errors as ``{field, message}``: the field as a dotted path, the message in French.

    A ``ValueError`` raised by our own validators already carries a French message; pydantic
    prefixes it with "Value error, ", which is dropped.
    """
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        kind = error.get("type", "")
        message = str(error.get("msg", ""))
        if kind == "value_error" and message.startswith("Value error, "):
            french = message.removeprefix("Value error, ")
        else:
            french = _FRENCH_ERRORS.get(kind, "Cette valeur n'est pas valide.")
        result.append({"field": ".".join(location), "message": french})
    return result


def allowed_methods(request: Request) -> list[str]:
    """Every method the service documents at this path (Starlette names only the first
    matching route's), read from its OpenAPI document: the one list of its operations."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern, _format, _convertors = compile_path(template)
        if pattern.match(path):
            methods |= {method.upper() for method in operations if method != "parameters"}
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, problem: Problem) -> JSONResponse:
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = french_errors(error.errors())
        detail = "Certaines informations sont invalides : corrigez les champs indiqués."
        if len(errors) == 1:
            detail = errors[0]["message"]
        return problem_response(Problem(422, "invalid-request", detail, errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        status = error.status_code
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(status).phrase
        if status == 404 and detail == "Not Found":
            detail = "Cette adresse ne correspond à aucune ressource."
        headers = dict(error.headers or {})
        if status == 405:
            detail = "Cette méthode n'est pas permise sur cette adresse."
            headers["Allow"] = ", ".join(allowed_methods(request))
        if status == 400 and detail == "There was an error parsing the body":
            detail = "Le corps de la requête n'est pas un JSON valide."
        slug = HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
        return problem_response(Problem(status, slug, detail, headers=headers), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", path=request.url.path)
        return problem_response(
            Problem(
                500,
                "internal-error",
                "Une erreur inattendue est survenue. Réessayez dans quelques instants.",
            ),
            request,
        )


DomainError = TypeVar("DomainError", bound=Exception)


def install_domain_errors(
    app: FastAPI, base: type[DomainError], problem_for: Callable[[DomainError], Problem]
) -> None:
    """Answers every ``base`` error a route lets through with ``problem_for(error)``.

    Each service keeps its table in ``entrypoints/http/errors.py``: the domain's errors
    carry no HTTP status, and this one function maps them to problem types."""

    async def _domain_error(request: Request, error: Exception) -> JSONResponse:
        return problem_response(problem_for(cast(DomainError, error)), request)

    app.add_exception_handler(base, _domain_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem bodies for the given statuses."""
    return {
        status: {
            "description": FRENCH_TITLES.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
