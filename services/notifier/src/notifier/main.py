"""The notifier service's application: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from notifier.config import Settings
from notifier.entrypoints.http import routes
from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    return create_service_app(
        runtime,
        title="Notifier",
        description="Confirmation and reply-available emails, exactly once, from Kafka events.",
        routers=[routes.router],
    )
