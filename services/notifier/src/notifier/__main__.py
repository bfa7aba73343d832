"""``python -m notifier migrate|setup-local|render-samples|purge-expired``."""

import argparse
import sys
from pathlib import Path

from notifier.config import Settings
from notifier.main import create_renderer
from notifier.samples import SAMPLE_RECIPIENT, sample_events
from servicekit.cli import Command, ServiceCli
from servicekit.clock import SystemClock
from servicekit.settings import ServiceSettings


def render_samples(settings: ServiceSettings, args: argparse.Namespace) -> int:
    """Write every kind of email, rendered with sample data, as .html, .txt and .eml."""
    assert isinstance(settings, Settings)
    from notifier.domain.model import message_id

    renderer = create_renderer(settings)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for kind, event in sample_events(fund=args.fund).items():
        parts = renderer.render_parts(kind, event, SAMPLE_RECIPIENT)
        message = renderer.render(
            kind=kind,
            event=event,
            recipient=SAMPLE_RECIPIENT,
            message_id=message_id(event.event_id, kind, settings.message_id_domain),
            now=SystemClock().now(),
        )
        (out / f"{kind.value}.html").write_text(parts.html, encoding="utf-8")
        (out / f"{kind.value}.txt").write_text(parts.text, encoding="utf-8")
        (out / f"{kind.value}.eml").write_bytes(message.data)
        print(f"{kind.value}: {parts.subject}")
    print(f"written to {out.resolve()}")
    return 0


def _render_samples_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write the emails to")
    parser.add_argument("--fund", default="NPC", help="fund code for the branding (default NPC)")


async def purge(settings: ServiceSettings, args: argparse.Namespace) -> int:
    """Delete the deliveries and processed event ids past their retention, as each replica's
    background sweep does."""
    assert isinstance(settings, Settings)
    from notifier.domain.commands import PurgeExpired
    from notifier.service_layer.handlers.retention import purge_expired
    from notifier.service_layer.unit_of_work import NotifierUnitOfWork
    from servicekit.db import create_engine, session_factory

    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        report = await purge_expired(
            PurgeExpired(),
            uow=lambda: NotifierUnitOfWork(sessions, producer=settings.service_name),
            settings=settings,
        )
    finally:
        await engine.dispose()
    print(
        f"notifier: removed {report.deliveries} deliveries older than "
        f"{settings.delivery_retention_days} days, and {report.processed_events} processed "
        f"event ids and {report.forgotten_members} deleted accounts' marks older than "
        f"{settings.processed_event_retention_days} days"
    )
    return 0


cli = ServiceCli(
    service="notifier",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
    commands={
        "render-samples": Command(
            help="render every email with sample data to files (.html, .txt, .eml)",
            run=render_samples,
            arguments=_render_samples_arguments,
        ),
        "purge-expired": Command(
            help="delete the deliveries and processed event ids past their retention "
            "(NOTIFIER_DELIVERY_RETENTION_DAYS, NOTIFIER_PROCESSED_EVENT_RETENTION_DAYS)",
            run=purge,
        ),
    },
)

if __name__ == "__main__":
    sys.exit(cli.main())
