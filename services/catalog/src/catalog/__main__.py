"""``python -m catalog migrate|setup-local``."""

import sys
from pathlib import Path

from catalog.config import Settings
from servicekit.cli import ServiceCli

cli = ServiceCli(
    service="catalog",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(cli.main())
