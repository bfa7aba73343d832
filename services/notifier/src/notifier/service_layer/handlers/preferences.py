"""What members choose to receive: from their account, or from an email's unsubscribe link."""

from __future__ import annotations

import uuid

from notifier.config import Settings
from notifier.domain.commands import (
    ChangePreferences,
    GetPreferences,
    OpenUnsubscribeLink,
    Unsubscribe,
)
from notifier.domain.errors import UnsubscribeLinkNotFound
from notifier.domain.preferences import ChangedThrough, Preferences, UnsubscribeTokens
from notifier.service_layer.unit_of_work import UnitOfWorkFactory


async def get_preferences(cmd: GetPreferences, *, uow: UnitOfWorkFactory) -> Preferences:
    async with uow() as transaction:
        return await transaction.preferences.get(cmd.member_id)


async def change_preferences(cmd: ChangePreferences, *, uow: UnitOfWorkFactory) -> Preferences:
    """Record the member's choice. Thread emails already due and not yet handed to the SMTP
    server are not sent once it is off: the delivery worker reads the choice when it claims
    them."""
    async with uow() as transaction:
        saved = await transaction.preferences.save(
            cmd.member_id, Preferences(thread_emails=cmd.thread_emails), through=cmd.through
        )
        await transaction.commit()
    return saved


def _member_of_link(tokens: UnsubscribeTokens, token: str) -> uuid.UUID:
    member_id = tokens.verify(token)
    if member_id is None:
        raise UnsubscribeLinkNotFound()
    return member_id


async def unsubscribe(
    cmd: Unsubscribe, *, uow: UnitOfWorkFactory, unsubscribe_tokens: UnsubscribeTokens
) -> Preferences:
    """Thread emails off for the member the link names; again is the same. An invalid link
    changes nothing."""
    return await change_preferences(
        ChangePreferences(
            member_id=_member_of_link(unsubscribe_tokens, cmd.token),
            thread_emails=False,
            through=ChangedThrough.UNSUBSCRIBE_LINK,
        ),
        uow=uow,
    )


async def open_unsubscribe_link(
    cmd: OpenUnsubscribeLink, *, settings: Settings, unsubscribe_tokens: UnsubscribeTokens
) -> str:
    """The portal's page that explains and asks for confirmation (the token in the fragment,
    out of server logs), if the link is valid. Nothing changes: link scanners follow links."""
    _member_of_link(unsubscribe_tokens, cmd.token)
    base = settings.public_base_url.rstrip("/")
    return f"{base}/desabonnement#jeton={cmd.token}"
