"""``python -m catalog migrate|setup-local|load-reference``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog.config import Settings
from catalog.service_layer.reference import load_reference_data
from servicekit.cli import Command, ServiceCli
from servicekit.settings import ServiceSettings


async def _load_reference(settings: ServiceSettings, args: argparse.Namespace) -> int:
    assert isinstance(settings, Settings)
    return await load_reference_data(
        settings, path=args.file, only_if_unpublished=args.if_unpublished
    )


async def _publish_reference_if_unpublished(settings: ServiceSettings) -> None:
    """A fresh database gets the reference catalog; afterwards admins own the catalog."""
    assert isinstance(settings, Settings)
    status = await load_reference_data(settings, path=None, only_if_unpublished=True)
    if status != 0:
        raise SystemExit(status)


async def _setup_local(settings: ServiceSettings) -> None:
    assert isinstance(settings, Settings)
    status = await load_reference_data(settings, path=None)
    if status != 0:
        raise SystemExit(status)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="a reference file other than the one shipped with the service",
    )
    parser.add_argument(
        "--if-unpublished",
        action="store_true",
        help="do nothing once a version is published (for deployments: admins own the "
        "catalog after the first publication)",
    )


cli = ServiceCli(
    service="catalog",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
    after_migrate=[_publish_reference_if_unpublished],
    local_setup=[_setup_local],
    commands={
        "load-reference": Command(
            help="make the draft the reference catalog and publish it if it changed",
            run=_load_reference,
            arguments=_arguments,
        )
    },
)

if __name__ == "__main__":
    sys.exit(cli.main())
