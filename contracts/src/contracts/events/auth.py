"""Events of the auth service: where to write to members, and account emails to send.

The account emails (``auth.account-notification.v1``) carry the recipient's address and given
name themselves: the notifier must be able to write before its contact projection knows the
member (an activation code goes out before the account exists for anyone else; an email
change code goes to an address that is not the member's yet). They carry one-time secrets,
hence the topic's short retention; never log their payload.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field

from contracts.envelope import Event
from contracts.funds import FundCode

_MEMBER_ID = Field(description="The member (also the Kafka key).")
_GIVEN_NAME = Field(description="First name, to greet the member.", examples=["Camille"])


class MemberContactChanged(Event):
    """The contact data of a member was created (account activated) or changed (email
    confirmed): the latest state, in full. A deleted account is a tombstone: the member id
    as key, no value."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr = Field(examples=["camille.martin@example.fr"])
    given_name: str = _GIVEN_NAME
    family_name: str = Field(examples=["MARTIN"])


class ActivationCodeIssued(Event):
    """A new account needs activating: send the code to the address given at registration."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr
    given_name: str = _GIVEN_NAME
    code: str = Field(description="One-time activation code.", examples=["482913"])
    expires_at: AwareDatetime


class PasswordResetRequested(Event):
    """A member asked to reset their password: send the one-time link."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr
    given_name: str = _GIVEN_NAME
    reset_token: str = Field(
        description="Single-use token, valid 30 minutes; the link is "
        "`{public_base_url}/mot-de-passe/nouveau#jeton=<token>` (in the fragment, so that "
        "it never reaches a server log)."
    )
    expires_at: AwareDatetime


class AccountLocked(Event):
    """Too many failed logins: the account is locked for a while. Warn the member."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr
    given_name: str = _GIVEN_NAME
    locked_until: AwareDatetime


class EmailChangeCodeIssued(Event):
    """A member asked to change their email: send the confirmation code to the new address."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr = Field(description="The new address, to be confirmed.")
    given_name: str = _GIVEN_NAME
    code: str = Field(description="One-time confirmation code.", examples=["730114"])
    expires_at: AwareDatetime


class FranceConnectLinked(Event):
    """A FranceConnect identity was linked to the member's account: from now on it opens the
    account. Tell the account's own address, so that a link the member did not make does
    not go unnoticed."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr = Field(
        description="The account's address (verified by its activation or email-change code)."
    )
    given_name: str = _GIVEN_NAME
    linked_at: AwareDatetime
    confirmed_by: Literal["identity", "password"] = Field(
        description="`identity`: the identity FranceConnect gave, its verified email included, "
        "matched the account's; `password`: the person typed the account's number and password.",
        examples=["identity"],
    )


AccountChange = Literal[
    "email_changed",
    "password_changed",
    "password_reset",
    "account_deleted",
    "franceconnect_unlinked",
]


class AccountChanged(Event):
    """A sensitive change was made to the member's account: tell the address, so that a
    change the member did not make does not go unnoticed (« si ce n'est pas vous… »).

    An email change is told to the previous address and to the new one (two events); a
    deleted account is told to the address it had, the last email the member receives.
    Never a secret: no code, no link that acts, no password."""

    member_id: uuid.UUID = _MEMBER_ID
    fund: FundCode
    email: EmailStr = Field(
        description="Where to write: the account's address, or for an email change the "
        "previous address (and, in a second event, the new one)."
    )
    given_name: str = _GIVEN_NAME
    change: AccountChange = Field(examples=["password_changed"])
    changed_at: AwareDatetime
    new_email: EmailStr | None = Field(
        default=None,
        description="For an email change: the new address (the email shows it masked).",
        examples=["camille.martin@example.fr"],
    )


class AgentPasswordResetRequested(Event):
    """A supervisor or an admin asked for an agent to choose a new password: send the agent a
    one-time link (managers never choose another agent's password). Keyed like the topic's
    other events by the account: ``member_id`` reads the agent's id."""

    agent_id: uuid.UUID = Field(description="The agent (also the Kafka key).")
    fund: FundCode
    email: EmailStr = Field(description="The agent's address.")
    given_name: str = _GIVEN_NAME
    reset_token: str = Field(
        description="Single-use token; the link is "
        "`{public_base_url}/backoffice/mot-de-passe/nouveau#jeton=<token>` (in the fragment, "
        "so that it never reaches a server log)."
    )
    expires_at: AwareDatetime

    @property
    def member_id(self) -> uuid.UUID:
        """The account the email is about (the topic's key and the notifier's log)."""
        return self.agent_id


AgentAccountChange = Literal["password_changed", "password_reset"]


class AgentAccountChanged(Event):
    """An agent's own password was changed (knowing the current one) or reset (with a link):
    tell the agent's address, so that a change they did not make does not go unnoticed
    (« si ce n'est pas vous… »). Never a secret: no link that acts, no password. Keyed like
    the topic's other events by the account: ``member_id`` reads the agent's id."""

    agent_id: uuid.UUID = Field(description="The agent (also the Kafka key).")
    fund: FundCode
    email: EmailStr = Field(description="The agent's address.")
    given_name: str = _GIVEN_NAME
    change: AgentAccountChange = Field(examples=["password_changed"])
    changed_at: AwareDatetime

    @property
    def member_id(self) -> uuid.UUID:
        """The account the email is about (the topic's key and the notifier's log)."""
        return self.agent_id
