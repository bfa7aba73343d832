"""The proof of deposit: the member downloads it, anyone checks one.

Checking answers only whether the fingerprint is one the fund stored for that reference:
an unknown reference and a wrong fingerprint get the same answer, after the same query and
at least one constant-time comparison (``domain/receipts.digest_matches``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from contracts import get_fund
from messages.adapters.receipt_pdf import ReceiptPrinter, fingerprint_in_pdf
from messages.domain.commands import DownloadReceipt, VerifyReceipt
from messages.domain.errors import MessageNotFound, TooManyChecks
from messages.domain.receipts import deposit_digest, digest_matches, normalised_digest
from messages.domain.views import Receipt, ReceiptCheck, ReceiptDocument
from messages.service_layer.handlers.common import thread_not_found
from messages.service_layer.unit_of_work import UnitOfWorkFactory
from servicekit.clock import Clock
from servicekit.throttling import ThrottlePolicy, refusal

MESSAGE_NOT_FOUND = "Ce message est introuvable dans cette demande."

#: A reference as the service writes it; anything else cannot match and is not looked up.
_REFERENCE_MAX = 40


def _fund_name(code: str) -> str:
    try:
        return get_fund(code).name
    except LookupError:
        return code


async def download_receipt(
    cmd: DownloadReceipt, *, uow: UnitOfWorkFactory, receipts: ReceiptPrinter
) -> ReceiptDocument:
    """The PDF of one of the member's messages; someone else's thread is 404, like a reply
    or a message of another thread."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(cmd.thread_id, member_id=cmd.member.id)
        if thread is None:
            raise thread_not_found()
        message = await unit.threads.get_message(thread.id, cmd.message_id)
        if message is None or message.author_kind != "member":
            raise MessageNotFound("message-not-found", MESSAGE_NOT_FOUND)
        digest = message.deposit_sha256
        if digest is None:
            # A message stored without its fingerprint (a bulk load): computed once, kept.
            digest = deposit_digest(thread, message)
            await unit.threads.store_deposit_digest(message.id, digest)
            await unit.commit()
    receipt = Receipt(
        thread=thread,
        message=replace(message, deposit_sha256=digest),
        digest=digest,
        fund_name=_fund_name(thread.fund),
    )
    # Rendering takes tens of milliseconds of CPU: off the event loop.
    content = await asyncio.to_thread(receipts.render, receipt)
    return ReceiptDocument(receipts.filename(receipt), content)


async def verify_receipt(
    cmd: VerifyReceipt,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    receipt_check_policy: ThrottlePolicy,
) -> ReceiptCheck:
    """Whether the fingerprint (given, or read from the PDF) is one the fund stored for the
    reference. Nothing else is said: not whether the reference exists.

    Each check counts against the client address (``receipt_check_policy``): past the free
    ones, checks are spaced out, then the address waits (429), so that no one can try
    fingerprints or references in bulk."""
    now = clock.now()
    key = f"address:{cmd.client_address}"
    async with uow() as unit:
        state = (await unit.receipt_checks.lock([key]))[key]
        refused = refusal([(state, receipt_check_policy)], now)
        if refused is not None:
            raise TooManyChecks(
                "too-many-checks",
                "Vous avez fait trop de vérifications en peu de temps : réessayez dans "
                f"{refused.seconds_left(now)} secondes.",
                retry_after=refused.seconds_left(now),
                retry_at=refused.retry_at.isoformat(),
            )
        await unit.receipt_checks.save(state.after_failure(receipt_check_policy, now))
        await unit.commit()
    given = normalised_digest(cmd.sha256) if cmd.sha256 is not None else None
    if given is None and cmd.pdf is not None:
        given = fingerprint_in_pdf(cmd.pdf)
    reference = cmd.reference.strip().upper()[:_REFERENCE_MAX]
    async with uow() as unit:
        stored = await unit.threads.deposit_digests(reference)
    return ReceiptCheck(digest_matches(given or "", stored) if given else False)
