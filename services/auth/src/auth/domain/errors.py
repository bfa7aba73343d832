"""What can go wrong, in domain words; the HTTP layer turns each into a French problem."""

from __future__ import annotations

from auth.domain.throttling import Refusal


class AuthError(Exception):
    """Base of the errors handlers raise on purpose."""


class InvalidCredentials(AuthError):
    """Unknown account or wrong password: the answer never says which."""


class TooManyAttempts(AuthError):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__("too many attempts")
        self.refusal = refusal


class TooManyRequests(AuthError):
    """A code or link asked for again too soon: nothing is sent before ``refusal.retry_at``."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__("too many requests")
        self.refusal = refusal


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
    """A password-reset link that is unknown, used or expired."""


class InvalidRefreshToken(AuthError):
    """Unknown, expired or revoked refresh token, or its session is over."""


class AlreadyRefreshed(AuthError):
    """A refresh token presented again a moment after it was used, its successor not used
    yet: another tab of the same browser refreshed at the same time. Nothing is issued and
    nothing revoked; the successor (in the browser's cookie already) goes on."""


class NotFound(AuthError):
    pass


class Forbidden(AuthError):
    pass


class Conflict(AuthError):
    pass


class FranceConnectRefused(AuthError):
    """The FranceConnect answer was refused; ``code`` goes to the portal's query string."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
