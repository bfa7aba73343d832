"""``python -m messages migrate|setup-local|purge-closed|dashboard-rebuild``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from messages.config import Settings
from messages.domain.commands import PurgeClosedThreads
from messages.entrypoints.stream.dashboard import rebuild_arguments, rebuild_from_topics
from messages.local import setup_demo_canned_replies
from messages.service_layer.handlers.housekeeping import purge_closed_threads
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.cli import Command, ServiceCli
from servicekit.clock import SystemClock
from servicekit.db import create_engine, session_factory
from servicekit.settings import ServiceSettings


def _purge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--older-than-years",
        type=int,
        default=None,
        help="remove threads closed more than N years ago (default: MESSAGES_RETENTION_YEARS)",
    )
    parser.add_argument("--dry-run", action="store_true", help="only count what would be removed")


async def _purge(settings: ServiceSettings, args: argparse.Namespace) -> int:
    assert isinstance(settings, Settings)
    years = args.older_than_years if args.older_than_years is not None else settings.retention_years
    if years < 1:
        print("--older-than-years must be at least 1", file=sys.stderr)
        return 2
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        report = await purge_closed_threads(
            PurgeClosedThreads(older_than_years=years, dry_run=args.dry_run),
            uow=lambda: MessagesUnitOfWork(sessions, producer=settings.service_name),
            clock=SystemClock(),
        )
    finally:
        await engine.dispose()
    verb = "would remove" if report.dry_run else "removed"
    print(
        f"messages: {verb} {report.threads} threads closed before {report.cutoff:%Y-%m-%d}, "
        f"with {report.messages} messages and replies, {report.notes} notes and "
        f"{report.audit} access audit entries"
    )
    return 0


cli = ServiceCli(
    service="messages",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
    local_setup=[setup_demo_canned_replies],
    commands={
        "purge-closed": Command(
            help="remove threads closed more than N years ago, with their messages, notes and audit",
            run=_purge,
            arguments=_purge_arguments,
        ),
        "dashboard-rebuild": Command(
            help="replay the messages topics into fresh dashboard tables, then make them live",
            run=rebuild_from_topics,
            arguments=rebuild_arguments,
        ),
    },
)

if __name__ == "__main__":
    sys.exit(cli.main())
