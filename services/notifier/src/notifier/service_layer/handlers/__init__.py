"""What the notifier does with each command, one module per subject.

Every handler takes the command first and its dependencies keyword-only, by name:

- ``uow``: the unit-of-work factory; each handler opens, and commits, its own transactions;
- ``settings``, ``unsubscribe_tokens``: the service's settings and link signer.

``HANDLERS`` are those ``create_app`` binds on the message bus (``servicekit.bus``). The
handlers of Kafka events (``events``) take instead the ``transaction`` the idempotent
consumer opened, in which it records the event id and commits after them: they are called by
the stream subscribers directly.
"""

from __future__ import annotations

from notifier.service_layer.handlers.delivery_log import (
    list_dead_letters,
    list_deliveries,
    replay_dead_letter,
)
from notifier.service_layer.handlers.preferences import (
    change_preferences,
    get_preferences,
    open_unsubscribe_link,
    unsubscribe,
)
from notifier.service_layer.handlers.retention import purge_expired
from servicekit.bus import Handler

HANDLERS: list[Handler] = [
    list_deliveries,
    list_dead_letters,
    replay_dead_letter,
    get_preferences,
    change_preferences,
    unsubscribe,
    open_unsubscribe_link,
    purge_expired,
]
