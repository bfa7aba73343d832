"""What the auth service does: one handler per command, each committing once.

Answers that could tell whether an account exists (registration, activation, login, password
reset) are the same either way, and take the same work either way (one argon2 check).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from auth.adapters.franceconnect import FranceConnectClient
from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain import commands, nir, passwords, pivot
from auth.domain.errors import (
    AccountNotActivated,
    AlreadyRefreshed,
    Conflict,
    Forbidden,
    FranceConnectRefused,
    InvalidCode,
    InvalidCredentials,
    InvalidData,
    InvalidLink,
    InvalidRefreshToken,
    NotFound,
    TooManyAttempts,
    TooManyRequests,
)
from auth.domain.model import (
    Agent,
    AgentRole,
    CodeCheck,
    CodePurpose,
    FranceConnectIdentity,
    Member,
    MemberStatus,
    OneTimeCode,
    RefreshToken,
    Session,
    digest,
    may_manage,
    new_secret,
)
from auth.domain.throttling import ThrottlePolicy, ThrottleState, refusal
from auth.service_layer.clock import Clock
from auth.service_layer.tokens import TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.auth import (
    AccountLocked,
    ActivationCodeIssued,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    MemberContactChanged,
    PasswordResetRequested,
)
from contracts.topics import MEMBER_CONTACT
from servicekit.logging import get_logger
from servicekit.security import csrf_hash

logger = get_logger(__name__)

PRODUCER = "auth"
UnitOfWorkFactory = Callable[[], AuthUnitOfWork]
#: Who manages agents: ``(role, fund)`` of the agent calling, or None for the command line.
Manager = tuple[AgentRole | None, str] | None


@dataclass(frozen=True)
class IssuedSession:
    """A new or refreshed session: what the browser or the tool is given."""

    session: Session
    subject: Member | Agent
    access_token: str
    refresh_token: str
    #: Only when the session is new: the CSRF token the browser sends back in a header.
    csrf_token: str | None


# --------------------------------------------------------------------------- helpers


def contact_changed(member: Member) -> MemberContactChanged:
    return MemberContactChanged.new(
        producer=PRODUCER,
        member_id=member.id,
        fund=member.fund,
        email=member.email,
        given_name=member.given_name,
        family_name=member.family_name,
    )


def franceconnect_linked(
    member: Member, *, now: datetime, confirmed_by: Literal["identity", "password"]
) -> FranceConnectLinked:
    """Told to the account's address whenever an identity is linked to it."""
    return FranceConnectLinked.new(
        producer=PRODUCER,
        member_id=member.id,
        fund=member.fund,
        email=member.email,
        given_name=member.given_name,
        linked_at=now,
        confirmed_by=confirmed_by,
    )


def _password_problems(password: str, personal: list[str], field: str = "password") -> None:
    found = passwords.problems(password, personal=personal)
    if found:
        raise InvalidData([(field, message) for message in found])


async def _open_session(
    uow: AuthUnitOfWork,
    subject: Member | Agent,
    *,
    now: datetime,
    settings: Settings,
    method: str = "password",
    franceconnect_id_token: str | None = None,
) -> tuple[Session, str, str]:
    """A new session with its first refresh token; returns it, the refresh and CSRF tokens."""
    csrf_token = new_secret()
    session = Session(
        id=uuid.uuid4(),
        kind="agent" if isinstance(subject, Agent) else "member",
        subject_id=subject.id,
        csrf_hash=csrf_hash(csrf_token),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.session_max_seconds),
        method="franceconnect" if method == "franceconnect" else "password",
        franceconnect_id_token=franceconnect_id_token,
    )
    await uow.sessions.add(session)
    refresh = await _new_refresh_token(uow, session, now=now, settings=settings)
    return session, refresh, csrf_token


async def _new_refresh_token(
    uow: AuthUnitOfWork, session: Session, *, now: datetime, settings: Settings
) -> str:
    token = new_secret()
    expires_at = min(session.expires_at, now + timedelta(seconds=settings.session_idle_seconds))
    await uow.sessions.add_refresh_token(
        RefreshToken(
            id=uuid.uuid4(), session_id=session.id, token_hash=digest(token), expires_at=expires_at
        ),
        now,
    )
    return token


def _throttle_keys(prefix: str, account: str, client_address: str) -> tuple[str, str]:
    return f"{prefix}:{account[:64]}", f"{prefix}-address:{client_address[:64]}"


async def _check_password_throttled(
    uow: AuthUnitOfWork,
    *,
    account_key: str,
    address_key: str,
    password_hash: str | None,
    password: str,
    hasher: PasswordHasher,
    settings: Settings,
    now: datetime,
) -> tuple[bool, ThrottleState]:
    """Check a password under the brute-force rules; the throttle rows stay locked.

    Raises ``TooManyAttempts`` when the try comes too early (it is then not checked).
    Returns whether it matched and the account's throttle state after the try."""
    account_policy, address_policy = settings.account_policy(), settings.address_policy()
    states = await uow.throttles.lock([account_key, address_key])
    account, address = states[account_key], states[address_key]
    refused = refusal([(account, account_policy), (address, address_policy)], now)
    if refused is not None:
        raise TooManyAttempts(refused)
    if await hasher.verify(password_hash, password):
        await uow.throttles.clear(account_key)
        return True, ThrottleState(account_key)
    account = account.after_failure(account_policy, now)
    await uow.throttles.save(account)
    await uow.throttles.save(address.after_failure(address_policy, now))
    return False, account


async def _check_member_password(
    uow: AuthUnitOfWork,
    typed_nir: str,
    password: str,
    client_address: str,
    *,
    hasher: PasswordHasher,
    settings: Settings,
    now: datetime,
) -> tuple[Member | None, bool, ThrottleState]:
    """A member's number and password, checked under the brute-force rules (login and the
    FranceConnect confirmation alike): the member if the number has one, whether the
    password matched, and the account's throttle state after the try."""
    member_nir = nir.parse_login(typed_nir)
    typed = member_nir.value if member_nir else nir.normalize(typed_nir)
    account_key, address_key = _throttle_keys("member", typed, client_address)
    member = await uow.members.get_by_nir(member_nir) if member_nir else None
    matched, account = await _check_password_throttled(
        uow,
        account_key=account_key,
        address_key=address_key,
        password_hash=member.password_hash if member else None,
        password=password,
        hasher=hasher,
        settings=settings,
        now=now,
    )
    return member, matched, account


async def _count_code_request(
    uow: AuthUnitOfWork, key: str, *, settings: Settings, now: datetime
) -> None:
    """Count a request for an emailed code or link against ``key``; the row stays locked.

    Raises ``TooManyRequests`` when it comes too soon (it then neither counts nor sends).
    Anonymous requests are counted against the number typed, whether an account has it or
    not, so that the answer, 429 included, never tells whether it exists."""
    await _count_request(uow, key, policy=settings.code_request_policy(), now=now)


async def _count_request(
    uow: AuthUnitOfWork, key: str, *, policy: ThrottlePolicy, now: datetime
) -> None:
    """Count one request against ``key`` under ``policy``; ``TooManyRequests`` when too soon."""
    states = await uow.throttles.lock([key])
    refused = refusal([(states[key], policy)], now)
    if refused is not None:
        raise TooManyRequests(refused)
    await uow.throttles.save(states[key].after_failure(policy, now))


def _typed_number(raw: str) -> tuple[nir.Nir | None, str]:
    """The number typed in a form that acts without a session, and its throttling key part
    (the 13 characters when it is a NIR, whatever was typed otherwise)."""
    member_nir = nir.parse_login(raw)
    return member_nir, (member_nir.value if member_nir else nir.normalize(raw)[:64])


# --------------------------------------------------------------------------- members


async def register_member(
    cmd: commands.RegisterMember,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """Create a pending account and email its activation code.

    When the number already has an active account nothing happens, and the answer is the
    same; a pending account is replaced (whoever holds the mailbox activates it)."""
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
    now = clock.now()
    draft = Member(
        id=uuid.uuid4(),
        nir=member_nir,
        birth_date=cmd.birth_date,
        given_name=cmd.given_name.strip(),
        family_name=cmd.family_name.strip(),
        email=cmd.email.strip(),
        fund=cmd.fund,
        password_hash="",
        status=MemberStatus.PENDING,
        created_at=now,
    )
    _password_problems(cmd.password, draft.personal_words())
    # Counted before the costly hashing, in a transaction of its own: a refused registration
    # costs the service next to nothing.
    async with unit_of_work() as uow:
        await _count_request(
            uow,
            f"registration-address:{cmd.client_address[:64]}",
            policy=settings.registration_policy(),
            now=now,
        )
        await uow.commit()
    password_hash = await hasher.hash(cmd.password)
    async with unit_of_work() as uow:
        account_id = await uow.members.register(replace(draft, password_hash=password_hash))
        if account_id is None:
            logger.info("registration for an existing account ignored")
            return
        member = replace(draft, id=account_id, password_hash=password_hash)
        await _send_activation_code(uow, member, settings=settings, now=now)
        await uow.commit()


async def renew_activation_code(
    cmd: commands.RenewActivationCode,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
) -> None:
    """Send a new activation code to a pending account (see ``Settings.code_request_policy``
    for how often); the answer is the same whether the number has a pending account or not."""
    member_nir, typed = _typed_number(cmd.nir)
    now = clock.now()
    async with unit_of_work() as uow:
        await _count_code_request(uow, f"activation-renewal:{typed}", settings=settings, now=now)
        member = await uow.members.get_by_nir(member_nir, for_update=True) if member_nir else None
        if member is None or member.active:
            await uow.commit()
            return
        await _send_activation_code(uow, member, settings=settings, now=now)
        await uow.commit()


async def _send_activation_code(
    uow: AuthUnitOfWork, member: Member, *, settings: Settings, now: datetime
) -> None:
    """A new activation code for ``member`` (replacing any earlier one), emailed by the notifier."""
    code, secret = OneTimeCode.issue(
        member.id,
        CodePurpose.ACTIVATION,
        now=now,
        valid_for=timedelta(hours=settings.activation_code_hours),
        max_attempts=settings.code_max_attempts,
    )
    await uow.codes.save(code)
    uow.publish(
        ActivationCodeIssued.new(
            producer=PRODUCER,
            member_id=member.id,
            fund=member.fund,
            email=member.email,
            given_name=member.given_name,
            code=secret,
            expires_at=code.expires_at,
        )
    )


async def _check_code(
    uow: AuthUnitOfWork, member_id: uuid.UUID, purpose: CodePurpose, submitted: str, now: datetime
) -> OneTimeCode:
    code = await uow.codes.get(member_id, purpose)
    if code is None:
        raise InvalidCode("wrong")
    outcome, used = code.check(submitted, now)
    await uow.codes.save(used)
    if outcome is not CodeCheck.OK:
        await uow.commit()
        raise InvalidCode(outcome.value, used.attempts_left)
    await uow.codes.delete(member_id, purpose)
    return used


async def activate_member(
    cmd: commands.ActivateMember, *, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> None:
    member_nir = nir.parse_login(cmd.nir)
    if member_nir is None:
        raise InvalidCode("wrong")
    now = clock.now()
    async with unit_of_work() as uow:
        member = await uow.members.get_by_nir(member_nir, for_update=True)
        if member is None or member.active:
            raise InvalidCode("wrong")
        await _check_code(uow, member.id, CodePurpose.ACTIVATION, cmd.code, now)
        active = replace(member, status=MemberStatus.ACTIVE, activated_at=now)
        await uow.members.save(active)
        uow.publish(contact_changed(active))
        await uow.commit()


async def log_in_member(
    cmd: commands.LogInMember,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    now = clock.now()
    async with unit_of_work() as uow:
        member, matched, account = await _check_member_password(
            uow,
            cmd.nir,
            cmd.password,
            cmd.client_address,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            if account.locked and account.failures == settings.account_lock_after and member:
                if member.active:
                    assert account.locked_until is not None
                    uow.publish(
                        AccountLocked.new(
                            producer=PRODUCER,
                            member_id=member.id,
                            fund=member.fund,
                            email=member.email,
                            given_name=member.given_name,
                            locked_until=account.locked_until,
                        )
                    )
                logger.warning("member account locked after failed logins")
            await uow.commit()
            raise InvalidCredentials()
        assert member is not None
        if not member.active:
            await uow.commit()
            raise AccountNotActivated()
        if hasher.needs_rehash(member.password_hash):
            member = replace(member, password_hash=await hasher.hash(cmd.password))
            await uow.members.save(member)
        session, refresh, csrf_token = await _open_session(uow, member, now=now, settings=settings)
        await uow.commit()
    access = await issuer.access_token(
        subject=member, session_id=session.id, csrf=session.csrf_hash
    )
    return IssuedSession(session, member, access, refresh, csrf_token)


async def refresh_session(
    cmd: commands.RefreshSession,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    """Swap a refresh token for a new one and a new access token.

    A refresh token used twice was stolen (or leaked): its whole session is revoked. Except
    a moment after its use, while its successor is unused: two tabs of one browser refreshed
    at once, and the second is told so (``AlreadyRefreshed``); the browser already holds the
    successor the first one received."""
    now = clock.now()
    async with unit_of_work() as uow:
        token = await uow.sessions.refresh_token(digest(cmd.refresh_token))
        if token is None:
            raise InvalidRefreshToken()
        session = await uow.sessions.get(token.session_id, for_update=True)
        if session is None:
            raise InvalidRefreshToken()
        if token.used_at is not None:
            grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
            if (
                session.live(now)
                and now - token.used_at <= grace
                # Another tab shares the browser's CSRF token; someone else does not.
                and (cmd.csrf_token is None or csrf_hash(cmd.csrf_token) == session.csrf_hash)
                and not await uow.sessions.used_after(session.id, token.used_at)
            ):
                logger.info("refresh token presented again at once", session_id=str(session.id))
                raise AlreadyRefreshed()
            await uow.sessions.revoke(session.id, now)
            await uow.commit()
            logger.warning("refresh token reused: session revoked", session_id=str(session.id))
            raise InvalidRefreshToken()
        if not session.live(now) or token.expires_at <= now:
            raise InvalidRefreshToken()
        if cmd.csrf_token is not None and csrf_hash(cmd.csrf_token) != session.csrf_hash:
            raise Forbidden()
        subject: Member | Agent | None
        if session.kind == "member":
            subject = await uow.members.get(session.subject_id)
            usable = subject is not None and subject.active
        else:
            subject = await uow.agents.get(session.subject_id)
            usable = subject is not None and subject.active
        if subject is None or not usable:
            await uow.sessions.revoke(session.id, now)
            await uow.commit()
            raise InvalidRefreshToken()
        await uow.sessions.mark_used(token.id, now)
        refresh = await _new_refresh_token(uow, session, now=now, settings=settings)
        await uow.commit()
    access = await issuer.access_token(
        subject=subject, session_id=session.id, csrf=session.csrf_hash
    )
    return IssuedSession(session, subject, access, refresh, None)


async def log_out(
    cmd: commands.LogOut, *, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> Session | None:
    """Revoke the session; returns it (its FranceConnect ID token says where to log out next)."""
    async with unit_of_work() as uow:
        session = await uow.sessions.get(cmd.session_id, for_update=True)
        if session is None:
            return None
        await uow.sessions.revoke(session.id, clock.now())
        await uow.commit()
    return session


async def session_of_refresh_token(
    refresh_token: str, *, csrf_token: str, unit_of_work: UnitOfWorkFactory
) -> uuid.UUID | None:
    """The session a browser's refresh cookie belongs to (None if there is none); raises
    ``Forbidden`` when the CSRF token is not the session's."""
    async with unit_of_work() as uow:
        token = await uow.sessions.refresh_token(digest(refresh_token))
        session = await uow.sessions.get(token.session_id) if token else None
    if session is None:
        return None
    if csrf_hash(csrf_token) != session.csrf_hash:
        raise Forbidden()
    return session.id


async def live_session(
    session_id: str | None, *, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> Session | None:
    if not session_id:
        return None
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        return None
    async with unit_of_work() as uow:
        session = await uow.sessions.get(sid)
    return session if session is not None and session.live(clock.now()) else None


async def request_password_reset(
    cmd: commands.RequestPasswordReset,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
) -> None:
    """Email a one-time link to an active account (see ``Settings.code_request_policy`` for
    how often); the answer is the same whether the number has an active account or not."""
    member_nir, typed = _typed_number(cmd.nir)
    now = clock.now()
    async with unit_of_work() as uow:
        await _count_code_request(uow, f"password-reset:{typed}", settings=settings, now=now)
        member = await uow.members.get_by_nir(member_nir, for_update=True) if member_nir else None
        if member is None or not member.active:
            await uow.commit()
            return
        token = new_secret()
        expires_at = now + timedelta(minutes=settings.password_reset_minutes)
        await uow.password_resets.add(
            token_hash=digest(token), member_id=member.id, now=now, expires_at=expires_at
        )
        uow.publish(
            PasswordResetRequested.new(
                producer=PRODUCER,
                member_id=member.id,
                fund=member.fund,
                email=member.email,
                given_name=member.given_name,
                reset_token=token,
                expires_at=expires_at,
            )
        )
        await uow.commit()


async def reset_password(
    cmd: commands.ResetPassword,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
) -> None:
    """Set a new password through a link: single use, then every session is revoked."""
    now = clock.now()
    async with unit_of_work() as uow:
        member_id = await uow.password_resets.find(digest(cmd.token), now)
        member = await uow.members.get(member_id, for_update=True) if member_id else None
        if member is None:
            raise InvalidLink()
        _password_problems(cmd.password, member.personal_words())
        await uow.password_resets.take(digest(cmd.token), now)
        await uow.password_resets.invalidate_for(member.id, now)
        updated = replace(member, password_hash=await hasher.hash(cmd.password))
        await uow.members.save(updated)
        await uow.sessions.revoke_all(member.id, now)
        await uow.throttles.clear(f"member:{member.nir.value}")
        await uow.commit()


async def _account(
    uow: AuthUnitOfWork, kind: str, subject_id: uuid.UUID, *, for_update: bool = False
) -> Member | Agent | None:
    if kind == "member":
        return await uow.members.get(subject_id, for_update=for_update)
    return await uow.agents.get(subject_id, for_update=for_update)


async def change_password(
    cmd: commands.ChangePassword,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
) -> None:
    """Change one's password, knowing the current one; other sessions are revoked.

    The current password is checked and the new one hashed before the account is locked,
    and only the password is written: whatever changed meanwhile (an agent deactivated by
    a supervisor) stays changed."""
    async with unit_of_work() as uow:
        seen = await _account(uow, cmd.kind, cmd.subject_id)
    if seen is None:
        raise NotFound()
    if not await hasher.verify(seen.password_hash, cmd.current_password):
        raise InvalidCredentials()
    _password_problems(cmd.new_password, seen.personal_words(), "new_password")
    new_hash = await hasher.hash(cmd.new_password)
    now = clock.now()
    async with unit_of_work() as uow:
        subject = await _account(uow, cmd.kind, cmd.subject_id, for_update=True)
        if subject is None:
            raise NotFound()
        if subject.password_hash != seen.password_hash:
            # Changed meanwhile (another tab, a reset link): what was typed as the current
            # password was checked against the one before.
            raise InvalidCredentials()
        if isinstance(subject, Agent):
            await uow.agents.save_changes(
                subject, replace(subject, password_hash=new_hash), now=now
            )
        else:
            await uow.members.save_changes(subject, replace(subject, password_hash=new_hash))
        await uow.sessions.revoke_all(subject.id, now, keep=cmd.session_id)
        await uow.commit()


async def request_email_change(
    cmd: commands.RequestEmailChange,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
) -> datetime:
    """Send a confirmation code to the new address; returns when the code expires."""
    now = clock.now()
    async with unit_of_work() as uow:
        member = await uow.members.get(cmd.member_id)
        if member is None:
            raise NotFound()
        if member.email.lower() == cmd.new_email.strip().lower():
            raise InvalidData([("email", "C'est déjà votre adresse électronique actuelle.")])
        # A member could otherwise have codes sent to anyone's address, as often as they like.
        await _count_code_request(uow, f"email-change:{member.id}", settings=settings, now=now)
        code, secret = OneTimeCode.issue(
            member.id,
            CodePurpose.EMAIL_CHANGE,
            now=now,
            valid_for=timedelta(minutes=settings.email_change_code_minutes),
            max_attempts=settings.code_max_attempts,
            new_email=cmd.new_email.strip(),
        )
        await uow.codes.save(code)
        uow.publish(
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
        await uow.commit()
    return code.expires_at


async def confirm_email_change(
    cmd: commands.ConfirmEmailChange, *, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> Member:
    now = clock.now()
    async with unit_of_work() as uow:
        member = await uow.members.get(cmd.member_id, for_update=True)
        if member is None:
            raise NotFound()
        code = await _check_code(uow, member.id, CodePurpose.EMAIL_CHANGE, cmd.code, now)
        assert code.new_email is not None
        updated = replace(member, email=code.new_email)
        await uow.members.save(updated)
        uow.publish(contact_changed(updated))
        await uow.commit()
    return updated


async def delete_member(
    cmd: commands.DeleteMember, *, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> None:
    """Delete the account and its contact data; the notifier forgets the address."""
    async with unit_of_work() as uow:
        member = await uow.members.get(cmd.member_id, for_update=True)
        if member is None:
            raise NotFound()
        await uow.sessions.revoke_all(member.id, clock.now())
        await uow.members.delete(member.id)
        uow.publish_tombstone(MEMBER_CONTACT, str(member.id))
        await uow.commit()


async def profile(
    kind: str, subject_id: uuid.UUID, *, unit_of_work: UnitOfWorkFactory
) -> tuple[Member | Agent, bool]:
    """The caller's account, and whether a FranceConnect identity is linked to it."""
    async with unit_of_work() as uow:
        subject: Member | Agent | None
        if kind == "member":
            subject = await uow.members.get(subject_id)
            linked = subject is not None and await uow.franceconnect.is_linked(subject.id)
        else:
            subject = await uow.agents.get(subject_id)
            linked = False
    if subject is None:
        raise NotFound()
    return subject, linked


# --------------------------------------------------------------------------- agents


async def log_in_agent(
    cmd: commands.LogInAgent,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    email = cmd.email.strip().lower()
    account_key, address_key = _throttle_keys("agent", email, cmd.client_address)
    now = clock.now()
    async with unit_of_work() as uow:
        agent = await uow.agents.get_by_email(email)
        usable = agent if agent is not None and agent.active else None
        matched, account = await _check_password_throttled(
            uow,
            account_key=account_key,
            address_key=address_key,
            password_hash=usable.password_hash if usable else None,
            password=cmd.password,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            if account.locked and account.failures == settings.account_lock_after and agent:
                logger.warning("agent account locked after failed logins", agent_id=str(agent.id))
            await uow.commit()
            raise InvalidCredentials()
        assert usable is not None
        session, refresh, csrf_token = await _open_session(uow, usable, now=now, settings=settings)
        await uow.commit()
    access = await issuer.access_token(
        subject=usable, session_id=session.id, csrf=session.csrf_hash
    )
    return IssuedSession(session, usable, access, refresh, csrf_token)


def _check_manager(manager: Manager, fund: str, role: AgentRole) -> None:
    if manager is not None and not may_manage(manager, fund, role):
        raise Forbidden()


async def create_agent(
    cmd: commands.CreateAgent,
    *,
    manager: Manager,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
) -> Agent:
    _check_manager(manager, cmd.fund, cmd.role)
    now = clock.now()
    agent = Agent(
        id=uuid.uuid4(),
        email=cmd.email.strip().lower(),
        given_name=cmd.given_name.strip(),
        family_name=cmd.family_name.strip(),
        role=cmd.role,
        fund=cmd.fund,
        skills=tuple(dict.fromkeys(cmd.skills)),
        password_hash="",
        active=True,
        created_at=now,
    )
    _password_problems(cmd.password, agent.personal_words())
    agent = replace(agent, password_hash=await hasher.hash(cmd.password))
    async with unit_of_work() as uow:
        if not await uow.agents.add(agent, now=now):
            raise Conflict()
        await uow.commit()
    return agent


async def get_agent(
    agent_id: uuid.UUID, *, manager: Manager, unit_of_work: UnitOfWorkFactory
) -> Agent:
    """An agent the manager may see; any other answers NotFound (no hint it exists)."""
    async with unit_of_work() as uow:
        agent = await uow.agents.get(agent_id)
    if agent is None or (manager is not None and not may_manage(manager, agent.fund, agent.role)):
        raise NotFound()
    return agent


async def list_agents(
    *, manager: Manager, fund: str | None, unit_of_work: UnitOfWorkFactory
) -> list[Agent]:
    if manager is not None and manager[0] != "admin":
        fund = manager[1]
    async with unit_of_work() as uow:
        agents = await uow.agents.list(fund=fund)
    return [a for a in agents if manager is None or may_manage(manager, a.fund, a.role)]


def _updated(agent: Agent, cmd: commands.UpdateAgent) -> Agent:
    return replace(
        agent,
        given_name=cmd.given_name if cmd.given_name is not None else agent.given_name,
        family_name=cmd.family_name if cmd.family_name is not None else agent.family_name,
        role=cmd.role if cmd.role is not None else agent.role,
        skills=tuple(dict.fromkeys(cmd.skills)) if cmd.skills is not None else agent.skills,
        active=cmd.active if cmd.active is not None else agent.active,
    )


async def update_agent(
    cmd: commands.UpdateAgent,
    *,
    manager: Manager,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
) -> Agent:
    """Change what the command names, and only that, on the agent's locked row: a change
    made meanwhile by someone else (a deactivation) is never written back."""
    password_hash: str | None = None
    if cmd.password is not None:
        # Checked and hashed before the row is locked: argon2 takes its time on purpose.
        seen = await get_agent(cmd.agent_id, manager=manager, unit_of_work=unit_of_work)
        _password_problems(cmd.password, _updated(seen, cmd).personal_words())
        password_hash = await hasher.hash(cmd.password)
    now = clock.now()
    async with unit_of_work() as uow:
        agent = await uow.agents.get(cmd.agent_id, for_update=True)
        if agent is None or (
            manager is not None and not may_manage(manager, agent.fund, agent.role)
        ):
            raise NotFound()
        if cmd.role is not None:
            _check_manager(manager, agent.fund, cmd.role)
        updated = _updated(agent, cmd)
        if password_hash is not None:
            updated = replace(updated, password_hash=password_hash)
        await uow.agents.save_changes(agent, updated, now=now)
        if not updated.active or cmd.password is not None or cmd.role is not None:
            # A deactivated agent, a new password or a new role: old sessions must go.
            await uow.sessions.revoke_all(updated.id, now)
        await uow.commit()
    return updated


# --------------------------------------------------------------------------- FranceConnect


async def start_franceconnect(
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    franceconnect: FranceConnectClient,
) -> tuple[str, str]:
    """The provider's authorization URL and the browser binding to keep in a cookie."""
    state, nonce, binding = new_secret(), new_secret(), new_secret()
    now = clock.now()
    url = await franceconnect.authorization_url(state=state, nonce=nonce)
    async with unit_of_work() as uow:
        await uow.franceconnect.prune(now)
        await uow.franceconnect.add_request(
            state=state,
            nonce=nonce,
            binding_hash=digest(binding),
            now=now,
            expires_at=now + timedelta(seconds=settings.franceconnect_request_seconds),
        )
        await uow.commit()
    return url, binding


async def _account_of_identity(
    uow: AuthUnitOfWork, identity: FranceConnectIdentity
) -> Member | None:
    """The account a FranceConnect identity may open without a password, on its first login:
    the only active account its pivot describes, whose verified address is the one
    FranceConnect verified (see ``pivot``). Any other case asks for the account's number and
    password once. Linking it may still fail (the account has another identity), or have been
    done by a login of the same person a moment ago: ``finish_franceconnect`` reads again."""
    born = pivot.birth_date_of(identity)
    candidates = [
        candidate
        for candidate in (await uow.members.born_on(born) if born else [])
        if pivot.matches(candidate, identity)
    ]
    if len(candidates) != 1:
        return None
    [candidate] = candidates
    if not pivot.same_verified_email(candidate, identity):
        logger.info("franceconnect identity matches an account whose address differs")
        return None
    return candidate


@dataclass(frozen=True)
class FranceConnectOutcome:
    """Either a session (the identity is linked to a member) or a link to confirm."""

    issued: IssuedSession | None = None
    pending_token: str | None = None


async def finish_franceconnect(
    cmd: commands.FinishFranceConnect,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    franceconnect: FranceConnectClient,
    issuer: TokenIssuer,
) -> FranceConnectOutcome:
    if cmd.error:
        raise FranceConnectRefused("franceconnect-annule", f"provider said {cmd.error}")
    if not cmd.state or not cmd.code:
        raise FranceConnectRefused("franceconnect-invalide", "no state or code")
    if cmd.issuer is not None and cmd.issuer != franceconnect.issuer:
        raise FranceConnectRefused("franceconnect-invalide", "iss of the answer is not ours")
    now = clock.now()
    async with unit_of_work() as uow:
        request = await uow.franceconnect.take_request(cmd.state, now)
        await uow.commit()
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
    async with unit_of_work() as uow:
        member_id = await uow.franceconnect.member_of(identity.subject)
        member = await uow.members.get(member_id) if member_id else None
        how = "linked"
        if member is None:
            candidate = await _account_of_identity(uow, identity)
            if candidate is not None:
                if await uow.franceconnect.link(
                    subject=identity.subject, member_id=candidate.id, now=now, how="pivot"
                ):
                    uow.publish(franceconnect_linked(candidate, now=now, confirmed_by="identity"))
                    member, how = candidate, "pivot"
                elif await uow.franceconnect.member_of(identity.subject) == candidate.id:
                    member = candidate  # linked by the same person's login a moment ago
        if member is None or not member.active:
            token = new_secret()
            await uow.franceconnect.add_pending(
                token_hash=digest(token),
                subject=identity.subject,
                id_token=id_token,
                identity=identity.__dict__,
                expires_at=now + timedelta(seconds=settings.franceconnect_request_seconds),
            )
            await uow.commit()
            return FranceConnectOutcome(pending_token=token)
        session, refresh, csrf_token = await _open_session(
            uow,
            member,
            now=now,
            settings=settings,
            method="franceconnect",
            franceconnect_id_token=id_token,
        )
        await uow.commit()
    logger.info("franceconnect login", how=how)
    access = await issuer.access_token(
        subject=member, session_id=session.id, csrf=session.csrf_hash
    )
    return FranceConnectOutcome(issued=IssuedSession(session, member, access, refresh, csrf_token))


async def link_franceconnect(
    cmd: commands.LinkFranceConnect,
    *,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    """Link a FranceConnect identity to the account whose number and password are given."""
    now = clock.now()
    async with unit_of_work() as uow:
        pending = await uow.franceconnect.pending(digest(cmd.pending_token), now)
    if pending is None:
        raise InvalidLink()
    subject, id_token = pending
    async with unit_of_work() as uow:
        member, matched, _ = await _check_member_password(
            uow,
            cmd.nir,
            cmd.password,
            cmd.client_address,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            await uow.commit()
            raise InvalidCredentials()
        assert member is not None
        if not member.active:
            await uow.commit()
            raise AccountNotActivated()
        if await uow.franceconnect.member_of(subject) is None and await uow.franceconnect.link(
            subject=subject, member_id=member.id, now=now, how="password"
        ):
            uow.publish(franceconnect_linked(member, now=now, confirmed_by="password"))
        if await uow.franceconnect.member_of(subject) != member.id:
            # This identity has another account, or this account another identity.
            await uow.commit()
            raise Conflict()
        # The pending login stays until it expires: a form sent twice (a double click, a
        # retry after a lost answer) opens the account again, with its password again.
        session, refresh, csrf_token = await _open_session(
            uow,
            member,
            now=now,
            settings=settings,
            method="franceconnect",
            franceconnect_id_token=id_token,
        )
        await uow.commit()
    access = await issuer.access_token(
        subject=member, session_id=session.id, csrf=session.csrf_hash
    )
    return IssuedSession(session, member, access, refresh, csrf_token)


async def prune(*, unit_of_work: UnitOfWorkFactory, clock: Clock, settings: Settings) -> None:
    """Forget old throttling rows and stale FranceConnect requests."""
    now = clock.now()
    async with unit_of_work() as uow:
        await uow.throttles.prune(forgotten_before=now - timedelta(hours=1), now=now)
        await uow.franceconnect.prune(now)
        await uow.commit()
