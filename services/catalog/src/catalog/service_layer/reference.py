"""Loading the reference catalog from the command line (``load-reference``, ``setup-local``)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from catalog.adapters.reference_file import InvalidReferenceData, read_reference
from catalog.config import Settings
from catalog.domain import commands
from catalog.domain.errors import CatalogError
from catalog.service_layer import handlers
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
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
        uow = CatalogUnitOfWork(session_factory(engine), producer=settings.service_name)
        version = await handlers.load_reference(
            commands.LoadReference(catalog=reference, only_if_unpublished=only_if_unpublished),
            uow=uow,
            clock=lambda: datetime.now(UTC),
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
