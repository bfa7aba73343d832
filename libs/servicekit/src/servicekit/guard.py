"""What every request goes through before a route sees it, and what a failure leaves behind.

- A body must be JSON in UTF-8 (or, for mail clients' one-click unsubscribe, a form): another
  media type or charset, or a body in UTF-16 or UTF-32 however labelled, is a 415, bytes that
  are not UTF-8 a 400, always as problem+json.
- A route that takes a file (``openapi_extra={BINARY_UPLOAD: True}``) gets its body as a stream
  of bytes, neither buffered nor checked here: the route reads it chunk by chunk and decides
  what it is (the query is still checked).
- No string a request carries, in its JSON body or its query, may hold a NUL character or a
  lone UTF-16 surrogate: PostgreSQL cannot store either, and they are never part of what a
  person types. The answer is a 422 naming the field, before any route runs.
- An exception a route lets through becomes a complete problem and stays here: a dependency
  away (the database down, frozen past the statement timeout, its pool exhausted) is a 503
  with ``Retry-After``, anything else a 500 logged once with its traceback; neither is
  re-raised to the server, which would close the connection and make the gateway's next
  request on it (someone else's) fail with a 502.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.failures import is_unavailable
from servicekit.logging import get_logger
from servicekit.problems import PROBLEM_MEDIA_TYPE, Problem

logger = get_logger("http")

#: What a JSON body may hold that PostgreSQL cannot store: an escaped NUL, or an escaped
#: surrogate (paired ones are legitimate, e.g. emoji; the parse below tells them apart).
_SUSPICIOUS_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORBIDDEN_CHARACTER = (
    "Ce champ contient un caractère non autorisé (caractère nul ou invalide) : "
    "retapez-le sans copier-coller de caractères spéciaux."
)


def _has_forbidden_character(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot be encoded
        return True
    return False


def forbidden_fields(value: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted paths of every string (key or value) in a JSON value that cannot be stored."""
    if isinstance(value, str):
        if _has_forbidden_character(value):
            yield ".".join(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if _has_forbidden_character(key):
                yield ".".join((*path, "?"))
            else:
                yield from forbidden_fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from forbidden_fields(item, (*path, str(index)))


def _media_type(headers: list[tuple[bytes, bytes]]) -> tuple[str, dict[str, str]] | None:
    for name, value in headers:
        if name.lower() == b"content-type":
            kind, *params = value.decode("latin-1").split(";")
            parameters = {}
            for param in params:
                key, _, raw = param.strip().partition("=")
                parameters[key.strip().lower()] = raw.strip().strip('"').lower()
            return kind.strip().lower(), parameters
    return None


_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _wide_encoding(body: bytes) -> bool:
    """A body in UTF-16 or UTF-32 whatever its label says (RFC 4627, section 3): a byte-order
    mark, or a NUL among its first two bytes (JSON and forms start with an ASCII character)."""
    return body.startswith(_WIDE_BOMS) or b"\x00" in body[:2]


#: The OpenAPI extension by which a route declares that its body is a file, streamed to it.
BINARY_UPLOAD = "x-binary-upload"


def _binary_upload(scope: Scope) -> bool:
    """Whether the request goes to an operation that declared ``BINARY_UPLOAD`` (read once
    from the app's OpenAPI document)."""
    app = scope.get("app")
    state = getattr(app, "state", None)
    if app is None or state is None or not hasattr(app, "openapi"):
        return False
    operations = getattr(state, "binary_upload_operations", None)
    if operations is None:
        operations = [
            (method.upper(), re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"))
            for path, item in app.openapi().get("paths", {}).items()
            for method, operation in item.items()
            if isinstance(operation, dict) and operation.get(BINARY_UPLOAD)
        ]
        state.binary_upload_operations = operations
    path, method_asked = service_path(scope), scope["method"]
    return any(method == method_asked and pattern.match(path) for method, pattern in operations)


#: Forms are taken too, for the one-click unsubscribe that mail clients post (RFC 8058);
#: a route that wants JSON still refuses a form body through its own validation.
_FORM = "application/x-www-form-urlencoded"


def _accepted(kind: str) -> bool:
    json_type = kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )
    return json_type or kind == _FORM


class RequestGuardMiddleware:
    """Refuses bodies and queries a route could not store; keeps failures from spreading."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        problem_for_failure: Callable[[Exception], Problem] | None = None,
    ) -> None:
        self.app = app
        self.problem_for_failure = problem_for_failure or problem_for_failure_default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            problem = self._query_problem(scope)
            if (
                problem is None
                and scope["method"] in _METHODS_WITH_BODY
                and not _binary_upload(scope)
            ):
                problem, receive = await self._body_problem(scope, receive)
            if problem is not None:
                await send_problem(send_tracking, problem, scope)
                return
            await self.app(scope, receive, send_tracking)
        except Exception as error:
            problem = self.problem_for_failure(error)
            if started:
                # Too late for an answer of ours: the route's own response is under way. The
                # connection is still left open; the server sees no exception.
                logger.warning("failure after the response started", error=repr(error))
                return
            await send_problem(send, problem, scope)

    @staticmethod
    def _query_problem(scope: Scope) -> Problem | None:
        query: bytes = scope.get("query_string", b"")
        if b"%00" not in query and b"\x00" not in query:
            return None
        fields = [
            name
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            if "\x00" in value or "\x00" in name
        ]
        return _forbidden(fields or ["query"])

    @staticmethod
    async def _body_problem(scope: Scope, receive: Receive) -> tuple[Problem | None, Receive]:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, _replay([message])
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replay = _replay([{"type": "http.request", "body": body, "more_body": False}], receive)
        if not body:
            return None, replay
        media = _media_type(scope["headers"])
        if media is None or not _accepted(media[0]):
            return Problem(
                415,
                "unsupported-media-type",
                "Le corps de la requête doit être du JSON (Content-Type: application/json).",
            ), replay
        charset = media[1].get("charset")
        if charset not in (None, "utf-8", "utf8") or _wide_encoding(body):
            return Problem(
                415,
                "unsupported-media-type",
                "Le corps de la requête doit être encodé en UTF-8.",
            ), replay
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Problem(
                400, "bad-request", "Le corps de la requête n'est pas un JSON valide en UTF-8."
            ), replay
        if media[0] == _FORM:
            fields = [name for name, value in parse_qsl(text) if "\x00" in name + value]
            return (_forbidden(fields) if fields else None), replay
        if "\x00" not in text and not _SUSPICIOUS_ESCAPE.search(body):
            return None, replay
        try:
            document = json.loads(text)
        except ValueError:
            return None, replay  # the route's own validation says what is wrong with it
        fields = list(forbidden_fields(document))
        return (_forbidden(fields) if fields else None), replay


#: How long a client waits before trying again when a dependency is away.
RETRY_AFTER_SECONDS = 5


def problem_for_failure_default(error: Exception) -> Problem:
    """A dependency away (the database down, frozen or saturated) is a 503 the client may
    retry, logged as one warning line (repeats are counted, not written); anything else is
    an internal error."""
    if is_unavailable(error):
        logger.warning("a dependency is unavailable: answering 503", error=type(error).__name__)
        return Problem(
            503,
            "unavailable",
            "Le service est momentanément indisponible : réessayez dans quelques instants.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return internal_error(error)


def internal_error(error: Exception) -> Problem:
    """The answer to a failure nobody foresaw: logged once, with its traceback, here."""
    logger.error("unhandled error", exc_info=error)
    return Problem(
        500,
        "internal-error",
        "Une erreur inattendue est survenue. Réessayez dans quelques instants.",
    )


def _forbidden(fields: list[str]) -> Problem:
    errors = [{"field": field, "message": FORBIDDEN_CHARACTER} for field in fields]
    return Problem(422, "invalid-request", FORBIDDEN_CHARACTER, errors=errors)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that gives the body read already, then waits on the real one."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def send_problem(send: Send, problem: Problem, scope: Scope) -> None:
    body = json.dumps(problem.body(scope.get("path")), ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in problem.headers.items()
        ),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def service_path(scope: Scope) -> str:
    """The path within the service, as its OpenAPI document names it. Behind the gateway the
    app runs under a root path (``--root-path /api/messages``), which the request's path
    carries."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
