"""Settings of the messages service; environment variables prefixed ``MESSAGES_``."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, local_database_url


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MESSAGES_", extra="ignore", populate_by_name=True)

    service_name: str = "messages"
    database_url: SecretStr = local_database_url("messages")

    #: Threads closed more than this many years ago are removed by ``purge-closed``.
    retention_years: int = Field(default=5, ge=1)
    #: How long a sent request's Idempotency-Key is remembered.
    idempotency_retention_hours: int = Field(default=48, ge=1)
    #: How often each replica looks for a catalog snapshot another replica stored.
    catalog_refresh_seconds: float = Field(default=5.0, gt=0)
    #: How often the dashboard's lag (events its projection has not applied) is measured.
    dashboard_lag_refresh_seconds: float = Field(default=5.0, gt=0)
    #: How often the « Demande de précisions » timers (reminder, closing) are looked at.
    follow_up_timers_poll_seconds: float = Field(default=60.0, gt=0)
