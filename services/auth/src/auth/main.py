"""The auth service's application: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from auth.config import Settings
from auth.entrypoints.http import routes
from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    return create_service_app(
        runtime,
        title="Auth",
        description="Identities of members and agents; issues the access tokens every service verifies.",
        routers=[routes.router],
    )
