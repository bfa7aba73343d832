"""The public routes: the active tree, one branch of it, and any node by code, each from the
latest published version, with an ETag and caching headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from catalog.domain import commands
from catalog.domain.views import PublishedTree
from catalog.entrypoints.http.deps import BusDep, CodePath
from catalog.entrypoints.http.schemas.public import BranchPublic, NodePublic, TreePublic
from servicekit.problems import problem_responses
from servicekit.security import OptionalPrincipal

#: How long browsers and the gateway may reuse a public answer before revalidating it.
PUBLIC_MAX_AGE = 60

router = APIRouter(tags=["catalog"])

_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag sent in If-None-Match is still current."}
}

FundQuery = Annotated[
    str | None,
    Query(
        max_length=3,
        description="Fund whose online-service addresses to use, for anonymous callers "
        "(a caller with a token gets their own fund's).",
        examples=["NPC"],
    ),
]


class RenderedTrees:
    """``/tree`` bodies already rendered, by version and fund: a published version never
    changes, so each is serialized once (and the cache is emptied past ``limit`` entries)."""

    def __init__(self, limit: int = 200) -> None:
        self._limit = limit
        self._bodies: dict[tuple[int, str | None], bytes] = {}

    def body(self, tree: PublishedTree) -> bytes:
        key = (tree.version.number, tree.fund)
        if key not in self._bodies:
            if len(self._bodies) > self._limit:
                self._bodies.clear()
            self._bodies[key] = _json(TreePublic.from_domain(tree))
        return self._bodies[key]


async def get_rendered_trees(request: Request) -> RenderedTrees:
    trees: RenderedTrees = request.app.state.rendered_trees
    return trees


RenderedTreesDep = Annotated[RenderedTrees, Depends(get_rendered_trees)]


def _json(body: TreePublic | BranchPublic | NodePublic) -> bytes:
    """A public body as sent: what a node does not have is left out, not ``null``."""
    return body.model_dump_json(exclude_none=True).encode()


def _etag(version: int, fund: str | None) -> str:
    return f'"{version}-{fund or "default"}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _cached(request: Request, etag: str, private: bool, render: Callable[[], bytes]) -> Response:
    """304 when the client holds ``etag``, else the rendered body; caching headers either way."""
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'private' if private else 'public'}, max-age={PUBLIC_MAX_AGE}, "
        "must-revalidate",
        "Vary": "Authorization, Cookie",
    }
    if _matches(request, etag):
        # A Response, deliberately: a 304 has no body, so nothing is rendered.
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    # A Response, deliberately: the body is rendered once per version and fund (TreePublic...).
    return Response(content=render(), media_type="application/json", headers=headers)


@router.get(
    "/tree",
    summary="The active catalog for the wizard, in display order",
    response_model=TreePublic,
    responses=_NOT_MODIFIED | problem_responses(401, 422, 503),
)
async def get_tree(
    request: Request,
    bus: BusDep,
    trees: RenderedTreesDep,
    principal: OptionalPrincipal,
    fund: FundQuery = None,
) -> Response:
    """Themes → subjects → motifs, active only, each online service's address resolved for
    the caller's fund. Send the ETag back in ``If-None-Match`` to revalidate for free."""
    tree = await bus.handle(
        commands.GetTree(asked_fund=fund, caller_fund=principal.fund if principal else None)
    )
    etag = _etag(tree.version.number, tree.fund)
    return _cached(request, etag, principal is not None, lambda: trees.body(tree))


@router.get(
    "/tree/{code}",
    summary="One branch of the active catalog: a node a member can choose, and what is below",
    response_model=BranchPublic,
    responses=_NOT_MODIFIED | problem_responses(401, 404, 422, 503),
)
async def get_branch(
    request: Request,
    code: CodePath,
    bus: BusDep,
    principal: OptionalPrincipal,
    fund: Annotated[
        str | None, Query(max_length=3, description="As for /tree.", examples=["NPC"])
    ] = None,
) -> Response:
    """For a wizard opened on a given theme, subject or motif: 404 when the code is unknown or
    no longer offered (it or a node above it is inactive)."""
    found = await bus.handle(
        commands.GetBranch(
            code=code, asked_fund=fund, caller_fund=principal.fund if principal else None
        )
    )
    etag = _etag(found.version.number, found.fund)
    return _cached(
        request, etag, principal is not None, lambda: _json(BranchPublic.from_domain(found))
    )


@router.get(
    "/nodes/{code}",
    summary="One theme, subject or motif by code, active or not",
    response_model=NodePublic,
    responses=_NOT_MODIFIED | problem_responses(401, 404, 422, 503),
)
async def get_node(
    request: Request,
    code: CodePath,
    bus: BusDep,
    principal: OptionalPrincipal,
    fund: Annotated[
        str | None, Query(max_length=3, description="As for /tree.", examples=["NPC"])
    ] = None,
) -> Response:
    """A node of the latest version, even deactivated (messages keep the codes they were
    written under), with the nodes above it and, for a motif, its routing."""
    found = await bus.handle(
        commands.GetNode(
            code=code, asked_fund=fund, caller_fund=principal.fund if principal else None
        )
    )
    etag = _etag(found.version.number, found.fund)
    return _cached(
        request, etag, principal is not None, lambda: _json(NodePublic.from_domain(found))
    )
