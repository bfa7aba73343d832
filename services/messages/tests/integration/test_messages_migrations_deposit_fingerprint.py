"""Revision 0005: the member's messages sent before the proof of deposit get the fingerprint
of their canonical form; replies get none."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from messages.domain.model import Message, Node, Status, Thread
from messages.domain.receipts import deposit_digest
from servicekit.migrations import upgrade_async
from servicekit.testing import fresh_database
from services.messages.tests.support import MIGRATIONS

pytestmark = pytest.mark.integration

INSERT_THREAD = text(
    """
    INSERT INTO threads (id, reference, fund, member_id, theme_code, theme_label, subject_code,
        subject_label, motif_code, motif_label, skill, response_time_days, status, created_at,
        last_activity_at, due_date)
    VALUES (:id, 'NPC-2026-000042', 'NPC', :member, 'famille', 'Famille', 'famille-allocations',
        'Allocations familiales', 'af-autre', 'Autre', 'famille', 5, 'answered', :now, :now, :due)
    """
)
INSERT_MESSAGE = text(
    """
    INSERT INTO messages (id, thread_id, author_kind, author_id, author_name, body, created_at,
        follow_up)
    VALUES (:id, :thread, :kind, :author, 'Camille MARTIN', :body, :now, :follow_up)
    """
)


async def test_older_messages_get_their_fingerprint_and_replies_none(
    postgres_admin_url: str,
) -> None:
    async with fresh_database(postgres_admin_url, "messages_deposit_backfill") as url:
        await upgrade_async(url, MIGRATIONS, "0004")
        thread_id, member_id = uuid.uuid4(), uuid.uuid4()
        now = datetime(2026, 3, 4, 15, 16, 17, 654321, tzinfo=UTC)
        messages = {
            "first": ("member", "Bonjour, voici ma question sur mes allocations.", False),
            "reply": ("agent", "Bonjour, voici la réponse.", False),
            "follow-up": ("member", "Merci, une précision : c'est pour mon fils.", True),
        }
        ids = {name: uuid.uuid4() for name in messages}
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    INSERT_THREAD,
                    {"id": thread_id, "member": member_id, "now": now, "due": date(2026, 3, 11)},
                )
                for name, (kind, body, follow_up) in messages.items():
                    await connection.execute(
                        INSERT_MESSAGE,
                        {
                            "id": ids[name],
                            "thread": thread_id,
                            "kind": kind,
                            "author": member_id,
                            "body": body,
                            "now": now,
                            "follow_up": follow_up,
                        },
                    )

            await upgrade_async(url, MIGRATIONS)

            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT id, deposit_sha256 FROM messages"))
                stored = {row.id: row.deposit_sha256 for row in rows}
        finally:
            await engine.dispose()

    thread = Thread(
        id=thread_id,
        reference="NPC-2026-000042",
        fund="NPC",
        member_id=member_id,
        member_given_name="",
        member_family_name="",
        theme=Node("famille", "Famille"),
        subject=Node("famille-allocations", "Allocations familiales"),
        motif=Node("af-autre", "Autre"),
        skill="famille",
        response_time_days=5,
        status=Status.ANSWERED,
        created_at=now,
        last_activity_at=now,
        due_date=date(2026, 3, 11),
    )

    def expected(name: str) -> str:
        kind, body, follow_up = messages[name]
        message = Message(
            id=ids[name],
            thread_id=thread_id,
            author_kind=kind,
            author_id=member_id,
            author_name="Camille MARTIN",
            body=body,
            created_at=now,
            follow_up=follow_up,
        )
        return deposit_digest(thread, message)

    assert stored[ids["first"]] == expected("first")
    assert stored[ids["follow-up"]] == expected("follow-up")
    assert stored[ids["reply"]] is None
