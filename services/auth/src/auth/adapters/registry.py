"""The registry of covered people in and out of its table (``registry_people``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import REGISTRY_PEOPLE
from auth.domain.nir import Nir
from auth.domain.registry import InsuredPerson, PostalAddress


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _from_row(row: Row[Any]) -> InsuredPerson:
        address = row.address
        return InsuredPerson(
            nir=Nir(row.nir),
            fund=row.fund,
            birth_date=row.birth_date,
            family_name=row.family_name,
            usage_name=row.usage_name,
            given_names=tuple(row.given_names),
            birthplace=row.birthplace,
            address=PostalAddress(
                lines=tuple(address["lines"]),
                postal_code=address["postal_code"],
                city=address["city"],
            ),
            email=row.email,
        )

    async def get(self, nir: Nir) -> InsuredPerson | None:
        row = (
            await self._session.execute(
                select(REGISTRY_PEOPLE).where(REGISTRY_PEOPLE.c.nir == nir.value)
            )
        ).first()
        return self._from_row(row) if row else None

    async def born(self, birth_date: date, birthplace: str) -> list[InsuredPerson]:
        """The people born on that day at that place (a commune's or a country's code)."""
        rows = await self._session.execute(
            select(REGISTRY_PEOPLE).where(
                REGISTRY_PEOPLE.c.birth_date == birth_date,
                REGISTRY_PEOPLE.c.birthplace == birthplace,
            )
        )
        return [self._from_row(row) for row in rows]

    async def save(self, person: InsuredPerson, now: datetime) -> None:
        """Record the person as the registry says now (an update replaces every field)."""
        values = {
            "nir": person.nir.value,
            "fund": person.fund,
            "birth_date": person.birth_date,
            "family_name": person.family_name,
            "usage_name": person.usage_name,
            "given_names": list(person.given_names),
            "birthplace": person.birthplace,
            "address": {
                "lines": list(person.address.lines),
                "postal_code": person.address.postal_code,
                "city": person.address.city,
            },
            "email": person.email,
            "updated_at": now,
        }
        statement = insert(REGISTRY_PEOPLE).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[REGISTRY_PEOPLE.c.nir],
                set_={name: statement.excluded[name] for name in values if name != "nir"},
            )
        )

    async def delete(self, nir: str) -> None:
        await self._session.execute(delete(REGISTRY_PEOPLE).where(REGISTRY_PEOPLE.c.nir == nir))

    async def count(self) -> int:
        counted = await self._session.scalar(select(func.count()).select_from(REGISTRY_PEOPLE))
        return int(counted or 0)
