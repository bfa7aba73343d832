"""The service's domain errors as problem+json answers: one table, installed once on the app."""

from __future__ import annotations

from messages.domain.attachments import (
    AttachmentLocked,
    AttachmentNotFound,
    AttachmentTooLarge,
    AttachmentUnavailable,
)
from messages.domain.dashboard_commands import DashboardFundRefused
from messages.domain.errors import (
    AlreadyAssigned,
    CannedReplyNotFound,
    CatalogNotLoaded,
    IdempotencyConflict,
    InvalidChoice,
    InvalidCursor,
    InvalidReference,
    InvalidText,
    InvalidTransition,
    MessageNotFound,
    MessagesError,
    ThreadNotFound,
    TooManyChecks,
    UnknownAgent,
)
from servicekit.problems import Problem

#: How long a caller waits before asking again while no catalog has arrived.
CATALOG_RETRY_AFTER_SECONDS = 5


def problem_for(error: MessagesError) -> Problem:
    """The problem type is the error's ``code``; its class decides the status."""
    match error:
        case ThreadNotFound() | MessageNotFound() | CannedReplyNotFound():
            status = 404
        case AttachmentNotFound():
            status = 404
        case AttachmentTooLarge():
            status = 413
        case AttachmentUnavailable() | AttachmentLocked():
            status = 409
        case InvalidTransition() | AlreadyAssigned() | IdempotencyConflict():
            status = 409
        case InvalidCursor():
            status = 400
        case DashboardFundRefused():
            status = 403
        case TooManyChecks():
            return Problem(
                429,
                error.code,
                error.detail,
                headers={"Retry-After": str(error.extensions["retry_after"])},
                **error.extensions,
            )
        case CatalogNotLoaded():
            return Problem(
                503,
                error.code,
                error.detail,
                headers={"Retry-After": str(CATALOG_RETRY_AFTER_SECONDS)},
                **error.extensions,
            )
        case InvalidText() | InvalidChoice() | InvalidReference() | UnknownAgent():
            status = 422
        case _:
            status = 422
    return Problem(status, error.code, error.detail, **error.extensions)
