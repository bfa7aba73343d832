"""The latest published version, read for the member's wizard (no database write)."""

from __future__ import annotations

from catalog.domain import commands
from catalog.domain.errors import NodeNotFound, NodeNotOffered, NotPublishedYet, UnknownFund
from catalog.domain.versions import Version
from catalog.domain.views import PublishedNode, PublishedTree
from catalog.service_layer.published import LatestVersion
from contracts import all_funds


async def _latest(latest_version: LatestVersion) -> Version:
    version = await latest_version.get()
    if version is None:
        raise NotPublishedYet()
    return version


def _fund_for(caller_fund: str | None, asked_fund: str | None) -> str | None:
    """Whose online-service addresses to show: a signed-in caller's own fund (when it is a
    known one), whatever they ask; an anonymous visitor's choice, which must be a fund."""
    if caller_fund is not None:
        return caller_fund if caller_fund in all_funds() else None
    if asked_fund is not None and asked_fund not in all_funds():
        raise UnknownFund(asked_fund)
    return asked_fund


async def get_tree(cmd: commands.GetTree, *, latest_version: LatestVersion) -> PublishedTree:
    version = await _latest(latest_version)
    return PublishedTree(version=version, fund=_fund_for(cmd.caller_fund, cmd.asked_fund))


async def get_branch(cmd: commands.GetBranch, *, latest_version: LatestVersion) -> PublishedNode:
    version = await _latest(latest_version)
    located = version.index.get(cmd.code)
    if located is None:
        raise NodeNotFound(cmd.code)
    if not located.selectable:
        raise NodeNotOffered(cmd.code, located.node.label)
    fund = _fund_for(cmd.caller_fund, cmd.asked_fund)
    return PublishedNode(version=version, fund=fund, located=located)


async def get_node(cmd: commands.GetNode, *, latest_version: LatestVersion) -> PublishedNode:
    version = await _latest(latest_version)
    located = version.index.get(cmd.code)
    if located is None:
        raise NodeNotFound(cmd.code)
    fund = _fund_for(cmd.caller_fund, cmd.asked_fund)
    return PublishedNode(version=version, fund=fund, located=located)
