"""Members: enrolment against the registry and activation, their account, contact address,
deletion.

Answers that could tell whether an account exists (registration, a new activation code) are
the same either way."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain import nir
from auth.domain.commands import (
    ActivateMember,
    ConfirmEmailChange,
    DeleteMember,
    GetAccount,
    GetMemberIdentity,
    RegisterMember,
    RenewActivationCode,
    RequestEmailChange,
    UnlinkFranceConnect,
)
from auth.domain.errors import InvalidCode, InvalidData, NotFound
from auth.domain.model import Account, CodePurpose, Member, MemberStatus, OneTimeCode
from auth.domain.registry import enrolment_matches
from auth.service_layer.handlers.common import (
    PRODUCER,
    UnitOfWorkFactory,
    account_changed,
    check_code,
    check_password_rules,
    confirm_identity,
    contact_changed,
    count_code_request,
    count_request,
    member_account,
    record,
    send_activation_code,
    typed_number,
)
from contracts.events.auth import EmailChangeCodeIssued
from contracts.topics import MEMBER_CONTACT
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)


async def register_member(
    cmd: RegisterMember,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """Enrol a person the registry holds and send their activation code where the registry
    says (by post, or to the address the fund verified).

    Number, birth date and family name must be a registered person's; the account then
    belongs to the person's fund, under the registry's names. Otherwise, or when the number
    already has an active account, nothing happens, and the answer is the same, after the
    same work: the registry is read and compared (with a decoy for an unknown number), the
    password hashed, and the answer waits until ``registration_answer_seconds`` have passed
    in every case. A pending account is replaced (the code still goes to the registry's
    address: whoever typed the number cannot receive it)."""
    started = time.monotonic()
    try:
        member_nir = nir.parse_with_key(cmd.nir_with_key)
    except nir.InvalidNir as error:
        raise InvalidData([("nir", error.message)]) from None
    if not member_nir.matches_birth_date(cmd.birth_date):
        raise InvalidData(
            [
                (
                    "birth_date",
                    "La date de naissance ne correspond pas au numéro de sécurité sociale "
                    "(année et mois) : vérifiez l'un et l'autre.",
                )
            ]
        )
    email = cmd.email.strip()
    typed_words = [
        cmd.family_name,
        member_nir.value,
        email.split("@")[0],
        cmd.birth_date.strftime("%d%m%Y"),
        cmd.birth_date.isoformat(),
    ]
    check_password_rules(cmd.password, typed_words)
    now = clock.now()
    # Counted before the costly hashing, in a transaction of its own: a refused registration
    # costs the service next to nothing.
    async with uow() as work:
        await count_request(
            work,
            f"registration-address:{cmd.client_address[:64]}",
            policy=settings.registration_policy(),
            now=now,
        )
        await work.commit()
    password_hash = await hasher.hash(cmd.password)
    try:
        async with uow() as work:
            person = await work.registry.get(member_nir)
            if not enrolment_matches(
                person, birth_date=cmd.birth_date, family_name=cmd.family_name
            ):
                logger.info("registration does not match the registry")
                return
            assert person is not None
            member = Member(
                id=uuid.uuid4(),
                nir=member_nir,
                birth_date=person.birth_date,
                given_name=person.first_name,
                family_name=person.name_in_use,
                email=email,
                fund=person.fund,
                password_hash=password_hash,
                status=MemberStatus.PENDING,
                created_at=now,
                identity_proof="fund-email" if person.email else "letter",
            )
            account_id = await work.members.register(member)
            if account_id is None:
                logger.info("registration for an existing account ignored")
                return
            await send_activation_code(
                work, replace(member, id=account_id), person, settings=settings, now=now
            )
            await work.commit()
    finally:
        await _answer_no_sooner(started, settings.registration_answer_seconds)


async def _answer_no_sooner(started: float, seconds: float) -> None:
    """Wait until ``seconds`` have passed since ``started`` (``time.monotonic``)."""
    remaining = started + seconds - time.monotonic()
    if remaining > 0:
        await asyncio.sleep(remaining)


async def renew_activation_code(
    cmd: RenewActivationCode, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> None:
    """Send a new activation code to a pending account, where the registry says (see
    ``Settings.code_request_policy`` for how often); the answer is the same whether the
    number has a pending account or not."""
    member_nir, typed = typed_number(cmd.nir)
    now = clock.now()
    async with uow() as work:
        await count_code_request(work, f"activation-renewal:{typed}", settings=settings, now=now)
        member = await work.members.get_by_nir(member_nir, for_update=True) if member_nir else None
        person = await work.registry.get(member_nir) if member_nir else None
        if member is None or member.active or person is None:
            await work.commit()
            return
        await send_activation_code(work, member, person, settings=settings, now=now)
        await work.commit()


async def activate_member(cmd: ActivateMember, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
    member_nir = nir.parse_login(cmd.nir)
    if member_nir is None:
        raise InvalidCode("wrong")
    now = clock.now()
    async with uow() as work:
        member = await work.members.get_by_nir(member_nir, for_update=True)
        if member is None or member.active:
            raise InvalidCode("wrong")
        await check_code(work, member.id, CodePurpose.ACTIVATION, cmd.code, now)
        active = replace(member, status=MemberStatus.ACTIVE, activated_at=now)
        await work.members.save(active)
        work.publish(contact_changed(active))
        await work.commit()


async def get_member_identity(cmd: GetMemberIdentity, *, uow: UnitOfWorkFactory) -> Member:
    """The member, for an agent of their fund or an admin; ``NotFound`` otherwise."""
    async with uow() as work:
        member = await work.members.get(cmd.member_id)
    if member is None or (cmd.agent_role != "admin" and member.fund != cmd.agent_fund):
        raise NotFound()
    return member


async def get_account(cmd: GetAccount, *, uow: UnitOfWorkFactory) -> Account:
    """The caller's account, and whether a FranceConnect identity is linked to it."""
    async with uow() as work:
        if cmd.kind == "member":
            member = await work.members.get(cmd.subject_id)
            if member is None:
                raise NotFound()
            return await member_account(work, member)
        agent = await work.agents.get(cmd.subject_id)
    if agent is None:
        raise NotFound()
    return Account(agent)


async def request_email_change(
    cmd: RequestEmailChange,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> datetime:
    """Send a confirmation code to the new address; returns when the code expires. The
    current password (or a FranceConnect login of the last minutes) is asked first."""
    now = clock.now()
    async with uow() as work:
        member = await work.members.get(cmd.member_id)
        if member is None:
            raise NotFound()
        if member.email.lower() == cmd.new_email.strip().lower():
            raise InvalidData([("email", "C'est déjà votre adresse électronique actuelle.")])
        method = await confirm_identity(
            work,
            member,
            cmd,
            change="email_changed",
            hasher=hasher,
            settings=settings,
            now=now,
        )
        # A member could otherwise have codes sent to anyone's address, as often as they like.
        await count_code_request(work, f"email-change:{member.id}", settings=settings, now=now)
        code, secret = OneTimeCode.issue(
            member.id,
            CodePurpose.EMAIL_CHANGE,
            now=now,
            valid_for=timedelta(minutes=settings.email_change_code_minutes),
            max_attempts=settings.code_max_attempts,
            new_email=cmd.new_email.strip(),
        )
        await work.codes.save(code)
        work.publish(
            EmailChangeCodeIssued.new(
                producer=PRODUCER,
                member_id=member.id,
                fund=member.fund,
                email=cmd.new_email.strip(),
                given_name=member.given_name,
                code=secret,
                expires_at=code.expires_at,
            )
        )
        await record(
            work,
            "email_change_requested",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method=method,
        )
        await work.commit()
    return code.expires_at


async def confirm_email_change(
    cmd: ConfirmEmailChange, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> Account:
    """The new address, confirmed by its code: told to the previous address (« si ce n'est
    pas vous… ») and to the new one."""
    now = clock.now()
    async with uow() as work:
        member = await work.members.get(cmd.member_id, for_update=True)
        if member is None:
            raise NotFound()
        code = await check_code(work, member.id, CodePurpose.EMAIL_CHANGE, cmd.code, now)
        assert code.new_email is not None
        updated = replace(member, email=code.new_email)
        await work.members.save(updated)
        work.publish(contact_changed(updated))
        for address in (member.email, updated.email):
            work.publish(
                account_changed(
                    updated, "email_changed", now=now, to=address, new_email=updated.email
                )
            )
        await record(
            work,
            "email_changed",
            updated,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
        )
        account = await member_account(work, updated)
        await work.commit()
    return account


async def delete_member(
    cmd: DeleteMember,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """Delete the account and its contact data, once the member confirmed who they are; the
    notifier forgets the address, after a last email to it saying the account is gone."""
    now = clock.now()
    async with uow() as work:
        member = await work.members.get(cmd.member_id, for_update=True)
        if member is None:
            raise NotFound()
        method = await confirm_identity(
            work,
            member,
            cmd,
            change="account_deleted",
            hasher=hasher,
            settings=settings,
            now=now,
        )
        await work.end_sessions_of(member.id, now, reason="account_deleted")
        await work.members.delete(member.id)
        work.publish(account_changed(member, "account_deleted", now=now))
        work.publish_tombstone(MEMBER_CONTACT, str(member.id))
        await record(
            work,
            "account_deleted",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method=method,
        )
        await work.commit()


async def unlink_franceconnect(
    cmd: UnlinkFranceConnect,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> Account:
    """Unlink the member's FranceConnect identity (the next FranceConnect login asks for the
    number and password again), once the member confirmed who they are; the address is told."""
    now = clock.now()
    async with uow() as work:
        member = await work.members.get(cmd.member_id, for_update=True)
        if member is None:
            raise NotFound()
        method = await confirm_identity(
            work,
            member,
            cmd,
            change="franceconnect_unlinked",
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if await work.franceconnect.unlink(member.id):
            work.publish(account_changed(member, "franceconnect_unlinked", now=now))
            await record(
                work,
                "franceconnect_unlinked",
                member,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
                method=method,
            )
        account = await member_account(work, member)
        await work.commit()
    return account
