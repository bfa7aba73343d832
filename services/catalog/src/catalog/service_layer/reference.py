"""Loading the reference catalog from the command line (``load-reference``, ``setup-local``)."""

from __future__ import annotations

import sys
from pathlib import Path

from catalog.adapters.reference_file import InvalidReferenceData, read_reference
from catalog.config import Settings
from catalog.domain import commands
from catalog.domain.errors import CatalogError
from catalog.service_layer.handlers import load_reference
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.bus import bootstrap
from servicekit.clock import SystemClock
from servicekit.db import create_engine, session_factory


async def load_reference_data(
    settings: Settings, *, path: Path | None, only_if_unpublished: bool = False
) -> int:
    """Load the reference file into the draft and publish it when it changed; 0 when done,
    1 when the file (or the resulting draft) is refused, with every reason printed."""
    try:
        reference = read_reference(path)
    except InvalidReferenceData as error:
        print(f"catalog: the reference file has problems:\n{error}", file=sys.stderr)
        return 1
    engine = create_engine(settings)
    try:
        sessions = session_factory(engine)
        bus = bootstrap(
            [load_reference],
            uow=lambda: CatalogUnitOfWork(sessions, producer=settings.service_name),
            clock=SystemClock(),
        )
        version = await bus.handle(
            commands.LoadReference(catalog=reference, only_if_unpublished=only_if_unpublished)
        )
    except CatalogError as error:
        print(f"catalog: the reference data cannot be loaded: {error}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    themes = len(reference.children(None))
    if version is None and only_if_unpublished:
        print("catalog: a version is already published; reference data not loaded")
    elif version is None:
        print(f"catalog: reference data unchanged ({themes} themes, {len(reference)} nodes)")
    else:
        print(
            f"catalog: reference data published as version {version.number} "
            f"({themes} themes, {len(reference)} nodes, {version.change_count} changes)"
        )
    return 0
