"""Events as producers really serialise them, checked against the COMMITTED documents.

The schema files under ``contracts/schemas/`` and ``contracts/asyncapi.yaml`` are what other
teams and tools read; these tests hold every event's JSON to those files as they are on disk
(not to a schema generated again from the same models), so a model changed without
regenerating the documents, or a document edited by hand, fails here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import yaml

from contracts.envelope import Event
from contracts.events.agents import AgentChanged
from contracts.events.attachments import AttachmentScanned, AttachmentUploaded
from contracts.events.auth import (
    AccountChanged,
    AccountLocked,
    ActivationCodeIssued,
    AgentAccountChanged,
    AgentPasswordResetRequested,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    MemberContactChanged,
    PasswordResetRequested,
)
from contracts.events.catalog import CatalogPublished, Motif, OnlineService, Subject, Theme
from contracts.events.common import CatalogNode
from contracts.events.dead_letter import EventDeadLettered
from contracts.events.messages import (
    DetailsProvided,
    DetailsReminderDue,
    DetailsRequested,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from contracts.events.registry import (
    ActivationLetterRequested,
    InsuredPersonRegistered,
    PostalAddress,
)
from contracts.events.security import SecurityEventRecorded, SessionRevoked
from contracts.generate import ASYNCAPI_PATH, SCHEMAS_DIR, all_events

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
MEMBER = {"member_id": uuid.uuid4(), "fund": "NPC", "given_name": "Camille"}
CONTACT = MEMBER | {"email": "camille.martin@example.fr"}
THEME = CatalogNode(code="famille", label="Famille, Allocations familiales, aides au logement")
SUBJECT = CatalogNode(code="famille.allocations", label="Allocations familiales")
MOTIF = CatalogNode(code="famille.allocations.changement", label="Mon changement de situation")
THREAD = {
    "thread_id": uuid.uuid4(),
    "reference": "NPC-2026-000123",
    "member_id": MEMBER["member_id"],
    "fund": "NPC",
    "theme": THEME,
    "subject": SUBJECT,
    "motif": MOTIF,
}

ADDRESS = PostalAddress(lines=["12 rue des Tilleuls"], postal_code="59000", city="LILLE")

#: The thread fields of the events that do not repeat the catalog nodes.
_THREAD_IDS = {key: THREAD[key] for key in ("thread_id", "reference", "member_id", "fund")}


def _catalog() -> dict[str, Any]:
    service = OnlineService(
        title="Déclarer un changement de situation",
        url="https://www.msa.fr/lfp/changement-de-situation",
        fund_urls={"NPC": "https://nord-pasdecalais.msa.fr/lfp/changement-de-situation"},
        call_to_action="J'utilise le service en ligne",
    )
    motif = Motif(
        code=MOTIF.code,
        label=MOTIF.label,
        order=1,
        active=True,
        skill="famille",
        response_time_days=10,
        online_service=service,
    )
    subject = Subject(code=SUBJECT.code, label=SUBJECT.label, order=1, active=True, motifs=(motif,))
    theme = Theme(code=THEME.code, label=THEME.label, order=1, active=True, subjects=(subject,))
    return {"version": 3, "published_at": NOW, "themes": (theme,)}


#: One realistic example of every event, as its producer builds it.
EXAMPLES: dict[type[Event], Callable[[], dict[str, Any]]] = {
    MemberContactChanged: lambda: CONTACT | {"family_name": "MARTIN"},
    ActivationCodeIssued: lambda: CONTACT | {"code": "482913", "expires_at": NOW},
    PasswordResetRequested: lambda: CONTACT | {"reset_token": "x" * 43, "expires_at": NOW},
    AccountLocked: lambda: CONTACT | {"locked_until": NOW + timedelta(minutes=15)},
    EmailChangeCodeIssued: lambda: CONTACT | {"code": "120934", "expires_at": NOW},
    FranceConnectLinked: lambda: CONTACT | {"linked_at": NOW, "confirmed_by": "identity"},
    InsuredPersonRegistered: lambda: {
        "nir": "1800359350123",
        "fund": "NPC",
        "birth_date": date(1980, 3, 15),
        "family_name": "DURAND",
        "given_names": ["Paul", "Henri"],
        "birthplace": "59350",
        "address": ADDRESS,
    },
    ActivationLetterRequested: lambda: {
        "member_id": MEMBER["member_id"],
        "fund": "NPC",
        "recipient": "Paul Henri DURAND",
        "address": ADDRESS,
        "code": "482913",
        "expires_at": NOW,
    },
    CatalogPublished: _catalog,
    MessageSubmitted: lambda: (
        THREAD
        | {
            "message_id": uuid.uuid4(),
            "submitted_at": NOW,
            "due_date": date(2026, 12, 17),
            "follow_up": False,
        }
    ),
    ReplyPosted: lambda: THREAD | {"reply_id": uuid.uuid4(), "posted_at": NOW},
    AttachmentUploaded: lambda: {
        "attachment_id": uuid.uuid4(),
        "fund": "NPC",
        "uploader_kind": "member",
        "media_type": "application/pdf",
        "size": 482133,
        "uploaded_at": NOW,
    },
    AttachmentScanned: lambda: {
        "attachment_id": uuid.uuid4(),
        "fund": "NPC",
        "thread_id": uuid.uuid4(),
        "verdict": "infected",
        "scanned_at": NOW,
    },
    AgentChanged: lambda: {
        "agent_id": uuid.uuid4(),
        "fund": "NPC",
        "given_name": "Sophie",
        "family_name": "BERNARD",
        "role": "agent",
        "skills": ["famille", "sante"],
        "active": True,
    },
    AccountChanged: lambda: (
        CONTACT
        | {
            "change": "email_changed",
            "changed_at": NOW,
            "new_email": "camille.nouvelle@example.fr",
        }
    ),
    AgentPasswordResetRequested: lambda: {
        "agent_id": uuid.uuid4(),
        "fund": "NPC",
        "email": "agent.npc@msa.example",
        "given_name": "Hugo",
        "reset_token": "Qm8t2Lw4-exemple-de-jeton",
        "expires_at": NOW + timedelta(minutes=30),
    },
    AgentAccountChanged: lambda: {
        "agent_id": uuid.uuid4(),
        "fund": "NPC",
        "email": "agent.npc@msa.example",
        "given_name": "Hugo",
        "change": "password_changed",
        "changed_at": NOW,
    },
    SecurityEventRecorded: lambda: {
        "kind": "login_failed",
        "outcome": "failure",
        "fund": "NPC",
        "subject_kind": "member",
        "subject_id": MEMBER["member_id"],
        "subject_label": "2*********111",
        "actor_kind": "member",
        "actor_id": MEMBER["member_id"],
        "actor_label": "2*********111",
        "address_hash": "3f1c0a9e5b7d2c4e6a8b0d1f2e3c4b5a",
        "method": "password",
    },
    SessionRevoked: lambda: {
        "session_id": uuid.uuid4(),
        "subject_id": MEMBER["member_id"],
        "kind": "member",
        "reason": "logout",
        "revoked_at": NOW,
        "tokens_expire_by": NOW + timedelta(minutes=11),
    },
    ReplyNotUnderstood: lambda: (
        THREAD
        | {
            "reply_id": uuid.uuid4(),
            "follow_up_message_id": uuid.uuid4(),
            "assigned_agent_id": uuid.uuid4(),
            "due_date": date(2026, 12, 7),
        }
    ),
    DetailsRequested: lambda: (
        THREAD
        | {
            "reply_id": uuid.uuid4(),
            "requested_at": NOW,
            "reminder_on": date(2026, 12, 13),
            "closes_on": date(2027, 1, 2),
        }
    ),
    DetailsProvided: lambda: {
        **_THREAD_IDS,
        "message_id": uuid.uuid4(),
        "provided_at": NOW,
        "due_date": date(2026, 12, 15),
    },
    DetailsReminderDue: lambda: {
        **_THREAD_IDS,
        "requested_at": NOW - timedelta(days=10),
        "closes_on": date(2027, 1, 2),
    },
    ThreadClosedUnanswered: lambda: {**_THREAD_IDS, "closed_at": NOW},
    ThreadClosed: lambda: {**_THREAD_IDS, "agent_id": uuid.uuid4(), "closed_at": NOW},
    ThreadReopened: lambda: {
        **_THREAD_IDS,
        "agent_id": uuid.uuid4(),
        "reopened_at": NOW,
        "due_date": date(2026, 12, 10),
    },
    SatisfactionGiven: lambda: (
        {key: value for key, value in THREAD.items() if key != "member_id"}
        | {
            "reply_id": uuid.uuid4(),
            "helpful": False,
            "has_comment": True,
            "answered_at": NOW,
            "changed": False,
        }
    ),
    EventDeadLettered: lambda: {
        "source_topic": "messages.reply-posted.v1",
        "source_event_id": uuid.uuid4(),
        "source_event_type": "ReplyPosted",
        "consumer": "notifier.reply-posted",
        "reason": "template error",
        "attempts": 5,
        "source": {"reference": "NPC-2026-000123"},
    },
}


def serialised(kind: type[Event]) -> dict[str, Any]:
    event = kind.new(producer="test", **EXAMPLES[kind]())
    document: dict[str, Any] = json.loads(event.to_json())
    return document


def committed_schema(kind: type[Event]) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / f"{kind.type_name}.json").read_text("utf-8"))
    return schema


def committed_asyncapi_payload(kind: type[Event]) -> dict[str, Any]:
    """The payload schema of ``kind``'s message in the committed AsyncAPI document, with the
    document's own components so that its ``$ref``s resolve inside it."""
    document = yaml.safe_load(ASYNCAPI_PATH.read_text("utf-8"))
    payload = document["components"]["messages"][kind.type_name]["payload"]
    return {"components": document["components"], **payload}


def test_every_event_has_an_example() -> None:
    assert set(EXAMPLES) == set(all_events()), "add an example for the new event"


@pytest.mark.parametrize("kind", all_events(), ids=lambda kind: kind.type_name)
def test_an_event_validates_against_its_committed_schema_file(kind: type[Event]) -> None:
    jsonschema.Draft202012Validator(committed_schema(kind)).validate(serialised(kind))


@pytest.mark.parametrize("kind", all_events(), ids=lambda kind: kind.type_name)
def test_an_event_validates_against_the_committed_asyncapi_document(kind: type[Event]) -> None:
    jsonschema.Draft202012Validator(committed_asyncapi_payload(kind)).validate(serialised(kind))


@pytest.mark.parametrize("kind", all_events(), ids=lambda kind: kind.type_name)
def test_the_committed_documents_refuse_an_event_missing_a_required_field(
    kind: type[Event],
) -> None:
    """The checks above can fail: the same JSON without a field the documents require."""
    schema = committed_schema(kind)
    required = [name for name in schema["required"] if name != "event_type"]
    assert required
    for validator in (
        jsonschema.Draft202012Validator(schema),
        jsonschema.Draft202012Validator(committed_asyncapi_payload(kind)),
    ):
        for name in required:
            document = serialised(kind)
            del document[name]
            assert not validator.is_valid(document), f"{kind.type_name} without {name}"


@pytest.mark.parametrize("kind", all_events(), ids=lambda kind: kind.type_name)
def test_the_committed_documents_refuse_another_event_type(kind: type[Event]) -> None:
    document = serialised(kind) | {"event_type": "SomethingElse"}
    assert not jsonschema.Draft202012Validator(committed_schema(kind)).is_valid(document)
    assert not jsonschema.Draft202012Validator(committed_asyncapi_payload(kind)).is_valid(document)
