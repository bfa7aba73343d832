"""What can go wrong, in domain words. No HTTP here: ``entrypoints/http/errors.py`` maps each
error to its French problem, with what the error carries (who tried, when to retry)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from auth.domain.throttling import Refusal


class AuthError(Exception):
    """Base of the errors handlers raise on purpose."""


class InvalidCredentials(AuthError):
    """Unknown account or wrong password: the answer never says which. ``who`` tried: a
    member (by their number) or an agent (by their email)."""

    def __init__(self, who: Literal["member", "agent"] = "member") -> None:
        super().__init__("invalid credentials")
        self.who = who


class WrongCurrentPassword(AuthError):
    """A password change whose "current password" is not the account's."""


class ReauthenticationRequired(AuthError):
    """A sensitive change sent without the current password, by a session that is not a
    FranceConnect login of the last few minutes."""


class TooManyAttempts(AuthError):
    """A login that comes before ``refusal.retry_at``: it was not checked. ``now`` is when
    it came, to say how long to wait."""

    def __init__(self, refusal: Refusal, now: datetime) -> None:
        super().__init__("too many attempts")
        self.refusal = refusal
        self.now = now


class TooManyRequests(AuthError):
    """A code or link asked for again too soon: nothing is sent before ``refusal.retry_at``."""

    def __init__(self, refusal: Refusal, now: datetime) -> None:
        super().__init__("too many requests")
        self.refusal = refusal
        self.now = now


class AccountNotActivated(AuthError):
    """Right password, but the activation code was never entered."""


class InvalidData(AuthError):
    """Input that passes the schema but not the rules; ``errors`` are ``(field, message)``."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in errors))
        self.errors = errors


class InvalidCode(AuthError):
    """A one-time code that is wrong, expired or used up: ``reason`` says which."""

    def __init__(self, reason: str, attempts_left: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts_left = attempts_left


class InvalidLink(AuthError):
    """A password-reset link, or a pending FranceConnect login, that is unknown, used or
    expired."""


class FranceConnectLoginExpired(AuthError):
    """A FranceConnect confirmation whose browser no longer holds the pending login."""


class InvalidRefreshToken(AuthError):
    """Unknown, expired or revoked refresh token, or its session is over."""


class AlreadyRefreshed(AuthError):
    """A refresh token presented again a moment after it was used, its successor not used
    yet: another tab of the same browser refreshed at the same time. Nothing is issued and
    nothing revoked; the successor (in the browser's cookie already) goes on."""


class CsrfRefused(AuthError):
    """A browser's refresh cookie sent without the session's CSRF token."""


class NotFound(AuthError):
    pass


class Forbidden(AuthError):
    pass


class Conflict(AuthError):
    pass


class AgentEmailTaken(Conflict):
    """Another agent has this email already."""


class FranceConnectIdentityTaken(Conflict):
    """This identity has another account, or this account another identity."""


class FranceConnectRefused(AuthError):
    """The FranceConnect answer was refused; ``code`` goes to the portal's query string."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
