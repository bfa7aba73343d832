"""The command line every service offers: ``python -m <service> migrate|setup-local|...``.

``setup-local`` prepares a service for the local stack (migrations, reference data, demo
accounts) and refuses to run outside the local and test environments. Services add their
own commands.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servicekit.migrations import upgrade
from servicekit.settings import LOCAL_ENVIRONMENTS, ServiceSettings

LocalSetup = Callable[[ServiceSettings], Coroutine[Any, Any, None]]


@dataclass
class Command:
    help: str
    run: Callable[[ServiceSettings, argparse.Namespace], Coroutine[Any, Any, int] | int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda _parser: None


@dataclass
class ServiceCli:
    service: str
    settings: Callable[[], ServiceSettings]
    migrations: Path
    local_setup: Sequence[LocalSetup] = ()
    #: Steps that follow every migration, in every environment: reference data a fresh
    #: database cannot work without (each step must be idempotent).
    after_migrate: Sequence[LocalSetup] = ()
    commands: dict[str, Command] = field(default_factory=dict)

    def main(self, argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=f"python -m {self.service}")
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser(
            "migrate", help="bring the database schema (and required reference data) up to date"
        )
        sub.add_parser(
            "setup-local",
            help="migrate, then load what the local stack needs (local environment only)",
        )
        for name, command in self.commands.items():
            command.arguments(sub.add_parser(name, help=command.help))
        args = parser.parse_args(argv)
        environment = os.environ.get("ENVIRONMENT", "")
        if not environment:
            # No default: a deployment that forgot it must not run as the local stack.
            print(
                "ENVIRONMENT is not set: local, test, staging or production",
                file=sys.stderr,
            )
            return 2
        if args.command == "setup-local" and environment not in LOCAL_ENVIRONMENTS:
            # Said before reading the settings, which may refuse local defaults on their own.
            print(
                f"setup-local only runs in the local environment, not {environment!r}",
                file=sys.stderr,
            )
            return 2
        settings = self.settings()
        if args.command == "migrate":
            upgrade(settings.database_url.get_secret_value(), self.migrations)
            for step in self.after_migrate:
                asyncio.run(step(settings))
            print(f"{self.service}: database schema up to date")
            return 0
        if args.command == "setup-local":
            if settings.environment not in LOCAL_ENVIRONMENTS:
                print(
                    f"setup-local only runs in the local environment, not {settings.environment!r}",
                    file=sys.stderr,
                )
                return 2
            upgrade(settings.database_url.get_secret_value(), self.migrations)
            for step in [*self.after_migrate, *self.local_setup]:
                asyncio.run(step(settings))
            return 0
        result = self.commands[args.command].run(settings, args)
        if not isinstance(result, int):
            result = asyncio.run(result)
        return result
