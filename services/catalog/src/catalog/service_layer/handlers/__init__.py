"""The catalog's use cases, one module per subject. Every handler takes its command first and
its dependencies by keyword (``uow``: a unit-of-work factory, ``clock``, ``latest_version``);
``HANDLERS`` is what ``create_app`` binds to them with ``servicekit.bus.bootstrap``."""

from __future__ import annotations

from catalog.service_layer.handlers.draft import (
    edit_draft,
    get_draft,
    load_reference,
    publish,
)
from catalog.service_layer.handlers.public import get_branch, get_node, get_tree
from catalog.service_layer.handlers.versions import (
    compare_versions,
    get_version,
    list_versions,
)
from servicekit.bus import Handler

HANDLERS: tuple[Handler, ...] = (
    edit_draft,
    publish,
    load_reference,
    get_draft,
    list_versions,
    get_version,
    compare_versions,
    get_tree,
    get_branch,
    get_node,
)

__all__ = [
    "HANDLERS",
    "compare_versions",
    "edit_draft",
    "get_branch",
    "get_draft",
    "get_node",
    "get_tree",
    "get_version",
    "list_versions",
    "load_reference",
    "publish",
]
