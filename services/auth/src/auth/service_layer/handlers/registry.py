"""The registry of covered people, kept from ``registry.insured-person.v1``.

Its handlers are called by the stream subscriber inside the idempotent consumer's
transaction (``transaction``), which records the event id and commits after them. The topic
is compacted: the last record of a NIR is the person as the funds' systems know them now
(an update replaces every field), a tombstone says the fund no longer covers them. An
account already opened stays open; only enrolments to come are checked against the change.
"""

from __future__ import annotations

from auth.domain.nir import InvalidNir, parse_login
from auth.domain.registry import InsuredPerson, PostalAddress
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.registry import InsuredPersonRegistered
from servicekit.clock import Clock


def person_of(event: InsuredPersonRegistered) -> InsuredPerson:
    """The registry's person an event describes (``InvalidNir`` when its number is not one)."""
    nir = parse_login(event.nir)
    if nir is None or nir.value != event.nir:
        raise InvalidNir("nir", "not a social-security number")
    return InsuredPerson(
        nir=nir,
        fund=event.fund,
        birth_date=event.birth_date,
        family_name=event.family_name.strip(),
        usage_name=(event.usage_name or "").strip() or None,
        given_names=tuple(name.strip() for name in event.given_names if name.strip()),
        birthplace=event.birthplace.upper(),
        address=PostalAddress(
            lines=tuple(event.address.lines),
            postal_code=event.address.postal_code,
            city=event.address.city,
        ),
        email=str(event.email) if event.email else None,
    )


async def record_insured_person(
    event: InsuredPersonRegistered, *, transaction: AuthUnitOfWork, clock: Clock
) -> None:
    """Keep the person as the event says (the last record of a NIR wins)."""
    await transaction.registry.save(person_of(event), clock.now())


async def forget_insured_person(nir: str, *, transaction: AuthUnitOfWork) -> None:
    """A tombstone: the fund no longer covers this person."""
    await transaction.registry.delete(nir)
