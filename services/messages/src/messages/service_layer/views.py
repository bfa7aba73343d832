"""What the HTTP API returns, as plain JSON-ready dictionaries.

Built in the service layer because idempotent requests store their response with the
change they made, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from messages.domain.model import Message, Thread


def node(code: str, label: str) -> dict[str, str]:
    return {"code": code, "label": label}


def thread_summary(thread: Thread) -> dict[str, Any]:
    return {
        "id": str(thread.id),
        "reference": thread.reference,
        "theme": node(thread.theme.code, thread.theme.label),
        "subject": node(thread.subject.code, thread.subject.label),
        "motif": node(thread.motif.code, thread.motif.label),
        "status": thread.status.value,
        "status_label": thread.status.label,
        "created_at": thread.created_at.isoformat(),
        "last_activity_at": thread.last_activity_at.isoformat(),
        "due_date": thread.due_date.isoformat(),
    }


def member_thread_summary(thread: Thread) -> dict[str, Any]:
    return thread_summary(thread) | {"unread_replies": thread.unread_replies}


def agent_thread_summary(thread: Thread) -> dict[str, Any]:
    return thread_summary(thread) | {
        "fund": thread.fund,
        "member": {
            "id": str(thread.member_id),
            "given_name": thread.member_given_name,
            "family_name": thread.member_family_name,
        },
        "skill": thread.skill,
        "assignee": (
            {"id": str(thread.assignee_id), "name": thread.assignee_name}
            if thread.assignee_id is not None
            else None
        ),
        "assigned_at": thread.assigned_at.isoformat() if thread.assigned_at else None,
        "closed_at": thread.closed_at.isoformat() if thread.closed_at else None,
        "last_consulted_by_fund_at": (
            thread.last_consulted_by_fund_at.isoformat()
            if thread.last_consulted_by_fund_at
            else None
        ),
    }


def message_view(message: Message, *, for_agent: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(message.id),
        "kind": "message" if message.author_kind == "member" else "reply",
        "text": message.body,
        "created_at": message.created_at.isoformat(),
        "follow_up": message.follow_up,
        "read_at": message.read_at.isoformat() if message.read_at else None,
    }
    if for_agent:
        view["author"] = {"id": str(message.author_id), "name": message.author_name}
        view["canned_reply_id"] = str(message.canned_reply_id) if message.canned_reply_id else None
    return view


def submission_receipt(thread: Thread, message: Message) -> dict[str, Any]:
    return thread_summary(thread) | {
        "thread_id": str(thread.id),
        "message_id": str(message.id),
        "submitted_at": message.created_at.isoformat(),
        "follow_up": message.follow_up,
    }


def reply_receipt(thread: Thread, reply: Message) -> dict[str, Any]:
    return agent_thread_summary(thread) | {
        "thread_id": str(thread.id),
        "reply": message_view(reply, for_agent=True),
    }


def note_view(note: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": str(note["id"]),
        "text": note["body"],
        "author": {"id": str(note["author_id"]), "name": note["author_name"]},
        "created_at": note["created_at"].isoformat(),
    }


def canned_reply_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "title": row["title"],
        "body": row["body"],
        "updated_at": row["updated_at"].isoformat(),
        "updated_by": row["updated_by_name"],
    }


def access_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "thread_id": str(row["thread_id"]),
        "reference": row["reference"],
        "agent": {"id": str(row["agent_id"]), "name": row["agent_name"]},
        "accessed_at": row["accessed_at"].isoformat(),
    }
