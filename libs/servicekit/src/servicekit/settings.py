"""Settings every service shares. Each service subclasses ``ServiceSettings`` with its prefix.

Values come from the environment. Settings that every service reads the same way
(``ENVIRONMENT``, ``KAFKA_BOOTSTRAP_SERVERS``, ``PUBLIC_BASE_URL``...) carry no prefix; the
others carry the service's prefix (``MESSAGES_DATABASE_URL``).
"""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["local", "test", "staging", "production"]

#: Environments where the defaults baked into the code (local secrets) are acceptable.
LOCAL_ENVIRONMENTS: frozenset[str] = frozenset({"local", "test"})

LOCAL_DATABASE_URL = "postgresql+asyncpg://{service}:{service}@127.0.0.1:15432/{service}"


def shared(name: str) -> AliasChoices:
    """A setting read from one unprefixed environment variable, the same for every service."""
    return AliasChoices(name)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    #: Name of the service, for logs, metrics, consumer groups and event ``producer``.
    service_name: str = "service"

    #: No default: a deployment that forgets it must not start as "local" (where the coded
    #: local secrets are accepted). The local stack, ``make`` and the tests set it.
    environment: Environment = Field(validation_alias=shared("ENVIRONMENT"))
    log_level: str = Field(default="INFO", validation_alias=shared("LOG_LEVEL"))
    log_format: Literal["json", "console"] = Field(
        default="json", validation_alias=shared("LOG_FORMAT")
    )

    #: Each service defaults it to ``local_database_url(<service>)``.
    database_url: SecretStr = SecretStr("")
    #: Connections kept open: enough for ``max_requests_in_flight`` requests and the
    #: service's consumers and workers at once, so that a full load opens none (a connection
    #: past the pool's size, its overflow, is closed as soon as it is returned: under a load
    #: above the pool it is opened again and again, each time a PostgreSQL process forked, an
    #: authentication and the statements prepared again). As many again may open for a burst.
    database_pool_size: int = 28
    #: Past these a request answers 503 (the database is away, frozen or saturated) instead
    #: of waiting: opening a connection, waiting for one from the pool, running a statement.
    database_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    database_statement_timeout_seconds: float = Field(default=5.0, gt=0)
    #: A pooled connection idle for longer is checked for life before it is handed out
    #: (``servicekit.db.ping_when_idle``); one in constant use is not.
    database_ping_after_idle_seconds: float = Field(default=5.0, ge=0)
    #: All the database waits of one HTTP request (connections, statements), however many
    #: units of work it opens (``servicekit.deadlines``): past it, a 503 within 5 s in all.
    database_request_timeout_seconds: float = Field(default=4.5, gt=0)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    #: Prepended to every topic name; lets several stacks (or test runs) share one cluster.
    kafka_topic_prefix: str = Field(default="", validation_alias=shared("KAFKA_TOPIC_PREFIX"))
    #: How long a Kafka request (a send, a metadata lookup) may take before it fails.
    kafka_request_timeout_ms: int = Field(
        default=15000, ge=1000, validation_alias=shared("KAFKA_REQUEST_TIMEOUT_MS")
    )
    #: Prepended to every consumer group id, for the same reason.
    kafka_group_prefix: str = Field(default="", validation_alias=shared("KAFKA_GROUP_PREFIX"))
    #: This instance's name in its consumer groups (static membership): started again under
    #: the same name, it takes its partitions back at once. Unique per running instance (a
    #: pod's name); empty: a new member each start (``servicekit.kafka.group_instance_id``).
    kafka_group_instance_id: str = Field(
        default="", validation_alias=shared("KAFKA_GROUP_INSTANCE_ID")
    )

    #: How the services reach Kafka: PLAINTEXT locally; TLS (SSL) and SASL (SCRAM) in clusters.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", validation_alias=shared("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", validation_alias=shared("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str = Field(default="", validation_alias=shared("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=shared("KAFKA_SASL_PASSWORD")
    )
    #: CA bundle that signed the brokers' certificates (the system's when empty).
    kafka_ssl_cafile: str = Field(default="", validation_alias=shared("KAFKA_SSL_CAFILE"))

    #: Where tokens are verified: the auth service's JWKS and the issuer and audience it signs.
    auth_jwks_url: str = Field(
        default="http://127.0.0.1:8101/.well-known/jwks.json",
        validation_alias=shared("AUTH_JWKS_URL"),
    )
    auth_issuer: str = Field(
        default="http://localhost:8080/api/auth", validation_alias=shared("AUTH_ISSUER")
    )
    #: Public address of the gateway: links in emails and redirects are built from it.
    public_base_url: str = Field(
        default="http://localhost:8080", validation_alias=shared("PUBLIC_BASE_URL")
    )

    #: Requests served at once; more wait in a line of at most ``max_requests_queued``, each
    #: for at most ``max_queue_wait_seconds``, and past either are answered 503 at once
    #: (``servicekit.shedding``). The line absorbs the service's short pauses, not a load
    #: above its capacity: a second of it at most, the time a client is asked to wait.
    max_requests_in_flight: int = Field(default=20, ge=1)
    max_requests_queued: int = Field(default=40, ge=0)
    max_queue_wait_seconds: float = Field(default=1.0, gt=0)

    outbox_poll_interval_seconds: float = 1.0
    outbox_batch_size: int = 200
    #: Kafka records a batch consumer applies in one transaction and one offset commit, at
    #: most (what one poll returns; 1: one at a time). Consumers opt in: their handlers must
    #: not leave two deferred writes to one row in a transaction (``servicekit.db.Writes``).
    consumer_batch_size: int = Field(default=100, ge=1, le=1000)

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies (and their ``__Host-`` / ``__Secure-`` names) everywhere but on
        plain http://localhost, where a browser or a test client would not send them back."""
        parts = urlsplit(self.public_base_url)
        return not (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"))

    @model_validator(mode="after")
    def _no_local_secrets_outside_local(self) -> Self:
        """Outside local and test, a secret left at its coded default is a mistake."""
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are needed with SASL")
        if self.environment in LOCAL_ENVIRONMENTS:
            return self
        offending = [
            name
            for name, field in type(self).model_fields.items()
            if isinstance(field.default, SecretStr)
            and field.default.get_secret_value()
            and getattr(self, name) == field.default
        ]
        if offending:
            raise ValueError(
                f"{', '.join(sorted(offending))} keep their local default in environment "
                f"{self.environment!r}: set them from a secret"
            )
        return self


def local_database_url(service: str) -> SecretStr:
    """The local stack's database of a service: the default of its ``DATABASE_URL``."""
    return SecretStr(LOCAL_DATABASE_URL.format(service=service))
