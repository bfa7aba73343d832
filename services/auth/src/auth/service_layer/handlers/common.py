"""What several handlers share: the events they publish, opening a session, password checks
under the brute-force rules, counting requests, one-time codes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain import nir, passwords
from auth.domain.commands import Reauthenticated
from auth.domain.errors import (
    InvalidCode,
    InvalidData,
    ReauthenticationRequired,
    TooManyAttempts,
    TooManyRequests,
    WrongCurrentPassword,
)
from auth.domain.model import (
    Account,
    Agent,
    CodeCheck,
    CodePurpose,
    IssuedSession,
    Member,
    OneTimeCode,
    RefreshToken,
    Session,
    digest,
    new_secret,
)
from auth.domain.registry import InsuredPerson
from auth.domain.throttling import ThrottlePolicy, ThrottleState, refusal
from auth.domain.trail import Method, Outcome, Party, SecurityEvent, hash_address, mask_typed
from auth.domain.trail import recently_authenticated as fresh_franceconnect_login
from auth.service_layer.tokens import TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.auth import (
    AccountChange,
    AccountChanged,
    ActivationCodeIssued,
    AgentAccountChange,
    AgentAccountChanged,
    FranceConnectLinked,
    MemberContactChanged,
)
from contracts.events.registry import ActivationLetterRequested
from contracts.events.registry import PostalAddress as LetterAddress
from contracts.events.security import SecurityEventKind
from servicekit.security import csrf_hash

PRODUCER = "auth"
UnitOfWorkFactory = Callable[[], AuthUnitOfWork]


# --------------------------------------------------------------------------- events


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


def account_changed(
    member: Member,
    change: AccountChange,
    *,
    now: datetime,
    to: str | None = None,
    new_email: str | None = None,
) -> AccountChanged:
    """Told to the account's address (or ``to``: the previous one) after a sensitive change."""
    return AccountChanged.new(
        producer=PRODUCER,
        member_id=member.id,
        fund=member.fund,
        email=to or member.email,
        given_name=member.given_name,
        change=change,
        changed_at=now,
        new_email=new_email,
    )


def agent_account_changed(
    agent: Agent, change: AgentAccountChange, *, now: datetime
) -> AgentAccountChanged:
    """Told to the agent's own address after their password changed or was reset."""
    return AgentAccountChanged.new(
        producer=PRODUCER,
        agent_id=agent.id,
        fund=agent.fund,
        email=agent.email,
        given_name=agent.given_name,
        change=change,
        changed_at=now,
    )


# --------------------------------------------------------------------------- security trail


def address_hash(settings: Settings, client_address: str) -> str | None:
    """The client address as the trail keeps it (None when it is not known)."""
    if not client_address or client_address == "unknown":
        return None
    return hash_address(settings.address_hash_secret.get_secret_value(), client_address)


async def record(
    uow: AuthUnitOfWork,
    kind: SecurityEventKind,
    subject: Member | Agent | Party | None,
    *,
    settings: Settings,
    now: datetime,
    client_address: str = "unknown",
    outcome: Outcome = "success",
    actor: Member | Agent | Party | None = None,
    system: bool = False,
    method: Method | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """One entry of the security trail, in this unit of work (table and topic)."""

    def party(account: Member | Agent | Party | None) -> Party | None:
        return account if account is None or isinstance(account, Party) else Party.of(account)

    await uow.record(
        SecurityEvent.about(
            kind,
            party(subject),
            now=now,
            outcome=outcome,
            actor=party(actor),
            system=system,
            address_hash=address_hash(settings, client_address),
            method=method,
            details=details,
        )
    )


async def record_failed_login(
    uow: AuthUnitOfWork,
    failed: Member | Agent | Party,
    account: ThrottleState,
    *,
    settings: Settings,
    now: datetime,
    client_address: str,
) -> bool:
    """A failed login in the trail, and the lock when this failure locked the account;
    whether it did."""
    await record(
        uow,
        "login_failed",
        failed,
        settings=settings,
        now=now,
        client_address=client_address,
        outcome="failure",
        method="password",
    )
    locked_now = account.locked and account.failures == settings.account_lock_after
    if locked_now:
        await record(
            uow,
            "login_locked",
            failed,
            settings=settings,
            now=now,
            client_address=client_address,
            outcome="failure",
            system=True,
            details={"locked_until": (account.locked_until or now).isoformat()},
        )
    return locked_now


async def confirm_identity(
    uow: AuthUnitOfWork,
    account: Member | Agent,
    cmd: Reauthenticated,
    *,
    change: str,
    hasher: PasswordHasher,
    settings: Settings,
    now: datetime,
) -> Method:
    """What a sensitive change needs: the current password, checked under the login's
    brute-force rules (a wrong one is recorded, committed, and ``WrongCurrentPassword``), or
    a FranceConnect login of the last ``reauthentication_seconds`` (else
    ``ReauthenticationRequired``). Returns how the person confirmed."""
    if cmd.current_password is None:
        session = await uow.sessions.get(cmd.session_id) if cmd.session_id else None
        window = timedelta(seconds=settings.reauthentication_seconds)
        if (
            session is None
            or session.subject_id != account.id
            or not fresh_franceconnect_login(session, now, window)
        ):
            raise ReauthenticationRequired()
        return "franceconnect"
    kind = "agent" if isinstance(account, Agent) else "member"
    login = account.email if isinstance(account, Agent) else account.nir.value
    account_key, address_key = throttle_keys(kind, login, cmd.client_address)
    matched, _ = await check_password_throttled(
        uow,
        account_key=account_key,
        address_key=address_key,
        password_hash=account.password_hash,
        password=cmd.current_password,
        hasher=hasher,
        settings=settings,
        now=now,
        tried=account,
        client_address=cmd.client_address,
    )
    if not matched:
        await record(
            uow,
            "confirmation_failed",
            account,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            outcome="failure",
            method="password",
            details={"change": change},
        )
        await uow.commit()
        raise WrongCurrentPassword()
    return "password"


# --------------------------------------------------------------------------- passwords


def check_password_rules(password: str, personal: list[str], field: str = "password") -> None:
    """``InvalidData`` when ``password`` breaks the policy (``domain.passwords``)."""
    found = passwords.problems(password, personal=personal)
    if found:
        raise InvalidData([(field, message) for message in found])


# --------------------------------------------------------------------------- sessions


async def open_session(
    uow: AuthUnitOfWork,
    account: Account,
    *,
    now: datetime,
    settings: Settings,
    franceconnect_id_token: str | None = None,
) -> tuple[Session, str, str]:
    """A new session with its first refresh token (a FranceConnect one when its ID token is
    given); returns it, the refresh and CSRF tokens. The caller commits, then issues."""
    subject = account.subject
    csrf_token = new_secret()
    session = Session(
        id=uuid.uuid4(),
        kind="agent" if isinstance(subject, Agent) else "member",
        subject_id=subject.id,
        csrf_hash=csrf_hash(csrf_token),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.session_max_seconds),
        method="password" if franceconnect_id_token is None else "franceconnect",
        franceconnect_id_token=franceconnect_id_token,
    )
    await uow.sessions.add(session)
    refresh = await new_refresh_token(uow, session, now=now, settings=settings)
    return session, refresh, csrf_token


async def issued(
    issuer: TokenIssuer,
    session: Session,
    account: Account,
    refresh_token: str,
    csrf_token: str | None,
) -> IssuedSession:
    """The session with its new access tokens (one per API), once the transaction committed."""
    access = await issuer.access_tokens(
        subject=account.subject, session_id=session.id, csrf=session.csrf_hash
    )
    return IssuedSession(session, account, access, refresh_token, csrf_token)


async def new_refresh_token(
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


async def member_account(uow: AuthUnitOfWork, member: Member) -> Account:
    return Account(member, franceconnect_linked=await uow.franceconnect.is_linked(member.id))


# --------------------------------------------------------------------------- brute force


def throttle_keys(prefix: str, account: str, client_address: str) -> tuple[str, str]:
    return f"{prefix}:{account[:64]}", f"{prefix}-address:{client_address[:64]}"


async def check_password_throttled(
    uow: AuthUnitOfWork,
    *,
    account_key: str,
    address_key: str,
    password_hash: str | None,
    password: str,
    hasher: PasswordHasher,
    settings: Settings,
    now: datetime,
    tried: Member | Agent | Party,
    client_address: str,
) -> tuple[bool, ThrottleState]:
    """Check a password under the brute-force rules; the throttle rows stay locked.

    Raises ``TooManyAttempts`` when the try comes too early (it is then not checked, and the
    refusal is recorded in the trail and committed). A failure that locks the client address
    is recorded too (``tried``: the account the try named). Returns whether it matched and
    the account's throttle state after the try."""
    account_policy, address_policy = settings.account_policy(), settings.address_policy()
    states = await uow.throttles.lock([account_key, address_key])
    account, address = states[account_key], states[address_key]
    refused = refusal([(account, account_policy), (address, address_policy)], now)
    if refused is not None:
        refused_by = [
            name
            for name, state, policy in (
                ("account", account, account_policy),
                ("address", address, address_policy),
            )
            if state.retry_at(policy, now) is not None
        ]
        await record(
            uow,
            "login_throttled",
            tried,
            settings=settings,
            now=now,
            client_address=client_address,
            outcome="failure",
            system=True,
            details={
                "refused_by": ",".join(refused_by),
                "retry_at": refused.retry_at.isoformat(),
                "locked": "true" if refused.locked else "false",
            },
        )
        await uow.commit()
        raise TooManyAttempts(refused, now)
    if await hasher.verify(password_hash, password):
        await uow.throttles.clear(account_key)
        return True, ThrottleState(account_key)
    account = account.after_failure(account_policy, now)
    await uow.throttles.save(account)
    address = address.after_failure(address_policy, now)
    await uow.throttles.save(address)
    if address.locked and address.failures == address_policy.lock_after:
        await record(
            uow,
            "address_locked",
            tried,
            settings=settings,
            now=now,
            client_address=client_address,
            outcome="failure",
            system=True,
            details={"locked_until": (address.locked_until or now).isoformat()},
        )
    return False, account


async def check_member_password(
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
    account_key, address_key = throttle_keys("member", typed, client_address)
    member = await uow.members.get_by_nir(member_nir) if member_nir else None
    matched, account = await check_password_throttled(
        uow,
        account_key=account_key,
        address_key=address_key,
        password_hash=member.password_hash if member else None,
        password=password,
        hasher=hasher,
        settings=settings,
        now=now,
        tried=member or Party("member", None, mask_typed(typed), None),
        client_address=client_address,
    )
    return member, matched, account


async def count_code_request(
    uow: AuthUnitOfWork, key: str, *, settings: Settings, now: datetime
) -> None:
    """Count a request for an emailed code or link against ``key``; the row stays locked.

    Raises ``TooManyRequests`` when it comes too soon (it then neither counts nor sends).
    Anonymous requests are counted against the number typed, whether an account has it or
    not, so that the answer, 429 included, never tells whether it exists."""
    await count_request(uow, key, policy=settings.code_request_policy(), now=now)


async def count_request(
    uow: AuthUnitOfWork, key: str, *, policy: ThrottlePolicy, now: datetime
) -> None:
    """Count one request against ``key`` under ``policy``; ``TooManyRequests`` when too soon."""
    states = await uow.throttles.lock([key])
    refused = refusal([(states[key], policy)], now)
    if refused is not None:
        raise TooManyRequests(refused, now)
    await uow.throttles.save(states[key].after_failure(policy, now))


def typed_number(raw: str) -> tuple[nir.Nir | None, str]:
    """The number typed in a form that acts without a session, and its throttling key part
    (the 13 characters when it is a NIR, whatever was typed otherwise)."""
    member_nir = nir.parse_login(raw)
    return member_nir, (member_nir.value if member_nir else nir.normalize(raw)[:64])


# --------------------------------------------------------------------------- one-time codes


async def send_activation_code(
    uow: AuthUnitOfWork,
    member: Member,
    person: InsuredPerson,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """A new activation code for ``member`` (replacing any earlier one), sent where the
    registry says ``person`` is: to the address the fund verified when it holds one
    (``ActivationCodeIssued``, emailed), by post otherwise (``ActivationLetterRequested``)."""
    by_email = person.email is not None
    valid_for = (
        timedelta(hours=settings.activation_code_hours)
        if by_email
        else timedelta(days=settings.activation_letter_days)
    )
    code, secret = OneTimeCode.issue(
        member.id,
        CodePurpose.ACTIVATION,
        now=now,
        valid_for=valid_for,
        max_attempts=settings.code_max_attempts,
    )
    await uow.codes.save(code)
    if person.email is not None:
        uow.publish(
            ActivationCodeIssued.new(
                producer=PRODUCER,
                member_id=member.id,
                fund=member.fund,
                email=person.email,
                given_name=member.given_name,
                code=secret,
                expires_at=code.expires_at,
            )
        )
        return
    uow.publish(
        ActivationLetterRequested.new(
            producer=PRODUCER,
            member_id=member.id,
            fund=member.fund,
            recipient=person.recipient,
            address=LetterAddress(
                lines=list(person.address.lines),
                postal_code=person.address.postal_code,
                city=person.address.city,
            ),
            code=secret,
            expires_at=code.expires_at,
        )
    )


async def check_code(
    uow: AuthUnitOfWork, member_id: uuid.UUID, purpose: CodePurpose, submitted: str, now: datetime
) -> OneTimeCode:
    """The code, used; ``InvalidCode`` (the failed try committed) when it is not the one."""
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
