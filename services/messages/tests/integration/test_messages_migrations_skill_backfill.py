"""Revision 0004: threads sent before routing get their motif's skill from the stored catalog
snapshot; a skill already stored is kept; an unknown motif leaves the skill NULL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.migrations import alembic_config, upgrade_async
from servicekit.testing import fresh_database
from services.messages.tests.support import MIGRATIONS, catalog_snapshot

pytestmark = pytest.mark.integration

INSERT_THREAD = text(
    """
    INSERT INTO threads (id, reference, fund, member_id, theme_code, theme_label, subject_code,
        subject_label, motif_code, motif_label, skill, response_time_days, status, created_at,
        last_activity_at, due_date)
    VALUES (:id, :reference, 'NPC', :member, 'famille', 'Famille', 'famille-allocations',
        'Allocations familiales', :motif, 'Motif', :skill, 5, 'submitted', :now, :now, :due)
    """
)


async def test_older_threads_get_their_motifs_skill_from_the_stored_snapshot(
    postgres_admin_url: str,
) -> None:
    async with fresh_database(postgres_admin_url, "messages_skill_backfill") as url:
        await upgrade_async(url, MIGRATIONS, "0003")
        # The stored snapshot routes « Autre » to solidarity, and lists an inactive motif.
        snapshot = catalog_snapshot(version=4, skills={"af-autre": "solidarite"})
        threads = {
            "rerouted": ("af-autre", ""),
            "inactive motif": ("af-ancien-motif", ""),
            "unknown motif": ("af-supprime-avant-tout-catalogue", ""),
            "already routed": ("af-autre", "retraite"),
        }
        ids = {name: uuid.uuid4() for name in threads}
        now = datetime.now(UTC)
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO catalog_snapshot (id, version, published_at, payload) "
                        "VALUES (1, 4, :published, CAST(:payload AS jsonb))"
                    ),
                    {
                        "published": snapshot.published_at,
                        "payload": json.dumps(snapshot.model_dump(mode="json")),
                    },
                )
                for number, (name, (motif, skill)) in enumerate(threads.items(), start=1):
                    await connection.execute(
                        INSERT_THREAD,
                        {
                            "id": ids[name],
                            "reference": f"NPC-2026-{number:06d}",
                            "member": uuid.uuid4(),
                            "motif": motif,
                            "skill": skill,
                            "now": now,
                            "due": date.today(),
                        },
                    )

            await upgrade_async(url, MIGRATIONS)

            async def skills() -> dict[str, str | None]:
                async with engine.connect() as connection:
                    rows = (await connection.execute(text("SELECT id, skill FROM threads"))).all()
                by_id = {row.id: row.skill for row in rows}
                return {name: by_id[thread_id] for name, thread_id in ids.items()}

            assert await skills() == {
                "rerouted": "solidarite",
                "inactive motif": "famille",
                "unknown motif": None,
                "already routed": "retraite",
            }

            await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0003")
            assert (await skills())["unknown motif"] == ""
        finally:
            await engine.dispose()
