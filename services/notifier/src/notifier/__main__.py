"""``python -m notifier migrate|setup-local``."""

import sys
from pathlib import Path

from notifier.config import Settings
from servicekit.cli import ServiceCli

cli = ServiceCli(
    service="notifier",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(cli.main())
