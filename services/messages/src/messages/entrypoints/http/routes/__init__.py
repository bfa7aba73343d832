"""HTTP routes of the messages service: the member's side, the proof of deposit, then the
agents' side.

The gateway serves them under ``/api/messages``; they are declared without that prefix.
Each route turns the request into a command and returns what the bus answers; the route's
``response_model`` (``schemas``) describes, and writes, the answer."""

from __future__ import annotations

from fastapi import APIRouter

from messages.entrypoints.http.routes import (
    agent,
    attachments,
    dashboard,
    follow_ups,
    member,
    receipts,
)

router = APIRouter()
router.include_router(member.router)
router.include_router(follow_ups.router)
router.include_router(receipts.router)
router.include_router(agent.router)
router.include_router(attachments.router)
router.include_router(dashboard.router)
