"""The admin routes (role admin): edit the draft, publish it as a new version, read the
history. Every edit answers the node as it now is and the draft's new ETag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from catalog.domain import commands
from catalog.entrypoints.http.deps import (
    BusDep,
    CodePath,
    FundPath,
    IfMatch,
    VersionPath,
    draft_etag,
    draft_revision,
)
from catalog.entrypoints.http.schemas.admin import (
    ChangesPublic,
    DraftPublic,
    FundUrlIn,
    NodeCreate,
    NodeEdited,
    NodeUpdate,
    OnlineServiceIn,
    VersionDetail,
    VersionPublic,
    VersionsPublic,
)
from servicekit.bus import MessageBus
from servicekit.problems import problem_responses
from servicekit.security import CurrentAdmin, Principal

router = APIRouter(prefix="/admin", tags=["admin"])

#: 400: a body that is not JSON at all; 412: a stale or malformed If-Match.
_EDIT_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)


async def _edit(
    bus: MessageBus,
    edit: commands.DraftEdit,
    admin_user: Principal,
    if_match: str | None,
    response: Response,
) -> NodeEdited:
    """Every edit alike: the change, made only on the draft revision ``If-Match`` names."""
    edited = await bus.handle(
        commands.EditDraft(
            edit=edit, by=admin_user.subject, expected_revision=draft_revision(if_match)
        )
    )
    response.headers["ETag"] = draft_etag(edited.revision)
    return NodeEdited.from_domain(edited)


# ---- the draft -----------------------------------------------------------------------------


@router.get(
    "/draft",
    summary="The draft: the whole catalog being edited, and what publishing would change",
    response_model=DraftPublic,
    responses=problem_responses(401, 403),
)
async def get_draft(admin_user: CurrentAdmin, bus: BusDep, response: Response) -> DraftPublic:
    draft = await bus.handle(commands.GetDraft())
    response.headers["ETag"] = draft_etag(draft.revision)
    return DraftPublic.from_domain(draft)


def _service_spec(body: OnlineServiceIn) -> commands.OnlineServiceSpec:
    return commands.OnlineServiceSpec(
        title=body.title,
        url=body.url,
        description=body.description,
        call_to_action=body.call_to_action,
        fund_urls=body.fund_urls,
    )


@router.post(
    "/nodes",
    summary="Create a theme, subject or motif in the draft",
    status_code=status.HTTP_201_CREATED,
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def create_node(
    body: NodeCreate,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.CreateNode(
        code=body.code,
        label=body.label,
        parent=body.parent,
        position=body.position,
        skill=body.skill,
        response_time_days=body.response_time_days,
        online_service=None if body.online_service is None else _service_spec(body.online_service),
    )
    return await _edit(bus, edit, admin_user, if_match, response)


@router.patch(
    "/nodes/{code}",
    summary="Rename, move or reorder, (de)activate a node, or change a motif's routing",
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def update_node(
    code: CodePath,
    body: NodeUpdate,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.ChangeNode(
        code=code,
        label=body.label,
        parent=body.parent if "parent" in body.model_fields_set else commands.KEEP,
        position=body.position,
        active=body.active,
        skill=body.skill,
        response_time_days=body.response_time_days,
    )
    return await _edit(bus, edit, admin_user, if_match, response)


@router.put(
    "/nodes/{code}/online-service",
    summary="Attach an online service to a node, or change it",
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def put_online_service(
    code: CodePath,
    body: OnlineServiceIn,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.AttachOnlineService(code=code, service=_service_spec(body))
    return await _edit(bus, edit, admin_user, if_match, response)


@router.delete(
    "/nodes/{code}/online-service",
    summary="Remove a node's online service",
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def delete_online_service(
    code: CodePath,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.RemoveOnlineService(code=code)
    return await _edit(bus, edit, admin_user, if_match, response)


@router.put(
    "/nodes/{code}/online-service/fund-urls/{fund}",
    summary="Give a node's online service its address on one fund's site",
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def put_fund_url(
    code: CodePath,
    fund: FundPath,
    body: FundUrlIn,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.SetFundUrl(code=code, fund=fund, url=body.url)
    return await _edit(bus, edit, admin_user, if_match, response)


@router.delete(
    "/nodes/{code}/online-service/fund-urls/{fund}",
    summary="Remove a fund's own address: its members get the default one",
    response_model=NodeEdited,
    responses=_EDIT_ERRORS,
)
async def delete_fund_url(
    code: CodePath,
    fund: FundPath,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> NodeEdited:
    edit = commands.RemoveFundUrl(code=code, fund=fund)
    return await _edit(bus, edit, admin_user, if_match, response)


# ---- publication and history ---------------------------------------------------------------


@router.post(
    "/publish",
    summary="Publish the draft as the next version (and its snapshot event)",
    status_code=status.HTTP_201_CREATED,
    response_model=VersionPublic,
    responses=problem_responses(401, 403, 409, 412),
)
async def publish(
    request: Request,
    admin_user: CurrentAdmin,
    bus: BusDep,
    response: Response,
    if_match: IfMatch = None,
) -> VersionPublic:
    version = await bus.handle(
        commands.Publish(
            published_by=admin_user.subject, expected_revision=draft_revision(if_match)
        )
    )
    root = request.scope.get("root_path", "")
    response.headers["Location"] = f"{root}/admin/versions/{version.number}"
    return VersionPublic.from_domain(version)


@router.get(
    "/versions",
    summary="Published versions, newest first",
    response_model=VersionsPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_versions(
    admin_user: CurrentAdmin,
    bus: BusDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only versions older than this.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> VersionsPublic:
    page = await bus.handle(commands.ListVersions(before=before, limit=limit))
    return VersionsPublic.from_domain(page)


@router.get(
    "/versions/{version}",
    summary="One published version, whole",
    response_model=VersionDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_version(
    version: VersionPath, admin_user: CurrentAdmin, bus: BusDep, response: Response
) -> VersionDetail:
    found = await bus.handle(commands.GetVersion(version=version))
    # A published version never changes.
    response.headers["Cache-Control"] = "private, max-age=3600, immutable"
    return VersionDetail.from_domain(found)


@router.get(
    "/versions/{version}/changes",
    summary="What changed between two versions",
    response_model=ChangesPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_changes(
    version: VersionPath,
    admin_user: CurrentAdmin,
    bus: BusDep,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**31 - 1,
            description="The version to compare with; by default the one before. 0: nothing "
            "(everything counts as added).",
        ),
    ] = None,
) -> ChangesPublic:
    compared = await bus.handle(commands.CompareVersions(version=version, since=since))
    return ChangesPublic.from_domain(compared)
