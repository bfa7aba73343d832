"""Settings of the messages service; environment variables prefixed ``MESSAGES_``."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, local_database_url
from servicekit.throttling import ThrottlePolicy


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

    # Attachments: an S3-compatible object storage (path-style requests, AWS Signature V4)
    # and ClamAV's clamd. Locally the devstack's s3proxy and clamd.
    #: The object storage's endpoint (``https://s3.<region>.<provider>``).
    object_storage_endpoint: str = "http://127.0.0.1:8105"
    #: One bucket per environment; locally created by ``setup-local`` and the tests.
    object_storage_bucket: str = "mes-messages-local"
    object_storage_region: str = "us-east-1"
    object_storage_access_key: str = "local-identity"
    object_storage_secret_key: SecretStr = SecretStr("local-credential")
    #: clamd: ``tcp://host:port`` or ``unix:///path/to/clamd.ctl``.
    clamd_address: str = "tcp://127.0.0.1:8106"
    #: How often uploads never sent (after 24 hours) and files of deleted threads are removed.
    attachments_cleanup_poll_seconds: float = Field(default=600.0, gt=0)
    #: How often the dashboard's lag (events its projection has not applied) is measured.
    dashboard_lag_refresh_seconds: float = Field(default=5.0, gt=0)
    #: How often the « Demande de précisions » timers (reminder, closing) are looked at.
    follow_up_timers_poll_seconds: float = Field(default=60.0, gt=0)
    #: The public check of a proof of deposit, per client address: this many checks free in
    #: ``receipt_check_window_minutes``, then each waits twice as long as the one before (from
    #: a second, at most a minute), and after ``receipt_check_lock_after`` the address waits
    #: ``receipt_check_lock_minutes``.
    receipt_check_free: int = Field(default=20, ge=1)
    receipt_check_lock_after: int = Field(default=60, ge=2)
    receipt_check_lock_minutes: int = Field(default=15, ge=1)
    receipt_check_window_minutes: int = Field(default=10, ge=1)
    #: Proxies whose ``X-Forwarded-For`` is believed (the gateway), as CIDR networks.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    def receipt_check_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.receipt_check_free,
            base_delay=timedelta(seconds=1),
            max_delay=timedelta(minutes=1),
            lock_after=self.receipt_check_lock_after,
            lock_duration=timedelta(minutes=self.receipt_check_lock_minutes),
            window=timedelta(minutes=self.receipt_check_window_minutes),
        )
