"""HTTP routes of the catalog service: the public tree and lookups, the admin draft,
publication and history. Behind the gateway they live under ``/api/catalog``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from catalog.domain import commands
from catalog.domain.changes import Change
from catalog.domain.errors import NodeNotFound
from catalog.domain.model import Level, Node, Version, themes_json
from catalog.entrypoints.http import schemas
from catalog.entrypoints.http.deps import (
    ClockDep,
    IfMatch,
    LatestVersionDep,
    UnitOfWorkDep,
    draft_revision,
)
from catalog.service_layer import handlers
from contracts import all_funds
from contracts.events import catalog as events
from servicekit.problems import Problem, problem_responses
from servicekit.security import CurrentAdmin, OptionalPrincipal

#: How long browsers and the gateway may reuse a public answer before revalidating it.
PUBLIC_MAX_AGE = 60

public = APIRouter(tags=["catalog"])
admin = APIRouter(prefix="/admin", tags=["admin"])

_CodePath = Annotated[str, Path(max_length=200, description="Code of a theme, subject or motif.")]
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag sent in If-None-Match is still current."}
}


# ---- public -------------------------------------------------------------------------------


def _service_public(
    service: events.OnlineService | None, fund: str | None
) -> schemas.OnlineServicePublic | None:
    if service is None:
        return None
    url = service.fund_urls.get(fund) if fund is not None else None
    return schemas.OnlineServicePublic(
        title=service.title,
        description=service.description,
        url=str(url or service.url),
        call_to_action=service.call_to_action,
    )


def _motif_public(motif: events.Motif, fund: str | None) -> schemas.MotifPublic:
    return schemas.MotifPublic(
        code=motif.code,
        label=motif.label,
        response_time_days=motif.response_time_days,
        online_service=_service_public(motif.online_service, fund),
    )


def _subject_public(subject: events.Subject, fund: str | None) -> schemas.SubjectPublic:
    return schemas.SubjectPublic(
        code=subject.code,
        label=subject.label,
        online_service=_service_public(subject.online_service, fund),
        motifs=[_motif_public(motif, fund) for motif in subject.motifs if motif.active],
    )


def _theme_public(theme: events.Theme, fund: str | None) -> schemas.ThemePublic:
    return schemas.ThemePublic(
        code=theme.code,
        label=theme.label,
        online_service=_service_public(theme.online_service, fund),
        subjects=[_subject_public(subject, fund) for subject in theme.subjects if subject.active],
    )


def render_tree(version: Version, fund: str | None) -> bytes:
    """The active tree of ``version`` with addresses for ``fund``, as JSON."""
    tree = schemas.TreePublic(
        version=version.number,
        fund=fund,
        themes=[_theme_public(theme, fund) for theme in version.themes if theme.active],
    )
    return tree.model_dump_json(exclude_none=True).encode()


def _fund_for(principal: OptionalPrincipal, fund: str | None) -> str | None:
    if principal is not None:
        return principal.fund if principal.fund in all_funds() else None
    if fund is not None and fund not in all_funds():
        raise Problem(
            422,
            "unknown-fund",
            f"« {fund} » n'est pas le code d'une caisse MSA : utilisez un code à trois lettres "
            "comme « NPC », ou n'indiquez pas de caisse.",
            errors=[{"field": "fund", "message": "Cette caisse n'existe pas."}],
        )
    return fund


def _etag(version: Version, fund: str | None) -> str:
    return f'"{version.number}-{fund or "default"}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _cached(request: Request, etag: str, private: bool, render: Any) -> Response:
    """Answer 304 when the client holds ``etag``, else the rendered body, with the caching
    headers either way."""
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'private' if private else 'public'}, max-age={PUBLIC_MAX_AGE}, "
        "must-revalidate",
        "Vary": "Authorization, Cookie",
    }
    if _matches(request, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=render(), media_type="application/json", headers=headers)


@public.get(
    "/tree",
    summary="The active catalog for the wizard, in display order",
    response_model=schemas.TreePublic,
    responses=_NOT_MODIFIED | problem_responses(401, 422, 503),
)
async def get_tree(
    request: Request,
    version: LatestVersionDep,
    principal: OptionalPrincipal,
    fund: Annotated[
        str | None,
        Query(
            max_length=3,
            description="Fund whose online-service addresses to use, for anonymous callers "
            "(a caller with a token gets their own fund's).",
            examples=["NPC"],
        ),
    ] = None,
) -> Response:
    """Themes → subjects → motifs, active only, each online service's address resolved for
    the caller's fund. Send the ETag back in ``If-None-Match`` to revalidate for free."""
    resolved = _fund_for(principal, fund)
    cache: dict[tuple[int, str | None], bytes] = request.app.state.rendered_trees
    key = (version.number, resolved)

    def render() -> bytes:
        if key not in cache:
            if len(cache) > 200:
                cache.clear()
            cache[key] = render_tree(version, resolved)
        return cache[key]

    return _cached(request, _etag(version, resolved), principal is not None, render)


@public.get(
    "/tree/{code}",
    summary="One branch of the active catalog: a node a member can choose, and what is below",
    response_model=schemas.BranchPublic,
    responses=_NOT_MODIFIED | problem_responses(401, 404, 422, 503),
)
async def get_branch(
    request: Request,
    code: _CodePath,
    version: LatestVersionDep,
    principal: OptionalPrincipal,
    fund: Annotated[
        str | None,
        Query(max_length=3, description="As for /tree.", examples=["NPC"]),
    ] = None,
) -> Response:
    """For a wizard opened on a given theme, subject or motif: 404 when the code is unknown or
    no longer offered (it or a node above it is inactive)."""
    located = version.index.get(code)
    if located is None:
        raise NodeNotFound(code)
    if not located.selectable:
        raise Problem(
            404,
            "catalog-node-not-offered",
            f"« {located.node.label} » n'est plus proposé : choisissez un autre élément dans "
            "la liste.",
            code=code,
        )
    resolved = _fund_for(principal, fund)

    def render() -> bytes:
        node = located.node
        branch: schemas.ThemePublic | schemas.SubjectPublic | schemas.MotifPublic
        if isinstance(node, events.Theme):
            branch = _theme_public(node, resolved)
        elif isinstance(node, events.Subject):
            branch = _subject_public(node, resolved)
        else:
            branch = _motif_public(node, resolved)
        body = schemas.BranchPublic(
            version=version.number,
            fund=resolved,
            level=located.level,
            path=[_path_item(ancestor) for ancestor in located.ancestors],
            node=branch,
        )
        return body.model_dump_json(exclude_none=True).encode()

    return _cached(request, _etag(version, resolved), principal is not None, render)


def _path_item(node: events.Theme | events.Subject | events.Motif) -> schemas.PathItem:
    level: Level = (
        "theme"
        if isinstance(node, events.Theme)
        else "subject"
        if isinstance(node, events.Subject)
        else "motif"
    )
    return schemas.PathItem(code=node.code, level=level, label=node.label, active=node.active)


@public.get(
    "/nodes/{code}",
    summary="One theme, subject or motif by code, active or not",
    response_model=schemas.NodePublic,
    responses=_NOT_MODIFIED | problem_responses(401, 404, 422, 503),
)
async def get_node(
    request: Request,
    code: _CodePath,
    version: LatestVersionDep,
    principal: OptionalPrincipal,
    fund: Annotated[
        str | None,
        Query(max_length=3, description="As for /tree.", examples=["NPC"]),
    ] = None,
) -> Response:
    """A node of the latest version, even deactivated (messages keep the codes they were
    written under), with the nodes above it and, for a motif, its routing."""
    located = version.index.get(code)
    if located is None:
        raise NodeNotFound(code)
    resolved = _fund_for(principal, fund)

    def render() -> bytes:
        node = located.node
        children: list[events.Theme | events.Subject | events.Motif] = []
        if isinstance(node, events.Theme):
            children = list(node.subjects)
        elif isinstance(node, events.Subject):
            children = list(node.motifs)
        body = schemas.NodePublic(
            version=version.number,
            code=node.code,
            level=located.level,
            label=node.label,
            order=node.order,
            active=node.active,
            selectable=located.selectable,
            path=[_path_item(ancestor) for ancestor in located.ancestors],
            online_service=_service_public(node.online_service, resolved),
            skill=node.skill if isinstance(node, events.Motif) else None,
            response_time_days=node.response_time_days if isinstance(node, events.Motif) else None,
            children=[_path_item(child) for child in children],
        )
        return body.model_dump_json(exclude_none=True).encode()

    return _cached(request, _etag(version, resolved), principal is not None, render)


# ---- admin: the draft ---------------------------------------------------------------------

#: 400: a body that is not JSON at all.
_EDIT_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)


def _draft_node(node: Node) -> schemas.DraftNode:
    service = node.online_service
    return schemas.DraftNode(
        code=node.code,
        level=node.level,
        label=node.label,
        parent=node.parent,
        order=node.position,
        active=node.active,
        skill=node.skill,
        response_time_days=node.response_time_days,
        online_service=None
        if service is None
        else {
            "title": service.title,
            "description": service.description,
            "url": service.url,
            "call_to_action": service.call_to_action,
            "fund_urls": dict(service.fund_urls),
        },
    )


def _change(change: Change) -> schemas.ChangePublic:
    return schemas.ChangePublic(
        kind=change.kind,
        code=change.code,
        level=change.level,
        label=change.label,
        before=change.before,
        after=change.after,
    )


def _draft_etag(revision: int) -> str:
    return f'"draft-{revision}"'


async def _edit(
    edit: commands.DraftEdit,
    *,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    result = await handlers.edit_draft(
        edit,
        uow=uow,
        clock=clock,
        by=admin_user.subject,
        expected_revision=draft_revision(if_match),
    )
    response.headers["ETag"] = _draft_etag(result.revision)
    return schemas.NodeEdited(revision=result.revision, node=_draft_node(result.node))


@admin.get(
    "/draft",
    summary="The draft: the whole catalog being edited, and what publishing would change",
    response_model=schemas.DraftPublic,
    responses=problem_responses(401, 403),
)
async def get_draft(
    admin_user: CurrentAdmin, uow: UnitOfWorkDep, response: Response
) -> schemas.DraftPublic:
    draft = await handlers.get_draft(uow=uow)
    response.headers["ETag"] = _draft_etag(draft.revision)
    return schemas.DraftPublic(
        revision=draft.revision,
        updated_at=draft.updated_at,
        based_on_version=draft.latest.number if draft.latest else None,
        changes=[_change(change) for change in draft.changes],
        themes=list(draft.catalog.to_themes()),
    )


@admin.post(
    "/nodes",
    summary="Create a theme, subject or motif in the draft",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def create_node(
    body: schemas.NodeCreate,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    service = body.online_service
    edit = commands.CreateNode(
        code=body.code,
        label=body.label,
        parent=body.parent,
        position=body.position,
        skill=body.skill,
        response_time_days=body.response_time_days,
        online_service=None
        if service is None
        else commands.OnlineServiceSpec(
            title=service.title,
            url=service.url,
            description=service.description,
            call_to_action=service.call_to_action,
            fund_urls=service.fund_urls,
        ),
    )
    return await _edit(
        edit,
        admin_user=admin_user,
        uow=uow,
        clock=clock,
        if_match=if_match,
        response=response,
    )


@admin.patch(
    "/nodes/{code}",
    summary="Rename, move or reorder, (de)activate a node, or change a motif's routing",
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def update_node(
    code: _CodePath,
    body: schemas.NodeUpdate,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    edit = commands.ChangeNode(
        code=code,
        label=body.label,
        parent=body.parent if "parent" in body.model_fields_set else commands.KEEP,
        position=body.position,
        active=body.active,
        skill=body.skill,
        response_time_days=body.response_time_days,
    )
    return await _edit(
        edit, admin_user=admin_user, uow=uow, clock=clock, if_match=if_match, response=response
    )


@admin.put(
    "/nodes/{code}/online-service",
    summary="Attach an online service to a node, or change it",
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def put_online_service(
    code: _CodePath,
    body: schemas.OnlineServiceIn,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    edit = commands.AttachOnlineService(
        code=code,
        service=commands.OnlineServiceSpec(
            title=body.title,
            url=body.url,
            description=body.description,
            call_to_action=body.call_to_action,
            fund_urls=body.fund_urls,
        ),
    )
    return await _edit(
        edit, admin_user=admin_user, uow=uow, clock=clock, if_match=if_match, response=response
    )


@admin.delete(
    "/nodes/{code}/online-service",
    summary="Remove a node's online service",
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def delete_online_service(
    code: _CodePath,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    return await _edit(
        commands.RemoveOnlineService(code=code),
        admin_user=admin_user,
        uow=uow,
        clock=clock,
        if_match=if_match,
        response=response,
    )


_FundPath = Annotated[str, Path(max_length=3, description="Fund code.", examples=["NPC"])]


@admin.put(
    "/nodes/{code}/online-service/fund-urls/{fund}",
    summary="Give a node's online service its address on one fund's site",
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def put_fund_url(
    code: _CodePath,
    fund: _FundPath,
    body: schemas.FundUrlIn,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    return await _edit(
        commands.SetFundUrl(code=code, fund=fund, url=body.url),
        admin_user=admin_user,
        uow=uow,
        clock=clock,
        if_match=if_match,
        response=response,
    )


@admin.delete(
    "/nodes/{code}/online-service/fund-urls/{fund}",
    summary="Remove a fund's own address: its members get the default one",
    response_model=schemas.NodeEdited,
    responses=_EDIT_ERRORS,
)
async def delete_fund_url(
    code: _CodePath,
    fund: _FundPath,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.NodeEdited:
    return await _edit(
        commands.RemoveFundUrl(code=code, fund=fund),
        admin_user=admin_user,
        uow=uow,
        clock=clock,
        if_match=if_match,
        response=response,
    )


# ---- admin: publication and history -------------------------------------------------------


def _version_public(version: Version) -> schemas.VersionPublic:
    return schemas.VersionPublic(
        version=version.number,
        published_at=version.published_at,
        published_by=version.published_by,
        origin=version.origin,
        change_count=version.change_count,
    )


@admin.post(
    "/publish",
    summary="Publish the draft as the next version (and its snapshot event)",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.VersionPublic,
    responses=problem_responses(401, 403, 409, 412),
)
async def publish(
    request: Request,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.VersionPublic:
    version = await handlers.publish(
        commands.Publish(published_by=admin_user.subject),
        uow=uow,
        clock=clock,
        expected_revision=draft_revision(if_match),
    )
    request.app.state.latest_version.forget()
    root = request.scope.get("root_path", "")
    response.headers["Location"] = f"{root}/admin/versions/{version.number}"
    return _version_public(version)


@admin.get(
    "/versions",
    summary="Published versions, newest first",
    response_model=schemas.VersionsPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_versions(
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only versions older than this.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.VersionsPublic:
    versions = await handlers.list_versions(uow=uow, before=before, limit=limit + 1)
    page = versions[:limit]
    return schemas.VersionsPublic(
        data=[_version_public(version) for version in page],
        next_cursor=page[-1].number if len(versions) > limit else None,
    )


_VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Version number.")]


@admin.get(
    "/versions/{version}",
    summary="One published version, whole",
    response_model=schemas.VersionDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_version(
    version: _VersionPath, admin_user: CurrentAdmin, uow: UnitOfWorkDep
) -> Response:
    found = await handlers.get_version(version, uow=uow)
    body = _version_public(found).model_dump(mode="json") | {"themes": themes_json(found.themes)}
    # A published version never changes.
    return Response(
        content=json.dumps(body, ensure_ascii=False).encode(),
        media_type="application/json",
        headers={"Cache-Control": "private, max-age=3600, immutable"},
    )


@admin.get(
    "/versions/{version}/changes",
    summary="What changed between two versions",
    response_model=schemas.ChangesPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_changes(
    version: _VersionPath,
    admin_user: CurrentAdmin,
    uow: UnitOfWorkDep,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**31 - 1,
            description="The version to compare with; by default the one before. 0: nothing "
            "(everything counts as added).",
        ),
    ] = None,
) -> schemas.ChangesPublic:
    old = version - 1 if since is None else since
    changes = await handlers.changes_between(old, version, uow=uow)
    return schemas.ChangesPublic(
        from_version=old, to_version=version, data=[_change(change) for change in changes]
    )


routers = (public, admin)
