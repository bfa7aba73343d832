"""Settings of the catalog service; environment variables prefixed ``CATALOG_``."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, local_database_url


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", populate_by_name=True)

    service_name: str = "catalog"
    database_url: SecretStr = local_database_url("catalog")
    #: How often the public endpoints ask the database which version is the latest: a
    #: version published elsewhere is served within this delay (0: at every request).
    latest_version_recheck_seconds: float = 1.0
