"""``python -m auth migrate|setup-local``."""

import sys
from pathlib import Path

from auth.config import Settings
from servicekit.cli import ServiceCli

cli = ServiceCli(
    service="auth",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    sys.exit(cli.main())
