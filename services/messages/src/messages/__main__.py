"""``python -m messages migrate|setup-local``."""

import sys
from pathlib import Path

from messages.config import Settings
from servicekit.cli import ServiceCli

cli = ServiceCli(
    service="messages",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(cli.main())
