"""What ``setup-local`` adds for the local stack: a few canned replies for the demo funds."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from messages.adapters.orm import CANNED_REPLIES
from servicekit.clock import SystemClock
from servicekit.db import create_engine
from servicekit.settings import ServiceSettings

DEMO_FUNDS = ("NPC", "CNO", "COR")

DEMO_CANNED_REPLIES = (
    (
        "Accusé de réception",
        "Bonjour {prenom},\n\nNous avons bien reçu votre demande {reference} et nous la "
        "traitons dans les meilleurs délais.\n\nCordialement,\n{conseiller}\n{caisse}",
    ),
    (
        "Changement de situation : service en ligne",
        "Bonjour {prenom},\n\nVous pouvez déclarer votre changement de situation directement "
        "depuis votre espace privé, rubrique « Mes services en ligne » : il sera pris en compte "
        "plus rapidement.\n\nCordialement,\n{conseiller}\n{caisse}",
    ),
    (
        "Pièce justificative manquante",
        "Bonjour {prenom},\n\nPour traiter votre demande {reference}, nous avons besoin d'une "
        "pièce justificative. Vous pouvez nous la transmettre depuis votre espace privé.\n\n"
        "Cordialement,\n{conseiller}\n{caisse}",
    ),
)


async def setup_demo_canned_replies(settings: ServiceSettings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            for fund in DEMO_FUNDS:
                existing = await connection.scalar(
                    select(func.count())
                    .select_from(CANNED_REPLIES)
                    .where(CANNED_REPLIES.c.fund == fund)
                )
                if existing:
                    continue
                now = SystemClock().now()
                await connection.execute(
                    CANNED_REPLIES.insert(),
                    [
                        {
                            "id": uuid.uuid4(),
                            "fund": fund,
                            "title": title,
                            "body": body,
                            "created_at": now,
                            "updated_at": now,
                            "updated_by_name": "Démonstration",
                        }
                        for title, body in DEMO_CANNED_REPLIES
                    ],
                )
        print(f"messages: demo canned replies ready for {', '.join(DEMO_FUNDS)}")
    finally:
        await engine.dispose()
