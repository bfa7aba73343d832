"""The messages service's application: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from messages.config import Settings
from messages.entrypoints.http import routes
from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    return create_service_app(
        runtime,
        title="Messages",
        description="The members' threads and the agents' queue: \"Mes messages et mes réponses\".",
        routers=[routes.router],
    )
