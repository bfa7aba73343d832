"""The postal letters consumer: ``auth.postal-letter.v1`` into the outgoing mail."""

from __future__ import annotations

from contracts.events.registry import ActivationLetterRequested
from contracts.topics import NOTIFIER_DEAD_LETTER, POSTAL_LETTER
from notifier.adapters.letters import OutgoingMail
from notifier.config import Settings
from notifier.service_layer.handlers import letters
from notifier.service_layer.unit_of_work import NotifierUnitOfWork, UnitOfWorkFactory
from servicekit.clock import Clock
from servicekit.runtime import ServiceRuntime


def register_letter_consumer(
    runtime: ServiceRuntime, settings: Settings, unit_of_work: UnitOfWorkFactory, clock: Clock
) -> None:
    outgoing_mail = OutgoingMail(settings.letters_dir)

    async def post(event: ActivationLetterRequested, transaction: NotifierUnitOfWork) -> None:
        await letters.post_activation_letter(
            event,
            transaction=transaction,
            settings=settings,
            outgoing_mail=outgoing_mail,
            clock=clock,
        )

    runtime.add_consumer(
        "postal-letters",
        POSTAL_LETTER,
        post,
        unit_of_work=unit_of_work,
        dead_letter_topic=NOTIFIER_DEAD_LETTER,
        description="Postal letters: the PDF printed and dropped in the outgoing mail.",
    )
