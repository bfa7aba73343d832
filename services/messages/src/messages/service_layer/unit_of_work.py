"""The messages service's unit of work: one transaction, its repository and its outbox."""

from __future__ import annotations

from messages.adapters.repository import Repository
from servicekit.db import UnitOfWork


class MessagesUnitOfWork(UnitOfWork):
    repository: Repository

    def on_enter(self) -> None:
        self.repository = Repository(self.session)
