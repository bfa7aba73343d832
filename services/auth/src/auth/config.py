"""Settings of the auth service; environment variables prefixed ``AUTH_``."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from auth.domain.throttling import ThrottlePolicy
from servicekit.settings import ServiceSettings, local_database_url, shared


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", populate_by_name=True)

    service_name: str = "auth"
    database_url: SecretStr = local_database_url("auth")

    # Tokens and sessions.
    access_token_seconds: int = Field(default=600, ge=60, le=900)
    #: A session ends after this long without a refresh...
    session_idle_seconds: int = 30 * 60
    #: ...and after this long in any case.
    session_max_seconds: int = 12 * 3600
    #: A refresh token presented again this soon after its use, while the token that replaced
    #: it is unused, is another tab refreshing at the same time (answered 409), not a theft.
    refresh_reuse_grace_seconds: int = Field(default=30, ge=0, le=120)
    #: Protects the signing keys' private parts stored in the database.
    signing_key_passphrase: SecretStr = SecretStr("local-signing-key-passphrase-not-for-production")
    #: A new key is published this long before it may sign (verifiers cache the JWKS).
    key_publish_lead_seconds: int = 600
    #: How often each replica reloads the signing keys from the database.
    key_reload_seconds: int = 60

    # Members.
    activation_code_hours: int = 24
    #: An activation code sent by post must outlast the post and the member's mail-checking.
    activation_letter_days: int = Field(default=21, ge=1)
    #: A registration is answered no sooner than this after it arrived, whatever the
    #: registry says: the work of each path fits under it, so timing tells nothing.
    registration_answer_seconds: float = Field(default=0.6, ge=0)
    email_change_code_minutes: int = 30
    code_max_attempts: int = 5
    password_reset_minutes: int = 30
    #: A sensitive change (email, password, deletion, FranceConnect unlinking) without the
    #: current password is accepted within this long of a FranceConnect login.
    reauthentication_seconds: int = Field(default=300, ge=0, le=900)

    # Security trail.
    #: Entries of the trail are kept this long, then deleted by housekeeping.
    security_trail_days: int = Field(default=365, ge=1)
    #: Key of the HMAC that hashes client addresses in the trail (secret: with it, anyone
    #: could test which address made an entry).
    address_hash_secret: SecretStr = SecretStr("local-address-hash-secret-not-for-production")

    # Brute-force defence (see auth.domain.throttling).
    account_free_failures: int = 3
    account_base_delay_seconds: float = 2.0
    account_lock_after: int = 6
    account_lock_seconds: int = 15 * 60
    address_free_failures: int = 10
    address_base_delay_seconds: float = 1.0
    address_lock_after: int = 50
    address_lock_seconds: int = 15 * 60
    # Codes and links emailed on request (activation code renewal, password reset, email
    # change), per member or number typed: one at most every interval, and after
    # ``code_request_max_per_hour`` in a row the next waits an hour.
    code_request_interval_seconds: int = Field(default=60, ge=1)
    code_request_max_per_hour: int = Field(default=3, ge=1)
    #: Accounts one client address may create in an hour: a family or a public counter
    #: registers several people from one address, a script generating numbers does not stop.
    registrations_per_address_per_hour: int = Field(default=20, ge=1)
    #: Peers whose ``X-Forwarded-For`` is believed (the gateway); CIDR notation.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    # Password hashing (argon2id; RFC 9106's second recommended option by default).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4
    #: Hashes computed at once (each takes argon2_memory_kib): bounds the memory of a burst.
    argon2_max_concurrent: int = Field(default=4, ge=1)

    # FranceConnect.
    franceconnect_issuer: str = Field(
        default="http://localhost:9100/api/v2", validation_alias=shared("FRANCECONNECT_ISSUER")
    )
    franceconnect_client_id: str = "mes-messages-local"
    franceconnect_client_secret: SecretStr = SecretStr(
        "local-franceconnect-secret-not-for-production"
    )
    franceconnect_scopes: str = (
        "openid given_name family_name birthdate gender birthplace birthcountry email"
    )
    franceconnect_acr_values: str = "eidas1"
    #: ``acr`` values accepted in the ID token (eIDAS levels at least as high as asked).
    franceconnect_accepted_acr: list[str] = Field(
        default_factory=lambda: ["eidas1", "eidas2", "eidas3"]
    )
    franceconnect_request_seconds: int = 600

    @property
    def api_base_url(self) -> str:
        """This service's public address, through the gateway."""
        return f"{self.public_base_url.rstrip('/')}/api/auth"

    @property
    def franceconnect_redirect_uri(self) -> str:
        return f"{self.api_base_url}/franceconnect/callback"

    @property
    def franceconnect_post_logout_uri(self) -> str:
        return f"{self.api_base_url}/franceconnect/logged-out"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies everywhere but on plain http://localhost."""
        parts = urlsplit(self.public_base_url)
        return not (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"))

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(seconds=self.access_token_seconds)

    def account_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.account_free_failures,
            base_delay=timedelta(seconds=self.account_base_delay_seconds),
            max_delay=timedelta(minutes=2),
            lock_after=self.account_lock_after,
            lock_duration=timedelta(seconds=self.account_lock_seconds),
        )

    def address_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.address_free_failures,
            base_delay=timedelta(seconds=self.address_base_delay_seconds),
            max_delay=timedelta(seconds=30),
            lock_after=self.address_lock_after,
            lock_duration=timedelta(seconds=self.address_lock_seconds),
        )

    def registration_policy(self) -> ThrottlePolicy:
        """Registrations from one address: free up to the hourly allowance, then an hour's wait."""
        return ThrottlePolicy(
            free_failures=self.registrations_per_address_per_hour,
            base_delay=timedelta(0),
            max_delay=timedelta(0),
            lock_after=self.registrations_per_address_per_hour,
            lock_duration=timedelta(hours=1),
            window=timedelta(hours=1),
        )

    def code_request_policy(self) -> ThrottlePolicy:
        """How often a code or link may be emailed: the first request goes at once, each next
        one waits the interval; the last one allowed locks requests for an hour, so that no
        hour ever sees more than ``code_request_max_per_hour`` (requests less than an hour
        apart count as a run)."""
        interval = timedelta(seconds=self.code_request_interval_seconds)
        return ThrottlePolicy(
            free_failures=1,
            base_delay=interval,
            max_delay=interval,
            lock_after=self.code_request_max_per_hour,
            lock_duration=timedelta(hours=1),
            window=timedelta(hours=1),
        )
