"""Sessions and passwords: a member's login, refreshing and ending a session, forgotten,
reset and changed passwords.

A failed login answers the same way, after the same work (one argon2 check), whether the
number has an account or not; so does a forgotten-password request."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from auth.adapters.franceconnect import FranceConnectClient
from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.commands import (
    ChangePassword,
    FindSessionOfRefreshToken,
    GetLiveSession,
    LogInMember,
    LogOut,
    RefreshSession,
    RequestPasswordReset,
    ResetPassword,
)
from auth.domain.errors import (
    AccountNotActivated,
    AlreadyRefreshed,
    CsrfRefused,
    FranceConnectRefused,
    InvalidCredentials,
    InvalidLink,
    InvalidRefreshToken,
    NotFound,
    WrongCurrentPassword,
)
from auth.domain.model import (
    Account,
    Agent,
    IssuedSession,
    Kind,
    Member,
    Session,
    digest,
    new_secret,
)
from auth.domain.trail import Party, mask_typed
from auth.service_layer.handlers.common import (
    PRODUCER,
    UnitOfWorkFactory,
    account_changed,
    agent_account_changed,
    check_member_password,
    check_password_rules,
    confirm_identity,
    count_code_request,
    issued,
    member_account,
    new_refresh_token,
    open_session,
    record,
    record_failed_login,
    typed_number,
)
from auth.service_layer.tokens import TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.auth import AccountLocked, PasswordResetRequested
from servicekit.clock import Clock
from servicekit.logging import get_logger
from servicekit.security import csrf_hash

logger = get_logger(__name__)


async def log_in_member(
    cmd: LogInMember,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    now = clock.now()
    async with uow() as work:
        member, matched, account = await check_member_password(
            work,
            cmd.nir,
            cmd.password,
            cmd.client_address,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            failed = member or Party("member", None, mask_typed(typed_number(cmd.nir)[1]), None)
            locked_now = await record_failed_login(
                work,
                failed,
                account,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
            )
            if locked_now and member:
                if member.active:
                    assert account.locked_until is not None
                    work.publish(
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
            await work.commit()
            raise InvalidCredentials()
        assert member is not None
        if not member.active:
            await work.commit()
            raise AccountNotActivated()
        if hasher.needs_rehash(member.password_hash):
            member = replace(member, password_hash=await hasher.hash(cmd.password))
            await work.members.save(member)
        opened = await member_account(work, member)
        session, refresh, csrf_token = await open_session(work, opened, now=now, settings=settings)
        await record(
            work,
            "login_succeeded",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="password",
        )
        await work.commit()
    return await issued(issuer, session, opened, refresh, csrf_token)


async def refresh_session(
    cmd: RefreshSession,
    *,
    uow: UnitOfWorkFactory,
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
    async with uow() as work:
        token = await work.sessions.refresh_token(digest(cmd.refresh_token))
        if token is None:
            raise InvalidRefreshToken()
        session = await work.sessions.get(token.session_id, for_update=True)
        if session is None:
            raise InvalidRefreshToken()
        if token.used_at is not None:
            grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
            if (
                session.live(now)
                and now - token.used_at <= grace
                # Another tab shares the browser's CSRF token; someone else does not.
                and (cmd.csrf_token is None or csrf_hash(cmd.csrf_token) == session.csrf_hash)
                and not await work.sessions.used_after(session.id, token.used_at)
            ):
                logger.info("refresh token presented again at once", session_id=str(session.id))
                raise AlreadyRefreshed()
            await work.end_session(session.id, now, reason="refresh_token_reused")
            await work.commit()
            logger.warning("refresh token reused: session revoked", session_id=str(session.id))
            raise InvalidRefreshToken()
        if not session.live(now) or token.expires_at <= now:
            raise InvalidRefreshToken()
        if cmd.csrf_token is not None and csrf_hash(cmd.csrf_token) != session.csrf_hash:
            raise CsrfRefused()
        subject: Member | Agent | None
        if session.kind == "member":
            subject = await work.members.get(session.subject_id)
        else:
            subject = await work.agents.get(session.subject_id)
        if subject is None or not subject.active:
            await work.end_session(session.id, now, reason="agent_deactivated")
            await work.commit()
            raise InvalidRefreshToken()
        account = (
            await member_account(work, subject) if isinstance(subject, Member) else Account(subject)
        )
        await work.sessions.mark_used(token.id, now)
        refresh = await new_refresh_token(work, session, now=now, settings=settings)
        await work.commit()
    return await issued(issuer, session, account, refresh, None)


async def get_live_session(
    cmd: GetLiveSession, *, uow: UnitOfWorkFactory, clock: Clock
) -> Session | None:
    if not cmd.session_id:
        return None
    try:
        session_id = uuid.UUID(cmd.session_id)
    except ValueError:
        return None
    async with uow() as work:
        session = await work.sessions.get(session_id)
    return session if session is not None and session.live(clock.now()) else None


async def find_session_of_refresh_token(
    cmd: FindSessionOfRefreshToken, *, uow: UnitOfWorkFactory
) -> uuid.UUID | None:
    async with uow() as work:
        token = await work.sessions.refresh_token(digest(cmd.refresh_token))
        session = await work.sessions.get(token.session_id) if token else None
    if session is None:
        return None
    if csrf_hash(cmd.csrf_token) != session.csrf_hash:
        raise CsrfRefused()
    return session.id


async def log_out(
    cmd: LogOut,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    franceconnect: FranceConnectClient,
) -> str | None:
    """Revoke the session; FranceConnect's logout address when it was opened there."""
    if cmd.session_id is None:
        return None
    async with uow() as work:
        session = await work.sessions.get(cmd.session_id, for_update=True)
        if session is None:
            return None
        now = clock.now()
        await work.end_session(session.id, now, reason="logout")
        if session.revoked_at is None:
            subject = await _account(work, session.kind, session.subject_id)
            if subject is not None:
                await record(
                    work,
                    "logged_out",
                    subject,
                    settings=settings,
                    now=now,
                    client_address=cmd.client_address,
                )
        await work.commit()
    if not session.franceconnect_id_token:
        return None
    try:
        return await franceconnect.end_session_url(
            id_token=session.franceconnect_id_token,
            post_logout_uri=settings.franceconnect_post_logout_uri,
            state=uuid.uuid4().hex,
        )
    except FranceConnectRefused as error:
        logger.warning("franceconnect logout unavailable", reason=error.reason)
        return None


async def request_password_reset(
    cmd: RequestPasswordReset, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> None:
    """Email a one-time link to an active account (see ``Settings.code_request_policy`` for
    how often); the answer is the same whether the number has an active account or not."""
    member_nir, typed = typed_number(cmd.nir)
    now = clock.now()
    async with uow() as work:
        await count_code_request(work, f"password-reset:{typed}", settings=settings, now=now)
        member = await work.members.get_by_nir(member_nir, for_update=True) if member_nir else None
        if member is None or not member.active:
            await work.commit()
            return
        token = new_secret()
        expires_at = now + timedelta(minutes=settings.password_reset_minutes)
        await work.password_resets.add(
            token_hash=digest(token), member_id=member.id, now=now, expires_at=expires_at
        )
        await record(
            work,
            "password_reset_requested",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
        )
        work.publish(
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
        await work.commit()


async def reset_password(
    cmd: ResetPassword,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """Set a new password through a link: single use, then every session is revoked."""
    now = clock.now()
    async with uow() as work:
        member_id = await work.password_resets.find(digest(cmd.token), now)
        member = await work.members.get(member_id, for_update=True) if member_id else None
        if member is None:
            raise InvalidLink()
        check_password_rules(cmd.password, member.personal_words())
        await work.password_resets.take(digest(cmd.token), now)
        await work.password_resets.invalidate_for(member.id, now)
        updated = replace(member, password_hash=await hasher.hash(cmd.password))
        await work.members.save(updated)
        await work.end_sessions_of(member.id, now, reason="password_reset")
        await work.throttles.clear(f"member:{member.nir.value}")
        await record(
            work,
            "password_reset_completed",
            member,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="link",
        )
        work.publish(account_changed(member, "password_reset", now=now))
        await work.commit()


async def _account(
    work: AuthUnitOfWork, kind: Kind, subject_id: uuid.UUID, *, for_update: bool = False
) -> Member | Agent | None:
    if kind == "member":
        return await work.members.get(subject_id, for_update=for_update)
    return await work.agents.get(subject_id, for_update=for_update)


async def change_password(
    cmd: ChangePassword,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """Change one's password, knowing the current one (or just after a FranceConnect login);
    other sessions are revoked, and the account's address is told.

    The current password is checked under the login's brute-force rules (the same counters
    per account and per address: a stolen session cannot guess it faster than a login
    could), and the new one hashed before the account is locked; only the password is
    written: whatever changed meanwhile (an agent deactivated by a supervisor) stays
    changed."""
    async with uow() as work:
        seen = await _account(work, cmd.kind, cmd.subject_id)
        if seen is None:
            raise NotFound()
        method = await confirm_identity(
            work,
            seen,
            cmd,
            change="password_changed",
            hasher=hasher,
            settings=settings,
            now=clock.now(),
        )
        await work.commit()
    check_password_rules(cmd.new_password, seen.personal_words(), "new_password")
    new_hash = await hasher.hash(cmd.new_password)
    now = clock.now()
    async with uow() as work:
        subject = await _account(work, cmd.kind, cmd.subject_id, for_update=True)
        if subject is None:
            raise NotFound()
        if subject.password_hash != seen.password_hash:
            # Changed meanwhile (another tab, a reset link): what was typed as the current
            # password was checked against the one before.
            raise WrongCurrentPassword()
        if isinstance(subject, Agent):
            await work.agents.save_changes(
                subject, replace(subject, password_hash=new_hash), now=now
            )
            work.publish(agent_account_changed(subject, "password_changed", now=now))
        else:
            await work.members.save_changes(subject, replace(subject, password_hash=new_hash))
            work.publish(account_changed(subject, "password_changed", now=now))
        await work.end_sessions_of(subject.id, now, reason="password_changed", keep=cmd.session_id)
        await record(
            work,
            "password_changed",
            subject,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method=method,
        )
        await work.commit()
