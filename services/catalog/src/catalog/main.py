"""The catalog service's application: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from catalog.config import Settings
from catalog.entrypoints.http import routes
from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    return create_service_app(
        runtime,
        title="Catalog",
        description="Themes, subjects, motifs and online services, versioned and published as events.",
        routers=[routes.router],
    )
