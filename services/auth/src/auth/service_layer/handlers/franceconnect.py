"""FranceConnect: starting a login, the provider's answer, and linking an identity to an
account with its number and password."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from auth.adapters.franceconnect import FranceConnectClient
from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain import pivot
from auth.domain.commands import FinishFranceConnect, LinkFranceConnect, StartFranceConnect
from auth.domain.errors import (
    AccountNotActivated,
    FranceConnectIdentityTaken,
    FranceConnectLoginExpired,
    FranceConnectRefused,
    InvalidCredentials,
    InvalidLink,
)
from auth.domain.model import (
    Account,
    CodePurpose,
    FranceConnectIdentity,
    FranceConnectOutcome,
    FranceConnectStart,
    IssuedSession,
    Member,
    MemberStatus,
    digest,
    new_secret,
)
from auth.domain.registry import franceconnect_birthplace, franceconnect_matches
from auth.domain.trail import Party, mask_typed
from auth.service_layer.handlers.common import (
    UnitOfWorkFactory,
    check_member_password,
    contact_changed,
    franceconnect_linked,
    issued,
    member_account,
    open_session,
    record,
)
from auth.service_layer.tokens import TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)


async def start_franceconnect(
    cmd: StartFranceConnect,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    franceconnect: FranceConnectClient,
) -> FranceConnectStart:
    """The provider's authorization URL and the browser binding to keep in a cookie."""
    state, nonce, binding = new_secret(), new_secret(), new_secret()
    now = clock.now()
    url = await franceconnect.authorization_url(state=state, nonce=nonce)
    async with uow() as work:
        await work.franceconnect.prune(now)
        await work.franceconnect.add_request(
            state=state,
            nonce=nonce,
            binding_hash=digest(binding),
            now=now,
            expires_at=now + timedelta(seconds=settings.franceconnect_request_seconds),
        )
        await work.commit()
    return FranceConnectStart(authorization_url=url, browser_binding=binding)


async def _account_of_identity(
    work: AuthUnitOfWork, identity: FranceConnectIdentity
) -> Member | None:
    """The account a FranceConnect identity may open without a password, on its first login:
    the only active account its pivot describes, whose verified address is the one
    FranceConnect verified (see ``pivot``). Any other case asks for the account's number and
    password once. Linking it may still fail (the account has another identity), or have been
    done by a login of the same person a moment ago: ``finish_franceconnect`` reads again."""
    born = pivot.birth_date_of(identity)
    candidates = [
        candidate
        for candidate in (await work.members.born_on(born) if born else [])
        if pivot.matches(candidate, identity)
    ]
    if len(candidates) != 1:
        return None
    [candidate] = candidates
    if not pivot.same_verified_email(candidate, identity):
        logger.info("franceconnect identity matches an account whose address differs")
        return None
    return candidate


async def _enrol_from_registry(
    work: AuthUnitOfWork,
    identity: FranceConnectIdentity,
    *,
    hasher: PasswordHasher,
    now: datetime,
) -> Member | None:
    """A first FranceConnect login of a person the registry holds (birth date and place,
    family name at birth, every first name, sex) who has no active account yet: their
    account, opened and activated at once, linked to the identity, its address the one
    FranceConnect verified. None in any other case (no such person, several, one with an
    account already, no verified address): the login then goes on as before."""
    born = pivot.birth_date_of(identity)
    if born is None or not identity.email:
        return None
    people = [
        person
        for person in await work.registry.born(born, franceconnect_birthplace(identity))
        if franceconnect_matches(person, identity)
    ]
    if len(people) != 1:
        return None
    [person] = people
    draft = Member(
        id=uuid.uuid4(),
        nir=person.nir,
        birth_date=person.birth_date,
        given_name=person.first_name,
        family_name=person.name_in_use,
        email=identity.email,
        fund=person.fund,
        # No password until the member sets one (« mot de passe oublié »): a hash of a
        # secret nobody holds, so that a login with the number costs what any other does.
        password_hash=await hasher.hash(new_secret()),
        status=MemberStatus.ACTIVE,
        created_at=now,
        activated_at=now,
        identity_proof="franceconnect",
    )
    # A pending account under the number (whoever typed it) is replaced: the person proved
    # who they are; an active one is left alone.
    account_id = await work.members.register(draft)
    if account_id is None:
        return None
    member = replace(draft, id=account_id)
    await work.codes.delete(account_id, CodePurpose.ACTIVATION)
    if not await work.franceconnect.link(
        subject=identity.subject, member_id=account_id, now=now, how="registry"
    ):
        return None
    work.publish(contact_changed(member))
    logger.info("franceconnect identity enrolled from the registry", fund=member.fund)
    return member


async def finish_franceconnect(
    cmd: FinishFranceConnect,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    franceconnect: FranceConnectClient,
    issuer: TokenIssuer,
    hasher: PasswordHasher,
) -> FranceConnectOutcome:
    if cmd.error:
        raise FranceConnectRefused("franceconnect-annule", f"provider said {cmd.error}")
    if not cmd.state or not cmd.code:
        raise FranceConnectRefused("franceconnect-invalide", "no state or code")
    # RFC 9207: the answer names its issuer, so that another provider's answer (a mix-up)
    # is refused before its code goes anywhere. Required: an answer without it is refused.
    if cmd.issuer is None or cmd.issuer != franceconnect.issuer:
        raise FranceConnectRefused(
            "franceconnect-invalide", "iss of the answer missing or not ours"
        )
    now = clock.now()
    async with uow() as work:
        request = await work.franceconnect.take_request(cmd.state, now)
        await work.commit()
    if request is None:
        raise FranceConnectRefused("franceconnect-invalide", "unknown, used or expired state")
    nonce, binding_hash = request
    if cmd.browser_binding is None or digest(cmd.browser_binding) != binding_hash:
        raise FranceConnectRefused("franceconnect-invalide", "answer from another browser")
    id_token, access_token = await franceconnect.exchange_code(cmd.code)
    claims = await franceconnect.verify_id_token(
        id_token, nonce=nonce, access_token=access_token, now=now
    )
    info = await franceconnect.userinfo(access_token, subject=claims["sub"], now=now)
    email = info.get("email")
    identity = FranceConnectIdentity(
        subject=claims["sub"],
        given_name=str(info.get("given_name", "")),
        family_name=str(info.get("family_name", "")),
        birthdate=str(info.get("birthdate", "")),
        gender=str(info.get("gender", "")),
        birthplace=str(info.get("birthplace", "")),
        birthcountry=str(info.get("birthcountry", "")),
        email=email if isinstance(email, str) else None,
    )
    async with uow() as work:
        member_id = await work.franceconnect.member_of(identity.subject)
        member = await work.members.get(member_id) if member_id else None
        how = "linked"
        if member is None:
            candidate = await _account_of_identity(work, identity)
            if candidate is not None:
                if await work.franceconnect.link(
                    subject=identity.subject, member_id=candidate.id, now=now, how="pivot"
                ):
                    work.publish(franceconnect_linked(candidate, now=now, confirmed_by="identity"))
                    member, how = candidate, "pivot"
                elif await work.franceconnect.member_of(identity.subject) == candidate.id:
                    member = candidate  # linked by the same person's login a moment ago
        if member is None:
            member = await _enrol_from_registry(work, identity, hasher=hasher, now=now)
            if member is not None:
                how = "registry"
        if member is None or not member.active:
            token = new_secret()
            await work.franceconnect.add_pending(
                token_hash=digest(token),
                subject=identity.subject,
                id_token=id_token,
                identity=identity.__dict__,
                expires_at=now + timedelta(seconds=settings.franceconnect_request_seconds),
            )
            await work.commit()
            return FranceConnectOutcome(pending_token=token)
        opened = Account(member, franceconnect_linked=True)
        session, refresh, csrf_token = await open_session(
            work, opened, now=now, settings=settings, franceconnect_id_token=id_token
        )
        if how != "linked":
            await record(
                work,
                "franceconnect_linked",
                member,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
                method="franceconnect",
                details={"how": how},
            )
        await record(
            work,
            "login_succeeded",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="franceconnect",
        )
        await work.commit()
    logger.info("franceconnect login", how=how)
    return FranceConnectOutcome(issued=await issued(issuer, session, opened, refresh, csrf_token))


async def link_franceconnect(
    cmd: LinkFranceConnect,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    """Link a FranceConnect identity to the account whose number and password are given."""
    if not cmd.pending_token:
        raise FranceConnectLoginExpired()
    now = clock.now()
    async with uow() as work:
        pending = await work.franceconnect.pending(digest(cmd.pending_token), now)
    if pending is None:
        raise InvalidLink()
    subject, id_token = pending
    async with uow() as work:
        member, matched, _ = await check_member_password(
            work,
            cmd.nir,
            cmd.password,
            cmd.client_address,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            await record(
                work,
                "login_failed",
                member or Party("member", None, mask_typed(cmd.nir), None),
                settings=settings,
                now=now,
                client_address=cmd.client_address,
                outcome="failure",
                method="password",
                details={"during": "franceconnect_link"},
            )
            await work.commit()
            raise InvalidCredentials()
        assert member is not None
        if not member.active:
            await work.commit()
            raise AccountNotActivated()
        if await work.franceconnect.member_of(subject) is None and await work.franceconnect.link(
            subject=subject, member_id=member.id, now=now, how="password"
        ):
            work.publish(franceconnect_linked(member, now=now, confirmed_by="password"))
            await record(
                work,
                "franceconnect_linked",
                member,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
                method="password",
                details={"how": "password"},
            )
        if await work.franceconnect.member_of(subject) != member.id:
            # This identity has another account, or this account another identity.
            await work.commit()
            raise FranceConnectIdentityTaken()
        # The pending login stays until it expires: a form sent twice (a double click, a
        # retry after a lost answer) opens the account again, with its password again.
        opened = await member_account(work, member)
        session, refresh, csrf_token = await open_session(
            work, opened, now=now, settings=settings, franceconnect_id_token=id_token
        )
        await record(
            work,
            "login_succeeded",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="franceconnect",
        )
        await work.commit()
    return await issued(issuer, session, opened, refresh, csrf_token)
