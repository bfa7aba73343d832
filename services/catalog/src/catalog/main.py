"""The catalog service's application: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from catalog.config import Settings
from catalog.domain.errors import CatalogError
from catalog.entrypoints.http import routes
from catalog.entrypoints.http.errors import problem_for
from catalog.entrypoints.http.routes.public import RenderedTrees
from catalog.service_layer.handlers import HANDLERS
from catalog.service_layer.published import LatestVersion
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import Clock, SystemClock
from servicekit.http import create_service_app
from servicekit.problems import install_domain_errors
from servicekit.runtime import ServiceRuntime

OPENAPI_TAGS = [
    {
        "name": "catalog",
        "description": "Public: the published catalog for the member's wizard. Anonymous "
        "callers are welcome; answers carry an ETag and may be cached.",
    },
    {
        "name": "admin",
        "description": "Admins only (role admin): edit the draft, publish it as a new version, "
        "read the history.",
    },
]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(settings)
    # Tokens of sessions ended before their time are refused (auth.revocations.v1).
    runtime.refuse_revoked_sessions()

    def unit_of_work() -> CatalogUnitOfWork:
        return CatalogUnitOfWork(runtime.sessions, producer=settings.service_name)

    bus = bootstrap(
        HANDLERS,
        uow=unit_of_work,
        clock=clock,
        latest_version=LatestVersion(
            runtime.sessions,
            clock=clock,
            recheck_seconds=settings.latest_version_recheck_seconds,
        ),
    )
    app = create_service_app(
        runtime,
        title="Catalog",
        description="Themes, subjects, motifs and online services, versioned and published "
        "as events (`catalog.snapshot.v1`).",
        routers=routes.routers,
        openapi_tags=OPENAPI_TAGS,
        extra_state={"bus": bus, "rendered_trees": RenderedTrees()},
    )
    install_domain_errors(app, CatalogError, problem_for)
    return app
