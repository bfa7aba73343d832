"""HTTP routes of the catalog service; behind the gateway they live under ``/api/catalog``.

``public``: the published catalog for the member's wizard (anonymous callers welcome);
``admin``: the draft, its publication, and the history (admins only)."""

from __future__ import annotations

from catalog.entrypoints.http.routes.admin import router as admin
from catalog.entrypoints.http.routes.public import router as public

routers = (public, admin)
