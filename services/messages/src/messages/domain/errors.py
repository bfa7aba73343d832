"""Domain errors. Each carries a stable code and a French message saying what to do."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something the caller asked cannot be done; ``detail`` is for the person who asked."""

    status = 422

    def __init__(self, code: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extensions = extensions


class InvalidText(DomainError):
    """A message, reply, note or canned reply does not follow the text rules."""


class InvalidChoice(DomainError):
    """Theme, subject or motif unknown or no longer offered."""


class CatalogNotLoaded(DomainError):
    status = 503


class ThreadNotFound(DomainError):
    status = 404


class InvalidTransition(DomainError):
    """The thread is not in a state that allows this action."""

    status = 409


class AlreadyAssigned(DomainError):
    """Another agent already has the thread."""

    status = 409


class IdempotencyConflict(DomainError):
    status = 409


class CannedReplyNotFound(DomainError):
    status = 404


class InvalidCursor(DomainError):
    status = 400


class InvalidReference(DomainError):
    """What was typed as a thread's reference is neither a reference nor its number."""
