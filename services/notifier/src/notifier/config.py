"""Settings of the notifier service; environment variables prefixed ``NOTIFIER_``.

The SMTP server may also be given by the unprefixed ``SMTP_HOST``, ``SMTP_PORT``...
(what the local stack and the deployment manifests pass); the prefixed name wins when
both are set.
"""

from __future__ import annotations

from email.headerregistry import Address
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from contracts import ALL_TOPICS
from servicekit.settings import ServiceSettings, local_database_url


def _smtp(name: str) -> AliasChoices:
    """Read from ``NOTIFIER_SMTP_<NAME>``, else from the shared ``SMTP_<NAME>``."""
    return AliasChoices(f"notifier_smtp_{name}", f"smtp_{name}")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", populate_by_name=True)

    service_name: str = "notifier"
    database_url: SecretStr = local_database_url("notifier")

    # --- SMTP
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_smtp("host"))
    smtp_port: int = Field(default=1025, ge=1, le=65535, validation_alias=_smtp("port"))
    #: Upgrade the connection with STARTTLS (required when true).
    smtp_starttls: bool = Field(default=False, validation_alias=_smtp("starttls"))
    #: Connect over TLS from the start (usually port 465); exclusive with STARTTLS.
    smtp_tls: bool = Field(default=False, validation_alias=_smtp("tls"))
    smtp_validate_certs: bool = Field(default=True, validation_alias=_smtp("validate_certs"))
    smtp_username: str | None = Field(default=None, validation_alias=_smtp("username"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=_smtp("password"))
    #: Seconds for connecting and for each SMTP command.
    smtp_timeout: float = Field(default=15.0, gt=0, validation_alias=_smtp("timeout"))
    #: SMTP connections kept open and reused; that many emails are sent at once.
    smtp_pool_size: int = Field(default=4, ge=1, le=64, validation_alias=_smtp("pool_size"))

    # --- What the emails say about their sender
    mail_sender_address: str = "ne-pas-repondre@msa.example"
    mail_sender_name: str = "MSA — Mes messages et mes réponses"
    #: Right-hand side of the Message-ID; the sender's domain when empty.
    mail_domain: str = ""

    # --- Delivery
    #: Transient failures (4xx, connection refused, timeout) are retried after a random
    #: delay up to base·2^(n-1) seconds, never more than the cap ("full jitter")...
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_cap_seconds: float = Field(default=3600.0, gt=0)
    #: ...and dead-lettered after this many failures in a row.
    retry_max_attempts: int = Field(default=25, ge=1)
    #: How long an email waits for the member's contact (the contact event is late).
    contact_wait_seconds: float = Field(default=24 * 3600.0, gt=0)
    #: A delivery left "sending" this long (the process died during the SMTP
    #: transaction, before recording its outcome) is tried again, with the same Message-ID.
    sending_lease_seconds: float = Field(default=300.0, gt=0)
    #: Deliveries in flight at once in one process.
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)
    #: The worker also looks for due deliveries this often (it is woken at once on new ones).
    delivery_poll_interval_seconds: float = Field(default=1.0, gt=0)
    #: On shutdown, emails in flight get this long to finish and be recorded.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)

    # --- Unsubscribe links
    #: Signs the tokens of the unsubscribe links in thread emails (HMAC-SHA256). Changing it
    #: invalidates the links of every email already sent. At least 32 characters; a service
    #: outside the local and test environments refuses to start with this local default.
    unsubscribe_secret: SecretStr = SecretStr("local-only-unsubscribe-secret-not-for-production")

    #: Version of the contact projection: bump it in a deployment to rebuild the projection
    #: from the beginning of the compacted contact topic (a new consumer group).
    contact_projection_version: int = Field(default=1, ge=1)

    # --- Retention
    #: Deliveries (sent, dead or skipped) created longer ago than this are deleted.
    delivery_retention_days: int = Field(default=400, ge=1)
    #: Ids of the events already handled are forgotten after this many days: longer than
    #: any consumed topic keeps its records, so a redelivered event is still recognised.
    processed_event_retention_days: int = Field(default=30, ge=1)
    #: How often each replica deletes what is past its retention (also once at start).
    retention_sweep_interval_seconds: float = Field(default=3600.0, gt=0)
    #: The outgoing mail: where postal letters (PDF) are dropped for printing and posting.
    letters_dir: Path = Path(".devstack/letters")

    @field_validator("mail_sender_address")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        Address(addr_spec=value)
        if "@" not in value:
            raise ValueError("the sender address needs a domain")
        return value

    @field_validator("unsubscribe_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("NOTIFIER_UNSUBSCRIBE_SECRET needs at least 32 characters")
        return value

    @field_validator("processed_event_retention_days")
    @classmethod
    def _outlives_the_topics(cls, value: int) -> int:
        longest = max(
            topic.retention_ms
            for topic in ALL_TOPICS
            if "notifier" in topic.consumers and topic.cleanup_policy == "delete"
        )
        if value * 24 * 3600 * 1000 <= longest:
            raise ValueError(
                "NOTIFIER_PROCESSED_EVENT_RETENTION_DAYS must be longer than the retention of "
                f"the topics the notifier consumes ({longest // (24 * 3600 * 1000)} days), or "
                "a redelivered event would send its email again"
            )
        return value

    @property
    def message_id_domain(self) -> str:
        return self.mail_domain or self.mail_sender_address.rpartition("@")[2]

    @property
    def sender(self) -> Address:
        return Address(display_name=self.mail_sender_name, addr_spec=self.mail_sender_address)
