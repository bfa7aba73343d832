"""Request and response bodies of the HTTP API, by family: the one description of each
answer, from which the OpenAPI document (and the web apps' types) are generated.

Handlers return domain objects (``messages.domain.views``); each response model maps what
it is built from once, in ``domain_fields``, and FastAPI applies it to what a route returns.
By side: ``member``, ``agent``, ``receipts`` (the proof of deposit); ``common`` the bases."""

from __future__ import annotations

from messages.entrypoints.http.schemas.agent import (
    AccessesPublic,
    AccessPublic,
    AgentMessagePublic,
    AgentThreadChanged,
    AgentThreadDetail,
    AgentThreadPublic,
    AgentThreadsPublic,
    AssignmentCreate,
    CannedRepliesPublic,
    CannedReplyCreate,
    CannedReplyPublic,
    CannedReplyRendered,
    CannedReplyUpdate,
    MemberPublic,
    NoteCreate,
    NotePublic,
    PersonPublic,
    QueueCounts,
    ReplyCreate,
    ReplyCreated,
    WarningPublic,
)
from messages.entrypoints.http.schemas.common import (
    NodePublic,
    PlainText,
    Public,
    RequestBody,
    StatusLabel,
)
from messages.entrypoints.http.schemas.member import (
    AdvisoryPublic,
    FollowUpCreate,
    MessageDraft,
    MessagePrepared,
    MessagePublic,
    OnlineServicePublic,
    Recap,
    ThreadBase,
    ThreadCreate,
    ThreadCreated,
    ThreadDetail,
    ThreadPublic,
    ThreadsPublic,
)
from messages.entrypoints.http.schemas.receipts import (
    ReceiptVerification,
    ReceiptVerify,
)

__all__ = [
    "AccessPublic",
    "AccessesPublic",
    "AdvisoryPublic",
    "AgentMessagePublic",
    "AgentThreadChanged",
    "AgentThreadDetail",
    "AgentThreadPublic",
    "AgentThreadsPublic",
    "AssignmentCreate",
    "CannedRepliesPublic",
    "CannedReplyCreate",
    "CannedReplyPublic",
    "CannedReplyRendered",
    "CannedReplyUpdate",
    "FollowUpCreate",
    "MemberPublic",
    "MessageDraft",
    "MessagePrepared",
    "MessagePublic",
    "NodePublic",
    "NoteCreate",
    "NotePublic",
    "OnlineServicePublic",
    "PersonPublic",
    "PlainText",
    "Public",
    "QueueCounts",
    "Recap",
    "ReceiptVerification",
    "ReceiptVerify",
    "ReplyCreate",
    "ReplyCreated",
    "RequestBody",
    "StatusLabel",
    "ThreadBase",
    "ThreadCreate",
    "ThreadCreated",
    "ThreadDetail",
    "ThreadPublic",
    "ThreadsPublic",
    "WarningPublic",
]
