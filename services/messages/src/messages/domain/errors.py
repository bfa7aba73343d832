"""Domain errors. Each carries a stable code and a French message saying what to do.

They say nothing of HTTP: ``entrypoints/http/errors.py`` maps them to problem types."""

from __future__ import annotations

from typing import Any


class MessagesError(Exception):
    """Something the caller asked cannot be done; ``detail`` is for the person who asked."""

    def __init__(self, code: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extensions = extensions


class InvalidText(MessagesError):
    """A message, reply, note or canned reply does not follow the text rules."""


class InvalidChoice(MessagesError):
    """Theme, subject or motif unknown or no longer offered."""


class CatalogNotLoaded(MessagesError):
    """No catalog snapshot has arrived yet: choices cannot be checked."""


class ThreadNotFound(MessagesError):
    """No such thread, or not the caller's (never a hint that it exists)."""


class InvalidTransition(MessagesError):
    """The thread is not in a state that allows this action."""


class AlreadyAssigned(MessagesError):
    """Another agent already has the thread."""


class UnknownAgent(MessagesError):
    """The directory of agents does not list this agent as active in the thread's fund."""


class IdempotencyConflict(MessagesError):
    """An Idempotency-Key already used for another request."""


class CannedReplyNotFound(MessagesError):
    """No such canned reply in the caller's fund."""


class InvalidCursor(MessagesError):
    """A page cursor the service did not give (or no longer understands)."""


class InvalidReference(MessagesError):
    """What was typed as a thread's reference is neither a reference nor its number."""


class TooManyChecks(MessagesError):
    """This client address checked too many proofs of deposit: ``retry_after`` seconds."""


class MessageNotFound(MessagesError):
    """No such message of the member's in that thread (a reply has no proof of deposit)."""
