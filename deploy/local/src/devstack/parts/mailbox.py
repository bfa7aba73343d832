"""Mailpit, the mail catcher: every email the notifier sends, on a web page and an API."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.parts.base import Part
from devstack.process import read_record


class Mailbox(Part):
    """Mailpit: an SMTP server that keeps every email, with a web page and an HTTP API."""

    name = "mailbox"
    title = "Mailpit (SMTP and mailbox)"
    port_names = ("smtp", "mailbox")

    def replaced_by(self) -> str | None:
        host = os.environ.get("SMTP_HOST")
        return f"{host}:{os.environ.get('SMTP_PORT', '25')}" if host else None

    @property
    def database(self) -> Path:
        return self.config.data / "mailpit" / "mailpit.db"

    def running(self) -> bool:
        # The mail catcher written in Python that Mailpit replaced is not reused: its API
        # differs (``down mailbox`` stops it).
        record = read_record(self.pidfile)
        return record is not None and record.alive() and Path(record.command[0]).name == "mailpit"

    def prepare(self) -> None:
        from devstack.install import ensure_mailpit

        ensure_mailpit(self.config, log=self.log)
        self.database.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        from devstack.install import mailpit_binary

        host, ports = self.config.host, self.config.ports
        return [
            str(mailpit_binary(self.config)),
            "--smtp",
            f"{host}:{ports['smtp']}",
            "--listen",
            f"{host}:{ports['mailbox']}",
            "--database",
            str(self.database),
            # Keep every email (tests count what each address received) and never ask
            # GitHub for a newer release.
            "--max",
            "0",
            "--disable-version-check",
            "--smtp-disable-rdns",
            # Like deploy/compose.yaml: whatever account the notifier is given is accepted.
            "--smtp-auth-accept-any",
            "--smtp-auth-allow-insecure",
        ]

    def ready(self) -> bool:
        return self._http_ok(f"{self.config.mailbox_url}/readyz")

    def address(self) -> str:
        return f"SMTP {self.config.host}:{self.config.ports['smtp']}, mail at {self.config.mailbox_url}"
